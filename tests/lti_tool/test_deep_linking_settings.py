"""After deep linking: a teacher changes an existing link's settings, a copied course keeps
working, and the link's language applies until the person chooses one.
"""

from __future__ import annotations

import requests
from sqlalchemy import select

from lti_tool.dev_platform import links
from storage import Attempt, ResourceLink
from tests.support.assessing import answer, csrf, question_number, start
from tests.support.browsing import text_of
from tests.support.deep_linking import (
    LEARNER,
    TEACHER,
)
from tests.support.platforms import TestPlatform

CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
RESOURCE_LINK = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
LAUNCH_PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
SHORT, FULL = 21, 68


# --- Later: settings of an existing link, copied courses, the link's language ---------------


def resource_link_launch(browser, platform: TestPlatform, *, roles=(LEARNER,), link_id="1", **c):
    return platform.launch(
        browser,
        **{
            "sub": "5" if TEACHER in roles else "3",
            "https://purl.imsglobal.org/spec/lti/claim/roles": list(roles),
            RESOURCE_LINK: {"id": link_id, "title": "Självskattning"},
            **c,
        },
    )


def settings_form(browser, tool_url):
    page = browser.get(tool_url + "/activity/settings")
    assert page.status_code == 200, page.text
    return page


def save_settings(browser, tool_url, page, **fields):
    data = {"csrf_token": csrf(page.text), "instrument": "digcomp-2.2-full", "attempts": ""}
    data["share_with_manager"] = "no"
    data.update(fields)
    return browser.post(tool_url + "/activity/settings", data=data)


def test_a_teacher_changes_the_link_and_the_next_launch_follows(
    browser, other_browser, tool_url, platform, db
):
    custom = {CUSTOM: {"instrument": "digcomp-2.2-full", "attempts": "3"}}
    overview = resource_link_launch(browser, platform, roles=(TEACHER,), **custom)
    assert 'data-testid="link-settings"' in overview.text
    page = settings_form(browser, tool_url)
    assert 'value="digcomp-2.2-full" checked' in page.text
    assert 'value="3"' in page.text

    saved = save_settings(
        browser,
        tool_url,
        page,
        instrument="digcomp-2.2-short",
        attempts="",
        share_with_manager="yes",
    )

    assert saved.status_code == 200 and 'data-testid="saved"' in saved.text
    link = db.scalar(select(ResourceLink))
    db.refresh(link)
    assert link.settings == {
        "instrument": "digcomp-2.2-short",
        "attempts": None,
        "share_with_manager": True,
    }
    assert link.custom == {"instrument": "digcomp-2.2-full", "attempts": "3"}  # untouched
    # The next launch (same custom parameters from the platform) gets the teacher's choice.
    learner = resource_link_launch(other_browser, platform, **custom)
    assert "21 questions" in text_of(learner.text)
    assert question_number(start(other_browser, tool_url)) == (1, SHORT)


def test_a_learner_cannot_change_the_settings(browser, tool_url, platform, db):
    overview = resource_link_launch(browser, platform)
    assert 'data-testid="link-settings"' not in overview.text
    token = csrf(overview.text)

    assert browser.get(tool_url + "/activity/settings").status_code == 403
    refused = browser.post(
        tool_url + "/activity/settings",
        data={
            "csrf_token": token,
            "instrument": "digcomp-2.2-short",
            "attempts": "1",
            "share_with_manager": "yes",
        },
    )

    assert refused.status_code == 403
    assert "Only teachers and administrators can change" in text_of(refused.text)
    link = db.scalar(select(ResourceLink))
    db.refresh(link)
    assert link.settings == {}


def test_changing_the_instrument_after_attempts_warns_and_keeps_them(
    browser, other_browser, tool_url, platform, db
):
    custom = {CUSTOM: {"instrument": "digcomp-2.2-full"}}
    resource_link_launch(other_browser, platform, **custom)
    first = start(other_browser, tool_url)
    assert question_number(first) == (1, FULL)
    answer(other_browser, first, "with_help")
    resource_link_launch(browser, platform, roles=(TEACHER,), **custom)
    page = settings_form(browser, tool_url)

    warned = save_settings(browser, tool_url, page, instrument="digcomp-2.2-short")

    assert warned.status_code == 200
    assert 'data-testid="instrument-warning"' in warned.text
    assert "(1 in all)" in text_of(warned.text)
    link = db.scalar(select(ResourceLink))
    db.refresh(link)
    assert link.settings == {}  # nothing saved before the teacher confirms
    confirmed = save_settings(
        browser, tool_url, warned, instrument="digcomp-2.2-short", confirm="yes"
    )
    assert 'data-testid="saved"' in confirmed.text
    # The learner's attempt in progress stays on the full instrument.
    overview = text_of(other_browser.get(tool_url + "/").text)
    assert "68 questions" in overview and "You have answered 1 of 68 questions." in overview
    assert question_number(start(other_browser, tool_url)) == (2, FULL)
    attempt = db.scalar(select(Attempt))
    db.refresh(attempt)
    assert attempt.instrument.key == "digcomp-2.2-full"


def test_settings_without_attempts_need_no_confirmation(browser, tool_url, platform, db):
    resource_link_launch(browser, platform, roles=(TEACHER,))
    page = settings_form(browser, tool_url)

    saved = save_settings(browser, tool_url, page, instrument="digcomp-2.2-short", attempts="2")

    assert 'data-testid="saved"' in saved.text
    assert 'value="digcomp-2.2-short" checked' in saved.text and 'value="2"' in saved.text


def test_a_copied_course_keeps_working(browser, other_browser, tool_url, platform, db):
    custom = {CUSTOM: {"instrument": "digcomp-2.2-short", "attempts": "1", "locale": "sv"}}
    resource_link_launch(browser, platform, link_id="original", **custom)
    assert question_number(start(browser, tool_url)) == (1, SHORT)

    # Moodle's course copy: a new resource link id and context, the same custom parameters.
    copy = resource_link_launch(
        other_browser,
        platform,
        link_id="copy-of-original",
        **custom,
        **{"https://purl.imsglobal.org/spec/lti/claim/context": {"id": "99", "title": "Kopia"}},
    )

    assert copy.status_code == 200
    assert "21 frågor" in text_of(copy.text)
    assert question_number(start(other_browser, tool_url)) == (1, SHORT)
    assert {link.lti_resource_link_id for link in db.scalars(select(ResourceLink))} == {
        "original",
        "copy-of-original",
    }


def test_the_links_language_applies_until_the_person_chooses(browser, tool_url, platform):
    page = resource_link_launch(
        browser,
        platform,
        **{CUSTOM: {"locale": "sv"}, LAUNCH_PRESENTATION: {"locale": "en"}},
    )
    assert "Hej Lea Learner!" in text_of(page.text)

    assert "Hello, Lea Learner!" in text_of(browser.get(tool_url + "/?lang=en").text)
    assert "Hello, Lea Learner!" in text_of(browser.get(tool_url + "/").text)


def test_the_dev_platform_lists_created_links_in_its_store(tool_url, settings):
    store = links.LinkStore(settings.instance_path)
    link = store.add(
        "digi201", {"title": "Från test", "custom": {"instrument": "digcomp-2.2-full"}}
    )

    assert store.get(link.id) == link
    assert "Från test" in text_of(requests.get(tool_url + "/dev-platform/", timeout=5).text)


def test_a_teacher_chooses_the_maturity_survey_in_the_settings_and_the_link_opens_it(
    browser, other_browser, tool_url, platform, db
):
    resource_link_launch(browser, platform, roles=(TEACHER,))
    page = settings_form(browser, tool_url)
    assert 'value="digital-maturity"' in page.text

    saved = save_settings(browser, tool_url, page, instrument="digital-maturity")

    assert saved.status_code == 200 and 'data-testid="saved"' in saved.text
    assert 'value="digital-maturity" checked' in saved.text
    resource_link_launch(other_browser, platform)
    assert question_number(start(other_browser, tool_url)) == (1, 5)
