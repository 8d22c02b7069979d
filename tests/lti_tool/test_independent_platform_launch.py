"""A person opens the tool from an LMS the tool's authors did not write.

The LMS here is built on `lti1p3platform` (PyPI), an independent LTI 1.3
platform implementation: it builds the login initiation, checks the tool's
authentication request, builds the launch claims and signs the id_token with
its own key.  The tests only play the person's browser between the two.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import requests
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import MessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request

from storage import Deployment, Organisation, PlatformRegistration
from tests.support.browsing import text_of
from tests.support.platforms import SigningKey

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LAUNCH_PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    email: str
    role: str


@dataclass(frozen=True)
class Course:
    id: str
    label: str
    title: str
    activity_id: str
    activity_title: str


KARIN = Member("u-1042", "Karin Lind", "karin.lind@example.invalid", LEARNER)
OLLE = Member("u-2077", "Olle Svensson", "olle.svensson@example.invalid", INSTRUCTOR)
IT_SECURITY = Course("c-88", "ITSEC", "Informationssäkerhet i vardagen", "a-5", "Självskattning")


def rsa_key_pair() -> tuple[str, str]:
    """A private and a public key in PEM, as lti1p3platform's Registration wants them, from
    the test platforms' key pool (consecutive keys differ)."""
    key = SigningKey("lms")
    return key.pem.decode(), key.public_pem.decode()


class LmsConfig(LTI1P3PlatformConfAbstract):
    """lti1p3platform's platform side: the LMS's registration of the tool and its key."""

    def init_platform_config(self, *, issuer, client_id, deployment_id, tool_url, key_pair):
        private_pem, public_pem = key_pair
        self._registration = (
            Registration()
            .set_iss(issuer)
            .set_client_id(client_id)
            .set_deployment_id(deployment_id)
            .set_oidc_login_url(tool_url + "/lti/login")
            .set_launch_url(tool_url + "/lti/launch")
            .set_tool_key_set_url(tool_url + "/lti/jwks")
            .set_platform_public_key(public_pem)
            .set_platform_private_key(private_pem)
        )

    def get_registration_by_params(self, **kwargs) -> Registration:
        return self._registration


class LmsLogin(OIDCLoginAbstract):
    """Third-party initiated login; the "redirect" is the URL the browser is sent to."""

    def set_lti_message_hint(self, **kwargs) -> None:
        self._lti_message_hint = json.dumps(kwargs)

    def get_redirect(self, url: str) -> str:
        return url


class AuthenticationRequest(Request):
    """The tool's authentication request as the browser brings it to the LMS (a GET)."""

    def build_metadata(self, url: str):
        parts = urlsplit(url)
        return {
            "method": "GET",
            "get_data": dict(parse_qsl(parts.query)),
            "form_data": {},
            "headers": {},
            "content_type": None,
            "path": parts.path,
            "json": None,
        }


class LmsLaunch(MessageLaunchAbstract):
    """The LMS answering the authentication request with a signed resource link launch."""

    def __init__(self, request, platform_config, *, member: Member, course: Course, locale):
        super().__init__(request, platform_config)
        self.member = member
        self.course = course
        self.locale = locale

    def prepare_launch(self, preflight_response) -> None:
        # The LMS only launches the person it started the login for.
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
        self.set_resource_link_claim(self.course.activity_id, title=self.course.activity_title)
        self.set_launch_presentation_claim("iframe", "https://lms.example.invalid/course/88")
        if self.locale:
            # set_launch_presentation_claim() has no locale; extra claims are the library's way.
            presentation = dict(self.lti_claim_launch_presentation[LAUNCH_PRESENTATION])
            self.set_extra_claims({LAUNCH_PRESENTATION: {**presentation, "locale": self.locale}})

    def render_launch_form(self, launch_data, **kwargs) -> dict:
        # Instead of the auto-posting HTML form: its action and fields.
        return launch_data


class Lms:
    """An LMS on lti1p3platform with the tool registered, both ways, and its keys published."""

    def __init__(self, tool_url: str, jwks_server, db) -> None:
        name = uuid.uuid4().hex[:8]
        self.issuer = f"https://lms-{name}.example.invalid"
        self.client_id = f"kompetenslyft-{name}"
        self.deployment_id = "17"
        self.tool_url = tool_url
        self.config = self._config(rsa_key_pair())
        jwks_path = f"/lms-{name}/jwks"
        jwks_server.documents[jwks_path] = self.config.get_jwks
        organisation = Organisation(slug=f"lms-{name}", name="Lunds kommun")
        db.add(
            PlatformRegistration(
                organisation=organisation,
                issuer=self.issuer,
                client_id=self.client_id,
                auth_login_url=self.issuer + "/lti/auth",
                auth_token_url=self.issuer + "/lti/token",
                key_set_url=jwks_server.url + jwks_path,
                deployments=[Deployment(deployment_id=self.deployment_id)],
            )
        )
        db.commit()

    def _config(self, key_pair) -> LmsConfig:
        return LmsConfig(
            issuer=self.issuer,
            client_id=self.client_id,
            deployment_id=self.deployment_id,
            tool_url=self.tool_url,
            key_pair=key_pair,
        )

    def start_using_an_unpublished_key(self) -> None:
        """Sign with a new key while the published JWKS still holds only the old one."""
        self.config = self._config(rsa_key_pair())

    def login(self, browser: requests.Session, member: Member, course: Course) -> str:
        """The person clicks the activity; returns where the tool sends the browser next."""
        oidc_login = LmsLogin(None, self.config)
        oidc_login.set_lti_message_hint(course=course.id, activity=course.activity_id)
        login_url = oidc_login.initiate_login(member.user_id)
        answer = browser.get(login_url, allow_redirects=False)
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]

    def launch_form(
        self, auth_request_url: str, member: Member, course: Course, locale: str | None = None
    ) -> dict:
        """The LMS's answer to the tool's authentication request: a form to post to the tool."""
        assert auth_request_url.startswith(self.issuer + "/lti/auth?")
        launch = LmsLaunch(
            AuthenticationRequest(auth_request_url),
            self.config,
            member=member,
            course=course,
            locale=locale,
        )
        return launch.lti_launch()

    def open_tool(
        self,
        browser: requests.Session,
        member: Member,
        course: Course = IT_SECURITY,
        locale: str | None = None,
    ) -> requests.Response:
        form = self.launch_form(self.login(browser, member, course), member, course, locale)
        return post_form(browser, form)


def post_form(browser: requests.Session, form: dict, **kwargs) -> requests.Response:
    """The browser submits the LMS's auto-posting form."""
    return browser.post(
        form["launch_url"], data={"id_token": form["id_token"], "state": form["state"]}, **kwargs
    )


def refused(response: requests.Response, status: int, reason: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == reason


def test_a_learner_from_another_lms_is_greeted_with_role_and_course(
    browser, tool_url, jwks_server, db
):
    lms = Lms(tool_url, jwks_server, db)

    page = lms.open_tool(browser, KARIN)

    assert page.status_code == 200
    assert page.url == tool_url + "/"
    text = text_of(page.text)
    assert "Hej Karin Lind!" in text
    assert "Du är deltagare i kursen Informationssäkerhet i vardagen." in text
    assert "Du har öppnat Självskattning." in text
    assert "Din roll" not in text  # no developer-style table of role, course and activity
    assert "Tillbaka till kursen" in text


def test_a_teacher_whose_lms_speaks_english_gets_the_tool_in_english(
    browser, tool_url, jwks_server, db
):
    lms = Lms(tool_url, jwks_server, db)

    text = text_of(lms.open_tool(browser, OLLE, locale="en").text)

    assert "Hello, Olle Svensson!" in text
    assert "You are a teacher in the course Informationssäkerhet i vardagen." in text


def test_the_lms_answers_the_tools_own_authentication_request(browser, tool_url, jwks_server, db):
    lms = Lms(tool_url, jwks_server, db)

    auth_request_url = lms.login(browser, KARIN, IT_SECURITY)
    auth_request = dict(parse_qsl(urlsplit(auth_request_url).query))
    form = lms.launch_form(auth_request_url, KARIN, IT_SECURITY)

    assert auth_request["redirect_uri"] == form["launch_url"] == tool_url + "/lti/launch"
    assert auth_request["login_hint"] == KARIN.user_id
    assert json.loads(auth_request["lti_message_hint"]) == {"course": "c-88", "activity": "a-5"}
    assert "Hej Karin Lind!" in text_of(post_form(browser, form).text)


def test_a_token_signed_with_a_key_the_lms_does_not_publish_is_refused(
    browser, tool_url, jwks_server, db
):
    lms = Lms(tool_url, jwks_server, db)
    lms.start_using_an_unpublished_key()

    form = lms.launch_form(lms.login(browser, KARIN, IT_SECURITY), KARIN, IT_SECURITY)

    response = post_form(browser, form, headers={"Accept": "application/json"})

    refused(response, 401, "unknown_kid")
    assert "Hej" not in text_of(browser.get(tool_url + "/").text)


def test_posting_the_same_launch_again_is_refused(browser, tool_url, jwks_server, db):
    lms = Lms(tool_url, jwks_server, db)
    form = lms.launch_form(lms.login(browser, KARIN, IT_SECURITY), KARIN, IT_SECURITY)
    assert "Hej Karin Lind!" in text_of(post_form(browser, form).text)

    again = post_form(browser, form, headers={"Accept": "application/json"})

    refused(again, 403, "nonce_replayed")


def test_a_launch_finished_in_another_browser_is_refused(
    browser, other_browser, tool_url, jwks_server, db
):
    lms = Lms(tool_url, jwks_server, db)
    form = lms.launch_form(lms.login(browser, KARIN, IT_SECURITY), KARIN, IT_SECURITY)

    response = post_form(other_browser, form, headers={"Accept": "application/json"})

    refused(response, 403, "state_mismatch")
    assert "Hej" not in text_of(other_browser.get(tool_url + "/").text)
