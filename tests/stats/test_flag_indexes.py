"""Migration 0096: the flag rules' burst counts (intake/flags.py) read an index range of evaluations, so checking a
new rating does not scan a province's evaluations table; the indexes go with a downgrade and come back."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from casemgmt.db import db
from web.cli import alembic_config

INDEXES = {
    "ix_evaluations_phone_received": ["region_id", "evaluator_phone", "received_at"],
    "ix_evaluations_device_received": ["region_id", "device_key", "received_at"],
    "ix_evaluations_org_level_received": ["org_id", "level", "received_at"],
}


def _indexes() -> dict[str, list[str]]:
    return {i["name"]: i["column_names"] for i in inspect(db.engine).get_indexes("evaluations")}


def _migrate(target: str, direction) -> None:
    db.session.remove()
    db.engine.dispose()
    direction(alembic_config(), target)
    db.engine.dispose()


def test_0096_adds_the_flag_rules_indexes_and_a_downgrade_removes_them(app) -> None:
    assert {name: _indexes().get(name) for name in INDEXES} == INDEXES
    _migrate("0090", command.downgrade)
    assert not set(INDEXES) & set(_indexes())
    _migrate("head", command.upgrade)
    assert {name: _indexes().get(name) for name in INDEXES} == INDEXES
