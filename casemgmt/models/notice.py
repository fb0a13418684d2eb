"""Who has read which internal notice: staff read the notices addressed to their unit in the web UI's 通知 list."""

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from casemgmt.db import db
from casemgmt.models.types import UTCDateTime


class NoticeRead(db.Model):
    """One user's read mark on one internal notice (an outbox message on the channel "internal")."""

    __tablename__ = "notice_reads"

    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)
