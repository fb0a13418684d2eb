"""Flagged ratings (intake.flags) leave the rollups until a supervisor dismisses the flag; an upheld flag keeps
them out. The rollups equal the recount, which leaves them out the same way (004 第二十三条)."""

from __future__ import annotations

from sqlalchemy import func, select

from casemgmt.db import db
from casemgmt.intake.flags import decide_flag
from casemgmt.models import Evaluation, Region, StatRollup, User
from tests.stats.recount import recount, stored
from tests.web.ui.test_rating_flags import rate, set_rules


def _unit_total(region_id: int, counter: str = "evaluations") -> int:
    column = getattr(StatRollup, counter)
    stmt = select(func.coalesce(func.sum(column), 0)).where(StatRollup.region_id == region_id, StatRollup.dim == "unit")
    return int(db.session.scalar(stmt))


def test_flagged_ratings_leave_the_rollups_until_a_flag_is_dismissed(api, clock):
    region_id = db.session.scalar(select(Region.id).where(Region.code == "liaoning"))
    set_rules(phone_burst={"count": 2, "minutes": 60})
    made = [rate(api, n, evaluator={"phone": "13900000009"}) for n in range(4)]
    bad = rate(api, 9, evaluator={"phone": "13900000009"}, level="very_dissatisfied", reasons=["办理时间过长"])
    flagged = [e.id for e in db.session.scalars(select(Evaluation).where(Evaluation.flag_status == "pending"))]
    assert len(flagged) == 4 and bad["id"] in flagged, flagged  # every rating from the second on
    assert _unit_total(region_id) == 1 and _unit_total(region_id, "bad") == 0
    assert stored(region_id) == recount(region_id)

    supervisor = db.session.scalar(select(User).where(User.username == "ln-supervisor"))
    decide_flag(made[1]["id"], "dismissed", "核实为群众真实评价", supervisor, clock.now)
    decide_flag(bad["id"], "dismissed", "核实为群众真实评价", supervisor, clock.now)
    decide_flag(made[2]["id"], "upheld", "工作人员代评", supervisor, clock.now)
    db.session.commit()
    assert _unit_total(region_id) == 3 and _unit_total(region_id, "bad") == 1
    assert stored(region_id) == recount(region_id)
    db.session.remove()
