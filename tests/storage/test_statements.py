"""The embedded statement store, called directly: what is kept, what a query finds, who may read."""

import uuid
from datetime import timedelta

import pytest

from storage import Organisation
from storage.statements import (
    VOIDED,
    Cursor,
    StatementFilter,
    agent_key,
    count_statements,
    create_credential,
    find_statements,
    insert_statement,
    remove_credential,
    statement,
    store_statement,
    verify_credential,
    voided_statement,
    write_statements,
)

HOME = "https://moodle.example"
ANNA = {"objectType": "Agent", "account": {"homePage": HOME, "name": "anna"}}
KARIN = {"objectType": "Agent", "account": {"homePage": HOME, "name": "karin"}}
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"


def organisation(database) -> int:
    with database.transaction() as session:
        row = Organisation(slug=f"o-{uuid.uuid4().hex[:8]}", name="Umeå kommun")
        session.add(row)
        session.flush()
        return row.id


def made(actor=ANNA, verb=ANSWERED, activity="https://tool.example/q1", **extra) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": verb},
        "object": {"objectType": "Activity", "id": activity},
        **extra,
    }


@pytest.fixture
def org(database) -> int:
    return organisation(database)


def test_the_same_statement_recorded_twice_is_kept_once(database, org):
    sent = made()
    with database.transaction() as session:
        assert insert_statement(session, sent, org)
        assert not insert_statement(session, sent, org)
        row = store_statement(session, sent, org)

        assert row.statement == sent and row.verb == ANSWERED and row.actor_name == "anna"
        assert count_statements(session, org, StatementFilter()) == 1


def test_a_voided_statement_is_found_only_as_voided(database, org):
    answered = made()
    voiding = made(verb=VOIDED, object={"objectType": "StatementRef", "id": answered["id"]})
    with database.transaction() as session:
        write_statements(session, [answered, voiding], org)

        assert statement(session, org, answered["id"]) is None
        assert voided_statement(session, org, answered["id"]).id == answered["id"]
        assert [row.id for row in find_statements(session, org, StatementFilter()).rows] == [
            voiding["id"]
        ]


def test_an_agent_filter_finds_the_instructor_only_when_related_agents_are_asked_for(database, org):
    taught = made(context={"instructor": KARIN})
    own = made(actor=KARIN)
    with database.transaction() as session:
        write_statements(session, [taught, own], org)
        karin = agent_key(KARIN)

        direct = find_statements(session, org, StatementFilter(agent=karin)).rows
        related = find_statements(
            session, org, StatementFilter(agent=karin, related_agents=True)
        ).rows

        assert [row.id for row in direct] == [own["id"]]
        assert {row.id for row in related} == {own["id"], taught["id"]}


def test_another_organisations_statements_are_never_found(database, org):
    theirs = made()
    other = organisation(database)
    with database.transaction() as session:
        write_statements(session, [theirs], other)

        assert statement(session, org, theirs["id"]) is None
        assert find_statements(session, org, StatementFilter()).rows == []


def test_paging_serves_every_statement_once_even_when_new_ones_arrive(database, org):
    first = [made() for _ in range(3)]
    with database.transaction() as session:
        write_statements(session, first, org)
        page = find_statements(session, org, StatementFilter(), limit=2, ascending=True)
        write_statements(session, [made()], org)  # arrives while the client is paging
        rest = find_statements(
            session, org, StatementFilter(), limit=2, ascending=True, after=page.next
        )

        served = [row.id for row in page.rows + rest.rows]
        assert served[:3] == [s["id"] for s in first] and len(set(served)) == len(served) == 4
        assert isinstance(page.next, Cursor) and rest.next is None


def test_a_time_window_is_exclusive_at_since_and_inclusive_at_until(database, org):
    with database.transaction() as session:
        rows = [store_statement(session, made(), org) for _ in range(3)]
        window = StatementFilter(since=rows[0].stored, until=rows[1].stored)

        assert [row.id for row in find_statements(session, org, window).rows] == [rows[1].id]
        later = StatementFilter(since=rows[2].stored - timedelta(microseconds=1))
        assert [row.id for row in find_statements(session, org, later).rows] == [rows[2].id]


def test_a_credential_reads_with_its_secret_only_and_not_after_it_is_removed(database, org):
    with database.transaction() as session:
        new = create_credential(session, org, "Power BI")

        assert verify_credential(session, new.key, new.secret).organisation_id == org
        assert verify_credential(session, new.key, new.secret + "x") is None
        assert verify_credential(session, "xapi-unknown", new.secret) is None
        assert new.secret not in new.credential.secret_hash

        assert remove_credential(session, new.key)
        assert not remove_credential(session, new.key)
        assert verify_credential(session, new.key, new.secret) is None
