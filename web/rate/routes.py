"""The evaluator's pages, without sign-in: a window's static QR code, a record's link, following the case.

Nothing here shows internal detail: the item, the unit, the region's labels and reasons, and the four steps of
the handling. Objects are reached only by a signed token or a window's public code.
"""

from __future__ import annotations

from datetime import datetime

import click
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import select

from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.errors import InvalidInput, NotFound
from casemgmt.intake import content, mobile, retention
from casemgmt.intake.schemas import EvaluationSchema
from casemgmt.models import LEVELS, Evaluation, Organization, Region, ServiceItem, ServiceRecord
from casemgmt.rules import regions
from web.api.inputs import now
from web.rate import links

bp = Blueprint("rate", __name__, url_prefix="/rate", template_folder="templates")
STEP_LABELS = {
    "received": _l("Received"),
    "handling": _l("Being handled"),
    "rectified": _l("Rectified"),
    "answered": _l("Answered"),
}


@bp.cli.command("erase-personal-data")
@click.option("--now", "now_text", default=None, help="pretend the time is this ISO instant")
def erase_personal_data_command(now_text: str | None) -> None:
    """Erase evaluators' names and phones from cases closed longer ago than their region keeps them."""
    at = datetime.fromisoformat(now_text) if now_text else now()
    if at.tzinfo is None:
        raise click.BadParameter("需要带时区的时间，如 2026-10-10T09:00:00+08:00")
    count = retention.erase_expired(at, Actor.system("retention"))
    db.session.commit()
    click.echo(f"已删除 {count} 件工单的评价人姓名和电话")


@bp.route("/<region>/<org_code>", methods=["GET", "POST"])
def window(region: str, org_code: str):
    """A window's or hall's static QR code: the evaluator picks the item and may give the record number."""
    where = regions.get_region(region)
    org = _org(where, org_code)
    items = list(
        db.session.scalars(
            select(ServiceItem)
            .where(ServiceItem.region_id == where.id, ServiceItem.is_active.is_(True))
            .order_by(ServiceItem.code)
        )
    )
    if request.method == "GET":
        return _form(where, org, items=items)
    record_no = request.form.get("record_no", "").strip() or f"{org.code}-{now():%Y%m%d%H%M%S%f}"
    return _rate(where, org, request.form.get("item_code", ""), record_no, items=items)


@bp.route("/r/<token>", methods=["GET", "POST"])
def record_link(token: str):
    """A record's SMS link or dynamic QR code: rate once, then the same link follows the case."""
    record_id, nonce = links.read_rating_token(token)
    record = db.session.get(ServiceRecord, record_id)
    if record is None:
        raise NotFound("评价链接无效")
    org = db.session.get_one(Organization, record.org_id)
    where = db.session.get_one(Region, record.region_id)
    if record.evaluation_id is not None and request.method == "GET":
        return _follow(db.session.get_one(Evaluation, record.evaluation_id))
    try:
        mobile.check_link(record, nonce, now())
    except InvalidInput as err:
        return render_template("rate/message.html", region=where, message=err.message), 410
    item = db.session.scalar(
        select(ServiceItem.name).where(ServiceItem.region_id == where.id, ServiceItem.code == record.item_code)
    )
    if request.method == "GET":
        return _form(where, org, record=record, item_name=item)
    return _rate(where, org, record.item_code, record.record_no, record=record, item_name=item)


@bp.get("/f/<token>")
def follow(token: str):
    """Follow the handling of one's rating: received, being handled, rectified, answered."""
    evaluation = db.session.get(Evaluation, links.read_follow_token(token))
    if evaluation is None:
        raise NotFound("查询链接无效")
    return _follow(evaluation)


def _org(region: Region, code: str) -> Organization:
    org = db.session.scalar(
        select(Organization).where(
            Organization.region_id == region.id, Organization.code == code, Organization.is_active.is_(True)
        )
    )
    if org is None:
        raise NotFound("没有该窗口")
    return org


def _form(region: Region, org: Organization, status: int = 200, **context):
    labels = regions.rating_labels(region)
    levels = [(level, labels[level], level in LEVELS[-2:]) for level in LEVELS]
    return (
        render_template(
            "rate/form.html",
            region=region,
            org=org,
            levels=levels,
            reasons=content.preset_reasons(region),
            sub_ratings=content.sub_ratings(region),
            consent=mobile.CONSENT_TEXT,
            form=request.form,
            **context,
        ),
        status,
    )


def _payload(region: Region, org: Organization, item_code: str, record_no: str, channel: str) -> dict:
    form = request.form
    raw = {
        "region": region.code,
        "record_no": record_no,
        "item_code": item_code,
        "org_code": org.code,
        "channel": channel,
        "level": form.get("level", ""),
        "reasons": form.getlist("reasons"),
        "comment": form.get("comment", ""),
        "sub_ratings": {
            code: form[f"sub_{code}"] for code, _label in content.sub_ratings(region) if form.get(f"sub_{code}")
        },
        "evaluator": {
            "name": form.get("name", "").strip(),
            "phone": form.get("phone", "").strip(),
            "real_name": bool(form.get("name", "").strip()),
        },
        "evaluated_at": now().isoformat(),
    }
    try:
        payload = EvaluationSchema().load(raw)
    except ValidationError as err:
        raise InvalidInput("输入有误", details=err.messages) from err
    return {**payload, "consent": form.get("consent") == "yes"}


def _rate(region: Region, org: Organization, item_code: str, record_no: str, **context):
    channel = "sms" if context.get("record") is not None else "qr_static"
    try:
        payload = _payload(region, org, item_code, record_no, channel)
        result = mobile.rate_on_page(payload, links.device_key(), now(), record=context.get("record"))
        db.session.commit()
    except InvalidInput as err:
        db.session.rollback()
        return _form(region, org, status=400, error=err.message, details=err.details, **context)
    return redirect(url_for("rate.follow", token=links.follow_token(result.evaluation.id)), 303)


def _follow(evaluation: Evaluation):
    return render_template(
        "rate/follow.html",
        evaluation=evaluation,
        region=evaluation.region,
        org=evaluation.org,
        label=regions.rating_labels(evaluation.region)[evaluation.level],
        steps=mobile.progress(evaluation),
        step_labels=STEP_LABELS,
    )
