"""A teacher adds the tool to a course through deep linking, and later changes the link.

Through the built-in dev platform (a real round trip over HTTP), through an
independent platform implementation (lti1p3platform), and with Moodle 4.5's
recorded deep-linking request re-signed by a test key.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from sqlalchemy import select

from lti_tool.dev_platform import links
from storage import Attempt, Launch, ResourceLink
from tests.lti_tool.test_independent_platform_launch import (
    OLLE,
    AuthenticationRequest,
    Course,
    Lms,
    Member,
    post_form,
)
from tests.support.assessing import answer, csrf, question_number, start
from tests.support.browsing import dev_launch, form_action, form_fields, text_of
from tests.support.deep_linking import (
    CONTENT_ITEMS,
    DATA,
    LEARNER,
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
from tests.support.platforms import SigningKey, TestPlatform

MOODLE = Path(__file__).parent.parent / "fixtures" / "moodle-4.5"
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
RESOURCE_LINK = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
LAUNCH_PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
DEEP_LINKING = "LtiDeepLinkingRequest"
SHORT, FULL = 21, 63


TARGET_LINK_URI = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"


def moodle_fixture(name: str) -> dict:
    return json.loads((MOODLE / name).read_text())


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


# --- A scriptable platform: what the platform asks for is honoured --------------------------


def deep_link_launch(browser, platform: TestPlatform, roles=(TEACHER,), **settings):
    platform.launch(
        browser,
        **{
            MESSAGE_TYPE: DEEP_LINKING,
            RESOURCE_LINK: None,
            "https://purl.imsglobal.org/spec/lti/claim/roles": list(roles),
            SETTINGS: deep_linking_settings(platform.issuer + "/dl/return", **settings),
        },
    )
    return browser.get(platform.tool_url + "/")


def test_without_lti_resource_links_in_accept_types_nothing_is_sent(browser, tool_url, platform):
    chooser = deep_link_launch(browser, platform, accept_types=["file", "html"])

    assert chooser.status_code == 200
    assert "Kompetenslyft does not offer here" in text_of(chooser.text)
    assert "/deep-linking/response" not in chooser.text  # no form to send an activity
    refused = browser.post(
        tool_url + "/deep-linking/response",
        data={"csrf_token": csrf(chooser.text), "instrument": "digcomp-2.2-short", "title": "x"},
    )
    assert refused.status_code == 400
    assert 'name="JWT"' not in refused.text


@pytest.mark.parametrize(
    ("data", "echoed"),
    [
        ("opaque-123", "opaque-123"),
        ({"course": 7, "nested": [1, 2]}, {"course": 7, "nested": [1, 2]}),
    ],
)
def test_data_is_echoed(browser, tool_url, platform, data, echoed):
    chooser = deep_link_launch(browser, platform, data=data)

    _action, token = response_form(choose(browser, tool_url, chooser))

    claims = verified(token, tool_url, audience=platform.issuer, issuer=platform.client_id)
    assert claims[DATA] == echoed


def test_without_data_no_data_claim_is_sent(browser, tool_url, platform):
    chooser = deep_link_launch(browser, platform)

    _action, token = response_form(choose(browser, tool_url, chooser))

    assert DATA not in jwt.decode(token, options={"verify_signature": False})


@pytest.mark.parametrize(
    ("targets", "expected"),
    [(["window"], "window"), (["iframe"], "iframe"), (["frame"], None)],
)
def test_the_presentation_follows_the_platforms_targets(
    browser, tool_url, platform, targets, expected
):
    chooser = deep_link_launch(browser, platform, accept_presentation_document_targets=targets)

    _action, token = response_form(choose(browser, tool_url, chooser))

    [item] = jwt.decode(token, options={"verify_signature": False})[CONTENT_ITEMS]
    presentations = {key for key in ("window", "iframe") if key in item}
    assert presentations == ({expected} if expected else set())


def test_one_item_even_when_several_are_accepted_and_no_line_item_when_refused(
    browser, tool_url, platform
):
    chooser = deep_link_launch(browser, platform, accept_multiple=True, accept_lineitem=False)

    _action, token = response_form(choose(browser, tool_url, chooser))

    items = jwt.decode(token, options={"verify_signature": False})[CONTENT_ITEMS]
    assert len(items) == 1 and "lineItem" not in items[0]


@pytest.mark.parametrize(
    ("auto_create", "explained"),
    [
        (True, "The learning platform adds the activity to the course at once."),
        (False, "The learning platform then shows the activity's settings for you to save."),
    ],
)
def test_auto_create_is_explained(browser, platform, auto_create, explained):
    page = deep_link_launch(browser, platform, auto_create=auto_create)

    assert explained in text_of(page.text)


def test_a_learner_deep_linking_request_gets_403(browser, platform):
    page = deep_link_launch(browser, platform, roles=(LEARNER,))

    assert page.status_code == 403
    assert "Only teachers and administrators" in text_of(page.text)


# --- Moodle 4.5's recorded request ----------------------------------------------------------


@pytest.fixture
def moodle(tool_url, jwks_server, db) -> TestPlatform:
    login = moodle_fixture("lti-launch-learner1.flow.json")["oidc_login_initiation"]["params"]
    site = TestPlatform(
        tool_url,
        jwks_server,
        issuer=login["iss"],
        client_id=login["client_id"],
        deployment_id=login["lti_deployment_id"],
        name="moodle-dl",
    )
    site.register(db)
    site.login_params = login
    return site


def moodle_launch(browser, moodle: TestPlatform, fixture: str, **changes):
    body = moodle_fixture(fixture)
    # Recorded with a tool at http://127.0.0.1:9001: Moodle names this tool's address instead.
    target = body[TARGET_LINK_URI]
    assert target.startswith("http://127.0.0.1:9001/")
    body[TARGET_LINK_URI] = moodle.tool_url + target.removeprefix("http://127.0.0.1:9001")
    auth = moodle.login(
        browser, **{**moodle.login_params, "target_link_uri": body[TARGET_LINK_URI]}
    )
    now = int(time.time())
    body.update(nonce=auth["nonce"], iat=now, exp=now + 60, **changes)
    return browser.post(
        moodle.tool_url + "/lti/launch",
        data={"id_token": moodle.sign(body), "state": auth["state"]},
    )


def moodle_form_values(item: dict) -> dict:
    """What Moodle's contentitem_return.php makes of an ltiResourceLink (mod/lti/locallib.php)."""
    values = {
        "name": item["title"],
        "toolurl": item["url"],
        "instructorcustomparameters": "\n".join(f"{k}={v}" for k, v in item["custom"].items()),
    }
    if "lineItem" in item:
        values["instructorchoiceacceptgrades"] = 1
        values["grade_modgrade_point"] = item["lineItem"]["scoreMaximum"]
    return values


def test_moodles_recorded_request_gets_an_answer_moodle_accepts(browser, tool_url, moodle):
    request_claims = moodle_fixture("lti-deeplink-request-teacher1.claims.json")
    recorded_response = moodle_fixture("lti-deeplink-response.claims.json")
    recorded_form = moodle_fixture("lti-deeplink-moodle-contentitem-return.json")["form_values"]

    chooser = moodle_launch(browser, moodle, "lti-deeplink-request-teacher1.claims.json")
    assert chooser.status_code == 200, chooser.text
    assert "Hello, Tina Teacher!" in text_of(chooser.text)  # Moodle's locale is "en"
    # Moodle's suggested title is the form's default.
    assert 'value="Deep link from record_fixtures"' in chooser.text
    answer_page = choose(
        browser, tool_url, chooser, instrument="digcomp-2.2-short", title="DigComp, short"
    )

    action, token = response_form(answer_page)
    settings = request_claims[SETTINGS]
    assert action == settings["deep_link_return_url"]
    claims = verified(token, tool_url, audience=request_claims["iss"], issuer=request_claims["aud"])
    assert set(recorded_response) - {DATA} <= set(claims)
    assert claims["aud"] == recorded_response["aud"] == [request_claims["iss"]]
    assert claims["iss"] == recorded_response["iss"]
    for name in (
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id",
        MESSAGE_TYPE,
        "https://purl.imsglobal.org/spec/lti/claim/version",
    ):
        assert claims[name] == recorded_response[name]
    assert claims["exp"] > claims["iat"]
    [item] = claims[CONTENT_ITEMS]
    assert set(recorded_response[CONTENT_ITEMS][0]) <= set(item)
    assert urlsplit(item["url"]).query == ""  # Moodle matches redirect URIs exactly
    assert all(isinstance(value, str) for value in item["custom"].values())
    form = moodle_form_values(item)
    assert set(form) <= set(recorded_form)
    assert form["toolurl"] == tool_url + "/lti/launch"
    assert "instrument=digcomp-2.2-short" in form["instructorcustomparameters"].splitlines()
    assert form["grade_modgrade_point"] == 8
    policy = answer_page.headers["Content-Security-Policy"]
    assert "http://127.0.0.1:8081" in policy.split("form-action")[1].split(";")[0]


def test_the_activity_moodle_creates_opens_the_chosen_instrument(browser, tool_url, moodle):
    chooser = moodle_launch(browser, moodle, "lti-deeplink-request-teacher1.claims.json")
    _action, token = response_form(
        choose(browser, tool_url, chooser, instrument="digcomp-2.2-short", language="sv")
    )
    [item] = jwt.decode(token, options={"verify_signature": False})[CONTENT_ITEMS]
    # Moodle stores the item's custom parameters with the new activity and sends them back,
    # next to its own, in every launch of it (see the recorded deep-linked activity).
    recorded = moodle_fixture("lti-launch-learner1-deeplinked-activity.claims.json")
    custom = {**recorded[CUSTOM], **item["custom"]}
    custom.pop("difficulty")

    overview = moodle_launch(
        browser,
        moodle,
        "lti-launch-learner1-deeplinked-activity.claims.json",
        **{CUSTOM: custom},
    )

    text = text_of(overview.text)
    assert "Hej Lea Learner!" in text  # the link's language wins over Moodle's "en"
    assert "21 frågor" in text


# --- An independent platform implementation (lti1p3platform) -------------------------------


class LmsDeepLinkingLaunch(LTIAdvantageMessageLaunchAbstract):
    """lti1p3platform's deep-linking launch: its own LtiDeepLinkingRequest claims."""

    def __init__(self, request, platform_config, *, member: Member, course: Course):
        super().__init__(request, platform_config)
        self.member = member
        self.course = course

    def prepare_launch(self, preflight_response) -> None:
        assert preflight_response["login_hint"] == self.member.user_id
        self.set_user_data(
            self.member.user_id, [self.member.role], self.member.name, self.member.email
        )
        self.set_launch_context_claim(
            self.course.id,
            ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            self.course.title,
            self.course.label,
        )

    def render_launch_form(self, launch_data, **kwargs) -> dict:
        return launch_data


COURSE = Course("c-91", "DIGI", "Digitalt arbetssätt", "unused", "unused")


def lms_deep_link(browser, lms: Lms, member: Member, extra_data=None):
    registration = lms.config.get_registration()
    registration.set_deeplink_launch_url(lms.tool_url + "/lti/launch")
    lms.config.set_accepted_deeplinking_types(["ltiResourceLink"])
    auth_request_url = lms.login(browser, member, COURSE)
    launch = LmsDeepLinkingLaunch(
        AuthenticationRequest(auth_request_url), lms.config, member=member, course=COURSE
    )
    launch.set_dl(
        lms.issuer + "/lti/deep-link-return",
        title="Välj innehåll",
        accept_types={"ltiResourceLink"},
        extra_data=extra_data,
    )
    form = launch.lti_launch()
    return form, post_form(browser, form)


def test_lti1p3platform_round_trip(browser, tool_url, jwks_server, db):
    lms = Lms(tool_url, jwks_server, db)
    form, chooser = lms_deep_link(browser, lms, OLLE, extra_data={"section": "3"})
    sent = jwt.decode(form["id_token"], options={"verify_signature": False})
    assert sent[MESSAGE_TYPE] == DEEP_LINKING
    assert chooser.status_code == 200, chooser.text
    assert "Lägg till en aktivitet" in text_of(chooser.text)

    answer_page = choose(
        browser, tool_url, chooser, instrument="digcomp-2.2-short", title="Kort", attempts="1"
    )

    action, token = response_form(answer_page)
    assert action == lms.issuer + "/lti/deep-link-return"
    # The platform library checks the response with the tool's JWKS (fetched over HTTP).
    items = lms.config.validate_deeplinking_resp({"JWT": token})
    assert items == [
        {
            "type": "ltiResourceLink",
            "title": "Kort",
            "url": tool_url + "/lti/launch",
            "custom": {
                "instrument": "digcomp-2.2-short",
                "share_with_manager": "no",
                "locale": "sv",
                "attempts": "1",
            },
            "iframe": items[0]["iframe"],
            "lineItem": {
                "scoreMaximum": 8,
                "label": "Kort",
                "resourceId": "digcomp-2.2-short",
                "tag": items[0]["lineItem"]["tag"],
            },
        }
    ]
    decoded = lms.config.tool_validate_and_decode(token)
    assert decoded["aud"] == [lms.issuer] and decoded["iss"] == lms.client_id
    assert decoded[DATA] == {"section": "3"}


def test_lti1p3platform_refuses_a_tampered_response(browser, tool_url, jwks_server, db):
    lms = Lms(tool_url, jwks_server, db)
    _form, chooser = lms_deep_link(browser, lms, OLLE)
    _action, token = response_form(choose(browser, tool_url, chooser))
    claims = jwt.decode(token, options={"verify_signature": False})
    kid = jwt.get_unverified_header(token)["kid"]
    forged = SigningKey(kid).sign(claims)

    with pytest.raises(jwt.InvalidSignatureError):
        lms.config.validate_deeplinking_resp({"JWT": forged})


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
    assert "63 questions" in overview and "You have answered 1 of 63 questions." in overview
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
