"""Engine state is stored zlib-compressed behind a marker; states stored raw by earlier releases still load."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import select, text

from casemgmt.db import db
from casemgmt.models import ProcessInstance
from casemgmt.models.types import COMPRESSED_MARK, PROVISIONAL_MARK, CompactText, unpack_state

CORPUS = Path(__file__).with_name("corpus")


SQLITE = SimpleNamespace(name="sqlite")


def _compact() -> bool:
    return db.engine.dialect.name == "sqlite"  # PostgreSQL keeps it raw: TOAST compresses it better


def _stored(instance_id: int) -> str:
    return db.session.execute(text("SELECT state FROM process_instances WHERE id = :id"), {"id": instance_id}).scalar()


def test_a_new_case_stores_its_state_compact_on_sqlite_and_reads_it_back(api) -> None:
    case_id = api.bad_review()["case_id"]
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case_id))
    raw = _stored(instance.id)
    if _compact():
        assert raw.startswith(COMPRESSED_MARK) and len(raw) * 3 < len(instance.state)
    else:
        assert raw == instance.state
    assert json.loads(instance.state)  # the model sees plain JSON
    case = api.get(f"/api/v1/cases/{case_id}", "ln-officer").get_json()
    assert case["open_tasks"], "the workflow loads from the compressed state"


def test_a_state_stored_raw_by_an_earlier_release_still_loads_and_continues(api) -> None:
    case_id = api.bad_review()["case_id"]
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case_id))
    plain, instance_id = instance.state, instance.id
    db.session.execute(text("UPDATE process_instances SET state = :s WHERE id = :id"), {"s": plain, "id": instance_id})
    db.session.commit()
    db.session.remove()
    assert _stored(instance_id) == plain
    case = api.get(f"/api/v1/cases/{case_id}", "ln-officer").get_json()
    task_id = case["open_tasks"][0]["id"]
    data = {
        "callback_result": "reached",
        "callback_at": "2025-09-26T10:30:00+08:00",
        "facts": "属实",
        "outcome": "immediate_fix",
    }
    assert api.post(f"/api/v1/tasks/{task_id}/complete", "ln-officer", json={"data": data}).status_code == 200
    assert _stored(instance_id).startswith(COMPRESSED_MARK) == _compact()  # written back compact on SQLite


def test_a_compressed_state_reads_on_either_database(api) -> None:
    case_id = api.bad_review()["case_id"]
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case_id))
    plain, instance_id = instance.state, instance.id
    packed = CompactText().process_bind_param(plain, SQLITE)
    db.session.execute(text("UPDATE process_instances SET state = :s WHERE id = :id"), {"s": packed, "id": instance_id})
    db.session.commit()
    db.session.remove()
    assert db.session.get(ProcessInstance, instance_id).state == plain
    assert api.get(f"/api/v1/cases/{case_id}", "ln-officer").get_json()["open_tasks"]


def test_the_corpus_states_round_trip_and_the_marker_tells_a_provisional_due() -> None:
    column = CompactText()
    for path in sorted(CORPUS.glob("*.json")):
        state = json.loads(path.read_text(encoding="utf-8"))["state"]
        stored = column.process_bind_param(state, SQLITE)
        assert unpack_state(stored) == state and len(stored) < len(state)
    provisional = json.dumps({"data": {"zg_provisional": True}}, separators=(",", ":"))
    assert column.process_bind_param(provisional, SQLITE).startswith(PROVISIONAL_MARK)
    assert column.process_bind_param(provisional, SimpleNamespace(name="postgresql")) == provisional
    assert unpack_state("{}") == "{}" and unpack_state(None) is None
