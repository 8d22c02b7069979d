"""The score a finished attempt hands to the platform's gradebook (LTI AGS).

Building the Score is decided here, when the attempt is submitted; delivering
it (tokens, retries, the outbox) is the grade-publishing work of LTI Advantage,
which reads `Attempt.pending_score`.
"""

from __future__ import annotations

from datetime import datetime

AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def ags_score(
    claims: dict,
    *,
    score_given: float,
    score_maximum: float,
    submitted_at: datetime,
    comment: str | None = None,
) -> dict | None:
    """The AGS Score (and where to send it) for this launch, or None if it grants no scoring."""
    endpoint = claims.get(AGS_ENDPOINT)
    if not isinstance(endpoint, dict) or SCORE_SCOPE not in (endpoint.get("scope") or []):
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
        "score": score,
    }
