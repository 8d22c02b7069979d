"""Large batches are claimed in a few statements, with the same lease rules as one by one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage import Delivery
from storage.database import utcnow
from storage.outbox import claim_due_rows, enqueue, mark_all_delivered


@pytest.fixture
def database(own_database):
    """A database of its own, so a run sends this test's deliveries only."""
    return own_database


def test_two_workers_never_hold_the_same_delivery_and_a_lapsed_lease_is_taken_again(database):
    with database.transaction() as session:
        for number in range(1200):
            enqueue(session, "hr.files", f"1:{number}", {"completion_event_id": number})
        enqueue(session, "xapi.statement", "1:x", {"statement_id": "x"})

    with database.sessions() as session:
        first = claim_due_rows(session, "a", timedelta(minutes=5), 700, targets=["hr.files"])
        session.commit()
        # b's lease has already run out (as if b were killed long ago).
        second = claim_due_rows(session, "b", timedelta(seconds=-1), 700, targets=["hr.files"])
        session.commit()
        again = claim_due_rows(session, "c", timedelta(minutes=5), 1000, targets=["hr.files"])
        session.commit()
        nothing = claim_due_rows(session, "d", timedelta(minutes=5), 1000, targets=["hr.files"])
        assert mark_all_delivered(session, first, "a") == 700
        assert mark_all_delivered(session, second, "b") == 0  # lost to c
        session.commit()

    assert len(first) == 700 and len(second) == 500 and nothing == []
    assert not {d.id for d in first} & {d.id for d in second}
    assert {d.id for d in again} == {d.id for d in second}
    assert {d.target for d in first + second} == {"hr.files"}
    assert first[0].payload == {"completion_event_id": 0} and first[0].attempts == 0
    with database.sessions() as session:
        owners = {row.lease_owner for row in session.query(Delivery).filter_by(target="hr.files")}
    assert owners == {None, "c"}


def test_a_claim_takes_the_longest_waiting_deliveries_first_in_order(database):
    with database.transaction() as session:
        for number in range(30):
            enqueue(session, "hr.files", f"1:{number}", {"completion_event_id": number})
    with database.transaction() as session:
        # Delivery n has waited n minutes: the higher the number, the sooner it is due.
        now = utcnow()
        for delivery in session.scalars(select(Delivery)):
            waited = int(delivery.key.split(":")[1])
            delivery.next_attempt_at = now - timedelta(minutes=waited)

    with database.sessions() as session:
        claimed = claim_due_rows(session, "a", timedelta(minutes=5), 10, targets=["hr.files"])
        session.commit()

    assert [delivery.key for delivery in claimed] == [f"1:{n}" for n in range(29, 19, -1)]
