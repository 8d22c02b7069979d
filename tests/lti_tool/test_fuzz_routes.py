"""Every route, sent what a careless paste or a hostile client sends, answers with a refusal
or a page, never a 500: NUL characters in query and form fields (names and values), numbers
no database id holds in every path parameter and number field, and oversized fields and
uploads.

The routes and the people who may use them are the authorization matrix's, and the public
routes beside it (LTI login and launch, registration, the admin sign-in, static files): each
request is made as a role the route lets in (so the hostile value reaches the view, not only
the access check), with that session's own CSRF token.
"""

from __future__ import annotations

import re

import requests

from tests.lti_tool import test_authorization_matrix as matrix
from tests.lti_tool.test_authorization_matrix import MATRIX, _fill
from tests.lti_tool.test_route_guard import PUBLIC
from tests.support.assessing import csrf

people = matrix.people  # the matrix's fixture: a logged-in session per role, and the ids

HUGE_IDS = (2**31, 2**63, 10**30)
# A digit int() refuses; more digits than int() converts (4,300); a number beyond every
# integer column; a negative one.  Each request gives every field one of them, in turn, so
# each field gets each, and a request stays within the size the tool takes (48 KiB) and a
# query string within the 64 KiB a request line may have: the values reach the views.
ODD_VALUES = ("²", "9" * 4301, str(10**30), "-1")
# The names the tool's forms and pages read, so the odd values reach the code that reads them.
FIELDS = (
    "active", "activity", "admin_secret", "answer", "attempts", "comment", "confirm", "course",
    "days", "direction", "dry_run", "enabled", "format", "id_token", "instrument", "item_key",
    "lang", "left", "limit", "locale", "next", "organisation", "organisation_name", "period",
    "person", "person_id", "q", "retired", "role", "saved", "score_maximum",
    "share_with_manager", "split", "state", "step", "target-2.1", "title", "url", "via",
)  # fmt: skip
UPLOADS = {"/organisation/staff": "staff_list", "/catalogue/import": "file"}
ONE_MB = 1024 * 1024
# Logging out ends the session the later requests are made with: that route goes last.
LAST = "/admin/logout"


def _as(methods: dict[str, set[str]], method: str) -> str:
    allowed = sorted(methods[method])
    return allowed[0] if allowed else "org_admin"


def _routes(app) -> dict[str, dict[str, set[str]]]:
    """The matrix's routes, and the public ones (the LTI endpoints, the admin sign-in, ...),
    which anyone may use: a stranger's browser tries them (a login started there must not
    end the sessions the other routes are tried with)."""
    routes = dict(MATRIX)
    for rule in app.url_map.iter_rules():
        if rule.rule in PUBLIC:
            methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
            routes.setdefault(rule.rule, {}).update({m: {"stranger"} for m in methods})
    return dict(sorted(routes.items(), key=lambda route: route[0] == LAST))


def test_no_route_answers_hostile_input_with_a_server_error(people, tool_url, app):
    sessions, ids = people
    tokens = {role: csrf(browser.get(tool_url + "/").text) for role, browser in sessions.items()}
    sessions["stranger"] = requests.Session()
    tokens["stranger"] = ""  # the LTI endpoints take none; the admin sign-in is off here
    answered: dict[tuple[str, ...], int] = {}
    wrong: dict[tuple[str, ...], int] = {}

    def send(key: tuple[str, ...], role: str, method: str, url: str, **kwargs) -> None:
        if method == "POST":
            kwargs["data"] = {"csrf_token": tokens[role], **kwargs.get("data", {})}
        response = sessions[role].request(method, url, allow_redirects=False, **kwargs)
        answered[key] = response.status_code
        if response.status_code >= 500:
            wrong[key] = response.status_code

    routes = _routes(app)
    assert set(PUBLIC) <= set(routes)
    for rule, methods in routes.items():
        for method in sorted(methods):
            role = _as(methods, method)
            url = tool_url + _fill(rule, ids)
            carry = "params" if method == "GET" else "data"
            for turn in range(len(ODD_VALUES)):
                odd = {f: ODD_VALUES[(i + turn) % len(ODD_VALUES)] for i, f in enumerate(FIELDS)}
                send((rule, method, f"odd values {turn}"), role, method, url, **{carry: odd})
            # Longer than any text column (255 characters), within the size the tool takes.
            long = dict.fromkeys(FIELDS, "x" * 1000)
            send((rule, method, "odd values: long text"), role, method, url, **{carry: long})
            nul = {"q\x00": "1", **dict.fromkeys(FIELDS, "Anna\x00Berg")}
            send((rule, method, "NUL"), role, method, url, **{carry: nul})
            for converter, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", rule):
                for huge in HUGE_IDS if converter == "int" else HUGE_IDS[-1:]:
                    filled = _fill(rule, {**ids, name: str(huge)})
                    send((rule, method, name, str(huge)), role, method, tool_url + filled)
            if method == "POST":
                big = {"comment": "x" * ONE_MB, "title": "x" * ONE_MB}
                send((rule, method, "1 MB fields"), role, method, url, data=big)
            if method == "POST" and rule in UPLOADS:
                files = {UPLOADS[rule]: ("list.csv", b"x" * (9 * ONE_MB), "text/csv")}
                send((rule, method, "9 MB upload"), role, method, url, files=files)
                files = {UPLOADS[rule]: ("list.csv", b"employee_id\n1\x00\n", "text/csv")}
                send((rule, method, "NUL in the file"), role, method, url, files=files)

    assert wrong == {}
    odd = [status for key, status in answered.items() if key[-1].startswith("odd values")]
    assert not {413, 414} & set(odd)  # every one reached the view it was sent to
    nul = {key: status for key, status in answered.items() if "NUL" in key[-1]}
    assert set(nul.values()) == {400}, nul
    huge_ids = {
        key: status
        for key, status in answered.items()
        if len(key) == 4 and f"<int:{key[2]}>" in key[0]
    }
    assert set(huge_ids.values()) == {404}, huge_ids
