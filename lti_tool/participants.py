"""A teacher's view of the course: who has not started, who is answering, who has submitted.

The roster is what the platform last reported through NRPS (see `lti.rosters`);
the state is that of each person's attempts at the course link the teacher
launched.  A platform that offers no participant list shows those who have launched
the tool from the course so far, and the page says so.  Only the course's teachers and
administrators see it; anyone else gets a 403.  People who left the course are not listed,
only counted.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import gettext

from lti.claims import primary_role
from lti.nrps import memberships_url
from lti.rosters import TEACHING_ROLES
from lti_tool.auth import current_launch, launch_required
from lti_tool.database import db_session
from lti_tool.errors import PageRefused
from storage import MembershipStatus
from storage.rosters import AssessmentState, RosterEntry, course_roster, launched_roster

bp = Blueprint("participants", __name__)
# Swedish alphabetical order: å, ä and ö come after z (and æ, ø sort as ä, ö).
SWEDISH_ORDER = str.maketrans({"å": "{", "ä": "|", "æ": "|", "ö": "}", "ø": "}"})


def may_see_participants(roles: list[str]) -> bool:
    return primary_role(roles) in TEACHING_ROLES


def by_name(entry: RosterEntry) -> tuple[bool, str, str, str]:
    """Family name, then given name, in Swedish order; people without a shared name last."""
    family = entry.family_name or entry.display_name or ""
    return (
        not family,
        family.casefold().translate(SWEDISH_ORDER),
        (entry.given_name or "").casefold().translate(SWEDISH_ORDER),
        entry.subject,
    )


@bp.get("/course/participants")
@launch_required
def index():
    launch = current_launch()
    if not may_see_participants(launch.roles):
        message = gettext("Only the teachers of the course can see its participants.")
        raise PageRefused("forbidden", message)
    if launch.context_id is None:
        abort(404)
    roster = course_roster(db_session(), launch.context_id, launch.resource_link_id)
    # A platform without a participant list (NRPS) never sends one: show who has opened
    # the tool from the course so far, and say so.
    without_list = roster.synced_at is None and memberships_url(launch.claims or {}) is None
    if without_list:
        roster = launched_roster(db_session(), launch.context_id, launch.resource_link_id)
    active = [entry for entry in roster.entries if entry.status is MembershipStatus.ACTIVE]
    teaching = [entry for entry in active if may_see_participants(list(entry.roles))]
    rows = sorted(
        (entry for entry in active if not may_see_participants(list(entry.roles))), key=by_name
    )
    counts = {
        state: sum(1 for row in rows if row.state == state)
        for state in (
            AssessmentState.NOT_STARTED,
            AssessmentState.IN_PROGRESS,
            AssessmentState.SUBMITTED,
        )
    }
    return render_template(
        "course/participants.html",
        launch=launch,
        rows=rows,
        counts=counts,
        states=AssessmentState,
        teaching=len(teaching),
        not_active=len(roster.entries) - len(active),
        synced_at=roster.synced_at,
        without_list=without_list,
    )
