"""Statements reach the organisation's LRS (Ralph's own server on loopback) once each,
whatever the LRS answers: down, throttling, refusing a statement, or holding one already."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from outbound.http_client import make_http_session
from storage import Delivery, DeliveryStatus
from storage.database import utcnow
from storage.outbox import due_now, revive
from sync.xapi_forwarding import forward_statements, resume
from tests.support.ralph_lrs import RalphLrs
from tests.sync.forwarding import (
    SECRET_KEY,
    deliveries,
    learner_statements,
    lrs_row,
    organisation_with_lrs,
    record_all,
)
from xapi.lrs_client import LrsClient
from xapi.record import TARGET, record_json


@pytest.fixture(scope="module")
def lrs(tmp_path_factory):
    server = RalphLrs(tmp_path_factory.mktemp("ralph-lrs")).start()
    yield server
    server.stop()


@pytest.fixture
def ralph(lrs):
    if lrs.process is None:  # a test stopped it
        lrs.start()
    lrs.clear()
    return lrs


@pytest.fixture
def database(own_database):
    """A database of its own, so a run forwards to this test's LRS only."""
    return own_database


@pytest.fixture
def forward(database):
    client = LrsClient(make_http_session(timeout=10, retries=0))
    return lambda: forward_statements(database, client, SECRET_KEY)


def test_statements_reach_the_lrs_once_each_in_batches(database, ralph, forward):
    organisation, _ = organisation_with_lrs(database, ralph, batch_size=200)
    made = learner_statements(450)
    record_all(database, organisation, made)

    counts = forward()

    assert counts.delivered == 450
    assert Counter(ralph.statement_ids()) == Counter(s["id"] for s in made)
    assert ralph.state()["posts"] == 3  # 200 + 200 + 50
    assert ralph.statements()[0]["verb"]["id"] == "http://adlnet.gov/expapi/verbs/answered"
    assert deliveries(database, organisation) == {DeliveryStatus.DELIVERED: 450}
    # Nothing is sent twice: a second run finds nothing due.
    assert forward().delivered == 0
    assert ralph.state()["posts"] == 3


def test_an_event_rolled_back_leaves_neither_statement_nor_delivery(database, ralph, forward):
    organisation, _ = organisation_with_lrs(database, ralph)
    with pytest.raises(RuntimeError), database.transaction() as session:
        record_json(session, learner_statements(1)[0], organisation)
        raise RuntimeError("the answer could not be saved")

    assert deliveries(database, organisation) == {}
    assert forward().delivered == 0
    assert ralph.statement_ids() == []


def test_lrs_down_while_1000_statements_are_made_then_up_all_arrive_exactly_once(
    database, ralph, forward
):
    organisation, lrs_id = organisation_with_lrs(database, ralph, batch_size=250)
    ralph.stop()  # down: connections are refused
    made = learner_statements(1000)
    record_all(database, organisation, made)

    down = forward()
    paused = lrs_row(database, lrs_id)

    assert down.delivered == 0 and down.dead == 0
    assert paused.paused_until > utcnow() and paused.consecutive_failures == 1
    assert "cannot be reached" in paused.last_error
    assert deliveries(database, organisation) == {DeliveryStatus.PENDING: 1000}
    # While paused the LRS is left alone.
    assert forward().paused_lrs == []

    ralph.start()
    with database.transaction() as session:
        resume(session, session.get(type(paused), lrs_id))
    up = forward()

    assert up.delivered == 1000
    ids = ralph.statement_ids()
    assert len(ids) == 1000 and set(ids) == {s["id"] for s in made}
    assert deliveries(database, organisation) == {DeliveryStatus.DELIVERED: 1000}
    healthy = lrs_row(database, lrs_id)
    assert healthy.paused_until is None and healthy.consecutive_failures == 0


def test_a_poison_statement_in_a_batch_of_500_delivers_the_other_499(database, ralph, forward):
    organisation, _ = organisation_with_lrs(database, ralph, batch_size=500)
    made = learner_statements(500)
    poison = made[317]
    poison["actor"] = {"objectType": "Agent", "name": "Ingen identitet"}  # no identifier: 422
    record_all(database, organisation, made)

    counts = forward()

    assert counts.delivered == 499 and counts.dead == 1
    assert set(ralph.statement_ids()) == {s["id"] for s in made} - {poison["id"]}
    assert len(ralph.statement_ids()) == 499
    with database.sessions() as session:
        dead = session.scalars(select(Delivery).where(Delivery.status == DeliveryStatus.DEAD)).one()
        assert dead.payload["statement_id"] == poison["id"]
        assert "HTTP 422" in dead.last_error and "actor" in dead.last_error
    # Halving isolates it in about 2·log2(500) requests, not 500.
    assert ralph.state()["posts"] <= 20

    # An admin's retry sends it again; still refused, it is dead again and nothing else moves.
    with database.transaction() as session:
        assert revive(session, dead.id)
    again = forward()
    assert again.dead == 1 and again.delivered == 0
    assert len(ralph.statement_ids()) == 499


def test_409_for_a_statement_the_lrs_holds_unchanged_counts_as_delivered(database, ralph, forward):
    organisation, _ = organisation_with_lrs(database, ralph)
    made = learner_statements(3)
    already, changed, fresh = made
    # The LRS got two of them earlier (an answer lost on the way back), one of them different.
    different = copy.deepcopy(changed)
    different["result"]["response"] = "something-else"
    ralph_post(ralph, [already, different])
    ralph.control(mode="strict")  # answer 409 for any id already held, as stricter LRSs do
    record_all(database, organisation, made)

    counts = forward()

    assert counts.delivered == 2 and counts.dead == 1
    assert Counter(ralph.statement_ids()) == Counter([already["id"], changed["id"], fresh["id"]])
    with database.sessions() as session:
        dead = session.scalars(select(Delivery).where(Delivery.status == DeliveryStatus.DEAD)).one()
    assert dead.payload["statement_id"] == changed["id"]
    assert "different statement" in dead.last_error


def test_429_with_retry_after_pauses_the_lrs_for_as_long_as_it_asked(database, ralph, forward):
    organisation, lrs_id = organisation_with_lrs(database, ralph)
    record_all(database, organisation, learner_statements(10))
    ralph.control(mode="throttled", retry_after=120)

    counts = forward()

    paused = lrs_row(database, lrs_id)
    assert counts.delivered == 0 and counts.postponed == 10
    assert timedelta(seconds=110) < paused.paused_until - utcnow() <= timedelta(seconds=120)
    assert "HTTP 429" in paused.last_error
    with database.sessions() as session:
        waiting = session.scalars(select(Delivery).where(Delivery.target == TARGET)).all()
    # Given back untried: the LRS's refusal to take anything says nothing about a statement.
    assert {(d.status, d.attempts) for d in waiting} == {(DeliveryStatus.PENDING, 0)}
    assert forward().paused_lrs == [] and ralph.state()["posts"] == 1


def test_503_pauses_longer_after_each_failure_in_a_row(database, ralph, forward):
    organisation, lrs_id = organisation_with_lrs(database, ralph)
    record_all(database, organisation, learner_statements(5))
    ralph.control(mode="unavailable")
    pauses = []
    for _ in range(4):
        forward()
        row = lrs_row(database, lrs_id)
        pauses.append(row.paused_until - row.last_error_at)
        with database.transaction() as session:  # the pause is over
            session.get(type(row), lrs_id).paused_until = utcnow()
            due_now(session, TARGET, organisation)

    assert lrs_row(database, lrs_id).consecutive_failures == 4
    # 5 s doubling, ±50 % jitter: the fourth pause is longer than the first could be.
    assert pauses[3] > timedelta(seconds=7.5) >= pauses[0]
    assert deliveries(database, organisation) == {DeliveryStatus.PENDING: 5}


def test_413_for_a_large_batch_is_answered_by_smaller_ones(database, ralph, forward):
    organisation, _ = organisation_with_lrs(database, ralph, batch_size=200)
    made = learner_statements(200)
    record_all(database, organisation, made)
    ralph.control(max_batch=60)

    counts = forward()

    assert counts.delivered == 200 and counts.dead == 0
    assert Counter(ralph.statement_ids()) == Counter(s["id"] for s in made)
    assert 413 in ralph.state()["statuses"]


def test_refused_credentials_pause_the_lrs_and_lose_nothing(database, ralph, forward):
    organisation, lrs_id = organisation_with_lrs(database, ralph, password="wrong password")
    record_all(database, organisation, learner_statements(20))

    counts = forward()

    row = lrs_row(database, lrs_id)
    assert counts.dead == 0 and "credentials" in row.last_error and "401" in row.last_error
    assert "wrong password" not in row.last_error
    assert deliveries(database, organisation) == {DeliveryStatus.PENDING: 20}


def test_the_configured_xapi_version_is_sent(database, ralph, forward):
    organisation, _ = organisation_with_lrs(database, ralph, version="2.0.0")
    record_all(database, organisation, learner_statements(2))

    assert forward().delivered == 2
    assert ralph.state()["versions"] == ["2.0.0"]


def test_an_organisation_without_an_lrs_keeps_its_statements_unqueued(database, ralph, forward):
    from storage import LrsEndpoint

    organisation, lrs_id = organisation_with_lrs(database, ralph)
    with database.transaction() as session:
        session.get(LrsEndpoint, lrs_id).enabled = False
    record_all(database, organisation, learner_statements(3))

    assert deliveries(database, organisation) == {}
    assert forward().delivered == 0


def ralph_post(ralph, statements):
    import requests

    from tests.support.ralph_lrs import PASSWORD, USERNAME

    response = requests.post(
        ralph.endpoint + "statements",
        json=statements,
        headers={"X-Experience-API-Version": "1.0.3"},
        auth=(USERNAME, PASSWORD),
        timeout=10,
    )
    assert response.status_code == 200, response.text
