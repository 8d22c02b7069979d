"""The tool's xAPI Profile (JSON-LD, xAPI Profiles 1.0), for one instance's public URL.

`profile.jsonld` is kept in the repository with `{public_url}` standing for the
URL of the instance, because the tool's own IRIs live under it.
"""

from __future__ import annotations

import json
from pathlib import Path

PROFILE_PATH = Path(__file__).with_name("profile.jsonld")


def profile_document(public_url: str) -> dict:
    text = PROFILE_PATH.read_text(encoding="utf-8")
    return json.loads(text.replace("{public_url}", public_url.rstrip("/")))


def documented_iris(public_url: str) -> dict[str, set[str]]:
    """The concept IRIs the profile documents, by concept type."""
    by_type: dict[str, set[str]] = {}
    for concept in profile_document(public_url)["concepts"]:
        by_type.setdefault(concept["type"], set()).add(concept["id"])
    return by_type
