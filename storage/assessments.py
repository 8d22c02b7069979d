"""Frameworks, instruments, role profiles, learning activities, attempts and answers.

Frameworks and instruments are stored as the documents `competence` validates,
one row per version: an attempt points at the exact instrument version it was
answered on, so a later edit of the instrument never changes old results.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.courses import ResourceLink
from storage.database import Base, JSONDocument, UTCDateTime, utcnow
from storage.people import Person


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


class AttemptStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (
        Index("ix_attempts_person_link", "person_id", "resource_link_id"),
        # Each person's submitted attempts, newest first, with what "the latest result per
        # person" reads (programme radar and indicators): an index-only scan on both databases.
        Index(
            "ix_attempts_submitted",
            "person_id",
            text("submitted_at DESC"),
            "id",
            "instrument_id",
            postgresql_where=text("status = 'submitted'"),
            sqlite_where=text("status = 'submitted'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    resource_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("resource_links.id", ondelete="SET NULL")
    )
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"))
    # The launch that submitted it: its AGS endpoint is where the score goes.
    launch_id: Mapped[str | None] = mapped_column(ForeignKey("launches.id", ondelete="SET NULL"))
    status: Mapped[AttemptStatus] = mapped_column(
        Enum(AttemptStatus, name="attempt_status", values_callable=lambda e: [m.value for m in e]),
        default=AttemptStatus.IN_PROGRESS,
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[dict | None] = mapped_column(JSONDocument)
    overall_level: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    # What the activity said about sharing with the manager when the attempt was started:
    # what the person was told before the first question (see storage.result_sharing).
    # A later "yes" on the activity never opens an attempt made under "no".
    shared_with_manager: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )

    person: Mapped[Person] = relationship()
    resource_link: Mapped[ResourceLink | None] = relationship()
    instrument: Mapped[InstrumentVersion] = relationship()


class Answer(Base):
    __tablename__ = "answers"

    attempt_id: Mapped[str] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    option_id: Mapped[str] = mapped_column(String(100))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
