"""Ratings nobody can game: rules that flag a rating, and the supervisor's decision on it.

001 二.(二)1: 不得以自我评价代替群众评价; 002 第五条 and 004 第十一、二十三条: no forced or induced ratings, fake
praise and malicious reviews are found and dealt with. A flagged rating is left out of statistics (flag_status
pending or upheld: see counted_in_stats) until a supervisor decides; every flag and decision is audited.
Each rule and its threshold is a region setting ("rating_flags"); a rule set to null is off.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import ColumnElement, ScalarSelect, Select, func, or_, select

from casemgmt import audit, bulk
from casemgmt.access.policy import Action, allowed, authorize
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.errors import InvalidInput, NotFound
from casemgmt.models import Evaluation, FlagStatus, Organization, Region, User
from casemgmt.rules import regions
from casemgmt.stats import rollups

DEFAULT_RULES: dict[str, dict | None] = {
    "self_rating": {},
    "phone_burst": {"count": 10, "minutes": 60},
    "device_burst": {"count": 10, "minutes": 10},
    "record_burst": {"count": 3},
    "praise_burst": {"count": 10, "minutes": 10},
    "forced_complaint": {"words": ["强迫", "强制评价", "要求好评", "让我给好评", "诱导", "不给好评", "代评"]},
}
RULE_LABELS = {
    "self_rating": "工作人员自评",
    "phone_burst": "同一电话短时间内多次评价",
    "device_burst": "同一设备短时间内多次评价",
    "record_burst": "同一办件被多次评价",
    "praise_burst": "同一窗口短时间内集中好评",
    "forced_complaint": "反映被强迫或诱导评价",
}
DECISIONS = (FlagStatus.UPHELD, FlagStatus.DISMISSED)


def counted_in_stats() -> ColumnElement[bool]:
    """Return the condition statistics put on evaluations: never flagged, or the flag dismissed by a supervisor."""
    return or_(Evaluation.flag_status.is_(None), Evaluation.flag_status == FlagStatus.DISMISSED)


def rules_of(region: Region) -> dict[str, dict]:
    """Return the region's flag rules with their thresholds (defaults where the region says nothing)."""
    merged = {**DEFAULT_RULES, **(regions.settings_of(region).get("rating_flags") or {})}
    return {name: rule for name, rule in merged.items() if rule is not None and name in DEFAULT_RULES}


def flag_rating(evaluation: Evaluation, actor: Actor, now: datetime, known: dict | None = None) -> list[dict]:
    """Run the region's rules on a new rating; when any fires, mark it pending and audit it. Return the flags.

    `known`: what `reads` found before the rating was stored (rule -> count or staff member), read no more.
    """
    region = db.session.get_one(Region, evaluation.region_id)
    found = []
    for name, rule in rules_of(region).items():
        if known is not None and name in known:
            detail = VERDICTS[name](evaluation, rule, known[name])
        else:
            detail = CHECKS[name](evaluation, rule, now)
        if detail:
            found.append({"rule": name, "label": RULE_LABELS[name], "detail": detail})
    if found:
        rollups.on_flag_raised(evaluation)
        evaluation.flags, evaluation.flag_status = found, FlagStatus.PENDING
        audit.record(
            "evaluation_flagged",
            actor=actor,
            at=now,
            region_id=evaluation.region_id,
            chain=f"evaluation:{evaluation.id}",
            payload={"evaluation_id": evaluation.id, "rules": [f["rule"] for f in found]},
        )
    return found


def reads(region: Region, rating: Any, now: datetime) -> dict[str, ScalarSelect]:
    """Return, per rule that applies to a rating not stored yet, the read it needs, to be sent with others.

    `rating` has the new evaluation's attributes (region_id, org_id, record_no, level, evaluator_phone,
    staff_no, device_key); a count read does not see the rating itself, so its verdict adds one.
    """
    found: dict[str, ScalarSelect] = {}
    for name, rule in rules_of(region).items():
        if name == "self_rating":
            staff = _staff(rating)
            if staff is not None:
                found[name] = staff.limit(1).scalar_subquery()
        elif name in CONDITIONS:
            conditions = CONDITIONS[name](rating, rule, now)
            if conditions is not None:
                stmt = select(func.count(Evaluation.id)).where(Evaluation.region_id == rating.region_id, *conditions)
                found[name] = stmt.scalar_subquery()
    return found


def decide_flag(evaluation_id: int, decision: str, note: str, user: User, now: datetime) -> Evaluation:
    """Record a supervisor's decision on a flagged rating: upheld (left out of statistics) or dismissed (counted)."""
    evaluation = db.session.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise NotFound("没有找到该评价")
    authorize(user, Action.RATING_FLAG_DECIDE, org=evaluation.org)
    if evaluation.flag_status != FlagStatus.PENDING:
        raise InvalidInput("该评价没有待处理的疑似刷评标记", details={"evaluation_id": [str(evaluation_id)]})
    if decision not in DECISIONS:
        raise InvalidInput("处理结果只能是 upheld 或 dismissed", details={"decision": [decision]})
    if not note.strip() or len(note) > 500:
        raise InvalidInput("请填写不超过 500 字的处理意见", details={"note": ["必填"]})
    evaluation.flag_status = FlagStatus(decision)
    evaluation.flag_decided_at, evaluation.flag_decided_by, evaluation.flag_note = now, user.username, note
    if evaluation.flag_status == FlagStatus.DISMISSED:
        rollups.on_flag_dismissed(evaluation)
    audit.record(
        "evaluation_flag_decided",
        actor=Actor.of(user),
        at=now,
        region_id=evaluation.region_id,
        chain=f"evaluation:{evaluation.id}",
        payload={"evaluation_id": evaluation.id, "decision": decision, "note": note},
    )
    return evaluation


def list_flag_queue(user: User) -> list[Evaluation]:
    """Return the pending flagged ratings of the units the user may decide on, oldest first."""
    authorize(user, Action.RATING_FLAG_DECIDE)
    stmt = (
        select(Evaluation)
        .where(Evaluation.region_id == user.region_id, Evaluation.flag_status == FlagStatus.PENDING)
        .order_by(Evaluation.received_at, Evaluation.id)
    )
    return [e for e in db.session.scalars(stmt) if _may_decide(user, e.org)]


def _may_decide(user: User, org: Organization) -> bool:
    return allowed(user, Action.RATING_FLAG_DECIDE, org=org)


def _count(evaluation: Evaluation, conditions: list | None) -> int | None:
    if conditions is None:
        return None
    stmt = select(func.count(Evaluation.id)).where(Evaluation.region_id == evaluation.region_id, *conditions)
    return db.session.scalar(stmt) or 0


def _staff(evaluation: Any) -> Select | None:
    """Staff rating their own service: the evaluator's phone is a staff member's of the unit or the served staff."""
    if not evaluation.evaluator_phone or evaluation.org_id is None:
        return None
    match = User.org_id == evaluation.org_id
    if evaluation.staff_no:
        match = or_(match, User.username == evaluation.staff_no)
    return select(User.username).where(
        User.region_id == evaluation.region_id, User.phone == evaluation.evaluator_phone, match
    )


def _self_rating(evaluation: Evaluation, rule: dict, now: datetime) -> str | None:
    stmt = _staff(evaluation)
    return _self_rating_verdict(evaluation, rule, db.session.scalar(stmt) if stmt is not None else None)


def _self_rating_verdict(evaluation: Evaluation, rule: dict, staff: str | None) -> str | None:
    return f"评价人电话与工作人员 {staff} 的电话相同" if staff else None


def _since(rule: dict, now: datetime) -> datetime:
    return now - timedelta(minutes=int(rule["minutes"]))


def _phone_conditions(evaluation: Any, rule: dict, now: datetime) -> list | None:
    if not evaluation.evaluator_phone:
        return None
    return [Evaluation.evaluator_phone == evaluation.evaluator_phone, Evaluation.received_at > _since(rule, now)]


def _device_conditions(evaluation: Any, rule: dict, now: datetime) -> list | None:
    if not evaluation.device_key:
        return None
    return [Evaluation.device_key == evaluation.device_key, Evaluation.received_at > _since(rule, now)]


def _record_conditions(evaluation: Any, rule: dict, now: datetime) -> list | None:
    return [Evaluation.record_no == evaluation.record_no]


def _praise_conditions(evaluation: Any, rule: dict, now: datetime) -> list | None:
    if evaluation.level != "very_satisfied":
        return None
    return [
        Evaluation.org_id == evaluation.org_id,
        Evaluation.level == "very_satisfied",
        Evaluation.received_at > _since(rule, now),
    ]


def _phone_verdict(evaluation: Evaluation, rule: dict, n: int) -> str | None:
    return f"{rule['minutes']} 分钟内同一电话评价 {n} 次" if n >= int(rule["count"]) else None


def _device_verdict(evaluation: Evaluation, rule: dict, n: int) -> str | None:
    return f"{rule['minutes']} 分钟内同一设备评价 {n} 次" if n >= int(rule["count"]) else None


def _record_verdict(evaluation: Evaluation, rule: dict, n: int) -> str | None:
    return f"办件 {evaluation.record_no} 已被评价 {n} 次" if n >= int(rule["count"]) else None


def _praise_verdict(evaluation: Evaluation, rule: dict, n: int) -> str | None:
    return f"{rule['minutes']} 分钟内该窗口收到 {n} 条非常满意" if n >= int(rule["count"]) else None


def _forced_complaint(evaluation: Evaluation, rule: dict, now: datetime) -> str | None:
    text = " ".join([evaluation.comment or "", *(evaluation.reasons or [])])
    words = [w for w in rule.get("words", []) if w and w in text]
    return f"评价内容提及：{'、'.join(words)}" if words else None


#: the count rules: which evaluations they count (None: the rule does not apply), and what a count means
CONDITIONS: dict[str, Callable[[Any, dict, datetime], list | None]] = {
    "phone_burst": _phone_conditions,
    "device_burst": _device_conditions,
    "record_burst": _record_conditions,
    "praise_burst": _praise_conditions,
}
_COUNT_VERDICTS = {
    "phone_burst": _phone_verdict,
    "device_burst": _device_verdict,
    "record_burst": _record_verdict,
    "praise_burst": _praise_verdict,
}


def _counted(name: str) -> Callable[[Evaluation, dict, datetime], str | None]:
    def check(evaluation: Evaluation, rule: dict, now: datetime) -> str | None:
        n = _count(evaluation, CONDITIONS[name](evaluation, rule, now))
        return _COUNT_VERDICTS[name](evaluation, rule, n) if n is not None else None

    return check


def _plus_one(verdict: Callable[[Evaluation, dict, int], str | None]) -> Callable[[Evaluation, dict, Any], str | None]:
    return lambda evaluation, rule, n: verdict(evaluation, rule, n + 1)


CHECKS: dict[str, Callable[[Evaluation, dict, datetime], str | None]] = {
    "self_rating": _self_rating,
    **{name: _counted(name) for name in CONDITIONS},
    "forced_complaint": _forced_complaint,
}
#: a rule's verdict on what `reads` found before the rating was stored (a count then misses the rating itself)
VERDICTS: dict[str, Callable[[Evaluation, dict, Any], str | None]] = {
    "self_rating": _self_rating_verdict,
    **{name: _plus_one(verdict) for name, verdict in _COUNT_VERDICTS.items()},
}


class BatchRules:
    """The region's rules over many new ratings taken in order (the bulk intake): the same flags as running
    `flag_rating` on each after storing it, from one aggregate query per rule instead of one count per rating.

    The counts stored before the batch are read once (GROUP BY phone, device, unit); the batch's own ratings are
    counted here as they are checked, each counting itself, as a stored row counts itself in `_count`.
    Rows are dicts of Evaluation columns (evaluator_phone, device_key, org_id, staff_no, level, record_no,
    comment, reasons).
    """

    def __init__(self, region: Region, now: datetime, rows: list[dict]) -> None:
        self.region, self.now, self.rules = region, now, rules_of(region)
        self.seen: dict[tuple[str, object], int] = {}
        self.stored: dict[tuple[str, object], int] = {}
        self.staff: dict[str, list[tuple[str, int | None]]] = {}
        phones = sorted({r["evaluator_phone"] for r in rows if r["evaluator_phone"]})
        devices = sorted({r["device_key"] for r in rows if r.get("device_key")})
        praised = sorted({r["org_id"] for r in rows if r["level"] == "very_satisfied"})
        with bulk.planned_with_values():
            self._read(region, now, phones, devices, praised)

    def _read(self, region: Region, now: datetime, phones: list, devices: list, praised: list) -> None:
        """The counts stored before the batch, and the staff whose phones the batch's evaluators give."""
        for name, column, values in (
            ("phone_burst", Evaluation.evaluator_phone, phones),
            ("device_burst", Evaluation.device_key, devices),
            ("praise_burst", Evaluation.org_id, praised),
        ):
            rule = self.rules.get(name)
            if rule is None or not values:
                continue
            since = now - timedelta(minutes=int(rule["minutes"]))
            stmt = select(column, func.count(Evaluation.id)).where(
                Evaluation.region_id == region.id, bulk.matches(column, values), Evaluation.received_at > since
            )
            if name == "praise_burst":
                stmt = stmt.where(Evaluation.level == "very_satisfied")
            self.stored.update({(name, key): n for key, n in db.session.execute(stmt.group_by(column))})
        if "self_rating" in self.rules and phones:
            staff = select(User.phone, User.username, User.org_id).where(
                User.region_id == region.id, bulk.matches(User.phone, phones)
            )
            for phone, username, org_id in db.session.execute(staff.order_by(User.id)):
                self.staff.setdefault(phone or "", []).append((username, org_id))

    def check(self, row: dict, record_count: int) -> list[dict]:
        """Count a rating that is being stored and return its flags; record_count: ratings of its record stored
        before it, itself included."""
        found = []
        view = cast(Evaluation, SimpleNamespace(**row))  # the verdicts read columns only
        for name, rule in self.rules.items():
            detail = self._detail(name, rule, row, view, record_count)
            if detail:
                found.append({"rule": name, "label": RULE_LABELS[name], "detail": detail})
        return found

    def _burst(self, name: str, key: object) -> int:
        self.seen[(name, key)] = self.seen.get((name, key), 0) + 1
        return self.stored.get((name, key), 0) + self.seen[(name, key)]

    def _detail(self, name: str, rule: dict, row: dict, view: Evaluation, record_count: int) -> str | None:
        """The rule's verdict on a row (`view`: the row read as an Evaluation), in the single path's words (the
        same verdict functions)."""
        phone = row["evaluator_phone"]
        if name == "self_rating":
            staff = next(
                (u for u, org_id in self.staff.get(phone, ()) if org_id == row["org_id"] or u == row["staff_no"]),
                None,
            )
            return _self_rating_verdict(view, rule, staff if phone else None)
        if name == "record_burst":
            return _record_verdict(view, rule, record_count)
        if name == "forced_complaint":
            return _forced_complaint(view, rule, self.now)
        key = {"phone_burst": phone, "device_burst": row.get("device_key"), "praise_burst": row["org_id"]}.get(name)
        if not key or (name == "praise_burst" and row["level"] != "very_satisfied"):
            return None
        return _COUNT_VERDICTS[name](view, rule, self._burst(name, key))
