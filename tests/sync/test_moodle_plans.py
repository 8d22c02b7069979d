"""Completions reach the person's Moodle learning plan as ratings, exactly once each, whatever
Moodle answers: a lost answer, a refused record, a token that no longer works."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from outbound.http_client import make_http_session
from storage import Delivery, DeliveryStatus
from storage.catalogue import LearningActivity
from storage.completions import SyncTarget
from storage.outbox import due_now, revive
from storage.people import Person
from storage.plans import DevelopmentPlan, PlanVersion, complete_item
from sync.moodle_frameworks import create_framework_in_moodle
from sync.moodle_plans import PLAN_NAME, TARGET, Scale, rating_value
from tests.support.moodle_ws import MoodleDouble
from tests.sync.moodle import (
    SECRET_KEY,
    completion,
    learner,
    moodle_deliveries,
    organisation_with_moodle,
    send,
)

LEA = 3  # learner1 in the recordings: has the harness plan already
LEO = 4  # learner2: has no plan


@pytest.fixture
def database(own_database):
    """A database of its own, so a run sends this test's deliveries only."""
    return own_database


@pytest.fixture
def moodle():
    double = MoodleDouble()
    yield double
    double.stop()


def existing_framework(database, moodle, **settings):
    return organisation_with_moodle(
        database, moodle, framework_idnumber="DIGCOMP-H", competency_prefix="DC-", **settings
    )


def retry_now(database, organisation_id):
    with database.transaction() as session:
        due_now(session, TARGET, organisation_id)


def test_a_completion_becomes_one_rating_in_a_plan_made_once(database, moodle):
    ids = existing_framework(database, moodle)
    lea = learner(database, ids["organisation"], LEA)
    completion(database, ids, lea, {"1.1": 4, "2.1": 2}, "attempt-1")
    completion(database, ids, lea, {"3.1": 5}, "attempt-2")

    counts = send(database)

    assert counts.delivered == 2
    plans = moodle.plans_of(LEA)
    ours = [plan for plan in plans if plan["name"] == PLAN_NAME]
    assert len(ours) == 1 and len(plans) == 2  # the recorded plan is left alone
    assert sorted(moodle.plan_competencies[ours[0]["id"]]) == [1, 2, 3]
    # DigComp 4 and 5 reach "Competent" (2) of the default scale; 2 is "Not yet competent".
    grades = sorted((r["competencyid"], r["grade"]) for r in moodle.ratings(LEA))
    assert grades == [(1, 2), (2, 1), (3, 2)]
    assert moodle.count("core_competency_create_plan") == 1


def test_the_framework_is_created_once_when_the_site_allows_it(database, moodle):
    ids = organisation_with_moodle(database, moodle, create_framework=True, scale_id=2)
    leo = learner(database, ids["organisation"], LEO)
    completion(database, ids, leo, {"1.1": 3}, "attempt-1")
    send(database)
    completion(database, ids, leo, {"1.2": 6, "1.1": 1}, "attempt-2")
    send(database)

    ours = [f for f in moodle.frameworks.values() if f["idnumber"] == "digcomp-2.2"]
    assert len(ours) == 1
    created = [c["idnumber"] for c in moodle.competencies.values()]
    assert sorted(created)[:3] == ["1.1", "1.2", "DC-1.1"]
    assert created.count("area:1") == 1
    assert len(moodle.plans_of(LEO)) == 1
    assert len(moodle.ratings(LEO)) == 3


def test_a_lost_answer_does_not_make_a_second_plan_or_rating(database, moodle):
    ids = existing_framework(database, moodle)
    leo = learner(database, ids["organisation"], LEO)
    completion(database, ids, leo, {"1.1": 4}, "attempt-1")
    moodle.drop_after("core_competency_create_plan")
    moodle.drop_after("core_competency_grade_competency_in_plan")

    first = send(database)
    retry_now(database, ids["organisation"])
    second = send(database)
    retry_now(database, ids["organisation"])
    third = send(database)

    assert (first.retried, second.retried, third.delivered) == (1, 1, 1)
    assert len(moodle.plans_of(LEO)) == 1
    assert len(moodle.ratings(LEO)) == 1
    # Sent again (a re-queued delivery): nothing more happens in Moodle.
    with database.transaction() as session:
        for row in session.scalars(select(Delivery)):
            row.status = DeliveryStatus.PENDING
    send(database)
    assert len(moodle.ratings(LEO)) == 1


def test_a_refused_record_is_dead_lettered_with_moodles_reason(database, moodle):
    ids = existing_framework(database, moodle)
    leo = learner(database, ids["organisation"], LEO)
    completion(database, ids, leo, {"1.1": 4}, "attempt-1")
    moodle.fail("core_competency_add_competency_to_plan", "invalidrecord")

    counts = send(database)

    assert counts.dead == 1
    (delivery,) = moodle_deliveries(database)
    assert delivery.status == DeliveryStatus.DEAD
    assert "invalidrecord" in delivery.last_error


def test_an_invalid_token_pauses_the_target_with_a_clear_reason(database, moodle):
    ids = existing_framework(database, moodle, token="not-the-token")
    leo = learner(database, ids["organisation"], LEO)
    completion(database, ids, leo, {"1.1": 4}, "attempt-1")

    counts = send(database)

    assert (counts.retried, counts.dead) == (1, 0)
    (delivery,) = moodle_deliveries(database)
    assert delivery.status == DeliveryStatus.PENDING
    assert "token" in delivery.last_error
    with database.sessions() as session:
        target = session.get(SyncTarget, ids["target"])
        assert "invalidtoken" in target.last_error
    assert moodle.ratings(LEO) == []


def test_a_timeout_then_moodle_down_then_back_rates_once(database, moodle):
    ids = existing_framework(database, moodle)
    leo = learner(database, ids["organisation"], LEO)
    completion(database, ids, leo, {"2.1": 8}, "attempt-1")
    moodle.drop_after("core_competency_grade_competency_in_plan")
    moodle.fail("tool_lp_data_for_user_competency_summary_in_plan", "sitemaintenance")

    send(database)
    retry_now(database, ids["organisation"])
    send(database)
    retry_now(database, ids["organisation"])
    send(database)

    (delivery,) = moodle_deliveries(database)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert [r["grade"] for r in moodle.ratings(LEO)] == [2]


@pytest.mark.parametrize(
    ("level", "scale", "expected"),
    [
        (1, Scale(2, (2,)), 1),
        (2, Scale(2, (2,)), 1),
        (3, Scale(2, (2,)), 2),
        (8, Scale(2, (2,)), 2),
        (5, Scale(8, (3, 4, 5, 6, 7, 8)), 5),
        (4, Scale(4, (3, 4)), 3),
        (2, Scale(4, (3, 4)), 2),
    ],
)
def test_digcomp_levels_map_onto_the_moodle_scale(level, scale, expected):
    assert rating_value(level, scale) == expected


def test_someone_who_did_not_launch_from_moodle_is_dead_lettered_not_guessed(database, moodle):
    ids = existing_framework(database, moodle)
    leo = learner(database, ids["organisation"], LEO)
    with database.transaction() as session:
        session.get(Person, leo["person"]).subject = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
    completion(database, ids, leo, {"1.1": 4}, "attempt-1")

    counts = send(database)

    assert counts.dead == 1
    (delivery,) = moodle_deliveries(database)
    assert "not a Moodle user id" in delivery.last_error
    assert moodle.count("core_competency_create_plan") == 0


def test_a_competence_missing_in_moodle_does_not_stall_the_others(database, moodle):
    """Issue 17.4: the harness framework has DC-1.1, DC-2.1 and DC-3.1, not 1.2. Everything
    Moodle has is rated; only 1.2 waits, dead-lettered with that reason, and the target
    says when it last sent and what is wrong."""
    ids = existing_framework(database, moodle)
    leo = learner(database, ids["organisation"], LEO)
    completion(database, ids, leo, {"1.1": 4, "1.2": 3, "2.1": 5}, "attempt-1")
    completion(database, ids, leo, {"3.1": 2}, "attempt-2")

    counts = send(database)

    assert (counts.delivered, counts.dead) == (1, 1)
    assert sorted(r["competencyid"] for r in moodle.ratings(LEO)) == [1, 2, 3]
    dead = [d for d in moodle_deliveries(database) if d.status == DeliveryStatus.DEAD]
    assert "competence 1.2 not in the Moodle framework (2 others rated)" in dead[0].last_error
    with database.sessions() as session:
        target = session.get(SyncTarget, ids["target"])
        assert target.last_success_at is not None  # not "Never": ratings went through


def test_the_framework_made_in_moodle_lets_the_missing_competence_be_rated_once(database, moodle):
    """After "Create the framework in Moodle" (idempotent: a second run makes nothing), the
    dead delivery tried again rates 1.2 and nothing twice."""
    ids = existing_framework(database, moodle)
    leo = learner(database, ids["organisation"], LEO)
    completion(database, ids, leo, {"1.1": 4, "1.2": 3}, "attempt-1")
    send(database)
    http = make_http_session(timeout=10, retries=0)

    with database.sessions() as session:
        first = create_framework_in_moodle(
            session, session.get(SyncTarget, ids["target"]), http, SECRET_KEY
        )
    with database.sessions() as session:
        again = create_framework_in_moodle(
            session, session.get(SyncTarget, ids["target"]), http, SECRET_KEY
        )
    (dead,) = moodle_deliveries(database)
    with database.transaction() as session:
        assert revive(session, dead.id)
    send(database)

    assert (first.framework_created, first.competencies_found) == (False, 3)
    assert first.competencies_created == 21 - 3
    assert (again.competencies_created, again.competencies_found) == (0, 21)
    idnumbers = [c["idnumber"] for c in moodle.competencies.values()]
    assert len(idnumbers) == len(set(idnumbers))
    assert "DC-1.2" in idnumbers
    ratings = moodle.ratings(LEO)
    assert len(ratings) == 2  # 1.1 once, then 1.2 once
    (delivery,) = moodle_deliveries(database)
    assert delivery.status == DeliveryStatus.DELIVERED


def test_a_new_moodle_gets_the_whole_framework_on_the_default_scale(database, moodle):
    ids = organisation_with_moodle(database, moodle)
    with database.sessions() as session:
        made = create_framework_in_moodle(
            session,
            session.get(SyncTarget, ids["target"]),
            make_http_session(timeout=10, retries=0),
            SECRET_KEY,
        )

    assert (made.idnumber, made.framework_created, made.competencies_created) == (
        "digcomp-2.2",
        True,
        21,
    )
    (ours,) = [f for f in moodle.frameworks.values() if f["idnumber"] == "digcomp-2.2"]
    assert ours["scaleid"] == 2
    created = [c for c in moodle.competencies.values() if c["competencyframeworkid"] == ours["id"]]
    assert len(created) == 21 + 5  # the competences and their five areas


def test_moodle_s_error_for_an_unknown_competency_is_the_delivery_s_reason(database, moodle):
    ids = existing_framework(database, moodle)
    leo = learner(database, ids["organisation"], LEO)
    completion(database, ids, leo, {"1.1": 4}, "attempt-1")
    # The competency list still names DC-1.1, but Moodle no longer has it (deleted meanwhile).
    moodle.competencies_listed_only = {1}

    counts = send(database)

    assert counts.dead == 1
    (delivery,) = moodle_deliveries(database)
    assert "Can't find data record in database table competency." in delivery.last_error


def agreed_plan(database, ids, who, activities: list[dict]) -> tuple[int, list[str]]:
    """An agreed development plan with one item per activity; (plan id, item keys)."""
    with database.transaction() as session:
        plan = DevelopmentPlan(
            organisation_id=ids["organisation"], employee_id=who["employee"], period="2026"
        )
        session.add(plan)
        items = []
        for given in activities:
            activity = LearningActivity(
                organisation_id=ids["organisation"], kind="course", framework_key="digcomp-2.2",
                **given,
            )  # fmt: skip
            session.add(activity)
            session.flush()
            competence = (given.get("builds") or [{"competence": "2.1"}])[0]["competence"]
            items.append(
                {"key": f"a:{activity.id}", "activity_id": activity.id, "competence": competence}
            )
        session.flush()
        agreed = datetime(2026, 11, 1, tzinfo=UTC)
        session.add(
            PlanVersion(
                plan_id=plan.id, number=1, targets={"1.1": 4}, items=items,
                employee_agreed_at=agreed, manager_agreed_at=agreed,
            )
        )  # fmt: skip
        return plan.id, [item["key"] for item in items]


def test_a_plan_item_ticked_off_in_the_tool_shows_in_the_moodle_plan(database, moodle):
    """Issue 17.5: the item's competence is rated at the level its activity reaches, the
    note naming the item; an item reaching no level puts its competence in the plan."""
    ids = existing_framework(database, moodle)
    leo = learner(database, ids["organisation"], LEO)
    plan_id, (course, reading) = agreed_plan(
        database,
        ids,
        leo,
        [
            {
                "title": "Säker inloggning",
                "builds": [{"competence": "1.1", "from_level": 2, "to_level": 4}],
            },
            {"title": "Läs om källkritik", "builds": []},
        ],
    )
    with database.transaction() as session:
        complete_item(session, plan_id, course, source="manual")
        complete_item(session, plan_id, reading, source="manual")

    counts = send(database)

    assert counts.delivered == 2
    (rating,) = moodle.ratings(LEO)
    assert (rating["competencyid"], rating["grade"]) == (1, 2)  # level 4: "Competent"
    assert "Utvecklingsplanens punkt klar: Säker inloggning" in rating["note"]
    (ours,) = [p for p in moodle.plans_of(LEO) if p["name"] == PLAN_NAME]
    assert sorted(moodle.plan_competencies[ours["id"]]) == [1, 2]  # 2.1 in the plan, unrated
