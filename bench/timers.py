"""Timers alone: open cases through the bulk path in-process, then fire every timer due `--days` ahead with 1
worker process, then (after opening as many again) with 2; each checked exactly once (bench/extra.py's
measure_timers, the figure `make bench` prints). Private databases, dropped at the end.

    .venv/bin/python -m bench.timers --cases 2000 [--sqlite] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import extra
from bench.report import FIGURES
from bench.run import TIMER_DAYS, drop_database, flask, pg_database

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

OPEN = """
import json
from web import create_app
from casemgmt.db import db
from casemgmt.access.operations import create_token
from casemgmt.access.queries import get_user
from casemgmt.actor import Actor
from bench.extra import _items
app = create_app()
client = app.test_client()
with app.app_context():
    token = create_token(get_user("ln-channel"), Actor.system("bench"), app.config["CLOCK"]())
    db.session.commit()
items = _items("PREFIX", N, "dissatisfied")
for offset in range(0, N, 250):
    chunk = items[offset : offset + 250]
    r = client.post("/api/v1/evaluations:batch", json={"evaluations": chunk},
                    headers={"Authorization": "Bearer " + token})
    body = r.get_json()
    assert r.status_code == 200 and body["counts"]["created"] == len(chunk), (r.status_code, str(body)[:300])
print(json.dumps({"opened": N}))
"""


def open_cases(env: dict, n: int, prefix: str) -> None:
    """Open `n` cases (bad reviews) through the bulk path, in-process (no server)."""
    code = f"N = {n}\n" + OPEN.replace("PREFIX", prefix)
    subprocess.run([PY, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True)


def bench_backend(name: str, url: str, cases: int, days: int) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(16), "FLASK_APP": "web"}
    env["AUDIT_CHECKPOINT_KEY"] = secrets.token_hex(16)
    flask(env, "migrate")
    flask(env, "seed", "--demo")
    result: dict = {"backend": name}
    open_cases(env, cases, "t1")
    result.update(extra.measure_timers(env, 1, days))
    open_cases(env, cases, "t2")
    result.update(extra.measure_timers(env, 2, days))
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--days", type=int, default=TIMER_DAYS)
    parser.add_argument("--sqlite", action="store_true", help="SQLite too")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    results = []
    if args.sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            print("== SQLite ==", flush=True)
            results.append(bench_backend("sqlite", f"sqlite:///{tmp}/bench.sqlite3", args.cases, args.days))
    name = f"zhenggai_bench_timers_{os.getpid()}"
    pg = None if args.no_pg else pg_database(args.pg_url, name)
    if pg:
        print(f"== PostgreSQL ({name}) ==", flush=True)
        try:
            results.append(bench_backend("postgresql", pg, args.cases, args.days))
        finally:
            drop_database(args.pg_url, name)
    print("\n" + "figure".ljust(48) + "".join(r["backend"].rjust(14) for r in results))
    for key, label, fmt, _ceiling, _target in FIGURES:
        if key.startswith("timers_"):
            print(label.ljust(48) + "".join(fmt.format(r[key]).rjust(14) for r in results))


if __name__ == "__main__":
    main()
