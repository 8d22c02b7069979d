"""Deep linking pages: a teacher chooses what a new course activity asks for.

After an `LtiDeepLinkingRequest` launch the start page (/) shows the form; posting
it answers the platform with a signed `LtiDeepLinkingResponse` that the browser
carries to the platform's return URL (an auto-posting form with a visible button).
Building and signing the response happens in `lti.deep_linking`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, g, render_template, request
from flask_babel import get_locale, gettext
from werkzeug.datastructures import MultiDict

from lti import deep_linking as dl
from lti import link_settings as ls
from lti.ags import LINEITEM_TAG
from lti.claims import DEEP_LINKING_REQUEST
from lti_tool.auth import current_launch, launch_required
from lti_tool.database import db_session
from lti_tool.errors import PageRefused
from lti_tool.i18n import LANGUAGES
from lti_tool.launch import launch_url
from lti_tool.link_settings import read_attempts, read_instrument, read_share
from storage import Launch

bp = Blueprint("deep_linking", __name__)
MAX_TITLE = 255
MAX_SCORE = 10_000


def _deep_linking_launch() -> Launch:
    launch = current_launch()
    if launch is None:
        abort(401)
    if launch.message_type != DEEP_LINKING_REQUEST:
        abort(404)
    return launch


def _refuse_learners(launch: Launch) -> None:
    if not ls.may_configure(launch.roles):
        raise PageRefused(
            "forbidden",
            gettext(
                "Only teachers and administrators can add Kompetenslyft activities to a course."
            ),
        )


def _settings(launch: Launch) -> dl.DeepLinkingSettings:
    try:
        return dl.DeepLinkingSettings.from_claims(launch.claims)
    except dl.DeepLinkingError:
        abort(400)


def chooser():
    """The form for a new activity (the start page of a deep-linking launch)."""
    launch = _deep_linking_launch()
    _refuse_learners(launch)
    settings = _settings(launch)
    choices = ls.instrument_choices(db_session(), launch.registration.organisation_id)
    language = get_locale().language
    values = {
        "instrument": choices[0].key,
        "title": settings.title or gettext("Self-assessment of digital competence"),
        "language": language,
        "share_with_manager": "no",
        "score_maximum": str(choices[0].max_level),
        "attempts": "",
    }
    return _form_page(launch, settings, choices, values, {})


def _form_page(launch, settings, choices, values, errors, status=200):
    return render_template(
        "deep_linking/chooser.html",
        launch=launch,
        settings=settings,
        choices=choices,
        values=values,
        errors=errors,
        language=get_locale().language,
    ), status


@bp.post("/deep-linking/response")
@launch_required
def respond():
    launch = _deep_linking_launch()
    _refuse_learners(launch)
    settings = _settings(launch)
    choices = ls.instrument_choices(db_session(), launch.registration.organisation_id)
    form = request.form
    values = {
        name: (form.get(name) or "").strip()
        for name in ("instrument", "title", "language", "share_with_manager", "score_maximum")
    }
    values["attempts"] = (form.get("attempts") or "").strip()
    if not settings.accepts_resource_links:
        return _form_page(launch, settings, choices, values, {}, 400)
    errors: dict[str, str] = {}
    chosen = read_instrument(form, choices, errors)
    title = values["title"]
    if not title:
        errors["title"] = gettext("Give the activity a title.")
    elif len(title) > MAX_TITLE:
        errors["title"] = gettext("The title can be at most %(max)s characters.", max=MAX_TITLE)
    if values["language"] not in LANGUAGES:
        errors["language"] = gettext("Choose Swedish or English.")
    share = read_share(form, errors)
    attempts = read_attempts(form, errors)
    score_maximum = _score_maximum(form, chosen, errors)
    if errors:
        return _form_page(launch, settings, choices, values, errors, 400)
    custom = {
        ls.INSTRUMENT: chosen.key,
        ls.SHARE_WITH_MANAGER: "yes" if share else "no",
        ls.LOCALE: values["language"],
    }
    if attempts is not None:
        custom[ls.ATTEMPTS] = str(attempts)
    item = dl.resource_link_item(
        settings,
        url=launch_url(),
        title=title,
        custom=custom,
        score_maximum=score_maximum,
        resource_id=chosen.key,
        tag=LINEITEM_TAG,
    )
    return _answer(launch, settings, [item])


@bp.post("/deep-linking/cancel")
@launch_required
def cancel():
    """Back to the platform without adding anything: a response with no content items."""
    launch = _deep_linking_launch()
    _refuse_learners(launch)
    return _answer(launch, _settings(launch), [])


def _score_maximum(
    form: MultiDict, chosen: ls.InstrumentChoice | None, errors: dict[str, str]
) -> int | float | None:
    raw = (form.get("score_maximum") or "").strip().replace(",", ".")
    if not raw:
        return chosen.max_level if chosen else None
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value <= MAX_SCORE or value != value:  # also refuses NaN
        errors["score_maximum"] = gettext(
            "Give the maximum score as a number greater than 0 and at most %(max)s.",
            max=MAX_SCORE,
        )
        return None
    return int(value) if value.is_integer() else value


def _answer(launch: Launch, settings: dl.DeepLinkingSettings, items: list[dict]):
    claims = dl.response_claims(launch.claims, client_id=launch.registration.client_id, items=items)
    token = dl.signed_response(db_session(), claims)
    # The auto-posted form leaves for the platform: let the CSP's form-action allow it.
    parts = urlsplit(settings.return_url)
    g.form_action_origins = (f"{parts.scheme}://{parts.netloc}",)
    page = render_template(
        "deep_linking/return.html",
        action=settings.return_url,
        field=dl.FORM_FIELD,
        token=token,
        item=items[0] if items else None,
    )
    return page, 200, {"Cache-Control": "no-store"}
