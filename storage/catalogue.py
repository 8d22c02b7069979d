"""The learning-activity catalogue an organisation sees: its own entries and the shared ones.

Shared entries (organisation NULL) are offered to everyone and edited by no
organisation; an organisation retires its own (`active` False) rather than
deleting them, so plans that name them keep their title and link.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, or_, select, true
from sqlalchemy.orm import Mapped, Session, mapped_column

from competence.catalogue import DEFAULT_FRAMEWORK, Entry, entry_key
from competence.recommendations import Activity
from storage.database import Base, JSONDocument
from storage.frameworks import FrameworkVersion, RoleProfile


class LearningActivity(Base):
    """A catalogue entry: a course, self-study material, lecture or network."""

    __tablename__ = "learning_activities"
    __table_args__ = (
        Index("ix_learning_activities_external_id", "organisation_id", "external_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    url: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="sv")
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    framework_key: Mapped[str] = mapped_column(String(100))
    # [{"competence": "1.1", "from_level": 1, "to_level": 3}, ...]
    builds: Mapped[list[dict]] = mapped_column(JSONDocument, default=list)
    description: Mapped[str | None] = mapped_column(Text)
    # Role titles (yrkesroller) it suits; empty: everyone.
    roles: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    # A retired entry stays in agreed plans but is no longer offered.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The organisation's own id for it (a catalogue file's `id` column): what a re-import
    # of the file matches first (competence.catalogue.entry_key).
    external_id: Mapped[str | None] = mapped_column(String(100))


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
        row = apply_entry(LearningActivity(organisation_id=organisation_id), entry)
        row.external_id = entry.external_id
        session.add(row)
    session.flush()
    return len(entries)


@dataclass(frozen=True)
class CatalogueImport:
    added: int
    updated: int


def import_entries(
    session: Session, organisation_id: int, entries: list[Entry], *, dry_run: bool = False
) -> CatalogueImport:
    """A catalogue file into the organisation's own entries: an entry it already has (same
    key, `entry_key`: id, else link, else title) is updated, any other added.  Importing
    the same file twice changes nothing the second time.  A retired entry that matches is
    updated and stays retired; shared entries are never touched."""
    own = session.scalars(
        select(LearningActivity)
        .where(LearningActivity.organisation_id == organisation_id)
        .order_by(LearningActivity.id)
    ).all()
    by_key: dict[tuple[str, str], LearningActivity] = {}
    for row in own:
        for key in _stored_keys(row):
            by_key.setdefault(key, row)
    added = updated = 0
    for entry in entries:
        row = by_key.get(entry_key(entry))
        if row is None:
            added += 1
            if not dry_run:
                add_entries(session, organisation_id, [entry])
            continue
        updated += 1
        if not dry_run:
            apply_entry(row, entry)
            row.external_id = entry.external_id or row.external_id
    session.flush()
    return CatalogueImport(added=added, updated=updated)


def _stored_keys(row: LearningActivity) -> list[tuple[str, str]]:
    keys = [("title", row.title.casefold())]
    if row.url:
        keys.insert(0, ("url", row.url))
    if row.external_id:
        keys.insert(0, ("id", row.external_id))
    return keys


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


# What an organisation admin or programme lead does with the catalogue; each commits.


def add_entry(session: Session, organisation_id: int, entry: Entry) -> LearningActivity:
    """A new entry of the organisation's own, saved."""
    row = apply_entry(LearningActivity(organisation_id=organisation_id), entry)
    row.external_id = entry.external_id
    session.add(row)
    session.commit()
    return row


def save_entry(session: Session, row: LearningActivity, entry: Entry) -> None:
    """The organisation's own entry, changed to what the form says, saved."""
    apply_entry(row, entry)
    session.commit()


def set_entry_active(session: Session, row: LearningActivity, active: bool) -> None:
    """Retire an entry (no longer offered; plans keep naming it) or bring it back."""
    row.active = active
    session.commit()


def import_catalogue(
    session: Session, organisation_id: int, entries: list[Entry], *, dry_run: bool = False
) -> CatalogueImport:
    """`import_entries`, committed; a dry run only counts and leaves nothing behind."""
    done = import_entries(session, organisation_id, entries, dry_run=dry_run)
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return done


def framework_keys(session: Session, organisation_id: int) -> list[str]:
    """The frameworks an entry may name: the shipped default, shared and the organisation's."""
    stored = session.scalars(
        select(FrameworkVersion.key)
        .where(
            (FrameworkVersion.organisation_id == organisation_id)
            | FrameworkVersion.organisation_id.is_(None)
        )
        .distinct()
    )
    return sorted({DEFAULT_FRAMEWORK, *stored})


def activities_for(session: Session, organisation_id: int, framework_key: str) -> list[Activity]:
    """Every entry of the framework the organisation sees, retired ones too, as the domain's
    activities (what a results page recommends from)."""
    rows = catalogue_of(session, organisation_id, framework_key=framework_key, include_retired=True)
    return [as_activity(row) for row in rows]


def profile_targets(
    session: Session, organisation_id: int, framework_key: str, key: str
) -> dict[str, int]:
    """The target level per competence of the organisation's role profile with this key for
    the framework; {} when there is none."""
    profile = session.scalar(
        select(RoleProfile).where(
            RoleProfile.organisation_id == organisation_id,
            RoleProfile.key == key,
            RoleProfile.framework_key == framework_key,
        )
    )
    return dict(profile.targets) if profile else {}


def role_targets(
    session: Session, organisation_id: int, framework_key: str, role: str | None
) -> dict[str, int]:
    """The targets of the organisation's first role profile for the framework whose key, or
    name in any language, is the role title (yrkesroll; case and surrounding spaces ignored);
    {} when none matches or there is no role."""
    if not role:
        return {}
    wanted = role.strip().casefold()
    profiles = session.scalars(
        select(RoleProfile)
        .where(
            RoleProfile.organisation_id == organisation_id,
            RoleProfile.framework_key == framework_key,
        )
        .order_by(RoleProfile.id)
    )
    for profile in profiles:
        names = [profile.key, *(profile.name or {}).values()]
        if any(str(name).strip().casefold() == wanted for name in names):
            return dict(profile.targets)
    return {}
