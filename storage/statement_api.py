"""Who may read an organisation's statements through the embedded Statement API.

xAPI clients and BI tools authenticate with HTTP Basic; each credential
belongs to one organisation and sees only its statements.  Only a hash of the
secret is kept, so the secret is shown once, when it is made.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.database import Base, UTCDateTime, utcnow


class StatementApiCredential(Base):
    __tablename__ = "statement_api_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
