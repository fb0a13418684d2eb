"""Column types that behave the same on SQLite and PostgreSQL."""

import base64
import zlib
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import JSON, CheckConstraint, DateTime, LargeBinary, String, func, literal
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

JSONType = JSON().with_variant(JSONB(), "postgresql")


class HexDigest(TypeDecorator):
    """A SHA-256 digest: its 64-character lowercase hex text in Python (what is hashed, compared and shown), stored
    as the 32 bytes on PostgreSQL (bytea, migration 0103), as the text on SQLite. Anything but 64 hex characters is
    refused rather than stored differently."""

    impl = String(64)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(LargeBinary() if dialect.name == "postgresql" else String(64))

    def process_bind_param(self, value: str | None, dialect) -> str | bytes | None:
        if value is None:
            return None
        if len(value) != 64 or value != value.lower():
            raise ValueError(f"not a lowercase hex SHA-256 digest: {value!r}")
        return bytes.fromhex(value) if dialect.name == "postgresql" else value

    def process_result_value(self, value, dialect) -> str | None:
        if value is None or isinstance(value, str):
            return value
        return bytes(value).hex()


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


#: stored engine states, newest first: zlib with the preset dictionary below, behind a marker (binary, since
#: migration 0097); PROVISIONAL_MARK when the state holds a provisional due, which a query finds without decompressing
COMPRESSED_MARK = b"Z2:"
PROVISIONAL_MARK = b"Z2P:"
PROVISIONAL_TEXT = '"zg_provisional":true'
#: earlier releases: base64 text of plain zlib behind these markers (SQLite only), or the raw JSON
BASE64_MARKS = ("Z1P:", "Z1:")
#: the preset dictionary of Z2 states: part of the format, never changed (scripts/build_state_zdict.py)
STATE_ZDICT = (Path(__file__).with_name("state_zdict_1.bin")).read_bytes()


def pack_state(value: str) -> bytes:
    """A state's JSON as stored: marker, then zlib (level 6, the preset dictionary): level 9 took twice the CPU
    (0.37 against 0.19 ms for a 10.7 KB Liaoning state) for 5% fewer bytes (1,686 against 1,772)."""
    mark = PROVISIONAL_MARK if PROVISIONAL_TEXT in value else COMPRESSED_MARK
    packer = zlib.compressobj(6, zdict=STATE_ZDICT)
    return mark + packer.compress(value.encode("utf-8")) + packer.flush()


def unpack_state(value: bytes | str | None) -> str | None:
    """Return a stored state as JSON text, whichever release stored it (Z2, Z1 base64 text, or raw JSON)."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value)
        for mark in (PROVISIONAL_MARK, COMPRESSED_MARK):
            if value.startswith(mark):
                unpacker = zlib.decompressobj(zdict=STATE_ZDICT)
                return (unpacker.decompress(value[len(mark) :]) + unpacker.flush()).decode("utf-8")
        value = value.decode("utf-8")
    for text_mark in BASE64_MARKS:
        if value.startswith(text_mark):
            return zlib.decompress(base64.b64decode(value[len(text_mark) :])).decode("utf-8")
    return value


class CompactState(TypeDecorator):
    """Engine state: JSON text in Python, stored zlib-compressed (with a preset dictionary) as bytes on both databases.

    A BLOB on SQLite, a bytea on PostgreSQL (TOAST leaves it as it is: it does not compress further). States stored
    by earlier releases (base64 text behind Z1:, or raw JSON) still read. `provisional_state()` is the query for a
    state holding a provisional due.
    """

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | bytes | None, dialect) -> bytes | None:
        if value is None or isinstance(value, bytes):
            return value
        return pack_state(value) if value else b""

    def process_result_value(self, value: bytes | str | None, dialect) -> str | None:
        return unpack_state(value)


def provisional_state(column):  # noqa: ANN001, ANN201 - a column expression in, a condition out
    """The condition that a stored state (column `column`) holds a provisional due: its marker tells."""
    return func.substr(column, 1, len(PROVISIONAL_MARK)) == literal(PROVISIONAL_MARK, LargeBinary)


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
