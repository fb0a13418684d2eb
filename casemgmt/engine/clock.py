"""The engine's clock: SpiffWorkflow's timers read `now` from the run's injected instant."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

_NOW: ContextVar[datetime | None] = ContextVar("zhenggai_engine_now", default=None)


class _InjectedDatetime(datetime):
    """`datetime` whose now() answers the instant of the current engine run."""

    @classmethod
    def now(cls, tz=None):  # noqa: D102 - mirrors datetime.now
        injected = _NOW.get()
        if injected is None:
            return super().now(tz)
        value = cls.fromtimestamp(injected.timestamp(), tz=UTC)
        return value.astimezone(tz) if tz else value.replace(tzinfo=None)


spiff_timer.datetime = _InjectedDatetime


@contextlib.contextmanager
def engine_clock(now: datetime) -> Iterator[None]:
    """Run the engine as if the time were `now` (an aware instant)."""
    if now.tzinfo is None:
        raise ValueError("the engine clock needs an aware datetime")
    token = _NOW.set(now)
    try:
        yield
    finally:
        _NOW.reset(token)
