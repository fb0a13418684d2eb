"""Build the zlib preset dictionary of stored engine states (casemgmt/models/state_zdict_1.bin), ONCE.

The dictionary is part of the storage format: states written with it (marker Z2:) need the very same bytes to be
read, so the file is never regenerated in place; a better dictionary is a new file and a new marker. Kept for the
record of how it was made: zhenggai/2 states of every region's diagram at its first three user tasks, task ids
blanked (they are random), the most common material last (zlib finds nearer matches cheaper).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from casemgmt.calendar import WorkCalendar
from casemgmt.engine.facade import RunContext, engine
from casemgmt.rules.bundles import bundle_sha256, collect_files, settings_of
from config import ROOT
from tests.web.flows import FORMS, callback

UUID = re.compile(rb"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
OUT = ROOT / "casemgmt" / "models" / "state_zdict_1.bin"


def states(region: str) -> list[bytes]:
    files = collect_files(ROOT / "bpmn", ROOT / "forms", region)
    bundle = engine.bundle(bundle_sha256(files), lambda: files)
    calendar = WorkCalendar(holidays=set(), workdays=set(), closed=set(), years=set())
    ctx = RunContext(now=datetime(2026, 1, 5, 2, tzinfo=UTC), calendar=calendar, call_operation=lambda *a: None)
    data = {
        "handling_org": "ln-sy-scjg",
        "supervisor_org": "ln-sy",
        "coordinator_org": "ln",
        "region": region,
        "level": "dissatisfied",
        "reasons": [],
        "settings": settings_of(files),
        "revoked": False,
        "handling": None,
        "case_id": 1,
    }
    run = engine.start(bundle, data, ctx)
    out = []
    for form in (callback("ledger"), FORMS["rectification"], FORMS["feedback"]):
        out.append(UUID.sub(b"", run.dump().encode("utf-8")))
        ready = run.ready_user_tasks()
        if not ready:
            break
        try:
            run.complete(ready[0].spiff_id, form)
        except Exception:  # noqa: BLE001 - another region's form differs: its states so far serve
            break
    return out


def main() -> None:
    regions = [p.name for p in sorted((ROOT / "bpmn").iterdir()) if p.is_dir() and p.name != "national"]
    samples = [s for region in regions if region != "liaoning" for s in states(region)[:1]]
    samples += list(reversed(states("liaoning")))
    zdict = b"".join(samples)[-32768:]
    OUT.write_bytes(zdict)
    print(OUT, len(zdict))


if __name__ == "__main__":
    main()
