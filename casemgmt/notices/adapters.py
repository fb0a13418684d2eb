"""Delivery adapters of the outbox relay: an SMS gateway over HTTP, signed webhooks, email over SMTP.

Each adapter takes a message and its route (the settings chosen for the message's region and kind) and
returns normally when the other side accepted it, or raises DeliveryFailed with a Chinese reason.
The JSON contracts are documented in README.md ("Delivery").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage

from casemgmt.models import OutboxMessage


class DeliveryFailed(Exception):
    """The message was not accepted; the relay retries it later."""


def render(message: OutboxMessage, route: dict) -> str:
    """Fill the route's template for the kind and region ({body}, {case_no}, {kind}); the body when none."""
    template = (route.get("templates") or {}).get(message.kind) or route.get("template") or "{body}"
    case_no = message.case.case_no if message.case is not None else ""
    return template.replace("{body}", message.body).replace("{case_no}", case_no).replace("{kind}", message.kind)


def idempotency_key(message: OutboxMessage) -> str:
    """Return the key the other side uses to drop a repeated delivery of the same message."""
    return f"zhenggai-outbox-{message.id}"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the webhook signature: hex HMAC-SHA256 over `timestamp + "." + body`."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured URL
            response.read()
    except urllib.error.HTTPError as err:
        raise DeliveryFailed(f"对方返回 HTTP {err.code}") from err
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise DeliveryFailed(f"无法送达：{reason}") from err


def send_sms(message: OutboxMessage, route: dict, now: datetime) -> None:
    """POST the text to the SMS gateway: {"message_id", "phone", "text", "kind", "region", "idempotency_key"}."""
    payload = {
        "message_id": message.id,
        "phone": message.recipient,
        "text": render(message, route),
        "kind": message.kind,
        "region": route.get("region", ""),
        "idempotency_key": idempotency_key(message),
    }
    body = json.dumps(payload, ensure_ascii=False).encode()
    _post(route["url"], body, {"Idempotency-Key": idempotency_key(message)}, float(route.get("timeout", 5)))


def send_webhook(message: OutboxMessage, route: dict, now: datetime) -> None:
    """POST the message as JSON, signed: X-Zhenggai-Timestamp, X-Zhenggai-Signature, Idempotency-Key."""
    payload = {
        "message_id": message.id,
        "kind": message.kind,
        "recipient": message.recipient,
        "case_no": message.case.case_no if message.case is not None else None,
        "text": render(message, route),
        "created_at": message.created_at.isoformat(),
    }
    if message.kind == "results":  # the body is the documented JSON document (docs/EXCHANGE.md)
        payload["document"] = json.loads(message.body)
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(now.timestamp()))
    headers = {
        "X-Zhenggai-Timestamp": timestamp,
        "X-Zhenggai-Signature": sign(route["secret"], timestamp, body),
        "Idempotency-Key": idempotency_key(message),
    }
    _post(route["url"], body, headers, float(route.get("timeout", 5)))


def send_email(message: OutboxMessage, route: dict, now: datetime) -> None:
    """Send the text by SMTP to the recipient address."""
    mail = EmailMessage()
    mail["From"], mail["To"] = route["sender"], message.recipient
    mail["Subject"] = route.get("subject", "政务服务好差评通知")
    mail["Message-ID"] = f"<{idempotency_key(message)}@zhenggai>"
    mail.set_content(render(message, route))
    try:
        with smtplib.SMTP(route["host"], int(route.get("port", 25)), timeout=float(route.get("timeout", 5))) as smtp:
            smtp.send_message(mail)
    except (smtplib.SMTPException, OSError) as err:
        raise DeliveryFailed(f"邮件发送失败：{err}") from err


def to_staff_list(message: OutboxMessage, route: dict, now: datetime) -> None:
    """Deliver an internal notice into the 通知 list of its addressees: it shows there already, nothing to send.

    The relay uses it for internal notices no route names, so that they are delivered instead of dead.
    """


#: the built-in route of internal notices without a configured one
STAFF_LIST = "staff_list"
ADAPTERS: dict[str, Callable[[OutboxMessage, dict, datetime], None]] = {
    "sms_http": send_sms,
    "webhook": send_webhook,
    "email": send_email,
    STAFF_LIST: to_staff_list,
}
