"""competence.strict_csv's problems in the person's language, for every page that takes a CSV
file (the staff list, the catalogue): one wording per problem, whichever file it is in."""

from __future__ import annotations

from flask_babel import lazy_gettext

CSV_PROBLEM_TEXTS = {
    "unclosed_quote": lazy_gettext(
        "a value in quotes starts on this line but its closing quote is missing"
    ),
    "text_after_quote": lazy_gettext(
        'text follows a closing quote; write a quote inside a quoted value as two quotes ("")'
    ),
    "column_count": lazy_gettext(
        "%(found)s columns, the header has %(expected)s; put a value that contains the "
        "separator in quotes"
    ),
    "line_break": lazy_gettext(
        "a value in quotes runs on to line %(end)s; is a closing quote missing on this line?"
    ),
    "nul": lazy_gettext("a NUL character, which cannot be stored (is this a text file?)"),
    "not_utf8": lazy_gettext("not UTF-8; save the file as CSV UTF-8"),
    "not_csv": lazy_gettext("not readable as CSV (%(reason)s)"),
    "too_large": lazy_gettext("the file is %(size)s MB; at most %(limit)s MB can be imported"),
}


def csv_problem_text(code: str, params) -> str:
    """The problem in the person's language; an unknown code is shown as it is."""
    text = CSV_PROBLEM_TEXTS.get(code)
    return code if text is None else str(text) % dict(params or {})
