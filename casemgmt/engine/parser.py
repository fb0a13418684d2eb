"""SpiffWorkflow's CamundaParser, taught the Camunda attributes Zhenggai needs."""

from __future__ import annotations

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask as ServiceTaskMixin
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import (
    CAMUNDA_MODEL_NS,
    CamundaTaskParser,
    UserTaskParser,
)
from SpiffWorkflow.camunda.specs.user_task import UserTask

CAMUNDA = "{" + CAMUNDA_MODEL_NS + "}"


class ZgUserTaskParser(UserTaskParser):
    """Keep candidateGroups and dueDate, which CamundaParser ignores, in the spec's extensions."""

    def parse_extensions(self, node=None) -> dict:
        extensions = super().parse_extensions(node)
        for attr in ("candidateGroups", "dueDate", "formKey"):
            value = self.node.get(CAMUNDA + attr)
            if value is not None:
                extensions["camunda:" + attr] = value
        return extensions


class OperationTask(ServiceTaskMixin, BpmnSpecMixin):
    """A service task that calls a named operation from the product's registry."""

    def __init__(self, wf_spec, bpmn_id, topic: str, params: dict, **kwargs) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.topic = topic
        self.params = params

    def _execute(self, task) -> bool:
        task.workflow.script_engine.call_service(task, operation=self.topic, params=self.params)
        return True


class OperationTaskParser(CamundaTaskParser):
    """Parse `<serviceTask camunda:type="external" camunda:topic="...">`."""

    def create_task(self) -> OperationTask:
        topic = self.node.get(CAMUNDA + "topic") or ""
        params = self.parse_extensions()
        return OperationTask(self.spec, self.bpmn_id, topic=topic, params=params, **self.bpmn_attributes)


class ZgParser(CamundaParser):
    """The one parser configuration the product uses; one instance per bundle version."""

    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (ZgUserTaskParser, UserTask),
        full_tag("serviceTask"): (OperationTaskParser, OperationTask),
    }
