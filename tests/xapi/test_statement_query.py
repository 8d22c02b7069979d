"""An xAPI client's GET /statements parameters, read into a typed query or refused with a code.

Direct calls of xapi.statement_query, no server: what each parameter may be and which go
together (xAPI 1.0.3, part three, 2.1.3).  The HTTP tests (tests/lti_tool/test_statement_api*.py)
keep the end-to-end stories: the refusal as JSON in the client's language, paging, filters.
"""

import json
from datetime import UTC, datetime

import pytest

from storage.statements import MAX_LIMIT, Cursor, StatementFilter, agent_key
from xapi.statement_query import (
    ContinuedQuery,
    QueryRefused,
    StatementById,
    StatementQuery,
    continued_query,
    more_token,
    parse_statement_query,
)

ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
INSTRUMENT = "https://kompetenslyft.example.se/xapi/instruments/digcomp-2.2-short"
AGENT = json.dumps({"mbox": "mailto:a@kommun-a.se"})
STATEMENT = "5f0c6b1a-0000-4000-8000-000000000001"
SECRET = "the-app-secret"


def refusal(params) -> QueryRefused:
    pairs = list(params.items()) if isinstance(params, dict) else params
    with pytest.raises(QueryRefused) as refused:
        parse_statement_query(pairs)
    assert refused.value.status == 400
    return refused.value


def test_no_parameters_ask_for_the_newest_statements_in_every_format_default():
    assert parse_statement_query([]) == StatementQuery(StatementFilter())


def test_a_client_filtering_on_agent_verb_activity_and_registration_gets_them_typed():
    asked = parse_statement_query(
        [
            ("agent", AGENT),
            ("verb", ANSWERED),
            ("activity", INSTRUMENT),
            ("registration", STATEMENT.upper()),
            ("related_activities", "true"),
            ("since", "2026-03-02T10:00:00+01:00"),
            ("until", "2026-03-03"),
            ("limit", "25"),
            ("ascending", "true"),
            ("format", "ids"),
            ("attachments", "true"),
        ]
    )

    assert asked == StatementQuery(
        StatementFilter(
            agent=agent_key({"mbox": "mailto:a@kommun-a.se"}),
            verb=ANSWERED,
            activity=INSTRUMENT,
            registration=STATEMENT,
            related_activities=True,
            since=datetime(2026, 3, 2, 9, tzinfo=UTC),
            until=datetime(2026, 3, 3, tzinfo=UTC),
        ),
        limit=25,
        ascending=True,
        statement_format="ids",
        attachments=True,
    )


def test_a_plus_offset_sent_unencoded_arrives_as_a_space_and_still_counts():
    asked = parse_statement_query([("since", "2026-03-02T10:00:00 01:00")])

    assert asked.where.since == datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_a_limit_beyond_the_maximum_means_the_maximum_however_many_digits():
    assert parse_statement_query([("limit", "9" * 5000)]).limit == MAX_LIMIT
    assert parse_statement_query([("limit", "000")]).limit == 0


def test_asking_for_the_tool_as_related_agent_asks_for_every_statement():
    tool = {"account": {"homePage": "https://kompetenslyft.example.se", "name": "kompetenslyft"}}
    params = [("agent", json.dumps(tool)), ("related_agents", "true")]

    assert parse_statement_query(params, tool_agent=agent_key(tool)).where.agent is None
    assert parse_statement_query(params).where.agent == agent_key(tool)


def test_a_statement_id_asks_for_that_statement_with_its_format_checked_once_found():
    asked = parse_statement_query([("statementId", STATEMENT.upper()), ("format", "full")])

    assert asked == StatementById(STATEMENT, voided=False, format="full")
    with pytest.raises(QueryRefused) as refused:
        asked.shape()
    assert refused.value.error == "bad_format"


def test_a_voided_statement_id_asks_for_the_voided_statement():
    asked = parse_statement_query([("voidedStatementId", STATEMENT), ("attachments", "true")])

    assert asked.voided and asked.statement_id == STATEMENT
    assert asked.shape() == ("exact", True)


def test_a_more_link_is_handed_on_as_its_token():
    assert parse_statement_query([("more", "abc")]) == ContinuedQuery("abc")


@pytest.mark.parametrize(
    ("params", "error", "name"),
    [
        ({"verbs": ANSWERED}, "unknown_parameter", "verbs"),
        ({"Verb": ANSWERED}, "unknown_parameter", "Verb"),
        ({"zeta": "1", "alpha": "1"}, "unknown_parameter", "alpha"),
        ([("verb", ANSWERED), ("verb", COMPLETED)], "repeated_parameter", "verb"),
        ({"more": "x", "limit": "1"}, "more_with_parameters", ""),
        ({"statementId": STATEMENT, "verb": ANSWERED}, "single_statement_with_filters", ""),
        ({"statementId": STATEMENT, "limit": "1"}, "single_statement_with_filters", ""),
        (
            {"statementId": STATEMENT, "voidedStatementId": STATEMENT},
            "single_statement_with_filters",
            "",
        ),
        ({"statementId": "not-a-uuid"}, "bad_uuid", "statementId"),
        ({"registration": "12345"}, "bad_uuid", "registration"),
        ({"agent": "mailto:a@kommun-a.se"}, "bad_agent", ""),
        ({"agent": json.dumps({"name": "Anna"})}, "bad_agent", ""),
        ({"agent": json.dumps({"mbox": "a@kommun-a.se"})}, "bad_agent", ""),
        (
            {"agent": json.dumps({"mbox": "mailto:a@x.se", "openid": "https://x.se/a"})},
            "bad_agent",
            "",
        ),
        ({"agent": json.dumps({"objectType": "Activity", "id": INSTRUMENT})}, "bad_agent", ""),
        ({"agent": json.dumps({"account": {"name": "a"}})}, "bad_agent", ""),
        ({"agent": '{"mbox": "mailto:\\ud800@x.se"}'}, "bad_agent", ""),
        ({"verb": "answered"}, "bad_iri", "verb"),
        ({"activity": "not an iri"}, "bad_iri", "activity"),
        ({"since": "yesterday"}, "bad_timestamp", "since"),
        ({"until": "2026-13-01T00:00:00Z"}, "bad_timestamp", "until"),
        ({"until": "9999-12-31T23:59:59-01:00"}, "bad_timestamp", "until"),
        ({"limit": "-1"}, "bad_limit", ""),
        ({"limit": "ten"}, "bad_limit", ""),
        ({"limit": "١٢"}, "bad_limit", ""),
        ({"ascending": "yes"}, "bad_boolean", "ascending"),
        ({"related_agents": "1", "agent": AGENT}, "bad_boolean", "related_agents"),
        ({"format": "full"}, "bad_format", ""),
    ],
)
def test_a_bad_parameter_is_refused_with_its_code_and_the_parameter_named(params, error, name):
    refused = refusal(params)

    assert (refused.error, refused.name) == (error, name)


def test_an_unknown_parameter_is_refused_before_a_repeated_one():
    assert refusal([("verb", "a"), ("verb", "b"), ("nope", "1")]).error == "unknown_parameter"


def test_with_several_bad_values_the_first_filter_in_xapis_order_is_refused():
    assert refusal({"limit": "x", "since": "x", "verb": "x"}).name == "verb"
    assert refusal({"format": "x", "limit": "x"}).error == "bad_limit"


QUERY = StatementQuery(
    StatementFilter(verb=ANSWERED, since=datetime(2026, 3, 2, 9, tzinfo=UTC)),
    limit=2,
    ascending=True,
    statement_format="canonical",
)
AFTER = Cursor(datetime(2026, 3, 2, 9, 0, 3, tzinfo=UTC), STATEMENT)


def test_a_more_link_carries_the_whole_query_and_where_the_page_ended():
    token = more_token(QUERY, 7, AFTER, SECRET)

    assert continued_query(token, 7, SECRET) == (QUERY, AFTER)


@pytest.mark.parametrize(
    ("organisation_id", "secret", "alter"),
    [
        (8, SECRET, lambda token: token),  # another organisation's credential
        (7, "another-secret", lambda token: token),  # signed by another installation
        (7, SECRET, lambda token: token[:-2] + ("AA" if token[-2:] != "AA" else "BB")),
        (7, SECRET, lambda token: "garbage"),
    ],
)
def test_a_more_link_altered_or_used_by_another_organisation_is_refused(
    organisation_id, secret, alter
):
    token = alter(more_token(QUERY, 7, AFTER, SECRET))

    with pytest.raises(QueryRefused) as refused:
        continued_query(token, organisation_id, secret)
    assert refused.value.error == "bad_more"
