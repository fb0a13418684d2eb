"""The figures of the statistics, each defined once here with the article it serves (docs/STATISTICS.md).

Counters live in rollup rows (casemgmt/models/stats.py) and are attributed to the day the service was rated, so a
period's rates answer "of the reviews given in this period, how many ...". A revoked review leaves every counter
but `revoked`. Rates are ratios of summed counters; a rate with a zero denominator is None (shown as "—").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from casemgmt.calendar.case_calendar import case_calendar
from casemgmt.db import db
from casemgmt.models import Case, HumanTask, TaskStatus

#: the domain's local time: days and periods are Asia/Shanghai days
LOCAL = timezone(timedelta(hours=8))
#: levels that count as 好评 (very satisfied, satisfied) and as 基本满意
GOOD_LEVELS = ("very_satisfied", "satisfied")
BASIC_LEVELS = ("basic",)
#: the channel of a rating given by default after the window passed (casemgmt/intake/records.py)
DEFAULT_CHANNEL = "system_default"
#: callback deadline in working days when the region's settings name none (settings `callback_workdays`)
DEFAULT_CALLBACK_WORKDAYS = 3

DIMENSIONS = {
    "unit": "被评价单位",
    "month": "被评价单位（按月）",
    "item": "服务事项",
    "channel": "评价渠道",
    "staff": "工作人员工号",
    "reason": "差评原因",
    "revoked": "不予采纳/撤销原因",
}


@dataclass(frozen=True)
class Counter:
    name: str
    label: str
    article: str


COUNTERS = (
    Counter("evaluations", "评价数（不含撤销）", "000 四.(二)、附件4；GB/T 39734 附录B"),
    Counter("good", "好评数（非常满意、满意）", "000 附件4；004 第二十五条；GB/T 39734 附录B"),
    Counter("basic", "基本满意数", "000 附件4"),
    Counter("bad", "差评数（不满意、非常不满意，不含撤销）", "000 四.(二)；002 第十二条"),
    Counter("revoked", "撤销或不予采纳的差评数（按原因计）", "002 第十一条：误评或恶意差评不予采纳"),
    Counter("defaulted", "期限内未评价、按规定默认评价数", "002 第十条"),
    Counter("unrated", "期限内未评价、记为未评数", "004 第十条"),
    Counter("scored", "计分的评价数", "002 第十条（10/8/6/3/0）"),
    Counter("score_sum", "评价得分合计", "002 第十条"),
    Counter("real_name_bad", "实名差评数", "000 四.(一)；002 第十一条"),
    Counter("called_back", "已回访的实名差评数", "000 四.(一)：实名差评回访率100%"),
    Counter("callback_timely", "期限内首次回访的实名差评数", "002 第十一条：1个工作日之内回访核实"),
    Counter("closed", "已整改办结的差评数", "000 四.(一)；002 第十一条：有效诉求整改率100%"),
    Counter(
        "closed_on_time", "按期（工作日期限，含批准延期）办结的差评数", "002 第十一条：15个工作日内完成整改，延期经同意"
    ),
    Counter("satisfied_after", "整改后评价人表示满意的差评数", "001 二.(三)1；GB/T 39734 附录B"),
)


@dataclass(frozen=True)
class Rate:
    name: str
    label: str
    numerator: str
    denominator: str
    article: str


RATES = (
    Rate("good_rate", "好评率", "good", "evaluations", "000 附件4；004 第二十五条；GB/T 39734 附录B"),
    Rate("bad_rate", "差评率", "bad", "evaluations", "000 附件4"),
    Rate("callback_rate", "实名差评回访率", "called_back", "real_name_bad", "000 四.(一)；002 第十一条"),
    Rate("rectify_rate", "差评整改率", "closed", "bad", "000 四.(一)；002 第十一条"),
    Rate("on_time_rate", "按期整改率", "closed_on_time", "closed", "002 第十一条：15个工作日内完成整改，延期经同意"),
    Rate("callback_timely_rate", "回访及时率", "callback_timely", "called_back", "002 第十一条"),
    Rate("satisfied_after_rate", "整改后满意率", "satisfied_after", "closed", "001 二.(三)1"),
)

#: a unit, item or staff number with at least this many counted bad reviews in a period has repeat bad reviews
#: (001 二.(四)2; 002 第十四条; 004 第二十六-二十八条)
REPEAT_THRESHOLD = 2


def bucket(dim: str, day: date) -> date:
    """Return the day a rollup row of a dimension is kept under: units by day (trends), every other dimension by
    month (its first day), so that items, staff numbers and reasons stay far fewer rows than the evaluations."""
    return day if dim == "unit" else day.replace(day=1)


def local_day(at: datetime) -> date:
    """Return the Asia/Shanghai day of an instant."""
    return at.astimezone(LOCAL).date()


def revocation_label(reason: str) -> str:
    """Return the label of a recorded revocation reason ("经核实为误评：opinion" -> "经核实为误评"): reasons are
    counted by label, never by the opinion's free text."""
    return reason.split("：", 1)[0]


def level_counters(level: str) -> dict[str, int]:
    """Return the level counters one counted evaluation adds."""
    if level in GOOD_LEVELS:
        return {"good": 1}
    if level in BASIC_LEVELS:
        return {"basic": 1}
    return {}


def rate(numerator: int, denominator: int) -> float | None:
    """Return a rate in percent with two decimals, None when nothing was there to count."""
    return round(100.0 * numerator / denominator, 2) if denominator else None


def rates_of(counts: dict[str, int]) -> dict[str, float | None]:
    """Return every rate of RATES, plus the average score, from summed counters."""
    out: dict[str, float | None] = {
        r.name: rate(counts.get(r.numerator, 0), counts.get(r.denominator, 0)) for r in RATES
    }
    scored = counts.get("scored", 0)
    out["average_score"] = round(counts.get("score_sum", 0) / scored, 2) if scored else None
    return out


def callback_timely(case: Case, first_attempt_at: datetime, workdays: int) -> bool:
    """A first callback is timely when made within `workdays` working days after the case opened (start day not
    counted; the case's calendar, 调休 included)."""
    due, _ = case_calendar(case).add_working_days(local_day(case.opened_at), workdays)
    return local_day(first_attempt_at) <= due


def closed_on_time(case: Case, closed_at: datetime) -> bool:
    """A case closes on time when it closes by the latest deadline of the tasks created before closing (deadlines
    count working days and move with approved extensions); a case without deadlines is on time."""
    stmt = select(func.max(HumanTask.due_at)).where(HumanTask.case_id == case.id, HumanTask.created_at < closed_at)
    due = db.session.scalar(stmt)
    return due is None or closed_at <= due


def satisfied_after(case: Case, closed_at: datetime) -> bool:
    """The evaluator was satisfied after rectification when the last completed task by closing that asked
    (a `satisfied` field) recorded "yes"."""
    stmt = (
        select(HumanTask.data)
        .where(HumanTask.case_id == case.id, HumanTask.status == TaskStatus.COMPLETED)
        .where(HumanTask.completed_at <= closed_at)
        .order_by(HumanTask.completed_at, HumanTask.id)
    )
    last = None
    for data in db.session.scalars(stmt):
        if isinstance(data, dict) and "satisfied" in data:
            last = data["satisfied"]
    return last == "yes"
