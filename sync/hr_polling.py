"""The nightly HR poll: each organisation's HR endpoint serves its staff list as JSON.

The endpoint answers GET with ``{"employees": [...]}`` (the contract in the README,
fields as in `competence.staff_list`), with the sealed bearer token when one is
set.  Each source is imported in its own transaction, all or nothing, and the run
is recorded as an `HrImport`; a down endpoint or a rejected list changes nothing
and is kept as the source's `last_error` for the organisation admin to see.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from sqlalchemy import select

from competence.staff_list import RowError, StaffListRejected, problem, staff_list_from_json
from storage import Database, HrSource, utcnow
from storage.hr_import import ImportDiff, apply_staff_list, record_import
from storage.lrs import CredentialsUnavailable, unseal

log = logging.getLogger(__name__)
MAX_ERRORS_KEPT = 200


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
) -> list[PollResult]:
    """Poll every enabled source (or the one of `organisation_id`) once."""
    with database.sessions() as session:
        query = select(HrSource.id).where(HrSource.enabled.is_(True))
        if organisation_id is not None:
            query = query.where(HrSource.organisation_id == organisation_id)
        source_ids = list(session.scalars(query.order_by(HrSource.id)))
    return [_poll(database, http, secret_key, source_id) for source_id in source_ids]


def _poll(database: Database, http: requests.Session, secret_key: str, source_id: int):
    started = utcnow()
    with database.sessions() as session:
        source = session.get(HrSource, source_id)
        result = PollResult(source.organisation_id, source.url)
        token = source.sealed_token
    errors: list[RowError] = []
    rows = 0
    try:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {unseal(secret_key, token)}"
        response = http.get(result.url, headers=headers)
        if response.status_code != 200:
            raise _Failed(f"the HR endpoint answered HTTP {response.status_code}")
        staff = staff_list_from_json(response.content)
        rows = len(staff)
        with database.transaction() as session:
            result.diff = apply_staff_list(session, result.organisation_id, staff)
            record_import(
                session,
                result.organisation_id,
                source="json",
                name=result.url,
                rows=rows,
                diff=result.diff,
                started_at=started,
            )
    except StaffListRejected as rejected:
        errors = rejected.errors[:MAX_ERRORS_KEPT]
        result.error = f"the staff list was refused: {len(rejected.errors)} problem(s)"
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
        if result.error:
            record_import(
                session,
                result.organisation_id,
                source="json",
                name=result.url,
                rows=rows,
                errors=errors or [problem(0, "source", reason=result.error)],
                started_at=started,
                status="rejected" if errors else "failed",
            )
    return result


class _Failed(Exception):
    """The endpoint answered, but not with a staff list."""
