"""A teacher adding the tool to a course (deep linking), written as plain HTTP with a cookie jar."""

from __future__ import annotations

import html
import re

import jwt
import requests
from jwcrypto.jwk import JWK

from tests.support.assessing import csrf
from tests.support.browsing import form_action, form_fields

CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
MESSAGE_TYPE = "https://purl.imsglobal.org/spec/lti/claim/message_type"
TEACHER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def dev_deep_link(
    browser: requests.Session,
    tool_url: str,
    person: str = "teacher",
    course: str = "digi101",
    locale: str = "sv",
) -> requests.Response:
    """Click "Add activity (deep linking)" on the dev platform; returns the tool's page."""
    platform_page = browser.get(
        f"{tool_url}/dev-platform/deep-link/start",
        params={"person": person, "course": course, "locale": locale},
    )
    assert platform_page.status_code == 200, platform_page.text
    return browser.post(form_action(platform_page.text), data=form_fields(platform_page.text))


def chooser_action(page: str, name: str = "respond") -> str:
    path = {"respond": "/deep-linking/response", "cancel": "/deep-linking/cancel"}[name]
    found = re.search(rf'action="([^"]*{path}[^"]*)"', page)
    assert found, page
    return html.unescape(found.group(1))


def choose(
    browser: requests.Session, tool_url: str, page: requests.Response, **fields: str
) -> requests.Response:
    """Fill in the deep-linking form (defaults as a teacher leaves them) and press Add."""
    data = {
        "csrf_token": csrf(page.text),
        "instrument": "digcomp-2.2-full",
        "title": "Självskattning",
        "language": "sv",
        "share_with_manager": "no",
        "score_maximum": "8",
        "attempts": "",
    }
    data.update(fields)
    return browser.post(tool_url + chooser_action(page.text), data=data)


def cancel(browser: requests.Session, tool_url: str, page: requests.Response) -> requests.Response:
    return browser.post(
        tool_url + chooser_action(page.text, "cancel"), data={"csrf_token": csrf(page.text)}
    )


def response_form(page: requests.Response) -> tuple[str, str]:
    """The auto-posting form of the tool's answer: where it goes and the JWT it carries."""
    return form_action(page.text), form_fields(page.text)["JWT"]


def tool_jwks(tool_url: str) -> dict:
    return requests.get(tool_url + "/.well-known/jwks.json", timeout=5).json()


def verified(token: str, tool_url: str, audience: str, issuer: str) -> dict:
    """The response JWT checked as a platform checks it: the tool's JWKS over HTTP."""
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in tool_jwks(tool_url)["keys"] if k["kid"] == kid)
    return jwt.decode(
        token,
        JWK(**key).export_to_pem(),
        algorithms=["RS256"],
        audience=audience,
        issuer=issuer,
        options={"require": ["exp", "iat", "iss", "aud", "nonce"]},
    )


def deep_linking_settings(return_url: str, **overrides) -> dict:
    settings = {
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe", "window"],
        "accept_multiple": True,
        "auto_create": False,
        "deep_link_return_url": return_url,
    }
    settings.update(overrides)
    return {k: v for k, v in settings.items() if v is not None}
