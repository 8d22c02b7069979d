"""Request counts per (bucket, key, window), shared by every web worker through the database.

Web workers are stateless and several run at once (gunicorn, several machines): a count
kept in one process's memory would let each worker grant the whole limit.  A fixed window
is one row, counted up by one INSERT … ON CONFLICT DO UPDATE … RETURNING (SQLite ≥ 3.35
and PostgreSQL): no read-then-write race, one round trip per request.  Keys are stored as
hashes: a client's IP address or credential key is not kept, only its fingerprint, and
only for a couple of windows.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Index, Integer, String, delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from storage.database import Base, UTCDateTime


class RateLimitWindow(Base):
    __tablename__ = "rate_limit_windows"
    # The cleanup deletes by age across every bucket and key.
    __table_args__ = (Index("ix_rate_limit_windows_window_start", "window_start"),)

    bucket: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def count_request(connection: Connection, bucket: str, key: str, window_start: datetime) -> int:
    """Count one more request in this window; how many the window holds now (this one included)."""
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    table = RateLimitWindow.__table__
    statement = insert(table).values(
        bucket=bucket, key_hash=key_hash(key), window_start=window_start, count=1
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.bucket, table.c.key_hash, table.c.window_start],
        set_={"count": table.c.count + 1},
    ).returning(table.c.count)
    return connection.execute(statement).scalar_one()


def forget_windows_before(connection: Connection, before: datetime) -> int:
    """Delete windows that started before `before` (they no longer limit anything)."""
    result = connection.execute(
        delete(RateLimitWindow).where(RateLimitWindow.window_start < before)
    )
    return result.rowcount
