"""Attempts: start or resume, save each answer as it is given, submit once.

Every answer is one upsert keyed by (attempt, item), so leaving mid-way loses
nothing and the person can resume on another device.  A submitted attempt is
immutable: its answers and result never change afterwards.

An attempt with unanswered questions is submitted only once the person has seen
them listed and confirmed; a submission that assessed nothing uses up none of
the attempts a link allows (competence.scoring.counts_as_finished).
"""

from __future__ import annotations

import copy
import enum
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    false,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, load_only, mapped_column, relationship

from competence.frameworks import Framework, framework_from_document
from competence.instruments import Instrument, Item, instrument_from_document
from competence.scoring import AssessmentResult, counts_as_finished, score
from storage.courses import ResourceLink
from storage.database import Base, JSONDocument, UTCDateTime, get_or_create, utcnow
from storage.frameworks import FrameworkVersion, InstrumentVersion
from storage.people import Person


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


class AttemptRefused(Exception):
    """An action on an attempt that its state or settings do not allow."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LoadedInstrument:
    row_id: int
    instrument: Instrument
    framework: Framework


def store_instrument(
    session: Session, instrument: Instrument, framework: Framework, instrument_document: dict
) -> InstrumentVersion:
    """The stored version of a shipped instrument (and its framework), saved on first use."""

    # Only the ids: the documents (tens of kB of JSON) are read when load_instrument has not
    # parsed them yet, not on every page that asks which row a shipped instrument is.
    def stored() -> InstrumentVersion | None:
        return session.scalar(
            select(InstrumentVersion)
            .where(
                InstrumentVersion.organisation_id.is_(None),
                InstrumentVersion.key == instrument.id,
                InstrumentVersion.version == instrument.version,
            )
            .options(load_only(InstrumentVersion.id, InstrumentVersion.framework_id))
        )

    existing = stored()  # the usual case: one query, the framework's row is not needed
    if existing is not None:
        return existing
    framework_row = get_or_create(
        session,
        lambda: session.scalar(
            select(FrameworkVersion)
            .where(
                FrameworkVersion.organisation_id.is_(None),
                FrameworkVersion.key == framework.id,
                FrameworkVersion.version == framework.version,
            )
            .options(load_only(FrameworkVersion.id))
        ),
        lambda: FrameworkVersion(
            key=framework.id, version=framework.version, document=framework.to_document()
        ),
    )
    session.flush()
    return get_or_create(
        session,
        stored,
        lambda: InstrumentVersion(
            key=instrument.id,
            version=instrument.version,
            framework_id=framework_row.id,
            document=instrument_document,
        ),
    )


# What identifies a stored instrument version and its framework's (see load_instrument).
INSTRUMENT_IDENTITY = (
    InstrumentVersion.id,
    InstrumentVersion.key,
    InstrumentVersion.version,
    InstrumentVersion.organisation_id,
    InstrumentVersion.created_at,
    FrameworkVersion.id,
    FrameworkVersion.key,
    FrameworkVersion.version,
    FrameworkVersion.organisation_id,
    FrameworkVersion.created_at,
)


def person_attempt(
    session: Session, attempt_id: str, person_id: int
) -> tuple[Attempt, tuple] | None:
    """The person's attempt with its instrument's identity (for load_instrument), in one
    query; None when there is no such attempt or it is someone else's."""
    found = session.execute(
        select(Attempt, *INSTRUMENT_IDENTITY)
        .join(InstrumentVersion, InstrumentVersion.id == Attempt.instrument_id)
        .join(FrameworkVersion, FrameworkVersion.id == InstrumentVersion.framework_id)
        .where(Attempt.id == attempt_id, Attempt.person_id == person_id)
    ).first()
    return None if found is None else (found[0], tuple(found[1:]))


def load_instrument(
    session: Session, instrument_row_id: int, identity: tuple | None = None
) -> LoadedInstrument:
    """The stored instrument version and its framework, parsed.

    Stored versions never change (storage.frameworks refuses a changed document under an
    existing version), so each is parsed once per process. A small query of the two rows'
    identities (id, key, version, owner, created_at) finds the parsed copy: the documents
    themselves are read only the first time, and a row that was deleted and whose id came
    back (SQLite reuses ids) is a new identity, never mistaken for the old one. `identity`,
    when the caller read it already (person_attempt), spares that query.
    """
    if identity is None or identity[0] != instrument_row_id:
        found = session.execute(
            select(*INSTRUMENT_IDENTITY)
            .join(FrameworkVersion, FrameworkVersion.id == InstrumentVersion.framework_id)
            .where(InstrumentVersion.id == instrument_row_id)
        ).one_or_none()
        if found is None:
            raise LookupError(f"no instrument {instrument_row_id}")
        identity = tuple(found)
    loaded = _parsed.get(identity)
    if loaded is None:
        row = session.get(InstrumentVersion, instrument_row_id)
        # Copies: the cached instrument shares nothing with this session's rows.
        framework = framework_from_document(copy.deepcopy(row.framework.document))
        instrument = instrument_from_document(copy.deepcopy(row.document), framework)
        loaded = LoadedInstrument(row_id=row.id, instrument=instrument, framework=framework)
        _parsed.put(identity, loaded)
    return loaded


class _Parsed:
    """A small LRU of parsed instrument versions, shared by a worker's threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[tuple, LoadedInstrument] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, identity: tuple) -> LoadedInstrument | None:
        with self._lock:
            loaded = self._items.get(identity)
            if loaded is not None:
                self._items.move_to_end(identity)
            return loaded

    def put(self, identity: tuple, loaded: LoadedInstrument) -> None:
        with self._lock:
            self._items[identity] = loaded
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_parsed = _Parsed(64)


def attempts_of(session: Session, person_id: int, resource_link_id: int | None) -> list[Attempt]:
    """The person's attempts at this link, newest first."""
    return list(
        session.scalars(
            select(Attempt)
            .where(Attempt.person_id == person_id, Attempt.resource_link_id == resource_link_id)
            .order_by(Attempt.started_at.desc())
        )
    )


def attempts_used(attempts: list[Attempt]) -> int:
    """How many of a link's allowed attempts these have used: the one in progress and every
    submitted one that counts as finished (one that assessed nothing does not)."""
    return sum(
        1
        for a in attempts
        if a.status is AttemptStatus.IN_PROGRESS or counts_as_finished(a.overall_level)
    )


def start_attempt(
    session: Session,
    *,
    person_id: int,
    resource_link_id: int | None,
    instrument_row_id: int,
    attempts_allowed: int | None,
) -> Attempt:
    """Resume the attempt in progress, or start a new one if the link's settings allow."""
    existing = attempts_of(session, person_id, resource_link_id)
    in_progress = next((a for a in existing if a.status is AttemptStatus.IN_PROGRESS), None)
    if in_progress is not None:
        return in_progress
    if attempts_allowed is not None and attempts_used(existing) >= attempts_allowed:
        raise AttemptRefused("no_more_attempts")
    # Imported here: result_sharing reads attempts, and its one rule stays in its module.
    from storage.result_sharing import link_shares_with_manager

    link = session.get(ResourceLink, resource_link_id) if resource_link_id is not None else None
    attempt = Attempt(
        person_id=person_id,
        resource_link_id=resource_link_id,
        instrument_id=instrument_row_id,
        # What the person was just told on the start page (storage.result_sharing).
        shared_with_manager=link_shares_with_manager(link),
    )
    session.add(attempt)
    session.flush()
    return attempt


def save_answer(
    session: Session, attempt: Attempt, loaded: LoadedInstrument, item_id: str, option_id: str
) -> datetime:
    """Save (or change) the answer to one item; returns when it was answered."""
    if attempt.status is not AttemptStatus.IN_PROGRESS:
        raise AttemptRefused("attempt_submitted")
    item = loaded.instrument.item(item_id)
    if item is None:
        raise AttemptRefused("unknown_item")
    if item.option(option_id) is None:
        raise AttemptRefused("unknown_option")
    now = utcnow()
    insert = postgresql_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = insert(Answer).values(
        attempt_id=attempt.id, item_id=item_id, option_id=option_id, answered_at=now
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[Answer.attempt_id, Answer.item_id],
            set_={"option_id": option_id, "answered_at": now},
        )
    )
    # Guarded by status, so an answer cannot slip in after a concurrent submit.
    touched = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == AttemptStatus.IN_PROGRESS)
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if touched.rowcount != 1:
        raise AttemptRefused("attempt_submitted")
    return now


def answers_of(session: Session, attempt_id: str) -> dict[str, str]:
    rows = session.execute(
        select(Answer.item_id, Answer.option_id).where(Answer.attempt_id == attempt_id)
    )
    return {item_id: option_id for item_id, option_id in rows}


def last_answered_item(session: Session, attempt_id: str) -> str | None:
    """The item the person answered (or changed) last; None before any answer."""
    return session.scalar(
        select(Answer.item_id)
        .where(Answer.attempt_id == attempt_id)
        .order_by(Answer.answered_at.desc())
        .limit(1)
    )


def unanswered(loaded: LoadedInstrument, answers: dict[str, str]) -> list[tuple[int, Item]]:
    """The questions without an answer, with their numbers (from 1) in the instrument."""
    return [
        (number, item)
        for number, item in enumerate(loaded.instrument.items, start=1)
        if item.id not in answers
    ]


def submit_attempt(
    session: Session,
    attempt: Attempt,
    loaded: LoadedInstrument,
    launch_id: str | None,
    *,
    unanswered_confirmed: bool = False,
) -> AssessmentResult:
    """Score and close the attempt; exactly one concurrent submit wins.

    With questions unanswered, only when the person confirmed submitting anyway
    (`unanswered_confirmed`); otherwise AttemptRefused("unanswered") and nothing changes.
    """
    if attempt.status is not AttemptStatus.IN_PROGRESS:
        raise AttemptRefused("attempt_submitted")
    answers = answers_of(session, attempt.id)
    if not unanswered_confirmed and unanswered(loaded, answers):
        raise AttemptRefused("unanswered")
    result = score(loaded.instrument, loaded.framework, answers)
    now = utcnow()
    closed = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == AttemptStatus.IN_PROGRESS)
        .values(
            status=AttemptStatus.SUBMITTED,
            submitted_at=now,
            updated_at=now,
            launch_id=launch_id,
            result=result.to_document(),
            overall_level=result.overall_level,
            score=result.score,
        )
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount != 1:
        raise AttemptRefused("attempt_submitted")
    session.refresh(attempt)
    return result


def stored_instrument_documents(session: Session, organisation_id: int) -> dict[str, dict]:
    """Key → document of the instruments stored for everyone or for the organisation; a
    newer version replaces an older one of the same key."""
    stored = session.execute(
        select(InstrumentVersion.key, InstrumentVersion.document)
        .where(
            or_(
                InstrumentVersion.organisation_id.is_(None),
                InstrumentVersion.organisation_id == organisation_id,
            )
        )
        .order_by(InstrumentVersion.created_at)
    )
    return dict(stored.all())


def previous_assessment(session: Session, attempt: Attempt) -> Attempt | None:
    """The person's submitted attempt at the same link before this one that assessed
    something (one that assessed nothing is no comparison), or None."""
    return session.scalar(
        select(Attempt)
        .where(
            Attempt.person_id == attempt.person_id,
            Attempt.resource_link_id == attempt.resource_link_id,
            Attempt.status == AttemptStatus.SUBMITTED,
            Attempt.overall_level.is_not(None),
            Attempt.submitted_at < attempt.submitted_at,
        )
        .order_by(Attempt.submitted_at.desc())
        .limit(1)
    )


NOT_STARTED, IN_PROGRESS, FINISHED = "not_started", "in_progress", "finished"


def instrument_states(
    session: Session, person_ids: list[int], keys: list[str]
) -> dict[tuple[int, str], str]:
    """Each person's state per instrument key (IN_PROGRESS or FINISHED; absent: NOT_STARTED),
    from their latest attempt at it."""
    if not person_ids or not keys:
        return {}
    rows = session.execute(
        select(Attempt.person_id, InstrumentVersion.key, Attempt.status, Attempt.overall_level)
        .join(InstrumentVersion, InstrumentVersion.id == Attempt.instrument_id)
        .where(Attempt.person_id.in_(person_ids), InstrumentVersion.key.in_(keys))
        .order_by(Attempt.started_at)
    )
    states: dict[tuple[int, str], str] = {}
    for person_id, key, status, overall_level in rows:
        if status != AttemptStatus.SUBMITTED:
            states[person_id, key] = IN_PROGRESS
        elif counts_as_finished(overall_level):
            states[person_id, key] = FINISHED
        else:
            # Submitted with nothing assessed (competence.scoring.counts_as_finished): started,
            # not finished, and it changes nothing about an assessment before it.
            states.setdefault((person_id, key), IN_PROGRESS)
    return states


def latest_submitted_attempt(
    session: Session, person_id: int, instrument_keys: set[str] | None = None
) -> Attempt | None:
    """The person's newest finished assessment; only among `instrument_keys` when given.

    A submission with nothing assessed has no levels (competence.scoring.counts_as_finished),
    so it never hides the levels of the one before it in the dialogue."""
    query = (
        select(Attempt)
        .join(InstrumentVersion, InstrumentVersion.id == Attempt.instrument_id)
        .where(
            Attempt.person_id == person_id,
            Attempt.status == AttemptStatus.SUBMITTED,
            Attempt.overall_level.is_not(None),
        )
    )
    if instrument_keys is not None:
        if not instrument_keys:
            return None
        query = query.where(InstrumentVersion.key.in_(instrument_keys))
    return session.scalar(query.order_by(Attempt.submitted_at.desc()).limit(1))
