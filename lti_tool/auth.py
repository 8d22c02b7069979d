"""Who is asking: the person and launch behind the session, for every route that needs one."""

from __future__ import annotations

from functools import wraps

from flask import abort, g, session
from sqlalchemy.orm import joinedload

from lti_tool.database import db_session
from storage import Launch, PlatformRegistration

# What nearly every page and each xAPI statement read of the launch (who, which
# organisation, which course and link): one query with joins instead of a lazy load each.
LAUNCH_GRAPH = (
    joinedload(Launch.person),
    joinedload(Launch.registration).joinedload(PlatformRegistration.organisation),
    joinedload(Launch.deployment),
    joinedload(Launch.context),
    joinedload(Launch.resource_link),
)


def current_launch() -> Launch | None:
    if "current_launch" not in g:
        launch_id = session.get("launch_id")
        g.current_launch = (
            db_session().get(Launch, launch_id, options=LAUNCH_GRAPH) if launch_id else None
        )
    return g.current_launch


def launch_required(view):
    """Only people who came through an LTI launch; others are told to open the tool from Moodle."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_launch() is None:
            abort(401)
        return view(*args, **kwargs)

    return wrapped
