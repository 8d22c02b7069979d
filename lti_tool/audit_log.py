"""Writing the audit log from the pages that show one person's results or plan to
someone else (storage.audit says why).

Call it once the page is rendered: `record_view` commits the row with the request's
session, so a page that only reads still leaves its trace.
"""

from __future__ import annotations

from lti_tool.access import Access
from lti_tool.database import db_session
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
