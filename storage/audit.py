"""The audit log: who looked at or handed out whose results, and when.

A person's results, plan and radar are shown to others (their manager, HR, an
organisation admin) and can be exported or erased; each of those is one row, so
an organisation can answer "who has seen my results?".  The detail says what was
seen in words and ids, never a name or e-mail.  When the subject is erased the
row stays but loses its link (see storage.personal_data).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.database import Base, JSONDocument, UTCDateTime, utcnow

VIEW_RESULTS = "view_results"
VIEW_PLAN = "view_plan"
EXPORT = "export"
ERASE = "erase"
# A learning platform re-registered (Moodle's "Update"): its registration took new values.
UPDATE_REGISTRATION = "update_registration"
# An organisation administrator copied or changed a role profile (target levels of a role).
ROLE_PROFILE = "role_profile"
ACTIONS = (VIEW_RESULTS, VIEW_PLAN, EXPORT, ERASE, UPDATE_REGISTRATION, ROLE_PROFILE)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_organisation_at", "organisation_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    # Who did it: a person of the tool, or nobody (the command line).
    actor_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(32))
    subject_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    # What was seen or done, by ids and words: {"page": "results", "attempt_id": …}.
    detail: Mapped[dict] = mapped_column(JSONDocument, default=dict)


def record_audit(
    session: Session,
    *,
    organisation_id: int | None,
    action: str,
    actor_person_id: int | None,
    subject_person_id: int | None,
    detail: dict | None = None,
) -> AuditEvent:
    """Add one audit row to the caller's transaction."""
    event = AuditEvent(
        organisation_id=organisation_id,
        actor_person_id=actor_person_id,
        action=action,
        subject_person_id=subject_person_id,
        detail=detail or {},
        at=utcnow(),
    )
    session.add(event)
    return event


def record_view(
    session: Session,
    *,
    organisation_id: int,
    viewer_person_id: int | None,
    subject_person_id: int | None,
    action: str,
    detail: dict | None = None,
) -> None:
    """Log someone else looking at a person's results or plan, committed: a page that only
    reads still leaves its trace.  Looking at your own is not logged."""
    if subject_person_id is None or viewer_person_id == subject_person_id:
        return
    record_audit(
        session,
        organisation_id=organisation_id,
        action=action,
        actor_person_id=viewer_person_id,
        subject_person_id=subject_person_id,
        detail=detail,
    )
    session.commit()


def audit_events(
    session: Session, organisation_id: int | None = None, limit: int = 500
) -> list[AuditEvent]:
    """The newest audit rows first: one organisation's, or all."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    if organisation_id is not None:
        query = query.where(AuditEvent.organisation_id == organisation_id)
    return list(session.scalars(query))
