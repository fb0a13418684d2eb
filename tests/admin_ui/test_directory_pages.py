"""Admin directory pages: template download, file preview writes nothing, confirm imports, single-entry edit, status."""

import base64
import io
import re

from openpyxl import load_workbook
from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import Organization, Region
from tests.web.ui.conftest import Ui

CSV = "机构编码,上级机构编码,机构类型,机构名称\nln-tl,ln,city,铁岭市营商环境建设局\nln-x,nowhere,city,某市\n".encode()


def _admin(seeded_app) -> Ui:
    ui = Ui(seeded_app)
    assert ui.login("ln-admin").status_code == 302
    return ui


def test_an_admin_previews_a_file_then_imports_the_good_rows(seeded_app):
    ui = _admin(seeded_app)
    page = ui.get("/admin/liaoning/directory")
    assert page.status_code == 200 and "机构目录与事项清单" in page.text
    template = ui.get("/admin/liaoning/directory/orgs/template.xlsx")
    assert template.status_code == 200 and template.data[:2] == b"PK"
    sheet = load_workbook(io.BytesIO(template.data)).active
    assert sheet.title == "机构目录" and sheet["A1"].value == "机构编码" and sheet["A1"].font.bold
    preview = ui.post(
        "/admin/liaoning/directory/preview",
        {"kind": "orgs", "file": (io.BytesIO(CSV), "orgs.csv")},
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200
    assert "上级机构 nowhere 不存在" in preview.text and "新增 1" in preview.text
    assert db.session.scalar(select(Organization).where(Organization.code == "ln-tl")) is None
    content = re.search(r'name="content" value="([^"]+)"', preview.text).group(1)
    assert base64.b64decode(content) == CSV
    refused = ui.post("/admin/liaoning/directory/import", {"kind": "orgs", "filename": "orgs.csv", "content": content})
    assert refused.status_code == 400
    done = ui.post(
        "/admin/liaoning/directory/import",
        {"kind": "orgs", "filename": "orgs.csv", "content": content, "skip_bad": "1"},
    )
    assert done.status_code == 302
    assert db.session.scalar(select(Organization.path).where(Organization.code == "ln-tl")) == "/ln/ln-tl/"


def test_an_admin_renames_one_unit_and_a_bad_entry_is_explained(seeded_app):
    ui = _admin(seeded_app)
    ui.get("/admin/liaoning/directory")
    form = {"code": "ln-dl-hall", "name": "大连市政务服务中心（新）", "kind": "hall", "parent_code": "ln-dl"}
    assert ui.post("/admin/liaoning/directory/orgs/save", form).status_code == 302
    assert db.session.scalar(select(Organization.name).where(Organization.code == "ln-dl-hall")).endswith("（新）")
    bad = ui.post("/admin/liaoning/directory/orgs/save", {**form, "kind": "planet"})
    assert bad.status_code == 400 and "未知的机构类型" in bad.text


def test_the_status_page_shows_health_and_pauses_delivery(seeded_app):
    ui = _admin(seeded_app)
    page = ui.get("/admin/liaoning/status")
    assert page.status_code == 200 and "数据库" in page.text and "暂停投递" in page.text
    assert ui.post("/admin/liaoning/status/outbox", {"paused": "1"}).status_code == 302
    assert db.session.scalar(select(Region.is_outbox_paused).where(Region.code == "liaoning")) is True


def test_an_officer_cannot_reach_the_directory_pages(seeded_app):
    ui = Ui(seeded_app)
    ui.login("ln-officer")
    assert ui.get("/admin/liaoning/directory").status_code == 403
    assert ui.get("/admin/liaoning/status").status_code == 403
