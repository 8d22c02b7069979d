"""LTI Dynamic Registration against the Moodle 4.5 double: Moodle's "Update" on a registered
tool, replayed registration tokens, and configurations or answers the tool cannot use, each
refused with a 4xx page in the person's language (or JSON).

The refusal rules themselves are tested without a server in tests/lti/
(test_dynamic_registration.py: a configuration that is not JSON or lacks an endpoint;
test_registration_store.py: a token spent by a concurrent registration)."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import func, select

from lti import dynamic_registration as dynreg
from storage import AuditEvent, Organisation, RegistrationInvitation
from tests.lti_tool.registration_stories import (
    frame_ancestors,
    post_form,
    refused,
    registrations,
)
from tests.support.browsing import text_of
from tests.support.registration_platform import TOOL_CONFIGURATION

# --- Moodle's "Update" on the registered tool ---------------------------------------------------


def test_updating_the_tool_from_moodle_updates_the_registration_and_says_so(
    invite, moodle, browser, other_browser, tool_url, db, jwks_server
):
    """Issue 17: Moodle updated its tool, the tool answered 409 already_registered."""
    link = invite()
    post_form(browser, tool_url, browser.get(moodle.start_registration(link)))
    [client_id] = moodle.tools
    moodle.tools[client_id]["state"] = "configured"  # the admin activated it meanwhile
    # The site moved its keys; the admin pastes the same link and chooses "Update".
    moodle.configuration_changes = {"jwks_uri": moodle.url + "/mod/lti/certs.php?v=2"}

    page = other_browser.get(moodle.start_update(link, client_id))

    assert page.status_code == 200, page.text
    assert "uppdatera sin registrering för Umeå kommun" in text_of(page.text)
    assert "Uppdatera registreringen" in text_of(page.text)  # the button says what it does
    done = post_form(other_browser, tool_url, page)

    assert done.status_code == 200, done.text
    text = text_of(done.text)
    assert "Registreringen uppdaterades" in text
    assert "Manage tools" not in text  # nothing to activate: Moodle kept the tool's state
    [registration] = registrations(db)
    assert registration.client_id == client_id
    assert registration.key_set_url == moodle.url + "/mod/lti/certs.php?v=2"
    assert [d.deployment_id for d in registration.deployments] == [
        moodle.tools[client_id]["deployment_id"]
    ]
    [event] = db.scalars(select(AuditEvent)).all()
    assert (event.action, event.organisation_id) == (
        "update_registration",
        registration.organisation_id,
    )
    assert event.detail["changed"] == ["key_set_url"]
    assert db.scalar(select(func.count()).select_from(Organisation)) == 1


def test_an_update_with_a_new_deployment_adds_it(admin_secret, moodle, browser, tool_url, db):
    page = browser.get(moodle.start_registration(tool_url + "/lti/register"))
    choose = post_form(browser, tool_url, page, admin_secret=admin_secret)
    post_form(browser, tool_url, choose, organisation_name="Umeå kommun")
    [client_id] = moodle.tools
    moodle.update_deployment_id = "11"  # a platform that answers an update with a new one

    page = browser.get(moodle.start_update(tool_url + "/lti/register", client_id))
    choose = post_form(browser, tool_url, page, admin_secret=admin_secret)

    text = text_of(choose.text)
    assert "uppdatera sin registrering för Umeå kommun" in text
    assert "Den nya organisationens namn" not in text  # nothing to choose: it is theirs
    done = post_form(browser, tool_url, choose)
    assert "Registreringen uppdaterades" in text_of(done.text), done.text
    [registration] = registrations(db)
    # The old deployment stays: activities made with it keep launching.
    assert sorted(d.deployment_id for d in registration.deployments) == ["11", "5"]
    assert db.scalar(select(AuditEvent.detail))["changed"] == ["deployment"]


def test_an_update_cannot_move_another_organisations_registration(
    invite, moodle, browser, other_browser, tool_url, db
):
    first = invite()
    post_form(browser, tool_url, browser.get(moodle.start_registration(first)))
    [client_id] = moodle.tools
    stranger = invite(organisation="lulea", name="Luleå kommun")

    refused(other_browser.get(moodle.start_update(stranger, client_id)), 409, "already_registered")

    [registration] = registrations(db)
    assert registration.organisation.slug == "umea"
    assert len(moodle.registration_requests) == 1  # Moodle was not asked to update anything


# --- replays and refusals -------------------------------------------------------------------


def test_a_replayed_registration_token_is_refused_and_nothing_new_is_stored(
    admin_secret, moodle, browser, other_browser, tool_url, db
):
    start_url = moodle.start_registration(tool_url + "/lti/register")
    page = browser.get(start_url)
    choose = post_form(browser, tool_url, page, admin_secret=admin_secret)
    assert post_form(browser, tool_url, choose, organisation_name="Umeå kommun").status_code == 200

    refused(other_browser.get(start_url), 409, "registration_token_used")
    refused(browser.get(start_url), 409, "registration_token_used")
    refused(
        post_form(browser, tool_url, choose, organisation_name="Igen"),
        409,
        "registration_token_used",
    )
    refused(
        post_form(browser, tool_url, page, admin_secret=admin_secret),
        409,
        "registration_token_used",
    )

    assert len(registrations(db)) == 1
    assert len(moodle.registration_requests) == 1  # the tool did not even ask Moodle again
    assert db.scalar(select(func.count()).select_from(Organisation)) == 1


def test_an_issuer_that_is_not_where_the_configuration_came_from_is_refused(
    invite, moodle, browser, db
):
    moodle.issuer_override = "http://127.0.0.1:1"  # same host, another port
    link = invite()

    refused(browser.get(moodle.start_registration(link)), 400, "issuer_mismatch")
    assert registrations(db) == []
    assert db.scalars(select(RegistrationInvitation)).one().used_at is None


def test_an_unreachable_configuration_is_refused(invite, browser, tool_url, db):
    link = invite()
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"{link}&openid_configuration=http://127.0.0.1:{port}/config&registration_token=t"

    refused(browser.get(url), 400, "configuration_unreachable")
    assert registrations(db) == []


@pytest.mark.parametrize(
    "configuration_url",
    ["ftp://moodle.example.se/config", "http://moodle.example.se;script-src */config", "/config"],
)
def test_a_configuration_url_that_is_not_a_web_address_is_refused(
    invite, browser, configuration_url
):
    response = browser.get(invite(), params={"openid_configuration": configuration_url})

    refused(response, 400, "invalid_configuration_url")
    assert frame_ancestors(response) == ["'self'"]


def test_the_registration_url_opened_directly_explains_itself(browser, tool_url):
    refused(browser.get(tool_url + "/lti/register"), 400, "missing_configuration_url")


def test_a_platform_that_refuses_the_registration_is_reported(
    invite, moodle, browser, tool_url, db
):
    page = browser.get(moodle.start_registration(invite()))
    moodle.refuse_with = (400, "invalid_token_endpoint_auth_method")

    response = post_form(browser, tool_url, page)

    refused(response, 400, "platform_refused")
    assert "invalid_token_endpoint_auth_method" in text_of(response.text)
    assert registrations(db) == []
    assert db.scalars(select(RegistrationInvitation)).one().used_at is None  # can try again


def test_refusals_speak_the_persons_language_and_json(moodle, browser, other_browser, tool_url):
    url = moodle.start_registration(tool_url + "/lti/register?invitation=guessed")

    swedish = browser.get(url)
    english = other_browser.get(url + "&lang=en")
    as_json = other_browser.get(url, headers={"Accept": "application/json"})

    assert "Inbjudningslänken är inte giltig" in text_of(swedish.text)
    assert "The invitation link is not valid" in text_of(english.text)
    assert as_json.status_code == 403
    assert as_json.json()["error"] == "invitation_unknown"


def test_choosing_a_language_keeps_the_registration(invite, moodle, browser, tool_url):
    browser.get(moodle.start_registration(invite()))

    english = browser.get(tool_url + "/lti/register?lang=en")

    assert english.status_code == 200, english.text
    assert "Register a learning platform" in text_of(english.text)
    assert "Umeå kommun" in text_of(english.text)


def test_the_double_refuses_what_moodle_would_refuse(moodle):
    """The platform double is strict: the tool's real request passes, broken ones do not."""
    from tests.support.registration_platform import RegistrationRefusedByPlatform

    good = dynreg.tool_configuration(
        "http://127.0.0.1:5000", description="Kompetenslyft", logo_uri="http://x/logo.svg"
    )
    moodle.validate_registration(good)
    for broken in (
        {**good, "token_endpoint_auth_method": "client_secret_basic"},
        {**good, "response_types": ["code"]},
        {**good, "application_type": "native"},
        {**good, "invented": True},
        {**good, TOOL_CONFIGURATION: {**good[TOOL_CONFIGURATION], "domain": "other.example"}},
    ):
        with pytest.raises(RegistrationRefusedByPlatform):
            moodle.validate_registration(broken)
