"""The national library as tests/bpmn reads it: its files and conventions, the library merged into one document,
and the driver that runs a case in plain SpiffWorkflow.

Plain SpiffWorkflow (not the product's engine) on purpose: the diagram is data that administrators copy and
edit, and these tests pin what it means on its own. Two facts of SpiffWorkflow 3.2.0 shape the driver below:
- `CamundaParser` turns `serviceTask` into the default `ServiceTask`, whose run returns None: the task stops
  in STARTED, like an external task waiting for its worker. The driver completes it, recording its topic.
- The stock serializer has no converter for that `ServiceTask`; the driver registers the plain one.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.util.task import TaskState

from casemgmt.forms import validate_form

ROOT = Path(__file__).resolve().parents[2]
NATIONAL = ROOT / "bpmn" / "national"
DIAGRAM = NATIONAL / "bad_review.bpmn"
FILES = sorted(NATIONAL.glob("*.bpmn"))
SETTINGS = json.loads((NATIONAL / "settings.json").read_text("utf-8"))
FORMS = ROOT / "forms"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
}
CAMUNDA = "{" + NS["camunda"] + "}"
ROLES = {"officer", "supervisor", "coordinator", "admin", "auditor"}
OPERATIONS = {
    "notify_unit",
    "notify_evaluator",
    "notify_supervisor",
    "open_ledger",
    "revoke_review",
    "close_case",
    "transfer_discipline",
    "record_callback",
    "close_ledger",
    "decide_extension",
    "open_consultation",
    "record_consultation_reply",
    "merge_consultation",
    "rule_appeal",
}
#: variables set by operations rather than forms, which conditions may test
OPERATION_VARIABLES = {"revoked"}
CASE_DATA = {
    "case_id": 1,
    "case_no": "ZG-2025-000001",
    "region": "national",
    "level": "very_dissatisfied",
    "is_real_name": True,
    "reasons": ["等候时间长"],
    "item_code": "000123",
    "channel": "window",
    "handling_org": "hall-1",
    "supervisor_org": "reform-office",
    "coordinator_org": "service-centre",
    "settings": SETTINGS,
    "revoked": False,
    "handling": None,
}
FUNCTIONS = {"workdays", "calendar_days", "hours", "len", "min", "max", "abs", "round", "int", "float", "str"} | {
    "bool",
    "any",
    "all",
    "sorted",
}
#: the user tasks other code and regional overrides refer to, by id
USER_TASKS = {
    "Task_Callback": ("回访核实", "callback_verification", "officer", "${workdays(settings['callback_workdays'])}"),
    "Task_Supervise": ("督办", "supervision", "supervisor", "${workdays(1)}"),
    "Task_CallbackRetry": ("再次回访", "callback_attempt", "officer", "${workdays(1)}"),
    "Task_RevocationReview": (
        "撤销审核",
        "revocation_review",
        "coordinator",
        "${workdays(settings['revocation_review_workdays'])}",
    ),
    "Task_HandlingChoice": ("确定整改方式", "handling_choice", "officer", "${workdays(1)}"),
    "Task_ImmediateFix": ("立行立改", "immediate_fix", "officer", "${workdays(1)}"),
    "Task_PlatformFix": ("平台建设单位优化系统功能", "platform_fix", "officer", "${workdays(5)}"),
    "Task_Rectification": (
        "限期整改",
        "rectification",
        "officer",
        "${workdays(settings['rectification_workdays'] or rectification_workdays)}",
    ),
    "Task_ExtensionApproval": (
        "延期审批",
        "extension_approval",
        "coordinator",
        "${workdays(settings['extension_approval_workdays'])}",
    ),
    "Task_Explanation": ("解释说明", "explanation", "officer", "${workdays(1)}"),
    "Task_ConveneConsultation": ("发起会商", "consultation_convene", "officer", "${workdays(1)}"),
    "Task_ConsultationReply": (
        "会商意见",
        "consultation_reply",
        "officer",
        "${workdays(settings['consultation_reply_workdays'])}",
    ),
    "Task_ConsultationAnswer": (
        "会商结论（牵头部门）",
        "consultation_conclusion",
        "officer",
        "${workdays(max(0, settings['consultation_workdays'] - consultation_elapsed_workdays))}",
    ),
    "Task_AppealReview": (
        "申诉复核（政务服务主管部门）",
        "appeal_review",
        "coordinator",
        "${workdays(settings['appeal_review_workdays'])}",
    ),
    "Task_Feedback": ("反馈评价人", "feedback", "officer", "${workdays(settings['feedback_workdays'])}"),
    "Task_DissatisfactionReview": ("不满意复核", "dissatisfaction_review", "supervisor", "${workdays(3)}"),
}
#: officer tasks seen by another org than the handling unit, and tasks of one role seen by another role's org
CANDIDATE_ORGS = {
    "Task_ConsultationReply": "consult_org",
    "Task_PlatformFix": "platform_builder_org",
    "Task_ExtensionApproval": "supervisor_org",
}
TIMERS = {"Timer_CallbackOverdue": "Task_Callback", "Timer_RectificationOverdue": "Task_Rectification"}
SAMPLE_DATA = {
    "callback_verification": {
        "callback_result": "reached",
        "callback_at": "2025-10-09T10:00:00+08:00",
        "facts": "评价人反映窗口等候时间过长，调取叫号记录核实属实。",
        "evidence": [{"id": 1, "name": "叫号记录.pdf"}],
    },
    "revocation_review": {"opinion": "证据充分。", "reported_to": ["reform_office", "efficiency_office"]},
    "handling_choice": {"handling_reason": "撤销未获同意，按属实办理。"},
    "immediate_fix": {"fix_measures": "增开窗口。", "fixed_at": "2025-10-10T09:00:00+08:00"},
    "rectification": {
        "rectification_measures": "优化叫号系统。",
        "rectified": True,
        "rectified_at": "2025-10-20T09:00+08:00",
    },
    "explanation": {"explanation": "该事项须本人到场办理。", "legal_basis": "《某某条例》第十条"},
    "feedback": {
        "feedback_content": "已告知整改结果。",
        "feedback_channel": "phone",
        "feedback_at": "2025-10-21T10:00Z",
    },
    "dissatisfaction_review": {"review_opinion": "办理结果恰当。"},
    "supervision": {"supervision_method": "urge", "supervision_opinion": "请于明日前办结。"},
}


def _xml() -> etree._ElementTree:
    """Return the library as one document: every process's elements under bad_review, without drawings.

    Element ids are unique across the library (deployment refuses duplicates), so the merge loses nothing.
    """
    tree = etree.parse(str(DIAGRAM))
    root = tree.getroot()
    main = root.find("bpmn:process[@id='bad_review']", NS)
    for diagram in root.findall("bpmndi:BPMNDiagram", NS):
        root.remove(diagram)
    for path in FILES:
        if path == DIAGRAM:
            continue
        other = etree.parse(str(path)).getroot()
        for message in other.findall("bpmn:message", NS):
            root.insert(0, copy.deepcopy(message))
        for process in other.findall("bpmn:process", NS):
            for child in process:
                if etree.QName(child).localname != "documentation":
                    main.append(copy.deepcopy(child))
    return tree


def _process(tree: etree._ElementTree) -> etree._Element:
    return tree.find("bpmn:process[@id='bad_review']", NS)


def _expr(text: str) -> str:
    text = text.strip()
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


class FakeClock:
    """The instant both the deadline functions and SpiffWorkflow's timers read."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def deadline(self, n: int) -> str:
        return (self.now + timedelta(days=n)).isoformat()


class Case:
    """One bad-review workflow, saved and restored around every action as the product does."""

    def __init__(self, spec, topics_by_id: dict[str, str], forms: dict[str, dict], clock: FakeClock) -> None:
        functions = {"workdays": clock.deadline, "calendar_days": clock.deadline, "hours": clock.deadline}
        self.engine = PythonScriptEngine(environment=TaskDataEnvironment(functions))
        self.topics_by_id, self.forms = topics_by_id, forms
        config = dict(DEFAULT_CONFIG)
        config[ServiceTask] = BpmnTaskSpecConverter
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
        self.wf = BpmnWorkflow(spec[0], spec[1], script_engine=self.engine)
        for task in self.wf.get_tasks(state=TaskState.READY):
            task.set_data(**CASE_DATA)
        self.topics: list[str] = []
        self.done_tasks: list[str] = []
        self.advance()

    def advance(self) -> None:
        """Fire due timers and run to the next wait state, doing each operation as its worker would."""
        self.wf.refresh_timers()
        self.wf.do_engine_steps()
        while started := self._waiting_operations():
            for task in started:
                topic = self.topics_by_id[task.task_spec.bpmn_id]
                self.topics.append(topic)
                if topic == "revoke_review":  # what the product's operation answers
                    task.data["revoked"] = True
                task.complete()
            self.wf.do_engine_steps()
        self._save_and_restore()

    def _waiting_operations(self) -> list:
        return [t for t in self.wf.get_tasks(state=TaskState.STARTED) if isinstance(t.task_spec, ServiceTask)]

    def _save_and_restore(self) -> None:
        self.wf = self.serializer.deserialize_json(self.serializer.serialize_json(self.wf))
        self.wf.script_engine = self.engine

    def ready(self) -> list[str]:
        """Return the names of the READY user tasks."""
        tasks = self.wf.get_tasks(state=TaskState.READY)
        return sorted(t.task_spec.bpmn_name for t in tasks if isinstance(t.task_spec, UserTask))

    def complete(self, name: str, **fields) -> None:
        """Fill the task's form (sample values plus `fields`), validate it like the API does, and run on."""
        [task] = [t for t in self.wf.get_tasks(state=TaskState.READY) if t.task_spec.bpmn_name == name]
        key = task.task_spec.form.key
        data = validate_form(self.forms[key], {**SAMPLE_DATA.get(key, {}), **fields})
        task.set_data(**data)
        task.run()
        self.done_tasks.append(name)
        self.advance()

    def task_state(self, bpmn_id: str) -> str:
        """Return the state name of the newest task of an element."""
        tasks = [t for t in self.wf.get_tasks() if t.task_spec.bpmn_id == bpmn_id]
        return TaskState.get_name(tasks[-1].state)

    def reached(self, bpmn_id: str) -> bool:
        return any(t.task_spec.bpmn_id == bpmn_id for t in self.wf.get_tasks(state=TaskState.COMPLETED))
