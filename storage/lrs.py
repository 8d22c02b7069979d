"""Where an organisation's xAPI statements go: its Learning Record Store.

An organisation has at most one LRS.  Its password is stored sealed with the
instance's secret key, or not at all when `credentials_env` names an
environment variable holding `username:password` (so it can live in a secret
store).  The forwarding job keeps the LRS's health here too: consecutive
failures and a pause, so a down LRS is left alone instead of hammered.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.database import Base, UTCDateTime, utcnow

XAPI_VERSIONS = ("1.0.3", "2.0.0")
DEFAULT_BATCH_SIZE = 200


class LrsEndpoint(Base):
    __tablename__ = "lrs_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), unique=True
    )
    # The LRS's base URL; statements go to `<endpoint>statements`.
    endpoint: Mapped[str] = mapped_column(Text)
    username: Mapped[str | None] = mapped_column(String(255))
    sealed_password: Mapped[str | None] = mapped_column(Text)
    credentials_env: Mapped[str | None] = mapped_column(String(128))
    version: Mapped[str] = mapped_column(String(8), default="1.0.3")
    batch_size: Mapped[int] = mapped_column(Integer, default=DEFAULT_BATCH_SIZE)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def lrs_of(session: Session, organisation_id: int) -> LrsEndpoint | None:
    return session.scalar(select(LrsEndpoint).where(LrsEndpoint.organisation_id == organisation_id))
