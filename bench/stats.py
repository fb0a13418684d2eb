"""Statistics at a province's volume on PostgreSQL: `python -m bench.stats [--evaluations N] [--cases M]`.

Creates its OWN database (zg_bench_stats; dropped afterwards unless --keep), migrates and seeds it, adds a
province of units (14 cities x 8 halls x 12 departments), loads N evaluations and M cases with COPY, fills the
rollups from them with one INSERT ... SELECT per dimension (the bench's bulk path: the product keeps them per
event, casemgmt/stats/rollups.py), then measures in-process:
- the dashboard's queries (casemgmt/stats/figures.py: totals, trend, ranking, hot spots, repeats) for the
  province, a city and a hall, by quarter and year: p50 and p95 in ms;
- a quarter's report for the province (casemgmt/stats/report.py: every unit's subtree sums, hot spots,
  repeats, and the xlsx): seconds;
- EXPLAIN of every statement the dashboard ran, and whether any reads the evaluations table (it must not).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "zg_bench_stats"
NULL = "\\N"
CITIES, HALLS, DEPARTMENTS = 14, 8, 12
ITEMS, ITEMS_PER_DEPARTMENT, STAFF_PER_DEPARTMENT = 2000, 40, 20
CHANNELS = ("window_device", "app", "web", "sms", "hotline", "system_default")
GOOD = ("very_satisfied",) * 12 + ("satisfied",) * 5 + ("basic",) * 2 + ("satisfied",)
REASONS = ('["办事效率低"]', '["服务态度差"]', '["材料繁琐", "多次跑腿"]', '["系统故障"]', '["等候时间长"]')
SCORE = (
    "CASE level WHEN 'very_satisfied' THEN 10 WHEN 'satisfied' THEN 8 WHEN 'basic' THEN 6"
    " WHEN 'dissatisfied' THEN 3 ELSE 0 END"
)


def admin_url(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


def create_database(url: str) -> str:
    import psycopg

    with psycopg.connect(admin_url(url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return url.rsplit("/", 1)[0] + "/" + DB_NAME


def drop_database(url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def flask(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "web", *args], env=env, cwd=ROOT, check=True, capture_output=True
    )


def add_units(conn, region_id: int, root_id: int) -> list[int]:
    """Add the province's cities, halls and departments; return the departments' ids."""
    departments = []
    for c in range(CITIES):
        city = _org(conn, region_id, root_id, f"b{c:02d}", f"第{c + 1}市营商环境建设局", "city", f"/ln/b{c:02d}/")
        for h in range(HALLS):
            code = f"b{c:02d}h{h}"
            hall = _org(
                conn, region_id, city, code, f"第{c + 1}市第{h + 1}政务服务中心", "hall", f"/ln/b{c:02d}/{code}/"
            )
            for k in range(DEPARTMENTS):
                dcode = f"{code}d{k:02d}"
                path = f"/ln/b{c:02d}/{code}/{dcode}/"
                departments.append(_org(conn, region_id, hall, dcode, f"{code} 第{k + 1}窗口", "department", path))
    return departments


def _org(conn, region_id: int, parent: int, code: str, name: str, kind: str, path: str) -> int:
    row = conn.execute(
        "INSERT INTO organizations (region_id, parent_id, code, name, kind, path, is_active)"
        " VALUES (%s, %s, %s, %s, %s, %s, true) RETURNING id",
        (region_id, parent, code, name, kind, path),
    ).fetchone()
    return row[0]


def load_evaluations(conn, region_id: int, departments: list[int], n: int, cases: int, year: int) -> int:
    """COPY n evaluations over the year; every (n // cases)-th is a bad review. Return the first id."""
    days = [(date(year, 1, 1) + timedelta(days=k)).isoformat() for k in range(365)]
    every = max(n // max(cases, 1), 1)
    nd, nday = len(departments), len(days)
    columns = (
        "region_id, record_no, item_code, org_id, staff_no, channel, level, is_bad, reasons, comment,"
        " evaluator_name, evaluator_phone, is_real_name, evaluated_at, received_at, revoked_at, revoked_reason"
    )
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'evaluations' AND indexdef NOT LIKE '%%UNIQUE%%'"
    ).fetchall()
    for name, _ in indexes:  # built once after the load, not row by row
        conn.execute(f'DROP INDEX "{name}"')
    with conn.cursor().copy(f"COPY evaluations ({columns}) FROM STDIN") as copy:
        block = []
        for i in range(n):
            org = departments[(i * 7919) % nd]
            day = days[(i * 104729 + i // 7) % nday]
            at = f"{day} {(i % 9) + 1:02d}:{i % 60:02d}:00+00"
            bad = i % every == 0
            level = ("very_dissatisfied", "dissatisfied")[i % 2] if bad else GOOD[i % 20]
            revoked = bad and (i // every) % 20 == 0
            block.append(
                f"{region_id}\tREC-{i}\tITEM-{(org * 37 + i % ITEMS_PER_DEPARTMENT) % ITEMS:04d}\t{org}"
                f"\tS{org}-{i % STAFF_PER_DEPARTMENT}"
                f"\t{CHANNELS[i % 6] if not bad else CHANNELS[i % 5]}\t{level}\t{'t' if bad else 'f'}"
                f"\t{REASONS[i % 5] if bad else '[]'}\t\t\t\t{'t' if bad and i % 3 else 'f'}\t{at}\t{at}"
                f"\t{at if revoked else NULL}\t{'经核实为误评：核实' if revoked else NULL}\n"
            )
            if len(block) == 50_000:
                copy.write("".join(block))
                block = []
        copy.write("".join(block))
    for _, definition in indexes:
        conn.execute(definition)
    first = conn.execute("SELECT min(id), max(id) FROM evaluations WHERE record_no LIKE 'REC-%%'").fetchone()
    assert first[1] - first[0] + 1 == n, "evaluation ids are not contiguous"
    return first[0]


def load_cases(conn, region_id: int, definition_id: int, first_id: int, n: int, cases: int) -> None:
    """COPY one case per bad review: three in four closed five days later, a twentieth revoked."""
    every = max(n // max(cases, 1), 1)
    rows = conn.execute(
        "SELECT id, org_id, evaluated_at, revoked_at IS NOT NULL FROM evaluations WHERE is_bad ORDER BY id"
    ).fetchall()
    with conn.cursor().copy(
        "COPY cases (case_no, region_id, evaluation_id, handling_org_id, definition_id, status, opened_at, closed_at)"
        " FROM STDIN"
    ) as copy:
        for k, (eid, org, at, revoked) in enumerate(rows):
            status = "revoked" if revoked else ("open" if k % 4 == 0 else "closed")
            closed = (at + timedelta(days=5)).isoformat() if status != "open" else NULL
            copy.write(
                f"ZG-B-{k:08d}\t{region_id}\t{eid}\t{org}\t{definition_id}\t{status}\t{at.isoformat()}\t{closed}\n"
            )
    del every, first_id


def fill_rollups(conn) -> None:
    """Fill stat_rollups from the generated rows (the bench's bulk path), one INSERT ... SELECT per dimension."""
    conn.execute(
        "CREATE TEMP TABLE facts AS SELECT e.region_id, e.org_id, e.item_code, e.channel, e.staff_no, e.reasons,"
        " e.revoked_reason, (e.evaluated_at AT TIME ZONE 'Asia/Shanghai')::date AS day,"
        " (e.revoked_at IS NULL)::int AS counted, (e.revoked_at IS NOT NULL)::int AS revoked,"
        " e.level, e.is_bad, e.is_real_name, e.id, c.closed_at IS NOT NULL AS closed"
        " FROM evaluations e LEFT JOIN cases c ON c.evaluation_id = e.id"
    )
    sums = (
        "sum(counted), sum(counted * (level IN ('very_satisfied','satisfied'))::int),"
        " sum(counted * (level = 'basic')::int),"
        " sum(counted * is_bad::int), sum(revoked), sum(counted * (channel = 'system_default')::int), 0,"
        f" sum(counted), sum(counted * ({SCORE})), sum(counted * (is_bad AND is_real_name)::int),"
        " sum(counted * (is_bad AND is_real_name AND closed)::int),"
        " sum(counted * (is_bad AND is_real_name AND closed AND id % 10 <> 0)::int),"
        " sum(counted * (is_bad AND closed)::int), sum(counted * (is_bad AND closed AND id % 7 <> 0)::int),"
        " sum(counted * (is_bad AND closed AND id % 5 <> 0)::int)"
    )
    cols = (
        "region_id, day, dim, key, org_id, evaluations, good, basic, bad, revoked, defaulted, unrated, scored,"
        " score_sum, real_name_bad, called_back, callback_timely, closed, closed_on_time, satisfied_after"
    )
    month = "date_trunc('month', day)::date"
    for dim, key, day, source in (
        ("unit", "''", "day", "facts"),
        ("month", "''", month, "facts"),
        ("item", "item_code", month, "facts"),
        ("channel", "channel", month, "facts"),
        ("staff", "staff_no", month, "facts WHERE staff_no IS NOT NULL"),
        ("reason", "r", month, "facts, jsonb_array_elements_text(reasons) AS r WHERE is_bad"),
    ):
        group = "" if dim in ("unit", "month") else f"{key}, "
        conn.execute(
            f"INSERT INTO stat_rollups ({cols}) SELECT region_id, {day}, '{dim}', {key}, org_id, {sums}"
            f" FROM {source} GROUP BY region_id, {day}, {group}org_id"
        )
    conn.execute(
        f"INSERT INTO stat_rollups (region_id, day, dim, key, org_id, revoked) SELECT region_id, {month}, 'revoked',"
        f" split_part(revoked_reason, '：', 1), org_id, count(*) FROM facts WHERE revoked = 1"
        f" GROUP BY region_id, {month}, split_part(revoked_reason, '：', 1), org_id"
    )
    conn.execute("ANALYZE")


def pct(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(url: str, rounds: int) -> None:
    os.environ.update(DATABASE_URL=url, SECRET_KEY=secrets.token_hex(16), AUDIT_CHECKPOINT_KEY=secrets.token_hex(16))
    from sqlalchemy import event, select

    from casemgmt.db import db
    from casemgmt.models import Organization, Region
    from casemgmt.stats import figures, report
    from web import create_app

    app = create_app()
    with app.app_context():
        region = db.session.scalar(select(Region).where(Region.code == "liaoning"))
        city = db.session.scalar(select(Organization).where(Organization.code == "b03"))
        hall = db.session.scalar(select(Organization).where(Organization.code == "b03h2"))
        statements: list[tuple[str, object]] = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            statements.append((statement, parameters))

        queries = {
            "totals": lambda s: figures.totals(s),
            "trend": lambda s: figures.trend(s, "day" if (s.end - s.start).days <= 92 else "month"),
            "ranking": figures.by_unit,
            "hot_spots_item": lambda s: figures.hot_spots(s, "item"),
            "hot_spots_reason": lambda s: figures.hot_spots(s, "reason"),
            "repeats_staff": lambda s: figures.repeats(s, "staff"),
        }
        scopes = [figures.public_scope(region, p, org) for p in ("2025Q3", "2025") for org in (None, city, hall)]
        times: dict[str, list[float]] = {name: [] for name in queries}
        event.listen(db.engine, "before_cursor_execute", capture)
        for fn in queries.values():
            fn(scopes[0])  # warm
        event.remove(db.engine, "before_cursor_execute", capture)
        for _ in range(rounds):
            for scope in scopes:
                for name, fn in queries.items():
                    start = time.perf_counter()
                    fn(scope)
                    times[name].append((time.perf_counter() - start) * 1000)
                    db.session.rollback()
        every = [t for values in times.values() for t in values]
        print(f"dashboard queries: {len(every)} calls over {len(scopes)} scopes (province/city/hall x quarter/year)")
        for name, values in times.items():
            print(f"  {name:18s} p50 {statistics.median(values):7.1f} ms   p95 {pct(values, 95):7.1f} ms")
        print(f"DASHBOARD p95 (all queries): {pct(every, 95):.1f} ms")
        start = time.perf_counter()
        data = report.report_figures(figures.public_scope(region, "2025Q3"))
        xlsx = report.report_xlsx(data)
        print(
            f"QUARTER REPORT (province, 2025Q3, {len(data['units'])} units, xlsx {len(xlsx)} bytes): "
            f"{time.perf_counter() - start:.2f} s"
        )
        reads = 0
        with db.engine.connect() as conn:
            for statement, params in statements:
                plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, params))
                reads += "evaluations" in plan
                print("---- EXPLAIN", statement.split("FROM", 1)[0][:60].replace("\n", " "), "...")
                print(plan)
        print(f"PLANS: {len(statements)} dashboard statements, {reads} read the evaluations table")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg-url", default="postgresql://postgres@127.0.0.1:5432/test", help="any database of the server"
    )
    parser.add_argument("--evaluations", type=int, default=10_000_000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the zg_bench_stats database")
    args = parser.parse_args()
    import psycopg

    url = create_database(args.pg_url)
    try:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "AUDIT_CHECKPOINT_KEY": "bench",
            "FLASK_APP": "web",
        }
        t0 = time.perf_counter()
        flask(env, "migrate")
        flask(env, "seed", "--demo")
        with psycopg.connect(url) as conn:
            conn.execute("SET synchronous_commit = off")
            region_id, root_id = conn.execute("SELECT region_id, id FROM organizations WHERE code = 'ln'").fetchone()
            definition_id = conn.execute(
                "SELECT min(id) FROM process_definitions WHERE region_id = %s", (region_id,)
            ).fetchone()[0]
            departments = add_units(conn, region_id, root_id)
            first = load_evaluations(conn, region_id, departments, args.evaluations, args.cases, 2025)
            t1 = time.perf_counter()
            load_cases(conn, region_id, definition_id, first, args.evaluations, args.cases)
            conn.commit()
            t2 = time.perf_counter()
            fill_rollups(conn)
            conn.commit()
            counts = conn.execute(
                "SELECT (SELECT count(*) FROM evaluations), (SELECT count(*) FROM cases),"
                " (SELECT count(*) FROM stat_rollups)"
            ).fetchone()
        t3 = time.perf_counter()
        print(
            f"loaded {counts[0]:,} evaluations and {counts[1]:,} cases with COPY in {t2 - t0:.0f} s "
            f"(evaluations {t1 - t0:.0f} s); {counts[2]:,} rollup rows in {t3 - t2:.0f} s; "
            f"{len(departments) + CITIES * (HALLS + 1)} units"
        )
        measure(url, args.rounds)
    finally:
        if not args.keep:
            drop_database(args.pg_url)


if __name__ == "__main__":
    main()
