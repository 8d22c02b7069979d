"""Where a person lands after a launch: the activity's assessment, or who and where they are."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from lti.ags import grades_cannot_flow
from lti.claims import DEEP_LINKING_REQUEST, RESOURCE_LINK_REQUEST, primary_role
from lti_tool import assessment, deep_linking
from lti_tool.access import current_access
from lti_tool.auth import current_launch

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    launch = current_launch()
    if launch is None:
        return render_template(
            "home/welcome.html",
            dev_platform=current_app.config["SETTINGS"].dev_platform_enabled,
        )
    if launch.message_type == RESOURCE_LINK_REQUEST:
        return assessment.overview()
    if launch.message_type == DEEP_LINKING_REQUEST:
        return deep_linking.chooser()
    return render_template("home/launched.html", launch=launch)


@bp.app_context_processor
def role_of_launch():
    launch = current_launch()
    return {
        "role": primary_role(launch.roles) if launch else None,
        "access_of_launch": _access,
        "grades_cannot_flow": grades_cannot_flow,
    }


def _access():
    """What the launch's person may open (team, organisation pages); called by templates."""
    return current_access()
