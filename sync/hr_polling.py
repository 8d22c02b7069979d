"""The nightly HR poll: each organisation's HR endpoint serves its staff list as JSON.

The endpoint answers GET with ``{"employees": [...]}`` (the contract in the README,
fields as in `competence.staff_list`), with the sealed bearer token when one is
set.  Each source is imported in its own transaction, all or nothing, by the same
action as the command line and the organisation page (storage.staff_import), and the
run is recorded as an `HrImport`; a down endpoint, a rejected list or a list that
would end too many employments changes nothing, is kept as the source's `last_error`
for the organisation admin to see, and fails the night's job run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from sqlalchemy import select

from competence.staff_list import StaffListRejected, problem
from storage import Database, HrSource, utcnow
from storage.hr_import import ImportDiff, record_import
from storage.lrs import CredentialsUnavailable, unseal
from storage.staff_import import DEFAULT_MAX_ENDING_PERCENT, MassEndingRefused, import_staff_list

log = logging.getLogger(__name__)


@dataclass
class PollResult:
    organisation_id: int
    url: str
    diff: ImportDiff | None = None
    error: str | None = None


def poll_hr_sources(
    database: Database,
    http: requests.Session,
    secret_key: str,
    organisation_id: int | None = None,
    max_ending_percent: int = DEFAULT_MAX_ENDING_PERCENT,
) -> list[PollResult]:
    """Poll every enabled source (or the one of `organisation_id`) once.

    A list that would end more than `max_ending_percent` of an organisation's current
    employments is refused (storage.staff_import): the poll never confirms that."""
    with database.sessions() as session:
        query = select(HrSource.id).where(HrSource.enabled.is_(True))
        if organisation_id is not None:
            query = query.where(HrSource.organisation_id == organisation_id)
        source_ids = list(session.scalars(query.order_by(HrSource.id)))
    return [
        _poll(database, http, secret_key, source_id, max_ending_percent) for source_id in source_ids
    ]


class HrPollFailed(RuntimeError):
    """At least one organisation's list was not imported; the job run fails with why."""


def nightly_hr_poll(
    database: Database, http: requests.Session, secret_key: str, max_ending_percent: int
) -> dict[str, int]:
    """The scheduler's job: every source polled; if any changed nothing, the run is
    recorded as failed with each source's reason (the others were imported all the same)."""
    results = poll_hr_sources(database, http, secret_key, max_ending_percent=max_ending_percent)
    failed = [result for result in results if result.error]
    if failed:
        raise HrPollFailed(
            "; ".join(
                f"organisation {result.organisation_id} ({result.url}): {result.error}; "
                "nothing was changed"
                for result in failed
            )
        )
    counts = {"sources": len(results)}
    for result in results:
        for kind, count in result.diff.summary().items():
            counts[kind] = counts.get(kind, 0) + count
    return counts


def _poll(
    database: Database,
    http: requests.Session,
    secret_key: str,
    source_id: int,
    max_ending_percent: int,
) -> PollResult:
    started = utcnow()
    with database.sessions() as session:
        source = session.get(HrSource, source_id)
        result = PollResult(source.organisation_id, source.url)
        token = source.sealed_token
    recorded = False  # the import action records what it refused itself
    try:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {unseal(secret_key, token)}"
        response = http.get(result.url, headers=headers)
        if response.status_code != 200:
            raise _Failed(f"the HR endpoint answered HTTP {response.status_code}")
        result.diff = import_staff_list(
            database,
            result.organisation_id,
            result.url,
            response.content,
            source="json",
            max_ending_percent=max_ending_percent,
            started_at=started,
        ).diff
    except StaffListRejected as rejected:
        recorded = True
        result.error = f"the staff list was refused: {len(rejected.errors)} problem(s)"
    except MassEndingRefused as refused:
        recorded = True
        result.error = str(refused)
    except CredentialsUnavailable:
        result.error = "the HR token was sealed with another secret key; set it again"
    except (requests.RequestException, _Failed) as error:
        result.error = str(error)
    except Exception as error:  # a bug must not stop the other sources
        log.exception("HR poll of source %s failed", source_id)
        result.error = f"the import failed ({type(error).__name__}); nothing was changed"
    with database.transaction() as session:
        source = session.get(HrSource, source_id)
        source.last_polled_at = utcnow()
        source.last_error = result.error
        if result.error and not recorded:
            record_import(
                session,
                result.organisation_id,
                source="json",
                name=result.url,
                rows=0,
                errors=[problem(0, "source", reason=result.error)],
                started_at=started,
                status="failed",
            )
    return result


class _Failed(Exception):
    """The endpoint answered, but not with a staff list."""
