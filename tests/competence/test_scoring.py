"""The scoring rule: levels per competence, area and overall; gaps to a role's targets."""

from hypothesis import given, settings
from hypothesis import strategies as st

from competence.frameworks import framework_from_document
from competence.instruments import instrument_from_document
from competence.scoring import compared_levels, counts_as_finished, gaps, level_of, score

AUTONOMY = ["not_yet", "with_help", "on_my_own", "guide_others", "expert"]


def text(value: str) -> dict:
    return {"sv": value, "en": value}


FRAMEWORK = framework_from_document(
    {
        "id": "mini",
        "version": "1",
        "name": text("Mini"),
        "scale": {"levels": [{"value": v, "name": text(f"L{v}")} for v in range(1, 9)]},
        "areas": [
            {
                "id": "1",
                "name": text("Area 1"),
                "competences": [{"id": "1.1", "name": text("A")}, {"id": "1.2", "name": text("B")}],
            },
            {"id": "2", "name": text("Area 2"), "competences": [{"id": "2.1", "name": text("C")}]},
        ],
    }
)
INSTRUMENT = instrument_from_document(
    {
        "id": "mini-full",
        "framework": "mini",
        "name": text("Mini"),
        "response_scales": {
            "autonomy": {"options": [{"id": o, "text": text(o)} for o in AUTONOMY]}
        },
        "items": [
            item
            for competence in ("1.1", "1.2", "2.1")
            for item in (
                {
                    "id": f"{competence}-a",
                    "competence": competence,
                    "kind": "self_rating",
                    "scale": "autonomy",
                    "levels": [0, 1, 3, 5, 7],
                    "text": text("I can"),
                },
                {
                    "id": f"{competence}-b",
                    "competence": competence,
                    "kind": "self_rating",
                    "scale": "autonomy",
                    "levels": [0, 2, 4, 6, 8],
                    "text": text("I can more"),
                },
                {
                    "id": f"{competence}-k",
                    "competence": competence,
                    "kind": "knowledge",
                    "text": text("Which?"),
                    "correct": "b",
                    "options": [{"id": i, "text": text(i)} for i in ("a", "b", "c")],
                },
            )
        ],
    },
    FRAMEWORK,
)


def test_a_competence_is_the_mean_of_its_statements():
    result = score(INSTRUMENT, FRAMEWORK, {"1.1-a": "on_my_own", "1.1-b": "guide_others"})

    assert result.competences["1.1"].self_value == 4.5  # (3 + 6) / 2
    assert result.competences["1.1"].level == 5  # rounded half up, not to even
    assert "1.2" not in result.competences  # not answered: not assessed, not zero


def test_a_wrong_knowledge_answer_lowers_the_level_by_one():
    right = score(INSTRUMENT, FRAMEWORK, {"1.1-a": "on_my_own", "1.1-k": "b"})
    wrong = score(INSTRUMENT, FRAMEWORK, {"1.1-a": "on_my_own", "1.1-k": "c"})

    assert right.competences["1.1"].level == 3
    assert wrong.competences["1.1"].level == 2


def test_areas_and_overall_are_means_of_competence_values():
    answers = {"1.1-a": "expert", "1.1-b": "expert", "1.2-a": "with_help", "2.1-a": "on_my_own"}
    result = score(INSTRUMENT, FRAMEWORK, answers)

    assert result.areas["1"].value == (7.5 + 1) / 2
    assert result.areas["1"].level == 4
    assert result.areas["2"].level == 3
    assert result.overall_value == (7.5 + 1 + 3) / 3
    assert result.overall_level == 4
    assert round(result.score, 4) == round(result.overall_value / 8, 4)


def test_nothing_answered_means_no_level():
    result = score(INSTRUMENT, FRAMEWORK, {})

    assert result.overall_level is None and result.score == 0.0


def test_unknown_answers_are_ignored():
    result = score(INSTRUMENT, FRAMEWORK, {"1.1-a": "made-up", "nope": "on_my_own"})

    assert result.competences == {}


def test_gaps_to_a_role_profile_biggest_first():
    result = score(INSTRUMENT, FRAMEWORK, {"1.1-a": "with_help", "1.2-a": "guide_others"})
    found = gaps(result, {"1.1": 4, "1.2": 4, "2.1": 2})

    assert [(g.competence_id, g.size) for g in found] == [("1.1", 3), ("2.1", 2)]


def test_rounding_is_half_up_and_within_the_scale():
    assert [level_of(v, 8) for v in (-1, 0.49, 0.5, 2.5, 3.5, 7.6, 9)] == [0, 0, 1, 3, 4, 8, 8]


answer_sets = st.fixed_dictionaries(
    {},
    optional={
        item.id: st.sampled_from([option.id for option in item.options])
        for item in INSTRUMENT.items
    },
)


@settings(max_examples=200, deadline=None)
@given(answer_sets)
def test_levels_stay_in_range(answers):
    result = score(INSTRUMENT, FRAMEWORK, answers)

    levels = [c.level for c in result.competences.values()] + [
        a.level for a in result.areas.values()
    ]
    assert all(0 <= level <= 8 for level in levels)
    assert result.overall_level is None or 0 <= result.overall_level <= 8
    assert 0.0 <= result.score <= 1.0


def better(item, option_id: str) -> list[str]:
    """Options at least as good: higher on the scale, or the correct one."""
    options = [option.id for option in item.options]
    if item.kind == "knowledge":
        return [item.correct]
    return options[options.index(option_id) :]


@settings(max_examples=300, deadline=None)
@given(answer_sets, st.data())
def test_answering_higher_never_lowers_a_level(answers, data):
    answered = sorted(answers)
    if not answered:
        return
    item_id = data.draw(st.sampled_from(answered))
    item = INSTRUMENT.item(item_id)
    higher = dict(answers, **{item_id: data.draw(st.sampled_from(better(item, answers[item_id])))})

    before, after = score(INSTRUMENT, FRAMEWORK, answers), score(INSTRUMENT, FRAMEWORK, higher)

    assert_not_lower(before, after)


def assert_not_lower(before, after):
    """Every level at least as high, and nothing assessed before is "not assessed" (None)
    after: not assessed is never a level of its own, so None never stands in for 0."""
    for competence_id, result in before.competences.items():
        assert competence_id in after.competences
        assert after.competences[competence_id].level >= result.level
    for area_id, result in before.areas.items():
        assert area_id in after.areas
        assert after.areas[area_id].level >= result.level
    if before.overall_level is not None:
        assert after.overall_level is not None
    assert (after.overall_level or 0) >= (before.overall_level or 0)
    assert not before.finished or after.finished


@settings(max_examples=300, deadline=None)
@given(answer_sets, st.data())
def test_answering_a_skipped_question_never_makes_an_assessed_competence_not_assessed(
    answers, data
):
    skipped = [item for item in INSTRUMENT.items if item.id not in answers]
    if not skipped:
        return
    item = data.draw(st.sampled_from(skipped))
    option = data.draw(st.sampled_from([option.id for option in item.options]))
    before = score(INSTRUMENT, FRAMEWORK, answers)
    after = score(INSTRUMENT, FRAMEWORK, dict(answers, **{item.id: option}))

    assert set(before.competences) <= set(after.competences)
    assert set(before.areas) <= set(after.areas)
    assert not before.finished or after.finished
    # Any "I can" answer, even "not yet", gives its competence a level (0 at least).
    if item.kind != "knowledge":
        assert item.competence_id in after.competences


def test_a_competence_with_no_answer_is_not_assessed_and_left_out_of_the_means():
    # 1.1 at 7 and 2.1 at 1; 1.2 unanswered: not assessed, not zero.
    answers = {"1.1-a": "expert", "1.1-b": "guide_others", "2.1-a": "with_help"}
    result = score(INSTRUMENT, FRAMEWORK, answers)

    assert result.competences.get("1.2") is None
    assert result.not_assessed(FRAMEWORK) == ["1.2"]
    assert result.areas["1"].value == (7 + 6) / 2  # 1.1 alone, not (6.5 + 0) / 2
    assert result.overall_value == (6.5 + 1) / 2  # 3.75, not (6.5 + 0 + 1) / 3 = 2.5
    assert result.overall_level == 4
    assert result.finished


def test_knowledge_answers_alone_assess_nothing():
    result = score(INSTRUMENT, FRAMEWORK, {"1.1-k": "b", "1.2-k": "a", "2.1-k": "b"})

    assert result.competences == {} and result.areas == {}
    assert result.overall_level is None and not result.finished


def test_a_submission_counts_as_finished_only_with_a_competence_assessed():
    assert not counts_as_finished(None)
    assert counts_as_finished(0)  # "not yet at level 1" is a level, and finished
    assert not score(INSTRUMENT, FRAMEWORK, {}).finished


def test_two_attempts_are_compared_on_the_competences_both_assessed():
    first = {"1.1": {"value": 2.0}, "1.2": {"value": 6.0}}  # overall 4
    # Only the strong competence answered again: overall 6, but no growth in it.
    assert compared_levels(first, {"1.2": {"value": 6.0}}) == (6, 6)
    # Only the weak one, which grew from 2 to 3: growth, though overall 3 < 4.
    assert compared_levels(first, {"1.1": {"value": 3.0}}) == (2, 3)
    assert compared_levels(first, {"2.1": {"value": 8.0}}) is None  # nothing in common


def test_i_dont_know_costs_no_more_than_skipping():
    instrument = instrument_from_document(
        {
            "id": "dk",
            "framework": "mini",
            "name": text("DK"),
            "response_scales": {
                "autonomy": {"options": [{"id": o, "text": text(o)} for o in AUTONOMY]}
            },
            "items": [
                {
                    "id": "a",
                    "competence": "1.1",
                    "kind": "self_rating",
                    "scale": "autonomy",
                    "levels": [0, 1, 3, 5, 7],
                    "text": text("I can"),
                },
                {
                    "id": "k",
                    "competence": "1.1",
                    "kind": "knowledge",
                    "text": text("?"),
                    "correct": "b",
                    "options": [
                        {"id": "a", "text": text("a")},
                        {"id": "b", "text": text("b")},
                        {"id": "dk", "text": text("I don't know"), "dont_know": True},
                    ],
                },
            ],
        },
        FRAMEWORK,
    )
    skipped = score(instrument, FRAMEWORK, {"a": "on_my_own"})
    dont_know = score(instrument, FRAMEWORK, {"a": "on_my_own", "k": "dk"})
    wrong = score(instrument, FRAMEWORK, {"a": "on_my_own", "k": "a"})

    assert skipped.competences["1.1"].level == dont_know.competences["1.1"].level == 3
    assert wrong.competences["1.1"].level == 2
