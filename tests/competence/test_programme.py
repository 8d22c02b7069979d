"""The rules of programme follow-up on small hand-made rows: periods, the rising rule and
the hiding of small groups, including cells that a total would give back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from competence import programme as p

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def at(year, month, day=1):
    return datetime(year, month, day, tzinfo=UTC)


def test_periods_are_years_or_quarters():
    assert p.parse_period("", NOW) == p.Period(2026)
    q2 = p.parse_period("2026-Q2", NOW)
    assert (q2.start, q2.end) == (at(2026, 4), at(2026, 7))
    assert p.Period(2026, 4).end == at(2027, 1)
    assert [x.key for x in q2.history(4)] == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert [x.key for x in p.Period(2026).history(3)] == ["2024", "2025", "2026"]
    for bad in ("2026-Q5", "26", "2026-q1", "år", "1999"):
        with pytest.raises(ValueError):
            p.parse_period(bad, NOW)


def attempt(key, submitted, level):
    return p.AttemptRow(1, key, submitted, submitted, level)


def test_competence_rose_compares_first_and_latest_of_one_instrument():
    year = p.Period(2026)
    assert p.competence_rose([attempt("a", at(2026, 2), 3)], year) is None
    assert p.competence_rose([attempt("a", at(2025, 2), 3), attempt("a", at(2026, 2), 4)], year)
    assert not p.competence_rose([attempt("a", at(2025, 2), 3), attempt("a", at(2026, 2), 3)], year)
    # Two instruments with one attempt each are not a before and after.
    assert (
        p.competence_rose([attempt("a", at(2025, 2), 3), attempt("b", at(2026, 2), 5)], year)
        is None
    )
    # Attempts after the period do not count for it.
    assert (
        p.competence_rose([attempt("a", at(2025, 2), 3), attempt("a", at(2027, 2), 5)], year)
        is None
    )


def sizes(cells):
    return [p.Figure(n, n) for n in cells]


def test_a_lone_small_cell_takes_the_next_smallest_with_it():
    total, cells = p.suppress(p.Figure(53, 53), sizes([40, 10, 3]))
    assert not total.hidden
    assert [c.hidden for c in cells] == [False, True, True]


def test_hidden_cells_that_add_up_to_five_are_enough():
    _, cells = p.suppress(p.Figure(50, 50), sizes([41, 6, 2, 1, 0]))
    # 2 + 1 = 3 hidden people would follow from the total: 6 is hidden too (9 hidden).
    assert [c.hidden for c in cells] == [False, True, True, True, True]
    _, cells = p.suppress(p.Figure(50, 50), sizes([42, 3, 5]))
    assert [c.hidden for c in cells] == [False, True, True]
    _, cells = p.suppress(p.Figure(50, 50), sizes([40, 10]))
    assert [c.hidden for c in cells] == [False, False]


def test_a_small_total_hides_everything():
    total, cells = p.suppress(p.Figure(4, 4), sizes([2, 2]))
    assert total.hidden and all(c.hidden for c in cells)


def test_no_hidden_cell_can_be_worked_out_from_the_total():
    # Every split of a total, small cells anywhere: the hidden cells always cover 0 or >= 5.
    for groups in ([1, 1, 1, 20], [4, 30, 30], [3, 3, 50], [0, 2, 9, 9], [5, 5, 1]):
        _, cells = p.suppress(p.Figure(sum(groups), sum(groups)), sizes(groups))
        hidden = sum(c.people for c in cells if c.hidden)
        assert hidden == 0 or hidden >= p.MIN_GROUP, groups
        assert all(c.hidden or c.people >= p.MIN_GROUP for c in cells)
