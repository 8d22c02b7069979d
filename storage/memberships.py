"""Course rosters from Names and Role Provisioning: who is in a course, in which role."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.courses import Context
from storage.database import Base, JSONDocument, UTCDateTime, utcnow
from storage.people import Person


class MembershipStatus(enum.StrEnum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"
    DELETED = "Deleted"


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("context_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    roles: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    status: Mapped[MembershipStatus] = mapped_column(
        Enum(
            MembershipStatus,
            name="membership_status",
            values_callable=lambda e: [m.value for m in e],
        ),
        default=MembershipStatus.ACTIVE,
    )
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    context: Mapped[Context] = relationship()
    person: Mapped[Person] = relationship()
