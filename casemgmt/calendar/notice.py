"""Read a State Council holiday notice, or a plain list of ranges, into calendar day dicts."""

from __future__ import annotations

import re
from datetime import date, timedelta

from casemgmt.errors import CalendarInvalid

_CN_DATE = re.compile(r"(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日")
_ISO = r"\d{4}-\d{1,2}-\d{1,2}"
_PLAIN_RANGE = re.compile(rf"^({_ISO})(?:\s*(?:~|～|至|到)\s*({_ISO}))?\s+(\S.*)$")
_PLAIN_WORK = re.compile(rf"^(?:上班|补班)[\s:：]*({_ISO}(?:[\s,，、]+{_ISO})*)$")
_ENUM = re.compile(r"^(?:[一二三四五六七八九十]+|\d+)\s*[、.．]\s*")
_PAREN = re.compile(r"（[^）]*）|\([^)]*\)")
_TOTAL = re.compile(r"共(\d+)天")
_WITH_WEEKEND = re.compile(r"与周[末六日]连休")
#: Title, document number, "现将…通知如下" and the signature date of a pasted notice.
_BOILERPLATE = re.compile(
    r"^(?:.*关于\d{4}年部分节假日安排的通知.*|.*发明电〔\d{4}〕\d+号|.*通知如下。?"
    r"|\d{4}年\d{1,2}月\d{1,2}日)$"
)


class _Unparsed(Exception):
    """A line of the notice that says nothing we can read."""


def parse_notice(text: str, year: int) -> list[dict]:
    """Return the holiday and make-up working days a notice for `year` announces."""
    days: list[dict] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not re.search(r"\d", line) or _BOILERPLATE.match(line):
            continue  # title, salutation, closing words, signature
        try:
            days += _parse_line(line, year)
        except _Unparsed as err:
            message = f"第 {number} 行无法识别：{line}（{err}）"
            raise CalendarInvalid(message, details={"text": [message]}) from None
    return [d for d in days if _matters(d, year)]


def _matters(entry: dict, year: int) -> bool:
    """Drop weekend holidays of a neighbouring year: they change no working day."""
    day = date.fromisoformat(entry["day"])
    return day.year == year or entry["kind"] != "holiday" or day.weekday() < 5


def _parse_line(line: str, year: int) -> list[dict]:
    """Parse one line in the plain form or the notice form."""
    if match := _PLAIN_RANGE.match(line):
        first = _iso(match[1])
        last = _iso(match[2]) if match[2] else first
        return _entries(_span(first, last), "holiday", match[3].strip())
    if match := _PLAIN_WORK.match(line):
        days = [_iso(token) for token in re.findall(_ISO, match[1])]
        return _entries(days, "workday", "")
    return _parse_item(line, year)


def _parse_item(line: str, year: int) -> list[dict]:
    """Parse '春节：1月28日至2月4日放假调休，共8天。1月26日（周日）上班。'."""
    head, colon, body = _ENUM.sub("", line, count=1).partition("：")
    if not colon:
        head, colon, body = head.partition(":")
    if not colon or not head.strip():
        raise _Unparsed("应为“节日：日期安排”或“YYYY-MM-DD~YYYY-MM-DD 名称”")
    name = head.strip()
    days: list[dict] = []
    for sentence in re.split(r"[。；;]", _PAREN.sub("", body)):
        days += _parse_sentence(sentence, name, year)
    if not days:
        raise _Unparsed("没有找到放假或上班日期")
    return days


def _parse_sentence(sentence: str, name: str, year: int) -> list[dict]:
    """Parse one sentence: a holiday block or a list of make-up working days."""
    days = _cn_dates(sentence, year)
    if not days:
        return []
    if "上班" in sentence:
        return _entries(days, "workday", name)
    if "放假" not in sentence and "连休" not in sentence:
        raise _Unparsed(f"“{sentence}”既不是放假也不是上班")
    if "至" in sentence:
        if len(days) != 2:
            raise _Unparsed(f"“{sentence}”应为“某日至某日”")
        days = _span(days[0], days[1])
    if _WITH_WEEKEND.search(sentence):
        days = _with_weekend(days)
    total = _TOTAL.search(sentence)
    if total and int(total[1]) != len(days):
        raise _Unparsed(f"写明共 {total[1]} 天，日期范围却是 {len(days)} 天")
    return _entries(days, "holiday", name)


def _cn_dates(sentence: str, year: int) -> list[date]:
    """Return the dates written as '[YYYY年][M月]D日', carrying year and month forward."""
    days: list[date] = []
    current_year, month = year, None
    for match in _CN_DATE.finditer(sentence):
        current_year = int(match[1]) if match[1] else current_year
        month = int(match[2]) if match[2] else month
        if month is None:
            raise _Unparsed(f"“{match[0]}”缺少月份")
        try:
            days.append(date(current_year, month, int(match[3])))
        except ValueError:
            raise _Unparsed(f"{current_year}年{month}月{match[3]}日不存在") from None
    return days


def _iso(text: str) -> date:
    """Parse YYYY-MM-DD (single-digit month and day allowed)."""
    try:
        y, m, d = (int(part) for part in text.split("-"))
        return date(y, m, d)
    except ValueError:
        raise _Unparsed(f"{text} 不是有效日期") from None


def _span(first: date, last: date) -> list[date]:
    """Return every day from `first` to `last` inclusive."""
    if last < first:
        raise _Unparsed(f"{first} 晚于 {last}")
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _with_weekend(days: list[date]) -> list[date]:
    """Extend a holiday by the weekend days touching it ('与周末连休')."""
    before, after = min(days) - timedelta(days=1), max(days) + timedelta(days=1)
    while before.weekday() >= 5:
        before -= timedelta(days=1)
    while after.weekday() >= 5:
        after += timedelta(days=1)
    return _span(before + timedelta(days=1), after - timedelta(days=1))


def _entries(days: list[date], kind: str, name: str) -> list[dict]:
    """Return day dicts as import_year takes them."""
    return [{"day": d.isoformat(), "kind": kind, "name": name} for d in days]
