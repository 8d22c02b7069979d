"""What an employee is told about their results: who sees them, and the page to read more.

Before the first question and beside the result, the assessment pages say in plain
words whether the person's manager will see the result (the rule of
`storage.result_sharing`, the same one the manager's pages obey), that HR and programme
leads see only figures of groups of five or more, and whether the course's gradebook gets
the score.  `/privacy` is the plain-language page they are sent to, readable by anyone:
a privacy notice is no secret, and a person should be able to read it again without
opening an activity.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, render_template
from flask_babel import get_locale

from competence.programme import MIN_GROUP
from lti.grades import AGS_ENDPOINT, SCORE_SCOPE
from lti_tool.auth import current_launch
from lti_tool.database import db_session
from storage import Attempt
from storage.result_sharing import WhoSees, who_sees

bp = Blueprint("privacy_notice", __name__)


@dataclass(frozen=True)
class Telling:
    """The sentence-sized facts the `assessment/_who_sees.html` block says."""

    sharing: WhoSees
    gradebook: bool  # the activity sends the total score to the course's gradebook


def _grades_to_platform(claims: dict | None) -> bool:
    endpoint = (claims or {}).get(AGS_ENDPOINT)
    scopes = endpoint.get("scope") if isinstance(endpoint, dict) else None
    return isinstance(scopes, list) and SCORE_SCOPE in scopes


@bp.app_context_processor
def who_sees_helpers():
    def who_sees_results(attempt: Attempt | None = None, instrument_key: str | None = None):
        """For the launch's person: who sees this attempt's result, or, before one is
        started, the result of a new attempt at the launch's activity."""
        launch = current_launch()
        if launch is None or launch.person is None:
            return None
        key = attempt.instrument.key if attempt is not None else instrument_key
        sharing = who_sees(
            db_session(),
            launch.person.organisation_id,
            instrument_key=key or "",
            link=launch.resource_link,
            attempt=attempt,
        )
        return Telling(sharing, _grades_to_platform(launch.claims))

    return {"who_sees_results": who_sees_results}


@bp.get("/privacy")
def notice():
    from lti_tool.identity import current_identity

    settings = current_app.config["SETTINGS"]
    identity = current_identity()
    return render_template(
        "privacy/notice.html",
        min_group=MIN_GROUP,
        answers_days=settings.retention_answers_days,
        launches_days=settings.retention_launches_days,
        audit_days=settings.retention_audit_days,
        extra=identity.profile.text("privacy_extra", get_locale().language),
    )
