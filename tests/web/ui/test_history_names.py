"""The case history reads as sentences with names: no event kind, unit, role, step, topic or level code shows."""

import ast
import re
from pathlib import Path

from babel.support import Translations

from casemgmt.models import ServiceRecordStatus
from tests.regions.helpers import callback, complete, do, task
from web.ui.labels import EVENT_LABELS, TOPIC_LABELS

ROOT = Path(__file__).resolve().parents[3]
#: calls whose first argument is an audit event kind
RECORDERS = {"record", "_audit", "task_event"}


def _emitted_kinds() -> set[str]:
    kinds: set[str] = set()
    for path in (ROOT / "casemgmt").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in RECORDERS:
                continue
            kinds |= _strings(node.args[1] if name == "_audit" and len(node.args) > 1 else node.args[0], path)
    return kinds


def _strings(arg: ast.expr, path: Path) -> set[str]:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return {arg.value}
    if isinstance(arg, ast.IfExp):
        return _strings(arg.body, path) | _strings(arg.orelse, path)
    if isinstance(arg, ast.JoinedStr):  # f"rating_{record.status}"
        return {f"rating_{s.value}" for s in ServiceRecordStatus}
    return set()  # a parameter passed through (kind): its callers are walked too


def _translations() -> Translations:
    return Translations.load(str(ROOT / "web" / "translations"), ["zh_Hans_CN"])


def test_every_event_kind_the_code_can_emit_has_a_name_in_both_languages():
    kinds = _emitted_kinds()
    assert {"case_opened", "task_created", "extension_requested", "rating_defaulted", "outbox_paused"} <= kinds
    missing = sorted(kinds - set(EVENT_LABELS))
    assert not missing, f"event kinds without a name: {missing}"
    zh = _translations()
    untranslated = [k for k in kinds if zh.gettext(EVENT_LABELS[k]._args[0]) == EVENT_LABELS[k]._args[0]]
    assert not untranslated, f"event names without a Chinese translation: {untranslated}"


def test_every_topic_a_diagram_may_call_has_a_name_in_both_languages():
    from casemgmt.topics import topic_names

    assert topic_names() <= set(TOPIC_LABELS), sorted(topic_names() - set(TOPIC_LABELS))
    zh = _translations()
    assert all(zh.gettext(v._args[0]) != v._args[0] for v in TOPIC_LABELS.values())


def _timeline(page: str) -> str:
    block = re.search(r'<ol class="timeline">.*?</ol>', page, re.S).group(0)
    block = re.sub(r'title="[^"]*"', "", block)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block))


def _extended_case(api, clock) -> int:
    clock.set("2025-12-10T10:00:00+08:00")
    cid = api.bad_review("liaoning", evaluated_at="2025-12-10T10:00:00+08:00")["case_id"]
    do(api, cid, "ln-officer", "Task_Callback", callback("ledger"))
    clock.set("2025-12-29T10:00:00+08:00")
    data = {"extension_workdays": 5, "extension_reason": "需协调省级系统改造"}
    assert api.post(f"/api/v1/cases/{cid}/extension-requests", "ln-officer", json={"data": data}).status_code == 201
    approval = task(api, cid, "ln-sy-coordinator", "Task_ExtensionApproval")
    clock.set("2025-12-30T10:00:00+08:00")
    decision = {"extension_approved": True, "extension_opinion": "同意，限期完成"}
    complete(api, approval["id"], "ln-sy-coordinator", decision)
    return cid


BARE_CODES = (
    "very_dissatisfied",
    "ln-sy-scjg",
    "Task_Callback",
    "Task_Rectification",
    "timer",
    "notify_unit",
    "notify_evaluator",
    "open_ledger",
    "record_callback",
    "extension_requested",
    "decide_extension",
    "task_created",
    "LN-0001",
)


def test_the_history_says_what_happened_in_sentences_with_names_and_the_extensions_values(api, clock, ui):
    cid = _extended_case(api, clock)
    auditor = ui("ln-auditor")
    history = _timeline(auditor.get(f"/cases/{cid}").text)
    shown = [code for code in BARE_CODES if code in history]
    assert not shown, f"bare codes in the history: {shown}"
    assert not re.search(r"(?<![\w-])(officer|coordinator|supervisor)(?![\w-])", history)
    assert "收到对“企业设立登记”的“非常不满意”评价" in history
    assert "交沈阳市市场监督管理局窗口的承办人办理，期限 2025-12-11" in history
    assert "王晓明申请将“限期整改”延期 5 个工作日（原期限 2025-12-31）。理由：需协调省级系统改造" in history
    assert "钱进同意“限期整改”延期 5 个工作日：期限由 2025-12-31 延至 2026-01-08。意见：同意，限期完成" in history
    assert "登记整改台账" in history and "通知承办单位" in history and "登记整改台账：整改期限取参数" not in history


def test_the_history_in_english_mode_shows_english_names(api, clock, ui):
    cid = _extended_case(api, clock)
    auditor = ui("ln-auditor")
    auditor.get("/lang/en")
    history = _timeline(auditor.get(f"/cases/{cid}").text)
    assert "Extension requested" in history and "Notify the handling unit" in history
    assert "approved 5 more working days for “限期整改”: due 2025-12-31 becomes 2026-01-08" in history
    assert "Handling officer" in history and "extension_requested" not in history


def test_the_case_pages_notices_name_the_unit_and_the_kind(api, ui):
    case = api.bad_review()
    page = ui("ln-auditor").get(f"/cases/{case['case_id']}").text
    notices = re.search(r'<section class="panel" id="notices">.*?</section>', page, re.S).group(0)
    assert "沈阳市市场监督管理局窗口" in notices and "新工单通知" in notices
    assert ">ln-sy-scjg" not in notices and "assigned" not in _timeline_free(notices)


def _timeline_free(html: str) -> str:
    return re.sub(r'class="[^"]*"', "", html)
