"""Completions out to Moodle's learning plans (outbox target `moodle.competency`).

For one completion event and one Moodle sync target the sender makes sure, in order:

1. the competency framework is in Moodle: found by its ID number, or created
   with its competencies when the target allows it (`settings["create_framework"]`
   and a Moodle scale id in `settings["scale_id"]`; sync/moodle_frameworks.py);
   otherwise the delivery waits, with a reason telling the admin to import the CSV
   export (tool_lpimportcsv);
2. the person has a plan ("Kompetenslyft"), created for their Moodle user id
   (the LTI `sub` Moodle sends *is* that id) and made active;
3. each competency the event reached is in the plan;
4. each gets one rating (core_competency_grade_competency_in_plan) whose note
   carries the marker `[kompetenslyft:<event id>]`.

An item of the development plan ticked off in the tool (an event without levels of
its own) is rated at the level its activity reaches, the note naming the item; an item
that reaches no level adds its competence to the Moodle plan without a rating (Moodle's
web services take evidence only with a rating).  Nothing is marked delivered without a
call to Moodle unless the completion names no competence at all.

Every remote id is cached in `RemoteId` and committed as soon as Moodle made the
thing; before creating anything the sender also looks in Moodle (by ID number,
plan name, or the marker in the competency's evidence), so a delivery retried
after a lost answer never makes a second framework, plan or rating.

DigComp's 8 levels on a Moodle scale (`rating_value`): a scale with as many
values as the framework has levels gets the level itself; any other scale (Moodle's
default "Not yet competent / Competent", say) gets its first proficient value from
`settings["proficient_from"]` (default: DigComp's "intermediate", level 3) on, and
its highest value that is not proficient below that.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import requests
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from competence.framework_io import AREA_PREFIX, default_proficient_from
from competence.frameworks import Framework, digcomp
from outbound.delivery import DeliveryFailed
from storage.catalogue import LearningActivity
from storage.completions import CompletionEvent, RemoteId, SyncTarget
from storage.database import utcnow
from storage.lrs import CredentialsUnavailable
from storage.people import Person
from storage.plans import DevelopmentPlan, latest_agreed
from sync.moodle_frameworks import (
    frameworks_with_idnumber,
    new_competency,
    new_framework,
)
from sync.moodle_ws import MoodleError, MoodleUnavailable, as_delivery_failure, moodle_of
from sync.plan_activities import levels_built

log = logging.getLogger(__name__)

TARGET = "moodle.competency"
PLAN_NAME = "Kompetenslyft"
PLAN_ACTIVE = 1


def marker(event_id: int) -> str:
    return f"[kompetenslyft:{event_id}]"


@dataclass(frozen=True)
class Scale:
    """The Moodle framework's scale: how many values, which are proficient."""

    size: int
    proficient: tuple[int, ...]


def scale_of(configuration: str | None, size: int | None = None) -> Scale:
    """From Moodle's scaleconfiguration JSON: [{"scaleid": 2}, {"id": 2, "proficient": 1}, ...]."""
    entries = json.loads(configuration or "[]")[1:]
    proficient = tuple(sorted(int(e["id"]) for e in entries if e.get("proficient")))
    largest = max([int(e["id"]) for e in entries] or [1])
    return Scale(size=size or largest, proficient=proficient or (largest,))


def rating_value(level: int, scale: Scale, levels: int = 8, proficient_from: int = 3) -> int:
    """The Moodle scale value for a DigComp level (see the module's docstring)."""
    if scale.size == levels:
        return max(1, min(levels, level))
    first_proficient = scale.proficient[0]
    if level >= proficient_from:
        return first_proficient
    return max(1, first_proficient - 1)


class PartlyRated(DeliveryFailed):
    """Moodle's framework lacks some of the event's competences: the others were rated
    (and remembered), these are dead-lettered with the reason.  After the framework is
    completed ("Create the framework in Moodle"), trying the delivery again rates only
    what is missing."""

    def __init__(self, missing: list[str], rated: int) -> None:
        names = ", ".join(missing)
        what = "competence" if len(missing) == 1 else "competences"
        super().__init__(
            f"{what} {names} not in the Moodle framework ({rated} others rated); create "
            "them with the framework button or `kompetenslyft sync target create-framework`, "
            "then try again",
            retryable=False,
        )
        self.missing = missing
        self.rated = rated


class MoodlePlanSender:
    """The outbox sender for `moodle.competency`; one instance serves every organisation."""

    def __init__(self, http: requests.Session, secret_key: str) -> None:
        self.http = http
        self.secret_key = secret_key

    def __call__(self, session: Session, payload: dict) -> None:
        target = session.get(SyncTarget, payload["sync_target_id"])
        event = session.get(CompletionEvent, payload["completion_event_id"])
        if target is None or event is None:
            raise DeliveryFailed("the sync target or completion was deleted", retryable=False)
        if not target.enabled:
            raise DeliveryFailed(
                "the Moodle target is switched off", retryable=True, retry_after=3600
            )
        person = session.get(Person, event.person_id) if event.person_id else None
        if person is None:
            raise DeliveryFailed("the completion has no Moodle user to rate", retryable=False)
        sending = what_to_send(session, event)
        if not sending.levels and not sending.unrated:
            return  # names no competence: nothing Moodle's plan could show (see admin page)
        try:
            moodle = moodle_of(target, self.http, self.secret_key)
            with RemoteLocks(session, target.id) as locks:
                _Delivery(session, target, moodle, event, person, locks, sending).run()
        except PartlyRated as partly:
            self._record_error(session, target, partly.reason, sent=partly.rated > 0)
            raise
        except CredentialsUnavailable as error:
            self._record_error(session, target, str(error))
            raise DeliveryFailed(str(error), retryable=True, retry_after=3600) from error
        except (MoodleError, MoodleUnavailable) as error:
            failure = as_delivery_failure(error)
            self._record_error(session, target, failure.reason)
            raise failure from error
        target.last_success_at = utcnow()
        target.last_error = None

    @staticmethod
    def _record_error(
        session: Session, target: SyncTarget, reason: str, *, sent: bool = False
    ) -> None:
        """Keep the reason (and, when some ratings went through, the time) on the target for
        the admin page, past the dispatcher's rollback."""
        session.rollback()
        target.last_error = reason
        target.last_error_at = utcnow()
        if sent:
            target.last_success_at = target.last_error_at
        session.commit()
        log.warning("Moodle target %s: %s", target.id, reason)


class RemoteLocks:
    """Check-then-create in Moodle (a plan, a competency, a rating) must not run for the same
    person in two scheduler instances at once: a delivery whose lease ran out while Moodle was
    slow is taken by another instance before the first is done.

    On PostgreSQL, session advisory locks per (target, key) on a connection of their own,
    held until the delivery is done: the delivery's own transaction commits what Moodle made
    as it goes, which would end transaction locks early. A killed instance's connection
    closes and its locks go with it. SQLite runs one scheduler: nothing to lock."""

    def __init__(self, session: Session, target_id: int) -> None:
        self.engine = session.get_bind()
        self.target_id = target_id
        self.connection = None

    def __enter__(self) -> RemoteLocks:
        if self.engine.dialect.name == "postgresql":
            self.connection = self.engine.connect()
        return self

    def take(self, key: int) -> None:
        """Wait for and hold the lock of `key` (take 0, the framework, before a person's)."""
        if self.connection is not None:
            self.connection.execute(
                text("SELECT pg_advisory_lock(:target, :key)"),
                {"target": self.target_id, "key": key},
            )

    def __exit__(self, *exc) -> None:
        if self.connection is not None:
            self.connection.execute(text("SELECT pg_advisory_unlock_all()"))
            self.connection.rollback()
            self.connection.close()


@dataclass(frozen=True)
class ToSend:
    """What one completion puts in the person's Moodle plan."""

    levels: dict[str, int]  # competence → level reached: a rating each
    unrated: tuple[str, ...]  # competences worked on with no level: added to the plan only
    title: str  # names the completion in the rating's note


def what_to_send(session: Session, event: CompletionEvent) -> ToSend:
    """The event's own levels (an assessment, a course that builds them); for an item of the
    development plan ticked off in the tool, the levels its activity reaches, else the
    competence it names (Moodle's web services rate, they take no note without a rating)."""
    title = str((event.evidence or {}).get("title") or event.kind)
    if event.levels:
        return ToSend(dict(event.levels), (), title)
    if event.kind != "plan_item" or event.plan_id is None or not event.plan_item_key:
        return ToSend({}, (), title)
    plan = session.get(DevelopmentPlan, event.plan_id)
    agreed = latest_agreed(plan) if plan is not None else None
    item = next(
        (i for i in (agreed.items if agreed else []) if i.get("key") == event.plan_item_key),
        None,
    )
    if item is None:
        return ToSend({}, (), title)
    activity = session.get(LearningActivity, item.get("activity_id") or 0)
    levels = levels_built(activity) if activity is not None else {}
    named = str(item.get("competence") or "")
    unrated = (named,) if named and named not in levels else ()
    label = (activity.title if activity is not None else None) or item.get("title") or title
    return ToSend(levels, unrated, f"Utvecklingsplanens punkt klar: {label}")


class _Delivery:
    def __init__(
        self, session, target, moodle, event, person, locks: RemoteLocks, sending: ToSend
    ) -> None:
        self.session = session
        self.target = target
        self.moodle = moodle
        self.event = event
        self.person = person
        self.locks = locks
        self.sending = sending
        self.levels = sending.levels
        self.settings = target.settings or {}

    def run(self) -> None:
        framework = self._framework()
        if self.settings.get("create_framework") and any(
            self._cached("competency", f"{framework.id}:{competence}") is None
            for competence in [*self.levels, *self.sending.unrated]
        ):
            self.locks.take(0)  # the framework or a competency may have to be made
        self.locks.take(self.person.id)  # their plan and ratings are made or checked
        framework_id, scale = self._moodle_framework(framework)
        competency_ids = self._competencies(framework, framework_id)
        plan_id = self._plan()
        in_plan = {
            int(row["competency"]["id"]): row
            for row in self.moodle.call("core_competency_list_plan_competencies", id=plan_id)
        }
        proficient_from = int(
            self.settings.get("proficient_from", default_proficient_from(framework.scale))
        )
        missing = []
        for competence in self.sending.unrated:
            competency_id = competency_ids.get(competence)
            if competency_id is None:
                missing.append(competence)
            elif competency_id not in in_plan:
                self.moodle.call(
                    "core_competency_add_competency_to_plan",
                    planid=plan_id,
                    competencyid=competency_id,
                )
        for competence, level in sorted(self.levels.items()):
            competency_id = competency_ids.get(competence)
            if competency_id is None:
                missing.append(competence)
                continue
            if competency_id not in in_plan:
                self.moodle.call(
                    "core_competency_add_competency_to_plan",
                    planid=plan_id,
                    competencyid=competency_id,
                )
            value = rating_value(int(level), scale, framework.scale.max_level, proficient_from)
            self._rate(plan_id, competence, competency_id, value)
        if missing:
            sent = len(self.levels) + len(self.sending.unrated) - len(missing)
            raise PartlyRated(missing, sent)

    def _framework(self) -> Framework:
        key = self.event.framework_key
        framework = digcomp()
        if key and key != framework.id:
            raise DeliveryFailed(f"framework {key} cannot be sent to Moodle yet", retryable=False)
        return framework

    # --- the framework and its competencies --------------------------------------------

    def _moodle_framework(self, framework: Framework) -> tuple[int, Scale]:
        idnumber = self.settings.get("framework_idnumber") or framework.id
        found = frameworks_with_idnumber(self.moodle, idnumber)
        if found:
            row = found[0]
        elif self.settings.get("create_framework") and self.settings.get("scale_id"):
            row = self._create_framework(framework, idnumber)
        else:
            raise DeliveryFailed(
                f"Moodle has no competency framework with ID number {idnumber}: import the "
                "CSV export (kompetenslyft framework export digcomp-2.2 --format moodle-csv) "
                "or let the tool create it",
                retryable=True,
                retry_after=3600,
            )
        self._remember("framework", framework.id, row["id"])
        size = self.settings.get("scale_size")
        return int(row["id"]), scale_of(row.get("scaleconfiguration"), size)

    def _create_framework(self, framework: Framework, idnumber: str) -> dict:
        row, size = new_framework(self.moodle, framework, idnumber, int(self.settings["scale_id"]))
        self.settings = {**self.settings, "scale_size": size}
        return row

    def _competencies(self, framework: Framework, framework_id: int) -> dict[str, int]:
        prefix = self.settings.get("competency_prefix", "")
        existing = {
            row["idnumber"]: int(row["id"])
            for row in self.moodle.call(
                "core_competency_list_competencies",
                filters=[{"column": "competencyframeworkid", "value": framework_id}],
            )
        }
        wanted = set(self.levels) | set(self.sending.unrated)
        ids: dict[str, int] = {}
        for area in framework.areas:
            area_number = prefix + AREA_PREFIX + area.id
            for competence in area.competences:
                if competence.id not in wanted:
                    continue
                number = prefix + competence.id
                if number not in existing and self.settings.get("create_framework"):
                    if area_number not in existing:
                        existing[area_number] = self._create_competency(
                            framework_id, area_number, area.name, 0
                        )
                    existing[number] = self._create_competency(
                        framework_id, number, competence.name, existing[area_number]
                    )
                if number in existing:
                    ids[competence.id] = existing[number]
                    self._remember(
                        "competency", f"{framework.id}:{competence.id}", existing[number]
                    )
        return ids

    def _create_competency(self, framework_id: int, idnumber: str, name, parent: int) -> int:
        return new_competency(self.moodle, framework_id, idnumber, name, parent)

    # --- the plan and the ratings ------------------------------------------------------

    def _plan(self) -> int:
        cached = self._cached("plan", str(self.person.id))
        if cached is not None:
            return int(cached)
        if not self.person.subject.isdigit():
            raise DeliveryFailed(
                f"{self.person.subject!r} is not a Moodle user id: this person did not "
                "launch from this Moodle",
                retryable=False,
            )
        user_id = int(self.person.subject)
        plans = self.moodle.call("core_competency_list_user_plans", userid=user_id)
        ours = [plan for plan in plans if plan.get("name") == PLAN_NAME]
        if ours:
            plan_id = int(ours[0]["id"])
        else:
            plan = self.moodle.call(
                "core_competency_create_plan",
                plan={
                    "name": PLAN_NAME,
                    "description": "Digital kompetens (DigComp 2.2) från Kompetenslyft.",
                    "userid": user_id,
                    "status": PLAN_ACTIVE,
                },
            )
            plan_id = int(plan["id"])
        self._remember("plan", str(self.person.id), plan_id)
        return plan_id

    def _rate(self, plan_id: int, competence: str, competency_id: int, value: int) -> None:
        key = f"{self.event.id}:{competence}"
        if self._cached("rating", key) is not None:
            return
        summary = self.moodle.call(
            "tool_lp_data_for_user_competency_summary_in_plan",
            competencyid=competency_id,
            planid=plan_id,
        )
        evidence = summary.get("usercompetencysummary", {}).get("evidence") or []
        if not any(marker(self.event.id) in (item.get("note") or "") for item in evidence):
            title = self.sending.title
            self.moodle.call(
                "core_competency_grade_competency_in_plan",
                planid=plan_id,
                competencyid=competency_id,
                grade=value,
                note=f"{title} {marker(self.event.id)}"[:1000],
            )
        self._remember("rating", key, value)

    def _cached(self, kind: str, local_key: str) -> str | None:
        return self.session.scalar(
            select(RemoteId.remote_id).where(
                RemoteId.sync_target_id == self.target.id,
                RemoteId.kind == kind,
                RemoteId.local_key == local_key,
            )
        )

    def _remember(self, kind: str, local_key: str, remote_id: object) -> None:
        """Cache and commit at once: what Moodle made must survive a failure further on."""
        if self._cached(kind, local_key) == str(remote_id):
            return
        row = self.session.scalar(
            select(RemoteId).where(
                RemoteId.sync_target_id == self.target.id,
                RemoteId.kind == kind,
                RemoteId.local_key == local_key,
            )
        )
        if row is None:
            self.session.add(
                RemoteId(
                    sync_target_id=self.target.id,
                    kind=kind,
                    local_key=local_key,
                    remote_id=str(remote_id),
                )
            )
        else:
            row.remote_id = str(remote_id)
        self.session.commit()
