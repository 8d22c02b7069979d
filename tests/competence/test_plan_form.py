"""The dialogue's form read into a plan version: what is kept, and what stops a save."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from competence.plan_form import (
    ACTIVITY_NOT_OFFERED,
    GOAL_MAX,
    GOAL_TOO_LONG,
    GOAL_WITHOUT_DATE,
    TARGET_NOT_A_LEVEL,
    Problem,
    parse_plan_form,
)

COMPETENCES = [("1.1", "Söka information"), ("2.1", "Samarbeta digitalt")]


def parse(fields: list[tuple[str, str]], previous_items=()):
    return parse_plan_form(
        MultiDict(fields),
        competences=COMPETENCES,
        max_level=8,
        offered={12: "2.1", 13: "1.1"},
        previous_items=list(previous_items),
    )


def test_an_employee_setting_targets_and_choosing_an_activity_gets_them_saved():
    targets, items, problems = parse(
        [
            ("target-1.1", " 4 "),
            ("target-2.1", ""),
            ("activity", "2.1:12"),
            ("due-12", "2026-12-01"),
        ]
    )

    assert problems == []
    assert targets == {"1.1": 4}
    assert items == [{"key": "a:12", "activity_id": 12, "competence": "2.1", "due": "2026-12-01"}]


def test_a_target_above_the_scale_or_not_a_number_names_the_competence():
    for wrong in ("9", "-1", "4.5", "²", "08"):
        targets, _, problems = parse([("target-2.1", wrong)])

        assert targets == {}, wrong
        assert problems == [Problem(TARGET_NOT_A_LEVEL, competence="Samarbeta digitalt")], wrong


def test_an_activity_no_longer_offered_is_a_problem_and_a_repeated_one_is_kept_once():
    _, items, problems = parse(
        [("activity", "2.1:99"), ("activity", "2.1:x"), ("activity", "2.1:12")]
        + [("activity", "2.1:12")]
    )

    assert problems == [Problem(ACTIVITY_NOT_OFFERED)] * 2
    assert [item["key"] for item in items] == ["a:12"]


def test_an_activity_without_a_valid_due_date_has_none():
    _, items, problems = parse([("activity", "1.1:13"), ("due-13", "2026-02-30")])

    assert problems == [] and items[0]["due"] is None


def test_new_goals_take_the_next_free_keys_and_kept_goals_their_own():
    previous = [{"key": "g:2", "goal": "Gammalt mål", "due": "2026-01-01"}]

    _, items, problems = parse(
        [
            ("goal-key", "g:2"),
            ("goal-g:2", "Gammalt mål, ändrat"),
            ("goal-due-g:2", "2026-06-01"),
            ("goal-key", "not-a-key"),
            ("new-goal-0", "Lära mig Teams"),
            ("new-goal-due-0", "2026-09-01"),
            ("new-goal-2", "Skriva bättre mejl"),
            ("new-goal-due-2", "2026-10-01"),
            ("new-goal-1", "   "),
        ],
        previous,
    )

    assert problems == []
    assert items == [
        {"key": "g:2", "goal": "Gammalt mål, ändrat", "due": "2026-06-01"},
        {"key": "g:3", "goal": "Lära mig Teams", "due": "2026-09-01"},
        {"key": "g:4", "goal": "Skriva bättre mejl", "due": "2026-10-01"},
    ]


def test_a_goal_needs_a_date_and_at_most_its_length():
    long_goal = "x" * (GOAL_MAX + 1)
    undated = "Ett mål utan datum som är längre än sextio tecken i sin helhet, ja"

    _, items, problems = parse(
        [
            ("new-goal-0", long_goal),
            ("new-goal-due-0", "2026-09-01"),
            ("new-goal-1", undated),
            ("new-goal-due-1", "1 september"),
        ]
    )

    assert items == []
    assert problems == [
        Problem(GOAL_TOO_LONG),
        Problem(GOAL_WITHOUT_DATE, goal=undated[:60]),  # the message quotes its start
    ]


def test_every_problem_is_reported_at_once():
    _, _, problems = parse([("target-1.1", "10"), ("activity", "1.1:99"), ("new-goal-0", "Mål")])

    assert [p.code for p in problems] == [
        TARGET_NOT_A_LEVEL,
        ACTIVITY_NOT_OFFERED,
        GOAL_WITHOUT_DATE,
    ]
