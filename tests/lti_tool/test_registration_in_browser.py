"""Registration and admin pages in a real browser: inside Moodle's iframe, and axe-clean in both
languages."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lti import registration_invitations as invitations
from lti.platforms import NewOrganisation
from lti_tool.dev_platform.platform import ORGANISATION_NAME as DEV_ORGANISATION
from storage import (
    Delivery,
    DeliveryStatus,
    LrsEndpoint,
    Organisation,
    PlatformRegistration,
    SyncTarget,
)
from tests.support.accessibility import CHROMIUM, CHROMIUM_ARGS, assert_accessible
from tests.support.registration_platform import RegistrationPlatform

ADMIN_SECRET = "the-owners-admin-secret-0123456789abcdef"
TEXT = {
    "register": {"sv": "Registrera en lärplattform", "en": "Register a learning platform"},
    "done": {"sv": "Lärplattformen är registrerad", "en": "The learning platform is registered"},
    "updated": {"sv": "Registreringen uppdaterades", "en": "The registration was updated"},
    "refused": {
        "sv": "Registreringen gick inte att genomföra",
        "en": "The registration did not work",
    },
    "sign in": {"sv": "Logga in till administrationen", "en": "Sign in to administration"},
    "platforms": {"sv": "Lärplattformar", "en": "Learning platforms"},
    "invitation": {"sv": "Inbjudningslänk", "en": "Invitation link"},
    "wrong secret": {
        "sv": "Admin-hemligheten är inte rätt.",
        "en": "The admin secret is not correct.",
    },
}


@pytest.fixture
def moodle():
    platform = RegistrationPlatform()
    yield platform
    platform.stop()


@pytest.fixture
def admin_secret(app):
    original = app.config["SETTINGS"]
    app.config["SETTINGS"] = replace(original, admin_secret=ADMIN_SECRET)
    yield ADMIN_SECRET
    app.config["SETTINGS"] = original


@pytest.fixture
def invitation_link(app, database, tool_url) -> str:
    with database.sessions() as session:
        invited = invitations.invite_platform(session, NewOrganisation("Umeå kommun", "umea"))
    return invitations.invitation_url(tool_url, invited.token)


def heading(page):
    return page.get_by_role("heading", level=1)


def with_language(url: str, lang: str) -> str:
    if lang == "sv":
        return url
    return url + ("&" if "?" in url else "?") + "lang=" + lang


@pytest.fixture
def strict_page(chromium, tool_url):
    """A tab that enforces the tool's Content-Security-Policy (frame-ancestors included)."""
    context = chromium.new_context(locale="sv-SE")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_moodle_opens_the_registration_in_its_iframe_and_is_told_to_close_it(
    strict_page, moodle, invitation_link, tool_url
):
    """As in Moodle's Manage tools: the tool's pages run framed by the not yet registered site."""
    page = strict_page
    page.goto(f"{moodle.url}/admin/tool/lti/manage.php?url={quote(invitation_link, safe='')}")
    frame = page.frame_locator("#registration")
    expect(frame.get_by_role("heading", level=1)).to_have_text(TEXT["register"]["sv"])
    expect(frame.get_by_test_id("organisation")).to_contain_text("Umeå kommun")

    frame.get_by_test_id("register").click()

    expect(frame.get_by_role("heading", level=1)).to_have_text(TEXT["done"]["sv"])
    expect(frame.get_by_test_id("activate")).to_contain_text("Manage tools")
    expect(page.locator("#closed")).to_have_text("open")  # the admin reads the page first
    frame.get_by_test_id("close").click()
    expect(page.locator("#closed")).to_have_text("closed")
    assert [tool["state"] for tool in moodle.tools.values()] == ["pending"]


# --- Moodle on another site, third-party cookies blocked -----------------------------------------


@pytest.fixture(scope="module")
def cookie_blocking_chromium(chromium):
    """Chromium as it ships to people now: third-party cookies blocked (the phase-out)."""
    browser = chromium.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, "--test-third-party-cookie-phaseout"],
    )
    yield browser
    browser.close()


@pytest.fixture
def cross_site_page(cookie_blocking_chromium):
    context = cookie_blocking_chromium.new_context(locale="sv-SE")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def moodle_elsewhere():
    """Moodle at http://localhost:<port>, the tool at http://127.0.0.1:<port>: two sites."""
    platform = RegistrationPlatform(host="localhost")
    yield platform
    platform.stop()


def tool_cookies(page, tool_url: str) -> list[dict]:
    return [c for c in page.context.cookies() if c["domain"] == urlsplit(tool_url).hostname]


def test_a_third_party_cookie_of_the_tool_is_really_blocked(
    cross_site_page, moodle_elsewhere, invitation_link, tool_url
):
    """The premise of the tests below: inside Moodle's iframe the tool's cookie is not kept,
    while the same page opened on its own keeps it."""
    page = cross_site_page
    page.goto(f"{moodle_elsewhere.url}/admin/tool/lti/manage.php?url={quote(invitation_link)}")
    expect(page.frame_locator("#registration").locator("h1")).to_have_text(TEXT["register"]["sv"])
    assert tool_cookies(page, tool_url) == []

    page.goto(moodle_elsewhere.start_registration(invitation_link))  # first-party now
    expect(heading(page)).to_have_text(TEXT["register"]["sv"])
    assert tool_cookies(page, tool_url) != []


def test_an_invited_moodle_on_another_site_registers_inside_its_iframe(
    cross_site_page, moodle_elsewhere, invitation_link, tool_url, db
):
    """Issue 17: this was "Fel 400 – Formuläret hade gått ut" (the form needed the cookie)."""
    page = cross_site_page
    page.goto(f"{moodle_elsewhere.url}/admin/tool/lti/manage.php?url={quote(invitation_link)}")
    frame = page.frame_locator("#registration")
    expect(frame.get_by_role("heading", level=1)).to_have_text(TEXT["register"]["sv"])

    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        frame.get_by_test_id("register").click()

    assert posted.value.status == 200, (posted.value.status, posted.value.url)
    expect(frame.get_by_role("heading", level=1)).to_have_text(TEXT["done"]["sv"])
    assert tool_cookies(page, tool_url) == []  # it all ran without the tool's cookie
    assert [tool["state"] for tool in moodle_elsewhere.tools.values()] == ["pending"]
    [registration] = db.scalars(select(PlatformRegistration)).all()
    assert registration.issuer == moodle_elsewhere.url


def test_the_owner_on_another_site_registers_with_the_admin_secret_inside_the_iframe(
    cross_site_page, moodle_elsewhere, admin_secret, tool_url, db
):
    """Both steps: the secret, then the organisation, with no cookie to remember the first."""
    page = cross_site_page
    registration_url = quote(tool_url + "/lti/register", safe="")
    page.goto(f"{moodle_elsewhere.url}/admin/tool/lti/manage.php?url={registration_url}")
    frame = page.frame_locator("#registration")
    frame.get_by_label("Admin-hemlighet").fill(admin_secret)
    frame.get_by_test_id("continue").click()
    frame.get_by_label("Den nya organisationens namn").fill("Umeå kommun")

    frame.get_by_test_id("register").click()

    expect(frame.get_by_role("heading", level=1)).to_have_text(TEXT["done"]["sv"])
    assert tool_cookies(page, tool_url) == []
    [registration] = db.scalars(select(PlatformRegistration)).all()
    assert registration.organisation.name == "Umeå kommun"


def test_the_close_button_is_hidden_outside_a_platform(page, moodle, invitation_link):
    page.goto(moodle.start_registration(invitation_link))
    page.get_by_test_id("register").click()

    expect(heading(page)).to_have_text(TEXT["done"]["sv"])
    expect(page.get_by_test_id("close")).to_be_hidden()


# --- every page passes axe-core, in Swedish and in English ---------------------------------------


def open_invitation_confirm(page, tool_url, lang, moodle, link):
    page.goto(with_language(moodle.start_registration(link), lang))
    expect(heading(page)).to_have_text(TEXT["register"][lang])
    expect(page.get_by_test_id("platform-issuer")).to_have_text(moodle.url)


def open_invitation_instructions(page, tool_url, lang, moodle, link):
    page.goto(with_language(link, lang))
    expect(heading(page)).to_have_text(TEXT["register"][lang])
    expect(page.get_by_test_id("organisation")).to_contain_text("Umeå kommun")


def open_done(page, tool_url, lang, moodle, link):
    open_invitation_confirm(page, tool_url, lang, moodle, link)
    page.get_by_test_id("register").click()
    expect(heading(page)).to_have_text(TEXT["done"][lang])


def open_update_confirm(page, tool_url, lang, moodle, link):
    """Moodle's "Update" on the registered tool, the same invitation link pasted again."""
    open_done(page, tool_url, lang, moodle, link)
    [client_id] = moodle.tools
    page.goto(with_language(moodle.start_update(link, client_id), lang))
    expect(page.get_by_test_id("updating")).to_contain_text("Umeå kommun")


def open_update_done(page, tool_url, lang, moodle, link):
    open_update_confirm(page, tool_url, lang, moodle, link)
    page.get_by_test_id("register").click()
    expect(heading(page)).to_have_text(TEXT["updated"][lang])


def open_refused(page, tool_url, lang, moodle, link):
    response = page.goto(
        with_language(moodle.start_registration(tool_url + "/lti/register?invitation=x"), lang)
    )
    assert response.status == 403
    expect(heading(page)).to_have_text(TEXT["refused"][lang])
    expect(page.get_by_test_id("reason")).to_have_text("invitation_unknown")


def open_secret_form(page, tool_url, lang, moodle, link):
    page.goto(with_language(moodle.start_registration(tool_url + "/lti/register"), lang))
    expect(heading(page)).to_have_text(TEXT["register"][lang])


def open_wrong_secret(page, tool_url, lang, moodle, link):
    open_secret_form(page, tool_url, lang, moodle, link)
    page.locator("#admin_secret").fill("wrong")
    page.get_by_test_id("continue").click()
    expect(page.get_by_test_id("error")).to_have_text(TEXT["wrong secret"][lang])


def open_organisation_choice(page, tool_url, lang, moodle, link):
    open_secret_form(page, tool_url, lang, moodle, link)
    page.locator("#admin_secret").fill(ADMIN_SECRET)
    page.get_by_test_id("continue").click()
    expect(page.locator("#organisation")).to_contain_text("Umeå kommun")


def open_sign_in(page, tool_url, lang, moodle, link):
    page.goto(with_language(tool_url + "/admin/login", lang))
    expect(heading(page)).to_have_text(TEXT["sign in"][lang])


def open_sign_in_error(page, tool_url, lang, moodle, link):
    open_sign_in(page, tool_url, lang, moodle, link)
    page.locator("#admin_secret").fill("wrong")
    page.get_by_test_id("sign-in").click()
    expect(page.get_by_test_id("error")).to_have_text(TEXT["wrong secret"][lang])


def open_owner_list(page, tool_url, lang, moodle, link):
    open_done(page, tool_url, lang, moodle, link)  # so the list has a registration in it
    open_sign_in(page, tool_url, lang, moodle, link)
    page.locator("#admin_secret").fill(ADMIN_SECRET)
    page.get_by_test_id("sign-in").click()
    expect(heading(page)).to_have_text(TEXT["platforms"][lang])
    expect(page.get_by_test_id("registrations")).to_contain_text(moodle.url)


def open_switched_off_list(page, tool_url, lang, moodle, link):
    open_owner_list(page, tool_url, lang, moodle, link)
    page.get_by_test_id("disable").click()
    expect(page.get_by_test_id("status")).to_be_visible()
    expect(page.get_by_test_id("enable")).to_be_visible()


def open_invitation_created(page, tool_url, lang, moodle, link):
    open_owner_list(page, tool_url, lang, moodle, link)
    page.locator("#organisation_name").fill("Skellefteå kommun")
    page.get_by_test_id("invite").click()
    expect(heading(page)).to_have_text(TEXT["invitation"][lang])
    link = page.get_by_test_id("invitation-url").input_value()
    assert link.startswith(tool_url + "/lti/register?invitation=")


def open_administrator_list(page, tool_url, lang, moodle, link):
    """A Moodle site administrator (the dev platform's) launches, then opens administration."""
    page.goto(with_language(f"{tool_url}/dev-platform/", lang))
    page.get_by_test_id("launch-administrator").click()
    page.wait_for_url(f"{tool_url}/")
    page.get_by_test_id("admin-link").click()  # inside Moodle's iframe there is no address bar
    expect(heading(page)).to_have_text(TEXT["platforms"][lang])
    expect(page.get_by_test_id("viewer")).to_contain_text("Utvecklingskommunen")


def open_jobs_after_run_now(page, tool_url, lang, moodle, link):
    """The instance owner's scheduled jobs, after asking for one to run now."""
    open_owner_list(page, tool_url, lang, moodle, link)
    page.get_by_test_id("deliveries-link").click()
    page.get_by_test_id("jobs-link").click()
    expect(heading(page)).to_have_text({"sv": "Schemalagda jobb", "en": "Scheduled jobs"}[lang])
    page.locator('[data-job="hr-poll"] button').click()
    expect(page.get_by_test_id("status")).to_be_visible()
    expect(page.locator('[data-job="hr-poll"] [data-testid="requested"]')).to_be_visible()


PAGES = {
    "registration with an invitation": open_invitation_confirm,
    "invitation opened directly": open_invitation_instructions,
    "registration done": open_done,
    "update asked": open_update_confirm,
    "update done": open_update_done,
    "registration refused": open_refused,
    "admin secret": open_secret_form,
    "admin secret wrong": open_wrong_secret,
    "organisation choice": open_organisation_choice,
    "sign in": open_sign_in,
    "sign in wrong": open_sign_in_error,
    "owner's list": open_owner_list,
    "owner's list after switching off": open_switched_off_list,
    "invitation created": open_invitation_created,
    "administrator's list": open_administrator_list,
    "scheduled jobs": open_jobs_after_run_now,
}


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_accessibility_violations(
    page, tool_url, admin_secret, moodle, invitation_link, name, lang
):
    PAGES[name](page, tool_url, lang, moodle, invitation_link)

    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page)


def seed_every_queue(database) -> None:
    """The dev organisation's LRS, an HR target with records waiting, a failed delivery:
    every table the deliveries page has."""
    with database.transaction() as session:
        organisation = session.scalar(
            select(Organisation).where(Organisation.name == DEV_ORGANISATION)
        )
        target = SyncTarget(
            organisation_id=organisation.id,
            kind="hr_rest",
            name="Personec kompetensregister",
            settings={"url": "https://hr.example.se/api"},
            last_error="HTTP 503 from hr.example.se",
        )
        session.add(target)
        session.flush()
        session.add_all(
            [
                LrsEndpoint(
                    organisation_id=organisation.id,
                    endpoint="https://lrs.example.se/xAPI/",
                    last_error="HTTP 503",
                ),
                Delivery(
                    target="hr.rest",
                    key=f"{target.id}:1",
                    payload={"completion_event_id": 1, "sync_target_id": target.id},
                    organisation_id=organisation.id,
                ),
                Delivery(
                    target="hr.rest",
                    key=f"{target.id}:2",
                    payload={"completion_event_id": 2, "sync_target_id": target.id},
                    organisation_id=organisation.id,
                    status=DeliveryStatus.DEAD,
                    last_error="HR refused the record: unknown employee E00003",
                ),
            ]
        )


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_deliveries_page_with_every_table_has_no_accessibility_violations(
    page, tool_url, moodle, invitation_link, database, lang
):
    open_administrator_list(page, tool_url, lang, moodle, invitation_link)
    seed_every_queue(database)
    page.get_by_test_id("deliveries-link").click()
    expect(page.get_by_test_id("record-stores")).to_contain_text("https://lrs.example.se/xAPI/")
    expect(page.get_by_test_id("dead")).to_contain_text("unknown employee E00003")
    expect(page.get_by_test_id("jobs-link")).to_have_count(0)  # the instance owner's
    page.locator("[data-sync-target] button").click()
    expect(page.get_by_test_id("status")).to_be_visible()
    expect(page.get_by_test_id("sync-targets")).to_contain_text("Personec kompetensregister")

    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page)
