"""Why a launch was refused, as a stable reason code and an HTTP status.

Reason codes are part of the tool's interface: they appear on the error page
and in logs so that a support person can tell "expired token" from "replay"
without a stack trace, and tests assert on them.
"""

from __future__ import annotations

from http import HTTPStatus

# code -> HTTP status
REASONS: dict[str, HTTPStatus] = {
    # The login initiation request.
    "missing_login_parameter": HTTPStatus.BAD_REQUEST,
    "unsupported_login_method": HTTPStatus.METHOD_NOT_ALLOWED,
    # The launch request itself.
    "missing_id_token": HTTPStatus.BAD_REQUEST,
    "token_too_large": HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    "malformed_token": HTTPStatus.BAD_REQUEST,
    "missing_state": HTTPStatus.BAD_REQUEST,
    "unknown_state": HTTPStatus.BAD_REQUEST,
    "login_expired": HTTPStatus.BAD_REQUEST,
    "state_mismatch": HTTPStatus.FORBIDDEN,
    # Who sent it.
    "unknown_issuer": HTTPStatus.FORBIDDEN,
    "unknown_client": HTTPStatus.FORBIDDEN,
    "registration_disabled": HTTPStatus.FORBIDDEN,
    "unknown_deployment": HTTPStatus.FORBIDDEN,
    # The signature.
    "unsupported_algorithm": HTTPStatus.UNAUTHORIZED,
    "missing_kid": HTTPStatus.UNAUTHORIZED,
    "unknown_kid": HTTPStatus.UNAUTHORIZED,
    "bad_signature": HTTPStatus.UNAUTHORIZED,
    "platform_keys_unavailable": HTTPStatus.SERVICE_UNAVAILABLE,
    # The claims.
    "token_expired": HTTPStatus.UNAUTHORIZED,
    "token_not_yet_valid": HTTPStatus.UNAUTHORIZED,
    "wrong_audience": HTTPStatus.UNAUTHORIZED,
    "wrong_azp": HTTPStatus.UNAUTHORIZED,
    "missing_nonce": HTTPStatus.BAD_REQUEST,
    "nonce_mismatch": HTTPStatus.FORBIDDEN,
    "nonce_replayed": HTTPStatus.FORBIDDEN,
    "wrong_issuer": HTTPStatus.FORBIDDEN,
    "unsupported_message_type": HTTPStatus.BAD_REQUEST,
    "wrong_lti_version": HTTPStatus.BAD_REQUEST,
    "missing_claim": HTTPStatus.BAD_REQUEST,
    # The signed target_link_uri names another address than the login's, or another site.
    "wrong_target_link_uri": HTTPStatus.FORBIDDEN,
    "claim_too_large": HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
}


class Refusal(Exception):
    """A request the tool refuses, with a reason code from its subclass's `reasons` table."""

    reasons: dict[str, HTTPStatus] = {}

    def __init__(self, reason: str, detail: str = "") -> None:
        if reason not in self.reasons:
            raise ValueError(f"unknown reason code {reason!r} for {type(self).__name__}")
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail

    @property
    def status(self) -> int:
        return int(self.reasons[self.reason])


class LaunchRejected(Refusal):
    """An LTI login or launch that the tool refuses, for a reason the person can be told."""

    reasons = REASONS
