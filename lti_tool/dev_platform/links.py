"""The dev platform's side of deep linking (no Flask here).

The dev platform sends a real `LtiDeepLinkingRequest`, checks the tool's signed
`LtiDeepLinkingResponse` as a platform must (RS256 with a key from the tool's JWKS,
aud = the platform's issuer, iss = the client id, the deployment, a nonce used once,
exp), and keeps the links it creates in a JSON file in the instance folder,
`dev_platform_links.json`, so they survive restarts.  Development only: one small
file, one process, a lock around each read-modify-write; delete the file to forget
the links.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import jwt
from jwcrypto.jwk import JWK

from lti import claims as c
from lti_tool.dev_platform import platform

RESPONSE = "LtiDeepLinkingResponse"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
CONTENT_ITEMS = DL + "content_items"
DATA = DL + "data"
FILE_NAME = "dev_platform_links.json"
RETURN_PATH = "/dev-platform/deep-link-return"
_lock = threading.Lock()


@dataclass(frozen=True)
class CreatedLink:
    """An activity the tool added to a dev course through deep linking."""

    id: str
    course: str
    title: str
    custom: dict[str, str]
    line_item: dict | None = None
    created_at: int = field(default_factory=lambda: int(time.time()))


class LinkStore:
    """Created links and spent response nonces, in one JSON file."""

    def __init__(self, instance_path: Path) -> None:
        self.path = Path(instance_path) / FILE_NAME

    def _read(self) -> dict:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {"links": [], "nonces": {}}
        return {"links": document.get("links", []), "nonces": document.get("nonces", {})}

    def _write(self, document: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        temporary.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
        temporary.replace(self.path)

    def links(self) -> list[CreatedLink]:
        with _lock:
            rows = self._read()["links"]
        return [CreatedLink(**row) for row in rows]

    def get(self, link_id: str | None) -> CreatedLink | None:
        return next((link for link in self.links() if link.id == link_id), None)

    def add(self, course: str, item: dict) -> CreatedLink:
        link = CreatedLink(
            id="dl-" + secrets.token_hex(6),
            course=course,
            title=str(item.get("title") or "Kompetenslyft"),
            custom={str(k): str(v) for k, v in (item.get("custom") or {}).items()},
            line_item=item.get("lineItem") if isinstance(item.get("lineItem"), dict) else None,
        )
        with _lock:
            document = self._read()
            document["links"].append(asdict(link))
            self._write(document)
        return link

    def use_nonce(self, nonce: str, expires: int) -> bool:
        """True the first time a nonce is seen (until it expires), False on any replay."""
        now = int(time.time())
        with _lock:
            document = self._read()
            nonces = {n: e for n, e in document["nonces"].items() if e >= now}
            if nonce in nonces:
                return False
            nonces[nonce] = expires
            document["nonces"] = nonces
            self._write(document)
        return True


def launch_or_deep_linking_claims(hint: dict, store: LinkStore, **launch) -> dict:
    """The id_token claims the hint asks for: a launch of a course's link, or a deep-linking
    request (the message type travels in the hint)."""
    link = store.get(hint.get("link"))
    claims = platform.launch_claims(**launch, link=link)
    if hint.get("message") != c.DEEP_LINKING_REQUEST:
        return claims
    public_url = launch["public_url"].rstrip("/")
    del claims[c.RESOURCE_LINK], claims[c.CUSTOM]
    claims[c.MESSAGE_TYPE] = c.DEEP_LINKING_REQUEST
    claims[c.DEEP_LINKING_SETTINGS] = {
        "deep_link_return_url": public_url + RETURN_PATH,
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe", "window"],
        "accept_multiple": False,
        "auto_create": True,
        "title": "",
        "text": "",
        "data": hint.get("data"),
    }
    return claims


class ResponseRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def verify_response(token: str, jwks: dict, *, public_url: str, leeway: int = 10) -> dict:
    """The tool's deep-linking response, checked as a platform must; ResponseRefused if not."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as error:
        raise ResponseRefused("malformed_token") from error
    if header.get("alg") != "RS256":
        raise ResponseRefused("unsupported_algorithm")
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    key = next(
        (k for k in keys or [] if isinstance(k, dict) and k.get("kid") == header.get("kid")),
        None,
    )
    if key is None:
        raise ResponseRefused("unknown_kid")
    try:
        body = jwt.decode(
            token,
            JWK(**key).export_to_pem(),
            algorithms=["RS256"],
            audience=platform.issuer(public_url),
            issuer=platform.CLIENT_ID,
            leeway=leeway,
            options={"require": ["exp", "iat", "iss", "aud", "nonce"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise ResponseRefused("token_expired") from error
    except jwt.InvalidTokenError as error:
        raise ResponseRefused(type(error).__name__) from error
    if body.get(c.MESSAGE_TYPE) != RESPONSE:
        raise ResponseRefused("wrong_message_type")
    if body.get(c.VERSION) != "1.3.0":
        raise ResponseRefused("wrong_lti_version")
    if body.get(c.DEPLOYMENT_ID) != platform.DEPLOYMENT_ID:
        raise ResponseRefused("unknown_deployment")
    items = body.get(CONTENT_ITEMS, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ResponseRefused("malformed_content_items")
    return body
