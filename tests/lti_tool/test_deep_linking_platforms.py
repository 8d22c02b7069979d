"""Deep linking as other platforms ask for it: a scriptable platform's settings honoured, Moodle
4.5's recorded request answered as Moodle accepts, and an independent implementation
(lti1p3platform) round trip.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import pytest
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract

from tests.lti_tool.test_independent_platform_launch import (
    OLLE,
    AuthenticationRequest,
    Course,
    Lms,
    Member,
    post_form,
)
from tests.support.assessing import csrf
from tests.support.browsing import text_of
from tests.support.deep_linking import (
    CONTENT_ITEMS,
    DATA,
    LEARNER,
    MESSAGE_TYPE,
    SETTINGS,
    TEACHER,
    choose,
    deep_linking_settings,
    response_form,
    verified,
)
from tests.support.platforms import SigningKey, TestPlatform

MOODLE = Path(__file__).parent.parent / "fixtures" / "moodle-4.5"
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
RESOURCE_LINK = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
DEEP_LINKING = "LtiDeepLinkingRequest"
TARGET_LINK_URI = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"


def moodle_fixture(name: str) -> dict:
    return json.loads((MOODLE / name).read_text())


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
