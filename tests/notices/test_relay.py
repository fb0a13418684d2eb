"""The outbox relay delivers through a real HTTP gateway: retries with backoff, dead letters, one delivery each."""

import json
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.models import AuditEvent, Case, OutboxMessage, OutboxState, Region
from casemgmt.notices import relay
from casemgmt.notices.adapters import sign
from casemgmt.notices.operations import queue_message
from tests.notices.gateway import Gateway
from web.worker import run_outbox_once


def _settings(url: str, adapter: str = "sms_http", **route) -> relay.RelaySettings:
    routes = {"liaoning": {"feedback": {"adapter": adapter, "url": url, "timeout": 0.3, **route}}}
    return relay.RelaySettings(routes=routes, max_attempts=5, backoff_seconds=30)


def _message(api, kind: str = "feedback") -> int:
    case = db.session.get(Case, api.bad_review()["case_id"])
    message = queue_message(case, "sms", "13812341234", "您的评价已办理。", case.opened_at, kind=kind)
    db.session.commit()
    return message.id


def _state(message_id: int) -> OutboxMessage:
    db.session.remove()
    return db.session.get(OutboxMessage, message_id)


def test_a_message_is_retried_with_backoff_through_drop_timeout_and_500_then_sent_once(api, clock):
    message_id = _message(api)
    with Gateway(["drop", "hang", "500"]) as gateway:
        settings = _settings(gateway.url, templates={"feedback": "【辽宁好差评】{body}"})
        now = clock.now
        delays = []
        for _try in range(3):
            run_outbox_once(now, settings, "relay-a")
            message = _state(message_id)
            assert message.state == OutboxState.FAILED and message.last_error
            delays.append(message.next_attempt_at - now)
            assert run_outbox_once(now, settings, "relay-a") == 0  # not due before its backoff ends
            now = message.next_attempt_at
        run_outbox_once(now, settings, "relay-a")
        run_outbox_once(now + timedelta(days=1), settings, "relay-a")
    message = _state(message_id)
    assert delays == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert (message.state, message.attempts, message.sent_at) == (OutboxState.SENT, 4, now)
    assert [a["message_id"] for a in gateway.accepted] == [message_id]
    assert gateway.accepted[0]["text"] == "【辽宁好差评】您的评价已办理。"
    assert gateway.accepted[0]["phone"] == "13812341234"


def test_a_message_goes_dead_after_the_last_try_and_an_admin_retry_is_audited(api, clock):
    message_id = _message(api)
    with Gateway(["500"] * 5) as gateway:
        settings = _settings(gateway.url)
        now = clock.now
        for _try in range(5):
            run_outbox_once(now, settings, "relay-a")
            now += timedelta(days=1)
        message = _state(message_id)
        assert (message.state, message.attempts) == (OutboxState.DEAD, 5)
        assert "HTTP 500" in message.last_error
        relay.retry_message(message, Actor.system("ln-admin"), now)
        db.session.commit()
        run_outbox_once(now, settings, "relay-a")
    assert _state(message_id).state == OutboxState.SENT and len(gateway.accepted) == 1
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "notice_retried")).payload["before"]["state"]
        == "dead"
    )


def test_two_relays_never_hold_the_same_message(api, clock):
    ids = [_message(api) for _ in range(3)]
    settings = _settings("http://127.0.0.1:9/unused")
    first = relay.claim_due("relay-a", clock.now, settings)
    db.session.commit()
    second = relay.claim_due("relay-b", clock.now, settings)
    db.session.commit()
    assert set(ids) <= set(first) and not set(ids) & set(second)
    assert relay.deliver(ids[0], "relay-b", clock.now, settings) is None  # not its claim: nothing sent
    later = clock.now + timedelta(seconds=settings.lease_seconds + 1)
    assert set(ids) <= set(relay.claim_due("relay-b", later, settings))  # a dead relay's claim expires


def test_a_paused_region_holds_its_messages(api, clock):
    message_id = _message(api)
    region = db.session.scalar(select(Region).where(Region.code == "liaoning"))
    relay.set_paused(region, True, Actor.system("ops"), clock.now)
    db.session.commit()
    with Gateway() as gateway:
        assert run_outbox_once(clock.now, _settings(gateway.url), "relay-a") == 0
        relay.set_paused(db.session.get(Region, region.id), False, Actor.system("ops"), clock.now)
        db.session.commit()
        assert run_outbox_once(clock.now, _settings(gateway.url), "relay-a") >= 1
    assert _state(message_id).state == OutboxState.SENT


def test_a_webhook_is_signed_with_timestamp_and_idempotency_key(api, clock):
    message_id = _message(api)
    with Gateway() as gateway:
        run_outbox_once(clock.now, _settings(gateway.url, adapter="webhook", secret="s3cret"), "relay-a")
    headers = {k.lower(): v for k, v in gateway.headers[0].items()}
    assert headers["idempotency-key"] == f"zhenggai-outbox-{message_id}"
    assert headers["x-zhenggai-timestamp"] == str(int(clock.now.timestamp()))
    body = json.dumps(gateway.accepted[0], ensure_ascii=False, sort_keys=True).encode()
    assert headers["x-zhenggai-signature"] == sign("s3cret", headers["x-zhenggai-timestamp"], body)


@pytest.mark.parametrize("count", [200])
def test_relay_throughput_against_the_local_gateway(api, clock, count):
    case = db.session.get(Case, api.bad_review()["case_id"])
    for i in range(count):
        queue_message(case, "sms", "13800000000", f"第 {i} 条", clock.now, kind="feedback")
    db.session.commit()
    with Gateway() as gateway:
        start = time.perf_counter()
        sent = run_outbox_once(clock.now, _settings(gateway.url), "relay-a", limit=10_000)
        elapsed = time.perf_counter() - start
    assert len(gateway.accepted) >= count and sent >= count
    print(f"\nrelay: {sent} messages in {elapsed:.2f} s = {sent / elapsed:.0f} messages/s")


def test_two_relays_running_at_once_deliver_each_message_exactly_once(api, clock):
    case = db.session.get(Case, api.bad_review()["case_id"])
    ids = [queue_message(case, "sms", "13800000000", f"第 {i} 条", clock.now, kind="feedback").id for i in range(40)]
    db.session.commit()
    app, barrier = api.app, threading.Barrier(2)
    with Gateway() as gateway:
        settings = _settings(gateway.url)

        def relay_thread(name: str) -> None:
            with app.app_context():
                barrier.wait()
                for _round in range(5):
                    run_outbox_once(clock.now, settings, name, limit=10)
                db.session.remove()

        threads = [threading.Thread(target=relay_thread, args=(n,)) for n in ("relay-a", "relay-b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    delivered = [m["message_id"] for m in gateway.accepted]
    assert sorted(delivered) == sorted(ids)  # every message once, none twice
    db.session.remove()
    assert {m.state for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))} == {
        OutboxState.SENT
    }
