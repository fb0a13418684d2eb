"""The SQLAlchemy handle shared by every model; bound to an app by web.create_app.

The view, CLI command or worker owns the transaction: it alone commits or rolls back. Use cases flush, and
a use case that must undo part of its own work does it in a savepoint from here (the only module of casemgmt
that rolls anything back): `discarded_savepoint()` for a preview, `savepoint()` for one step of many.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, SessionTransaction

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


#: run before a savepoint starts and before it is kept: the audit log writes the chain heads it deferred, so a
#: rolled-back savepoint discards only what was appended inside it
BEFORE_SAVEPOINT: list[Callable[[], None]] = []


class Savepoint:
    """The handle `savepoint()` yields: `discard()` asks for the block's writes to be rolled back at its end."""

    def __init__(self) -> None:
        self.discarded = False

    def discard(self) -> None:
        """Roll the savepoint back when the block ends instead of keeping it."""
        self.discarded = True


@contextlib.contextmanager
def savepoint() -> Iterator[Savepoint]:
    """Run a block in a savepoint: kept when it ends, rolled back when it raises or called `discard()`.

    Either way the caller's outer transaction, and what it wrote before the block, stay as they were.
    """
    for hook in BEFORE_SAVEPOINT:
        hook()
    nested = db.session.begin_nested()  # flushes the caller's pending changes first, outside the savepoint
    handle = Savepoint()
    try:
        yield handle
    except BaseException:
        _roll_back(nested)
        raise
    if handle.discarded:
        _roll_back(nested)
    else:
        for hook in BEFORE_SAVEPOINT:
            hook()
        nested.commit()


@contextlib.contextmanager
def discarded_savepoint() -> Iterator[None]:
    """Run a block (a preview) in a savepoint that is always rolled back, also when the block raises."""
    with savepoint() as handle:
        handle.discard()
        yield


def _roll_back(nested: SessionTransaction) -> None:
    """Roll a savepoint back and expire every loaded object, so nothing the block changed stays visible.

    SQLAlchemy expires only the objects written inside the savepoint; an object merely loaded there can still
    hold a collection with rows the rollback removed, so everything is reloaded from the outer transaction.
    """
    nested.rollback()
    db.session.expire_all()
