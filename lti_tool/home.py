"""Where a person lands after a launch: who they are, in which course, in which role."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, session

from lti.claims import primary_role
from lti_tool.database import db_session
from storage import Launch

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    launch = db_session().get(Launch, session["launch_id"]) if "launch_id" in session else None
    if launch is None:
        return render_template(
            "home/welcome.html",
            dev_platform=current_app.config["SETTINGS"].dev_platform_enabled,
        )
    return render_template(
        "home/launched.html",
        person=launch.person,
        role=primary_role(launch.roles),
        context=launch.context,
        resource_link=launch.resource_link,
        launch=launch,
    )
