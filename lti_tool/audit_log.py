"""Writing the audit log from the pages that show one person's results or plan to
someone else (storage.audit says why).

Call it once the page is rendered: `record_view` commits the row with the request's
session, so a page that only reads still leaves its trace.

The audit log page shows repeats once (`collapsed`): the same person doing the same to
the same person's data several times in a row is one row with how many times and when.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from lti_tool.access import Access
from lti_tool.database import db_session
from lti_tool.i18n import TIME_ZONE
from storage.audit import record_view


def log_view(access: Access, subject_person_id: int | None, action: str, **detail) -> None:
    """Someone other than the person saw their results or plan: who, whose, what."""
    if subject_person_id is None or subject_person_id == access.person.id:
        return
    record_view(
        db_session(),
        organisation_id=access.organisation.id,
        viewer_person_id=access.person.id,
        subject_person_id=subject_person_id,
        action=action,
        detail=detail,
    )


@dataclass(frozen=True)
class AuditRow:
    """One row of the audit log page: an event, or a run of identical ones in a row
    (a manager paging through a person's results twelve times is one row, "12 times")."""

    actor_person_id: int | None
    action: str
    subject_person_id: int | None
    detail: dict
    first_at: datetime
    last_at: datetime
    count: int

    @property
    def same_day(self) -> bool:
        """Whether the run started and ended on the same day in Swedish time."""
        return _local_day(self.first_at) == _local_day(self.last_at)


def _local_day(at: datetime):
    return at.replace(tzinfo=UTC).astimezone(ZoneInfo(TIME_ZONE)).date()


def collapsed(events: Iterable) -> list[AuditRow]:
    """Events (newest first) with consecutive repeats by the same person, of the same
    action, on the same person's data, folded into one row (newest first still)."""
    rows: list[AuditRow] = []
    for event in events:
        detail = event.detail or {}
        key = (event.actor_person_id, event.action, event.subject_person_id, detail.get("erasure"))
        if rows and _key(rows[-1]) == key:
            last = rows[-1]
            rows[-1] = replace(last, first_at=event.at, count=last.count + 1)
        else:
            rows.append(
                AuditRow(
                    actor_person_id=event.actor_person_id,
                    action=event.action,
                    subject_person_id=event.subject_person_id,
                    detail=detail,
                    first_at=event.at,
                    last_at=event.at,
                    count=1,
                )
            )
    return rows


def _key(row: AuditRow) -> tuple:
    return (row.actor_person_id, row.action, row.subject_person_id, row.detail.get("erasure"))
