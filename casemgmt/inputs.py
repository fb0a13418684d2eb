"""What any input must be before it is stored: clean text, instants and integers in range, shallow JSON.

The web edge (web/api/inputs.py, the form layer) and the marshmallow schemas call these once; a refusal is an
InvalidInput naming the field, so a bad value is a 400 and never a 500 or a row that breaks a page later.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

from marshmallow import ValidationError, fields

from casemgmt.errors import AWARE, InvalidInput

#: how deep a JSON body may nest (objects and arrays); checked on the raw bytes before parsing
MAX_JSON_DEPTH = 32
#: integers fit a signed 64-bit column (PostgreSQL BIGINT); ids fit a signed 32-bit one (INTEGER)
MAX_BIGINT = 2**63 - 1
MAX_ID = 2**31 - 1
#: instants outside these years are typos or attacks, and some cannot be shifted by their offset
MIN_YEAR, MAX_YEAR = 1900, 2100
MAX_OFFSET = timedelta(hours=14)
#: C0 controls other than tab, newline and carriage return, DEL, and unpaired surrogates
BAD_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
BAD_TEXT = "不能包含控制字符或无效字符"


def is_digits(text: str) -> bool:
    """Tell whether text is one or more ASCII digits ('²'.isdigit() is True, and int() refuses it)."""
    return text.isascii() and text.isdigit()


def strict_int(text: str | None, maximum: int = MAX_ID) -> int | None:
    """Return the non-negative integer written in ASCII digits, or None when it is not one or is out of range."""
    if text is None or not is_digits(text) or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if value <= maximum else None


def text_problem(value: str) -> str | None:
    """Return why a string cannot be stored, or None when it can."""
    return BAD_TEXT if BAD_CHARACTERS.search(value) else None


def clean_text(value: str) -> str:
    """Return the text without the characters no page, export or database should receive."""
    return BAD_CHARACTERS.sub("", value)


def instant_problem(value: datetime) -> str | None:
    """Return why an aware instant is out of range (years 1900..2100, offsets within ±14:00), or None."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        return "时区偏移必须在 ±14:00 之内"
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        return f"年份必须在 {MIN_YEAR} 到 {MAX_YEAR} 之间"
    return None


#: a JSON string (to its end, if unterminated: a backslash escapes any byte), skipped when counting brackets
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [1 if b in b"[{" else -1 for b in range(256)]
#: every byte but brackets, quotes and backslashes
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"\\')
#: a backslash and a byte that is no bracket or quote (no backslash either, once escaped backslashes are gone)
_PLAIN_ESCAPE = re.compile(rb'\\[^"\[\]{}]')


def json_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Tell whether a JSON text nests deeper than the limit, reading brackets outside strings (no parsing).

    The text is first cut to what decides it, at C speed: escaped backslashes go (a run of backslashes pairs from
    its start, inside a string as bytes.replace pairs them; outside one a backslash counts for nothing), then a
    backslash with the byte it escapes when that byte is no bracket or quote (`\\u`, `\\n`: inside a string
    the pair is text, outside it counts for nothing), then every byte but brackets, quotes and backslashes (none
    of them follows a backslash now). What is left has the same strings and brackets, and is short.
    """
    text = raw.replace(b"\\\\", b"")
    if b"\\" in text:
        text = text.replace(b"\\u", b"")  # the common escape (Chinese in an ensure_ascii body), at C speed
    if b"\\" in text:
        text = _PLAIN_ESCAPE.sub(b"", text)
    text = text.translate(None, _NOT_STRUCTURE)
    # the strings: with no backslash left, every other piece between quotes (the last one unterminated)
    text = _JSON_STRING.sub(b"", text) if b"\\" in text else b"".join(text.split(b'"')[::2])
    # the deepest point: the running sum of +1 per opening and -1 per closing bracket
    return max(accumulate(map(_STEP.__getitem__, text.translate(None, _NOT_BRACKETS))), default=0) > limit


#: what a JSON text must hold for a parsed value of it to break check_tree: a \u escape of a C0 control, DEL or
#: a surrogate (paired or not: the walk tells), DEL, an encoded surrogate, a NUL byte (not UTF-8), NaN, Infinity
#: (a float that is not finite); other \u escapes (a client's ensure_ascii Chinese) are plain. And 19 digits (an
#: integer past 64 bits) or a three-digit exponent (a float that is not finite), looked for with every digit
#: read as 0 and E as e (a regular expression over every digit of a 1,000-item body took ~8 ms; this ~2 ms).
#: The escapes are looked for by their common start, the bytes one by one (`in`, at C speed): one regular
#: expression of every alternative tried them all at each byte (~1.3 of ~1.8 ms for a 1,000-item body).
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:00[01]|007[fF]|[dD][89a-fA-F])")
_ENCODED_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")
_UNSTORABLE_BYTES = (b"\x7f", b"\x00", b"NaN", b"Infinity")
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789E", b"000000000e")
_LONG_NUMBERS = (b"0" * 19, b"e000", b"e+000", b"e-000")


def plain_json(raw: bytes) -> bool:
    """Tell, from the text alone, that a JSON body parsed from it passes check_json (so the walk can be skipped);
    False says nothing (walk it)."""
    if any(found in raw for found in _UNSTORABLE_BYTES) or _UNSTORABLE_ESCAPE.search(raw) is not None:
        return False
    if b"\xed" in raw and _ENCODED_SURROGATE.search(raw) is not None:
        return False
    numbers = raw.translate(_DIGITS_AS_ZERO)
    return not any(long in numbers for long in _LONG_NUMBERS)


def check_tree(value: Any, path: str = "_body") -> dict[str, list[str]]:
    """Return the problems of a parsed JSON value by field path: bad characters, integers past 64 bits."""
    problems: dict[str, list[str]] = {}
    _walk(value, path, problems)
    return problems


def _walk(value: Any, path: str, problems: dict[str, list[str]]) -> None:
    if isinstance(value, str):
        if text_problem(value):
            problems.setdefault(path, []).append(BAD_TEXT)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if abs(value) > MAX_BIGINT:
            problems.setdefault(path, []).append("整数超出范围")
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            problems.setdefault(path, []).append("必须是有限的数")
    elif isinstance(value, dict):
        for key, item in value.items():
            name = key if path == "_body" else f"{path}.{key}"
            if text_problem(key):
                problems.setdefault(name, []).append(BAD_TEXT)
            _walk(item, name, problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{path}[{index}]", problems)


def check_json(payload: Any) -> None:
    """Raise InvalidInput naming each field of a parsed body that holds something unstorable."""
    problems = check_tree(payload)
    if problems:
        raise InvalidInput("输入有误", details=problems)


def string_details(details: Any) -> Any:
    """Return error details with every mapping key a string (marshmallow uses list indexes as int keys)."""
    if isinstance(details, dict):
        return {str(k): string_details(v) for k, v in details.items()}
    if isinstance(details, list | tuple):
        return [string_details(v) for v in details]
    return details if isinstance(details, str | int | float | bool | type(None)) else str(details)


class Instant(fields.AwareDateTime):
    """An aware ISO instant within years 1900..2100 and an offset within ±14:00."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", AWARE)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, str) and len(value) > 64:
            raise self.make_error("invalid")
        try:
            result = super()._deserialize(value, attr, data, **kwargs)
        except OverflowError:
            raise self.make_error("invalid") from None
        problem = instant_problem(result)
        if problem:
            raise ValidationError(problem)
        return result


class CleanString(fields.String):
    """A string with no control characters (other than tab, newline, carriage return) or lone surrogates."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        result = super()._deserialize(value, attr, data, **kwargs)
        if text_problem(result):
            raise ValidationError(BAD_TEXT)
        return result
