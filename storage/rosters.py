"""Course rosters as the platform reports them (LTI Names and Role Provisioning Services).

A roster sync hands over the members the platform listed; `apply_roster` turns
them into people and memberships in a handful of statements whatever the size
of the course: one lookup per 500 people, one multi-row insert for the new
ones, one batched update for the changed ones.  Names, e-mail and sourcedid are
only ever filled in, never erased: a platform that stops sharing a field leaves
what a launch stored.

After a complete listing, members the platform no longer lists become Inactive;
a differences listing changes only the members it names.  Someone the platform
reports as Deleted whom the tool never met is not stored at all.

Every roster sync is an outbox delivery (target `nrps.roster`, keyed
`context:<id>:...`); its outcome, including the platform's `differences` link
for the next sync, is kept on that delivery's payload, so a lost record only
means the next sync reads the whole roster again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.attempts import Attempt, AttemptStatus
from storage.database import utcnow
from storage.launches import Launch
from storage.memberships import Membership, MembershipStatus
from storage.outbox import Delivery, DeliveryStatus
from storage.people import Person

ROSTER_TARGET = "nrps.roster"
CHUNK = 500  # ids per IN (...) list: far below every backend's parameter limit
PERSON_FIELDS = ("name", "given_name", "family_name", "email", "person_sourcedid")


@dataclass(frozen=True)
class RosterMember:
    """One member as the platform listed them; None means "not shared", never "erase"."""

    subject: str
    roles: tuple[str, ...] = ()
    status: MembershipStatus = MembershipStatus.ACTIVE
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    person_sourcedid: str | None = None


@dataclass
class RosterChanges:
    people_added: int = 0
    people_updated: int = 0
    memberships_added: int = 0
    memberships_changed: int = 0
    memberships_unchanged: int = 0
    deactivated: int = 0
    ignored_deleted: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def apply_roster(
    session: Session,
    *,
    organisation_id: int,
    issuer: str,
    context_id: int,
    members: Iterable[RosterMember],
    complete: bool,
    now: datetime | None = None,
) -> RosterChanges:
    """Store a roster listing in the caller's transaction.

    `complete` says the listing holds every member (a full sync read to its last
    page): only then do members missing from it become Inactive.
    """
    now = now or utcnow()
    changes = RosterChanges()
    listed = {member.subject: member for member in members}  # a repeated member: the last wins

    people = _people(session, issuer, list(listed))
    new = [
        member
        for subject, member in listed.items()
        if subject not in people and member.status is not MembershipStatus.DELETED
    ]
    changes.ignored_deleted = sum(
        1
        for subject, member in listed.items()
        if subject not in people and member.status is MembershipStatus.DELETED
    )
    updates = []
    for subject, member in listed.items():
        known = people.get(subject)
        if known is None:
            continue
        merged = {name: getattr(member, name) or known[name] for name in PERSON_FIELDS}
        if merged != {name: known[name] for name in PERSON_FIELDS}:
            updates.append({"id": known["id"], **merged, "updated_at": now})
    if updates:
        session.execute(update(Person), sorted(updates, key=lambda row: row["id"]))
        changes.people_updated = len(updates)
    if new:
        _insert_ignoring_conflicts(
            session,
            Person.__table__,
            [
                {
                    "organisation_id": organisation_id,
                    "issuer": issuer,
                    "subject": member.subject,
                    **{name: getattr(member, name) for name in PERSON_FIELDS},
                    "created_at": now,
                    "updated_at": now,
                }
                for member in new
            ],
            ("issuer", "subject"),
        )
        changes.people_added = len(new)
        people.update(_people(session, issuer, [member.subject for member in new]))

    existing = {
        row.person_id: row
        for row in session.execute(
            select(Membership.id, Membership.person_id, Membership.roles, Membership.status).where(
                Membership.context_id == context_id
            )
        )
    }
    inserts, changed, unchanged = [], [], []
    listed_people = set()
    for subject, member in listed.items():
        person = people.get(subject)
        if person is None:
            continue
        listed_people.add(person["id"])
        row = existing.get(person["id"])
        if row is None:
            if member.status is not MembershipStatus.DELETED:
                inserts.append(
                    {
                        "context_id": context_id,
                        "person_id": person["id"],
                        "roles": list(member.roles),
                        "status": member.status,
                        "synced_at": now,
                    }
                )
            continue
        # A deletion notice may come without roles: the roles the member had are kept.
        roles = list(member.roles) or list(row.roles or [])
        if roles != list(row.roles or []) or member.status is not row.status:
            changed.append(
                {"id": row.id, "roles": roles, "status": member.status, "synced_at": now}
            )
        else:
            unchanged.append(row.id)
    if inserts:
        _insert_ignoring_conflicts(
            session, Membership.__table__, inserts, ("context_id", "person_id")
        )
        changes.memberships_added = len(inserts)
    if changed:
        session.execute(update(Membership), sorted(changed, key=lambda row: row["id"]))
        changes.memberships_changed = len(changed)
    _set_where_id_in(session, unchanged, synced_at=now)
    changes.memberships_unchanged = len(unchanged)
    if complete:
        gone = sorted(
            row.id
            for person_id, row in existing.items()
            if person_id not in listed_people and row.status is MembershipStatus.ACTIVE
        )
        _set_where_id_in(session, gone, status=MembershipStatus.INACTIVE, synced_at=now)
        changes.deactivated = len(gone)
    return changes


def _people(session: Session, issuer: str, subjects: Sequence[str]) -> dict[str, dict]:
    found = {}
    for start in range(0, len(subjects), CHUNK):
        chunk = subjects[start : start + CHUNK]
        rows = session.execute(
            select(
                Person.id, Person.subject, *(getattr(Person, name) for name in PERSON_FIELDS)
            ).where(Person.issuer == issuer, Person.subject.in_(chunk))
        )
        for row in rows:
            found[row.subject] = row._asdict()
    return found


def _insert_ignoring_conflicts(
    session: Session, table: Table, rows: list[dict], keys: tuple[str, ...]
) -> None:
    """A multi-row INSERT that skips rows a concurrent launch or sync inserted meanwhile."""
    dialect = session.get_bind().dialect.name
    dialect_insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    session.execute(dialect_insert(table).on_conflict_do_nothing(index_elements=list(keys)), rows)


def _set_where_id_in(session: Session, ids: list[int], **values) -> None:
    for start in range(0, len(ids), CHUNK):
        session.execute(
            update(Membership)
            .where(Membership.id.in_(ids[start : start + CHUNK]))
            .values(**values)
            .execution_options(synchronize_session=False)
        )


# -- the page a teacher sees -------------------------------------------------------------------


class AssessmentState:
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


@dataclass(frozen=True)
class RosterEntry:
    person_id: int
    subject: str
    display_name: str | None
    given_name: str | None
    family_name: str | None
    roles: tuple[str, ...]
    status: MembershipStatus
    state: str
    last_submitted_at: datetime | None


@dataclass
class CourseRoster:
    entries: list[RosterEntry] = field(default_factory=list)
    synced_at: datetime | None = None  # the latest sync that touched this course's roster


def course_roster(session: Session, context_id: int, resource_link_id: int | None) -> CourseRoster:
    """Every stored member of the course (in no particular order) with the state of their
    assessment at this link."""
    rows = session.execute(
        select(Membership, Person)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.context_id == context_id)
    ).all()
    members = [
        (person, tuple(membership.roles or ()), membership.status, membership.synced_at)
        for membership, person in rows
    ]
    return _roster(session, members, resource_link_id)


def launched_roster(
    session: Session, context_id: int, resource_link_id: int | None
) -> CourseRoster:
    """Everyone who has opened the tool from this course, in the roles of their latest
    launch: all a teacher can be shown where the platform offers no participant list.
    `synced_at` is the latest launch."""
    latest: dict[int, tuple[tuple[str, ...], datetime]] = {}
    for person_id, roles, at in session.execute(
        select(Launch.person_id, Launch.roles, Launch.created_at)
        .where(Launch.context_id == context_id)
        .order_by(Launch.created_at, Launch.id)
    ):
        latest[person_id] = (tuple(roles or ()), at)
    people = session.scalars(select(Person).where(Person.id.in_(list(latest)))).all()
    members = [
        (person, latest[person.id][0], MembershipStatus.ACTIVE, latest[person.id][1])
        for person in people
    ]
    return _roster(session, members, resource_link_id)


def _roster(session: Session, members: list, resource_link_id: int | None) -> CourseRoster:
    """(person, roles, status, seen at) of each member, with their assessment's state."""
    attempts: dict[int, list[tuple[AttemptStatus, datetime | None]]] = {}
    ids = [person.id for person, *_rest in members]
    if resource_link_id is not None and ids:
        for start in range(0, len(ids), CHUNK):
            for person_id, status, submitted_at in session.execute(
                select(Attempt.person_id, Attempt.status, Attempt.submitted_at).where(
                    Attempt.resource_link_id == resource_link_id,
                    Attempt.person_id.in_(ids[start : start + CHUNK]),
                )
            ):
                attempts.setdefault(person_id, []).append((status, submitted_at))
    roster = CourseRoster()
    for person, roles, status, seen_at in members:
        own = attempts.get(person.id, [])
        submitted = [at for state, at in own if state is AttemptStatus.SUBMITTED and at]
        if submitted:
            state = AssessmentState.SUBMITTED
        elif own:
            state = AssessmentState.IN_PROGRESS
        else:
            state = AssessmentState.NOT_STARTED
        roster.entries.append(
            RosterEntry(
                person_id=person.id,
                subject=person.subject,
                display_name=person.display_name,
                given_name=person.given_name,
                family_name=person.family_name,
                roles=roles,
                status=status,
                state=state,
                last_submitted_at=max(submitted) if submitted else None,
            )
        )
        if roster.synced_at is None or seen_at > roster.synced_at:
            roster.synced_at = seen_at
    return roster


# -- roster syncs in the outbox ------------------------------------------------------------------


def roster_key(context_id: int, occasion: str) -> str:
    """The outbox key of a roster sync: unique per course and occasion (a launch, a day)."""
    return f"context:{context_id}:{occasion}"


def _of_context(context_id: int):
    return (Delivery.target == ROSTER_TARGET) & Delivery.key.startswith(
        roster_key(context_id, ""), autoescape=True
    )


def roster_sync_due_soon(
    session: Session, context_id: int, *, cooldown: timedelta, now: datetime | None = None
) -> bool:
    """A sync of this course waits to start, or one finished less than `cooldown` ago."""
    now = now or utcnow()
    # Waiting (also to be retried) but not running: it will read the roster as it is then.
    waiting = (Delivery.status == DeliveryStatus.PENDING) & (
        Delivery.leased_until.is_(None) | (Delivery.leased_until < now)
    )
    recent = (Delivery.status == DeliveryStatus.DELIVERED) & (
        Delivery.delivered_at > now - cooldown
    )
    found = session.scalar(
        select(func.count()).select_from(Delivery).where(_of_context(context_id), waiting | recent)
    )
    return bool(found)


def last_roster_result(session: Session, context_id: int) -> dict | None:
    """What the latest delivered sync of this course recorded (see `record_roster_result`)."""
    payload = session.scalar(
        select(Delivery.payload)
        .where(_of_context(context_id), Delivery.status == DeliveryStatus.DELIVERED)
        .order_by(Delivery.delivered_at.desc())
        .limit(1)
    )
    result = payload.get("result") if isinstance(payload, dict) else None
    return result if isinstance(result, dict) else None


def record_roster_result(session: Session, key: str, result: dict) -> None:
    """Keep a sync's outcome on its own delivery, in the transaction that stores the roster."""
    payload = session.scalar(
        select(Delivery.payload).where(Delivery.target == ROSTER_TARGET, Delivery.key == key)
    )
    if payload is None:
        return
    session.execute(
        update(Delivery)
        .where(Delivery.target == ROSTER_TARGET, Delivery.key == key)
        .values(payload={**payload, "result": result})
        .execution_options(synchronize_session=False)
    )
