"""Issue 16's figures on SQLite and PostgreSQL: `python -m bench.run [--pg-url URL] [counts]` (`make bench`).

Each backend gets its own database (a temp SQLite file; PostgreSQL: zhenggai_bench_<pid> beside --pg-url, dropped at
the end), migrated and seeded, served by gunicorn (2 workers, loopback HTTP). In order: the bare-engine ceiling;
bad reviews opened by single POSTs at 4 clients; completions; SQL statements per request; bad reviews through the
bulk path; bytes per open case (growth of every table and its indexes since the seed, divided by the open cases);
good evaluations through the bulk path; timers with 1 then 2 workers (each checked exactly once); the inbox over
HTTP. Then bench.inbox generates 1k, 100k
and 1M open tasks by SQL in its own databases and times the inbox at each (--inbox-sizes; "" skips it). Prints every
figure with its fraction of the bare engine and the issue's target, then a summary of the targets. Bounded: the
default counts take about 10-15 minutes on a 2-core machine, most of it the 1M inbox generation.
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
from bench.report import report

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
    baseline = table_sizes(env)
    port = free_port()
    server = start_server(env, port)
    try:
        http = Http(f"http://127.0.0.1:{port}")
        result = {"backend": name}
        result.update(extra.measure_bare_engine())
        result.update(measure_intake(http, channel, opened))
        result.update(measure_completion(http, officer, result.pop("_case_ids"), completions))
        result.update(extra.measure_statements(env))
        # bad reviews, then (after bytes per case: good evaluations are no cases) good evaluations
        result.update(extra.measure_bulk(http, channel, bulk[0], 0))
        result.update(extra.measure_bulk(http, channel, bulk[0], 0, prefix="bulk2", clients=2))
        result.update(measure_bytes(env, baseline))
        result.update(extra.measure_bulk(http, channel, 0, bulk[1], prefix="good"))
        result.update(extra.measure_bulk(http, channel, 0, bulk[1], prefix="good2", clients=2))
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


SIZES = """
import json
from sqlalchemy import text
from web import create_app
from casemgmt.db import db
app = create_app()
with app.app_context():
    sizes = {}
    if db.engine.dialect.name == "postgresql":
        # heap + TOAST (+ free-space and visibility maps) and every index of each table of the schema, as on disk
        rows = db.session.execute(text(
            "SELECT c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"))
    else:
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        # every page of each table (its overflow pages too) and of each of its indexes, by dbstat
        rows = db.session.execute(text(
            "SELECT m.tbl_name, SUM(CASE WHEN m.type = 'table' THEN s.pgsize ELSE 0 END),"
            " SUM(CASE WHEN m.type = 'index' THEN s.pgsize ELSE 0 END)"
            " FROM dbstat s JOIN sqlite_master m ON m.name = s.name GROUP BY m.tbl_name"))
    for table, data, index in rows:
        sizes[table] = [int(data or 0), int(index or 0)]
    counts = {}
    for name, sql in (("cases", "SELECT count(*) FROM cases"),
                      ("open_cases", "SELECT count(*) FROM cases WHERE status = 'open'"),
                      ("state_stored", "SELECT coalesce(sum(%s), 0) FROM process_instances")):
        if name == "state_stored":
            sql = sql % ("pg_column_size(state)" if db.engine.dialect.name == "postgresql" else "length(state)")
        counts[name] = int(db.session.scalar(text(sql)))
    print(json.dumps({"sizes": sizes, "counts": counts}))
"""


def table_sizes(env: dict) -> dict:
    """Bytes of every table of the database: [data, indexes] by table, and the case counts."""
    out = subprocess.run([PY, "-c", SIZES], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_bytes(env: dict, baseline: dict) -> dict:
    """Bytes per open case: what every table and its indexes grew by since the seeded database (reference data,
    users, calendars, the bench's tokens) until after the single-POST intake, the completions and the bulk bad
    reviews, divided by the cases open then (good evaluations come after: they are no cases).

    PostgreSQL: pg_table_size (heap, TOAST, maps) + pg_indexes_size of each table; SQLite: dbstat pages of each
    table and index. Dead row versions left by updates count (no VACUUM), and so do free-space maps and half-empty
    pages. `state` is the engine state as stored, per case: pg_column_size on PostgreSQL, length on SQLite.
    """
    now = table_sizes(env)
    before, counts = baseline["sizes"], now["counts"]
    open_cases = counts["open_cases"] or 1
    result: dict = {"bytes_open_cases": counts["open_cases"], "bytes_cases": counts["cases"]}
    tables = {}
    for table, (data, index) in now["sizes"].items():
        was = before.get(table, [0, 0])
        grown = (data - was[0], index - was[1])
        if grown != (0, 0):
            tables[table] = (grown[0] / open_cases, grown[1] / open_cases)
    result["_bytes_tables"] = tables
    result["db_bytes_per_case"] = sum(d + i for d, i in tables.values())
    result["index_bytes_per_case"] = sum(i for _, i in tables.values())
    result["state_bytes_per_case"] = counts["state_stored"] / max(counts["cases"], 1)
    return result


def bytes_lines(results: list[dict]) -> list[str]:
    """Bytes per open case by table (data + indexes), each backend side by side."""
    names = sorted({t for r in results for t in r.get("_bytes_tables", {})})
    names.sort(key=lambda t: -max(sum(r.get("_bytes_tables", {}).get(t, (0, 0))) for r in results))
    head = "bytes per open case, by table: data + indexes".ljust(48)
    lines = ["", head + "".join(f"{r['backend']:>22s}" for r in results)]
    for table in names:
        cells = []
        for r in results:
            data, index = r.get("_bytes_tables", {}).get(table, (0, 0))
            cells.append(
                f"{data:8.0f} + {index:6.0f} = {data + index:5.0f}".rjust(22) if data or index else "-".rjust(22)
            )
        lines.append(f"  {table}".ljust(48) + "".join(cells))
    lines.append("  open cases measured".ljust(48) + "".join(f"{r.get('bytes_open_cases', 0):>22d}" for r in results))
    return lines


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
    return {
        "inbox_open_tasks": open_tasks,
        "inbox_http_median_ms": statistics.median(times),
        "inbox_http_p95_ms": pct(times, 95),
    }


def maintenance(url: str) -> str:
    """The server's `postgres` database: databases are created and dropped from it, never from one in use."""
    return url.rsplit("/", 1)[0] + "/postgres"


def pg_database(admin_url: str, name: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(maintenance(admin_url), autocommit=True, connect_timeout=3) as conn:
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

    with psycopg.connect(maintenance(admin_url), autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure_inbox_at_scale(pg_url: str, sizes: str, rounds: int) -> list[dict]:
    """bench.inbox on both databases (its own ones), its output shown as it runs; its figures."""
    if not sizes:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "inbox.json"
        args = ["--sizes", sizes, "--rounds", str(rounds), "--sqlite", "--explain", "--json", str(out)]
        if pg_url:
            args += ["--pg-url", pg_url]
        print(f"== inbox at {sizes} open tasks (bench.inbox) ==", flush=True)
        subprocess.run([PY, "-m", "bench.inbox", *args], cwd=ROOT, check=True)
        return json.loads(out.read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--opened", type=int, default=400)
    parser.add_argument("--completions", type=int, default=150)
    parser.add_argument("--inbox-tasks", type=int, default=10_000)
    parser.add_argument("--bulk-bad", type=int, default=1_000)
    parser.add_argument("--bulk-good", type=int, default=10_000)
    parser.add_argument(
        "--inbox-sizes", default="1000,100000,1000000", help='open tasks bench.inbox generates; "" skips'
    )
    parser.add_argument("--inbox-rounds", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
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
    inbox = measure_inbox_at_scale(args.pg_url if pg else "", args.inbox_sizes, args.inbox_rounds)
    report(results, inbox, bytes_lines(results))
    print(f"\nbench.run took {(time.perf_counter() - started) / 60:.1f} minutes")


if __name__ == "__main__":
    main()
