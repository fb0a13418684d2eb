"""POST /api/v1/evaluations:batch: one result per item, one transaction, and a retry that neither loses nor doubles."""

import collections

from sqlalchemy import func, select

from casemgmt import audit
from casemgmt.db import db
from casemgmt.models import AuditEvent, Case, Evaluation, HumanTask
from tests.perf.test_statement_counts import counted

URL = "/api/v1/evaluations:batch"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


#: statements of a batch of good ratings, whatever its size: the token, duplicates by external id, the service
#: records and earlier ratings of its records, the flag rules' aggregate counts and staff phones, the reserved
#: ids (PostgreSQL) or the last id (SQLite), evaluations, audit events, chain heads, statistics
BATCH_STATEMENTS = 15


def _batch(api, n: int, bad_every: int = 0) -> list[dict]:
    items = []
    for i in range(n):
        level = "very_dissatisfied" if bad_every and i % bad_every == 0 else "satisfied"
        # one evaluator each: many ratings from one phone are a burst the flag rules hold back (intake/flags.py)
        evaluator = {"name": "", "phone": f"139{i:08d}", "real_name": False}
        items.append(api.evaluation(level=level, external_id=f"bulk-{i}", record_no=f"LN-B-{i}", evaluator=evaluator))
    return items


def test_a_mixed_batch_answers_each_item_in_order(api):
    items = _batch(api, 6, bad_every=3)
    items.append(api.evaluation(org_code="nowhere", external_id="bulk-bad-org"))
    items.append({**api.evaluation(external_id="bulk-shape"), "level": "awful", "surprise": 1})
    items.append(api.evaluation(region="sanming", external_id="bulk-other-region"))
    items.append(api.evaluation(level="satisfied", external_id="bulk-1", record_no="LN-B-1"))  # twice in one batch
    response = api.post(URL, "ln-channel", json={"evaluations": items})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["created"] * 6 + ["invalid"] * 3 + ["duplicate"]
    assert [r["index"] for r in body["results"]] == list(range(10))
    assert body["counts"] == {"created": 6, "duplicate": 1, "invalid": 3}
    results = body["results"]
    assert "org_code" in results[6]["errors"]
    assert {"level", "surprise"} <= set(results[7]["errors"])
    assert "region" in results[8]["errors"]
    assert [bool(r["case_id"]) for r in results[:6]] == [True, False, False, True, False, False]
    assert results[0]["case_no"].startswith("ZG")
    assert count(Evaluation) == 6 and count(Case) == 2
    assert count(HumanTask) == 2  # each bad review's case has its first task
    case = api.get(f"/api/v1/cases/{results[3]['case_id']}", "ln-officer").get_json()
    assert case["open_tasks"][0]["form_key"] == "callback_verification"


def test_retrying_a_batch_loses_and_doubles_nothing(api):
    items = _batch(api, 20, bad_every=5)
    first = api.post(URL, "ln-channel", json={"evaluations": items[:12]}).get_json()
    again = api.post(URL, "ln-channel", json={"evaluations": items}).get_json()
    assert first["counts"] == {"created": 12, "duplicate": 0, "invalid": 0}
    assert again["counts"] == {"created": 8, "duplicate": 12, "invalid": 0}
    for before, after in zip(first["results"], again["results"][:12], strict=True):
        assert (after["status"], after["id"], after["case_id"]) == ("duplicate", before["id"], before["case_id"])
    assert count(Evaluation) == 20 and count(Case) == 4


def test_good_evaluations_go_in_with_one_insert_and_their_audit_chains_verify(api):
    warm = api.evaluation(level="satisfied", external_id="warm", record_no="LN-W")
    api.post(URL, "ln-channel", json={"evaluations": [warm]})  # the reference cache, as a running worker has it
    events_before = count(AuditEvent)
    with counted() as counter:
        response = api.post(URL, "ln-channel", json={"evaluations": _batch(api, 200)})
    assert response.get_json()["counts"]["created"] == 200
    inserts = collections.Counter(_inserted_table(s) for s in counter.statements if _inserted_table(s))
    # evaluations, audit events, chain heads: one statement each (an INSERT, or a COPY on PostgreSQL); the
    # statistics rollups one per row they touch (unit, month, item, channel), not one per evaluation
    assert {t: inserts[t] for t in ("evaluations", "audit_events", "audit_chain_heads")} == dict.fromkeys(
        ("evaluations", "audit_events", "audit_chain_heads"), 1
    ), inserts
    assert inserts["stat_rollups"] == 1, inserts
    # each rating is still checked as a single POST checks it (its service record, earlier ratings of the record,
    # the flag rules), with one query per kind of read for the whole batch
    assert len(counter) <= BATCH_STATEMENTS, counter.shown()
    assert count(AuditEvent) == events_before + 200
    assert audit.verify_all(None) == {}


def test_the_reads_by_arrays_are_planned_for_each_batchs_values_and_nothing_else_changes(api):
    """psycopg prepares a statement run five times, and PostgreSQL may then plan it once for any array: the
    batch's reads by arrays go unprepared (bulk.planned_with_values). Everything else is prepared as usual, and
    plan_cache_mode is never changed (under force_custom_plan the foreign keys' checks of every inserted row
    were planned anew, row by row)."""
    if db.engine.dialect.name != "postgresql":
        return  # SQLite prepares nothing of this kind
    for n in range(7):
        items = [
            api.evaluation(level="satisfied", external_id=f"plan-{n}-{i}", record_no=f"LN-P-{n}-{i}") for i in (1, 2)
        ]
        assert api.post(URL, "ln-channel", json={"evaluations": items}).get_json()["counts"]["created"] == 2
    connection = db.session.connection()
    prepared = list(connection.exec_driver_sql("SELECT statement FROM pg_prepared_statements").scalars())
    assert any("FROM users" in s for s in prepared), prepared  # this is the requests' connection: the token's read
    assert not [s for s in prepared if "ANY" in s], prepared
    assert connection.exec_driver_sql("SHOW plan_cache_mode").scalar() == "auto"


def _inserted_table(statement: str) -> str | None:
    words = statement.split()
    if words[0].upper() == "INSERT":
        return words[2]
    return words[1] if words[0].upper() == "COPY" else None


def test_the_batch_limit_and_shape_are_checked(api):
    too_many = {"evaluations": [api.evaluation()] * 1001}
    response = api.post(URL, "ln-channel", json=too_many)
    assert response.status_code == 400 and "evaluations" in response.get_json()["details"]
    assert api.post(URL, "ln-channel", json={"evaluations": []}).status_code == 400
    assert api.post(URL, "ln-officer", json={"evaluations": [api.evaluation()]}).status_code == 403
    assert count(Evaluation) == 0


def test_flask_import_evaluations_uses_the_bulk_path_and_is_safe_to_run_again(api, tmp_path):
    import json

    items = _batch(api, 30, bad_every=10) + [api.evaluation(org_code="nowhere", external_id="bulk-x")]
    path = tmp_path / "evaluations.jsonl"
    path.write_text("\n".join(json.dumps(item, ensure_ascii=False) for item in items), encoding="utf-8")
    runner = api.app.test_cli_runner()
    first = runner.invoke(args=["import", "evaluations", str(path), "--as", "ln-channel"])
    assert first.exit_code == 0, first.output
    assert "新增 30，重复 0，有误 1" in first.output and "org_code" in first.output
    again = runner.invoke(args=["import", "evaluations", str(path), "--as", "ln-channel"])
    assert "新增 0，重复 30，有误 1" in again.output
    db.session.remove()
    assert count(Evaluation) == 30 and count(Case) == 3
