"""No figure on a programme page concerns fewer than five people, nor can one be worked out
from the figures shown."""

from __future__ import annotations

from competence.small_groups import MIN_GROUP, Figure, hide_small, suppress


def sizes(cells):
    return [Figure(n, n) for n in cells]


def test_a_lone_small_cell_takes_the_next_smallest_with_it():
    total, cells = suppress(Figure(53, 53), sizes([40, 10, 3]))
    assert not total.hidden
    assert [c.hidden for c in cells] == [False, True, True]


def test_hidden_cells_that_add_up_to_five_are_enough():
    _, cells = suppress(Figure(50, 50), sizes([41, 6, 2, 1, 0]))
    # 2 + 1 = 3 hidden people would follow from the total: 6 is hidden too (9 hidden).
    assert [c.hidden for c in cells] == [False, True, True, True, True]
    _, cells = suppress(Figure(50, 50), sizes([42, 3, 5]))
    assert [c.hidden for c in cells] == [False, True, True]
    _, cells = suppress(Figure(50, 50), sizes([40, 10]))
    assert [c.hidden for c in cells] == [False, False]


def test_a_small_total_hides_everything():
    total, cells = suppress(Figure(4, 4), sizes([2, 2]))
    assert total.hidden and all(c.hidden for c in cells)


def test_no_hidden_cell_can_be_worked_out_from_the_total():
    # Every split of a total, small cells anywhere: the hidden cells always cover 0 or >= 5.
    for groups in ([1, 1, 1, 20], [4, 30, 30], [3, 3, 50], [0, 2, 9, 9], [5, 5, 1]):
        _, cells = suppress(Figure(sum(groups), sum(groups)), sizes(groups))
        hidden = sum(c.people for c in cells if c.hidden)
        assert hidden == 0 or hidden >= MIN_GROUP, groups
        assert all(c.hidden or c.people >= MIN_GROUP for c in cells)


def test_a_figure_over_four_people_is_hidden_and_over_five_shown():
    assert hide_small(Figure(1, 4)).hidden
    assert not hide_small(Figure(1, 5)).hidden
    assert Figure(1, 4).percent == 25.0 and Figure(0, 0).percent is None
