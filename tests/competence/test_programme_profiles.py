"""The programme's radars: the mean of each person's latest result per area, for the
organisation and each unit, groups under five hidden."""

from __future__ import annotations

from datetime import UTC, datetime

from competence.programme import AttemptRow, Member
from competence.programme_profiles import (
    ResultSums,
    latest_results,
    mean_profile,
    profiles_by_unit,
    profiles_from_sums,
)

AXES = ["1", "2", "3"]


def result(*values) -> dict:
    return {"areas": {axis: {"value": v} for axis, v in zip(AXES, values, strict=False)}}


def member(employee_id: int, unit: str) -> Member:
    return Member(employee_id, "woman", unit, "", False, None, False)


def row(employee_id, day, key="short", submitted=True, values=(2, 2, 2)) -> AttemptRow:
    at = datetime(2026, 3, day, tzinfo=UTC)
    return AttemptRow(
        employee_id, key, at, at if submitted else None, 2, result(*values), "digcomp-2.2"
    )


def test_each_persons_latest_submitted_result_counts_once():
    rows = [row(1, 1), row(1, 5), row(1, 9, submitted=False), row(2, 3), row(2, 4, key="other")]

    latest = latest_results(rows, instrument_keys={"short"})

    assert {e: a.submitted_at.day for e, a in latest.items()} == {1: 5, 2: 3}
    assert latest_results(rows, until=datetime(2026, 3, 2, tzinfo=UTC))[1].submitted_at.day == 1
    assert 1 not in latest_results(rows, since=datetime(2026, 3, 6, tzinfo=UTC))


def test_a_mean_leaves_out_results_without_the_area_and_rounds_to_two_decimals():
    profile = mean_profile([result(1, 2), result(2), result(2, 3, 4)], AXES)

    assert profile.values == [1.67, 2.5, 4.0]
    assert profile.people == 3 and profile.hidden  # three people: too few to show


def test_a_unit_of_four_is_hidden_with_the_next_smallest_so_the_total_does_not_give_it_back():
    people = [member(i, "A") for i in range(10)]
    people += [member(i, "B") for i in range(10, 16)]
    people += [member(i, "C") for i in range(16, 20)]
    latest = {m.employee_id: row(m.employee_id, 1) for m in people}

    profiles = profiles_by_unit(people, latest, AXES)

    assert profiles.total.people == 20 and not profiles.total.hidden
    assert {u: p.hidden for u, p in profiles.units.items()} == {"A": False, "B": True, "C": True}


def test_sums_added_up_by_the_database_give_the_same_profiles_as_the_results():
    people = [member(i, "A" if i < 6 else "B") for i in range(12)]
    latest = {m.employee_id: row(m.employee_id, 1, values=(m.employee_id % 4, 1)) for m in people}
    sums = {}
    for m in people:
        values = latest[m.employee_id].result["areas"]
        one = ResultSums(
            1,
            tuple(float(values[a]["value"]) if a in values else 0.0 for a in AXES),
            tuple(1 if a in values else 0 for a in AXES),
        )
        sums[m.unit] = sums[m.unit] + one if m.unit in sums else one

    assert profiles_from_sums(sums, AXES) == profiles_by_unit(people, latest, AXES)
