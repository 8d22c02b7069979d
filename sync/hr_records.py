"""HR competence records: what HR's competence register gets for one completion.

A completion event (storage/completions.py) reaches one or more competence
levels; HR stores one record per employee and competence.  So one delivery
(event × HR target) carries the event's records, each with a stable
`record_id` (`<delivery key>/<competence id>`) that HR can keep unique.

Records are built only from stored data, never from the time of sending, so
the same delivery always yields the same bytes: a resend after a crash is
recognised by HR (REST: same Idempotency-Key, same body) or lands in the same
file (files: the name follows from the content).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from competence.frameworks import Framework
from competence.texts import translated
from outbound.delivery import DeliveryFailed
from storage.completions import TARGET_OF_KIND, CompletionEvent, SyncTarget
from storage.database import one_of
from storage.frameworks import find_framework
from storage.staff import Employee

HR_REST = TARGET_OF_KIND["hr_rest"]
HR_FILES = TARGET_OF_KIND["hr_files"]
COLUMNS = (
    "record_id",
    "employee_id",
    "competence_framework",
    "competence_id",
    "competence_name",
    "level",
    "date",
    "evidence",
    "source",
    "programme_code",
)


@dataclass(frozen=True)
class CompetenceRecord:
    record_id: str
    employee_id: str
    competence_framework: str
    competence_id: str
    competence_name: str
    level: int
    date: str  # ISO date of the completion
    evidence: str  # title and link, or what was completed
    source: str  # where the completion came from: tool.attempt, moodle.course, lrs ...
    programme_code: str | None

    def to_json(self) -> dict:
        return {column: getattr(self, column) for column in COLUMNS}

    def row(self) -> list[str]:
        return [
            "" if getattr(self, column) is None else str(getattr(self, column))
            for column in COLUMNS
        ]


def delivery_key(sync_target_id: int, event_id: int) -> str:
    return f"{sync_target_id}:{event_id}"


def evidence_text(event: CompletionEvent) -> str:
    """A line a person in HR understands: what was completed, and where to see it."""
    evidence = event.evidence or {}
    parts = [str(evidence.get("title") or event.kind)]
    if evidence.get("score") is not None:
        parts.append(f"score {evidence['score']}")
    if evidence.get("url"):
        parts.append(str(evidence["url"]))
    return " – ".join(parts)


def build_records(
    event: CompletionEvent,
    employee_number: str,
    framework: Framework | None,
    key: str,
    programme_code: str | None,
    locale: str = "sv",
) -> list[CompetenceRecord]:
    """One record per competence level the completion reached, in competence order."""
    records = []
    for competence_id, level in sorted((event.levels or {}).items()):
        name = competence_id
        if framework is not None:
            try:
                name = translated(framework.competence(competence_id).name, locale)
            except KeyError:
                name = competence_id
        records.append(
            CompetenceRecord(
                record_id=f"{key}/{competence_id}",
                employee_id=employee_number,
                competence_framework=event.framework_key or "",
                competence_id=competence_id,
                competence_name=name,
                level=int(level),
                date=event.completed_at.date().isoformat(),
                evidence=evidence_text(event),
                source=event.source,
                programme_code=programme_code,
            )
        )
    return records


class RecordSource:
    """Loads what the records of a batch of deliveries need: events with their employee's
    number in one query per thousand, a framework once per key."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._frameworks: dict[tuple[str, int], Framework | None] = {}
        self._events: dict[int, object | None] = {}  # None: looked up, not there (erased)

    def preload(self, payloads: list[dict]) -> None:
        self._load([payload["completion_event_id"] for payload in payloads])

    def _load(self, event_ids: list[int]) -> None:
        events = CompletionEvent.__table__
        rows = self.session.execute(
            select(
                events.c.id,
                events.c.organisation_id,
                events.c.source,
                events.c.kind,
                events.c.framework_key,
                events.c.levels,
                events.c.completed_at,
                events.c.evidence,
                Employee.employee_number,
            )
            .select_from(events)
            .outerjoin(Employee, Employee.id == events.c.employee_id)
            .where(one_of(self.session, events.c.id, event_ids))
        )
        self._events.update(dict.fromkeys(event_ids))
        self._events.update({row.id: row for row in rows})

    def records_of(self, target: SyncTarget, payload: dict, key: str) -> list[CompetenceRecord]:
        """The delivery's records; a delivery that can never be sent fails for good."""
        event_id = payload["completion_event_id"]
        if event_id not in self._events:
            self._load([event_id])
        event = self._events.get(event_id)
        if event is None:
            raise DeliveryFailed("the completion was erased before it was sent", retryable=False)
        if not event.employee_number:
            raise DeliveryFailed(
                "the completion has no employee known to HR (no employee number)",
                retryable=False,
            )
        framework = self._framework(event.framework_key, event.organisation_id)
        settings = target.settings or {}
        return build_records(
            event,
            event.employee_number,
            framework,
            key,
            settings.get("programme_code"),
            settings.get("language", "sv"),
        )

    def _framework(self, framework_key: str | None, organisation_id: int) -> Framework | None:
        if not framework_key:
            return None
        cache_key = (framework_key, organisation_id)
        if cache_key not in self._frameworks:
            self._frameworks[cache_key] = find_framework(
                self.session, framework_key, organisation_id
            )
        return self._frameworks[cache_key]


def enabled_targets(session: Session, kind: str) -> list[SyncTarget]:
    return list(
        session.scalars(
            select(SyncTarget).where(SyncTarget.kind == kind, SyncTarget.enabled.is_(True))
        )
    )
