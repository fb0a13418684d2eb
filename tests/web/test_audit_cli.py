"""`flask audit checkpoint`, `export-checkpoint` and `verify --all` (progress bar, non-zero exit on a break)."""

from __future__ import annotations

import json

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import AuditEvent


def test_checkpoint_export_and_verify_all(api, seeded_app):
    case_id = api.bad_review()["case_id"]
    runner = seeded_app.test_cli_runner()
    written = runner.invoke(args=["audit", "checkpoint"])
    assert written.exit_code == 0 and "检查点 #1" in written.output
    exported = runner.invoke(args=["audit", "export-checkpoint"])
    document = json.loads(exported.output)
    assert document["algorithm"] == "HMAC-SHA256" and f"case:{case_id}" in document["heads"]
    intact = runner.invoke(args=["audit", "verify", "--all"])
    assert intact.exit_code == 0 and "全部完好" in intact.output and "校验审计链" in intact.output
    last = db.session.scalar(
        select(AuditEvent).where(AuditEvent.chain == f"case:{case_id}").order_by(AuditEvent.seq.desc())
    )
    db.session.delete(last)
    db.session.commit()
    broken = runner.invoke(args=["audit", "verify", "--all"])
    assert broken.exit_code == 1
    assert f"case:{case_id} 第" in broken.output and "末尾记录被删除" in broken.output
    assert runner.invoke(args=["audit", "verify", f"case:{case_id}"]).exit_code == 1
    assert runner.invoke(args=["audit", "verify"]).exit_code == 2
