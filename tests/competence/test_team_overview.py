"""The team overview's rules without a database: when a dialogue is due, who needs
follow-up, and how the table sorts and filters."""

from __future__ import annotations

from datetime import UTC, date, datetime

from competence.team_overview import (
    AGREED,
    FOLLOW_UP_ONLY,
    NEEDS_PLAN,
    NO_PLAN,
    NO_RECENT_DIALOGUE,
    WAITING_FOR_BOTH,
    WAITING_FOR_EMPLOYEE,
    WAITING_FOR_MANAGER,
    LatestResult,
    OverviewRow,
    arrange,
    follow_up_reason,
    next_follow_up,
    plan_status,
)


def row(name, *, submitted=None, last=None, plan=NO_PLAN, follow_up=None, number=0) -> OverviewRow:
    latest = LatestResult("short", "digcomp-2.2", submitted, 3) if submitted else None
    return OverviewRow(
        employee_id=number,
        employee_number=f"E{number}",
        name=name,
        unit=None,
        role=None,
        latest=latest,
        not_shared=False,
        in_progress=False,
        states={},
        plan_status=plan,
        agreed_on=None,
        items_done=0,
        items_planned=0,
        last_dialogue=last,
        follow_up=follow_up,
    )


def test_the_next_dialogue_is_a_year_after_the_agreement_even_from_a_leap_day():
    assert next_follow_up(date(2026, 4, 10)) == date(2027, 4, 10)
    assert next_follow_up(date(2028, 2, 29)) == date(2029, 2, 28)


def test_a_person_needs_follow_up_without_a_plan_or_a_dialogue_in_twelve_months():
    today = date(2026, 12, 7)
    assert follow_up_reason(False, None, today) == NEEDS_PLAN
    assert follow_up_reason(True, datetime(2025, 12, 8, tzinfo=UTC), today) is None
    assert follow_up_reason(True, datetime(2025, 12, 7, tzinfo=UTC), today) == NO_RECENT_DIALOGUE


def test_the_plan_status_says_whom_it_waits_for():
    assert plan_status(True, True) == AGREED
    assert plan_status(True, False) == WAITING_FOR_MANAGER
    assert plan_status(False, True) == WAITING_FOR_EMPLOYEE
    assert plan_status(False, False) == WAITING_FOR_BOTH


def test_people_without_a_result_come_last_whichever_way_the_assessments_sort():
    rows = [
        row("Cilla", number=3),
        row("Bo", submitted=datetime(2026, 5, 1, tzinfo=UTC), number=2),
        row("Anna", submitted=datetime(2026, 2, 1, tzinfo=UTC), number=1),
    ]
    assert [r.name for r in arrange(rows, "assessment", False, "all")] == ["Anna", "Bo", "Cilla"]
    assert [r.name for r in arrange(rows, "assessment", True, "all")] == ["Bo", "Anna", "Cilla"]
    assert [r.name for r in arrange(rows, "name", True, "all")] == ["Cilla", "Bo", "Anna"]
    assert [r.name for r in arrange(rows, "nonsense", False, "all")] == ["Anna", "Bo", "Cilla"]


def test_follow_up_sorts_those_who_need_it_first_and_the_filter_keeps_only_them():
    rows = [
        row("Anna", last=datetime(2026, 4, 1, tzinfo=UTC), plan=AGREED, number=1),
        row("Bo", follow_up=NEEDS_PLAN, number=2),
        row("Cilla", last=datetime(2025, 1, 1, tzinfo=UTC), follow_up=NO_RECENT_DIALOGUE, number=3),
    ]
    assert [r.name for r in arrange(rows, "follow_up", False, "all")] == ["Bo", "Cilla", "Anna"]
    assert [r.name for r in arrange(rows, "name", False, FOLLOW_UP_ONLY)] == ["Bo", "Cilla"]
