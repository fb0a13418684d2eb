"""Column types that behave the same on SQLite and PostgreSQL."""

import base64
import zlib
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, DateTime, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """An instant: aware datetimes in, aware UTC datetimes out; naive values are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused; pass an aware instant")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: a stored engine state compressed with zlib (base64 text); PROVISIONAL_MARK when it holds a provisional due
COMPRESSED_MARK = "Z1:"
PROVISIONAL_MARK = "Z1P:"
PROVISIONAL_TEXT = '"zg_provisional":true'


class CompactText(TypeDecorator):
    """Engine state as text: on SQLite written zlib-compressed behind a marker; raw rows (earlier releases) still read.

    SQLite stores text as written; PostgreSQL's TOAST compresses a raw state better than it could store the base64
    of a compressed one (measured by `make bench`), so there the state stays raw. The marker tells whether the
    state holds a provisional deadline, which a query looks for without decompressing. Comparisons (LIKE
    patterns) bind plain text. Either database reads both forms.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        if not value or value.startswith((COMPRESSED_MARK, PROVISIONAL_MARK)) or dialect.name != "sqlite":
            return value
        mark = PROVISIONAL_MARK if PROVISIONAL_TEXT in value else COMPRESSED_MARK
        return mark + base64.b64encode(zlib.compress(value.encode("utf-8"), 6)).decode("ascii")

    def process_result_value(self, value: str | None, dialect) -> str | None:
        return unpack_state(value)

    def coerce_compared_value(self, op, value):  # noqa: ANN001 - SQLAlchemy's signature
        return Text()


def unpack_state(value: str | None) -> str | None:
    """Return a stored state as JSON text, whether it was stored compressed or raw."""
    if value is None:
        return None
    for mark in (PROVISIONAL_MARK, COMPRESSED_MARK):
        if value.startswith(mark):
            return zlib.decompress(base64.b64decode(value[len(mark) :])).decode("utf-8")
    return value


class EnumText(TypeDecorator):
    """A StrEnum stored as its value in a VARCHAR and read back as the member; the CHECK constraint guards it."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int = 16) -> None:
        super().__init__(length)
        self.enum = enum
        self.length = length

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        # Not validated here: the database's CHECK constraint refuses an unknown value, and a
        # query comparing with an unknown value matches nothing instead of failing.
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect) -> StrEnum | None:
        return None if value is None else self.enum(value)


def one_of(column: str, enum: type[StrEnum]) -> CheckConstraint:
    """Return the CHECK constraint that allows only the enum's values in the column (named ck_<table>_<column>)."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({values})", name=column)
