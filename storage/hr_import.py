"""Applying HR's staff list to the database: what changes, and then (unless a dry run) changing it.

The list is the whole organisation: whoever is not on it any more is deactivated
(history, results and plans stay), whoever comes back is re-activated.  A change
of unit, manager or role closes the current employment (`valid_to`) and opens a
new one, so reports over time still see where someone was.  Units are created
and renamed by code.  Afterwards LTI identities not yet linked are linked to
their employee (idnumber = employee_id, else e-mail), as a launch would.

Everything is read with a handful of bulk SELECTs and written with bulk INSERTs
and UPDATEs, never one query per row: 10,000 employees take seconds
(bench/hr_import.py).  The caller's transaction makes the import all or nothing.

Every run is recorded as an `HrImport` (what it changed, or why it changed nothing); an
organisation's HR endpoint that the scheduler polls is its `HrSource`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from competence.staff_list import RowError, StaffRow, units_of
from storage.database import Base, JSONDocument, UTCDateTime, utcnow
from storage.people import Person
from storage.staff import Employee, Employment, Unit

CHUNK = 1000
KINDS = ("created", "updated", "moved", "deactivated", "reactivated", "linked")


class HrImport(Base):
    """One run of an HR import (file or endpoint): what it changed, or why it changed nothing."""

    __tablename__ = "hr_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(16))  # "csv" | "json"
    name: Mapped[str] = mapped_column(String(255), default="")  # file name or URL
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")  # done|rejected|failed
    rows: Mapped[int] = mapped_column(Integer, default=0)
    # {"created": n, "updated": n, "moved": n, "deactivated": n, "linked": n}
    summary: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    errors: Mapped[list] = mapped_column(JSONDocument, default=list)  # [{"line": n, "error": s}]


class HrSource(Base):
    """An organisation's HR endpoint that the scheduler polls for the staff list (JSON)."""

    __tablename__ = "hr_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), unique=True
    )
    url: Mapped[str] = mapped_column(Text)
    # A bearer token, sealed like LRS passwords.
    sealed_token: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


@dataclass
class ImportDiff:
    """What the list changes; each entry is (employee_id, name, what changed)."""

    created: list[tuple[str, str, str]] = field(default_factory=list)
    updated: list[tuple[str, str, str]] = field(default_factory=list)
    moved: list[tuple[str, str, str]] = field(default_factory=list)
    deactivated: list[tuple[str, str, str]] = field(default_factory=list)
    reactivated: list[tuple[str, str, str]] = field(default_factory=list)
    linked: list[tuple[str, str, str]] = field(default_factory=list)
    units_created: list[str] = field(default_factory=list)
    units_renamed: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        counts = {kind: len(getattr(self, kind)) for kind in KINDS}
        counts["units_created"] = len(self.units_created)
        counts["units_renamed"] = len(self.units_renamed)
        return counts

    @property
    def changes_anything(self) -> bool:
        return any(self.summary().values())


def apply_staff_list(
    session: Session,
    organisation_id: int,
    rows: Sequence[StaffRow],
    *,
    dry_run: bool = False,
    progress: Callable[[int], None] = lambda _n: None,
    now: datetime | None = None,
) -> ImportDiff:
    """The diff of `rows` against the organisation's employees; written unless `dry_run`."""
    now = now or utcnow()
    diff = ImportDiff()
    unit_ids = _apply_units(session, organisation_id, rows, diff, dry_run)

    existing = {
        row.employee_number: row
        for row in session.execute(
            select(
                Employee.id,
                Employee.employee_number,
                Employee.email,
                Employee.name,
                Employee.gender,
                Employee.digital_role_model,
                Employee.active,
                Employee.person_id,
            ).where(Employee.organisation_id == organisation_id)
        )
    }
    new_rows = [row for row in rows if row.employee_id not in existing]
    if new_rows and not dry_run:
        for chunk in _chunks(new_rows):
            session.execute(
                insert(Employee),
                [
                    {
                        "organisation_id": organisation_id,
                        "employee_number": row.employee_id,
                        "email": row.email,
                        "name": row.name,
                        "gender": row.gender,
                        "digital_role_model": row.digital_role_model,
                        "active": True,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for row in chunk
                ],
            )
        ids = dict(
            session.execute(
                select(Employee.employee_number, Employee.id).where(
                    Employee.organisation_id == organisation_id
                )
            ).all()
        )
    else:
        ids = {number: row.id for number, row in existing.items()}
    diff.created = [(row.employee_id, row.name, "") for row in new_rows]

    current = {
        row.employee_id: row
        for row in session.execute(
            select(
                Employment.id,
                Employment.employee_id,
                Employment.unit_id,
                Employment.manager_id,
                Employment.role_title,
            )
            .join(Employee, Employee.id == Employment.employee_id)
            .where(Employee.organisation_id == organisation_id, Employment.valid_to.is_(None))
        )
    }
    listed = {row.employee_id for row in rows}
    changed_people, closed, opened = [], [], []
    for done, row in enumerate(rows, start=1):
        old = existing.get(row.employee_id)
        employee_id = ids.get(row.employee_id)  # None only for a new one in a dry run
        # In a dry run, units and managers not yet stored have no id: a marker stands in.
        wanted = (
            unit_ids.get(row.unit_code, ("new", row.unit_code)) if row.unit_code else None,
            ids.get(row.manager_employee_id, ("new", row.manager_employee_id))
            if row.manager_employee_id
            else None,
            row.role,
        )
        if old is not None:
            changes = _person_changes(old, row)
            if changes:
                diff.updated.append((row.employee_id, row.name, ", ".join(changes)))
            if changes or not old.active:
                changed_people.append(
                    {
                        "id": old.id,
                        "email": row.email,
                        "name": row.name,
                        "gender": row.gender,
                        "digital_role_model": row.digital_role_model,
                        "active": True,
                        "updated_at": now,
                    }
                )
            if not old.active:
                diff.reactivated.append((row.employee_id, row.name, ""))
        employment = current.get(employee_id) if employee_id is not None else None
        if employment is not None:
            was = (employment.unit_id, employment.manager_id, employment.role_title)
            if was != wanted:
                diff.moved.append((row.employee_id, row.name, _move_text(was, wanted)))
                closed.append({"id": employment.id, "valid_to": now})
                opened.append(_employment(employee_id, wanted, now))
        elif employee_id is not None:
            opened.append(_employment(employee_id, wanted, now))
        if done % CHUNK == 0:
            progress(CHUNK)
    progress(len(rows) % CHUNK)

    for number, old in existing.items():
        if number not in listed and old.active:
            diff.deactivated.append((number, old.name, ""))
            changed_people.append({"id": old.id, "active": False, "updated_at": now})
            if old.id in current:
                closed.append({"id": current[old.id].id, "valid_to": now})

    _link_people(session, organisation_id, rows, existing, ids, diff, dry_run)
    if dry_run:
        return diff
    for chunk in _chunks(changed_people):
        session.execute(update(Employee), chunk)
    for chunk in _chunks(closed):
        session.execute(update(Employment), chunk)
    for chunk in _chunks(opened):
        session.execute(insert(Employment), chunk)
    session.flush()
    return diff


def record_import(
    session: Session,
    organisation_id: int,
    *,
    source: str,
    name: str,
    rows: int,
    diff: ImportDiff | None = None,
    errors: Sequence[RowError] = (),
    started_at: datetime | None = None,
    status: str | None = None,
) -> HrImport:
    """The audit row of a run: what it changed, or why it changed nothing."""
    row = HrImport(
        organisation_id=organisation_id,
        source=source,
        name=name[:255],
        started_at=started_at or utcnow(),
        finished_at=utcnow(),
        status=status or ("done" if diff is not None else "rejected"),
        rows=rows,
        summary=diff.summary() if diff is not None else {},
        errors=[
            {
                "line": error.line,
                "error": error.message,
                "code": error.code,
                "params": dict(error.params),
            }
            for error in errors
        ],
    )
    session.add(row)
    session.flush()
    return row


def _apply_units(
    session: Session,
    organisation_id: int,
    rows: Sequence[StaffRow],
    diff: ImportDiff,
    dry_run: bool,
) -> dict[str, int]:
    wanted = units_of(rows)
    known = {
        row.code: row
        for row in session.execute(
            select(Unit.id, Unit.code, Unit.name, Unit.parent_id).where(
                Unit.organisation_id == organisation_id
            )
        )
    }
    new = [code for code in wanted if code not in known]
    diff.units_created = new
    diff.units_renamed = [
        code
        for code, (name, _parent) in wanted.items()
        if code in known and name and name != known[code].name
    ]
    if dry_run:
        return {code: row.id for code, row in known.items()}
    if new:
        session.execute(
            insert(Unit),
            [
                {
                    "organisation_id": organisation_id,
                    "code": code,
                    "name": wanted[code][0] or code,
                    "created_at": utcnow(),
                }
                for code in new
            ],
        )
    ids = dict(
        session.execute(
            select(Unit.code, Unit.id).where(Unit.organisation_id == organisation_id)
        ).all()
    )
    changes = []
    for code, (name, parent) in wanted.items():
        parent_id = ids.get(parent) if parent else None
        old = known.get(code)
        if old is None or (name and name != old.name) or old.parent_id != parent_id:
            change = {"id": ids[code], "parent_id": parent_id}
            if name and (old is None or name != old.name):
                change["name"] = name
            changes.append(change)
    for chunk in _chunks(changes):
        session.execute(update(Unit), chunk)
    return ids


def _person_changes(old, row: StaffRow) -> list[str]:
    changes = []
    if old.name != row.name:
        changes.append("name")
    if (old.email or None) != row.email:
        changes.append("email")
    if (old.gender or None) != row.gender:
        changes.append("gender")
    if bool(old.digital_role_model) != row.digital_role_model:
        changes.append("digital_role_model")
    return changes


def _move_text(was: tuple, wanted: tuple) -> str:
    names = ("unit", "manager", "role")
    return ", ".join(name for name, a, b in zip(names, was, wanted, strict=True) if a != b)


def _employment(employee_id: int, wanted: tuple, now: datetime) -> dict:
    unit_id, manager_id, role = wanted
    return {
        "employee_id": employee_id,
        "unit_id": unit_id,
        "manager_id": manager_id,
        "role_title": role,
        "valid_from": now,
        "valid_to": None,
    }


def _link_people(
    session: Session,
    organisation_id: int,
    rows: Sequence[StaffRow],
    existing: dict,
    ids: dict[str, int],
    diff: ImportDiff,
    dry_run: bool,
) -> None:
    """Link LTI identities not yet linked: idnumber = employee_id first, then e-mail."""
    taken = {old.person_id for old in existing.values() if old.person_id is not None}
    people = [
        person
        for person in session.execute(
            select(Person.id, Person.person_sourcedid, Person.email).where(
                Person.organisation_id == organisation_id
            )
        )
        if person.id not in taken
    ]
    if not people:
        return
    by_sourcedid = {p.person_sourcedid: p.id for p in people if p.person_sourcedid}
    by_email = {p.email.strip().lower(): p.id for p in people if p.email}
    unlinked = [
        row
        for row in rows
        if row.employee_id not in existing or existing[row.employee_id].person_id is None
    ]
    links = []
    used: set[int] = set()
    done: set[str] = set()
    for match in (
        lambda row: by_sourcedid.get(row.employee_id),
        lambda row: by_email.get(row.email) if row.email else None,
    ):
        for row in unlinked:
            person_id = match(row)
            if person_id is None or person_id in used or row.employee_id in done:
                continue
            used.add(person_id)
            done.add(row.employee_id)
            diff.linked.append((row.employee_id, row.name, ""))
            if not dry_run:
                links.append({"id": ids[row.employee_id], "person_id": person_id})
    for chunk in _chunks(links):
        session.execute(update(Employee), chunk)


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


# What the organisation page shows of HR's lists.


def hr_source_of(session: Session, organisation_id: int) -> HrSource | None:
    """Where the organisation's staff list is fetched from each night, if anywhere."""
    return session.scalar(select(HrSource).where(HrSource.organisation_id == organisation_id))


def organisation_imports(session: Session, organisation_id: int, limit: int) -> list[HrImport]:
    """The organisation's imports, newest first (previews not yet applied left out)."""
    return list(
        session.scalars(
            select(HrImport)
            .where(HrImport.organisation_id == organisation_id, HrImport.status != "preview")
            .order_by(HrImport.started_at.desc(), HrImport.id.desc())
            .limit(limit)
        )
    )


def import_record(session: Session, record_id: int) -> HrImport | None:
    return session.get(HrImport, record_id)
