"""LTI Deep Linking 2.0: read a platform's request, build and sign the tool's response.

A teacher adds the tool to a course from the platform ("Select content" in Moodle).
The platform launches the tool with an `LtiDeepLinkingRequest` whose
`deep_linking_settings` say what it accepts and where the answer goes; the tool
answers by having the browser POST a signed `LtiDeepLinkingResponse` JWT (form field
`JWT`) to `deep_link_return_url`.  The response is signed with the tool's active key,
so the platform verifies it against the tool's JWKS.

The content item is always one `ltiResourceLink` to the tool's single launch URL:
Moodle matches redirect URIs exactly, so what the link is about travels in custom
parameters, never in a query string.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from lti import claims as c
from lti.tool_keys import sign_jwt

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
CONTENT_ITEMS = DL + "content_items"
DATA = DL + "data"
MSG = DL + "msg"
LOG = DL + "log"
ERRORMSG = DL + "errormsg"
ERRORLOG = DL + "errorlog"
RESPONSE = "LtiDeepLinkingResponse"
RESOURCE_LINK = "ltiResourceLink"
RESPONSE_LIFETIME = 300  # seconds
FORM_FIELD = "JWT"  # the form field the platform reads the response from
IFRAME_SIZE = {"width": 1000, "height": 800}


class DeepLinkingError(ValueError):
    """The request cannot be answered as asked; `reason` is a short code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DeepLinkingSettings:
    """The platform's `deep_linking_settings` claim, read leniently and checked where it matters."""

    return_url: str
    accept_types: tuple[str, ...]
    presentation_targets: tuple[str, ...]
    accept_multiple: bool
    accept_lineitem: bool
    auto_create: bool
    title: str | None
    text: str | None
    has_data: bool
    data: object

    @classmethod
    def from_claims(cls, body: dict) -> DeepLinkingSettings:
        settings = body.get(c.DEEP_LINKING_SETTINGS)
        if not isinstance(settings, dict):
            raise DeepLinkingError("not_deep_linking")
        return_url = settings.get("deep_link_return_url")
        if not isinstance(return_url, str) or not return_url.lower().startswith(
            ("https://", "http://")
        ):
            raise DeepLinkingError("bad_return_url")
        return cls(
            return_url=return_url,
            accept_types=_strings(settings.get("accept_types")),
            presentation_targets=_strings(settings.get("accept_presentation_document_targets")),
            accept_multiple=_flag(settings.get("accept_multiple"), default=False),
            accept_lineitem=_flag(settings.get("accept_lineitem"), default=True),
            auto_create=_flag(settings.get("auto_create"), default=False),
            title=_text(settings.get("title")),
            text=_text(settings.get("text")),
            has_data="data" in settings,
            data=settings.get("data"),
        )

    @property
    def accepts_resource_links(self) -> bool:
        return RESOURCE_LINK in self.accept_types


def presentation(targets: tuple[str, ...]) -> dict:
    """How the link should open, among the targets the platform accepts.

    The tool is made to run inside the platform (an iframe it may frame, see the CSP);
    a new window is the next best.  "frame" (the platform's own window) needs no hint.
    """
    if "iframe" in targets:
        return {"iframe": dict(IFRAME_SIZE)}
    if "window" in targets:
        return {"window": {"targetName": "_blank"}}
    return {}


def resource_link_item(
    settings: DeepLinkingSettings,
    *,
    url: str,
    title: str,
    custom: dict[str, str],
    score_maximum: float | None = None,
    resource_id: str | None = None,
    tag: str | None = None,
    text: str | None = None,
) -> dict:
    """One `ltiResourceLink` content item; a `lineItem` when a score is wanted and allowed."""
    if not settings.accepts_resource_links:
        raise DeepLinkingError("resource_links_not_accepted")
    if "?" in url or "#" in url:
        raise DeepLinkingError("url_with_query")  # platforms match redirect URIs exactly
    item: dict = {
        "type": RESOURCE_LINK,
        "title": title,
        "url": url,
        "custom": {str(name): str(value) for name, value in custom.items()},
    }
    if text:
        item["text"] = text
    item.update(presentation(settings.presentation_targets))
    if score_maximum is not None and settings.accept_lineitem:
        line_item: dict = {"scoreMaximum": score_maximum, "label": title}
        if resource_id:
            line_item["resourceId"] = resource_id
        if tag:
            line_item["tag"] = tag
        item["lineItem"] = line_item
    return item


def response_claims(
    request: dict,
    *,
    client_id: str,
    items: list[dict],
    msg: str | None = None,
    errormsg: str | None = None,
    now: int | None = None,
    nonce: str | None = None,
) -> dict:
    """The claims of the `LtiDeepLinkingResponse` to a validated request's claims.

    iss is the tool's client id and aud the platform's issuer (the reverse of a launch);
    the request's `data` comes back unchanged when it had one.  No items means the
    teacher cancelled.  Whatever the platform allows, at most one item is sent.
    """
    settings = DeepLinkingSettings.from_claims(request)
    if len(items) > 1:
        raise DeepLinkingError("one_item_only")
    if items and not settings.accepts_resource_links:
        raise DeepLinkingError("resource_links_not_accepted")
    now = int(time.time()) if now is None else now
    body = {
        "iss": client_id,
        "aud": [request["iss"]],
        "iat": now,
        "exp": now + RESPONSE_LIFETIME,
        "nonce": nonce or secrets.token_urlsafe(24),
        c.DEPLOYMENT_ID: request[c.DEPLOYMENT_ID],
        c.MESSAGE_TYPE: RESPONSE,
        c.VERSION: "1.3.0",
        CONTENT_ITEMS: list(items),
    }
    if settings.has_data:
        body[DATA] = settings.data
    if msg:
        body[MSG] = msg
    if errormsg:
        body[ERRORMSG] = errormsg
    return body


def signed_response(session: Session, claims: dict) -> str:
    """The response JWT, signed with the tool's active key (its kid is in the JWKS)."""
    return sign_jwt(session, claims)


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return ()
    return tuple(item.strip() for item in value if isinstance(item, str) and item.strip())


def _flag(value: object, *, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return default


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
