"""The look every page shares: Designsystemet served by the tool itself, the organisation's
name and colour in the header, the footer's accessibility statement and privacy notice
(readable without a launch, set per organisation), the favicon, checkboxes beside labels."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from lti import claims as c
from storage.organisation_profiles import (
    DEFAULT_COLOUR,
    ProfileRefused,
    checked_profile,
    contrast_with_white,
)
from tests.support.assessing import answer_all, csrf, start, submit
from tests.support.browsing import text_of

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "node_modules" / "@digdir" / "designsystemet-css"
VENDOR = ROOT / "lti_tool" / "static" / "vendor" / "designsystemet"
VENDORED = {
    "designsystemet.css": "dist/src/index.css",
    "theme.css": "dist/theme/designsystemet.css",
    "LICENSE": "LICENSE",
}
ADMINISTRATOR = [
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
]


# --- The design system is the installed npm package's, served by the tool -----------------


@pytest.mark.parametrize("vendored", VENDORED)
def test_the_vendored_design_system_is_the_pinned_packages_file_byte_for_byte(vendored):
    installed = PACKAGE / VENDORED[vendored]
    assert installed.is_file(), "run `make node-deps` (npm ci) to install Designsystemet"
    assert (VENDOR / vendored).read_bytes() == installed.read_bytes(), (
        f"{vendored} differs from the package: run `make vendor-design`"
    )


def test_the_vendored_version_is_the_one_package_lock_pins():
    lock = json.loads((ROOT / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/@digdir/designsystemet-css"]["version"]
    assert (VENDOR / "VERSION").read_text().strip() == pinned
    assert "MIT" in json.loads((PACKAGE / "package.json").read_text())["license"]
    assert "Permission is hereby granted" in (VENDOR / "LICENSE").read_text()


def test_pages_load_the_design_system_from_the_tool_itself(browser, tool_url):
    page = browser.get(tool_url + "/accessibility")
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.text)

    assert "/static/vendor/designsystemet/designsystemet.css" in stylesheets
    assert "/static/site.css" in stylesheets
    assert all(href.startswith("/") for href in stylesheets)  # no CDN
    for href in stylesheets:
        served = browser.get(tool_url + href)
        assert served.status_code == 200
        assert served.headers["Content-Type"].startswith("text/css")


def test_the_browser_gets_a_favicon_as_svg_and_as_ico(browser, tool_url):
    page = browser.get(tool_url + "/privacy").text

    assert 'rel="icon" href="/static/favicon.svg" type="image/svg+xml"' in page
    assert browser.get(tool_url + "/static/favicon.svg").text.startswith("<svg")
    ico = browser.get(tool_url + "/favicon.ico")
    assert ico.status_code == 200
    assert ico.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert browser.get(tool_url + "/static/favicon-32.png").content[:4] == b"\x89PNG"


# --- Header and navigation ---------------------------------------------------------------


def _launch(platform, browser, roles=None, **claims):
    claims.setdefault(c.LAUNCH_PRESENTATION, {"locale": "sv"})
    response = platform.launch(browser, **({c.ROLES: roles} if roles else {}), **claims)
    assert response.status_code == 200, response.text
    return response


def test_the_header_names_the_organisation_and_the_start_page_has_no_developer_table(
    platform, browser, tool_url
):
    page = _launch(platform, browser)

    assert 'data-testid="organisation-name">Testkommunen<' in page.text
    assert "<title>Välkommen – Testkommunen – Kompetenslyft</title>" in page.text
    text = text_of(page.text)
    assert "Din roll" not in text and "Aktivitet " not in text
    assert 'class="facts"' not in page.text.split('data-testid="where"')[0]


def test_the_navigation_lists_the_pages_the_persons_role_opens(platform, browser, tool_url):
    page = _launch(platform, browser, roles=ADMINISTRATOR)

    navigation = page.text.split('data-testid="site-nav"')[1].split("</nav>")[0]
    assert 'aria-label="Dina sidor"' in page.text
    for testid in ("nav-start", "nav-plan", "nav-programme", "nav-organisation", "admin-link"):
        assert f'data-testid="{testid}"' in navigation
    assert 'data-testid="nav-team"' not in navigation  # manages nobody
    assert 'aria-current="page">Start<' in navigation


def test_a_participant_is_offered_only_their_own_pages(platform, browser, tool_url):
    page = _launch(platform, browser)

    navigation = page.text.split('data-testid="site-nav"')[1].split("</nav>")[0]
    assert re.findall(r'data-testid="(nav-[a-z]+|admin-link)"', navigation) == [
        "nav-start",
        "nav-plan",
    ]


# --- Footer: the accessibility statement and the privacy notice --------------------------


def test_every_page_has_a_footer_linking_the_statement_and_the_privacy_notice(
    platform, browser, tool_url
):
    launched = _launch(platform, browser)
    stranger = requests.Session()

    for page in (launched, stranger.get(tool_url + "/"), stranger.get(tool_url + "/privacy")):
        footer = page.text.split('data-testid="site-footer"')[1]
        assert 'data-testid="accessibility-link"' in footer
        assert 'data-testid="privacy-link"' in footer
    footer = launched.text.split('data-testid="site-footer"')[1]
    assert 'href="/accessibility?org=test-org"' in footer
    assert 'href="/privacy?org=test-org"' in footer


def test_the_accessibility_statement_follows_diggs_structure_without_a_launch(
    platform, browser, tool_url
):
    stranger = requests.Session()
    page = stranger.get(tool_url + "/accessibility?org=test-org")

    assert page.status_code == 200
    text = text_of(page.text)
    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", page.text)
    assert headings == [
        "Hur tillgänglig är tjänsten?",
        "Vad är inte tillgängligt?",
        "Rapportera brister i tillgängligheten",
        "Tillsyn",
        "Hur vi har testat tjänsten",
    ]
    assert "Testkommunen står bakom webbtjänsten Kompetenslyft" in text
    assert "lagen (2018:1937) om tillgänglighet till digital offentlig service" in text
    assert "helt förenlig" in text and "WCAG 2.1 nivå AA" in text
    assert 'href="https://www.digg.se/tdosanmalan"' in page.text
    assert "Myndigheten för digital förvaltning (DIGG)" in text
    assert "Redogörelsen upprättades den 7 december 2026" in text
    english = text_of(stranger.get(tool_url + "/accessibility?org=test-org&lang=en").text)
    assert "Enforcement procedure" in english and "Report a shortcoming" in english


def test_the_privacy_notice_says_what_why_how_long_and_who_sees_without_a_launch(
    platform, browser, tool_url
):
    page = requests.Session().get(tool_url + "/privacy?org=test-org")

    assert page.status_code == 200
    text = text_of(page.text)
    for heading in ("Det här sparas", "Därför sparas det", "Så länge sparas det", "Vem ser vad"):
        assert heading in text
    assert "Personuppgiftsansvarig: Testkommunen." in text
    assert "Ditt svar på varje fråga: 365 dagar efter att du lämnat in." in text


# --- The organisation administrator sets colour, contact details and texts ----------------


def _pages_form(browser, tool_url, **fields):
    form = browser.get(tool_url + "/organisation/pages")
    assert form.status_code == 200
    data = {
        "csrf_token": csrf(form.text),
        "colour": "",
        "contact_email": "",
        "contact_phone": "",
        "shortcomings_sv": "",
        "shortcomings_en": "",
        "privacy_extra_sv": "",
        "privacy_extra_en": "",
        **fields,
    }
    return browser.post(tool_url + "/organisation/pages", data=data)


def test_an_administrator_sets_contact_details_and_texts_that_the_public_pages_show(
    platform, platform_b, browser, tool_url
):
    _launch(platform, browser, roles=ADMINISTRATOR)

    saved = _pages_form(
        browser,
        tool_url,
        colour="#7a1f5c",
        contact_email="tillganglighet@test.kommun.se",
        contact_phone="010-123 45 67",
        shortcomings_sv="Diagrammet över resultatet saknar textalternativ i PDF:en.",
        shortcomings_en="The result chart has no text alternative in the PDF.",
        privacy_extra_sv="Dataskyddsombudet nås på dso@test.kommun.se.",
    )

    assert saved.status_code == 200 and "Sparat." in text_of(saved.text)
    stranger = requests.Session()
    statement = text_of(stranger.get(tool_url + "/accessibility?org=test-org").text)
    assert "delvis förenlig" in statement
    assert "Diagrammet över resultatet saknar textalternativ i PDF:en." in statement
    assert "tillganglighet@test.kommun.se" in statement and "010-123 45 67" in statement
    assert "Redogörelsen sågs senast över den" in statement
    english = text_of(stranger.get(tool_url + "/accessibility?org=test-org&lang=en").text)
    assert "The result chart has no text alternative in the PDF." in english
    privacy = text_of(stranger.get(tool_url + "/privacy?org=test-org&lang=sv").text)
    assert "Dataskyddsombudet nås på dso@test.kommun.se." in privacy
    theme = stranger.get(tool_url + "/theme/test-org.css")
    assert "--ds-color-accent-base-default: #7a1f5c;" in theme.text
    # Another organisation's pages keep the defaults.
    other = text_of(stranger.get(tool_url + "/accessibility?org=kommun-b&lang=sv").text)
    assert "helt förenlig" in other and "tillganglighet@test.kommun.se" not in other
    assert DEFAULT_COLOUR in stranger.get(tool_url + "/theme/kommun-b.css").text


def test_a_colour_too_light_for_white_text_is_refused_with_its_contrast(
    platform, browser, tool_url
):
    _launch(platform, browser, roles=ADMINISTRATOR)

    refused = _pages_form(browser, tool_url, colour="#ffcc00", contact_email="a@b.se")

    assert refused.status_code == 422
    text = text_of(refused.text)
    assert "Färgen #ffcc00 är för ljus" in text
    assert "kontrasten 1,5:1, och minst 4,5:1 behövs" in text
    assert 'aria-invalid="true"' in refused.text
    theme = browser.get(tool_url + "/theme/test-org.css").text
    assert DEFAULT_COLOUR in theme  # nothing saved


def test_a_mistyped_colour_and_e_mail_address_are_refused_with_a_clear_message(
    platform, browser, tool_url
):
    _launch(platform, browser, roles=ADMINISTRATOR)

    colour = _pages_form(browser, tool_url, colour="blå")
    email = _pages_form(browser, tool_url, contact_email="inte en adress")

    assert colour.status_code == 422 and "Skriv färgen som en färgkod" in text_of(colour.text)
    assert email.status_code == 422 and "Skriv en e-postadress" in text_of(email.text)


@pytest.mark.parametrize(
    ("colour", "allowed"),
    [("#0062ba", True), ("#767676", True), ("#777777", False), ("#ffffff", False), ("#000", True)],
)
def test_the_colour_rule_is_wcags_4_5_to_1_against_white(colour, allowed):
    if allowed:
        assert checked_profile(colour=colour).colour.startswith("#")
        assert contrast_with_white(checked_profile(colour=colour).colour) >= 4.5
    else:
        with pytest.raises(ProfileRefused) as refused:
            checked_profile(colour=colour)
        assert refused.value.problem == "low_contrast"
        assert refused.value.details["ratio"] < 4.5


def test_a_logo_is_shown_in_the_header_of_every_page(platform, browser, tool_url):
    _launch(platform, browser, roles=ADMINISTRATOR)
    form = browser.get(tool_url + "/organisation/pages")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9"><rect width="9"/></svg>'

    saved = browser.post(
        tool_url + "/organisation/pages",
        data={"csrf_token": csrf(form.text), "colour": "#0062ba"},
        files={"logo": ("logo.svg", svg, "image/svg+xml")},
    )

    assert saved.status_code == 200
    page = requests.Session().get(tool_url + "/privacy?org=test-org").text
    assert '<img class="brand__logo" src="data:image/svg+xml;base64,' in page
    not_an_image = browser.post(
        tool_url + "/organisation/pages",
        data={"csrf_token": csrf(form.text), "colour": "#0062ba"},
        files={"logo": ("logo.exe", b"MZ, not an image", "application/octet-stream")},
    )
    assert not_an_image.status_code == 422
    assert "PNG-, JPEG- eller SVG-fil" in text_of(not_an_image.text)


# --- In the browser ---------------------------------------------------------------------


def test_checkbox_labels_sit_beside_their_boxes(page, platform, browser, tool_url):
    _launch(platform, browser, roles=ADMINISTRATOR)
    page.context.add_cookies(
        [{"name": ck.name, "value": ck.value, "url": tool_url} for ck in browser.cookies]
    )
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(tool_url + "/organisation/shared-instruments")

    box = page.locator("input[type=checkbox]").first.bounding_box()
    label = page.locator("input[type=checkbox] + label").first.bounding_box()
    assert label["x"] > box["x"] + box["width"]  # to the right of the box
    assert label["y"] < box["y"] + box["height"]  # on the same line, not below it
    expect(page.locator("html")).to_have_attribute("data-color-scheme", "light")


def test_on_a_phone_each_result_row_shows_its_level_labelled_by_its_column(
    page, platform, browser, tool_url
):
    _launch(platform, browser, **{c.CUSTOM: {"instrument": "digcomp-2.2-short"}})
    results = submit(browser, answer_all(browser, start(browser, tool_url), lambda o: o[-1]))
    page.context.add_cookies(
        [{"name": ck.name, "value": ck.value, "url": tool_url} for ck in browser.cookies]
    )
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(results.url)

    level = page.locator("tr[data-competence='1.1'] td[data-level]")
    expect(level).to_have_attribute("data-label", "Nivå")
    box = level.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375  # on the screen, not cut off
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
