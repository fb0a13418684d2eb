"""Measure Zhenggai on SQLite and PostgreSQL through real HTTP (gunicorn, 2 workers, loopback).

Prints: bad reviews opened per second, task completion median/p95, inbox p95 with 10,000 open tasks,
bytes per open case; then PostgreSQL/SQLite ratios. Bounded in count and time; stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from bench import extra

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
GUNICORN = str(Path(PY).with_name("gunicorn"))


def flask(env: dict, *args: str) -> str:
    out = subprocess.run(
        [PY, "-m", "flask", "--app", "web", *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Http:
    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict, float]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                payload, status = resp.read(), resp.status
        except urllib.error.HTTPError as err:
            payload, status = err.read(), err.code
        return status, json.loads(payload or b"{}"), (time.perf_counter() - start) * 1000


def evaluation(n: int) -> dict:
    return {
        "region": "liaoning",
        "record_no": f"B-{n}",
        "item_code": "LN-0001",
        "org_code": "ln-sy-scjg",
        "level": "dissatisfied",
        "reasons": ["等待时间长"],
        "comment": "bench",
        # one evaluator each: one phone rating hundreds of times is a burst the flag rules hold back
        "evaluator": {"name": "测试", "phone": f"137{n:08d}", "real_name": True},
        "evaluated_at": datetime.now(UTC).isoformat(),
        "external_id": f"bench-{n}",
    }


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def start_server(env: dict, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            GUNICORN,
            "-w",
            "2",
            "--timeout",
            "300",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "web:create_app()",
        ],
        env=env,
        cwd=ROOT,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/tasks", timeout=2)
        except urllib.error.HTTPError:
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def bench_backend(name: str, url: str, opened: int, completions: int, inbox_tasks: int, bulk: tuple[int, int]) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(16), "FLASK_APP": "web"}
    env["AUDIT_CHECKPOINT_KEY"] = secrets.token_hex(16)
    flask(env, "migrate")
    flask(env, "seed", "--demo")
    channel, officer = flask(env, "tokens", "create", "ln-channel"), flask(env, "tokens", "create", "ln-officer")
    port = free_port()
    server = start_server(env, port)
    try:
        http = Http(f"http://127.0.0.1:{port}")
        result = {"backend": name}
        result.update(extra.measure_bare_engine())
        result.update(measure_intake(http, channel, opened))
        result.update(measure_completion(http, officer, result.pop("_case_ids"), completions))
        result.update(measure_bytes(env, url))
        result.update(extra.measure_statements(env))
        result.update(extra.measure_bulk(http, channel, *bulk))
        result.update(extra.measure_timers(env, 1, TIMER_DAYS))
        extra.measure_bulk(http, channel, bulk[0], 0, prefix="again")
        result.update(extra.measure_timers(env, 2, TIMER_DAYS))
        result.update(measure_inbox(env, http, officer, inbox_tasks))
        return result
    finally:
        server.terminate()
        server.wait(timeout=30)


def measure_intake(http: Http, token: str, n: int) -> dict:
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda i: http.call("POST", "/api/v1/evaluations", token, evaluation(i)), range(n)))
    elapsed = time.perf_counter() - start
    bad = [r for r in results if r[0] != 201]
    if bad:
        raise RuntimeError(f"intake failed: {bad[:3]}")
    return {
        "opened_per_s": n / elapsed,
        "intake_p95_ms": pct([r[2] for r in results], 95),
        "_case_ids": [r[1]["case_id"] for r in results],
    }


def measure_completion(http: Http, token: str, case_ids: list[int], n: int) -> dict:
    times = []
    for case_id in case_ids[:n]:
        _, case, _ = http.call("GET", f"/api/v1/cases/{case_id}", token)
        task_id = case["open_tasks"][0]["id"]
        data = {
            "callback_result": "reached",
            "callback_at": datetime.now(UTC).isoformat(),
            "facts": "核实属实",
            "outcome": "immediate_fix",
        }
        status, body, ms = http.call("POST", f"/api/v1/tasks/{task_id}/complete", token, {"data": data})
        if status != 200:
            raise RuntimeError(f"complete failed: {status} {body}")
        times.append(ms)
    return {"complete_median_ms": statistics.median(times), "complete_p95_ms": pct(times, 95)}


def measure_bytes(env: dict, url: str) -> dict:
    code = """
from sqlalchemy import func, select
from web import create_app
from casemgmt.db import db
from casemgmt.models import ProcessInstance, HumanTask, AuditEvent, Case, Evaluation
app = create_app()
with app.app_context():
    n = db.session.scalar(select(func.count()).select_from(Case))
    state = db.session.scalar(select(func.sum(func.length(ProcessInstance.state))))
    total = 0
    if db.engine.dialect.name == "postgresql":
        for t in ("cases", "process_instances", "human_tasks", "audit_events", "evaluations", "outbox_messages"):
            total += db.session.scalar(db.text(f"select pg_total_relation_size('{t}')"))
    print(n, state, total)
"""
    out = subprocess.run([PY, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    n, state, total = (int(x) for x in out.stdout.split())
    result = {"state_bytes_per_case": state / n}
    if total:
        result["db_bytes_per_case"] = total / n
    elif url.startswith("sqlite:///"):
        result["db_bytes_per_case"] = Path(url[len("sqlite:///") :]).stat().st_size / n
    return result


def measure_inbox(env: dict, http: Http, token: str, total: int) -> dict:
    code = f"""
from datetime import timedelta
from sqlalchemy import select, func, insert
from web import create_app
from casemgmt.db import db
from casemgmt.models import HumanTask, TaskStatus
app = create_app()
with app.app_context():
    open_now = db.session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.status == TaskStatus.OPEN))
    template = db.session.scalars(select(HumanTask).where(HumanTask.status == TaskStatus.OPEN).limit(1)).one()
    cols = {{c.key: getattr(template, c.key) for c in HumanTask.__table__.columns if c.key != 'id'}}
    rows = []
    for i in range(max(0, {total} - open_now)):
        row = dict(cols, spiff_task_id=f'bench-{{i}}', due_at=template.due_at + timedelta(minutes=i % 5000))
        rows.append(row)
    for start in range(0, len(rows), 1000):
        db.session.execute(insert(HumanTask), rows[start:start + 1000])
    db.session.commit()
    # what autovacuum would do after a bulk load; without it the planner guesses one row
    db.session.execute(db.text("ANALYZE human_tasks"))
    db.session.commit()
    print(db.session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.status == TaskStatus.OPEN)))
"""
    out = subprocess.run([PY, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    open_tasks = int(out.stdout.split()[-1])
    times: list[float] = []
    cursor = None
    for i in range(200):
        after = f"&cursor={urllib.parse.quote(cursor)}" if cursor else ""
        status, body, ms = http.call("GET", f"/api/v1/tasks?view=my_roles&limit=50{after}", token)
        if status != 200 or not body["tasks"]:
            raise RuntimeError(f"inbox failed: {status}")
        times.append(ms)
        # walk the first 20 pages, then start over
        cursor = body["next_cursor"] if (i + 1) % 20 else None
    return {"inbox_open_tasks": open_tasks, "inbox_median_ms": statistics.median(times), "inbox_p95_ms": pct(times, 95)}


def pg_database(admin_url: str, name: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as err:  # noqa: BLE001 - reported, the PostgreSQL half is skipped
        print(f"!! PostgreSQL unreachable ({err}); skipping the PostgreSQL half", file=sys.stderr)
        return None
    return admin_url.rsplit("/", 1)[0] + "/" + name


#: timers are fired as of this many days ahead: every case's first deadline has passed by then
TIMER_DAYS = 20


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


LABELS = [
    ("bare_starts_per_s", "CEILING: bare engine starts/s (no database)", "{:.1f}"),
    ("bare_start_ms", "CEILING: bare engine start+dump median ms", "{:.2f}"),
    ("opened_per_s", "bad reviews opened per second (HTTP, gunicorn -w 2)", "{:.1f}"),
    ("bulk_bad_per_s", "bad reviews/s through the bulk path", "{:.1f}"),
    ("bulk_good_per_s", "good evaluations/s through the bulk path", "{:.0f}"),
    ("bulk_retry_ok", "bulk retry: nothing lost or doubled (1=yes)", "{:.0f}"),
    ("timers_1w_per_s", "timers/s, 1 worker", "{:.1f}"),
    ("timers_1w_fired", "  instances fired", "{:.0f}"),
    ("timers_1w_left", "  due instances left unfired (0=none)", "{:.0f}"),
    ("timers_1w_exactly_once", "  each exactly once (1=yes)", "{:.0f}"),
    ("timers_1w_cpu_ms", "  worker CPU ms per fired timer", "{:.2f}"),
    ("timers_2w_per_s", "timers/s, 2 workers", "{:.1f}"),
    ("timers_2w_fired", "  instances fired", "{:.0f}"),
    ("timers_2w_left", "  due instances left unfired (0=none)", "{:.0f}"),
    ("timers_2w_exactly_once", "  each exactly once (1=yes)", "{:.0f}"),
    ("timers_2w_cpu_ms", "  worker CPU ms per fired timer", "{:.2f}"),
    ("stmts_bad_review", "SQL statements: bad review", "{:.0f}"),
    ("stmts_completion", "SQL statements: completion", "{:.0f}"),
    ("stmts_good_evaluation", "SQL statements: good evaluation", "{:.0f}"),
    ("stmts_inbox_page", "SQL statements: inbox page", "{:.0f}"),
    ("intake_p95_ms", "intake p95 ms", "{:.1f}"),
    ("complete_median_ms", "complete task median ms", "{:.1f}"),
    ("complete_p95_ms", "complete task p95 ms", "{:.1f}"),
    ("inbox_open_tasks", "open tasks in the inbox table", "{:.0f}"),
    ("inbox_median_ms", "inbox page median ms", "{:.1f}"),
    ("inbox_p95_ms", "inbox page p95 ms", "{:.1f}"),
    ("state_bytes_per_case", "engine state bytes per case", "{:.0f}"),
    ("db_bytes_per_case", "database bytes per case (all case tables)", "{:.0f}"),
]


def report(results: list[dict]) -> None:
    names = [r["backend"] for r in results]
    ratio = "  pg/sqlite" if len(results) == 2 else ""
    print("\n" + "figure".ljust(48) + "".join(n.rjust(14) for n in names) + ratio)
    for key, label, fmt in LABELS:
        values = [r.get(key) for r in results]
        line = label.ljust(48) + "".join((fmt.format(v) if v is not None else "-").rjust(14) for v in values)
        if len(values) == 2 and all(values):
            line += f"  {values[1] / values[0]:8.2f}"
        print(line)
    for line in extra.ratio_lines(results):
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--opened", type=int, default=400)
    parser.add_argument("--completions", type=int, default=150)
    parser.add_argument("--inbox-tasks", type=int, default=10_000)
    parser.add_argument("--bulk-bad", type=int, default=1_000)
    parser.add_argument("--bulk-good", type=int, default=10_000)
    args = parser.parse_args()
    results = []
    bulk = (args.bulk_bad, args.bulk_good)
    with tempfile.TemporaryDirectory() as tmp:
        print("== SQLite ==", flush=True)
        results.append(
            bench_backend(
                "sqlite", f"sqlite:///{tmp}/bench.sqlite3", args.opened, args.completions, args.inbox_tasks, bulk
            )
        )
    # its own database, named for this run: never `test`, nor another engineer's bench running meanwhile
    name = f"zhenggai_bench_{os.getpid()}"
    pg = pg_database(args.pg_url, name)
    if pg:
        print(f"== PostgreSQL ({name}) ==", flush=True)
        try:
            results.append(bench_backend("postgresql", pg, args.opened, args.completions, args.inbox_tasks, bulk))
        finally:
            drop_database(args.pg_url, name)
    report(results)


if __name__ == "__main__":
    main()
