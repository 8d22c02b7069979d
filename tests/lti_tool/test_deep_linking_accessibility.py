"""The deep-linking form and the activity settings pass axe-core in Swedish and English, in a
real browser, and the auto-posting answer reaches the platform with the tool's own script."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.accessibility import assert_accessible

LANGUAGES = {"sv": "", "en": "?lang=en"}
TEXT = {
    "add": {"sv": "Lägg till en aktivitet", "en": "Add an activity"},
    "settings": {"sv": "Aktivitetens inställningar", "en": "Settings of the activity"},
    "result": {"sv": "Resultat av djuplänkningen", "en": "Deep linking result"},
    "greeting": {"sv": "Hej Erik Berg!", "en": "Hello, Erik Berg!"},
}


def heading(page, level: int = 1):
    return page.get_by_role("heading", level=level)


def open_deep_linking_form(page, tool_url, lang):
    page.goto(f"{tool_url}/dev-platform/{LANGUAGES[lang]}")
    page.get_by_test_id("deep-link-teacher").click()
    page.wait_for_url(f"{tool_url}/")
    expect(heading(page)).to_have_text(TEXT["greeting"][lang])
    expect(heading(page, 2).first).to_have_text(TEXT["add"][lang])


def open_deep_linking_form_with_errors(page, tool_url, lang):
    open_deep_linking_form(page, tool_url, lang)
    page.locator("#title-field").fill("")
    page.locator("#attempts-field").fill("0")
    page.get_by_test_id("add-activity").click()
    expect(page.get_by_test_id("errors")).to_be_visible()
    expect(page.locator("#title-field")).to_have_attribute("aria-invalid", "true")


def open_deep_linking_result(page, tool_url, lang):
    """The teacher adds the activity: the tool's page posts the answer to the platform itself."""
    open_deep_linking_form(page, tool_url, lang)
    page.get_by_test_id("instrument-digcomp-2.2-short").check()
    page.locator("#title-field").fill("Kort skattning")
    page.get_by_test_id("add-activity").click()
    page.wait_for_url(f"{tool_url}/dev-platform/deep-link-return")
    expect(heading(page)).to_have_text(TEXT["result"][lang])
    expect(page.get_by_test_id("created-link")).to_have_text("Kort skattning")


def open_dev_platform_with_created_links(page, tool_url, lang):
    open_deep_linking_result(page, tool_url, lang)
    page.goto(f"{tool_url}/dev-platform/{LANGUAGES[lang]}")
    launch = {"sv": "Starta som deltagare", "en": "Launch as learner"}[lang]
    expect(page.get_by_role("link", name=f"{launch} (Kort skattning)").last).to_be_visible()


def open_refused_learner(page, tool_url, lang):
    page.goto(f"{tool_url}/dev-platform/deep-link/start?person=learner&locale={lang}")
    expect(heading(page)).to_have_text({"sv": "Fel 403", "en": "Error 403"}[lang])


def open_settings(page, tool_url, lang):
    page.goto(f"{tool_url}/dev-platform/{LANGUAGES[lang]}")
    page.get_by_test_id("launch-teacher").click()
    page.wait_for_url(f"{tool_url}/")
    page.get_by_test_id("link-settings").click()
    expect(heading(page)).to_have_text(TEXT["settings"][lang])


def open_settings_saved(page, tool_url, lang):
    open_settings(page, tool_url, lang)
    page.locator("#attempts-field").fill("2")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("saved")).to_be_visible()


def open_settings_warning(page, tool_url, lang):
    page.goto(f"{tool_url}/dev-platform/{LANGUAGES[lang]}")
    page.get_by_test_id("launch-teacher").click()
    page.wait_for_url(f"{tool_url}/")
    page.get_by_test_id("start").click()  # an attempt on the course's short instrument
    page.goto(f"{tool_url}/activity/settings")
    page.get_by_test_id("instrument-digcomp-2.2-full").check()
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("instrument-warning")).to_be_visible()


PAGES = {
    "deep linking form": open_deep_linking_form,
    "deep linking form with errors": open_deep_linking_form_with_errors,
    "deep linking result": open_deep_linking_result,
    "dev platform with created links": open_dev_platform_with_created_links,
    "learner refused": open_refused_learner,
    "activity settings": open_settings,
    "activity settings saved": open_settings_saved,
    "activity settings warning": open_settings_warning,
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_accessibility_violations(page, tool_url, name, lang):
    PAGES[name](page, tool_url, lang)

    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page)


def test_a_created_activity_opens_its_instrument_in_the_browser(page, tool_url):
    open_deep_linking_result(page, tool_url, "sv")
    page.goto(f"{tool_url}/dev-platform/")
    page.get_by_role("link", name="Starta som deltagare (Kort skattning)").last.click()
    page.wait_for_url(f"{tool_url}/")

    expect(heading(page)).to_have_text("Hej Anna Andersson!")
    expect(page.get_by_text("21 frågor")).to_be_visible()
