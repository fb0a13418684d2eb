"""The probe: every endpoint of app.url_map, as each Liaoning demo role, against another unit's and region's objects.

A 2xx where the permission table says no is a violation; listings must not show a case the user may not read.
The targets are a case of 大连 (another unit of the demo users' region) and a case of 三明 (another region).
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from sqlalchemy import select

from casemgmt.access.policy import Action, allowed
from casemgmt.access.queries import get_user
from casemgmt.db import db
from casemgmt.models import (
    Attachment,
    Case,
    HumanTask,
    LedgerEntry,
    Organization,
    OutboxMessage,
    OutboxState,
    Region,
    ServiceRecord,
    ServiceRecordStatus,
)
from casemgmt.notices.operations import queue_message
from tests.regions.helpers import callback, casework, do

ROLES = ("officer", "supervisor", "coordinator", "admin", "auditor", "channel")
#: endpoints with no object and nothing to leak
SKIP = {"static", "admin.static", "admin.vendor", "ui.bpmn_js", "ui.switch_language", "auth.login", "auth.logout"}
SKIP |= {"ui.home", "admin.home", "openapi.document", "openapi.docs"}  # no object: the published contract
SKIP |= {"stats.echarts"}  # no object: the ECharts files of the npm install
# a published report is a region's object: tests/stats/test_reports.py checks another region's is a 404
SKIP |= {"api.stats.get_stat_report_file", "stats.report_file"}
# public by design (no sign-in): published figures and reports only, tests/stats/test_public.py
SKIP |= {"public.region_stats", "public.report_file", "public.index"}
SKIP |= {"health.healthz"}  # no object: counts for the people who run it
SKIP |= {"rate.window", "rate.record_link", "rate.follow"}  # the evaluator's public pages: a window code or a token
SKIP |= {"ui.favicon"}  # no object: the site icon
#: each endpoint with an object: the actions that may let a user through (any of them) and what they act on
ACTIONS: dict[str, tuple[tuple[Action, ...], str]] = {
    "api.get_case": ((Action.CASE_READ,), "case"),
    "api.get_history": ((Action.CASE_READ,), "case"),
    "api.casework.get_casework": ((Action.CASE_READ,), "case"),
    "api.casework.post_appeal": ((Action.APPEAL_FILE,), "case"),
    "api.casework.post_callback": ((Action.CALLBACK_LOG,), "case"),
    "api.casework.post_extension_request": ((Action.EXTENSION_REQUEST,), "case"),
    "api.casework.post_transfer": ((Action.CASE_TRANSFER,), "case"),
    "api.casework.get_ledger_entry": ((Action.LEDGER_READ,), "ledger"),
    "api.casework.post_ledger_note": ((Action.LEDGER_NOTE,), "ledger"),
    "api.claim": ((Action.TASK_CLAIM,), "task"),
    "api.release": ((Action.TASK_RELEASE,), "task"),
    "api.complete": ((Action.TASK_COMPLETE,), "task"),
    "api.reassign": ((Action.TASK_REASSIGN,), "task"),
    "tasks.show": ((Action.CASE_READ,), "task_case"),
    "tasks.submit": ((Action.TASK_COMPLETE, Action.TASK_DRAFT), "task"),
    "tasks.claim": ((Action.TASK_CLAIM,), "task"),
    "tasks.release": ((Action.TASK_RELEASE,), "task"),
    "tasks.reassign": ((Action.TASK_REASSIGN,), "task"),
    "tasks.urge": ((Action.TASK_URGE,), "task"),
    "tasks.download": ((Action.CASE_READ,), "attachment"),
    "cases.show": ((Action.CASE_READ,), "case"),
    "cases.diagram": ((Action.CASE_READ,), "case"),
    "cases.dossier": ((Action.CASE_READ,), "case"),
    "cases.dossier_pdf": ((Action.CASE_READ,), "case"),
    "cases.printable": ((Action.CASE_READ,), "case"),
    "cases.comment": ((Action.CASE_COMMENT,), "case"),
    "cases.reveal": ((Action.CASE_REVEAL_EVALUATOR,), "case"),
    "cases.verify": ((Action.AUDIT_VERIFY,), "case"),
    "cases.retry_notice": ((Action.OUTBOX_MANAGE,), "case"),
    "casework.extension": ((Action.EXTENSION_REQUEST,), "case"),
    "casework.extension_preview": ((Action.EXTENSION_REQUEST,), "case"),
    "casework.request_extension": ((Action.EXTENSION_REQUEST,), "case"),
    "casework.appeal": ((Action.APPEAL_FILE,), "case"),
    "casework.file_appeal": ((Action.APPEAL_FILE,), "case"),
    "casework.transfer": ((Action.CASE_TRANSFER,), "case"),
    "casework.post_transfer": ((Action.CASE_TRANSFER,), "case"),
    "casework.log_callback": ((Action.CALLBACK_LOG,), "task_case"),
    "casework.ledger_entry": ((Action.LEDGER_READ,), "ledger"),
    "casework.add_ledger_note": ((Action.LEDGER_NOTE,), "ledger"),
    "casework.call": ((Action.CASE_CALL_EVALUATOR, Action.TASK_CLAIM), "task"),
    "notices.mark_read": ((Action.NOTICE_READ,), "notice"),
    "api.ratings.get_evaluation": ((Action.EVALUATION_READ,), "evaluation"),
    "api.ratings.get_service_record": ((Action.SERVICE_RECORD_READ,), "record"),
    "api.ratings.post_rating_link": ((Action.SERVICE_RECORD_REGISTER,), "record"),
    "rate_posters.poster": ((Action.RATING_POSTER,), "org"),
    "flags.decide": ((Action.RATING_FLAG_DECIDE,), "evaluation"),
}
#: endpoints keyed by a region: the actions by method
REGION_ACTIONS = {
    "api.calendar_due": (Action.CASE_READ, Action.RULES_READ, Action.TASK_CLAIM),
    "api.casework.get_region_settings": tuple(Action),
    "admin.directory.save_entry": (Action.DIRECTORY_IMPORT,),
    "admin.directory.template": (Action.DIRECTORY_IMPORT, Action.RULES_READ),
    "api.province.import_directory": (Action.DIRECTORY_IMPORT,),
    "api.province.retry_notice": (Action.OUTBOX_MANAGE,),
}
#: listings (no object): must not name a case the user may not read
LISTINGS = {
    "api.list_tasks",
    "api.casework.list_ledger",
    "api.casework.get_unit_stats",
    "api.stats.get_overview",
    "api.stats.get_ranking",
    "api.stats.get_hotspots",
    "api.stats.get_repeats",
    "api.stats.get_stat_cases",
    "api.stats.get_definitions",
    "api.stats.list_stat_reports",
    "api.stats.post_stat_report",
    "stats.reports",
    "stats.publish_report",
    "inbox.index",
    "inbox.claim_many",
    "inbox.load",
    "stats.dashboard",
    "stats.cases",
    "audit.search",
    "audit.export",
    "api.post_evaluation",
    "api.post_evaluation_batch",
    "api.casework.post_service_record",
    "api.exchange.post_ticket",
    "api.exchange.post_satisfaction",
    "audit.integrity",
    "casework.ledger",
    "casework.ledger_xlsx",
    "notices.index",
    "notices.mark_all_read",
    "flags.queue",
}
BODIES = {
    "api.complete": {"data": {}},
    "api.reassign": {"reason": "探测", "org_code": "ln-sy"},
    "tasks.reassign": {"reason": "探测", "org_code": "ln-sy"},
    "cases.comment": {"body": "探测"},
    "cases.reveal": {"reason": "探测"},
    "api.casework.post_transfer": {"reason": "探测"},
    "casework.post_transfer": {"reason": "探测"},
    "casework.log_callback": {"result": "reached", "attempted_at": "2025-09-29T10:00", "note": "探测"},
    "api.casework.post_ledger_note": {"body": "探测"},
    "casework.add_ledger_note": {"note": "探测"},
    "flags.decide": {"decision": "dismissed", "note": "探测"},
}


class Targets:
    """One case in another unit of Liaoning and one in Sanming, each with an open task, a file and a ledger entry."""

    def __init__(self, api, clock) -> None:
        clock.set("2025-09-29T10:00:00+08:00")
        at = "2025-09-29T10:00:00+08:00"
        self.cases = {
            "unit": api.bad_review(record_no="DL-PROBE", org_code="ln-dl-hall", evaluated_at=at)["case_id"],
            "region": api.bad_review("sanming", record_no="SM-PROBE", evaluated_at=at)["case_id"],
        }
        ledger_case = api.bad_review("sanming", record_no="SM-LEDGER", evaluated_at=at)["case_id"]
        do(api, ledger_case, "sm-officer", "Task_Callback", callback("ledger"))
        self.ledger = {"region": casework(api, ledger_case, "sm-auditor")["ledger"][0]["id"]}
        self.case_nos = {}
        self.attachments = {}
        self.messages = {}
        #: the internal notice each target case sent its handling unit (notify_unit)
        self.notices = {}
        self.records = {}
        for where, case_id in self.cases.items():
            case = db.session.get(Case, case_id)
            self.case_nos[where] = case.case_no
            self.attachments[where] = self._attachment(case)
            self.messages[where] = self._notice(case)
            self.notices[where] = db.session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.case_id == case.id, OutboxMessage.channel == "internal")
            )
            self.records[where] = self._record(case)
        db.session.commit()

    def _attachment(self, case: Case) -> int:
        row = Attachment(
            case_id=case.id,
            field="evidence",
            name="probe.pdf",
            content_type="application/pdf",
            size=5,
            sha256="0" * 64,
            content=b"%PDF-",
            uploaded_by_id=get_user("ln-admin" if case.region.code == "liaoning" else "sm-admin").id,
            uploaded_at=case.opened_at,
        )
        db.session.add(row)
        db.session.flush()
        return row.id

    def _record(self, case: Case) -> int:
        evaluation = case.evaluation
        row = ServiceRecord(
            region_id=case.region_id,
            record_no=evaluation.record_no,
            item_code=evaluation.item_code,
            org_id=evaluation.org_id,
            channel="window_device",
            completed_at=case.opened_at,
            status=ServiceRecordStatus.AWAITING,
            registered_at=case.opened_at,
        )
        db.session.add(row)
        db.session.flush()
        return row.id

    def _notice(self, case: Case) -> int:
        row = queue_message(case, "sms", "13800001008", "探测", case.opened_at)
        row.state = OutboxState.DEAD
        db.session.flush()
        return row.id

    def task_id(self, where: str) -> int:
        """Return an open task of the target (the first, by id), or any task of it when none is open."""
        rows = db.session.scalars(
            select(HumanTask).where(HumanTask.case_id == self.cases[where]).order_by(HumanTask.status, HumanTask.id)
        ).all()
        return next((t.id for t in rows if t.status == "open"), rows[0].id)


def _path(rule, where: str, targets: Targets, region_code: str) -> str | None:
    values = {}
    for name in rule.arguments:
        if name == "case_id":
            values[name] = targets.cases[where]
        elif name == "task_id":
            values[name] = targets.task_id(where)
        elif name == "attachment_id":
            values[name] = targets.attachments[where]
        elif name == "entry_id":
            if where not in targets.ledger:
                return None
            values[name] = targets.ledger[where]
        elif name in ("region", "code"):
            values[name] = region_code
        elif name in ("number", "old", "new"):
            values[name] = 1
        elif name == "key":
            values[name] = "callback"
        elif name in ("name", "filename", "package"):
            values[name] = "process.bpmn"
        elif name == "kind":
            values[name] = "orgs"
        elif name == "ext":
            values[name] = "csv"
        elif name == "message_id":
            values[name] = targets.messages[where]
        elif name == "notice_id":
            values[name] = targets.notices[where]
        elif name == "evaluation_id":
            values[name] = db.session.get(Case, targets.cases[where]).evaluation_id
        elif name == "record_id":
            values[name] = targets.records[where]
        elif name == "org_id":
            values[name] = db.session.get(Case, targets.cases[where]).evaluation.org_id
        elif name == "document":
            values[name] = "callback-record"
        else:
            raise AssertionError(f"the probe does not know the argument {name} of {rule.rule}")
    return rule.build(values, append_unknown=False)[1]


def _may(user, endpoint: str, where: str, targets: Targets) -> bool:
    """Tell whether the table lets the user do what the endpoint does to the target."""
    actions, kind = ACTIONS[endpoint]
    if kind == "notice":
        message = db.session.get(OutboxMessage, targets.notices[where])
        unit = db.session.scalar(
            select(Organization).where(
                Organization.region_id == message.region_id, Organization.code == message.recipient
            )
        )
        return any(allowed(user, action, org=unit) for action in actions)
    if kind == "ledger":
        obj = {"org": db.session.get(LedgerEntry, targets.ledger[where]).org}
    elif kind in ("task", "task_case"):
        task = db.session.get(HumanTask, targets.task_id(where))
        obj = {"task": task} if kind == "task" else {"case": task.case}
    elif kind in ("evaluation", "record", "org"):
        obj = {"org": db.session.get(Case, targets.cases[where]).evaluation.org}
    elif kind == "attachment":
        obj = {"case": db.session.get(Case, db.session.get(Attachment, targets.attachments[where]).case_id)}
    else:
        obj = {"case": db.session.get(Case, targets.cases[where])}
    return any(allowed(user, action, **obj) for action in actions)


def _region_action(endpoint: str, method: str) -> tuple[Action, ...]:
    if endpoint in REGION_ACTIONS:
        return REGION_ACTIONS[endpoint]
    if "calendar" in endpoint:
        return (Action.CALENDAR_EDIT, Action.RULES_READ) if method == "GET" else (Action.CALENDAR_EDIT,)
    if "migrat" in endpoint:
        return (Action.RULES_MIGRATE,)
    return (Action.RULES_READ,) if method == "GET" else (Action.RULES_DEPLOY, Action.RULES_MIGRATE)


@pytest.fixture
def targets(api, clock) -> Targets:
    return Targets(api, clock)


def _text(response) -> str:
    """Return what a response shows: its text, or every cell of an xlsx workbook."""
    data = response.get_data()
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return "".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    return data.decode()


def _call(api, browsers, user: str, endpoint: str, method: str, path: str):
    body = BODIES.get(endpoint)
    if path.startswith("/api/"):
        return api.call(method, path, user, json=body if method == "POST" else None)
    browser = browsers[user]
    if browser is None:
        return None
    return browser.get(path) if method == "GET" else browser.post(path, body or {})


def test_no_endpoint_lets_a_role_past_the_table(app, api, ui, targets):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in SKIP]
    browsers = {}
    for role in ROLES:
        user = f"ln-{role}"
        try:
            browsers[user] = ui(user)
        except AssertionError:  # a machine account has no browser sign-in
            browsers[user] = None
    requests = violations = 0
    found: list[str] = []
    for rule in sorted(rules, key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for where, region_code in (("unit", "liaoning"), ("region", "sanming")):
                path = _path(rule, where, targets, region_code)
                if path is None:
                    continue
                for role in ROLES:
                    user = f"ln-{role}"
                    response = _call(api, browsers, user, rule.endpoint, method, path)
                    if response is None:
                        continue
                    requests += 1
                    ok = 200 <= response.status_code < 300
                    me = get_user(user)
                    if rule.endpoint in LISTINGS:
                        text = _text(response)
                        shown = [w for w, no in targets.case_nos.items() if ok and no in text]
                        may = [
                            w
                            for w in shown
                            if allowed(me, Action.CASE_READ, case=db.session.get(Case, targets.cases[w]))
                        ]
                        bad = set(shown) - set(may)
                    elif rule.endpoint in ACTIONS:
                        bad = ok and not _may(me, rule.endpoint, where, targets)
                    else:
                        assert {"region", "code"} & set(rule.arguments), f"the probe has no oracle for {rule.endpoint}"
                        region_id = db.session.scalar(select(Region.id).where(Region.code == region_code))
                        actions = _region_action(rule.endpoint, method)
                        bad = ok and not any(allowed(me, a, region_id=region_id) for a in actions)
                    db.session.remove()
                    if bad:
                        violations += 1
                        found.append(f"{user} {method} {path} -> {response.status_code}")
    print(f"violations {violations} of {requests}")
    assert requests > 500
    assert not found, found


def test_an_officer_cannot_complete_a_case_neither_can_see(api, targets):
    """The probe's chain: a supervisor pulls a Dalian task to Shenyang, then an officer there completes it."""
    task_id = targets.task_id("unit")
    moved = api.post(f"/api/v1/tasks/{task_id}/reassign", "ln-supervisor", json={"reason": "x", "org_code": "ln-sy"})
    assert moved.status_code == 403
    assert api.post(f"/api/v1/tasks/{task_id}/claim", "ln-officer").status_code == 403
    done = api.post(f"/api/v1/tasks/{task_id}/complete", "ln-officer", json={"data": callback("ledger")})
    assert done.status_code == 403
    assert api.get(f"/api/v1/cases/{targets.cases['unit']}", "ln-officer").status_code == 403
    assert re.search(r"^\d+$", str(task_id))
