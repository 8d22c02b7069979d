"""The score a finished attempt hands to the platform's gradebook (LTI AGS).

The Score is decided and queued in the transaction that submits the attempt;
the outbox worker delivers it later (`lti.ags.AgsScoreSender`), so a platform
that is down only delays the grade.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from storage import Attempt, Launch
from storage.outbox import enqueue

AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
TARGET = "ags.score"


def ags_score(
    claims: dict,
    *,
    score_given: float,
    score_maximum: float,
    submitted_at: datetime,
    comment: str | None = None,
) -> dict | None:
    """The AGS Score and where it goes, or None when the launch grants no scoring."""
    endpoint = claims.get(AGS_ENDPOINT)
    scopes = endpoint.get("scope") if isinstance(endpoint, dict) else None
    if not isinstance(scopes, list) or SCORE_SCOPE not in scopes:
        return None
    score = {
        "userId": claims["sub"],
        "scoreGiven": round(score_given, 2),
        "scoreMaximum": score_maximum,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": submitted_at.isoformat(timespec="milliseconds"),
    }
    if comment:
        score["comment"] = comment
    return {
        "lineitem": endpoint.get("lineitem"),
        "lineitems": endpoint.get("lineitems"),
        "scopes": [scope for scope in scopes if isinstance(scope, str)],
        "score": score,
    }


def queue_score(
    session: Session,
    attempt: Attempt,
    launch: Launch,
    score_given: float,
    score_maximum: float,
    comment: str | None = None,
) -> bool:
    """Queue the attempt's score for the gradebook in the caller's transaction."""
    found = ags_score(
        launch.claims,
        score_given=score_given,
        score_maximum=score_maximum,
        submitted_at=attempt.submitted_at,
        comment=comment,
    )
    if found is None:
        return False
    found.update(
        registration_id=launch.registration_id,
        resource_link_id=launch.resource_link_id,
        label=(launch.resource_link.title if launch.resource_link else None) or "Kompetenslyft",
    )
    enqueue(
        session,
        TARGET,
        f"attempt:{attempt.id}",
        found,
        organisation_id=launch.person.organisation_id,
    )
    return True
