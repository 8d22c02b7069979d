"""A teacher changes what an existing course link asks for: instrument, attempts, sharing.

What is saved here goes to `ResourceLink.settings` and wins over the link's custom
parameters (see `lti.link_settings`).  Attempts already made keep the instrument
version they were started on; only new attempts use a newly chosen instrument.
Learners, and anyone who is not a teacher or administrator of the course, get a 403.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from werkzeug.datastructures import MultiDict

from lti import link_settings as ls
from lti_tool.auth import current_launch, launch_required
from lti_tool.database import db_session
from lti_tool.errors import PageRefused
from lti_tool.input_limits import whole_number
from storage import Launch

bp = Blueprint("link_settings", __name__)


@bp.app_context_processor
def link_settings_access():
    launch = current_launch()
    allowed = bool(launch and launch.resource_link_id and ls.may_configure(launch.roles))
    return {"may_configure_link": allowed}


def read_instrument(
    form: MultiDict, choices: list[ls.InstrumentChoice], errors: dict[str, str]
) -> ls.InstrumentChoice | None:
    chosen = next((c for c in choices if c.key == form.get("instrument")), None)
    if chosen is None:
        errors["instrument"] = gettext("Choose one of the instruments.")
    return chosen


def read_attempts(form: MultiDict, errors: dict[str, str]) -> int | None:
    raw = (form.get("attempts") or "").strip()
    if not raw:
        return None
    attempts = whole_number(raw, ls.MAX_ATTEMPTS)
    if attempts is None or attempts < 1:
        errors["attempts"] = gettext(
            "Give the number of attempts as a whole number from 1 to %(max)s, or leave it empty.",
            max=ls.MAX_ATTEMPTS,
        )
        return None
    return attempts


def read_share(form: MultiDict, errors: dict[str, str]) -> bool:
    value = form.get("share_with_manager")
    if value not in {"yes", "no"}:
        errors["share_with_manager"] = gettext("Choose whether the results are shared.")
    return value == "yes"


def _configurable_launch() -> Launch:
    launch = current_launch()
    if launch.resource_link is None:
        abort(404)
    return launch


@bp.route("/activity/settings", methods=["GET", "POST"])
@launch_required
def edit():
    launch = _configurable_launch()
    if not ls.may_configure(launch.roles):
        raise PageRefused(
            "forbidden",
            gettext("Only teachers and administrators can change the settings of this activity."),
        )
    session = db_session()
    link = launch.resource_link
    choices = ls.instrument_choices(session, launch.registration.organisation_id)
    current_key = ls.instrument_key(link)
    if current_key not in {choice.key for choice in choices}:
        current_key = ls.DEFAULT_INSTRUMENT
    values = {
        "instrument": current_key,
        "attempts": str(ls.attempts_allowed(link) or ""),
        "share_with_manager": "yes" if ls.shares_with_manager(link) else "no",
    }
    errors: dict[str, str] = {}
    other_attempts = 0
    if request.method == "POST":
        form = request.form
        values = {name: (form.get(name) or "").strip() for name in values}
        chosen = read_instrument(form, choices, errors)
        attempts = read_attempts(form, errors)
        share = read_share(form, errors)
        if chosen is not None and chosen.key != current_key:
            other_attempts = ls.attempts_on_other_instruments(session, link, chosen.key)
        if not errors and (other_attempts == 0 or form.get("confirm") == "yes"):
            ls.save_link_settings(
                session, link, instrument=chosen.key, attempts=attempts, share=share
            )
            return redirect(url_for(".edit", saved=1), 303)
    return render_template(
        "link_settings/edit.html",
        launch=launch,
        choices=choices,
        values=values,
        errors=errors,
        other_attempts=other_attempts,
        current=next(c for c in choices if c.key == current_key),
        saved=request.method == "GET" and request.args.get("saved") == "1",
        language=get_locale().language,
    ), (400 if errors else 200)
