"""The Dynamic Registration protocol without a web server: the platform's configuration read
and checked, the tool's registration sent and its answer read, the signed form token.

The HTTP stories (tests/lti_tool/test_dynamic_registration*.py) go through a Moodle double;
these call the functions with a stand-in for the HTTP session."""

from __future__ import annotations

import io
import json

import pytest

from lti import dynamic_registration as dynreg

MOODLE = "https://moodle.umea.example"
CONFIGURATION_URL = MOODLE + "/mod/lti/openid-configuration.php"


def configuration(**changes) -> dict:
    document = {
        "issuer": MOODLE,
        "authorization_endpoint": MOODLE + "/mod/lti/auth.php",
        "token_endpoint": MOODLE + "/mod/lti/token.php",
        "jwks_uri": MOODLE + "/mod/lti/certs.php",
        "registration_endpoint": MOODLE + "/mod/lti/openid-registration.php",
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        dynreg.PLATFORM_CONFIGURATION: {"product_family_code": "moodle", "version": "4.5.6"},
    }
    document.update(changes)
    return {name: value for name, value in document.items() if value is not None}


class Answer:
    def __init__(self, status: int, body: bytes) -> None:
        self.status_code = status
        self.raw = io.BytesIO(body)
        self.raw.read = lambda n, decode_content=True, _read=self.raw.read: _read(n)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        return False


class Platform:
    """Answers each request with the next (status, body); remembers what it was sent."""

    def __init__(self, *answers: tuple[int, bytes]) -> None:
        self.answers = list(answers)
        self.requests: list[dict] = []

    def request(self, method, url, **kwargs):
        self.requests.append({"method": method, "url": url, **kwargs})
        return Answer(*self.answers.pop(0))


def fetch(platform: Platform, token: str | None = "token") -> dynreg.PlatformConfiguration:
    return dynreg.fetch_configuration(platform, CONFIGURATION_URL, token, require_https=True)


def refusal(call) -> tuple[str, str]:
    with pytest.raises(dynreg.RegistrationRefused) as refused:
        call()
    return refused.value.reason, refused.value.detail


def test_a_moodle_configuration_is_read_with_the_registration_token():
    platform = Platform((200, json.dumps(configuration()).encode()))

    read = fetch(platform)

    assert read.issuer == MOODLE and read.display_name == "Moodle 4.5.6"
    assert platform.requests[0]["headers"]["Authorization"] == "Bearer token"
    assert platform.requests[0]["allow_redirects"] is False


@pytest.mark.parametrize(
    ("answer", "reason", "detail"),
    [
        ((500, b""), "configuration_unreachable", "HTTP 500"),
        ((200, b"<html>Moodle says hello</html>"), "configuration_invalid", "not JSON"),
        ((200, b"[]"), "configuration_invalid", "not a JSON object"),
        (
            (200, b"{" + b" " * dynreg.MAX_DOCUMENT_BYTES),
            "configuration_invalid",
            "document too large",
        ),
        (
            (200, json.dumps(configuration(registration_endpoint=None)).encode()),
            "configuration_invalid",
            "registration_endpoint missing or not a URL",
        ),
        (
            (200, json.dumps(configuration(jwks_uri="http://moodle.umea.example/c")).encode()),
            "configuration_invalid",
            "jwks_uri missing or not a URL",
        ),
        (
            (200, json.dumps(configuration(issuer="https://elsewhere.example")).encode()),
            "issuer_mismatch",
            "https://elsewhere.example is not at https://moodle.umea.example",
        ),
        (
            (
                200,
                json.dumps(configuration(id_token_signing_alg_values_supported=["HS256"])).encode(),
            ),
            "configuration_invalid",
            "id_token_signing_alg_values_supported lacks RS256",
        ),
    ],
)
def test_a_configuration_the_tool_cannot_use_is_refused_saying_why(answer, reason, detail):
    assert refusal(lambda: fetch(Platform(answer))) == (reason, detail)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://moodle.example.se/config",
        "http://moodle.example.se;script-src */config",
        "/config",
        "https://user@moodle.example.se/config",
        "https://moodle.example.se/config#fragment",
    ],
)
def test_a_configuration_url_that_is_not_a_plain_web_address_is_refused(url):
    reason, _ = refusal(lambda: dynreg.check_configuration_url(url, require_https=False))

    assert reason == "invalid_configuration_url"


def test_production_needs_https_and_development_does_not():
    url = "http://127.0.0.1:8080/config"

    assert dynreg.check_configuration_url(url, require_https=False) == "http://127.0.0.1:8080"
    assert refusal(lambda: dynreg.check_configuration_url(url, require_https=True))[0] == (
        "invalid_configuration_url"
    )
    assert refusal(lambda: dynreg.check_configuration_url("", require_https=True))[0] == (
        "missing_configuration_url"
    )


def test_the_registration_sent_and_moodles_answer_read():
    read = fetch(Platform((200, json.dumps(configuration()).encode())))
    answer = {"client_id": "abc", dynreg.TOOL_CONFIGURATION: {"deployment_id": 5}}
    platform = Platform((200, json.dumps(answer).encode()))
    body = dynreg.tool_configuration("https://tool.example/", description="Kompetenslyft")

    result = dynreg.send_registration(platform, read, "token", body)

    assert (result.client_id, result.deployment_id) == ("abc", "5")
    sent = platform.requests[0]
    assert sent["url"] == read.registration_endpoint
    assert json.loads(sent["data"])["initiate_login_uri"] == "https://tool.example/lti/login"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ((400, b"invalid_token_endpoint_auth_method"), "platform_refused"),
        ((201, b'{"client_id": "abc"}'), "registration_response_invalid"),
        ((200, b"not json"), "registration_response_invalid"),
    ],
)
def test_a_refused_or_unreadable_registration_answer_is_refused(answer, reason):
    read = fetch(Platform((200, json.dumps(configuration()).encode())))

    got, _ = refusal(lambda: dynreg.send_registration(Platform(answer), read, None, {}))

    assert got == reason


def test_an_expired_registration_form_is_refused():
    carried = {"openid_configuration": "https://moodle.example/c", "registration_token": "t"}
    token = dynreg.form_token("secret", carried, authorised=True)

    assert dynreg.check_form_token("secret", token, carried) is True
    assert refusal(lambda: dynreg.check_form_token("secret", token, carried, max_age=-1))[0] == (
        "form_expired"
    )
    assert refusal(lambda: dynreg.check_form_token("another instance", token, carried))[0] == (
        "form_invalid"
    )
    other = {**carried, "registration_token": "another"}
    assert refusal(lambda: dynreg.check_form_token("secret", token, other)) == (
        "form_invalid",
        "the form belongs to another registration",
    )
