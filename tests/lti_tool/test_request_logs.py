"""The log of a real launch and a refused one: JSON lines, each request's tied by its id,
and nothing of the person or their tokens in them."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest
import requests
from sqlalchemy import select

from lti_tool.request_logs import configure_logging, redact
from storage import Launch

PERSON = {
    "name": "Ingrid Integritetsdotter",
    "given_name": "Ingrid",
    "family_name": "Integritetsdotter",
    "email": "ingrid.integritet@kommun.example",
}


@pytest.fixture
def log_lines(app, settings):
    """Everything the tool logs during the test, as it would reach stderr in production."""
    stream = io.StringIO()
    configure_logging(replace(settings, log_format="json"), stream=stream)
    yield lambda: [line for line in stream.getvalue().splitlines() if line.strip()]
    configure_logging(settings)


def test_a_launch_and_a_refusal_log_json_with_request_ids_and_no_personal_data(
    log_lines, platform, browser, tool_url, app, db
):
    auth = platform.login(browser)
    id_token = platform.sign(platform.claims(auth["nonce"], **PERSON))
    launched = browser.post(
        tool_url + "/lti/launch",
        data={"id_token": id_token, "state": auth["state"]},
        headers={"X-Request-ID": "lb-7f3a.42"},
        allow_redirects=False,
    )
    replayed = platform.post_launch(browser, id_token, auth["state"])
    launch_id = db.scalar(select(Launch.id).order_by(Launch.id.desc()))
    serializer = app.session_interface.get_signing_serializer(app)
    ls_token = serializer.dumps({"launch_id": launch_id, "started_at": 0})
    in_url = requests.get(tool_url + "/my/plan", params={"ls": ls_token}, timeout=10)

    assert launched.status_code == 303
    assert launched.headers["X-Request-ID"] == "lb-7f3a.42"
    assert replayed.status_code == 403
    assert in_url.status_code == 401
    lines = log_lines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    requests_logged = [r for r in records if r["logger"] == "lti_tool.access"]
    assert {r["path"] for r in requests_logged} >= {"/lti/login", "/lti/launch", "/my/plan"}
    assert all(r["request_id"] for r in requests_logged)
    assert "lb-7f3a.42" in {r["request_id"] for r in requests_logged}
    rejection = next(r for r in records if "nonce_replayed" in r["event"])
    assert rejection["level"] == "info"
    assert rejection["request_id"] == replayed.headers["X-Request-ID"]
    text = "\n".join(lines)
    for secret in (*PERSON.values(), id_token, id_token.split(".")[1], ls_token):
        assert secret not in text


def test_an_unusable_incoming_request_id_is_replaced(log_lines, tool_url):
    response = requests.get(tool_url + "/healthz", headers={"X-Request-ID": "x" * 200}, timeout=10)

    assert len(response.headers["X-Request-ID"]) == 32
    assert "x" * 200 not in "\n".join(log_lines())


def test_redaction_blanks_sensitive_fields_and_query_parameters():
    event = {
        "event": "GET /my/plan?ls=eyJsaWQiOjF9.abc&lang=sv HTTP/1.1",
        "id_token": "eyJ.eyJ.sig",
        "email": "a@b.example",
        "logger": "werkzeug",
    }

    redacted = redact(None, "info", event)

    assert redacted == {
        "event": "GET /my/plan?ls=[redacted]&lang=sv HTTP/1.1",
        "id_token": "[redacted]",
        "email": "[redacted]",
        "logger": "werkzeug",
    }


def test_the_servers_request_log_shows_no_invitation_or_registration_token(log_lines, tool_url):
    """`kompetenslyft serve` logs each request line (werkzeug's log): Moodle opens the
    registration with its one-time tokens in the query string."""
    secrets = ("INVITATION-8c1f", "REGISTRATION-77aa", "moodle.kommun.example", "SPELLED-9d2e")
    requests.get(
        tool_url + "/lti/register",
        params={
            "invitation": secrets[0],
            "registration_token": secrets[1],
            "openid_configuration": f"https://{secrets[2]}/mod/lti/openid-configuration.php",
            "lang": "sv",
        },
        timeout=10,
    )
    requests.get(tool_url + f"/lti/register?registration%5Ftoken={secrets[3]}", timeout=10)

    lines = log_lines()
    request_lines = [line for line in lines if "/lti/register?" in line]
    assert len(request_lines) == 2  # werkzeug's: the tool's own log no query string at all
    assert "lang=sv" in request_lines[0]
    for secret in secrets:
        assert secret not in "\n".join(lines)
