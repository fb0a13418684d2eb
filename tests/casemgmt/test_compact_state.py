"""Engine state is stored as bytes on both databases (migration 0097): zhenggai/2 JSON, zlib-compressed with a preset
dictionary behind a marker; states stored by earlier releases (raw JSON, Z1 base64 text, zhenggai/1) still load."""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from pathlib import Path

from alembic import command
from sqlalchemy import select, text

from casemgmt.db import db
from casemgmt.engine.serializer import STATE_FORMAT, to_current_format, to_format_1
from casemgmt.models import ProcessInstance
from casemgmt.models.types import (
    COMPRESSED_MARK,
    PROVISIONAL_MARK,
    STATE_ZDICT,
    CompactState,
    pack_state,
    provisional_state,
    unpack_state,
)
from web.cli import alembic_config

CORPUS = Path(__file__).with_name("corpus")
DONE = {
    "callback_result": "reached",
    "callback_at": "2025-09-26T10:30:00+08:00",
    "facts": "属实",
    "outcome": "immediate_fix",
}


def _stored(instance_id: int) -> bytes | str:
    return db.session.execute(text("SELECT state FROM process_instances WHERE id = :id"), {"id": instance_id}).scalar()


def _instance(case_id: int) -> ProcessInstance:
    return db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case_id))


def _store(instance_id: int, value: bytes) -> None:
    db.session.execute(text("UPDATE process_instances SET state = :s WHERE id = :id"), {"s": value, "id": instance_id})
    db.session.commit()
    db.session.remove()


def _completes(api, case_id: int) -> None:
    case = api.get(f"/api/v1/cases/{case_id}", "ln-officer").get_json()
    task_id = case["open_tasks"][0]["id"]
    assert api.post(f"/api/v1/tasks/{task_id}/complete", "ln-officer", json={"data": DONE}).status_code == 200


def test_the_preset_dictionary_never_changes() -> None:
    # states stored with it need these very bytes to be read: a new dictionary is a new file and a new marker
    assert hashlib.sha256(STATE_ZDICT).hexdigest() == "5132dff653bc2c713ce61a2046d94be4bdcecdd046721d9a989a431c71423d41"


def test_a_new_case_stores_its_state_as_compressed_bytes_and_reads_it_back(api) -> None:
    case_id = api.bad_review()["case_id"]
    instance = _instance(case_id)
    raw = bytes(_stored(instance.id))
    assert raw.startswith((COMPRESSED_MARK, PROVISIONAL_MARK)) and len(raw) * 4 < len(instance.state.encode())
    assert json.loads(instance.state)["format"] == STATE_FORMAT  # the model sees plain JSON
    assert api.get(f"/api/v1/cases/{case_id}", "ln-officer").get_json()["open_tasks"]


def test_states_stored_by_earlier_releases_still_load_continue_and_are_written_back_compact(api) -> None:
    for older in ("raw", "z1", "format1"):
        case_id = api.bad_review()["case_id"]
        instance = _instance(case_id)
        plain, instance_id = to_format_1(instance.state), instance.id
        assert json.loads(plain)["format"] == "zhenggai/1"
        stored = {
            "raw": plain.encode(),  # PostgreSQL before 0097 (text, as TOAST kept it)
            "z1": b"Z1:" + base64.b64encode(zlib.compress(plain.encode(), 6)),  # SQLite before 0097
            "format1": pack_state(plain),
        }[older]
        _store(instance_id, stored)
        assert db.session.get(ProcessInstance, instance_id).state == plain
        _completes(api, case_id)
        written = bytes(_stored(instance_id))
        assert written.startswith((COMPRESSED_MARK, PROVISIONAL_MARK)), older
        assert json.loads(unpack_state(written))["format"] == STATE_FORMAT


def test_the_corpus_states_convert_both_ways_and_round_trip_the_column() -> None:
    column = CompactState()
    for path in sorted(CORPUS.glob("*.json")):
        state = json.loads(path.read_text(encoding="utf-8"))["state"]
        current = to_current_format(state)
        assert json.loads(current)["format"] == STATE_FORMAT and len(current) < len(state)
        assert json.loads(to_format_1(current)) == json.loads(state)
        stored = column.process_bind_param(current, None)
        assert column.process_result_value(stored, None) == current and len(stored) * 3 < len(current)
    assert unpack_state("{}") == "{}" and unpack_state(None) is None and unpack_state(b"") == ""
    provisional = json.dumps({"data": {"zg_provisional": True}}, separators=(",", ":"))
    assert pack_state(provisional).startswith(PROVISIONAL_MARK) and pack_state("{}").startswith(COMPRESSED_MARK)


def test_the_provisional_marker_is_found_by_a_query(api) -> None:
    ids = [_instance(api.bad_review()["case_id"]).id for _ in range(2)]
    _store(ids[0], pack_state('{"x":{"zg_provisional":true}}'))
    _store(ids[1], pack_state('{"x":{"zg_provisional":false}}'))
    found = set(db.session.scalars(select(ProcessInstance.id).where(provisional_state(ProcessInstance.state))))
    assert ids[0] in found and ids[1] not in found


def _migrate(target: str, direction) -> None:
    db.session.remove()
    db.engine.dispose()
    direction(alembic_config(), target)
    db.engine.dispose()


def test_0097_rewrites_stored_states_and_downgrades_to_raw_format_1_text(api) -> None:
    case_id = api.bad_review()["case_id"]
    instance_id, current = _instance(case_id).id, _instance(case_id).state
    _migrate("0096", command.downgrade)
    before = _stored(instance_id)
    assert isinstance(before, str) and json.loads(before) == json.loads(to_format_1(current))
    _migrate("head", command.upgrade)
    after = bytes(_stored(instance_id))
    assert after.startswith((COMPRESSED_MARK, PROVISIONAL_MARK))
    assert json.loads(unpack_state(after)) == json.loads(current)
    _completes(api, case_id)


def test_ids_and_timestamps_that_the_compact_form_cannot_write_are_kept_as_they_are() -> None:
    state = json.loads(json.loads((CORPUS / "v1_at_callback.json").read_text(encoding="utf-8"))["state"])
    tasks = list(state["tasks"].values())
    tasks[0]["last_state_change"] = 1795549480.123456789  # more than 7 decimals: kept as the float
    tasks[1]["last_state_change"] = 1e-09
    plain = json.dumps(state, separators=(",", ":"), ensure_ascii=False)
    current = to_current_format(plain)
    assert json.loads(to_format_1(current)) == json.loads(plain)
    assert "-" not in json.loads(current)["root"]  # ids are written without dashes
