"""Worker heartbeats: each timer/outbox worker stamps its row every loop; /healthz reads them."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from casemgmt.db import db
from casemgmt.models.types import UTCDateTime


class WorkerHeartbeat(db.Model):
    __tablename__ = "worker_heartbeats"

    #: the worker's name: host and process id, or "thread" for the dev server's worker
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
