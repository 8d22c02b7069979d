"""What any request may carry, checked once for every route: ids a database column can hold
and text without NUL characters.

Both are refused here rather than in each view because the database is what fails on them,
and only on PostgreSQL: an `integer` id column overflows at 2^31 ("integer out of range")
and a text column refuses the NUL character (U+0000) outright, where SQLite stores both.
Measured on the tool before this module: 12 routes with an id in the path answered 500 to
/plans/99999999999, and a NUL in any query, form field or uploaded CSV answered 500 (the
staff upload's error page then failed too, its database session left broken).

- Every `<int:...>` in a route goes through `DatabaseId`: a number no id column can hold
  matches no route, so it is a 404 like any other unknown id.  It replaces Flask's `int`
  converter itself, so a route added later is covered without anyone remembering.
- A NUL in a query parameter, form field (name or value), path value, upload's file name or
  an uploaded file's content is a 400 with the usual error page (or JSON for programs).
  Every file the web takes is read as UTF-8 text (staff lists and catalogues, CSV or JSON),
  and no UTF-8 text file holds a NUL byte: a file that does is UTF-16 or not text at all.
"""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter, Map

# PostgreSQL's `integer`, the id columns' type; SQLite's are larger (2^63 - 1).
DATABASE_ID_MAX = 2**31 - 1
NUL = "\x00"
# Uploads are read in pieces of this size while looking for a NUL byte, then rewound.
_CHUNK = 64 * 1024


def digits_up_to(limit: int) -> str:
    """A regular expression matching the decimal numbers from 0 to `limit`, leading zeros
    allowed within `limit`'s length: "[0-9]{1,9}|[0-1][0-9]{9}|...|2147483647"."""
    text = str(limit)
    alternatives = [f"[0-9]{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for position, digit in enumerate(text):
        if digit != "0":
            rest = len(text) - position - 1
            below = "0" if digit == "1" else f"[0-{int(digit) - 1}]"
            alternatives.append(text[:position] + below + (f"[0-9]{{{rest}}}" if rest else ""))
    alternatives.append(text)
    return "(?:" + "|".join(alternatives) + ")"


class DatabaseId(IntegerConverter):
    """Flask's `int` converter, bounded by what an id column can hold.

    The bound is in the pattern, not only in `to_python`: werkzeug answers a number that
    matches the pattern but fails the check with 405 when a sibling rule on the same path
    takes other methods (`/plans/<id>` GET and POST); a pattern that does not match is 404."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,  # noqa: A002 (werkzeug's argument names)
        max: int | None = DATABASE_ID_MAX,  # noqa: A002
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
        if max is not None and not signed and not fixed_digits:
            self.regex = digits_up_to(max)


def whole_number(text: str | None, maximum: int = DATABASE_ID_MAX) -> int | None:
    """A form's or query's number (an id, a count), or None when it is not a plain one.

    Not `text.isdigit()` and `int(text)`: "²" is a digit that int() refuses, 5,000 digits
    are more than int() converts, and 99999999999 is a number no id column holds."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if number <= maximum else None


def bound_ids(app: Flask) -> None:
    """Call before any route is added: a rule takes its converter when it is added."""
    app.url_map.converters["int"] = DatabaseId


def refuse_nul_last(app: Flask) -> None:
    """Call after every blueprint is registered: the check runs after the other hooks, so
    csrf has set an upload's size limit before the form is read here, and the Statement
    API has marked its requests as a program's (whose refusals are JSON)."""
    app.before_request(refuse_nul)


def refuse_nul() -> None:
    if request.routing_exception is not None:
        return  # the route does not exist or takes no such method: that is the answer
    texts = [*request.args.keys(), *_values(request.args)]
    texts += [value for value in (request.view_args or {}).values() if isinstance(value, str)]
    if request.method not in {"GET", "HEAD", "OPTIONS"}:
        texts += [*request.form.keys(), *_values(request.form), *request.files.keys()]
        texts += [upload.filename or "" for upload in _values(request.files)]
    if any(NUL in text for text in texts):
        abort(400, description="nul")
    if request.method not in {"GET", "HEAD", "OPTIONS"}:
        for upload in _values(request.files):
            if _holds_nul(upload.stream):
                abort(400, description="nul_in_file")


def _values(multidict) -> list:
    return [value for _name, value in multidict.items(multi=True)]


def _holds_nul(stream) -> bool:
    position = stream.tell()
    try:
        while chunk := stream.read(_CHUNK):
            if b"\x00" in chunk:
                return True
        return False
    finally:
        stream.seek(position)
