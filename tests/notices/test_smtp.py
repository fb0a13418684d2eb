"""The SMTP adapter against a real SMTP server started by the test (aiosmtpd on a free localhost port): one
delivery per message, a refused or unreachable server then recovery, and the Chinese subject and body in UTF-8."""

from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest

from casemgmt.db import db
from casemgmt.models import Case, OutboxMessage, OutboxState
from casemgmt.notices import relay
from casemgmt.notices.operations import queue_message
from web.worker import run_outbox_once

controller = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd is a dev requirement (requirements-dev.txt)")

SENDER = "noreply@zhenggai.example.cn"
SUBJECT = "辽宁省政务服务好差评：工单办理结果"


class Mailbox:
    """An SMTP handler that answers DATA from a script ("451", "554"), then accepts and keeps each message."""

    def __init__(self, script: list[str] | None = None) -> None:
        self.script = list(script or [])
        self.received: list[tuple[str, list[str], bytes]] = []
        self.tries = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.tries += 1
        answer = self.script.pop(0) if self.script else "ok"
        if answer == "451":
            return "451 4.3.0 Mailbox temporarily unavailable"
        if answer == "554":
            return "554 5.7.1 Rejected"
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """An aiosmtpd Controller on 127.0.0.1 and a free port; stopped at the end of the `with`."""

    def __init__(self, mailbox: Mailbox, port: int | None = None) -> None:
        self.mailbox = mailbox
        self.port = port or _free_port()
        self.controller = controller.Controller(mailbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> Server:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


def _settings(port: int) -> relay.RelaySettings:
    route = {
        "adapter": "email",
        "host": "127.0.0.1",
        "port": port,
        "sender": SENDER,
        "subject": SUBJECT,
        "timeout": 2,
        "templates": {"feedback": "工单 {case_no}：{body}"},
    }
    return relay.RelaySettings(routes={"liaoning": {"feedback": route}}, max_attempts=5, backoff_seconds=30)


def _message(api, recipient: str = "pingjiaren@example.cn") -> tuple[int, str]:
    case = db.session.get(Case, api.bad_review()["case_id"])
    body = "您对沈阳市市场监督管理局窗口的评价已办理：已当面致歉并整改，感谢您的监督。"
    message = queue_message(case, "email", recipient, body, case.opened_at, kind="feedback")
    db.session.commit()
    return message.id, case.case_no


def _state(message_id: int) -> OutboxMessage:
    db.session.remove()
    return db.session.get(OutboxMessage, message_id)


def test_a_notice_is_delivered_once_with_its_chinese_subject_and_body_in_utf8(api, clock):
    message_id, case_no = _message(api)
    with Server(Mailbox()) as server:
        settings = _settings(server.port)
        run_outbox_once(clock.now, settings, "relay-a")
        assert len(server.mailbox.received) == 1
        run_outbox_once(clock.now + timedelta(days=1), settings, "relay-a")  # sent: never again
    message = _state(message_id)
    assert (message.state, message.attempts, message.last_error) == (OutboxState.SENT, 1, None)
    [(mail_from, rcpt_tos, raw)] = server.mailbox.received
    assert (mail_from, rcpt_tos) == (SENDER, ["pingjiaren@example.cn"])
    mail = message_from_bytes(raw, policy=default_policy)
    assert mail["Subject"] == SUBJECT and mail["To"] == "pingjiaren@example.cn" and mail["From"] == SENDER
    assert mail["Message-ID"] == f"<zhenggai-outbox-{message_id}@zhenggai>"
    assert mail.get_content_charset() == "utf-8"
    assert (
        mail.get_content().strip()
        == f"工单 {case_no}：您对沈阳市市场监督管理局窗口的评价已办理：已当面致歉并整改，感谢您的监督。"
    )
    assert SUBJECT.encode() not in raw.split(b"\r\n\r\n", 1)[0]  # the header is RFC 2047 encoded, not raw bytes


def test_a_refusal_and_an_unreachable_server_are_retried_with_backoff_then_delivered_once(api, clock):
    message_id, _case_no = _message(api)
    port = _free_port()
    settings = _settings(port)
    now = clock.now
    run_outbox_once(now, settings, "relay-a")  # nothing listens on the port yet
    message = _state(message_id)
    assert message.state == OutboxState.FAILED and message.last_error.startswith("邮件发送失败")
    assert message.next_attempt_at == now + timedelta(seconds=30)
    with Server(Mailbox(["451"]), port=port) as server:
        now = message.next_attempt_at
        run_outbox_once(now, settings, "relay-a")  # the server answers 451 to the message
        message = _state(message_id)
        assert message.state == OutboxState.FAILED and "451" in message.last_error
        assert message.next_attempt_at == now + timedelta(seconds=60)
        run_outbox_once(now, settings, "relay-a")
        assert server.mailbox.tries == 1  # not due before its backoff ends
        now = message.next_attempt_at
        run_outbox_once(now, settings, "relay-a")
        run_outbox_once(now + timedelta(days=1), settings, "relay-a")
    message = _state(message_id)
    assert (message.state, message.attempts, message.sent_at) == (OutboxState.SENT, 3, now)
    assert server.mailbox.tries == 2 and len(server.mailbox.received) == 1


def test_a_permanent_rejection_goes_dead_after_the_last_try(api, clock):
    message_id, _case_no = _message(api, recipient="nobody@example.cn")
    with Server(Mailbox(["554"] * 5)) as server:
        settings, now = _settings(server.port), clock.now
        for _try in range(5):
            run_outbox_once(now, settings, "relay-a")
            now += timedelta(days=1)
    message = _state(message_id)
    assert (message.state, message.attempts) == (OutboxState.DEAD, 5) and "554" in message.last_error
    assert server.mailbox.received == []
