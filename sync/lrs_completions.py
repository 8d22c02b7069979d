"""Completions in from an organisation's external LRS: completed/passed plan activities.

Some learning happens outside Moodle, in e-learning that reports to the
organisation's LRS (the `LrsEndpoint` the tool also forwards to).  The
`lrs-completions` job reads statements stored since its last find (`GET
statements?since=`, following `more`) and keeps those whose verb is ADL's
completed or passed, whose object is the URL of an activity in someone's
agreed plan and whose actor is that person (their LTI account, or the
mailbox of their employee record).  Each becomes one `CompletionEvent`
(source `lrs`, key = the statement id), so reading a statement again is a
no-op; the cursor is the newest such event's time less a day, an overlap that
costs a re-read, never a miss.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config import Settings
from outbound.http_client import make_http_session
from storage import Database
from storage.completions import CompletionEvent, record_completion
from storage.database import utcnow
from storage.lrs import CredentialsUnavailable, LrsEndpoint, credentials_of
from sync.plan_activities import AgreedActivity, agreed_activities, levels_built
from xapi.lrs_client import LrsClient, LrsTarget, LrsUnavailable

log = logging.getLogger(__name__)

SOURCE = "lrs"
DONE_VERBS = frozenset(
    {"http://adlnet.gov/expapi/verbs/completed", "http://adlnet.gov/expapi/verbs/passed"}
)
OVERLAP = timedelta(days=1)


@dataclass
class LrsPollCounts:
    endpoints: int = 0
    read: int = 0
    new_events: int = 0
    errors: list[str] = field(default_factory=list)


def poll_lrs_completions(
    database: Database,
    settings: Settings,
    client: LrsClient | None = None,
    *,
    page_size: int = 200,
) -> LrsPollCounts:
    """One run of the job, for every enabled LRS of an organisation with agreed plans."""
    client = client or LrsClient(make_http_session(timeout=settings.http_timeout_seconds))
    counts = LrsPollCounts()
    with database.sessions() as session:
        lrs_ids = list(session.scalars(select(LrsEndpoint.id).where(LrsEndpoint.enabled.is_(True))))
    for lrs_id in lrs_ids:
        with database.sessions() as session:
            lrs = session.get(LrsEndpoint, lrs_id)
            wanted = _by_object_and_actor(agreed_activities(session, lrs.organisation_id))
            if not wanted:
                continue
            counts.endpoints += 1
            try:
                target = LrsTarget(
                    lrs.endpoint, credentials_of(lrs, settings.secret_key), lrs.version
                )
                since = _since(session, lrs.organisation_id)
                for statement in client.get_statements(target, since, limit=page_size):
                    counts.read += 1
                    counts.new_events += _consider(session, lrs, wanted, statement)
                session.commit()
            except (CredentialsUnavailable, LrsUnavailable) as error:
                session.commit()  # what was read before the failure is kept
                counts.errors.append(f"LRS {lrs_id}: {error}")
                log.warning("reading completions from LRS %s: %s", lrs_id, error)
    return counts


def actor_keys(actor: dict) -> list[str]:
    """The ways a statement's actor can name a person: account and mailbox."""
    keys = []
    account = actor.get("account") or {}
    if account.get("homePage") and account.get("name"):
        keys.append(f"account:{account['homePage'].rstrip('/')}|{account['name']}")
    if actor.get("mbox"):
        keys.append(f"mbox:{actor['mbox'].lower()}")
    return keys


def _by_object_and_actor(agreed: list[AgreedActivity]) -> dict[tuple[str, str], AgreedActivity]:
    wanted = {}
    for item in agreed:
        if not item.activity.url:
            continue
        url = item.activity.url.rstrip("/")
        person = item.person
        wanted[(url, f"account:{person.issuer.rstrip('/')}|{person.subject}")] = item
        if item.employee.email:
            wanted[(url, f"mbox:mailto:{item.employee.email.lower()}")] = item
    return wanted


def _since(session: Session, organisation_id: int) -> str | None:
    newest = session.scalar(
        select(func.max(CompletionEvent.created_at)).where(
            CompletionEvent.organisation_id == organisation_id, CompletionEvent.source == SOURCE
        )
    )
    return (newest - OVERLAP).isoformat() if newest else None


def _consider(session: Session, lrs: LrsEndpoint, wanted: dict, statement: dict) -> int:
    if (statement.get("verb") or {}).get("id") not in DONE_VERBS:
        return 0
    url = str((statement.get("object") or {}).get("id", "")).rstrip("/")
    item = next(
        (
            wanted[(url, key)]
            for key in actor_keys(statement.get("actor") or {})
            if (url, key) in wanted
        ),
        None,
    )
    if item is None or not statement.get("id"):
        return 0
    event_id = record_completion(
        session,
        organisation_id=lrs.organisation_id,
        source=SOURCE,
        source_key=statement["id"],
        person_id=item.person.id,
        employee_id=item.employee.id,
        kind="activity",
        framework_key=item.activity.framework_key,
        levels=levels_built(item.activity),
        plan_id=item.plan_id,
        plan_item_key=item.item_key,
        completed_at=_moment(statement.get("timestamp") or statement.get("stored")),
        evidence={
            "title": item.activity.title,
            "url": item.activity.url,
            "statement_id": statement["id"],
            "verb": statement["verb"]["id"],
            "score": (statement.get("result") or {}).get("score"),
        },
    )
    return 0 if event_id is None else 1


def _moment(text: str | None) -> datetime:
    if not text:
        return utcnow()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return utcnow()
