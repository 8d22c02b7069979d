"""Importing HR's staff list: the one action that the command line, the organisation page
and the nightly poll all call.

Read the list (competence.staff_list), see what it changes (storage.hr_import), guard
against a list that would end the organisation, apply it and record the run
(`HrImport`), all in one transaction: nothing is half done.

The guard.  A list is the whole organisation, so whoever is missing from it is ended
(deactivated, their current employment closed).  An empty file, an HR system answering
``{"employees": []}`` on a bad night, or half an export would end hundreds of
employments at once, and nobody would notice until the reports went blank.  So a list
that would end more than `max_ending_percent` of the current employments (the setting
`hr_max_ending_percent`, 10 by default) is refused unless the person confirms that very
number: the command line with ``--allow-mass-ending``, the page by ticking "Yes, end
196 employments (100 %)".  The nightly poll never confirms: it records the refusal and
changes nothing.  An empty list ends everyone and always needs the confirmation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO

from sqlalchemy import delete, func, select

from competence.staff_list import StaffListRejected, StaffRow, problem, staff_list_from_file
from storage.database import Database, utcnow
from storage.hr_import import HrImport, ImportDiff, apply_staff_list, record_import
from storage.staff import Employee

DEFAULT_MAX_ENDING_PERCENT = 10
PREVIEW_KEPT = timedelta(days=1)
MAX_ERRORS_KEPT = 200  # of a refused list, in its history row (the person saw them all)


@dataclass(frozen=True)
class Ending:
    """How many current employments a list would end, of how many there are now."""

    ending: int
    current: int
    empty_list: bool = False

    @property
    def percent(self) -> int:
        """The share in whole percent, rounded (never 0 when anyone is ended)."""
        if not self.current:
            return 0
        return max(1, round(self.ending * 100 / self.current)) if self.ending else 0

    def needs_confirmation(self, max_ending_percent: int) -> bool:
        if self.ending == 0:
            return False
        return self.empty_list or self.ending * 100 > max_ending_percent * self.current


class MassEndingRefused(Exception):
    """The list would end more employments than may be ended unconfirmed; nothing changed."""

    def __init__(self, ending: Ending, max_ending_percent: int) -> None:
        self.ending = ending
        self.max_ending_percent = max_ending_percent
        what = "the staff list is empty and " if ending.empty_list else "the staff list "
        super().__init__(
            f"{what}would end {ending.ending} of {ending.current} current employments "
            f"({ending.percent} %); more than {max_ending_percent} % are ended only when "
            "someone confirms it"
        )


class PreviewGone(LookupError):
    """No such preview in the organisation (applied already, or another organisation's)."""


@dataclass
class StaffImport:
    """What an import did (or a dry run or preview would do)."""

    rows: int
    diff: ImportDiff
    ending: Ending
    needs_confirmation: bool
    record_id: int | None = None  # its HrImport (a preview's row, for a preview)


def import_staff_list(
    database: Database,
    organisation_id: int,
    name: str,
    content: bytes | BinaryIO,
    *,
    source: str | None = None,
    max_ending_percent: int = DEFAULT_MAX_ENDING_PERCENT,
    allow_mass_ending: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] = lambda _done, _total: None,
    started_at: datetime | None = None,
) -> StaffImport:
    """Read, check, guard, apply and record a staff list (file `name`, by its ending CSV
    or JSON; `source` "csv" or "json" says it for an endpoint).

    Raises StaffListRejected (a bad list) or MassEndingRefused (the guard); either is
    recorded in the import history unless it is a dry run, and nothing else changes.
    A dry run changes and records nothing and is never refused by the guard: its
    result says whether the import would need the confirmation."""
    started_at = started_at or utcnow()
    kind = source or kind_of(name)
    try:
        rows = staff_list_from_file(_as_name(kind), content)
    except StaffListRejected as rejected:
        if not dry_run:
            _record_refusal(database, organisation_id, kind, name, 0, rejected, started_at)
        raise
    try:
        with database.transaction() as session:
            result = _apply(
                session,
                organisation_id,
                rows,
                max_ending_percent=max_ending_percent,
                confirmed=allow_mass_ending or dry_run,
                dry_run=dry_run,
                progress=lambda done: progress(done, len(rows)),
            )
            if not dry_run:
                result.record_id = record_import(
                    session,
                    organisation_id,
                    source=kind,
                    name=name,
                    rows=len(rows),
                    diff=result.diff,
                    started_at=started_at,
                ).id
            return result
    except MassEndingRefused as refused:
        if not dry_run:
            _record_refusal(database, organisation_id, kind, name, len(rows), refused, started_at)
        raise


def preview_staff_list(
    database: Database,
    organisation_id: int,
    name: str,
    content: bytes,
    *,
    by_person_id: int | None,
    max_ending_percent: int = DEFAULT_MAX_ENDING_PERCENT,
) -> StaffImport:
    """The organisation page's first step: what the list would change, kept server-side
    as an `HrImport` "preview" (its text in summary["pending"]) until it is confirmed.

    A bad list is recorded as refused and raised.  A list the guard would stop is not
    refused here: the result's `needs_confirmation` says the page must ask."""
    kind = kind_of(name)
    try:
        result = import_staff_list(
            database,
            organisation_id,
            name,
            content,
            max_ending_percent=max_ending_percent,
            dry_run=True,
        )
    except StaffListRejected as rejected:
        _record_refusal(database, organisation_id, kind, name, 0, rejected, utcnow())
        raise
    with database.transaction() as session:
        session.execute(
            delete(HrImport).where(
                HrImport.organisation_id == organisation_id,
                HrImport.status == "preview",
                HrImport.started_at < utcnow() - PREVIEW_KEPT,
            )
        )
        preview = HrImport(
            organisation_id=organisation_id,
            source=kind,
            name=name[:255],
            status="preview",
            rows=result.rows,
            summary={
                "pending": content.decode("utf-8-sig"),
                "by": by_person_id,
                "ending": result.ending.ending,
                "current": result.ending.current,
                **result.diff.summary(),
            },
        )
        session.add(preview)
        session.flush()
        result.record_id = preview.id
    return result


def apply_staff_list_preview(
    database: Database,
    organisation_id: int,
    preview_id: int,
    *,
    confirmed_ending: int | None = None,
    max_ending_percent: int = DEFAULT_MAX_ENDING_PERCENT,
) -> StaffImport:
    """The organisation page's confirmation: the previewed list applied to the database
    as it is now; the preview row becomes the import's record.

    When the guard applies, `confirmed_ending` must be the number of employments the
    list ends now (the number the person ticked): if the organisation changed since the
    preview and the number is another, it is refused again with the new number.
    Raises PreviewGone, StaffListRejected or MassEndingRefused; nothing changes then."""
    with database.transaction() as session:
        preview, rows = _pending(session, organisation_id, preview_id)
        started = utcnow()
        result = _apply(
            session,
            organisation_id,
            rows,
            max_ending_percent=max_ending_percent,
            confirmed=confirmed_ending,
            dry_run=False,
        )
        preview.status = "done"
        preview.summary = result.diff.summary()
        preview.rows = len(rows)
        preview.started_at = started
        preview.finished_at = utcnow()
        result.record_id = preview.id
        return result


def preview_again(
    database: Database,
    organisation_id: int,
    preview_id: int,
    max_ending_percent: int = DEFAULT_MAX_ENDING_PERCENT,
) -> StaffImport:
    """A kept preview worked out again against the database as it is now (after its
    confirmation was refused because the numbers had changed)."""
    with database.transaction() as session:
        preview, rows = _pending(session, organisation_id, preview_id)
        result = _apply(
            session,
            organisation_id,
            rows,
            max_ending_percent=max_ending_percent,
            confirmed=True,
            dry_run=True,
        )
        preview.summary = {
            **preview.summary,
            "ending": result.ending.ending,
            "current": result.ending.current,
            **result.diff.summary(),
        }
        result.record_id = preview.id
        return result


def _pending(session, organisation_id: int, preview_id: int) -> tuple[HrImport, list[StaffRow]]:
    """The organisation's kept preview and its list, read again (the rules may have changed
    since the upload: then StaffListRejected)."""
    preview = session.scalar(
        select(HrImport).where(
            HrImport.id == preview_id,
            HrImport.organisation_id == organisation_id,
            HrImport.status == "preview",
        )
    )
    if preview is None:
        raise PreviewGone(preview_id)
    pending = preview.summary.get("pending", "").encode()
    return preview, staff_list_from_file(_as_name(preview.source), pending)


def _apply(
    session,
    organisation_id: int,
    rows: list[StaffRow],
    *,
    max_ending_percent: int,
    confirmed: bool | int | None,
    dry_run: bool,
    progress: Callable[[int], None] = lambda _n: None,
) -> StaffImport:
    """The guard, then the diff (applied unless a dry run).  `confirmed` is True, or the
    number of endings the person agreed to (it must be the number now)."""
    ending = ending_of(session, organisation_id, rows)
    needs = ending.needs_confirmation(max_ending_percent)
    agreed = confirmed is True or (
        confirmed not in (None, False) and int(confirmed) == ending.ending
    )
    if needs and not agreed:
        raise MassEndingRefused(ending, max_ending_percent)
    diff = apply_staff_list(session, organisation_id, rows, dry_run=dry_run, progress=progress)
    return StaffImport(rows=len(rows), diff=diff, ending=ending, needs_confirmation=needs)


def ending_of(session, organisation_id: int, rows: list[StaffRow]) -> Ending:
    """How many of the organisation's current employees the list leaves out."""
    active = Employee.organisation_id == organisation_id, Employee.active.is_(True)
    if not rows:
        current = session.scalar(select(func.count()).select_from(Employee).where(*active))
        return Ending(ending=current, current=current, empty_list=True)
    listed = {row.employee_id for row in rows}
    numbers = session.scalars(select(Employee.employee_number).where(*active)).all()
    return Ending(ending=sum(1 for n in numbers if n not in listed), current=len(numbers))


def kind_of(name: str) -> str:
    return "json" if name.lower().endswith(".json") else "csv"


def _as_name(kind: str) -> str:
    """A name that tells staff_list_from_file the format (an endpoint's URL may not)."""
    return "list.json" if kind == "json" else "list.csv"


def _record_refusal(
    database: Database,
    organisation_id: int,
    kind: str,
    name: str,
    rows: int,
    refusal: StaffListRejected | MassEndingRefused,
    started_at: datetime,
) -> None:
    if isinstance(refusal, StaffListRejected):
        errors = refusal.errors[:MAX_ERRORS_KEPT]
    else:
        ending = refusal.ending
        errors = [
            problem(
                0,
                "mass_ending",
                ending=ending.ending,
                current=ending.current,
                percent=ending.percent,
                limit=refusal.max_ending_percent,
            )
        ]
    with database.transaction() as session:
        record_import(
            session,
            organisation_id,
            source=kind,
            name=name,
            rows=rows,
            errors=errors,
            started_at=started_at,
        )
