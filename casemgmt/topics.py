"""The registry of named topics that service tasks in diagrams may call.

Each adapter lives beside the operation it calls (a ledger topic in `casework/ledger.py`, a notice in
`notices/operations.py`) and registers itself with `@topic`. The registry imports none of them: an
operation that delivers a BPMN message runs the engine, which calls topics again, so the modules are
loaded by name on first use (PROVIDERS) instead of imported here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from casemgmt import audit
from casemgmt.actor import Actor
from casemgmt.models import Case


@dataclass
class TopicContext:
    case: Case
    actor: Actor
    now: datetime
    #: (task element, ISO instant): boundary timers the run moves once its engine steps are done
    timer_moves: list[tuple[str, str]] = field(default_factory=list)


TopicFn = Callable[[TopicContext, dict, dict], dict | None]
#: modules whose adapters register topics
PROVIDERS = (
    "casemgmt.notices.operations",
    "casemgmt.cases.operations",
    "casemgmt.casework.callbacks",
    "casemgmt.casework.ledger",
    "casemgmt.casework.revocation",
    "casemgmt.casework.appeals",
    "casemgmt.casework.extension_requests",
    "casemgmt.casework.consultation",
    "casemgmt.casework.transfers",
    "casemgmt.rules.regions",
)
_REGISTRY: dict[str, TopicFn] = {}
_DESCRIPTIONS: dict[str, str] = {}


def topic(name: str, description: str) -> Callable[[TopicFn], TopicFn]:
    """Register a function as the adapter a service task's topic names."""

    def register(fn: TopicFn) -> TopicFn:
        _REGISTRY[name] = fn
        _DESCRIPTIONS[name] = description
        return fn

    return register


def _loaded() -> dict[str, TopicFn]:
    for module in PROVIDERS:
        importlib.import_module(module)
    return _REGISTRY


def topic_names() -> set[str]:
    """Return the names diagrams may use as service-task topics."""
    return set(_loaded())


def descriptions() -> dict[str, str]:
    """Return what each topic does, in Chinese, for administrators choosing one."""
    _loaded()
    return dict(_DESCRIPTIONS)


def call(ctx: TopicContext, name: str, data: dict, params: dict) -> dict | None:
    """Run a topic's adapter and write its audit event."""
    result = _loaded()[name](ctx, data, params)
    audit.record(
        "operation",
        actor=ctx.actor,
        at=ctx.now,
        region_id=ctx.case.region_id,
        case_id=ctx.case.id,
        definition_id=ctx.case.definition_id,
        payload={"operation": name, "params": params, "result": result or {}},
    )
    return result
