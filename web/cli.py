"""Command line: database, seeding, users and tokens, timers, calendar, the permission matrix."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app

from casemgmt import audit
from casemgmt.access.matrix import matrix_markdown
from casemgmt.access.operations import change_password, create_token, create_user
from casemgmt.access.queries import get_user
from casemgmt.actor import Actor
from casemgmt.calendar import load_calendar
from casemgmt.db import db
from casemgmt.directory.operations import import_rows
from casemgmt.directory.parsers import read_rows
from casemgmt.directory.queries import get_region
from casemgmt.directory.schemas import KINDS
from casemgmt.errors import DomainError
from casemgmt.exchange.results import replay_results
from casemgmt.rules import seed
from web.cli_intake import evaluations_command
from web.worker import (
    erase_expired_personal_data,
    poll,
    publish_due_reports,
    relay_settings,
    run_outbox_once,
    run_timers_once,
)

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"
PERMISSIONS_DOC = ROOT / "docs" / "PERMISSIONS.md"


def _now(value: str | None) -> datetime:
    if not value:
        return current_app.config["CLOCK"]()
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise click.BadParameter("需要带时区的时间，如 2025-10-10T09:00:00+08:00")
    return parsed


def _interval() -> float:
    return float(current_app.config["TIMER_INTERVAL_SECONDS"])


def _fail(err: DomainError) -> None:
    db.session.rollback()
    details = f"\n{json.dumps(err.details, ensure_ascii=False, indent=2)}" if err.details else ""
    raise click.ClickException(f"{err.message}{details}")


def alembic_config():
    """Return the Alembic config pointing at this app's database."""
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection_url"] = current_app.config["SQLALCHEMY_DATABASE_URI"]
    return cfg


@click.command("migrate")
def migrate_command() -> None:
    """Upgrade the database schema to the newest migration."""
    from alembic import command

    command.upgrade(alembic_config(), "head")
    click.echo("数据库已迁移到最新版本")


@click.command("seed")
@click.option("--demo/--no-demo", default=False, help="also load demo organizations, items and users")
def seed_command(demo: bool) -> None:
    """Load the national calendar and the bundled regions (and demo data)."""
    actor, now = Actor.system("seed"), _now(None)
    try:
        codes = seed.load_bundled(current_app.config["BPMN_ROOT"], current_app.config["FORMS_ROOT"], actor, now)
        made = seed.load_demo(actor, now) if demo else 0
        db.session.commit()
    except DomainError as err:
        _fail(err)
    click.echo(f"已加载地区：{', '.join(codes)}；新建演示用户 {made} 个")
    roots = current_app.config["BPMN_ROOT"], current_app.config["FORMS_ROOT"]
    for code in codes:
        if seed.bundled_differs(code, *roots):
            click.echo(
                f"地区 {code}：随版本发布的规则与当前生效版本不同，未导入（当前版本保持不变）；"
                f'如需导入：flask rules import --region {code} --reason "原因"'
            )


rules_cli = click.Group("rules", help="Region rule packs.")


@rules_cli.command("import")
@click.option("--region", "code", required=True, help="region code, e.g. liaoning")
@click.option("--reason", required=True, help="why the bundled pack replaces the active version (audited)")
def rules_import(code: str, reason: str) -> None:
    """Deploy a region's bundled rule pack as its new version; print what changes."""
    roots = current_app.config["BPMN_ROOT"], current_app.config["FORMS_ROOT"]
    try:
        definition, changes = seed.import_bundled(code, *roots, Actor.system("rules-import"), _now(None), reason)
        db.session.commit()
    except DomainError as err:
        _fail(err)
    for kind, label in (("added", "新增"), ("removed", "删除"), ("changed", "修改")):
        for name in changes["files"][kind]:
            click.echo(f"{label}文件 {name}")
    for kind, label in (("added", "新增"), ("removed", "删除")):
        for element in changes[kind]:
            click.echo(f"{label}元素 {element['id']}（{element.get('name') or ''}）")
    for element in changes["changed"]:
        click.echo(
            f"修改元素 {element['id']}："
            + "；".join(f"{c['label']} {c['old']} → {c['new']}" for c in element["changes"])
        )
    if definition is None:
        click.echo(f"地区 {code} 的当前版本已与随版本发布的规则相同，未部署新版本")
    else:
        click.echo(f"地区 {code} 已导入随版本发布的规则，成为第 {definition.version} 版")


users_cli = click.Group("users", help="Manage users.")


@users_cli.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True)
@click.option("--region", required=True)
@click.option("--org", required=True, help="organization code")
@click.option("--roles", required=True, help="comma separated: officer,supervisor,coordinator,admin,auditor,channel")
@click.option("--password", default=None)
@click.option("--pii/--no-pii", default=False, help="may reveal evaluator identity (audited)")
def users_create(username, display_name, region, org, roles, password, pii) -> None:
    """Create a user scoped to a region and an organization."""
    try:
        create_user(
            username,
            display_name,
            region,
            org,
            [r.strip() for r in roles.split(",") if r.strip()],
            Actor.system("cli"),
            _now(None),
            password=password,
            can_view_pii=pii,
        )
        db.session.commit()
    except DomainError as err:
        _fail(err)
    click.echo(f"已创建用户 {username}")


@users_cli.command("set-password")
@click.argument("username")
@click.password_option()
def users_set_password(username, password) -> None:
    """Set USERNAME's password; the user's open sessions end."""
    try:
        change_password(get_user(username), password, Actor.system("cli"), _now(None))
        db.session.commit()
    except DomainError as err:
        _fail(err)
    click.echo(f"已为 {username} 设置新密码，其已登录的会话均已失效")


tokens_cli = click.Group("tokens", help="Manage API tokens.")


@tokens_cli.command("create")
@click.argument("username")
@click.option("--label", default="")
def tokens_create(username, label) -> None:
    """Create an API token for USERNAME and print it (shown once)."""
    try:
        token = create_token(get_user(username), Actor.system("cli"), _now(None), label)
        db.session.commit()
    except DomainError as err:
        _fail(err)
    click.echo(token)


timers_cli = click.Group("timers", help="The timer worker.")


@timers_cli.command("run")
@click.option("--once", is_flag=True, help="process what is due now, then exit")
@click.option("--now", "now_text", default=None, help="pretend the time is this ISO instant (with --once)")
@click.option("--interval", default=None, type=float, help="seconds between polls")
def timers_run(once: bool, now_text: str | None, interval: float | None) -> None:
    """Fire due BPMN timers (escalations, reminders); loops unless --once."""
    if now_text and not once:
        raise click.BadParameter("--now 只能与 --once 一起使用")

    def step(now: datetime) -> str:
        done = run_timers_once(now)
        sent = run_outbox_once(now, relay_settings(current_app))
        publish_due_reports(now)  # the quarter's and year's statistics reports, once each (casemgmt/stats)
        erase_expired_personal_data(now)  # evaluators' names and phones past the region's retention period
        return f"已处理到期计时器的工单：{done}；投递通知：{sent}"

    poll(step, "timers", clock=lambda: _now(now_text), once=once, pause=interval or _interval(), echo=click.echo)


calendar_cli = click.Group("calendar", help="Working-day calendar.")


@calendar_cli.command("due")
@click.option("--region", required=True)
@click.option("--start", required=True, help="ISO date or instant; a date means 00:00 Asia/Shanghai")
@click.option("--workdays", required=True, type=click.IntRange(0, 366))
def calendar_due(region: str, start: str, workdays: int) -> None:
    """Print the deadline N working days after START."""
    click.echo(json.dumps(load_calendar(region).due(_start(start), workdays).as_dict(), ensure_ascii=False))


def _start(text: str) -> datetime:
    from zoneinfo import ZoneInfo

    try:
        value = datetime.fromisoformat(text)
    except ValueError as err:
        raise click.BadParameter(f"不是 ISO 日期或时间：{text}") from err
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("Asia/Shanghai"))


import_cli = click.Group("import", help="Import a region's directory and catalogue (docs/IMPORT.md).")
import_cli.add_command(evaluations_command)  # the bulk intake, from a file (web/cli_intake.py)


def _import(kind: str, path: Path, region_code: str, dry_run: bool, skip_bad: bool) -> None:
    rows = read_rows(kind, path.name, path.read_bytes())
    actor, now = Actor.system("import"), _now(None)
    try:
        region = get_region(region_code)
        plan = import_rows(region, kind, rows, actor, now, confirm=False, trusted=True)
        _echo_plan(plan)
        if dry_run:
            db.session.rollback()
            click.echo("试运行：未写入任何数据")
            return
        total = len(plan.new) + len(plan.changed)
        with click.progressbar(length=total, label="写入") as bar:
            import_rows(
                region, kind, rows, actor, now, confirm=True, skip_bad=skip_bad, progress=bar.update, trusted=True
            )
        db.session.commit()
    except DomainError as err:
        _fail(err)
    click.echo(f"已导入：新增 {len(plan.new)}，变更 {len(plan.changed)}，未变 {len(plan.unchanged)}")


def _echo_plan(plan) -> None:
    counts = plan.summary(0)["counts"]
    click.echo(
        f"新增 {counts['new']}，变更 {counts['changed']}，未变 {counts['unchanged']}，"
        f"有误 {counts['errors']}，文件中没有的 {counts['missing']}"
        + (f"，大厅日历变化 {counts['calendars']} 个年度" if counts["calendars"] else "")
    )
    for error in plan.errors:
        click.echo(f"  第 {error.line} 行（{error.key}）：{error.reason}", err=True)


for _kind in KINDS:

    @import_cli.command(_kind)
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--region", "region_code", required=True)
    @click.option("--dry-run", is_flag=True, help="show the preview only; write nothing")
    @click.option("--skip-bad", is_flag=True, help="write the good rows even when some rows are bad")
    def _import_command(path, region_code, dry_run, skip_bad, _kind=_kind) -> None:
        """Import FILE (xlsx or csv) into the region's directory."""
        _import(_kind, path, region_code, dry_run, skip_bad)


outbox_cli = click.Group("outbox", help="Deliver queued notices.")


@outbox_cli.command("run")
@click.option("--once", is_flag=True, help="deliver what is due now, then exit")
@click.option("--interval", default=None, type=float, help="seconds between polls")
def outbox_run(once: bool, interval: float | None) -> None:
    """Deliver due outbox messages through their region's adapters; loops unless --once."""

    def step(now: datetime) -> str:
        return f"投递通知：{run_outbox_once(now, relay_settings(current_app))}"

    poll(step, "outbox", clock=lambda: _now(None), once=once, pause=interval or _interval(), echo=click.echo)


exchange_cli = click.Group("exchange", help="Exchange with the 12345 centre and the upper platforms.")


@exchange_cli.command("replay")
@click.option("--region", "region_code", required=True)
@click.option("--since", default=None, help="ISO instant: cases closed since then (default: all finished cases)")
@click.option("--case", "case_no", default=None, help="one case number")
def exchange_replay(region_code: str, since: str | None, case_no: str | None) -> None:
    """Queue the handling results (整改结果) of finished cases for the region's upper platform again."""
    try:
        count = replay_results(
            get_region(region_code), _now(since) if since else None, case_no, Actor.system("cli"), _now(None)
        )
        db.session.commit()
    except DomainError as err:
        _fail(err)
    click.echo(f"已重新排队上报整改结果：{count} 件")


access_cli = click.Group("access", help="Who may do what.")


@access_cli.command("matrix")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=PERMISSIONS_DOC, show_default=True)
def access_matrix(output: Path) -> None:
    """Write the permission table (actions x roles, the scope in each cell) as Markdown."""
    output.write_text(matrix_markdown(), encoding="utf-8")
    click.echo(f"已写入 {output}")


audit_cli = click.Group("audit", help="The hash-chained audit log: verify, checkpoint.")


def _audit_key() -> bytes:
    key = current_app.config.get("AUDIT_CHECKPOINT_KEY")
    if not key:
        raise click.ClickException("未配置 AUDIT_CHECKPOINT_KEY（审计检查点签名密钥）")
    return key.encode("utf-8")


@audit_cli.command("verify")
@click.option("--all", "every", is_flag=True, help="verify every chain (case, region, evaluation, service record)")
@click.argument("chains", nargs=-1)
def audit_verify(every: bool, chains: tuple[str, ...]) -> None:
    """Verify audit chains against their hashes, head rows and the latest signed checkpoint; exit 1 on any break."""
    if not every and not chains:
        raise click.UsageError("请给出审计链名（如 case:12），或使用 --all")
    names = audit.all_chains() if every else list(chains)
    with click.progressbar(length=len(names), label="校验审计链", file=sys.stderr) as bar:
        broken = audit.verify_all(_audit_key(), names, progress=lambda _chain: bar.update(1))
    for chain, breaks in broken.items():
        for b in breaks:
            click.echo(f"{chain} 第 {b.seq} 条：{b.reason}")
    if broken:
        raise click.ClickException(f"{len(broken)} 条审计链被破坏（共校验 {len(names)} 条）")
    click.echo(f"已校验 {len(names)} 条审计链，全部完好")


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign and store every chain's current head (run periodically, e.g. hourly from cron)."""
    checkpoint = audit.write_checkpoint(_audit_key(), _now(None))
    db.session.commit()
    click.echo(f"已写入检查点 #{checkpoint.id}，含 {len(checkpoint.heads)} 条审计链的链头")


@audit_cli.command("export-checkpoint")
@click.option("--id", "checkpoint_id", type=int, default=None, help="default: the latest")
def audit_export_checkpoint(checkpoint_id: int | None) -> None:
    """Print a signed checkpoint as JSON, for an outside notary."""
    from casemgmt.models import AuditCheckpoint

    checkpoint = db.session.get(AuditCheckpoint, checkpoint_id) if checkpoint_id else audit.latest_checkpoint()
    if checkpoint is None:
        raise click.ClickException("没有检查点：先运行 flask audit checkpoint")
    click.echo(json.dumps(audit.checkpoint_json(checkpoint), ensure_ascii=False, indent=2, sort_keys=True))


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (
        migrate_command,
        seed_command,
        users_cli,
        tokens_cli,
        timers_cli,
        calendar_cli,
        access_cli,
        audit_cli,
        rules_cli,
        import_cli,
        outbox_cli,
        exchange_cli,
    ):
        app.cli.add_command(command)
