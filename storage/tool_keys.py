"""The tool's own signing keys.

Keys move through three states so that platforms never meet a signature they
cannot verify: a key is published as `next` a whole rotation before it signs,
signs while `active`, and stays published while `retired` for a grace period.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.database import Base, JSONDocument, UTCDateTime, utcnow


class KeyState(enum.StrEnum):
    NEXT = "next"
    ACTIVE = "active"
    RETIRED = "retired"


class ToolKey(Base):
    __tablename__ = "tool_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[KeyState] = mapped_column(
        Enum(KeyState, name="tool_key_state", values_callable=lambda e: [m.value for m in e]),
        index=True,
    )
    private_key_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
