"""Working-day arithmetic and notice parsing; no database."""

from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest

from casemgmt.calendar import (
    SHANGHAI,
    Due,
    WorkCalendar,
    parse_notice,
    shipped_national,
)
from casemgmt.errors import CalendarInvalid

NOTICE_2023 = """\
国务院办公厅关于2023年部分节假日安排的通知
国办发明电〔2022〕16号
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
经国务院批准，现将2023年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：2022年12月31日至2023年1月2日放假调休，共3天。
二、春节：1月21日至27日放假调休，共7天。1月28日（星期六）、1月29日（星期日）上班。
三、清明节：4月5日放假，共1天。
四、劳动节：4月29日至5月3日放假调休，共5天。4月23日（星期日）、5月6日（星期六）上班。
五、端午节：6月22日至24日放假调休，共3天。6月25日（星期日）上班。
六、中秋节、国庆节：9月29日至10月6日放假调休，共8天。10月7日（星期六）、10月8日（星期日）上班。
节假日期间，各地区、各部门要妥善安排好值班和安全、保卫、疫情防控等工作。
国务院办公厅
2022年12月8日
"""

NOTICE_2024 = """\
一、元旦：1月1日放假，与周末连休。
二、春节：2月10日至17日放假调休，共8天。2月4日（星期日）、2月18日（星期日）上班。\
鼓励各单位结合带薪年休假等制度落实，安排职工在除夕（2月9日）休息。
三、清明节：4月4日至6日放假调休，共3天。4月7日（星期日）上班。
四、劳动节：5月1日至5日放假调休，共5天。4月28日（星期日）、5月11日（星期六）上班。
五、端午节：6月10日放假，与周末连休。
六、中秋节：9月15日至17日放假调休，共3天。9月14日（星期六）上班。
七、国庆节：10月1日至7日放假调休，共7天。9月29日（星期日）、10月12日（星期六）上班。
"""

NOTICE_2025 = """\
国务院办公厅关于2025年部分节假日安排的通知
国办发明电〔2024〕12号
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
按照上述原则，现将2025年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：1月1日（周三）放假1天，不调休。
二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。\
1月26日（周日）、2月8日（周六）上班。
三、清明节：4月4日（周五）至6日（周日）放假，共3天。
四、劳动节：5月1日（周四）至5日（周一）放假调休，共5天。4月27日（周日）上班。
五、端午节：5月31日（周六）至6月2日（周一）放假，共3天。
六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。9月28日（周日）、10月11日（周六）上班。
节假日期间，各地区、各部门要妥善安排好值班和安全、保卫、疫情防控等工作，遇有重大突发事件，\
要按规定及时报告并妥善处置，确保人民群众祥和平安度过节日假期。
国务院办公厅
2024年11月12日
"""

NOTICE_2026 = """\
一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。\
2月14日（周六）、2月28日（周六）上班。
三、清明节：4月4日（周六）至6日（周一）放假，共3天。
四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
五、端午节：6月19日（周五）至21日（周日）放假，共3天。
六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
"""

NOTICES = {2023: NOTICE_2023, 2024: NOTICE_2024, 2025: NOTICE_2025, 2026: NOTICE_2026}


def national(*, closed: frozenset[date] = frozenset()) -> WorkCalendar:
    """Build the calendar of the shipped national data, without a database."""
    shipped = shipped_national()
    days = [entry for payload in shipped.values() for entry in payload["days"]]
    holidays = {date.fromisoformat(e["day"]) for e in days if e["kind"] == "holiday"}
    workdays = {date.fromisoformat(e["day"]) for e in days if e["kind"] == "workday"}
    return WorkCalendar(holidays, workdays, closed, set(shipped))


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def due_date(start: date, n: int) -> date:
    return national().due(shanghai(start.year, start.month, start.day, 10), n).due_date


def test_shipped_data_covers_2023_to_2026_with_its_sources():
    shipped = shipped_national()
    assert sorted(shipped) == [2023, 2024, 2025, 2026]
    assert shipped[2025]["source"] == "国办发明电〔2024〕12号"
    assert all(payload["source"] for payload in shipped.values())


def test_every_day_of_2023_to_2026_matches_chinese_calendar():
    calendar = national()
    day, mismatches = date(2023, 1, 1), []
    while day <= date(2026, 12, 31):
        if calendar.is_working_day(day) != chinese_calendar.is_workday(day):
            mismatches.append(day)
        day += timedelta(days=1)
    assert mismatches == []


def test_every_make_up_day_of_chinese_calendar_is_shipped():
    expected = {d for d in chinese_calendar.workdays if 2023 <= d.year <= 2026}
    assert national().workdays == expected


def test_fifteen_working_days_from_2025_09_26_end_on_2025_10_23():
    due = national().due(shanghai(2025, 9, 26, 9, 30), 15)
    assert due == Due(date(2025, 10, 23), datetime(2025, 10, 23, 16, tzinfo=UTC), False)
    assert due.as_dict() == {
        "due_date": "2025-10-23",
        "due_at": "2025-10-24T00:00:00+08:00",
        "provisional": False,
    }


def test_the_start_day_is_taken_in_shanghai_not_utc():
    # 01:30 on the 26th in Shanghai
    opened_late_utc = datetime(2025, 9, 25, 17, 30, tzinfo=UTC)
    assert national().due(opened_late_utc, 15).due_date == date(2025, 10, 23)


def test_due_at_is_midnight_shanghai_after_the_last_day():
    due = national().due(shanghai(2025, 3, 3, 23, 59), 1)
    assert due.due_date == date(2025, 3, 4)
    assert due.due_at.astimezone(SHANGHAI) == shanghai(2025, 3, 5, 0, 0)
    assert due.due_at.tzinfo == UTC


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2025, 9, 26), 1, date(2025, 9, 28)),  # Sun 09-28 is a make-up day
        (date(2025, 9, 30), 1, date(2025, 10, 9)),  # 10-01..10-08 off
        (date(2025, 10, 9), 2, date(2025, 10, 11)),  # Sat 10-11 is a make-up day
        (date(2025, 1, 24), 1, date(2025, 1, 26)),  # Sun 01-26 is a make-up day
        (date(2025, 1, 27), 1, date(2025, 2, 5)),  # 01-28..02-04 off
        (date(2025, 2, 7), 1, date(2025, 2, 8)),  # Sat 02-08 is a make-up day
        (date(2024, 2, 8), 1, date(2024, 2, 9)),  # 2024's Eve was a working day
        (date(2024, 2, 9), 1, date(2024, 2, 18)),  # Sun 02-18 is a make-up day
        (date(2024, 6, 7), 1, date(2024, 6, 11)),  # Dragon Boat 06-10 with the weekend
        (date(2024, 9, 30), 1, date(2024, 10, 8)),
        (date(2025, 12, 31), 1, date(2026, 1, 4)),  # Sun 01-04 is a make-up day
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        (date(2026, 2, 14), 1, date(2026, 2, 24)),  # 02-15..02-23 off
        (date(2026, 9, 24), 1, date(2026, 9, 28)),  # Mid-Autumn 09-25..27
        (date(2026, 9, 30), 1, date(2026, 10, 8)),
    ],
)
def test_working_days_skip_holidays_and_count_make_up_days(start, n, expected):
    assert due_date(start, n) == expected


def test_zero_working_days_end_with_the_start_day_even_on_a_holiday():
    due = national().due(shanghai(2025, 10, 1, 15), 0)
    assert due == Due(date(2025, 10, 1), datetime(2025, 10, 1, 16, tzinfo=UTC), False)


def test_a_count_reaching_2027_is_provisional_and_uses_plain_weekdays():
    due = national().due(shanghai(2026, 12, 25, 10), 10)
    # 2027-01-01 counts as a working day: there is no notice for 2027 yet
    assert due.due_date == date(2027, 1, 8)
    assert due.provisional is True


def test_a_count_starting_in_2022_is_provisional():
    due = national().due(shanghai(2022, 12, 28, 10), 5)
    assert due.due_date == date(2023, 1, 5)  # 2023-01-01/02 off
    assert due.provisional is True


def test_a_count_inside_known_years_is_not_provisional():
    assert national().due(shanghai(2026, 12, 1, 10), 20).provisional is False


def test_calendar_days_ignore_holidays_and_are_never_provisional():
    calendar = national()
    assert calendar.calendar_due(shanghai(2025, 9, 30, 10), 7) == Due(
        date(2025, 10, 7), datetime(2025, 10, 7, 16, tzinfo=UTC), False
    )
    assert calendar.calendar_due(shanghai(2026, 12, 30, 10), 7).provisional is False


def test_naive_datetimes_and_negative_counts_are_refused():
    calendar = national()
    with pytest.raises(ValueError, match="naive"):
        calendar.due(datetime(2025, 9, 26, 10), 15)
    with pytest.raises(ValueError, match="naive"):
        calendar.calendar_due(datetime(2025, 9, 26, 10), 7)
    with pytest.raises(ValueError):
        calendar.due(shanghai(2025, 9, 26, 10), -1)


def test_a_closed_day_is_not_a_working_day_even_when_a_make_up_day():
    calendar = national(closed=frozenset({date(2025, 9, 28), date(2025, 9, 29)}))
    assert not calendar.is_working_day(date(2025, 9, 28))
    assert calendar.due(shanghai(2025, 9, 26, 10), 15).due_date == date(2025, 10, 27)


def test_working_days_between_counts_after_the_first_day_up_to_the_second():
    calendar = national()
    assert calendar.working_days_between(date(2025, 9, 26), date(2025, 10, 23)) == 15
    assert calendar.working_days_between(date(2025, 10, 23), date(2025, 9, 26)) == -15
    assert calendar.working_days_between(date(2025, 10, 1), date(2025, 10, 8)) == 0


def test_an_extension_counts_from_the_current_due_date():
    calendar = national()
    due = calendar.due(shanghai(2025, 9, 26, 10), 15)
    assert calendar.extend(due, 5).due_date == date(2025, 10, 30)


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026])
def test_each_notice_parses_to_the_shipped_days(year):
    parsed = parse_notice(NOTICES[year], year)
    assert sorted(parsed, key=lambda e: e["day"]) == shipped_national()[year]["days"]


def test_the_2025_notice_gives_spring_festival_and_national_day():
    days = {e["day"]: (e["kind"], e["name"]) for e in parse_notice(NOTICE_2025, 2025)}
    assert days["2025-01-26"] == ("workday", "春节")
    assert days["2025-02-04"] == ("holiday", "春节")
    assert days["2025-10-08"] == ("holiday", "国庆节、中秋节")
    assert days["2025-10-11"] == ("workday", "国庆节、中秋节")
    assert len(days) == 28 + 5


def test_a_notice_crossing_into_last_year_keeps_only_what_changes_a_working_day():
    text = "元旦：2018年12月30日至2019年1月1日放假调休，共3天。2018年12月29日（星期六）上班。"
    assert sorted(e["day"] for e in parse_notice(text, 2019)) == [
        "2018-12-29",
        "2018-12-31",
        "2019-01-01",
    ]


def test_the_plain_form_gives_ranges_and_make_up_days():
    days = parse_notice("2025-01-28~2025-02-04 春节\n上班 2025-01-26, 2025-02-08", 2025)
    holidays = [e["day"] for e in days if e["kind"] == "holiday"]
    assert holidays == [f"2025-01-{d}" for d in (28, 29, 30, 31)] + [f"2025-02-0{d}" for d in (1, 2, 3, 4)]
    assert {e["name"] for e in days if e["kind"] == "holiday"} == {"春节"}
    assert [e["day"] for e in days if e["kind"] == "workday"] == [
        "2025-01-26",
        "2025-02-08",
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("春节：1月28日至2月4日放假调休，共9天。", "共 9 天"),
        ("春节 1月28日至2月4日放假", "节日：日期安排"),
        ("春节：2月30日放假", "不存在"),
        ("春节：1月28日休整", "既不是放假也不是上班"),
        ("2025-02-30 错日", "不是有效日期"),
    ],
)
def test_an_unreadable_line_is_refused_with_the_line(line, reason):
    with pytest.raises(CalendarInvalid) as caught:
        parse_notice(f"元旦：1月1日放假\n{line}", 2025)
    assert "第 2 行" in caught.value.message
    assert line in caught.value.message
    assert reason in caught.value.details["text"][0]
