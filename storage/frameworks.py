"""Frameworks, instruments and role profiles: an organisation's own, stored whole or not at all.

Frameworks and instruments are stored as the documents `competence` validates,
one row per version: an attempt points at the exact instrument version it was
answered on, so a later edit of the instrument never changes old results.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from competence.frameworks import Framework, digcomp, framework_from_document
from competence.instruments import instrument_from_document
from competence.texts import DocumentError, require_text
from storage.database import Base, JSONDocument, UTCDateTime, utcnow


def _one_version_per_key(table: str) -> tuple:
    """(key, version) unique per organisation, and among shipped rows (organisation NULL).

    NULLs are distinct in a unique constraint, so shipped rows get a partial index.
    """
    return (
        UniqueConstraint("organisation_id", "key", "version"),
        Index(
            f"uq_{table}_shipped_key_version",
            "key",
            "version",
            unique=True,
            sqlite_where=text("organisation_id IS NULL"),
            postgresql_where=text("organisation_id IS NULL"),
        ),
    )


class FrameworkVersion(Base):
    __tablename__ = "frameworks"
    __table_args__ = _one_version_per_key("frameworks")

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: shipped with the tool and shared by every organisation.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(50))
    document: Mapped[dict] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InstrumentVersion(Base):
    __tablename__ = "instruments"
    __table_args__ = _one_version_per_key("instruments")

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(50))
    document: Mapped[dict] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    framework: Mapped[FrameworkVersion] = relationship()


class RoleProfile(Base):
    """For a role (yrkesroll): the competences that matter and the target level of each."""

    __tablename__ = "role_profiles"
    __table_args__ = (UniqueConstraint("organisation_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    framework_key: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[dict] = mapped_column(JSONDocument)
    targets: Mapped[dict[str, int]] = mapped_column(JSONDocument, default=dict)


class AlreadyStored(Exception):
    """This framework version is already stored; a changed framework needs a new version."""


def _refuse_stored_version(
    session: Session, model: type, organisation_id: int, key: str, version: str
) -> None:
    """Stored versions never change: a changed document must come with a new version."""
    found = session.scalar(
        select(model.id).where(
            model.organisation_id == organisation_id, model.key == key, model.version == version
        )
    )
    if found is not None:
        raise AlreadyStored(f"{key} version {version}")


def save_framework(
    session: Session, organisation_id: int, framework: Framework
) -> FrameworkVersion:
    _refuse_stored_version(
        session, FrameworkVersion, organisation_id, framework.id, framework.version
    )
    row = FrameworkVersion(
        organisation_id=organisation_id,
        key=framework.id,
        version=framework.version,
        document=framework.to_document(),
    )
    session.add(row)
    session.flush()
    return row


def find_framework(session: Session, key: str, organisation_id: int | None) -> Framework | None:
    """The organisation's newest stored version of a framework, else a shipped one."""
    row = _newest_framework_row(session, key, organisation_id)
    if row is not None:
        return framework_from_document(row.document)
    return digcomp() if key == digcomp().id else None


def _newest_framework_row(
    session: Session, key: str, organisation_id: int | None
) -> FrameworkVersion | None:
    return session.scalars(
        select(FrameworkVersion)
        .where(FrameworkVersion.key == key, FrameworkVersion.organisation_id == organisation_id)
        .order_by(FrameworkVersion.created_at.desc(), FrameworkVersion.id.desc())
        .limit(1)
    ).first()


def save_instrument(session: Session, organisation_id: int, document: object) -> InstrumentVersion:
    """Store an organisation's instrument over one of its own frameworks (newest version)."""
    if not isinstance(document, dict):
        raise DocumentError("instrument: must be a JSON object")
    framework_row = _newest_framework_row(session, str(document.get("framework")), organisation_id)
    if framework_row is None:
        raise DocumentError(
            f"instrument.framework: {document.get('framework')!r} is not imported for the "
            "organisation; import the framework first"
        )
    instrument = instrument_from_document(document, framework_from_document(framework_row.document))
    _refuse_stored_version(
        session, InstrumentVersion, organisation_id, instrument.id, instrument.version
    )
    row = InstrumentVersion(
        organisation_id=organisation_id,
        framework_id=framework_row.id,
        key=instrument.id,
        version=instrument.version,
        document=document,
    )
    session.add(row)
    session.flush()
    return row


def find_instrument_row(
    session: Session, key: str, organisation_id: int
) -> InstrumentVersion | None:
    """The organisation's newest version of one of its own instruments."""
    return session.scalars(
        select(InstrumentVersion)
        .where(InstrumentVersion.key == key, InstrumentVersion.organisation_id == organisation_id)
        .order_by(InstrumentVersion.created_at.desc(), InstrumentVersion.id.desc())
        .limit(1)
    ).first()


def save_role_profile(session: Session, organisation_id: int, document: object) -> RoleProfile:
    """Create or replace a role profile after checking its targets against the framework.

    {"key": "handlaggare", "framework": "digcomp-2.2", "name": {"sv": "Handläggare"},
     "targets": {"1.1": 4, "4.2": 5}}
    """
    if not isinstance(document, dict):
        raise DocumentError("role profile: must be a JSON object")
    key = document.get("key")
    if not isinstance(key, str) or not key.strip():
        raise DocumentError("role profile.key: required")
    framework = find_framework(session, str(document.get("framework")), organisation_id)
    if framework is None:
        raise DocumentError(f"role profile.framework: {document.get('framework')!r} is not known")
    name = require_text(document.get("name"), "role profile.name")
    targets = document.get("targets")
    if not isinstance(targets, dict) or not targets:
        raise DocumentError("role profile.targets: needs competence: level pairs")
    known = {c.id for c in framework.competences}
    problems = [
        f"role profile.targets.{competence}: "
        + ("not in the framework" if competence not in known else "level out of range")
        for competence, level in targets.items()
        if competence not in known
        or not isinstance(level, int)
        or not 1 <= level <= framework.scale.max_level
    ]
    if problems:
        raise DocumentError("; ".join(problems))
    profile = session.scalar(
        select(RoleProfile).where(
            RoleProfile.organisation_id == organisation_id, RoleProfile.key == key
        )
    ) or RoleProfile(organisation_id=organisation_id, key=key)
    profile.framework_key = framework.id
    profile.name = name
    profile.targets = dict(targets)
    session.add(profile)
    session.flush()
    return profile


def role_profile_for(
    session: Session, organisation_id: int, role_title: str | None
) -> RoleProfile | None:
    """The organisation's role profile whose key or name (any language) is the yrkesroll."""
    if not role_title:
        return None
    wanted = role_title.strip().casefold()
    for profile in session.scalars(
        select(RoleProfile)
        .where(RoleProfile.organisation_id == organisation_id)
        .order_by(RoleProfile.id)
    ):
        names = profile.name.values() if isinstance(profile.name, dict) else [profile.name]
        if profile.key.casefold() == wanted or any(
            str(name).strip().casefold() == wanted for name in names
        ):
            return profile
    return None
