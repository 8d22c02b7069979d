"""The learning-activity catalogue an organisation sees: its own entries and the shared ones.

Shared entries (organisation NULL) are offered to everyone and edited by no
organisation; an organisation retires its own (`active` False) rather than
deleting them, so plans that name them keep their title and link.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from competence.catalogue import Entry
from competence.recommendations import Activity
from storage.assessments import LearningActivity


def catalogue_of(
    session: Session,
    organisation_id: int,
    *,
    kind: str | None = None,
    role: str | None = None,
    language: str | None = None,
    competence: str | None = None,
    framework_key: str | None = None,
    include_retired: bool = False,
) -> list[LearningActivity]:
    query = select(LearningActivity).where(
        or_(
            LearningActivity.organisation_id == organisation_id,
            LearningActivity.organisation_id.is_(None),
        )
    )
    if not include_retired:
        query = query.where(LearningActivity.active.is_(True))
    if kind:
        query = query.where(LearningActivity.kind == kind)
    if language:
        query = query.where(LearningActivity.language == language)
    if framework_key:
        query = query.where(LearningActivity.framework_key == framework_key)
    rows = list(session.scalars(query.order_by(LearningActivity.title, LearningActivity.id)))
    if role:
        rows = [row for row in rows if suits_role(row, role)]
    if competence:
        rows = [row for row in rows if any(b["competence"] == competence for b in row.builds)]
    return rows


def suits_role(row: LearningActivity, role_title: str | None) -> bool:
    """No roles named: for everyone; else the yrkesroll must be among them (any case)."""
    if not row.roles:
        return True
    wanted = (role_title or "").strip().casefold()
    return any(role.strip().casefold() == wanted for role in row.roles)


def own_activity(session: Session, organisation_id: int, activity_id: int) -> LearningActivity:
    """The organisation's own entry, or None (shared entries are read-only)."""
    return session.scalar(
        select(LearningActivity).where(
            LearningActivity.id == activity_id,
            LearningActivity.organisation_id == organisation_id,
        )
    )


def visible_activity(
    session: Session, organisation_id: int, activity_id: int
) -> LearningActivity | None:
    return session.scalar(
        select(LearningActivity).where(
            LearningActivity.id == activity_id,
            or_(
                LearningActivity.organisation_id == organisation_id,
                LearningActivity.organisation_id.is_(None),
            ),
        )
    )


def apply_entry(row: LearningActivity, entry: Entry) -> LearningActivity:
    row.title = entry.title
    row.kind = entry.kind
    row.url = entry.url
    row.language = entry.language
    row.duration_minutes = entry.duration_minutes
    row.framework_key = entry.framework_key
    row.builds = [build.to_document() for build in entry.builds]
    row.roles = list(entry.roles)
    row.description = entry.description
    return row


def add_entries(session: Session, organisation_id: int, entries: list[Entry]) -> int:
    for entry in entries:
        session.add(apply_entry(LearningActivity(organisation_id=organisation_id), entry))
    session.flush()
    return len(entries)


def as_activity(row: LearningActivity) -> Activity:
    """The domain's view of an entry, for `competence.recommendations`."""
    return Activity(
        id=row.id,
        title=row.title,
        kind=row.kind,
        url=row.url,
        language=row.language,
        duration_minutes=row.duration_minutes,
        builds=tuple(
            (str(b["competence"]), int(b["from_level"]), int(b["to_level"])) for b in row.builds
        ),
    )
