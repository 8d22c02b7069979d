"""Completed and passed plan activities in the organisation's LRS (Ralph on loopback) become
completion events, once each, read page by page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from config import load_settings
from outbound.http_client import make_http_session
from storage import Delivery
from storage.catalogue import LearningActivity
from storage.completions import CompletionEvent
from storage.plans import DevelopmentPlan, PlanVersion
from storage.staff import Employee
from sync.lrs_completions import poll_lrs_completions
from tests.support.ralph_lrs import RalphLrs
from tests.sync.forwarding import SECRET_KEY, organisation_with_lrs
from tests.sync.moodle import ISSUER, learner
from xapi.lrs_client import LrsClient, LrsTarget

COURSE_URL = "https://elearning.umea.example.se/kurser/informationssakerhet"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
AT = datetime(2026, 11, 10, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def lrs(tmp_path_factory):
    server = RalphLrs(tmp_path_factory.mktemp("ralph-lrs")).start()
    yield server
    server.stop()


@pytest.fixture
def ralph(lrs):
    lrs.clear()
    return lrs


@pytest.fixture
def database(own_database):
    """A database of its own, so a run sends this test's deliveries only."""
    return own_database


@pytest.fixture
def settings(tmp_path):
    return load_settings(
        environ={},
        overrides={"mode": "development", "instance_path": str(tmp_path), "secret_key": SECRET_KEY},
    )


def statement(verb: str, actor: dict, url: str = COURSE_URL, minutes: int = 0) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", **actor},
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[1]}},
        "object": {"objectType": "Activity", "id": url},
        "timestamp": (AT + timedelta(minutes=minutes)).isoformat(),
    }


def account(subject: str) -> dict:
    return {"account": {"homePage": ISSUER, "name": subject}}


def plan_with_activity(database, organisation_id, who) -> int:
    with database.transaction() as session:
        session.get(Employee, who["employee"]).email = "leo.larsson@umea.se"
        activity = LearningActivity(
            organisation_id=organisation_id,
            title="Informationssäkerhet",
            kind="elearning",
            url=COURSE_URL,
            framework_key="digcomp-2.2",
            builds=[{"competence": "4.1", "from_level": 2, "to_level": 3}],
        )
        plan = DevelopmentPlan(
            organisation_id=organisation_id, employee_id=who["employee"], period="2026"
        )
        session.add_all([activity, plan])
        session.flush()
        session.add(
            PlanVersion(
                plan_id=plan.id,
                number=1,
                targets={"4.1": 3},
                items=[{"key": "a:1", "activity_id": activity.id, "competence": "4.1"}],
                employee_agreed_at=AT,
                manager_agreed_at=AT,
            )
        )
        return plan.id


def test_completed_and_passed_plan_activities_become_events_once(database, ralph, settings):
    organisation_id, _ = organisation_with_lrs(database, ralph)
    leo = learner(database, organisation_id, 4)
    plan_id = plan_with_activity(database, organisation_id, leo)
    mine = [
        statement(COMPLETED, account("4"), minutes=1),
        statement(PASSED, {"mbox": "mailto:leo.larsson@umea.se"}, minutes=2),
    ]
    others = [
        statement(EXPERIENCED, account("4"), minutes=3),
        statement(COMPLETED, account("5"), minutes=4),
        statement(COMPLETED, account("4"), url="https://elsewhere.example/x", minutes=5),
    ]
    from tests.support.ralph_lrs import PASSWORD, USERNAME

    client = LrsClient(make_http_session(timeout=10, retries=0))
    target = LrsTarget(ralph.endpoint, (USERNAME, PASSWORD))
    client.post_statements(target, others[:1] + mine + others[1:])

    first = poll_lrs_completions(database, settings, client, page_size=2)
    again = poll_lrs_completions(database, settings, client, page_size=2)

    assert (first.read, first.new_events, first.errors) == (5, 2, [])
    assert again.new_events == 0
    with database.sessions() as session:
        events = list(
            session.scalars(select(CompletionEvent).order_by(CompletionEvent.completed_at))
        )
        queued = list(session.scalars(select(Delivery.target)))
    assert [e.source_key for e in events] == [s["id"] for s in mine]
    assert {(e.source, e.plan_id, e.plan_item_key) for e in events} == {("lrs", plan_id, "a:1")}
    assert events[0].levels == {"4.1": 3}
    assert queued == ["plan.item", "plan.item"]


def test_the_statements_are_read_page_by_page(ralph):
    from tests.support.ralph_lrs import PASSWORD, USERNAME

    client = LrsClient(make_http_session(timeout=10, retries=0))
    target = LrsTarget(ralph.endpoint, (USERNAME, PASSWORD))
    sent = [statement(COMPLETED, account(str(n)), minutes=n) for n in range(7)]
    client.post_statements(target, sent)

    read = list(client.get_statements(target, limit=3))

    assert sorted(s["id"] for s in read) == sorted(s["id"] for s in sent)
