"""LTI Dynamic Registration against a Moodle 4.5 double built from the recorded exchange:
through an invitation, with the admin secret, and the signed form that replaces the cookie.

A platform registers through an invitation link or with the admin secret; the stored
registration then accepts a launch signed by that platform.  Strangers, used or expired
invitations and wrong secrets are refused with a 4xx page.  Updates, replays and bad
configurations: test_dynamic_registration_refusals.py; the rules themselves, without a
server: tests/lti/test_dynamic_registration.py, test_registration_*.py, test_platforms.py.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, update

from lti import dynamic_registration as dynreg
from storage import (
    Organisation,
    RegistrationInvitation,
    UsedRegistrationToken,
    utcnow,
)
from tests.lti_tool.registration_stories import (
    frame_ancestors,
    post_form,
    refused,
    registrations,
    token_of,
)
from tests.support.browsing import form_fields, text_of
from tests.support.platforms import TestPlatform
from tests.support.registration_platform import TOOL_CONFIGURATION

SCOPES = {
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
}


# --- through an invitation --------------------------------------------------------------------


def test_an_invited_moodle_registers_and_then_launches(
    invite, moodle, browser, other_browser, tool_url, db, jwks_server
):
    link = invite("--days", "3")
    assert re.fullmatch(re.escape(tool_url) + r"/lti/register\?invitation=[\w-]{40,}", link)
    start_url = moodle.start_registration(link)  # Moodle appends its parameters to the link

    page = browser.get(start_url)

    assert page.status_code == 200, page.text
    text = text_of(page.text)
    assert "Registrera en lärplattform" in text
    assert "Umeå kommun" in text and moodle.url in text
    assert moodle.url in frame_ancestors(page)  # Moodle shows this page in an iframe
    # The configuration was fetched with the registration token, as the spec allows.
    assert moodle.configuration_requests[-1]["Authorization"] == "Bearer " + token_of(start_url)

    done = post_form(browser, tool_url, page)

    assert done.status_code == 200, done.text
    text = text_of(done.text)
    assert "Lärplattformen är registrerad" in text
    assert "Manage tools" in text  # Moodle creates the tool as pending: activate it there
    assert 'src="/static/registration-close.js"' in done.text
    [client_id] = moodle.tools
    tool = moodle.tools[client_id]
    assert tool["state"] == "pending" and client_id in text

    # What the tool sent, as Moodle received it.
    sent = moodle.registration_requests[-1]
    assert sent["headers"]["Authorization"] == "Bearer " + token_of(start_url)
    body = sent["body"]
    assert body["application_type"] == "web"
    assert body["response_types"] == ["id_token"]
    assert body["grant_types"] == ["implicit", "client_credentials"]
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert body["initiate_login_uri"] == tool_url + "/lti/login"
    assert body["redirect_uris"] == [tool_url + "/lti/launch"]
    assert body["jwks_uri"] == tool_url + "/.well-known/jwks.json"
    assert body["client_name"] == "Kompetenslyft"
    assert body["logo_uri"] == tool_url + "/static/logo.svg"
    assert browser.get(body["logo_uri"]).status_code == 200
    assert set(body["scope"].split(" ")) == SCOPES
    configuration = body[TOOL_CONFIGURATION]
    assert configuration["domain"] == urlsplit(tool_url).netloc
    assert configuration["target_link_uri"] == tool_url + "/lti/launch"
    assert configuration["claims"] == ["iss", "sub", "name", "given_name", "family_name", "email"]
    assert [m["type"] for m in configuration["messages"]] == [
        "LtiResourceLinkRequest",
        "LtiDeepLinkingRequest",
    ]
    assert all(m["target_link_uri"] == tool_url + "/lti/launch" for m in configuration["messages"])
    assert configuration["description"]

    # What the tool stored.
    [registration] = registrations(db)
    assert registration.organisation.slug == "umea"
    assert registration.issuer == moodle.url
    assert registration.client_id == client_id
    assert registration.auth_login_url == moodle.url + "/mod/lti/auth.php"
    assert registration.auth_token_url == moodle.url + "/mod/lti/token.php"
    assert registration.key_set_url == moodle.url + "/mod/lti/certs.php"
    assert registration.name == "Moodle 4.5.6 (Build: 20250811)"
    assert registration.enabled
    assert [d.deployment_id for d in registration.deployments] == [tool["deployment_id"]]
    invitation = db.scalars(select(RegistrationInvitation)).one()
    assert invitation.used_at is not None
    assert link.split("invitation=")[1] not in invitation.token_hash
    assert db.get(UsedRegistrationToken, dynreg.token_hash(token_of(start_url))) is not None
    # Moodle may now frame the tool for launches, not only for registration.
    assert moodle.url in frame_ancestors(browser.get(tool_url + "/"))

    # The registration works: Moodle (the double's key, published at its certs.php) launches.
    launcher = TestPlatform(
        tool_url,
        jwks_server,
        issuer=moodle.url,
        client_id=client_id,
        deployment_id=tool["deployment_id"],
        name="registered",
    )
    launcher.key = moodle.key
    launched = launcher.launch(other_browser)

    assert launched.status_code == 200, launched.text
    assert "Hello, Lea Learner!" in text_of(launched.text)


def test_an_invitation_opened_in_a_browser_says_where_to_paste_it(invite, browser):
    link = invite()

    page = browser.get(link)

    assert page.status_code == 200
    text = text_of(page.text)
    assert "Umeå kommun" in text and "Manage tools" in text
    assert f'value="{link}"' in page.text


def test_an_invitation_for_an_unknown_organisation_needs_its_name(invite):
    with pytest.raises(AssertionError, match="give --organisation-name"):
        invite(organisation="nowhere", name=None)


def test_an_invitation_without_organisation_lets_the_admin_name_one(moodle, browser, tool_url, db):
    token = "a-hand-made-invitation-token-0123456789abcdef"
    db.add(
        RegistrationInvitation(
            token_hash=dynreg.token_hash(token), expires_at=utcnow() + timedelta(days=1)
        )
    )
    db.commit()
    page = browser.get(moodle.start_registration(tool_url + "/lti/register?invitation=" + token))
    assert page.status_code == 200, page.text

    missing = post_form(browser, tool_url, page)
    assert missing.status_code == 400
    assert "Ange organisationens namn." in text_of(missing.text)

    done = post_form(browser, tool_url, page, organisation_name="Region Västerbotten")

    assert done.status_code == 200, done.text
    [registration] = registrations(db)
    assert registration.organisation.slug == "region-vasterbotten"
    assert registration.organisation.name == "Region Västerbotten"


def test_a_used_invitation_is_refused(invite, moodle, browser, other_browser, tool_url, db):
    link = invite()
    page = browser.get(moodle.start_registration(link))
    assert post_form(browser, tool_url, page).status_code == 200

    # The same link again, from a new registration in Moodle (a new registration token).
    refused(other_browser.get(moodle.start_registration(link)), 403, "invitation_used")
    assert len(registrations(db)) == 1


def test_an_invitation_used_between_page_and_post_is_refused(
    invite, moodle, browser, other_browser, tool_url, db
):
    link = invite()
    first = browser.get(moodle.start_registration(link))
    second = other_browser.get(moodle.start_registration(link))
    assert post_form(browser, tool_url, first).status_code == 200

    refused(post_form(other_browser, tool_url, second), 403, "invitation_used")
    assert len(registrations(db)) == 1


def test_an_expired_invitation_is_refused(invite, moodle, browser, db):
    link = invite()
    db.execute(update(RegistrationInvitation).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()

    refused(browser.get(moodle.start_registration(link)), 403, "invitation_expired")
    assert moodle.configuration_requests == []  # nothing fetched for a refused invitation


def test_an_unknown_invitation_is_refused(moodle, browser, tool_url):
    url = moodle.start_registration(tool_url + "/lti/register?invitation=guessed")

    refused(browser.get(url), 403, "invitation_unknown")
    assert moodle.configuration_requests == []


# --- with the admin secret ---------------------------------------------------------------------


def test_the_owner_registers_with_the_admin_secret_into_a_new_organisation(
    admin_secret, moodle, browser, tool_url, db
):
    db.add(Organisation(slug="lulea", name="Luleå kommun"))
    db.commit()
    page = browser.get(moodle.start_registration(tool_url + "/lti/register"))

    assert page.status_code == 200, page.text
    assert 'type="password"' in page.text
    assert moodle.url in text_of(page.text)
    # Before the secret: nothing fetched, and no organisation's name shown to anyone.
    assert moodle.configuration_requests == []
    assert "Luleå kommun" not in page.text

    wrong = post_form(browser, tool_url, page, admin_secret="not-the-secret")
    assert wrong.status_code == 403
    assert "Admin-hemligheten är inte rätt." in text_of(wrong.text)
    assert moodle.configuration_requests == []

    choose = post_form(browser, tool_url, page, admin_secret=admin_secret)
    assert choose.status_code == 200, choose.text
    assert "Luleå kommun" in choose.text  # now the organisations may be listed
    assert "Moodle 4.5.6" in text_of(choose.text)

    no_name = post_form(browser, tool_url, choose, organisation="new")
    assert no_name.status_code == 400
    done = post_form(browser, tool_url, choose, organisation="new", organisation_name="Umeå kommun")

    assert done.status_code == 200, done.text
    [registration] = registrations(db)
    assert registration.organisation.slug == "umea-kommun"
    assert registration.client_id in moodle.tools


def test_the_owner_registers_into_an_existing_organisation(
    admin_secret, moodle, browser, tool_url, db
):
    lulea = Organisation(slug="lulea", name="Luleå kommun")
    db.add(lulea)
    db.commit()
    page = browser.get(moodle.start_registration(tool_url + "/lti/register"))
    choose = post_form(browser, tool_url, page, admin_secret=admin_secret)

    done = post_form(browser, tool_url, choose, organisation=str(lulea.id))

    assert done.status_code == 200, done.text
    assert "Luleå kommun" in text_of(done.text)
    [registration] = registrations(db)
    assert registration.organisation_id == lulea.id
    assert db.scalar(select(func.count()).select_from(Organisation)) == 1


def test_a_stranger_cannot_register(admin_secret, moodle, browser, tool_url, db):
    page = browser.get(moodle.start_registration(tool_url + "/lti/register"))

    # Skipping the secret step, or typing a wrong secret, gets nowhere.
    refused(post_form(browser, tool_url, page, step="register"), 403, "not_authorised")
    assert post_form(browser, tool_url, page, admin_secret="guess").status_code == 403
    assert post_form(browser, tool_url, page, admin_secret="").status_code == 403

    assert registrations(db) == []
    assert moodle.registration_requests == [] and moodle.configuration_requests == []


def test_without_an_admin_secret_only_invitations_register(moodle, browser, tool_url, db):
    refused(
        browser.get(moodle.start_registration(tool_url + "/lti/register")),
        403,
        "invitation_required",
    )
    assert registrations(db) == [] and moodle.configuration_requests == []


def test_the_secret_step_is_bound_to_its_registration(admin_secret, moodle, browser, tool_url, db):
    first = browser.get(moodle.start_registration(tool_url + "/lti/register"))
    post_form(browser, tool_url, first, admin_secret=admin_secret)
    # Another registration URL in the same browser: the secret must be typed again.
    second = browser.get(moodle.start_registration(tool_url + "/lti/register"))

    refused(post_form(browser, tool_url, second, step="register"), 403, "not_authorised")
    assert registrations(db) == []


# --- the signed form token that replaces the cookie ---------------------------------------------


def test_a_form_posted_without_its_token_is_refused_and_nothing_is_registered(
    invite, moodle, browser, tool_url, db
):
    page = browser.get(moodle.start_registration(invite()))

    refused(post_form(browser, tool_url, page, registration_form=""), 403, "form_invalid")
    refused(
        post_form(browser, tool_url, page, registration_form="forged.token"), 403, "form_invalid"
    )

    assert registrations(db) == [] and moodle.registration_requests == []


def test_a_form_of_another_registration_is_refused(invite, moodle, browser, tool_url, db):
    """Another site cannot post a registration: it never saw this registration's page."""
    first = browser.get(moodle.start_registration(invite()))
    second = browser.get(moodle.start_registration(invite(organisation="lulea", name="Luleå")))
    stolen = form_fields(first.text)["registration_form"]

    refused(post_form(browser, tool_url, second, registration_form=stolen), 403, "form_invalid")

    assert registrations(db) == [] and moodle.registration_requests == []


def test_the_registration_pages_set_no_cookie_they_need(invite, moodle, tool_url):
    """Whatever cookie a browser drops, the forms work: each carries what the next step needs."""
    import requests

    from tests.lti_tool.test_launch_in_iframe import _NoCookies

    cookieless = requests.Session()
    cookieless.cookies.set_policy(_NoCookies())
    page = cookieless.get(moodle.start_registration(invite()))

    done = post_form(cookieless, tool_url, page)

    assert done.status_code == 200, done.text
    assert "Lärplattformen är registrerad" in text_of(done.text)
    assert not cookieless.cookies
