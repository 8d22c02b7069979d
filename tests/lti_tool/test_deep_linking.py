"""A teacher adds the tool to a course through deep linking, with the built-in dev platform end to
end. What other platforms ask for: tests/lti_tool/test_deep_linking_platforms.py; changing the
link later: tests/lti_tool/test_deep_linking_settings.py.
"""

from __future__ import annotations

import jwt
from sqlalchemy import select

from storage import Launch
from tests.support.assessing import question_number, start
from tests.support.browsing import dev_launch, form_action, form_fields, text_of
from tests.support.deep_linking import (
    CONTENT_ITEMS,
    DATA,
    MESSAGE_TYPE,
    SETTINGS,
    TEACHER,
    cancel,
    choose,
    deep_linking_settings,
    dev_deep_link,
    response_form,
    verified,
)
from tests.support.platforms import SigningKey

RESOURCE_LINK = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
DEEP_LINKING = "LtiDeepLinkingRequest"
SHORT = 21


def dev_issuer(tool_url: str) -> str:
    return tool_url + "/dev-platform"


# --- The built-in dev platform, end to end --------------------------------------------------


def test_dev_platform_round_trip_creates_a_short_assessment_a_learner_can_take(
    browser, other_browser, tool_url
):
    chooser = dev_deep_link(browser, tool_url)
    assert chooser.status_code == 200, chooser.text
    text = text_of(chooser.text)
    assert "Hej Erik Berg!" in text and "Lägg till en aktivitet" in text

    answer_page = choose(
        browser,
        tool_url,
        chooser,
        instrument="digcomp-2.2-short",
        title="Kort självskattning HT",
        language="en",
        share_with_manager="yes",
        score_maximum="8",
        attempts="2",
    )

    assert answer_page.status_code == 200, answer_page.text
    action, token = response_form(answer_page)
    assert action == tool_url + "/dev-platform/deep-link-return"
    assert "data-autosubmit" in answer_page.text and "<script>" not in answer_page.text
    claims = verified(token, tool_url, audience=dev_issuer(tool_url), issuer="kompetenslyft-dev")
    assert claims[MESSAGE_TYPE] == "LtiDeepLinkingResponse"
    [item] = claims[CONTENT_ITEMS]
    assert item["type"] == "ltiResourceLink"
    assert item["title"] == "Kort självskattning HT"
    assert item["url"] == tool_url + "/lti/launch"
    assert item["custom"] == {
        "instrument": "digcomp-2.2-short",
        "share_with_manager": "yes",
        "locale": "en",
        "attempts": "2",
    }
    assert item["lineItem"]["scoreMaximum"] == 8
    assert item["lineItem"]["label"] == "Kort självskattning HT"
    assert item["lineItem"]["resourceId"] == "digcomp-2.2-short"
    assert item["lineItem"]["tag"]
    assert item["iframe"]  # the dev platform accepts iframe and window

    stored = browser.post(action, data={"JWT": token})
    assert stored.status_code == 200, stored.text
    link_id = stored.text.split('data-link-id="')[1].split('"')[0]
    assert "Kort självskattning HT" in text_of(stored.text)
    listing = browser.get(tool_url + "/dev-platform/")
    assert f'data-testid="created-{link_id}"' in listing.text

    platform_page = other_browser.get(
        f"{tool_url}/dev-platform/links/{link_id}/start", params={"person": "learner"}
    )
    overview = other_browser.post(
        form_action(platform_page.text), data=form_fields(platform_page.text)
    )
    text = text_of(overview.text)
    assert "Hello, Anna Andersson!" in text  # the link's language, not the platform's "sv"
    assert "Kort självskattning HT" in text
    assert "21 questions" in text
    assert question_number(start(other_browser, tool_url)) == (1, SHORT)


def test_the_dev_platform_accepts_a_response_only_once(browser, tool_url):
    chooser = dev_deep_link(browser, tool_url)
    action, token = response_form(choose(browser, tool_url, chooser))
    assert browser.post(action, data={"JWT": token}).status_code == 200

    replayed = browser.post(action, data={"JWT": token})

    assert replayed.status_code == 400
    assert "nonce_replayed" in replayed.text


def test_the_dev_platform_refuses_a_response_not_signed_by_the_tool(browser, tool_url):
    chooser = dev_deep_link(browser, tool_url)
    action, token = response_form(choose(browser, tool_url, chooser))
    claims = jwt.decode(token, options={"verify_signature": False})
    kid = jwt.get_unverified_header(token)["kid"]
    forged = SigningKey(kid).sign(claims)

    refused = browser.post(action, data={"JWT": forged})

    assert refused.status_code == 400
    assert "InvalidSignatureError" in refused.text


def test_cancelling_sends_a_response_without_content_items(browser, tool_url):
    chooser = dev_deep_link(browser, tool_url, locale="en")

    answer_page = cancel(browser, tool_url, chooser)

    action, token = response_form(answer_page)
    claims = verified(token, tool_url, audience=dev_issuer(tool_url), issuer="kompetenslyft-dev")
    assert claims[CONTENT_ITEMS] == []
    assert "No activity is added." in text_of(answer_page.text)
    assert "No activity was added." in text_of(browser.post(action, data={"JWT": token}).text)


def test_the_request_data_comes_back_unchanged(browser, tool_url, db):
    chooser = dev_deep_link(browser, tool_url)
    sent = db.scalars(select(Launch).order_by(Launch.created_at.desc())).first().claims

    _action, token = response_form(choose(browser, tool_url, chooser))

    assert sent[SETTINGS]["data"]
    assert jwt.decode(token, options={"verify_signature": False})[DATA] == sent[SETTINGS]["data"]


def session_csrf(app, browser) -> str:
    """The CSRF token in this browser's session (a learner never sees a form to copy it from)."""
    cookie = browser.cookies.get(app.config["SESSION_COOKIE_NAME"])
    return app.session_interface.get_signing_serializer(app).loads(cookie)["csrf_token"]


def test_a_learner_cannot_add_an_activity(browser, tool_url):
    refused = dev_deep_link(browser, tool_url, person="learner", locale="en")

    assert refused.status_code == 403
    assert "Only teachers and administrators can add Kompetenslyft activities" in text_of(
        refused.text
    )
    assert "/deep-linking/response" not in refused.text


def test_a_learner_posting_the_form_directly_gets_403(app, browser, tool_url):
    dev_deep_link(browser, tool_url, person="learner")
    token = session_csrf(app, browser)

    for path in ("/deep-linking/response", "/deep-linking/cancel"):
        answer_page = browser.post(
            tool_url + path,
            data={"csrf_token": token, "instrument": "digcomp-2.2-short", "title": "x"},
        )
        assert answer_page.status_code == 403, path
        assert 'name="JWT"' not in answer_page.text


def test_form_errors_are_shown_and_nothing_is_sent(browser, tool_url):
    chooser = dev_deep_link(browser, tool_url, locale="en")

    page = choose(
        browser, tool_url, chooser, title="", score_maximum="-1", attempts="many", instrument="x"
    )

    assert page.status_code == 400
    text = text_of(page.text)
    assert "Give the activity a title." in text
    assert "Choose one of the instruments." in text
    assert "number greater than 0" in text
    assert "whole number from 1 to 100" in text
    assert 'name="JWT"' not in page.text


def test_an_empty_maximum_score_uses_the_instruments_scale(browser, tool_url):
    chooser = dev_deep_link(browser, tool_url)

    _action, token = response_form(choose(browser, tool_url, chooser, score_maximum=""))

    [item] = jwt.decode(token, options={"verify_signature": False})[CONTENT_ITEMS]
    assert item["lineItem"]["scoreMaximum"] == 8
    assert "attempts" not in item["custom"]


def test_the_organisations_own_instruments_are_offered(browser, tool_url, kompetenslyft, db):
    from competence.frameworks import DATA as COMPETENCE_DATA

    dev_launch(browser, tool_url, person="teacher")  # registers the dev platform's organisation
    for command, path in (
        ("framework", COMPETENCE_DATA / "work-systems-example.json"),
        ("instrument", COMPETENCE_DATA / "instruments" / "work-systems-example.json"),
    ):
        result = kompetenslyft(command, "import", str(path), "--organisation", "dev")
        assert result.exit_code == 0, result.output
    chooser = dev_deep_link(browser, tool_url)
    assert 'value="work-systems-example"' in chooser.text

    _action, token = response_form(
        choose(browser, tool_url, chooser, instrument="work-systems-example", score_maximum="")
    )

    [item] = jwt.decode(token, options={"verify_signature": False})[CONTENT_ITEMS]
    assert item["custom"]["instrument"] == "work-systems-example"
    assert item["lineItem"]["scoreMaximum"] == 4  # the per-system scale has four levels


def test_the_response_page_may_post_to_the_platform(browser, tool_url, platform):
    platform.launch(
        browser,
        **{
            MESSAGE_TYPE: DEEP_LINKING,
            RESOURCE_LINK: None,
            "https://purl.imsglobal.org/spec/lti/claim/roles": [TEACHER],
            SETTINGS: deep_linking_settings("https://lms.elsewhere.invalid/dl/return?x=1"),
        },
    )
    chooser = browser.get(tool_url + "/")

    answer_page = choose(browser, tool_url, chooser)

    policy = answer_page.headers["Content-Security-Policy"]
    form_action_directive = next(
        part for part in policy.split(";") if part.strip().startswith("form-action")
    )
    assert "https://lms.elsewhere.invalid" in form_action_directive
    assert platform.issuer in form_action_directive  # every registered platform
    assert answer_page.headers["Cache-Control"] == "no-store"


def test_the_yearly_maturity_survey_can_be_chosen_and_the_link_opens_it(
    browser, other_browser, tool_url
):
    """No custom parameter typed by hand: the survey is one of the choices, and the
    activity it makes opens the five survey questions."""
    chooser = dev_deep_link(browser, tool_url)
    assert 'value="digital-maturity"' in chooser.text
    assert "Digital mognad – årlig mätning" in text_of(chooser.text)

    answer_page = choose(
        browser,
        tool_url,
        chooser,
        instrument="digital-maturity",
        title="Digital mognad 2026",
        score_maximum="",
    )
    action, token = response_form(answer_page)
    [item] = jwt.decode(token, options={"verify_signature": False})[CONTENT_ITEMS]
    assert item["custom"]["instrument"] == "digital-maturity"
    assert item["lineItem"]["scoreMaximum"] == 4  # the survey's scale: 0 to 4
    stored = browser.post(action, data={"JWT": token})
    link_id = stored.text.split('data-link-id="')[1].split('"')[0]

    platform_page = other_browser.get(
        f"{tool_url}/dev-platform/links/{link_id}/start", params={"person": "learner"}
    )
    overview = other_browser.post(
        form_action(platform_page.text), data=form_fields(platform_page.text)
    )
    assert "Digital mognad 2026" in text_of(overview.text)
    assert question_number(start(other_browser, tool_url)) == (1, 5)
