"""Completed Moodle courses of agreed plan items become completion events, once, and go out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from config import load_settings
from storage import Delivery
from storage.catalogue import LearningActivity
from storage.completions import CompletionEvent, SyncTarget
from storage.plans import DevelopmentPlan, PlanVersion, completions
from sync.completions import own_senders
from sync.dispatcher import deliver_due
from sync.moodle_completions import moodle_id_in, poll_moodle_completions
from tests.support.moodle_ws import MoodleDouble
from tests.sync.moodle import SECRET_KEY, learner, organisation_with_moodle, send

LEO = 4
COURSE = 2  # DIGI101 in the recordings
AGREED = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def database(own_database):
    """A database of its own, so a run sends this test's deliveries only."""
    return own_database


@pytest.fixture
def moodle():
    double = MoodleDouble()
    yield double
    double.stop()


@pytest.fixture
def settings(tmp_path, database):
    return load_settings(
        environ={},
        overrides={
            "mode": "development",
            "database_url": str(database.engine.url.render_as_string(hide_password=False)),
            "instance_path": str(tmp_path),
            "secret_key": SECRET_KEY,
        },
    )


def agreed_plan_with_course(database, ids, who, url, agreed=True) -> int:
    with database.transaction() as session:
        activity = LearningActivity(
            organisation_id=ids["organisation"],
            title="Digital kompetens 101",
            kind="course",
            url=url,
            framework_key="digcomp-2.2",
            builds=[{"competence": "1.1", "from_level": 2, "to_level": 4}],
        )
        session.add(activity)
        plan = DevelopmentPlan(
            organisation_id=ids["organisation"], employee_id=who["employee"], period="2026"
        )
        session.add(plan)
        session.flush()
        session.add(
            PlanVersion(
                plan_id=plan.id,
                number=1,
                targets={"1.1": 4},
                items=[
                    {"key": f"a:{activity.id}", "activity_id": activity.id, "competence": "1.1"}
                ],
                employee_agreed_at=AGREED if agreed else None,
                manager_agreed_at=AGREED if agreed else None,
            )
        )
        return plan.id


def events(database) -> list[CompletionEvent]:
    with database.sessions() as session:
        return list(session.scalars(select(CompletionEvent).order_by(CompletionEvent.source)))


def test_a_completed_plan_course_becomes_one_event_and_is_rated_in_moodle(
    database, moodle, settings
):
    ids = organisation_with_moodle(
        database, moodle, framework_idnumber="DIGCOMP-H", competency_prefix="DC-"
    )
    leo = learner(database, ids["organisation"], LEO)
    plan_id = agreed_plan_with_course(
        database, ids, leo, f"{moodle.url}/course/view.php?id={COURSE}"
    )

    before = poll_moodle_completions(database, settings)
    assert (before.asked, before.new_events) == (1, 0)

    moodle.complete_course(COURSE, LEO)
    first = poll_moodle_completions(database, settings)
    again = poll_moodle_completions(database, settings)

    assert (first.new_events, again.new_events) == (2, 0)
    activity, course = events(database)
    assert (course.source, course.source_key) == ("moodle.course", f"{COURSE}:{LEO}")
    assert (course.plan_id, course.plan_item_key) == (plan_id, course.plan_item_key)
    assert course.plan_item_key.startswith("a:")
    assert course.levels == {"1.1": 4}
    assert course.completed_at == datetime.fromtimestamp(1795257434, UTC)
    assert (activity.source, activity.source_key) == ("moodle.activity", f"{COURSE}:2:{LEO}")
    assert activity.plan_id is None and activity.levels == {}
    with database.sessions() as session:
        targets = sorted(session.scalars(select(Delivery.target)))
    assert targets == ["moodle.competency", "moodle.competency", "plan.item"]

    send(database)
    assert [r["grade"] for r in moodle.ratings(LEO)] == [2]


def test_plans_not_agreed_and_other_sites_are_not_polled(database, moodle, settings):
    ids = organisation_with_moodle(database, moodle)
    leo = learner(database, ids["organisation"], LEO)
    agreed_plan_with_course(database, ids, leo, f"{moodle.url}/course/view.php?id=2", False)
    agreed_plan_with_course(database, ids, leo, "https://other.example/course/view.php?id=2")
    moodle.complete_course(COURSE, LEO)

    counts = poll_moodle_completions(database, settings)

    assert (counts.asked, counts.new_events) == (0, 0)


def test_a_refused_token_is_recorded_on_the_target(database, moodle, settings):
    ids = organisation_with_moodle(database, moodle, token="wrong")
    leo = learner(database, ids["organisation"], LEO)
    agreed_plan_with_course(database, ids, leo, f"{moodle.url}/course/view.php?id={COURSE}")

    counts = poll_moodle_completions(database, settings)

    assert counts.new_events == 0 and "invalidtoken" in counts.errors[0]
    with database.sessions() as session:
        assert "invalidtoken" in session.get(SyncTarget, ids["target"]).last_error


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://moodle.umea.se/course/view.php?id=12", ("course", 12)),
        ("https://MOODLE.umea.se/course/view.php?section=2&id=12", ("course", 12)),
        ("https://moodle.umea.se/mod/scorm/view.php?id=7", ("module", 7)),
        ("https://moodle.umea.se/course/index.php?id=12", None),
        ("https://elsewhere.se/course/view.php?id=12", None),
        (None, None),
    ],
)
def test_moodle_urls_are_recognised(url, expected):
    assert moodle_id_in(url, "https://moodle.umea.se") == expected


def test_an_activity_item_completes_even_when_the_same_plan_holds_its_course(
    database, moodle, settings
):
    """Issue 17.6: course DIGI101 and its activity (cmid 2) in one agreed plan, both done."""
    ids = organisation_with_moodle(
        database, moodle, framework_idnumber="DIGCOMP-H", competency_prefix="DC-"
    )
    leo = learner(database, ids["organisation"], LEO)
    plan_id = agreed_plan_with_course(
        database, ids, leo, f"{moodle.url}/course/view.php?id={COURSE}"
    )
    activity_key = add_item(database, ids, plan_id, f"{moodle.url}/mod/lti/view.php?id=2")
    moodle.complete_course(COURSE, LEO)

    poll_moodle_completions(database, settings)
    poll_moodle_completions(database, settings)
    deliver_due(database, own_senders("https://kompetenslyft.example.se"))
    deliver_due(database, own_senders("https://kompetenslyft.example.se"))

    with database.sessions() as session:
        done = completions(session, plan_id)
        plan_items = list(session.scalars(select(Delivery).where(Delivery.target == "plan.item")))
    assert activity_key in done
    assert len(done) == 2
    assert len(plan_items) == 2  # one delivery per item: each completed exactly once


def add_item(database, ids, plan_id: int, url: str) -> str:
    """Another activity in the plan's agreed version; its item key."""
    with database.transaction() as session:
        activity = LearningActivity(
            organisation_id=ids["organisation"],
            title="Breakout game (LTI 1.3)",
            kind="activity",
            url=url,
            framework_key="digcomp-2.2",
            builds=[{"competence": "2.1", "from_level": 2, "to_level": 3}],
        )
        session.add(activity)
        session.flush()
        version = session.scalar(select(PlanVersion).where(PlanVersion.plan_id == plan_id))
        key = f"a:{activity.id}"
        version.items = [
            *version.items,
            {"key": key, "activity_id": activity.id, "competence": "2.1"},
        ]
        return key
