"""The path a case took through its diagram: done, current and timed-out elements, for the audit view."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.engine.facade import engine
from casemgmt.models import AuditEvent, Case, HumanTask, ProcessDefinition, TaskStatus, User
from casemgmt.rules.bundles import bundle_of

MAIN_DIAGRAM = "bad_review.bpmn"
#: event kinds whose "element" was reached by a deadline passing
TIMEOUT_KINDS = ("task_overdue", "timer_fired", "escalated")


@dataclass(frozen=True)
class DiagramMarks:
    done: list[str]
    current: list[str]
    timed_out: list[str]

    def as_dict(self) -> dict[str, list[str]]:
        """Return the marks as JSON-ready lists."""
        return {"done": self.done, "current": self.current, "timed_out": self.timed_out}


def main_diagram(case: Case) -> str:
    """Return the BPMN XML of the main diagram of the version the case ran on."""
    files = case.definition.files
    return files.get(MAIN_DIAGRAM) or next(text for name, text in sorted(files.items()) if name.endswith(".bpmn"))


def diagram_marks(case: Case, tasks: list[HumanTask], events: list[AuditEvent]) -> DiagramMarks:
    """Return the elements to mark: finished ones, open tasks, and those reached because time ran out."""
    done, fired = _engine_path(case)
    done |= {t.element_id for t in tasks if t.status == TaskStatus.COMPLETED}
    done |= {str(e.payload.get("element")) for e in events if e.kind == "task_completed" and e.payload.get("element")}
    timed_out = fired | {t.element_id for t in tasks if t.escalated_at is not None}
    timed_out |= {str(e.payload["element"]) for e in events if e.kind in TIMEOUT_KINDS and e.payload.get("element")}
    current = {t.element_id for t in tasks if t.status == TaskStatus.OPEN}
    callers = _callers(case)
    current |= {call for element in current for call in callers.get(element, ())}
    timed_out |= {call for element in timed_out for call in callers.get(element, ())}
    return DiagramMarks(sorted(done - current), sorted(current), sorted(timed_out))


def _callers(case: Case) -> dict[str, set[str]]:
    """Map each element of a called process to the call activities of the main diagram that run it, so the
    main diagram marks the step a case is in even when the task itself sits in a called process. A process several
    steps call (督办, supervision.bpmn) marks none of them: its late task, open beside it, marks its own step."""
    if not case.definition.files or case.instance is None:
        return {}
    return {element: calls for element, calls in bundle_of(case.definition).callers().items() if len(calls) == 1}


def _engine_path(case: Case) -> tuple[set[str], set[str]]:
    """Read the stored workflow (without running it): completed elements, and timer events that fired."""
    instance = case.instance
    if instance is None or not instance.state:
        return set(), set()
    path = engine.path(bundle_of(case.definition), instance.state)
    return set(path.completed), set(path.timers_fired)


def definition_versions(ids: set[int]) -> dict[int, int]:
    """Return the version number of each deployed definition id."""
    if not ids:
        return {}
    stmt = select(ProcessDefinition.id, ProcessDefinition.version).where(ProcessDefinition.id.in_(ids))
    return dict(db.session.execute(stmt).all())


def display_names(usernames: set[str]) -> dict[str, str]:
    """Return the display name of each username that belongs to a user."""
    if not usernames:
        return {}
    stmt = select(User.username, User.display_name).where(User.username.in_(usernames))
    return dict(db.session.execute(stmt).all())
