"""Proof that the browser posting a launch is the one that started its login.

Three ways, strongest first: a state cookie; a secret the tool put in the
platform's own storage through LTI client-side postMessages (when the platform
offers `lti_storage_target`), read back at launch; and, when a browser blocks
third-party cookies and the platform offers no storage, the browser's user
agent recorded at login.  Whatever the binding, the login's nonce is spent
exactly once, so replay protection never depends on it.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from dataclasses import dataclass

from lti.errors import LaunchRejected
from storage import LoginNonce


class Binding(enum.StrEnum):
    COOKIE = "cookie"
    PLATFORM_STORAGE = "platform_storage"
    COOKIELESS = "cookieless"


@dataclass(frozen=True)
class BrowserEvidence:
    state_cookie: str | None
    storage_proof: str | None
    user_agent: str


class NeedsPlatformStorage(Exception):
    """The launch must first read its proof back from the platform's storage frame."""

    def __init__(self, login: LoginNonce) -> None:
        super().__init__(login.state)
        self.state = login.state
        self.storage_target = login.storage_target or "_parent"


def fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def storage_key(state: str) -> str:
    return f"kompetenslyft_state_{state}"


def check_binding(login: LoginNonce, evidence: BrowserEvidence) -> Binding:
    """The binding that proved this browser: the cookie whenever the browser kept it."""
    if evidence.state_cookie is not None and hmac.compare_digest(
        evidence.state_cookie, login.state
    ):
        return Binding.COOKIE
    if login.binding == Binding.PLATFORM_STORAGE:
        if evidence.storage_proof is None:
            raise NeedsPlatformStorage(login)
        if login.browser_secret_hash and hmac.compare_digest(
            fingerprint(evidence.storage_proof), login.browser_secret_hash
        ):
            return Binding.PLATFORM_STORAGE
    elif (
        login.binding == Binding.COOKIELESS
        and login.user_agent_hash
        and hmac.compare_digest(fingerprint(evidence.user_agent), login.user_agent_hash)
    ):
        return Binding.COOKIELESS
    # The browser posting the token is not the one that started the login.
    raise LaunchRejected("state_mismatch")
