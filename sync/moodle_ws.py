"""A client for Moodle's REST web services, and what its failures mean for a delivery.

Every call is `POST <site>/webservice/rest/server.php` with `wstoken`,
`wsfunction` and `moodlewsrestformat=json`; arrays and objects travel
flattened the way PHP reads form fields (`competencies[0][id]=3`).  Moodle
answers an error with HTTP 200 and `{"exception", "errorcode", "message"}`,
so a 200 is not yet a success.
"""

from __future__ import annotations

from collections.abc import Mapping

import requests

from outbound.delivery import DeliveryFailed
from storage.completions import SyncTarget
from storage.lrs import CredentialsUnavailable, unseal

REST_PATH = "/webservice/rest/server.php"

# Errors about the token or the service's rights: no delivery to this Moodle can pass until
# an admin fixes the settings, so the whole target is paused, nothing is dead-lettered.
TARGET_ERRORS = frozenset(
    {
        "invalidtoken",
        "accessexception",
        "servicerequireslogin",
        "nopermissions",
        "webservicenotenabled",
        "sitemaintenance",
    }
)
# One record Moodle cannot find or accept: this delivery only.
RECORD_ERRORS = frozenset({"invalidrecord", "invalidparameter", "invalidpersistenterror"})


class MoodleUnavailable(Exception):
    """No answer, a timeout or a 5xx: the same call may pass later."""


class MoodleError(Exception):
    """Moodle answered with an exception body."""

    def __init__(self, function: str, errorcode: str, message: str, exception: str = "") -> None:
        super().__init__(f"{function}: {errorcode}: {message}")
        self.function = function
        self.errorcode = errorcode
        self.message = message
        self.exception = exception

    @property
    def concerns_target(self) -> bool:
        """True when the token or the service is at fault, not the record sent."""
        return self.errorcode in TARGET_ERRORS


def flatten(params: Mapping[str, object], prefix: str = "") -> dict[str, str]:
    """Moodle's form encoding: {"plan": {"name": "x"}, "ids": [1]} → plan[name]=x, ids[0]=1."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, Mapping):
            flat.update(flatten(value, name))
        elif isinstance(value, list | tuple):
            flat.update(flatten(dict(enumerate(value)), name))
        elif isinstance(value, bool):
            flat[name] = "1" if value else "0"
        elif value is not None:
            flat[name] = str(value)
    return flat


class MoodleWs:
    """One Moodle site, one token; `call(function, **params)` returns the decoded JSON."""

    def __init__(self, http: requests.Session, site_url: str, token: str) -> None:
        self.http = http
        self.endpoint = site_url.rstrip("/") + REST_PATH
        self._token = token

    def __repr__(self) -> str:  # never the token
        return f"MoodleWs({self.endpoint!r})"

    def call(self, function: str, **params: object) -> object:
        data = {"wstoken": self._token, "wsfunction": function, "moodlewsrestformat": "json"}
        data.update(flatten(params))
        try:
            response = self.http.post(self.endpoint, data=data)
        except requests.RequestException as error:
            raise MoodleUnavailable(f"{function}: {type(error).__name__}") from error
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise MoodleUnavailable(f"{function}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise MoodleError(function, f"http{response.status_code}", response.text[:300])
        try:
            body = response.json()
        except ValueError as error:
            # A PHP notice or a login page instead of JSON: the site is misconfigured or busy.
            raise MoodleUnavailable(f"{function}: the answer was not JSON") from error
        if isinstance(body, dict) and "exception" in body and "errorcode" in body:
            raise MoodleError(
                function, str(body["errorcode"]), str(body.get("message", "")), body["exception"]
            )
        return body


UNAVAILABLE_RETRY_SECONDS = 60.0


def as_delivery_failure(error: MoodleError | MoodleUnavailable) -> DeliveryFailed:
    """What the outbox does with a Moodle failure: retry later, or dead-letter with the reason.

    Target errors are retried (slowly) rather than dead: the sender pauses the target and
    an admin fixing the token lets every waiting delivery through."""
    if isinstance(error, MoodleUnavailable):
        # Not at once: a rating whose answer was lost may still be landing in a slow Moodle,
        # and the retry looks for it there before rating again.
        return DeliveryFailed(
            f"Moodle unavailable: {error}", retryable=True, retry_after=UNAVAILABLE_RETRY_SECONDS
        )
    if error.concerns_target:
        return DeliveryFailed(
            f"Moodle refused the web-service token ({error.errorcode}: {error.message}); "
            "check the sync target's token and the service's functions",
            retryable=True,
            retry_after=3600.0,
        )
    return DeliveryFailed(f"Moodle refused: {error}", retryable=False)


def moodle_of(target: SyncTarget, http: requests.Session, secret_key: str) -> MoodleWs:
    """The target's client; its token is sealed in the row or named in settings["secret_env"]."""
    import os

    env = target.settings.get("secret_env")
    if env:
        token = os.environ.get(env, "")
    elif target.sealed_secret:
        token = unseal(secret_key, target.sealed_secret)
    else:
        token = ""
    if not token:
        raise CredentialsUnavailable("the Moodle target has no web-service token")
    return MoodleWs(http, target.settings["url"], token)
