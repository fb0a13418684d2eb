"""Time a province-sized directory import: 5,000 units and 20,000 service items, from CSV, on a fresh database.

    python -m bench.directory_import [--db-url postgresql://...] [--units 5000] [--items 20000]

Writes the two generated files to a temporary folder, migrates and seeds a fresh database (SQLite file by
default), then runs `flask import orgs` and `flask import items` and prints the seconds each took.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_orgs(path: Path, units: int) -> list[str]:
    """Write a province tree (cities, counties, halls, departments) of `units` units; return the unit codes."""
    rows = [("xz", "", "province", "省营商环境局")]
    cities = [(f"xz-c{c:02d}", "xz", "city", f"第{c}市营商环境局") for c in range(14)]
    rows += cities
    county = 0
    while len(rows) < units:
        city = cities[county % len(cities)][0]
        code = f"{city}-k{county:03d}"
        rows.append((code, city, "county", f"第{county}县"))
        rows.append((f"{code}-hall", code, "hall", f"第{county}县政务服务中心"))
        for d in range(min(20, units - len(rows))):
            rows.append((f"{code}-d{d:02d}", f"{code}-hall", "department", f"第{county}县第{d}部门窗口"))
        county += 1
    rows = rows[:units]
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["机构编码", "上级机构编码", "机构类型", "机构名称"])
        writer.writerows(rows)
    return [r[0] for r in rows]


def write_items(path: Path, items: int, units: list[str]) -> None:
    """Write `items` service items spread over the units."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["事项编码", "事项名称", "实施机构编码", "牵头部门编码"])
        for i in range(items):
            writer.writerow([f"XZ-{i:06d}", f"政务服务事项{i}", units[i % len(units)], "xz" if i % 50 == 0 else ""])


def flask(env: dict, *args: str) -> float:
    """Run a flask command; return its wall time in seconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "flask", "--app", "web", *args], env=env, cwd=ROOT, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db-url", default=None, help="a fresh database; default: a new SQLite file")
    parser.add_argument("--units", type=int, default=5_000)
    parser.add_argument("--items", type=int, default=20_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="zg-import-"))
    url = args.db_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    env = {"SECRET_KEY": "bench", **os.environ, "DATABASE_URL": url}
    units = write_orgs(folder / "orgs.csv", args.units)
    write_items(folder / "items.csv", args.items, units)
    flask(env, "migrate")
    flask(env, "seed")
    orgs = flask(env, "import", "orgs", str(folder / "orgs.csv"), "--region", "liaoning")
    items = flask(env, "import", "items", str(folder / "items.csv"), "--region", "liaoning")
    again = flask(env, "import", "items", str(folder / "items.csv"), "--region", "liaoning")
    print(f"{args.units} units: {orgs:.1f} s; {args.items} items: {items:.1f} s; unchanged again: {again:.1f} s")


if __name__ == "__main__":
    main()
