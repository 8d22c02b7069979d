"""Building the deep-linking response, and reading a link's settings, without Flask."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest
from jwcrypto.jwk import JWK

from lti import claims as c
from lti import deep_linking as dl
from lti import link_settings as ls
from lti.tool_keys import active_key
from storage import ResourceLink

MOODLE = Path(__file__).parent.parent / "fixtures" / "moodle-4.5"
REQUEST = json.loads((MOODLE / "lti-deeplink-request-teacher1.claims.json").read_text())
RECORDED_RESPONSE = json.loads((MOODLE / "lti-deeplink-response.claims.json").read_text())
LAUNCH_URL = "https://kompetenslyft.example.se/lti/launch"


def request_with(**settings) -> dict:
    body = json.loads(json.dumps(REQUEST))
    body[c.DEEP_LINKING_SETTINGS].update(settings)
    return {
        **body,
        c.DEEP_LINKING_SETTINGS: {
            k: v for k, v in body[c.DEEP_LINKING_SETTINGS].items() if v is not None
        },
    }


def item_for(body: dict, **kwargs) -> dict:
    arguments = {
        "url": LAUNCH_URL,
        "title": "DigComp",
        "custom": {"instrument": "digcomp-2.2-short"},
        "score_maximum": 8,
        "resource_id": "digcomp-2.2-short",
        "tag": "kompetenslyft-overall",
    }
    arguments.update(kwargs)
    return dl.resource_link_item(dl.DeepLinkingSettings.from_claims(body), **arguments)


def test_moodles_settings_are_read():
    settings = dl.DeepLinkingSettings.from_claims(REQUEST)

    assert settings.return_url.startswith("http://127.0.0.1:8081/mod/lti/contentitem_return.php")
    assert settings.accept_types == ("ltiResourceLink",)
    assert settings.presentation_targets == ("frame", "iframe", "window")
    assert (settings.accept_multiple, settings.auto_create) == (True, False)
    assert settings.accept_lineitem  # not said: a line item may be sent
    assert settings.title == "Deep link from record_fixtures" and settings.text is None
    assert settings.has_data is False


@pytest.mark.parametrize("url", [None, "", "javascript:alert(1)", "/relative"])
def test_a_return_url_must_be_a_web_address(url):
    with pytest.raises(dl.DeepLinkingError):
        dl.DeepLinkingSettings.from_claims(request_with(deep_link_return_url=url))


def test_flags_sent_as_strings_are_understood():
    settings = dl.DeepLinkingSettings.from_claims(
        request_with(accept_multiple="false", auto_create="true", accept_lineitem="false")
    )

    assert (settings.accept_multiple, settings.auto_create, settings.accept_lineitem) == (
        False,
        True,
        False,
    )


def test_the_item_has_the_shape_moodle_recorded_and_a_line_item():
    item = item_for(REQUEST)

    assert set(RECORDED_RESPONSE[dl.CONTENT_ITEMS][0]) <= set(item)
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == LAUNCH_URL
    assert item["lineItem"] == {
        "scoreMaximum": 8,
        "label": "DigComp",
        "resourceId": "digcomp-2.2-short",
        "tag": "kompetenslyft-overall",
    }
    assert item["iframe"] == {"width": 1000, "height": 800}


def test_custom_values_are_strings():
    item = item_for(REQUEST, custom={"attempts": 2, "instrument": "x"})

    assert item["custom"] == {"attempts": "2", "instrument": "x"}


def test_no_line_item_when_the_platform_does_not_accept_one():
    assert "lineItem" not in item_for(request_with(accept_lineitem=False))


def test_a_launch_url_with_a_query_is_refused():
    with pytest.raises(dl.DeepLinkingError, match="url_with_query"):
        item_for(REQUEST, url=LAUNCH_URL + "?instrument=short")


def test_no_resource_link_when_the_platform_does_not_accept_them():
    body = request_with(accept_types=["file", "html"])

    with pytest.raises(dl.DeepLinkingError, match="resource_links_not_accepted"):
        item_for(body)
    with pytest.raises(dl.DeepLinkingError, match="resource_links_not_accepted"):
        dl.response_claims(body, client_id="c", items=[{"type": "ltiResourceLink"}])
    # Cancelling is still possible: an answer without items.
    assert dl.response_claims(body, client_id="c", items=[])[dl.CONTENT_ITEMS] == []


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        (["iframe", "window"], {"iframe": {"width": 1000, "height": 800}}),
        (["window"], {"window": {"targetName": "_blank"}}),
        (["frame"], {}),
        ([], {}),
    ],
)
def test_presentation_follows_the_accepted_targets(targets, expected):
    assert dl.presentation(tuple(targets)) == expected


def test_response_claims_mirror_moodles_recorded_response():
    item = item_for(REQUEST)

    body = dl.response_claims(
        REQUEST, client_id="gwU6UPurAQZGtUa", items=[item], now=1_000, nonce="n-1"
    )

    assert body["iss"] == RECORDED_RESPONSE["iss"] == "gwU6UPurAQZGtUa"
    assert body["aud"] == RECORDED_RESPONSE["aud"] == ["http://127.0.0.1:8081"]
    assert (body["iat"], body["exp"], body["nonce"]) == (1_000, 1_000 + dl.RESPONSE_LIFETIME, "n-1")
    for name in (c.DEPLOYMENT_ID, c.MESSAGE_TYPE, c.VERSION):
        assert body[name] == RECORDED_RESPONSE[name]
    assert body[dl.CONTENT_ITEMS] == [item]
    assert dl.DATA not in body  # the request had no data


@pytest.mark.parametrize("data", ["csrf-abc", {"nested": [1, 2]}, None, ""])
def test_data_is_echoed_exactly(data):
    body = dl.response_claims({**REQUEST, **_with_data(data)}, client_id="c", items=[])

    assert body[dl.DATA] == data


def _with_data(data) -> dict:
    settings = dict(REQUEST[c.DEEP_LINKING_SETTINGS], data=data)
    return {c.DEEP_LINKING_SETTINGS: settings}


def test_at_most_one_item():
    item = item_for(REQUEST)

    with pytest.raises(dl.DeepLinkingError, match="one_item_only"):
        dl.response_claims(REQUEST, client_id="c", items=[item, item])


def test_nonces_differ_between_responses():
    first = dl.response_claims(REQUEST, client_id="c", items=[])
    second = dl.response_claims(REQUEST, client_id="c", items=[])

    assert first["nonce"] != second["nonce"] and len(first["nonce"]) >= 20


def test_the_response_is_signed_with_the_tools_active_key(db):
    body = dl.response_claims(REQUEST, client_id="gwU6UPurAQZGtUa", items=[item_for(REQUEST)])

    token = dl.signed_response(db, body)

    key = active_key(db)
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": key.kid, "typ": "JWT"}
    decoded = jwt.decode(
        token,
        JWK(**key.public_jwk).export_to_pem(),
        algorithms=["RS256"],
        audience="http://127.0.0.1:8081",
        issuer="gwU6UPurAQZGtUa",
    )
    assert decoded == body


# --- A link's settings: the teacher's choice first, then the custom parameters -------------


def link(custom=None, settings=None) -> ResourceLink:
    return ResourceLink(custom=custom or {}, settings=settings or {})


def test_custom_parameters_apply_when_nothing_was_saved():
    configured = link(
        custom={"instrument": "digcomp-2.2-short", "attempts": "2", "share_with_manager": "yes"}
    )

    assert ls.instrument_key(configured) == "digcomp-2.2-short"
    assert ls.attempts_allowed(configured) == 2
    assert ls.shares_with_manager(configured) is True
    assert ls.link_locale(configured) is None


def test_saved_settings_win_even_when_they_clear_a_value():
    configured = link(
        custom={"instrument": "digcomp-2.2-short", "attempts": "2", "share_with_manager": "yes"},
        settings={"instrument": "digcomp-2.2-full", "attempts": None, "share_with_manager": False},
    )

    assert ls.instrument_key(configured) == "digcomp-2.2-full"
    assert ls.attempts_allowed(configured) is None
    assert ls.shares_with_manager(configured) is False


@pytest.mark.parametrize(
    ("raw", "allowed"), [("3", 3), (3, 3), ("0", None), ("-1", None), ("two", None), (True, None)]
)
def test_attempts_are_positive_whole_numbers(raw, allowed):
    assert ls.attempts_allowed(link(custom={"attempts": raw})) == allowed


def test_nothing_is_configured_without_a_link():
    assert ls.instrument_key(None) is None and ls.attempts_allowed(None) is None
    assert ls.link_locale(None) is None and ls.shares_with_manager(None) is False


@pytest.mark.parametrize(
    ("roles", "allowed"),
    [
        (["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"], True),
        (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"], True),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"], False),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"], False),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"], False),
        ([], False),
    ],
)
def test_who_may_configure(roles, allowed):
    assert ls.may_configure(roles) is allowed


def test_instrument_choices_start_with_the_shipped_ones(db):
    choices = ls.instrument_choices(db, None)

    assert [choice.key for choice in choices] == [
        "digcomp-2.2-full",
        "digcomp-2.2-short",
        "digital-maturity",  # the yearly survey can be chosen, not only typed
    ]
    assert [(choice.questions, choice.max_level, choice.own) for choice in choices] == [
        (68, 8, False),
        (21, 8, False),
        (5, 4, False),
    ]
