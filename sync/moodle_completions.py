"""Completions in from Moodle: courses and activities of agreed plan items, polled.

The scheduler's `moodle-completions` job asks each organisation's Moodle
(its `moodle` sync target) about the people whose agreed plans hold an activity
that is a Moodle course (`…/course/view.php?id=N`): the course's completion
status and its activities'.  Each completion becomes one `CompletionEvent`
(`moodle.course`, key `<course id>:<user id>`; `moodle.activity`, key
`<course id>:<cmid>:<user id>`), unique per organisation, so polling again is
a no-op.  A new event is queued for every enabled sync target of the
organisation and for the tool's own plan when it completes an agreed item.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Settings
from outbound.http_client import make_http_session
from storage import Database
from storage.catalogue import LearningActivity
from storage.completions import SyncTarget, record_completion
from storage.database import utcnow
from storage.lrs import CredentialsUnavailable
from sync.moodle_ws import MoodleError, MoodleUnavailable, MoodleWs, moodle_of
from sync.plan_activities import agreed_activities, levels_built

log = logging.getLogger(__name__)

COURSE_PATH = re.compile(r"/course/view\.php$")
MODULE_PATH = re.compile(r"/mod/[a-z0-9_]+/view\.php$")
# Moodle's completion states: 1 complete, 2 complete and passed (3 is complete but failed).
DONE_STATES = (1, 2)


@dataclass
class PollCounts:
    targets: int = 0
    asked: int = 0
    new_events: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Wanted:
    """One agreed plan item pointing at a Moodle course (or an activity in one)."""

    person_id: int
    employee_id: int
    user_id: int
    course_id: int | None
    cmid: int | None
    plan_id: int
    item_key: str
    activity: LearningActivity


def moodle_id_in(url: str | None, site_url: str) -> tuple[str, int] | None:
    """("course", N) for …/course/view.php?id=N, ("module", N) for …/mod/x/view.php?id=N."""
    if not url:
        return None
    parts, site = urlsplit(url), urlsplit(site_url)
    if parts.netloc.lower() != site.netloc.lower():
        return None
    match = re.search(r"(?:^|&)id=(\d+)(?:&|$)", parts.query)
    if match is None:
        return None
    if COURSE_PATH.search(parts.path):
        return "course", int(match.group(1))
    if MODULE_PATH.search(parts.path):
        return "module", int(match.group(1))
    return None


def poll_moodle_completions(
    database: Database, settings: Settings, http=None, organisation_id: int | None = None
) -> PollCounts:
    """One run of the job, for every enabled Moodle target (of one organisation, if given)."""
    http = http or make_http_session(timeout=settings.http_timeout_seconds, retries=2)
    counts = PollCounts()
    query = select(SyncTarget.id).where(SyncTarget.kind == "moodle", SyncTarget.enabled.is_(True))
    if organisation_id is not None:
        query = query.where(SyncTarget.organisation_id == organisation_id)
    with database.sessions() as session:
        target_ids = list(session.scalars(query))
    for target_id in target_ids:
        counts.targets += 1
        with database.sessions() as session:
            target = session.get(SyncTarget, target_id)
            try:
                moodle = moodle_of(target, http, settings.secret_key)
                _poll_target(session, target, moodle, counts)
                target.last_success_at = utcnow()
            except (CredentialsUnavailable, MoodleError, MoodleUnavailable) as error:
                session.rollback()
                target.last_error = f"polling completions: {error}"
                target.last_error_at = utcnow()
                counts.errors.append(f"target {target_id}: {error}")
                log.warning("Moodle target %s: %s", target_id, error)
            session.commit()
    return counts


def _poll_target(session: Session, target: SyncTarget, moodle: MoodleWs, counts) -> None:
    wanted = _wanted_items(session, target)
    by_course: dict[tuple[int, int], list[_Wanted]] = {}
    modules: dict[int, list[_Wanted]] = {}
    for item in wanted:
        if item.course_id is not None:
            by_course.setdefault((item.course_id, item.user_id), []).append(item)
        else:
            modules.setdefault(item.user_id, []).append(item)
    for (course_id, user_id), items in sorted(by_course.items(), key=lambda pair: pair[0]):
        counts.asked += 1
        _course(session, target, moodle, course_id, items, counts)
        _activities(session, target, moodle, course_id, user_id, items, counts)
        session.commit()
    for user_id, items in modules.items():
        for item in items:
            module = moodle.call("core_course_get_course_module", cmid=item.cmid)["cm"]
            counts.asked += 1
            _activities(session, target, moodle, int(module["course"]), user_id, [item], counts)
        session.commit()


def _wanted_items(session: Session, target: SyncTarget) -> list[_Wanted]:
    site = target.settings["url"]
    wanted = []
    for agreed in agreed_activities(session, target.organisation_id):
        found = moodle_id_in(agreed.activity.url, site)
        if found is None or not agreed.person.subject.isdigit():
            continue
        kind, number = found
        wanted.append(
            _Wanted(
                person_id=agreed.person.id,
                employee_id=agreed.employee.id,
                user_id=int(agreed.person.subject),
                course_id=number if kind == "course" else None,
                cmid=number if kind == "module" else None,
                plan_id=agreed.plan_id,
                item_key=agreed.item_key,
                activity=agreed.activity,
            )
        )
    return wanted


def _course(session, target, moodle, course_id: int, items: list[_Wanted], counts) -> None:
    course_items = [item for item in items if item.cmid is None]
    if not course_items:
        return
    first = course_items[0]
    answer = moodle.call(
        "core_completion_get_course_completion_status", courseid=course_id, userid=first.user_id
    )
    status = answer.get("completionstatus", {})
    if not status.get("completed"):
        return
    times = [c.get("timecompleted") or 0 for c in status.get("completions", [])]
    completed_at = _moment(max(times or [0]))
    for item in course_items:
        counts.new_events += _record(
            session,
            target,
            item,
            source="moodle.course",
            source_key=f"{course_id}:{item.user_id}",
            kind="course",
            completed_at=completed_at,
            evidence={"course_id": course_id},
        )


def _activities(session, target, moodle, course_id, user_id, items, counts) -> None:
    answer = moodle.call(
        "core_completion_get_activities_completion_status", courseid=course_id, userid=user_id
    )
    by_cmid = {item.cmid: item for item in items if item.cmid is not None}
    for status in answer.get("statuses", []):
        if status.get("state") not in DONE_STATES:
            continue
        cmid = int(status["cmid"])
        item = by_cmid.get(cmid)
        counts.new_events += _record(
            session,
            target,
            item or items[0],
            source="moodle.activity",
            source_key=f"{course_id}:{cmid}:{user_id}",
            kind="activity",
            completed_at=_moment(status.get("timecompleted") or 0),
            evidence={"course_id": course_id, "cmid": cmid, "modname": status.get("modname")},
            completes_item=item is not None,
        )


def _moment(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC) if timestamp else utcnow()


def _record(
    session: Session,
    target: SyncTarget,
    item: _Wanted,
    *,
    source: str,
    source_key: str,
    kind: str,
    completed_at: datetime,
    evidence: dict,
    completes_item: bool = True,
) -> int:
    """Insert the event unless it is known; a new one is queued for every target."""
    activity = item.activity
    levels = levels_built(activity) if completes_item else {}
    event_id = record_completion(
        session,
        organisation_id=target.organisation_id,
        source=source,
        source_key=source_key,
        person_id=item.person_id,
        employee_id=item.employee_id,
        kind=kind,
        framework_key=activity.framework_key if completes_item else None,
        levels=levels,
        plan_id=item.plan_id if completes_item else None,
        plan_item_key=item.item_key if completes_item else None,
        completed_at=completed_at,
        evidence={"title": activity.title if completes_item else None, **evidence},
    )
    return 0 if event_id is None else 1
