"""`flask timers run` and `flask outbox run` share one poll loop: a step at the clock's instant, the worker's
heartbeat, a line of output, then a pause of --interval seconds (time.sleep is replaced here: tests never sleep)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import OutboxMessage, OutboxState, WorkerHeartbeat


class Stop(Exception):
    """Ends the loop from the replaced sleep."""


def _beats() -> dict[str, object]:
    db.session.remove()
    return {row.name.rsplit(":", 1)[1]: row.beat_at for row in db.session.scalars(select(WorkerHeartbeat))}


def test_outbox_run_once_delivers_and_stamps_its_heartbeat(api, clock):
    case_id = api.bad_review()["case_id"]
    result = api.app.test_cli_runner().invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "投递通知：1"  # the internal notice, into the staff's 通知 list
    state = db.session.scalar(select(OutboxMessage.state).where(OutboxMessage.case_id == case_id))
    assert state == OutboxState.SENT and _beats() == {"outbox": clock.now}


@pytest.mark.parametrize("command", ["timers", "outbox"])
def test_both_commands_poll_again_after_the_interval_until_stopped(seeded_app, clock, monkeypatch, command):
    pauses = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        clock.set(clock.now + timedelta(seconds=seconds))
        if len(pauses) == 2:
            raise Stop

    monkeypatch.setattr("web.worker.time.sleep", sleep)
    result = seeded_app.test_cli_runner().invoke(args=[command, "run", "--interval", "7"])
    assert isinstance(result.exception, Stop)
    assert pauses == [7, 7] and len(result.output.strip().splitlines()) == 2
    assert _beats() == {command: clock.now - timedelta(seconds=7)}  # stamped by the second poll
