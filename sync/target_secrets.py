"""The secrets of a sync target: sealed in the database, or read from the environment.

A target may need more than one secret (an OAuth2 client secret and an HMAC
key, say), so the secret is a JSON object of named values.  It is sealed with
storage.lrs.seal (a key derived from the instance's secret key), or the
target's settings name an environment variable holding the same JSON, so it
can live in a secret store.  Secrets are never printed or logged.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from storage.completions import SyncTarget
from storage.lrs import CredentialsUnavailable, seal, unseal


def parse_secrets(text: str) -> dict[str, str]:
    """A JSON object, or `name=value` lines (what a person types into standard input)."""
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError as error:
            raise ValueError(f"the secrets are not valid JSON ({error.msg})") from None
        if not isinstance(document, dict) or not all(
            isinstance(value, str) for value in document.values()
        ):
            raise ValueError("the secrets must be a JSON object of strings")
        return document
    secrets = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.strip():
            raise ValueError(f"line {number} of the secrets is not name=value")
        secrets[name.strip()] = value.strip()
    return secrets


def seal_secrets(secret_key: str, secrets: Mapping[str, str]) -> str:
    return seal(secret_key, json.dumps(dict(secrets), sort_keys=True))


def secrets_of(
    target: SyncTarget, secret_key: str, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The target's named secrets; CredentialsUnavailable when they cannot be read."""
    variable = (target.settings or {}).get("secret_env")
    if variable:
        value = (os.environ if environ is None else environ).get(variable)
        if not value:
            raise CredentialsUnavailable(f"environment variable {variable} is not set")
        try:
            return parse_secrets(value)
        except ValueError as error:
            raise CredentialsUnavailable(f"environment variable {variable}: {error}") from None
    if not target.sealed_secret:
        return {}
    return parse_secrets(unseal(secret_key, target.sealed_secret))
