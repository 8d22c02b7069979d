"""The one place that turns a failure into a page (or JSON) in the person's language."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus

from flask import Flask, current_app, g, jsonify, render_template, request, session
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from lti.dynamic_registration import RegistrationRefused
from lti.errors import LaunchRejected, Refusal
from lti_tool import metrics
from lti_tool.rate_limits import RateLimited

log = logging.getLogger(__name__)

# A NUL character anywhere in a request (lti_tool.input_limits).
NUL_MESSAGES = {
    "nul": _l(
        "The request contains a NUL character (a zero byte), which the tool does not accept. "
        "Check what you entered or pasted and try again."
    ),
    "nul_in_file": _l(
        "The file contains a zero byte, so it is not a text file the tool can read. "
        "Save it as CSV UTF-8 (or JSON) and upload it again."
    ),
}


class PageRefused(Refusal):
    """A page that refuses with a sentence saying why, in the person's language (a learner
    on a teacher's page, a plan agreed on an old version, a period that is no period)."""

    reasons = {
        "bad_request": HTTPStatus.BAD_REQUEST,
        "forbidden": HTTPStatus.FORBIDDEN,
        "conflict": HTTPStatus.CONFLICT,
    }

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.message = message


# What the person is told for each reason code, beside the class that carries the code;
# the code itself is shown for support.
LAUNCH_MESSAGES = {
    "missing_login_parameter": _l(
        "The learning platform started the login without the information the tool needs."
    ),
    "unsupported_login_method": _l(
        "The learning platform started the login in a way the tool does not support."
    ),
    "missing_id_token": _l("The learning platform did not send a launch message."),
    "token_too_large": _l("The launch message is larger than the tool accepts."),
    "malformed_token": _l("The launch message could not be read."),
    "missing_state": _l("The launch is missing its login reference."),
    "unknown_state": _l("The tool has no record of this login."),
    "login_expired": _l("The login took too long and has expired."),
    "state_mismatch": _l(
        "This launch was started in another browser window or your browser blocked the tool's cookie."
    ),
    "unknown_issuer": _l("The learning platform is not registered with this tool."),
    "unknown_client": _l(
        "This tool entry in the learning platform is not registered with this tool."
    ),
    "registration_disabled": _l("The connection to this learning platform is switched off."),
    "unknown_deployment": _l(
        "This installation of the tool in the learning platform is not registered."
    ),
    "unsupported_algorithm": _l("The launch message is signed in a way the tool does not accept."),
    "missing_kid": _l("The launch message does not say which key signed it."),
    "unknown_kid": _l(
        "The launch message is signed with a key the learning platform does not publish."
    ),
    "bad_signature": _l("The launch message's signature is not valid."),
    "platform_keys_unavailable": _l(
        "The tool could not fetch the learning platform's keys. Please try again in a moment."
    ),
    "token_expired": _l("The launch message has expired."),
    "token_not_yet_valid": _l("The launch message is dated in the future; a clock may be wrong."),
    "wrong_audience": _l("The launch message was meant for another tool."),
    "wrong_azp": _l("The launch message names another tool as its recipient."),
    "missing_nonce": _l("The launch message is missing its one-time code."),
    "nonce_mismatch": _l("The launch message does not belong to this login."),
    "nonce_replayed": _l("This launch message has already been used."),
    "wrong_issuer": _l("The launch message comes from another learning platform than the login."),
    "unsupported_message_type": _l("The tool does not handle this kind of launch."),
    "wrong_lti_version": _l("The launch uses an LTI version the tool does not support."),
    "missing_claim": _l("The launch message is missing required information."),
    "claim_too_large": _l("Part of the launch message is longer than the tool accepts."),
    "wrong_target_link_uri": _l(
        "The launch message was made for another address than the one the login was started for."
    ),
}

REGISTRATION_MESSAGES = {
    "missing_configuration_url": _l(
        "This address is used by a learning platform to register the tool. Paste it into the "
        "platform's tool management instead of opening it here."
    ),
    "invalid_configuration_url": _l(
        "The learning platform sent the address of its configuration in a form the tool "
        "does not accept."
    ),
    "invitation_required": _l(
        "Registering a learning platform needs an invitation link from the tool's owner."
    ),
    "invitation_unknown": _l("The invitation link is not valid. Check that it was copied whole."),
    "invitation_expired": _l(
        "The invitation link has expired. Ask the tool's owner for a new one."
    ),
    "invitation_used": _l(
        "The invitation link has already been used. Ask the tool's owner for a new one."
    ),
    "not_authorised": _l(
        "The registration was not authorised. Start again from the learning platform."
    ),
    "form_expired": _l(
        "The registration form has expired. Start the registration again from the learning "
        "platform."
    ),
    "form_invalid": _l(
        "The registration form does not belong to this registration. Start the registration "
        "again from the learning platform."
    ),
    "registration_token_used": _l(
        "This registration has already been completed. To register again, start a new "
        "registration in the learning platform."
    ),
    "configuration_unreachable": _l(
        "The tool could not read the learning platform's configuration. Check that the "
        "platform can be reached and try again."
    ),
    "configuration_invalid": _l(
        "The learning platform's configuration is incomplete or could not be read."
    ),
    "issuer_mismatch": _l(
        "The learning platform's configuration names another site than the one it came from."
    ),
    "platform_unreachable": _l(
        "The tool could not reach the learning platform to register. Try again in a moment."
    ),
    "platform_refused": _l("The learning platform refused the registration."),
    "registration_response_invalid": _l(
        "The learning platform's answer to the registration could not be read."
    ),
    "already_registered": _l(
        "This tool entry of the learning platform is already registered for another organisation."
    ),
}


@dataclass(frozen=True)
class RefusalPage:
    """How a kind of refusal is shown: its messages by reason, and its page."""

    messages: Mapping[str, object]
    template: str


REFUSALS: dict[type[Refusal], RefusalPage] = {
    LaunchRejected: RefusalPage(LAUNCH_MESSAGES, "errors/launch_rejected.html"),
    RegistrationRefused: RefusalPage(REGISTRATION_MESSAGES, "registration/refused.html"),
    PageRefused: RefusalPage({}, "errors/http.html"),  # the message comes with the refusal
}


def init_app(app: Flask) -> None:
    app.register_error_handler(Refusal, _refused)
    app.register_error_handler(RateLimited, _rate_limited)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DataError, _not_storable)
    app.register_error_handler(Exception, _unexpected_error)


def wants_json() -> bool:
    if g.get("stateless"):  # a program's request (the Statement API): JSON whatever it accepts
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def _refused(error: Refusal):
    """Every refusal: its reason code and status, and the message of its class's table."""
    page = next(REFUSALS[kind] for kind in type(error).__mro__ if kind in REFUSALS)
    if isinstance(error, PageRefused):  # the page's own words, as the page showed them
        html = render_template(page.template, status=error.status, message=error.message)
        return html, error.status
    if isinstance(error, LaunchRejected):
        log.info("launch rejected: %s (%s)", error.reason, error.detail)
        metrics.launch_rejected(error.reason)
    else:
        current_app.logger.info("registration refused: %s (%s)", error.reason, error.detail)
        _forget_failed_transaction()  # nothing of a refused registration is kept
    message = str(page.messages[error.reason])
    if wants_json():
        return jsonify(error=error.reason, message=message), error.status
    # What the platform answered is shown when it refused the registration.
    detail = error.detail if error.reason == "platform_refused" else ""
    html = render_template(
        page.template, reason=error.reason, message=message, detail=detail, status=error.status
    )
    return html, error.status


def _rate_limited(error: RateLimited):
    message = gettext("Too many requests from your network right now. Wait a minute and try again.")
    headers = {"Retry-After": str(error.retry_after)}
    if wants_json():
        return jsonify(error="too_many_requests", message=message), 429, headers
    return render_template("errors/http.html", status=429, message=message), 429, headers


def _http_error(error: HTTPException):
    status = error.code or 500
    if status == 401 and getattr(session, "expired", False):
        # The person had a session and it ran out: say so, rather than "open the tool".
        metrics.refused("session_expired")
        message = gettext(
            "Your session has expired. Open the tool again from your course in Moodle."
        )
        if wants_json():
            return jsonify(error="session_expired", message=message), 401
        return render_template("errors/http.html", status=401, message=message), 401
    if status == 400 and error.description == "csrf":
        message = gettext("The form had expired. Go back, reload the page and try again.")
        if wants_json():
            return jsonify(error="csrf_failed", message=message), 400
        return render_template("errors/http.html", status=400, message=message), 400
    if status == 400 and error.description in NUL_MESSAGES:
        metrics.refused("nul_character")
        message = str(NUL_MESSAGES[error.description])
        if wants_json():
            return jsonify(error="nul_character", message=message), 400
        return render_template("errors/http.html", status=400, message=message), 400
    # A 405 says which methods the address does take (RFC 9110, 15.5.6).
    headers = (
        {"Allow": ", ".join(sorted(error.valid_methods))}
        if getattr(error, "valid_methods", None)
        else {}
    )
    message = {
        400: gettext("The request could not be understood."),
        401: gettext("Open the tool from your course in Moodle."),
        403: gettext("You do not have access to this page."),
        404: gettext("The page does not exist."),
        405: gettext("This page cannot be used that way."),
        409: gettext(
            "That is no longer possible: the assessment is already submitted, "
            "or the activity allows no more attempts."
        ),
        413: gettext("The request is larger than the tool accepts."),
    }.get(status, gettext("Something went wrong."))
    if wants_json():
        if headers:
            message = gettext(
                "This address does not take %(method)s; it takes %(methods)s.",
                method=request.method,
                methods=headers["Allow"],
            )
        body = jsonify(error=error.name.lower().replace(" ", "_"), message=message)
        return body, status, headers
    return render_template("errors/http.html", status=status, message=message), status, headers


def _not_storable(error: DataError):
    """What only the database noticed: a value it cannot hold (a number beyond its integer
    range, text it refuses, a text longer than its column) that slipped past every check.

    The request, not the tool, is at fault, so the person gets a 400 saying so; the log keeps
    the whole error (never its parameters: the engine hides them), since a check is missing."""
    _forget_failed_transaction()
    log.exception("a value the database cannot store, on %s %s", request.method, request.path)
    metrics.refused("not_storable")
    message = gettext(
        "The request holds a value the tool cannot store: a number that is too large "
        "or a text that is too long. Check what you entered and try again."
    )
    if wants_json():
        return jsonify(error="not_storable", message=message), 400
    return render_template("errors/http.html", status=400, message=message), 400


def _unexpected_error(error: Exception):
    log.exception("unexpected error on %s %s", request.method, request.path)
    metrics.refused("internal_error")
    message = gettext("Something went wrong in the tool. The error has been logged.")
    _forget_failed_transaction()
    if wants_json():
        return jsonify(error="internal_error", message=message), 500
    try:
        return render_template("errors/http.html", status=500, message=message), 500
    except Exception:  # the error page itself failed: still no stack trace for the person
        log.exception("error page failed")
        return message, 500, {"Content-Type": "text/plain; charset=utf-8"}


def _forget_failed_transaction() -> None:
    """The error page reads the database too (who is asking, their organisation): a
    transaction the failure left broken is rolled back first, or the page fails as well."""
    database_session = g.get("db_session")
    if database_session is None:
        return
    try:
        database_session.rollback()
    except Exception:  # the connection itself is gone: the page is still tried
        log.exception("rollback after an error failed")
