"""Which language a page speaks: the person's own choice, else the launch's, else Swedish.

The browser's Accept-Language is deliberately not consulted: staff of a Swedish
municipality often run English-language browsers but expect the tool in Swedish
unless Moodle (their own language setting) or they themselves say otherwise.
Programs are the exception: a Statement API client has no person or launch behind
it, so its Accept-Language chooses the language of its error messages.
"""

from __future__ import annotations

from datetime import UTC

from flask import Flask, current_app, g, request, session, url_for
from flask_babel import Babel, format_date, format_datetime, format_decimal, format_time, get_locale

from competence.texts import translated
from lti_tool.counts_in_words import counts_in_words

LANGUAGES = ("sv", "en")
TIME_ZONE = "Europe/Stockholm"


def init_app(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(app.root_path + "/translations")
    # Stored times are naive UTC; people read them in Swedish time (summer time included).
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIME_ZONE)
    Babel(app, locale_selector=select_locale)
    app.before_request(_remember_chosen_language)
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES,
        get_locale=get_locale,
        translated=translated,
        format_date=format_date,
        format_datetime=format_datetime,
        format_decimal=format_decimal,
        this_page_in=this_page_in,
        counts_in_words=counts_in_words,
        format_when=format_when,
        utc_iso=utc_iso,
        format_time=format_time,
    )


def utc_iso(value) -> str:
    """A stored time for `<time datetime>`: ISO 8601 in UTC, "2026-07-01T12:05:00Z"."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="seconds") + "Z"


def format_when(value) -> str:
    """A stored (naive UTC) time as people write it, in Swedish time: "1 juli 2026 14:05"
    in Swedish, "Jul 1, 2026 2:05 PM" in English."""
    if value is None:
        return ""
    return f"{format_date(value)} {format_time(value, 'short')}"


def this_page_in(language: str) -> str:
    """The page being shown, in another language: same path and query (a report's period,
    say), only `lang` changed.  After a POST, the start page."""
    if request.method != "GET" or not request.endpoint:
        return url_for("home.index", lang=language)
    arguments = {**request.args.to_dict(), **(request.view_args or {}), "lang": language}
    return url_for(request.endpoint, **arguments)


def select_locale() -> str:
    requested = g.get("request_locale")  # set only for program clients (the Statement API)
    if requested in LANGUAGES:
        return requested
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return chosen
    for launched in (g.get("launch_locale"), session.get("launch_locale")):
        language = language_of(launched)
        if language:
            return language
    return current_app.config["DEFAULT_LOCALE"]


def language_of(locale: str | None) -> str | None:
    """'sv-SE', 'sv_FI' or 'en' to one of the tool's languages; None when it has none."""
    if not locale:
        return None
    language = locale.replace("_", "-").split("-")[0].lower()
    return language if language in LANGUAGES else None


def _remember_chosen_language() -> None:
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["locale"] = chosen
