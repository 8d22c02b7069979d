"""Admin pages: who sees which registrations, switching them on and off, invitations."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lti import claims as c
from lti import dynamic_registration as dynreg
from storage import (
    Delivery,
    DeliveryStatus,
    Organisation,
    PlatformRegistration,
    RegistrationInvitation,
)
from tests.support.admin import ADMIN_SECRET
from tests.support.browsing import form_fields, text_of
from tests.support.platforms import TestPlatform
from tests.support.registration_platform import RegistrationPlatform

ADMINISTRATOR = [
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
]
INSTRUCTOR = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
LEARNER = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]


def sign_in(browser, tool_url, secret=ADMIN_SECRET):
    page = browser.get(tool_url + "/admin/login")
    return browser.post(
        tool_url + "/admin/login", data={**form_fields(page.text), "admin_secret": secret}
    )


def launch_as(platform: TestPlatform, browser, roles: list[str]):
    response = platform.launch(browser, **{c.ROLES: roles})
    assert response.status_code == 200, response.text
    return response


def listed_issuers(page) -> list[str]:
    return re.findall(r'data-issuer="([^"]+)"', page.text)


def toggle(browser, tool_url, page, registration_id: int):
    form = re.search(
        rf'<form method="post" action="/admin/registrations/{registration_id}/enabled">'
        r"(.*?)</form>",
        page.text,
        re.S,
    )
    assert form, f"no switch for registration {registration_id}"
    return browser.post(
        tool_url + f"/admin/registrations/{registration_id}/enabled",
        data=form_fields(form.group(1)),
    )


def registration_id(db, issuer: str) -> int:
    return db.scalar(select(PlatformRegistration.id).where(PlatformRegistration.issuer == issuer))


# --- who may see what ---------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(admin_secret, browser, tool_url, platform, db):
    response = browser.get(tool_url + "/admin/", allow_redirects=False)

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/login")
    page = browser.get(tool_url + "/admin/login")
    fields = form_fields(page.text)
    posted = browser.post(
        tool_url + f"/admin/registrations/{registration_id(db, platform.issuer)}/enabled",
        data={**fields, "enabled": "0"},
    )
    assert posted.status_code == 401
    assert db.get(PlatformRegistration, registration_id(db, platform.issuer)).enabled


def test_the_owner_sees_every_organisation(admin_secret, browser, tool_url, platform, platform_b):
    signed_in = sign_in(browser, tool_url)

    assert signed_in.status_code == 200
    assert signed_in.url == tool_url + "/admin/"
    assert sorted(listed_issuers(signed_in)) == sorted([platform.issuer, platform_b.issuer])
    text = text_of(signed_in.text)
    assert "Testkommunen" in text and "Kommun B" in text
    assert "Bjud in en lärplattform" in text


@pytest.mark.parametrize("roles", [LEARNER, INSTRUCTOR], ids=["learner", "teacher"])
def test_learners_and_teachers_may_not_enter(admin_secret, browser, tool_url, platform, roles, db):
    landing = launch_as(platform, browser, roles)

    assert 'data-testid="admin-link"' not in landing.text

    assert browser.get(tool_url + "/admin/").status_code == 403
    fields = form_fields(browser.get(tool_url + "/admin/login").text)
    posted = browser.post(
        tool_url + f"/admin/registrations/{registration_id(db, platform.issuer)}/enabled",
        data={**fields, "enabled": "0"},
    )
    assert posted.status_code == 403


def test_a_moodle_administrator_sees_only_their_organisation(
    browser, tool_url, platform, platform_b, db
):
    landing = launch_as(platform, browser, ADMINISTRATOR)
    assert 'data-testid="admin-link"' in landing.text

    page = browser.get(tool_url + "/admin/")

    assert page.status_code == 200, page.text
    assert listed_issuers(page) == [platform.issuer]
    text = text_of(page.text)
    assert "Kommun B" not in text
    assert "Testkommunen" in text
    assert "Bjud in" not in text  # inviting is the owner's
    fields = form_fields(page.text)
    assert browser.post(tool_url + "/admin/invitations", data=fields).status_code == 403
    # Another organisation's registration cannot be switched, or even found.
    other = registration_id(db, platform_b.issuer)
    posted = browser.post(
        tool_url + f"/admin/registrations/{other}/enabled", data={**fields, "enabled": "0"}
    )
    assert posted.status_code == 404
    db.expire_all()
    assert db.get(PlatformRegistration, other).enabled


def test_the_admin_pages_need_the_csrf_token(admin_secret, browser, tool_url, platform, db):
    sign_in(browser, tool_url)

    posted = browser.post(
        tool_url + f"/admin/registrations/{registration_id(db, platform.issuer)}/enabled",
        data={"enabled": "0"},
    )

    assert posted.status_code == 400
    db.expire_all()
    assert db.get(PlatformRegistration, registration_id(db, platform.issuer)).enabled


def test_a_wrong_secret_does_not_sign_in_and_signing_out_ends_it(admin_secret, browser, tool_url):
    wrong = sign_in(browser, tool_url, secret="not-it")
    assert wrong.status_code == 403
    assert "Admin-hemligheten är inte rätt." in text_of(wrong.text)
    assert browser.get(tool_url + "/admin/", allow_redirects=False).status_code == 302

    page = sign_in(browser, tool_url)
    assert page.status_code == 200
    signed_out = browser.post(tool_url + "/admin/logout", data=form_fields(page.text))

    assert signed_out.url == tool_url + "/admin/login"
    assert browser.get(tool_url + "/admin/", allow_redirects=False).status_code == 302


def test_changing_the_admin_secret_signs_the_owner_out(admin_secret, app, browser, tool_url):
    sign_in(browser, tool_url)
    app.config["SETTINGS"] = replace(app.config["SETTINGS"], admin_secret="x" * 40)

    assert browser.get(tool_url + "/admin/", allow_redirects=False).status_code == 302


def test_without_an_admin_secret_nobody_signs_in(browser, tool_url):
    page = browser.get(tool_url + "/admin/login")

    assert page.status_code == 404
    assert "avstängd" in text_of(page.text)
    assert 'type="password"' not in page.text


# --- switching a platform off and on -------------------------------------------------------------


def test_a_switched_off_platform_cannot_launch_or_frame_the_tool(
    admin_secret, browser, other_browser, tool_url, platform, platform_b, db
):
    page = sign_in(browser, tool_url)
    target = registration_id(db, platform_b.issuer)

    switched = toggle(browser, tool_url, page, target)

    assert switched.status_code == 200
    assert "är avstängd" in text_of(switched.text)
    db.expire_all()
    assert not db.get(PlatformRegistration, target).enabled
    refused = platform_b.start_login(other_browser)
    assert refused.status_code == 403
    assert refused.json()["error"] == "registration_disabled"
    ancestors = other_browser.get(tool_url + "/").headers["Content-Security-Policy"]
    assert platform_b.issuer not in ancestors and platform.issuer in ancestors
    assert platform.launch(other_browser).status_code == 200  # the other one is untouched

    switched_on = toggle(browser, tool_url, switched, target)

    assert "är påslagen" in text_of(switched_on.text)
    assert platform_b.launch(other_browser).status_code == 200
    assert platform_b.issuer in other_browser.get(tool_url + "/").headers["Content-Security-Policy"]


def test_a_moodle_administrator_switches_their_own_platform(
    browser, other_browser, tool_url, platform, db
):
    launch_as(platform, browser, ADMINISTRATOR)
    page = browser.get(tool_url + "/admin/")

    switched = toggle(browser, tool_url, page, registration_id(db, platform.issuer))

    assert switched.status_code == 200
    refused = platform.start_login(other_browser)
    assert refused.status_code == 403
    assert refused.json()["error"] == "registration_disabled"


def test_the_list_shows_deployments_last_launch_and_last_error(
    admin_secret, browser, other_browser, tool_url, platform, db
):
    platform.launch(other_browser)
    auth = platform.login(other_browser)
    platform.post_launch(
        other_browser, platform.sign(platform.claims("wrong-nonce")), auth["state"]
    )

    page = sign_in(browser, tool_url)

    row = re.search(r'<tr data-testid="registration-\d+".*?</tr>', page.text, re.S).group(0)
    text = text_of(row)
    assert platform.client_id in text and platform.deployment_id in text
    assert re.search(r'data-testid="last-grade">Aldrig<', row)  # no grade sent yet
    assert text.count("Aldrig") == 1  # but it has launched
    assert "nonce_mismatch" in text
    assert "På" in text


def test_the_list_shows_when_a_grade_last_reached_the_platform(
    admin_secret, browser, tool_url, platform, db
):
    """How a Moodle administrator sees that grades flow (README: Connecting a Moodle site)."""
    registration = db.scalar(select(PlatformRegistration))
    other = PlatformRegistration(
        organisation=registration.organisation,
        issuer="https://other.example",
        client_id="other",
        auth_login_url="https://other.example/auth",
        auth_token_url="https://other.example/token",
        key_set_url="https://other.example/jwks",
    )
    db.add(other)
    db.flush()
    sent = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
    for key, status, delivered_at, registration_id in (
        ("attempt:1", DeliveryStatus.DELIVERED, sent - timedelta(days=1), registration.id),
        ("attempt:2", DeliveryStatus.DELIVERED, sent, registration.id),
        ("attempt:3", DeliveryStatus.PENDING, None, registration.id),  # not sent yet
        ("attempt:4", DeliveryStatus.DELIVERED, sent + timedelta(days=1), other.id),
    ):
        db.add(
            Delivery(
                target="ags.score",
                key=key,
                payload={"registration_id": registration_id, "score": {}},
                status=status,
                delivered_at=delivered_at,
            )
        )
    db.commit()

    page = sign_in(browser, tool_url)

    cells = dict(
        re.findall(
            r'data-testid="registration-(\d+)".*?data-testid="last-grade">(.*?)</td>',
            page.text,
            re.S,
        )
    )
    # Read in Swedish time (UTC+1 in winter), as people write dates; the machine-readable
    # time stays UTC.
    assert "30 nov. 2026 10:15" in cells[str(registration.id)]
    assert 'datetime="2026-11-30T09:15:00Z"' in cells[str(registration.id)]
    assert "1 dec. 2026 10:15" in cells[str(other.id)]


# --- invitations ---------------------------------------------------------------------------------


def test_the_owner_invites_a_platform_and_the_link_registers_it(
    admin_secret, browser, other_browser, tool_url, db
):
    moodle = RegistrationPlatform()
    try:
        page = sign_in(browser, tool_url)
        fields = form_fields(page.text)
        missing = browser.post(
            tool_url + "/admin/invitations", data={**fields, "organisation": "new", "days": "7"}
        )
        assert missing.status_code == 400
        too_long = browser.post(
            tool_url + "/admin/invitations",
            data={**fields, "organisation_name": "Skellefteå kommun", "days": "365"},
        )
        assert too_long.status_code == 400

        created = browser.post(
            tool_url + "/admin/invitations",
            data={
                **fields,
                "organisation": "new",
                "organisation_name": "Skellefteå kommun",
                "days": "7",
            },
        )

        assert created.status_code == 200, created.text
        assert created.headers["Cache-Control"] == "no-store"
        link = re.search(r'id="invitation-url" type="text" readonly value="([^"]+)"', created.text)
        link = html.unescape(link.group(1))
        assert link.startswith(tool_url + "/lti/register?invitation=")
        invitation = db.scalars(select(RegistrationInvitation)).one()
        assert invitation.token_hash == dynreg.token_hash(link.split("invitation=")[1])
        organisation = db.get(Organisation, invitation.organisation_id)
        assert organisation.name == "Skellefteå kommun"
        # The list page never shows the link again.
        assert link not in browser.get(tool_url + "/admin/").text

        confirm = other_browser.get(moodle.start_registration(link))
        assert "Skellefteå kommun" in text_of(confirm.text)
        done = other_browser.post(tool_url + "/lti/register", data=form_fields(confirm.text))
        assert done.status_code == 200, done.text
        assert listed_issuers(browser.get(tool_url + "/admin/")) == [moodle.url]
    finally:
        moodle.stop()


def test_an_invitation_for_an_existing_organisation(admin_secret, browser, tool_url, platform, db):
    page = sign_in(browser, tool_url)
    organisation_id = db.scalar(select(Organisation.id).where(Organisation.slug == "test-org"))

    created = browser.post(
        tool_url + "/admin/invitations",
        data={**form_fields(page.text), "organisation": str(organisation_id), "days": "1"},
    )

    assert created.status_code == 200
    assert "Testkommunen" in text_of(created.text)
    assert db.scalars(select(RegistrationInvitation)).one().organisation_id == organisation_id
