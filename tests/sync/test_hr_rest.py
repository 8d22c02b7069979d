"""Competence records reach HR's REST API (a double enforcing the repo's OpenAPI contract)
once each, whatever HR does: down, slow, 500s, 429, refusing a record, a reused key."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from outbound.http_client import make_http_session
from storage import CompletionEvent, Delivery, DeliveryStatus, SyncTarget
from storage.database import utcnow
from sync.hr_delivery import deliver_hr_records
from sync.hr_records import HR_REST
from sync.hr_rest import HrRestClient, HrRestSender
from tests.support.hr_records import (
    SECRET_KEY,
    add_target,
    complete,
    dead_reasons,
    expected_record_ids,
    make_due,
    organisation_with_staff,
    queue,
    statuses,
)
from tests.support.hr_rest_double import (
    API_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    HMAC_KEY,
    HrRestDouble,
)


@pytest.fixture(scope="module")
def hr_server():
    server = HrRestDouble()
    yield server
    server.stop()


@pytest.fixture
def hr(hr_server):
    hr_server.come_up()
    hr_server.release(drop=True)
    hr_server.reset()
    return hr_server


@pytest.fixture
def database(own_database):
    """A database of its own, so a run sends this test's deliveries only."""
    return own_database


def deliver_with(database, timeout: float = 10):
    sender = HrRestSender(HrRestClient(make_http_session(timeout=timeout, retries=0)), SECRET_KEY)
    return lambda: deliver_hr_records(database, {HR_REST: sender})


@pytest.fixture
def deliver(database):
    return deliver_with(database)


def oauth2_target(database, hr, organisation: int, **settings) -> int:
    return add_target(
        database,
        organisation,
        "hr_rest",
        {
            "url": hr.url,
            "auth": "oauth2",
            "token_url": hr.token_url,
            "client_id": CLIENT_ID,
            "programme_code": "ESF-2026-0042",
            **settings,
        },
        {"client_secret": CLIENT_SECRET, "hmac_key": HMAC_KEY},
    )


def api_key_target(database, hr, organisation: int, **settings) -> int:
    return add_target(
        database,
        organisation,
        "hr_rest",
        {"url": hr.url, "auth": "api_key", **settings},
        {"api_key": API_KEY, "hmac_key": HMAC_KEY},
    )


def test_each_completion_reaches_hr_once_signed_with_one_cached_oauth2_token(database, hr, deliver):
    organisation = organisation_with_staff(database)
    target = oauth2_target(database, hr, organisation)
    events = complete(database, organisation, 30)
    queue(database, target, events)

    counts = deliver()

    assert counts.delivered == 30
    assert statuses(database, target) == {DeliveryStatus.DELIVERED: 30}
    assert hr.violations == []
    assert hr.stored == expected_record_ids(events, target)
    assert hr.tokens_issued == 1  # kept until it expires, not fetched per request
    assert set(hr.auth_headers) == {"bearer"}
    record = json.loads(hr.effects[f"{target}:{events[0]}"])[0]
    assert record == {
        "record_id": f"{target}:{events[0]}/1.1",
        "employee_id": "E00000",
        "competence_framework": "digcomp-2.2",
        "competence_id": "1.1",
        "competence_name": "Söka, hitta och filtrera data, information och digitalt innehåll",
        "level": 1,
        "date": "2026-11-02",
        "evidence": "Självskattning DigComp 2.2 – score 0.5",
        "source": "tool.attempt",
        "programme_code": "ESF-2026-0042",
    }


def test_batches_with_an_api_key_send_fewer_requests_and_each_record_once(database, hr, deliver):
    organisation = organisation_with_staff(database)
    target = api_key_target(database, hr, organisation, mode="batch", batch_size=25)
    events = complete(database, organisation, 100)
    queue(database, target, events)

    assert deliver().delivered == 100

    assert hr.violations == []
    assert hr.stored == expected_record_ids(events, target)
    assert len(hr.statuses) == 4  # 100 completions in batches of 25
    assert set(hr.auth_headers) == {"api-key"}


def test_hr_down_for_a_while_then_up_gets_every_record_once(database, hr, deliver):
    organisation = organisation_with_staff(database)
    target = oauth2_target(database, hr, organisation)
    events = complete(database, organisation, 40)
    queue(database, target, events)
    hr.go_down()

    down = deliver()

    assert down.delivered == 0 and down.dead == 0 and down.postponed == 40
    assert statuses(database, target) == {DeliveryStatus.PENDING: 40}
    with database.sessions() as session:
        row = session.get(SyncTarget, target)
        assert "unavailable" in row.last_error
        waiting = session.scalars(select(Delivery.next_attempt_at)).all()
    assert min(waiting) > utcnow()  # left alone while down
    assert deliver().delivered == 0

    hr.come_up()
    make_due(database, target)
    assert deliver().delivered == 40
    assert hr.stored == expected_record_ids(events, target)


def test_500s_then_recovery_deliver_everything_once(database, hr, deliver):
    organisation = organisation_with_staff(database)
    target = api_key_target(database, hr, organisation)
    events = complete(database, organisation, 20)
    queue(database, target, events)
    hr.set(failures=3)

    rounds = 0
    while statuses(database, target) != {DeliveryStatus.DELIVERED: 20}:
        rounds += 1
        assert rounds <= 5, statuses(database, target)
        deliver()
        make_due(database, target)

    assert Counter(hr.statuses)[500] == 3
    assert hr.stored == expected_record_ids(events, target)


def test_429_waits_as_long_as_hr_asked(database, hr, deliver):
    organisation = organisation_with_staff(database)
    target = api_key_target(database, hr, organisation)
    queue(database, target, complete(database, organisation, 5))
    hr.set(throttle_for=120)

    before = utcnow()
    assert deliver().postponed == 5

    with database.sessions() as session:
        due = session.scalars(select(Delivery.next_attempt_at)).all()
    assert min(due) >= before + timedelta(seconds=120)
    assert statuses(database, target) == {DeliveryStatus.PENDING: 5}


@pytest.mark.parametrize("mode", ["single", "batch"])
def test_a_poison_record_is_dead_lettered_with_hrs_reason_and_the_others_arrive(
    database, hr, deliver, mode
):
    organisation = organisation_with_staff(database, employees=10)
    target = api_key_target(database, hr, organisation, mode=mode, batch_size=50)
    events = complete(database, organisation, 50)  # employees E00000..E00009, 5 each
    queue(database, target, events)
    hr.set(poison={"E00003"})

    counts = deliver()

    assert counts.delivered == 45 and counts.dead == 5
    poisoned = [event for number, event in enumerate(events) if number % 10 == 3]
    assert set(dead_reasons(database, target)) == {f"{target}:{event}" for event in poisoned}
    assert all("unknown employee E00003" in r for r in dead_reasons(database, target).values())
    healthy = [event for event in events if event not in poisoned]
    assert hr.stored == expected_record_ids(healthy, target)
    assert hr.violations == []


def test_a_completion_erased_after_it_was_queued_is_dead_lettered_and_the_rest_arrive(
    database, hr, deliver
):
    organisation = organisation_with_staff(database)
    target = api_key_target(database, hr, organisation, mode="batch", batch_size=25)
    events = complete(database, organisation, 10)
    queue(database, target, events)
    erased = events[4]
    with database.transaction() as session:
        session.execute(delete(CompletionEvent).where(CompletionEvent.id == erased))

    counts = deliver()

    assert counts.delivered == 9 and counts.dead == 1
    assert "erased" in dead_reasons(database, target)[f"{target}:{erased}"]
    assert hr.stored == expected_record_ids([e for e in events if e != erased], target)


def test_a_slow_answer_is_sent_again_and_stored_once(database, hr):
    organisation = organisation_with_staff(database)
    target = api_key_target(database, hr, organisation)
    events = complete(database, organisation, 3)
    queue(database, target, events)
    hr.set(hold="after")  # HR stores the record, then answers too late

    impatient = deliver_with(database, timeout=0.5)
    assert impatient().delivered == 0
    hr.release()
    make_due(database, target)
    assert deliver_with(database)().delivered == 3

    assert hr.receipts[f"{target}:{events[0]}"] == 2  # sent again ...
    assert hr.stored == expected_record_ids(events, target)  # ... stored once
    assert Counter(hr.statuses)[200] >= 1


def test_a_key_hr_holds_with_another_body_is_dead_lettered_as_a_conflict(database, hr, deliver):
    organisation = organisation_with_staff(database)
    target = api_key_target(database, hr, organisation)
    events = complete(database, organisation, 2)
    queue(database, target, events)
    hr.effects[f"{target}:{events[0]}"] = b"[]"  # something else stored under the key

    counts = deliver()

    assert counts.delivered == 1 and counts.dead == 1
    assert "different record" in dead_reasons(database, target)[f"{target}:{events[0]}"]


def test_unreadable_credentials_postpone_and_lose_nothing(database, hr, deliver):
    organisation = organisation_with_staff(database)
    target = add_target(
        database,
        organisation,
        "hr_rest",
        {"url": hr.url, "auth": "api_key", "secret_env": "KOMPETENSLYFT_TEST_UNSET_HR"},
    )
    queue(database, target, complete(database, organisation, 2))

    assert deliver().postponed == 2
    with database.sessions() as session:
        assert "KOMPETENSLYFT_TEST_UNSET_HR" in session.get(SyncTarget, target).last_error
    assert hr.statuses == []
