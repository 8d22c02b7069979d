"""LTI Dynamic Registration against a Moodle 4.5 double built from the recorded exchange.

A platform registers through an invitation link or with the admin secret; the stored
registration then accepts a launch signed by that platform.  Strangers, replays, expired or
used invitations, wrong secrets and bad configurations are refused with a 4xx page.
"""

from __future__ import annotations

import json
import re
import socket
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from lti import dynamic_registration as dynreg
from lti import registration_store
from lti_tool.cli import cli
from storage import (
    AuditEvent,
    Deployment,
    Organisation,
    PlatformRegistration,
    RegistrationInvitation,
    UsedRegistrationToken,
    utcnow,
)
from tests.support.browsing import form_fields, text_of
from tests.support.platforms import TestPlatform
from tests.support.registration_platform import TOOL_CONFIGURATION, RegistrationPlatform

ADMIN_SECRET = "the-owners-admin-secret-0123456789abcdef"
SCOPES = {
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
}


@pytest.fixture
def moodle():
    platform = RegistrationPlatform()
    yield platform
    platform.stop()


@pytest.fixture
def admin_secret(app):
    """The instance has an admin secret (the test settings have none)."""
    original = app.config["SETTINGS"]
    app.config["SETTINGS"] = replace(original, admin_secret=ADMIN_SECRET)
    yield ADMIN_SECRET
    app.config["SETTINGS"] = original


@pytest.fixture
def invite(app, settings, tool_url):
    """`kompetenslyft platform invite` as the operator runs it; returns the printed link."""

    def run(*args: str, organisation: str = "umea", name: str | None = "Umeå kommun") -> str:
        env = {
            "KOMPETENSLYFT_MODE": "development",
            "KOMPETENSLYFT_DATABASE_URL": settings.database_url,
            "KOMPETENSLYFT_INSTANCE_PATH": str(settings.instance_path),
            "KOMPETENSLYFT_PUBLIC_URL": tool_url,
        }
        options = ["--organisation", organisation, *(["--organisation-name", name] if name else [])]
        result = CliRunner().invoke(
            cli, ["platform", "invite", *options, *args], env=env, catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        return result.stdout.strip()

    return run


def refused(response, status: int, reason: str) -> None:
    assert response.status_code == status, response.text
    assert re.search(rf'data-testid="reason">{reason}<', response.text), text_of(response.text)


def frame_ancestors(response) -> list[str]:
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    return policy["frame-ancestors"].split()


def post_form(browser, tool_url: str, page, **changes):
    fields = {**form_fields(page.text), **changes}
    return browser.post(tool_url + "/lti/register", data=fields)


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["registration_token"][0]


def registrations(db) -> list[PlatformRegistration]:
    db.expire_all()
    return db.scalars(select(PlatformRegistration).order_by(PlatformRegistration.id)).all()


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


def test_an_expired_registration_form_is_refused():
    carried = {"openid_configuration": "https://moodle.example/c", "registration_token": "t"}
    token = dynreg.form_token("secret", carried, authorised=True)

    assert dynreg.check_form_token("secret", token, carried) is True
    with pytest.raises(dynreg.RegistrationRefused) as expired:
        dynreg.check_form_token("secret", token, carried, max_age=-1)
    assert expired.value.reason == "form_expired"
    with pytest.raises(dynreg.RegistrationRefused) as other_key:
        dynreg.check_form_token("another instance", token, carried)
    assert other_key.value.reason == "form_invalid"


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


def test_a_token_spent_by_a_concurrent_registration_is_refused_at_commit(app, database, moodle, db):
    """Both requests passed the early check; the unique token hash decides, in one transaction."""
    configuration = dynreg.PlatformConfiguration(
        url=moodle.configuration_url,
        issuer=moodle.url,
        authorization_endpoint=moodle.url + "/mod/lti/auth.php",
        token_endpoint=moodle.url + "/mod/lti/token.php",
        jwks_uri=moodle.url + "/mod/lti/certs.php",
        registration_endpoint=moodle.url + "/mod/lti/openid-registration.php",
    )
    organisation = Organisation(slug="umea", name="Umeå kommun")
    db.add(organisation)
    db.commit()

    def store(session, client_id: str) -> None:
        registration_store.store_registration(
            session,
            organisation=session.get(Organisation, organisation.id),
            configuration=configuration,
            result=dynreg.RegistrationResult(client_id=client_id, deployment_id="5", document={}),
            registration_token="the-same-token",
        )

    with database.transaction() as first:
        store(first, "client-one")
    with database.sessions() as second, pytest.raises(dynreg.RegistrationRefused) as error:
        store(second, "client-two")

    assert error.value.reason == "registration_token_used"
    assert [r.client_id for r in registrations(db)] == ["client-one"]
    assert db.scalar(select(func.count()).select_from(Deployment)) == 1


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


def test_a_configuration_that_is_not_json_is_refused(invite, moodle, browser):
    moodle.configuration_body = b"<html><body>Moodle says hello</body></html>"

    refused(browser.get(moodle.start_registration(invite())), 400, "configuration_invalid")


def test_a_configuration_without_a_registration_endpoint_is_refused(invite, moodle, browser):
    document = moodle.configuration()
    del document["registration_endpoint"]
    moodle.configuration_body = json.dumps(document).encode()

    refused(browser.get(moodle.start_registration(invite())), 400, "configuration_invalid")


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
