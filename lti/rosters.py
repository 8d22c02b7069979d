"""When the tool reads a course's roster (NRPS): after a teacher's launch, and once a day.

Both only queue an `nrps.roster` outbox delivery; the outbox worker fetches
(`lti.nrps.NrpsRosterSender`), so a launch never waits for the platform and a
platform that is down only delays the roster.

- A teacher's (Instructor or Administrator) launch that grants NRPS queues a
  sync in the launch's own transaction, keyed by course and launch.  It asks
  for the differences since the last sync when the platform offered that.
  While one waits to run, or one finished in the last few minutes, a further
  teacher launch adds none (teachers reopen the activity often).
- The daily refresh reads the whole roster of every course whose latest
  launch (within `REFRESH_IDLE_LIMIT`) granted NRPS: this is what finds people
  who left a course, and it keeps the roster fresh without a teacher.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti.claims import primary_role
from lti.nrps import TARGET, memberships_url
from storage import Database, Launch, PlatformRegistration, utcnow
from storage.outbox import enqueue
from storage.rosters import roster_key, roster_sync_due_soon

log = logging.getLogger(__name__)

TEACHING_ROLES = ("teacher", "administrator")
LAUNCH_COOLDOWN = timedelta(minutes=5)
REFRESH_IDLE_LIMIT = timedelta(days=90)  # courses nobody opened for this long are left alone


def queue_roster_sync(session: Session, launch: Launch) -> bool:
    """Queue a roster sync for a teacher's launch that grants NRPS; True when one was queued."""
    if launch.context_id is None or primary_role(launch.roles) not in TEACHING_ROLES:
        return False
    url = memberships_url(launch.claims or {})
    if url is None:
        return False
    if roster_sync_due_soon(session, launch.context_id, cooldown=LAUNCH_COOLDOWN):
        return False
    key = roster_key(launch.context_id, f"launch:{launch.id}")
    enqueue(
        session,
        TARGET,
        key,
        {
            "key": key,
            "registration_id": launch.registration_id,
            "context_id": launch.context_id,
            "memberships_url": url,
            "full": False,
        },
        organisation_id=launch.person.organisation_id,
    )
    return True


def queue_roster_refreshes(session: Session, now: datetime | None = None) -> int:
    """Queue today's full sync of every recently used course whose latest launch granted NRPS."""
    now = now or utcnow()
    latest = (
        select(Launch.context_id, func.max(Launch.created_at).label("at"))
        .where(Launch.context_id.is_not(None), Launch.created_at >= now - REFRESH_IDLE_LIMIT)
        .group_by(Launch.context_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Launch.context_id,
            Launch.registration_id,
            Launch.claims,
            PlatformRegistration.organisation_id,
        )
        .join(
            latest, (Launch.context_id == latest.c.context_id) & (Launch.created_at == latest.c.at)
        )
        .join(PlatformRegistration, PlatformRegistration.id == Launch.registration_id)
        .where(PlatformRegistration.enabled.is_(True))
    )
    queued = set()
    for context_id, registration_id, claims, organisation_id in rows:
        url = memberships_url(claims or {})
        if url is None or context_id in queued:
            continue
        key = roster_key(context_id, f"daily:{now.date().isoformat()}")
        enqueue(
            session,
            TARGET,
            key,
            {
                "key": key,
                "registration_id": registration_id,
                "context_id": context_id,
                "memberships_url": url,
                "full": True,
            },
            organisation_id=organisation_id,
        )
        queued.add(context_id)
    return len(queued)


def refresh_rosters(database: Database) -> int:
    """The scheduler's daily job; a second scheduler racing it queues the same keys."""
    try:
        with database.transaction() as session:
            queued = queue_roster_refreshes(session)
    except IntegrityError:
        log.info("roster refreshes were queued by another scheduler at the same time")
        return 0
    log.info("queued %s roster refreshes", queued)
    return queued
