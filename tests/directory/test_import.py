"""Directory and catalogue import: preview writes nothing, bad rows named by line, re-import idempotent, moves kept."""

import io

from flask import current_app
from openpyxl import Workbook
from sqlalchemy import func, select

from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.directory.operations import import_rows
from casemgmt.directory.parsers import read_rows, template_xlsx
from casemgmt.directory.queries import get_org, get_region
from casemgmt.models import AuditEvent, Case, HumanTask, Organization, ServiceItem, User

ORGS_CSV = (
    "机构编码,上级机构编码,机构类型,机构名称\n"
    "ln-as,ln,city,鞍山市营商环境建设局\n"
    "ln-as-hall,ln-as,大厅,鞍山市政务服务中心\n"
    "ln-as-scjg,ln-as-hall,department,鞍山市市场监督管理局窗口\n"
).encode()


def _import(kind, content, *, confirm=True, name="f.csv", **kw):
    rows = read_rows(kind, name, content)
    plan = import_rows(
        get_region("liaoning"), kind, rows, Actor.system("test"), current_app.config["CLOCK"](), confirm=confirm, **kw
    )
    return plan


def test_preview_writes_nothing_and_confirm_writes_the_tree(seeded_app, clock):
    plan = _import("orgs", ORGS_CSV, confirm=False)
    assert [r["code"] for r in plan.new] == ["ln-as", "ln-as-hall", "ln-as-scjg"]
    assert db.session.scalar(select(func.count()).where(Organization.code == "ln-as")) == 0
    _import("orgs", ORGS_CSV)
    db.session.commit()
    unit = get_org(get_region("liaoning"), "ln-as-scjg")
    assert unit.path == "/ln/ln-as/ln-as-hall/ln-as-scjg/" and unit.parent.code == "ln-as-hall"
    assert unit.kind == "department" and get_org(get_region("liaoning"), "ln-as-hall").kind == "hall"


def test_bad_rows_are_listed_with_their_line_and_a_chinese_reason(seeded_app, clock):
    bad = ORGS_CSV + "ln-as,ln,city,重复\nln-x,nowhere,county,某县\nln-y,ln,planet,某处\n,ln,city,无编码\n".encode()
    plan = _import("orgs", bad, confirm=False)
    reasons = {(e.line, e.reason) for e in plan.errors}
    assert (5, "与第 2 行重复") in reasons
    assert any(line == 6 and "上级机构 nowhere 不存在" in reason for line, reason in reasons)
    assert any(line == 7 and "未知的机构类型" in reason for line, reason in reasons)
    assert any(line == 8 and "机构编码" in reason for line, reason in reasons)
    assert len(plan.new) == 3


def test_reimport_is_idempotent(seeded_app, clock):
    _import("orgs", ORGS_CSV)
    db.session.commit()
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    plan = _import("orgs", ORGS_CSV)
    db.session.commit()
    assert (len(plan.new), len(plan.changed), len(plan.unchanged)) == (0, 0, 3)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_a_move_rewrites_the_subtree_paths_and_keeps_history(api, clock):
    case = db.session.get(Case, api.bad_review()["case_id"])
    task_paths = {
        t.candidate_org_path for t in db.session.scalars(select(HumanTask).where(HumanTask.case_id == case.id))
    }
    assert "/ln/ln-sy/ln-sy-hall/ln-sy-scjg/" in task_paths
    moved = "机构编码,上级机构编码,机构类型,机构名称\nln-sy-hall,ln,hall,沈阳市政务服务中心（新址）\n".encode()
    plan = _import("orgs", moved)
    db.session.commit()
    assert {r["code"] for r in plan.changed} == {"ln-sy-hall", "ln-sy-scjg", "ln-sy-zjj"}
    assert get_org(get_region("liaoning"), "ln-sy-scjg").path == "/ln/ln-sy-hall/ln-sy-scjg/"
    paths = {t.candidate_org_path for t in db.session.scalars(select(HumanTask).where(HumanTask.case_id == case.id))}
    assert "/ln/ln-sy-hall/ln-sy-scjg/" in paths
    history = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "org_changed")).all()
    assert [e.payload["before"] for e in history] == [
        {"name": "沈阳市政务服务中心", "parent_code": "ln-sy", "path": "/ln/ln-sy/ln-sy-hall/"}
    ]


def test_a_unit_with_open_cases_cannot_be_deactivated_but_an_idle_one_can(api, clock):
    api.bad_review()
    rows = (
        "机构编码,上级机构编码,机构类型,机构名称,状态\nln-sy-scjg,ln-sy-hall,department,沈阳市市场监督管理局窗口,停用\n"
    )
    rows += "ln-sy-zjj,ln-sy-hall,department,沈阳市住房和城乡建设局窗口,停用\n"
    plan = _import("orgs", rows.encode(), confirm=False)
    assert [(e.key, e.line) for e in plan.errors] == [("ln-sy-scjg", 2)]
    assert "未办结的工单" in plan.errors[0].reason
    _import("orgs", rows.encode(), skip_bad=True)
    db.session.commit()
    assert get_org(get_region("liaoning"), "ln-sy-zjj").is_active is False
    assert get_org(get_region("liaoning"), "ln-sy-scjg").is_active is True
    refused = api.post("/api/v1/evaluations", "ln-channel", json=api.evaluation(org_code="ln-sy-zjj", record_no="R2"))
    assert refused.status_code == 400 and "停用" in str(refused.get_json())


def test_items_and_users_import_from_xlsx(seeded_app, clock):
    _import("orgs", ORGS_CSV)
    book = Workbook()
    book.active.append(["事项编码", "事项名称", "实施机构编码", "牵头部门编码"])
    book.active.append(["LN-AS-1", "食品经营许可", "ln-as-scjg", "ln-as"])
    data = io.BytesIO()
    book.save(data)
    plan = _import("items", data.getvalue(), name="items.xlsx")
    users = "用户名,姓名,所属机构编码,角色,手机号\nas-officer,刘洋,ln-as-scjg,办理人员,13900000000\n".encode()
    _import("users", users)
    db.session.commit()
    assert len(plan.new) == 1
    item = db.session.scalar(select(ServiceItem).where(ServiceItem.code == "LN-AS-1"))
    assert item.owning_org_id == get_org(get_region("liaoning"), "ln-as-scjg").id
    user = db.session.scalar(select(User).where(User.username == "as-officer"))
    assert (user.roles, user.phone, user.org.code) == (["officer"], "13900000000", "ln-as-scjg")


def test_the_template_has_the_documented_headers(seeded_app):
    rows = read_rows("items", "t.xlsx", template_xlsx("items"))
    assert rows == []


def test_the_import_command_previews_with_dry_run_then_imports(seeded_app, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_bytes(ORGS_CSV + "ln-z,nowhere,city,某市\n".encode())
    runner = seeded_app.test_cli_runner()
    dry = runner.invoke(args=["import", "orgs", str(path), "--region", "liaoning", "--dry-run"])
    assert dry.exit_code == 0 and "新增 3" in dry.output and "第 5 行（ln-z）" in dry.output
    assert db.session.scalar(select(func.count()).where(Organization.code == "ln-as")) == 0
    refused = runner.invoke(args=["import", "orgs", str(path), "--region", "liaoning"])
    assert refused.exit_code != 0 and "1 行有误" in refused.output
    done = runner.invoke(args=["import", "orgs", str(path), "--region", "liaoning", "--skip-bad"])
    assert done.exit_code == 0, done.output
    db.session.remove()
    assert db.session.scalar(select(func.count()).where(Organization.code.like("ln-as%"))) == 3
