"""Texts that carry their own translations, as frameworks and instruments do."""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("sv", "en")

Text = Mapping[str, str]


class DocumentError(ValueError):
    """A framework or instrument document is not valid; the message says where."""


def translated(text: Text, locale: str) -> str:
    """The text in the locale, else Swedish, else English, else any language it has."""
    for language in (locale, "sv", "en"):
        if text.get(language):
            return text[language]
    return next(iter(text.values()), "")


def require_text(value: object, where: str) -> dict[str, str]:
    """A {language: text} mapping with Swedish or English present."""
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise DocumentError(f"{where}: must be an object of language: text")
    if not any(value.get(language, "").strip() for language in LANGUAGES):
        raise DocumentError(f"{where}: needs a Swedish or English text")
    return dict(value)
