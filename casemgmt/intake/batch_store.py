"""A segment of the bulk intake stored at once: evaluations, flags, records marked, statistics, audit, cases.

What `receive_evaluation` then `flag_rating` do for one rating, for many: the flags are decided before the insert
(the rules count the segment's own ratings in order), so each row goes in complete with one multi-row INSERT;
the statistics take one upsert of the summed rows; the good ratings' audit chains (evaluation_received, then
evaluation_flagged when flagged) one statement per table; the bad reviews open their cases together (cases.open_cases).
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import make_transient_to_detached

from casemgmt import bulk
from casemgmt.actor import Actor
from casemgmt.audit.batch import write_new_chains
from casemgmt.cases.opening import open_cases
from casemgmt.db import db
from casemgmt.intake import flags, ratings
from casemgmt.models import Case, Evaluation, FlagStatus, Region, User
from casemgmt.models.evaluation import phone_tail
from casemgmt.stats import rollups

_TABLE = Evaluation.__table__


class Segment:
    """Checked items of a batch waiting to be stored together, in order."""

    def __init__(self, region: Region, submitter: User, actor: Actor, now: datetime) -> None:
        self.region, self.submitter, self.actor, self.now = region, submitter, actor, now
        self.items: list[tuple[int, dict, ratings.Plan, int]] = []
        #: the records rated in this segment: another rating of one of them waits for the next segment
        self.numbers: set[str] = set()

    def add(self, index: int, payload: dict, plan: ratings.Plan, org_id: int, is_bad: bool, stored: int) -> None:
        """Take a checked item; stored: the ratings of its record stored before the segment."""
        self.items.append((index, self.row(payload, plan, org_id, is_bad), plan, stored))
        self.numbers.add(payload["record_no"])

    def row(self, p: dict, plan: ratings.Plan, org_id: int, is_bad: bool) -> dict:
        """The evaluation's columns, as build_evaluation gives them."""
        ev = p["evaluator"]
        phone = ev.get("phone", "")
        return {
            "region_id": self.region.id,
            "external_id": p.get("external_id"),
            "record_no": p["record_no"],
            "item_code": p["item_code"],
            "org_id": org_id,
            "staff_no": p.get("staff_no"),
            "channel": p["channel"],
            "level": p["level"],
            "is_bad": is_bad,
            "reasons": p["reasons"],
            "sub_ratings": p.get("sub_ratings") or None,
            "comment": p["comment"],
            "evaluator_name": ev.get("name", ""),
            "evaluator_phone": phone,
            "evaluator_phone_tail": phone_tail(phone),
            "is_real_name": bool(ev.get("real_name")),
            "evaluated_at": p["evaluated_at"],
            "received_at": self.now,
            "revoked_at": None,
            "revoked_reason": None,
            "submitted_by_id": self.submitter.id,
            "evaluator_key": plan.evaluator_key,
            "follow_up_of_id": None,
            "group_no": None,
            "device_key": None,
            "consent_text": None,
            "pii_erased_at": None,
            "flags": None,
            "flag_status": None,
            "flag_decided_at": None,
            "flag_decided_by": None,
            "flag_note": None,
        }

    def write(self) -> list[tuple[int, int, Case | None]]:
        """Store the segment; return (index, evaluation id, case) of each item, in order."""
        if not self.items:
            return []
        rows = [row for _, row, _, _ in self.items]
        rules = flags.BatchRules(self.region, self.now, rows)
        for _, row, _, stored in self.items:
            found = rules.check(row, stored + 1)
            if found:
                row["flags"], row["flag_status"] = found, FlagStatus.PENDING
        _insert(rows)
        for _, row, plan, _ in self.items:
            if plan.records:
                ratings.mark_records(plan, cast(Evaluation, SimpleNamespace(id=row["id"], received_at=self.now)))
        events: list[tuple[str, str, dict]] = []
        bad = [(index, _attached(row)) for index, row, _, _ in self.items if row["is_bad"]]
        opened = open_cases([evaluation for _, evaluation in bad], self.actor, self.now)
        cases: dict[int, Case] = {index: case for (index, _), case in zip(bad, opened, strict=True)}
        for _, row, _, _ in self.items:
            chain = f"evaluation:{row['id']}"
            if not row["is_bad"]:
                events.append((chain, "evaluation_received", _summary(row)))
            if row["flags"]:
                rules_hit = [f["rule"] for f in row["flags"]]
                events.append((chain, "evaluation_flagged", {"evaluation_id": row["id"], "rules": rules_hit}))
        write_new_chains(events, actor=self.actor, at=self.now, region_id=self.region.id)
        rollups.on_new_rows(self.region, rows)  # last: its rows are the ones concurrent batches share
        return [(index, row["id"], cases.get(index)) for index, row, _, _ in self.items]


def _insert(rows: list[dict]) -> None:
    """Insert the evaluations with one statement and give each row its id."""
    if bulk.is_postgresql():
        for row, evaluation_id in zip(rows, bulk.next_ids(_TABLE, len(rows)), strict=True):
            row["id"] = evaluation_id
        bulk.insert_rows(_TABLE, rows)
        return
    bulk.insert_rows(_TABLE, rows)
    # SQLite: one writer, so the rows just inserted hold the highest ids, given in the order inserted
    last = db.session.scalar(select(func.max(_TABLE.c.id))) or 0
    for row, evaluation_id in zip(rows, range(last - len(rows) + 1, last + 1), strict=True):
        row["id"] = evaluation_id


def _attached(row: dict) -> Evaluation:
    """The stored row of a bad review as a row of the session (no SQL): open_case builds on it."""
    evaluation = Evaluation(**row)
    make_transient_to_detached(evaluation)
    db.session.add(evaluation)
    return evaluation


def _summary(row: dict) -> dict:
    """operations.summary of the row: the audit payload of a received evaluation."""
    return {
        "evaluation_id": row["id"],
        "record_no": row["record_no"],
        "level": row["level"],
        "channel": row["channel"],
        "external_id": row["external_id"],
        "follow_up_of": row["follow_up_of_id"],
        "group_no": row["group_no"],
    }
