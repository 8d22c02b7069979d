"""An xAPI client reads an organisation's statements at /xapi/statements, as xAPI 1.0.3 says.

Every rule tested here is from the Statement Resource's GET (xAPI 1.0.3, part three,
2.1.3): the filters, `more` paging, since/until, formats and voided statements.  Refusals,
the version header and credentials: test_statement_api_access.py; each parameter's rules,
fast: tests/xapi/test_statement_query.py.
"""

import json
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from storage.statements import queries as statement_queries
from tests.support.statement_store import (
    ANSWERED,
    COMPLETED,
    COURSE,
    INITIALIZED,
    INSTRUMENT,
    T0,
    VOIDED,
    attempt,
    ids,
    organisation,
    reader,
    store,
    void,
    where,
)


def stored_at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def every_page(client, params) -> tuple[list[str], int]:
    """Follows `more` to the end; the ids in the order served, and how many pages."""
    response = client.get(params=params)
    served, pages = ids(response), 1
    while response.json()["more"]:
        more = response.json()["more"]
        assert more.startswith("/xapi/statements?more=")
        response = client.get(more)
        served, pages = served + ids(response), pages + 1
    return served, pages


# --- what a list answers --------------------------------------------------------------------


def test_newest_stored_first_each_with_stored_authority_and_version(client_a, db, org_a, tool_url):
    rows = store(db, org_a, attempt())

    response = client_a.get()

    assert response.status_code == 200
    body = response.json()
    assert body["more"] == ""
    assert [s["id"] for s in body["statements"]] == [row.id for row in reversed(rows)]
    newest = body["statements"][0]
    assert newest["stored"] == "2026-03-02T09:00:03.000000Z"
    assert newest["version"] == "1.0.3"
    assert newest["authority"] == {
        "objectType": "Agent",
        "name": "Kompetenslyft",
        "account": {"homePage": tool_url, "name": "kompetenslyft"},
    }
    exact = {k: v for k, v in newest.items() if k not in ("stored", "authority")}
    assert exact == rows[-1].statement
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    consistent = datetime.fromisoformat(response.headers["X-Experience-API-Consistent-Through"])
    assert consistent.tzinfo is not None


def test_responses_are_not_cached_framed_or_given_a_cookie(client_a):
    response = client_a.get(params={"lang": "en"})  # would choose a language in a browser
    for answered in (client_a.get(), response):
        assert answered.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in answered.headers["Content-Security-Policy"]
        assert answered.headers["X-Frame-Options"] == "DENY"
        assert "Set-Cookie" not in answered.headers


def test_head_answers_the_headers_without_a_body(client_a, db, org_a):
    store(db, org_a, attempt())

    response = requests.head(
        client_a.base_url + "/xapi/statements",
        headers={"X-Experience-API-Version": "1.0.3"},
        auth=(client_a.key, client_a.secret),
        timeout=10,
    )

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert "X-Experience-API-Consistent-Through" in response.headers


# --- more paging ------------------------------------------------------------------------------


@pytest.mark.parametrize("ascending", ["false", "true"])
def test_more_pages_through_every_statement_once(client_a, db, org_a, ascending):
    # 23 statements; five stored at the same instant, so pages also break inside a tie.
    rows = store(db, org_a, [s for _ in range(5) for s in attempt()][:18])
    rows += store(
        db, org_a, attempt(answers=3), first_stored=T0 + timedelta(seconds=100), step=timedelta(0)
    )
    expected = sorted((row.stored, row.id) for row in rows)
    if ascending == "false":
        expected.reverse()

    served, pages = every_page(client_a, {"limit": 5, "ascending": ascending})

    assert served == [row_id for _, row_id in expected]
    assert pages == 5


def test_statements_stored_while_paging_neither_repeat_nor_shift_pages(client_a, db, org_a):
    rows = store(db, org_a, attempt(answers=8))  # 10 statements
    first = client_a.get(params={"limit": 4})
    store(db, org_a, attempt(), first_stored=T0 + timedelta(hours=1))  # newer than all

    served = ids(first)
    response = first
    while response.json()["more"]:
        response = client_a.get(response.json()["more"])
        served += ids(response)

    assert served == [row.id for row in reversed(rows)]


def test_a_more_link_keeps_the_filters_and_format(client_a, db, org_a):
    store(db, org_a, attempt(answers=6))
    store(db, org_a, attempt(answers=6), first_stored=T0 + timedelta(minutes=1))

    response = client_a.get(params={"verb": ANSWERED, "limit": 5, "format": "ids"})
    served = []
    while True:
        body = response.json()
        served += body["statements"]
        if not body["more"]:
            break
        assert "verb" not in parse_qs(urlsplit(body["more"]).query)
        response = client_a.get(body["more"])

    assert len(served) == 12
    assert {s["verb"]["id"] for s in served} == {ANSWERED}
    assert all(s["verb"] == {"id": ANSWERED} for s in served)  # still the ids format


def test_a_more_link_cannot_be_altered_or_used_by_another_organisation(
    client_a, db, org_a, tool_url
):
    store(db, org_a, attempt(answers=6))
    more = client_a.get(params={"limit": 2}).json()["more"]
    token = parse_qs(urlsplit(more).query)["more"][0]
    client_b = reader(db, tool_url, organisation(db, "kommun-b"))

    altered = client_a.get(params={"more": token[:-2] + ("AA" if token[-2:] != "AA" else "BB")})
    elsewhere = client_b.get(more)
    with_filters = client_a.get(more + "&verb=" + ANSWERED)

    assert altered.status_code == 400 and altered.json()["error"] == "bad_more"
    assert elsewhere.status_code == 400 and elsewhere.json()["error"] == "bad_more"
    assert with_filters.status_code == 400
    assert with_filters.json()["error"] == "more_with_parameters"


# --- limit, since, until, ascending --------------------------------------------------------


def test_limit_caps_a_page_and_zero_means_the_servers_maximum(client_a, db, org_a, monkeypatch):
    monkeypatch.setattr(statement_queries, "MAX_LIMIT", 3)
    store(db, org_a, attempt(answers=3))  # 5 statements

    two = client_a.get(params={"limit": 2}).json()
    zero = client_a.get(params={"limit": 0}).json()
    too_many = client_a.get(params={"limit": 1000}).json()

    assert len(two["statements"]) == 2 and two["more"]
    assert len(zero["statements"]) == 3 and zero["more"]
    assert len(too_many["statements"]) == 3 and too_many["more"]


def test_since_is_exclusive_and_until_inclusive_on_stored(client_a, db, org_a):
    rows = store(db, org_a, attempt(answers=3))  # stored at T0 + 0, 1, 2, 3, 4 s

    since = client_a.get(params={"since": stored_at(1), "ascending": "true"})
    until = client_a.get(params={"until": stored_at(1), "ascending": "true"})
    both = client_a.get(params={"since": stored_at(1), "until": stored_at(3)})
    offset = client_a.get(params={"since": "2026-03-02T10:00:02+01:00", "ascending": "true"})

    assert ids(since) == [row.id for row in rows[2:]]
    assert ids(until) == [row.id for row in rows[:2]]
    assert ids(both) == [rows[3].id, rows[2].id]
    assert ids(offset) == [row.id for row in rows[3:]]


def test_a_statements_stored_value_as_since_leaves_it_out(client_a, db, org_a):
    rows = store(db, org_a, attempt(answers=1), step=timedelta(microseconds=7))

    newest = client_a.get(params={"limit": 1}).json()["statements"][0]
    after = client_a.get(params={"since": newest["stored"]})
    before = client_a.get(params={"until": newest["stored"], "ascending": "true"})

    assert ids(after) == []
    assert ids(before) == [row.id for row in rows]


# --- filters --------------------------------------------------------------------------------


def test_agent_matches_the_actor_only(client_a, db, org_a):
    mine = store(db, org_a, attempt(who=where("learner-1")))
    store(db, org_a, attempt(who=where("learner-2")), first_stored=T0 + timedelta(minutes=1))
    store(
        db,
        org_a,
        attempt(who=where("learner-1", issuer="https://moodle.other.test")),
        first_stored=T0 + timedelta(minutes=2),
    )
    agent = {
        "objectType": "Agent",
        "account": {"homePage": "https://moodle.a.test", "name": "learner-1"},
    }

    response = client_a.get(params={"agent": json.dumps(agent), "ascending": "true"})

    assert ids(response) == [row.id for row in mine]


def test_related_agents_also_matches_instructor_team_and_sub_statements(client_a, db, org_a):
    teacher = {"objectType": "Agent", "mbox": "mailto:larare@kommun-a.se"}
    learner = {
        "objectType": "Agent",
        "account": {"homePage": "https://moodle.a.test", "name": "l1"},
    }
    activity = {"objectType": "Activity", "id": INSTRUMENT}
    verb = {"id": COMPLETED, "display": {"en": "completed"}}
    as_instructor = {
        "id": "5f0c6b1a-0000-4000-8000-000000000001",
        "actor": learner,
        "verb": verb,
        "object": activity,
        "context": {"instructor": teacher},
    }
    in_sub_statement = {
        "id": "5f0c6b1a-0000-4000-8000-000000000002",
        "actor": learner,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/asked", "display": {"en": "asked"}},
        "object": {
            "objectType": "SubStatement",
            "actor": teacher,
            "verb": verb,
            "object": activity,
        },
    }
    as_actor = {
        "id": "5f0c6b1a-0000-4000-8000-000000000003",
        "actor": teacher,
        "verb": verb,
        "object": activity,
    }
    store(db, org_a, [as_instructor, in_sub_statement, as_actor])
    params = {"agent": json.dumps(teacher), "ascending": "true"}

    assert ids(client_a.get(params=params)) == [as_actor["id"]]
    assert ids(client_a.get(params=params | {"related_agents": "true"})) == [
        as_instructor["id"],
        in_sub_statement["id"],
        as_actor["id"],
    ]


def test_the_tool_as_authority_is_a_related_agent_of_every_statement(client_a, db, org_a):
    rows = store(db, org_a, attempt())
    authority = client_a.get().json()["statements"][0]["authority"]

    direct = client_a.get(params={"agent": json.dumps(authority)})
    related = client_a.get(params={"agent": json.dumps(authority), "related_agents": "true"})

    assert ids(direct) == []
    assert sorted(ids(related)) == sorted(row.id for row in rows)


def test_verb_and_registration(client_a, db, org_a):
    first = store(db, org_a, attempt(answers=2))
    store(db, org_a, attempt(answers=2), first_stored=T0 + timedelta(minutes=1))
    registration = first[0].statement["context"]["registration"]

    answered = client_a.get(params={"verb": ANSWERED})
    one_attempt = client_a.get(params={"registration": registration, "ascending": "true"})
    both = client_a.get(params={"registration": registration, "verb": COMPLETED})

    assert len(ids(answered)) == 4
    assert {s["verb"]["id"] for s in answered.json()["statements"]} == {ANSWERED}
    assert ids(one_attempt) == [row.id for row in first]
    assert ids(both) == [first[-1].id]


def test_activity_is_the_object_and_related_activities_adds_the_context(client_a, db, org_a):
    rows = store(db, org_a, attempt(answers=2))  # initialized, answered x2, completed
    started, answered, completed = rows[0], rows[1:3], rows[3]

    direct = client_a.get(params={"activity": INSTRUMENT, "ascending": "true"})
    related = client_a.get(
        params={"activity": INSTRUMENT, "related_activities": "true", "ascending": "true"}
    )
    course = client_a.get(params={"activity": COURSE})
    course_related = client_a.get(params={"activity": COURSE, "related_activities": "true"})

    # The answers' object is the question; the instrument is their parent context activity.
    assert ids(direct) == [started.id, completed.id]
    assert ids(related) == [row.id for row in rows]
    assert ids(course) == []
    assert sorted(ids(course_related)) == sorted(row.id for row in [started, *answered, completed])


# --- one statement, voiding -----------------------------------------------------------------


def test_statement_id_answers_the_statement_itself(client_a, db, org_a):
    rows = store(db, org_a, attempt())

    response = client_a.get(params={"statementId": rows[1].id})

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == rows[1].id and body["stored"] == "2026-03-02T09:00:01.000000Z"
    assert response.headers["Last-Modified"] == "Mon, 02 Mar 2026 09:00:01 GMT"
    assert "X-Experience-API-Consistent-Through" in response.headers
    missing = client_a.get(params={"statementId": "00000000-0000-4000-8000-000000000000"})
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_a_voided_statement_is_found_only_as_voided(client_a, db, org_a):
    rows = store(db, org_a, attempt(answers=1))  # initialized, answered, completed
    voiding = void(db, org_a, rows[1], at=T0 + timedelta(minutes=1))

    listed = client_a.get(params={"ascending": "true"})
    by_id = client_a.get(params={"statementId": rows[1].id})
    by_voided_id = client_a.get(params={"voidedStatementId": rows[1].id})
    not_voided = client_a.get(params={"voidedStatementId": rows[0].id})

    assert ids(listed) == [rows[0].id, rows[2].id, voiding["id"]]
    assert by_id.status_code == 404
    assert by_voided_id.status_code == 200 and by_voided_id.json()["id"] == rows[1].id
    assert not_voided.status_code == 404


def test_a_voiding_statement_meets_filters_through_the_statement_it_voids(client_a, db, org_a):
    rows = store(db, org_a, attempt(answers=1))
    voiding = void(db, org_a, rows[0], at=T0 + timedelta(minutes=1))
    learner = rows[0].statement["actor"]

    by_activity = client_a.get(params={"activity": INSTRUMENT, "ascending": "true"})
    by_agent = client_a.get(params={"agent": json.dumps(learner), "verb": VOIDED})
    by_verb = client_a.get(params={"verb": INITIALIZED})

    assert ids(by_activity) == [rows[2].id, voiding["id"]]
    assert ids(by_agent) == [voiding["id"]]
    assert ids(by_verb) == [voiding["id"]]


# --- formats, attachments ---------------------------------------------------------------------


def test_ids_format_keeps_only_identifiers(client_a, db, org_a):
    rows = store(db, org_a, attempt(answers=1))

    statement = client_a.get(params={"statementId": rows[1].id, "format": "ids"}).json()

    assert statement["actor"] == rows[1].statement["actor"]  # already only its account
    assert statement["verb"] == {"id": ANSWERED}
    assert statement["object"] == {
        "objectType": "Activity",
        "id": rows[1].statement["object"]["id"],
    }
    context = statement["context"]["contextActivities"]
    assert context["parent"][0] == {"objectType": "Activity", "id": INSTRUMENT}
    assert all(set(a) == {"objectType", "id"} for kind in context.values() for a in kind)
    assert statement["authority"]["account"]["name"] == "kompetenslyft"
    assert "name" not in statement["authority"]
    assert statement["result"] == rows[1].statement["result"]


@pytest.mark.parametrize(
    ("accept_language", "kept"), [("en-GB,en;q=0.9", "en"), ("sv-SE", "sv"), (None, "sv")]
)
def test_canonical_format_keeps_the_readers_language(client_a, db, org_a, accept_language, kept):
    rows = store(db, org_a, attempt(answers=0))
    assert set(rows[0].statement["object"]["definition"]["name"]) == {"sv", "en"}
    headers = {"Accept-Language": accept_language} if accept_language else {}

    canonical = client_a.get(params={"format": "canonical"}, headers=headers).json()
    exact = client_a.get(params={"format": "exact"}, headers=headers).json()

    started = canonical["statements"][-1]
    assert set(started["object"]["definition"]["name"]) == {kept}
    assert set(started["object"]["definition"]["description"]) == {kept}
    grouping = started["context"]["contextActivities"]["grouping"]
    assert all(len(a["definition"]["name"]) == 1 for a in grouping)
    assert set(exact["statements"][-1]["object"]["definition"]["name"]) == {"sv", "en"}


def test_attachments_true_answers_multipart_with_the_statements_first(client_a, db, org_a):
    rows = store(db, org_a, attempt(answers=0))

    response = client_a.get(params={"attachments": "true"})

    content_type = response.headers["Content-Type"]
    assert content_type.startswith("multipart/mixed; boundary=")
    boundary = content_type.split("boundary=")[1]
    first_part = response.text.split(f"--{boundary}")[1]
    head, body = first_part.split("\r\n\r\n", 1)
    assert "Content-Type: application/json" in head
    assert [s["id"] for s in json.loads(body)["statements"]] == [r.id for r in reversed(rows)]
