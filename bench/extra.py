"""Issue 16's figures beyond bench/run.py's: the bare-engine ceiling, bulk intake, timers with 1 and 2 workers,
SQL statements per request. Each runs against the bench's own database and server (never `test`)."""

from __future__ import annotations

import itertools
import json
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

BARE = """
import json, statistics, time
from datetime import UTC, datetime
from casemgmt.calendar import WorkCalendar
from casemgmt.engine.facade import RunContext, engine
from casemgmt.models.types import pack_state
from casemgmt.rules.bundles import bundle_sha256, collect_files, settings_of
from config import ROOT
files = collect_files(ROOT / "bpmn", ROOT / "forms", "liaoning")
bundle = engine.bundle(bundle_sha256(files), lambda: files)
cal = WorkCalendar(holidays=set(), workdays=set(), closed=set(), years=set())
data = {"handling_org": "ln-sy-scjg", "supervisor_org": "ln-sy", "coordinator_org": "ln", "region": "liaoning",
        "level": "dissatisfied", "reasons": [], "settings": settings_of(files), "revoked": False, "handling": None}
times = []
for i in range(N):
    start = time.perf_counter()
    run = engine.start(bundle, dict(data, case_id=i), RunContext(now=datetime.now(UTC), calendar=cal,
                       call_operation=lambda name, d, p: None))
    assert run.ready_user_tasks()
    state = pack_state(run.dump())
    times.append((time.perf_counter() - start) * 1000)
print(json.dumps({"ms": statistics.median(times), "per_s": 1000 / statistics.mean(times), "bytes": len(state)}))
"""


def measure_bare_engine(n: int = 200) -> dict:
    """The ceiling: SpiffWorkflow (through the sandboxed facade, no database) starting the Liaoning diagram to
    its first user task and serializing (compressed as stored), in this machine's conditions now."""
    out = subprocess.run([PY, "-c", f"N = {n}\n" + BARE], cwd=ROOT, check=True, capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {"bare_start_ms": result["ms"], "bare_starts_per_s": result["per_s"], "bare_state_bytes": result["bytes"]}


#: distinct evaluator phones across every batch of a run
_PHONES = itertools.count(13_600_000_000)


def _phone() -> str:
    return str(next(_PHONES))


def _items(prefix: str, n: int, level: str) -> list[dict]:
    now = datetime.now(UTC).isoformat()
    return [
        {
            "region": "liaoning",
            "record_no": f"{prefix}-{i}",
            "item_code": "LN-0001",
            "org_code": "ln-sy-scjg",
            "level": level,
            "reasons": ["等待时间长"],
            "comment": "bench",
            # one evaluator each: one phone rating hundreds of times is a burst the flag rules hold back
            "evaluator": {"name": "测试", "phone": _phone(), "real_name": True},
            "evaluated_at": now,
            "external_id": f"{prefix}-{i}",
        }
        for i in range(n)
    ]


def measure_bulk(http, token: str, bad: int, good: int, prefix: str = "bulk", clients: int = 1) -> dict:
    """Bad reviews and good evaluations per second through POST /api/v1/evaluations:batch.

    Good evaluations go 1,000 per request; bad reviews 250 (each opens a case: a 1,000-item request takes longer
    than gunicorn's default 30 s worker timeout on this machine). `clients`: requests sent at once, each by its own
    client (1: one after the other, the server's other worker idle; 2: one per worker of the bench's server); the
    figures' keys name them when more than one (bulk_good_2c_per_s).
    """
    result = {}
    suffix = f"_{clients}c" if clients > 1 else ""
    plan = (("bulk_bad", "dissatisfied", bad, 250), ("bulk_good", "satisfied", good, 1000))
    for key, level, n, size in plan:
        if not n:
            continue
        items = _items(f"{prefix}-{level}", n, level)
        chunks = [items[offset : offset + size] for offset in range(0, n, size)]
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            answers = list(
                pool.map(lambda c: http.call("POST", "/api/v1/evaluations:batch", token, {"evaluations": c}), chunks)
            )
        elapsed = time.perf_counter() - start
        for chunk, (status, body, _) in zip(chunks, answers, strict=True):
            if status != 200 or body["counts"]["created"] != len(chunk):
                raise RuntimeError(f"bulk intake failed: {status} {str(body)[:300]}")
        result[f"{key}{suffix}_per_s"] = n / elapsed
    # a retried batch neither loses nor doubles: the first 50 items of this run's last kind, sent again
    retried = next(((level, min(n, 50)) for _, level, n, _ in reversed(plan) if n), None)
    if retried is not None:
        level, n = retried
        again = _items(f"{prefix}-{level}", n, level)
        status, body, _ = http.call("POST", "/api/v1/evaluations:batch", token, {"evaluations": again})
        expected = {"created": 0, "duplicate": n, "invalid": 0}
        result["bulk_retry_ok"] = float(status == 200 and body["counts"] == expected)
    return result


TIMERS = """
import json, resource, sys, time
from datetime import timedelta
from web import create_app
from web.worker import run_timers_once
app = create_app()
with app.app_context():
    now = app.config["CLOCK"]() + timedelta(days=DAYS)
    print("ready", flush=True)
    sys.stdin.readline()  # every worker starts at once: the wall time is the firing's, not the imports'
    start, cpu = time.time(), resource.getrusage(resource.RUSAGE_SELF)
    n = run_timers_once(now)
    end, used = time.time(), resource.getrusage(resource.RUSAGE_SELF)
    seconds = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
    print(json.dumps({"n": n, "start": start, "end": end, "cpu": seconds}))
"""

CHECK = """
import json
from datetime import timedelta
from sqlalchemy import func, select
from web import create_app
from casemgmt.db import db
from casemgmt.models import AuditEvent, HumanTask, ProcessInstance
app = create_app()
with app.app_context():
    now = app.config["CLOCK"]() + timedelta(days=DAYS)
    due = db.session.scalar(select(func.count()).select_from(ProcessInstance)
                            .where(ProcessInstance.next_timer_at < now, ProcessInstance.is_completed.is_(False)))
    events = db.session.execute(select(AuditEvent.kind, AuditEvent.chain, AuditEvent.payload)
                                .where(AuditEvent.actor == "timer")).all()
    keys = [(kind, chain, (payload or {}).get("task_id")) for kind, chain, payload in events]
    # a 督办 opened twice for one late task would be two rows naming the same supervised task
    rows = func.count(HumanTask.id)
    tasks = func.count(HumanTask.supervised_task_id.distinct())
    supervised = db.session.execute(select(rows, tasks).where(HumanTask.supervised_task_id.is_not(None))).one()
    print(json.dumps({"due_left": due, "events": len(keys), "distinct_events": len(set(keys)),
                      "supervision_rows": supervised[0], "supervised_tasks": supervised[1]}))
"""


def measure_timers(env: dict, workers: int, days: int) -> dict:
    """Fire every timer due `days` ahead with 1 or 2 worker processes started together; then check that every due
    instance was fired (none left due) and each timer once (no task event of the timer's twice for one task, no
    late task given two 督办). Also the workers' CPU per fired instance."""
    check = [PY, "-c", CHECK.replace("DAYS", str(days))]
    before = json.loads(subprocess.run(check, env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout)
    code = TIMERS.replace("DAYS", str(days))
    procs = [
        subprocess.Popen([PY, "-c", code], env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(workers)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    outs = [json.loads(p.communicate(timeout=900)[0].strip().splitlines()[-1]) for p in procs]
    total = sum(o["n"] for o in outs)
    wall = max(o["end"] for o in outs) - min(o["start"] for o in outs)
    state = json.loads(subprocess.run(check, env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout)
    new_events = state["events"] - before["events"]
    once = (
        state["due_left"] == 0
        and state["events"] == state["distinct_events"]
        and state["supervision_rows"] == state["supervised_tasks"]
        and total >= before["due_left"]
        and new_events > 0
    )
    return {
        f"timers_{workers}w_per_s": total / wall if wall else 0.0,
        f"timers_{workers}w_fired": total,
        f"timers_{workers}w_left": state["due_left"],
        f"timers_{workers}w_exactly_once": float(once),
        f"timers_{workers}w_cpu_ms": 1000 * sum(o["cpu"] for o in outs) / total if total else 0.0,
    }


STATEMENTS = """
import json
from sqlalchemy import event
from web import create_app
from casemgmt.db import db
from casemgmt.access.operations import create_token
from casemgmt.access.queries import get_user
from casemgmt.actor import Actor
app = create_app()
client = app.test_client()
with app.app_context():
    at = app.config["CLOCK"]()
    tokens = {u: create_token(get_user(u), Actor.system("bench"), at) for u in ("ln-channel", "ln-officer")}
    db.session.commit()
def call(method, path, user, body=None):
    r = client.open(path, method=method, json=body, headers={"Authorization": "Bearer " + tokens[user]})
    assert r.status_code < 300, (path, r.status_code, r.get_data(as_text=True)[:300])
    return r.get_json()
def ev(n, level):
    return {"region": "liaoning", "record_no": f"S-{level}-{n}", "item_code": "LN-0001", "org_code": "ln-sy-scjg",
            "level": level, "reasons": ["等待时间长"], "comment": "bench",
            "evaluated_at": "2025-09-26T10:00:00+08:00", "external_id": f"stmt-{level}-{n}",
            "evaluator": {"name": "测试", "phone": f"139{n:07d}{len(level) % 10}", "real_name": True}}
done = {"callback_result": "reached", "callback_at": "2025-09-26T10:30:00+08:00", "facts": "核实属实",
        "outcome": "immediate_fix"}
counts = {}
def counted(name, fn):
    fn()  # warm: the reference cache, as a running worker has it
    seen = []
    with app.app_context():
        listener = lambda *a: seen.append(1)
        event.listen(db.engine, "before_cursor_execute", listener)
    out = fn()
    with app.app_context():
        event.remove(db.engine, "before_cursor_execute", listener)
    counts[name] = len(seen)
    return out
n = iter(range(10**6))
counted("stmts_bad_review", lambda: call("POST", "/api/v1/evaluations", "ln-channel", ev(next(n), "dissatisfied")))
counted("stmts_good_evaluation", lambda: call("POST", "/api/v1/evaluations", "ln-channel", ev(next(n), "satisfied")))
def complete():
    case = call("POST", "/api/v1/evaluations", "ln-channel", ev(next(n), "dissatisfied"))
    task = call("GET", f"/api/v1/cases/{case['case_id']}", "ln-officer")["open_tasks"][0]["id"]
    return lambda: call("POST", f"/api/v1/tasks/{task}/complete", "ln-officer", {"data": done})
pending = [complete(), complete()]
counted("stmts_completion", lambda: pending.pop()())
counted("stmts_inbox_page", lambda: call("GET", "/api/v1/tasks?view=my_roles&limit=50", "ln-officer"))
print(json.dumps(counts))
"""


def measure_statements(env: dict) -> dict:
    """SQL statements per request, counted at the cursor, each request after one warm-up of its kind."""
    out = subprocess.run([PY, "-c", STATEMENTS], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def ratio_lines(results: list[dict]) -> list[str]:
    """Each throughput as a fraction of the bare-engine ceiling measured in the same run (and the reverse for ms)."""
    lines = [
        "",
        "fraction of the bare-engine ceiling (same run)".ljust(48) + "".join(r["backend"].rjust(14) for r in results),
    ]
    keys = [("opened_per_s", "bad reviews/s single"), ("bulk_bad_per_s", "bad reviews/s bulk")]
    for key, label in keys:
        values = [
            r[key] / r["bare_starts_per_s"] if r.get(key) and r.get("bare_starts_per_s") else None for r in results
        ]
        lines.append(label.ljust(48) + "".join((f"{v:.2f}" if v is not None else "-").rjust(14) for v in values))
    values = [r["bare_start_ms"] / r["complete_median_ms"] if r.get("complete_median_ms") else None for r in results]
    lines.append(
        "bare start ms / completion median ms".ljust(48)
        + "".join((f"{v:.2f}" if v is not None else "-").rjust(14) for v in values)
    )
    return lines


def median(values: list[float]) -> float:
    return statistics.median(values)
