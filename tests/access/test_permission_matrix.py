"""The permission matrix: every action x every role x a situation in or out of each scope, on real rows.

Each situation is a case with one task, built for the role under test, and says by hand which scopes it is in
(the case's unit, a task the user holds, the region...). `allowed` must answer what the table's cell says for
that situation, and `authorize` must refuse with 404 outside the region and 403 inside it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from casemgmt.access.matrix import matrix_markdown
from casemgmt.access.operations import create_user
from casemgmt.access.policy import CANDIDATE_ROLE_ACTIONS, POLICY, Action, Role, Scope, allowed, authorize
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.errors import NotFound, PermissionDenied
from casemgmt.models import ROLES, Case, Evaluation, HumanTask, Organization, ProcessInstance, User
from casemgmt.rules import bundles

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 9, 26, 2, 0, tzinfo=UTC)
#: the users under test sit in HOME; INSIDE and CONSULTED are below it, ELSEWHERE is beside it
HOME, INSIDE, CONSULTED, ELSEWHERE, FOREIGN = "ln-sy", "ln-sy-scjg", "ln-sy-zjj", "ln-dl-hall", "sm-scjg"
OWN, UNIT, REGION, NATIONAL, HOLDER = Scope.OWN, Scope.UNIT, Scope.REGION, Scope.NATIONAL, Scope.TASK_HOLDER
EVERY = OWN | UNIT | REGION | NATIONAL | HOLDER


@dataclass(frozen=True)
class Situation:
    """A case handled by `case_org` with one task at `task_org`; which of own, unit and task_holder each check finds.

    Every situation inside the region is also in the region (and national) scope; the other region only national.
    """

    name: str
    case_org: str | None
    task_org: str | None = None
    other_role: bool = False  # the task is offered to a role the user does not have
    assigned: bool = False  # the task is assigned to the user
    completed: bool = False  # the user completed the task
    case_in: Scope = Scope(0)  # checked against the case
    task_in: Scope = Scope(0)  # checked against the task
    org_in: Scope = Scope(0)  # checked against the case's handling unit

    @property
    def in_region(self) -> bool:
        return self.case_org != FOREIGN

    def found(self, kind: str) -> Scope:
        """Return every scope a check of this kind finds the situation in."""
        if not self.in_region:
            return NATIONAL
        return (
            REGION | NATIONAL | {"case": self.case_in, "task": self.task_in, "org": self.org_in, "region": EVERY}[kind]
        )


SITUATIONS = [
    Situation("anywhere", None),  # no object: may the user do the action at all?
    Situation("unit", INSIDE, INSIDE, case_in=UNIT | HOLDER, task_in=UNIT | HOLDER, org_in=UNIT),
    Situation("unit_other_role", INSIDE, INSIDE, other_role=True, case_in=UNIT, task_in=UNIT, org_in=UNIT),
    Situation("consulted", ELSEWHERE, CONSULTED, case_in=HOLDER, task_in=UNIT | HOLDER),
    Situation("own", ELSEWHERE, ELSEWHERE, assigned=True, case_in=HOLDER, task_in=OWN | HOLDER),
    Situation("held", ELSEWHERE, ELSEWHERE, completed=True, case_in=HOLDER, task_in=HOLDER),
    Situation("region", ELSEWHERE, ELSEWHERE),
    Situation("other_region", FOREIGN, FOREIGN),
]
#: what each action is checked against: its case, its task, a unit (ledger entries, statistics rows) or a region
OBJECT_OF = {
    "case": "case",
    "callback": "case",
    "extension": "case",
    "appeal": "case",
    "audit": "case",
    "task": "task",
    "ledger": "org",
    "stats": "org",
    "evaluation": "region",
    "service_record": "region",
    "rules": "region",
    "calendar": "region",
    "directory": "region",
    "outbox": "region",
    "notice": "org",
    "users": "region",
    "rating": "org",
}
#: actions checked on another object than their noun's: reads of evaluations and records go by their unit
OBJECT_OF_ACTION = {Action.EVALUATION_READ: "org", Action.SERVICE_RECORD_READ: "org"}


def object_of(action: Action) -> str:
    """Return what the action is checked with: case, task, org or region."""
    return OBJECT_OF_ACTION.get(action, OBJECT_OF[action.noun])


def expected(action: Action, role: Role, situation: Situation) -> bool:
    """Return what the table's cell says for the situation, read from the situation's declared scopes."""
    cell = POLICY[action].get(role)
    if cell is None:
        return False
    kind = object_of(action)
    if situation.case_org is None:
        return True
    if kind == "task" and action in CANDIDATE_ROLE_ACTIONS and situation.other_role:
        return False
    return bool(cell & situation.found(kind))


class World:
    """The users (one per role, in HOME, allowed to see personal data) and one case per situation and role."""

    def __init__(self) -> None:
        self.users = {role: self._user(role) for role in Role}
        self.cases: dict[tuple[str, Role], tuple[Case, HumanTask]] = {}
        for situation in SITUATIONS[1:]:
            for role in Role:
                self.cases[situation.name, role] = self._case(situation, role)
        db.session.commit()

    def _user(self, role: Role) -> User:
        return create_user(
            f"m-{role}", str(role), "liaoning", HOME, [role], Actor.system("test"), NOW, can_view_pii=True
        )

    def _org(self, code: str) -> Organization:
        return db.session.scalar(select(Organization).where(Organization.code == code))

    def _case(self, situation: Situation, role: Role) -> tuple[Case, HumanTask]:
        org = self._org(situation.case_org)
        n = len(self.cases) + 1
        evaluation = Evaluation(
            region_id=org.region_id,
            record_no=f"M-{n}",
            item_code="-",
            org_id=org.id,
            channel="window_device",
            level="very_dissatisfied",
            is_bad=True,
            evaluated_at=NOW,
            received_at=NOW,
        )
        definition = bundles.get_active(org.region_id)
        case = Case(
            case_no=f"M{n:06d}",
            region_id=org.region_id,
            evaluation=evaluation,
            handling_org=org,
            definition=definition,
            status="open",
            opened_at=NOW,
        )
        instance = ProcessInstance(case=case, definition=definition, state="", updated_at=NOW)
        db.session.add_all([evaluation, case, instance])
        db.session.flush()
        return case, self._task(situation, role, case, instance)

    def _task(self, situation: Situation, role: Role, case: Case, instance: ProcessInstance) -> HumanTask:
        org, user = self._org(situation.task_org), self.users[role]
        offered = (Role.SUPERVISOR if role == Role.OFFICER else Role.OFFICER) if situation.other_role else role
        row = HumanTask(
            case_id=case.id,
            instance_id=instance.id,
            region_id=case.region_id,
            spiff_task_id=str(uuid.uuid4()),
            element_id="Task_M",
            title="M",
            form_key="m",
            candidate_role=str(offered),
            candidate_org_id=org.id,
            candidate_org_path=org.path,
            assignee_id=user.id if situation.assigned else None,
            status="completed" if situation.completed else "open",
            completed_by_id=user.id if situation.completed else None,
            completed_at=NOW if situation.completed else None,
            created_at=NOW,
        )
        db.session.add(row)
        db.session.flush()
        return row

    def objects(self, action: Action, role: Role, situation: Situation) -> dict:
        """Return the keyword the action is checked with in the situation: case=, task=, org= or region_id=."""
        if situation.case_org is None:
            return {}
        case, task = self.cases[situation.name, role]
        return {
            "case": {"case": case},
            "task": {"task": task},
            "org": {"org": case.handling_org},
            "region": {"region_id": case.region_id},
        }[object_of(action)]


@pytest.fixture(scope="module")
def world(seeded_module_app) -> World:
    return World()


@pytest.mark.parametrize("situation", SITUATIONS, ids=[s.name for s in SITUATIONS])
@pytest.mark.parametrize("role", list(Role), ids=[str(r) for r in Role])
@pytest.mark.parametrize("action", list(Action), ids=[str(a) for a in Action])
def test_the_policy_answers_what_the_table_says(world, action, role, situation):
    user, objects = world.users[role], world.objects(action, role, situation)
    want = expected(action, role, situation)
    assert allowed(user, action, **objects) is want
    if want:
        authorize(user, action, **objects)
    else:
        refusal = NotFound if not situation.in_region and objects else PermissionDenied
        with pytest.raises(refusal):
            authorize(user, action, **objects)


def test_every_action_is_in_the_table_and_checked_against_a_known_object():
    assert set(POLICY) == set(Action)
    assert {action.noun for action in Action} <= set(OBJECT_OF)


def test_the_roles_are_the_models_roles_and_the_channel():
    assert [str(role) for role in Role] == [*ROLES, "channel"]


def test_revealing_an_evaluator_needs_the_personal_data_grant_on_top_of_the_table(world):
    case, _ = world.cases["unit", Role.AUDITOR]
    auditor = world.users[Role.AUDITOR]
    auditor.can_view_pii = False
    try:
        assert not allowed(auditor, Action.CASE_REVEAL_EVALUATOR, case=case)
        assert allowed(auditor, Action.CASE_READ, case=case)
    finally:
        auditor.can_view_pii = True


def test_a_disabled_account_may_do_nothing(world):
    case, _ = world.cases["unit", Role.COORDINATOR]
    coordinator = world.users[Role.COORDINATOR]
    coordinator.is_active = False
    try:
        assert not any(allowed(coordinator, action, case=case) for action in Action)
    finally:
        coordinator.is_active = True


def test_docs_permissions_md_is_the_table():
    written = (ROOT / "docs" / "PERMISSIONS.md").read_text(encoding="utf-8")
    assert written == matrix_markdown(), "docs/PERMISSIONS.md is stale: run `flask access matrix`"
