"""Who is asking: the person and launch behind the session, for every route that needs one."""

from __future__ import annotations

from functools import wraps

from flask import abort, g, session

from lti_tool.database import db_session
from storage import Launch


def current_launch() -> Launch | None:
    if "current_launch" not in g:
        launch_id = session.get("launch_id")
        g.current_launch = db_session().get(Launch, launch_id) if launch_id else None
    return g.current_launch


def launch_required(view):
    """Only people who came through an LTI launch; others are told to open the tool from Moodle."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_launch() is None:
            abort(401)
        return view(*args, **kwargs)

    return wrapped
