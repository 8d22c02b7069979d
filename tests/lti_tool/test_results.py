"""What a learner reads after submitting: next steps, targets, and the score for the gradebook."""

import re

from flask_babel import force_locale
from sqlalchemy import select

from competence.frameworks import digcomp
from lti_tool.results import competence_rows, levels_chart
from storage import Attempt, Delivery, LearningActivity, Organisation, RoleProfile
from tests.support.assessing import answer, answer_all, start, submit, table_levels
from tests.support.browsing import dev_launch, text_of

CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"


def with_help(options):
    return "with_help" if "with_help" in options else options[0]


def test_without_a_catalogue_the_page_says_so(browser, tool_url):
    dev_launch(browser, tool_url)
    results = submit(browser, answer_all(browser, start(browser, tool_url), with_help))

    text = text_of(results.text)
    assert "Det finns inga lärandeaktiviteter i katalogen ännu." in text
    assert "Där du kan utvecklas mest" in text


def test_suitable_activities_are_recommended_for_the_gaps(browser, tool_url, db):
    db.add_all(
        [
            LearningActivity(
                title="Sök smartare på nätet",
                kind="course",
                url="https://moodle.example/course/1",
                language="sv",
                duration_minutes=30,
                framework_key="digcomp-2.2",
                builds=[
                    {"competence": c, "from_level": 1, "to_level": 3}
                    for c in ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3")
                ],
            ),
            LearningActivity(
                title="Expertkurs",
                kind="course",
                url=None,
                language="sv",
                duration_minutes=600,
                framework_key="digcomp-2.2",
                builds=[{"competence": "1.1", "from_level": 6, "to_level": 8}],
            ),
        ]
    )
    db.commit()
    dev_launch(browser, tool_url)

    answers = answer_all(browser, start(browser, tool_url), with_help)
    text = text_of(submit(browser, answers).text)

    assert "Förslag på nästa steg: Sök smartare på nätet (30 min)" in text
    assert "Expertkurs" not in text  # too advanced for someone at level 1


def test_a_role_profile_turns_gaps_into_gaps_to_targets(browser, tool_url, platform, db):
    organisation = db.scalar(select(Organisation))
    db.add(
        RoleProfile(
            organisation_id=organisation.id,
            framework_key="digcomp-2.2",
            key="handlaggare",
            name={"sv": "Handläggare"},
            targets={"4.2": 6, "1.1": 4},
        )
    )
    db.commit()
    custom = {"instrument": "digcomp-2.2-short", "role_profile": "handlaggare"}

    platform.launch(browser, **{CUSTOM: custom})
    text = text_of(submit(browser, answer_all(browser, start(browser, tool_url), with_help)).text)

    assert "Your biggest gaps to your role's targets" in text
    assert text.index("4.2 ") < text.index("1.1 ", text.index("Your biggest gaps"))
    assert "(target: 6)" in text


def test_a_launch_with_grade_service_queues_a_score_for_the_gradebook(
    browser, tool_url, platform, db
):
    endpoint = {
        "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
        "lineitem": "https://moodle.test.invalid/mod/lti/services.php/2/lineitems/2/lineitem",
    }
    platform.launch(browser, **{CUSTOM: {"instrument": "digcomp-2.2-short"}, AGS: endpoint})

    submit(browser, answer_all(browser, start(browser, tool_url), with_help))

    attempt = db.scalar(select(Attempt))
    delivery = db.scalar(select(Delivery))
    assert (delivery.target, delivery.key) == ("ags.score", f"attempt:{attempt.id}")
    payload = delivery.payload
    assert payload["lineitem"] == endpoint["lineitem"]
    assert payload["score"]["userId"] == "3"
    assert (payload["score"]["scoreGiven"], payload["score"]["scoreMaximum"]) == (1.0, 8)
    assert payload["score"]["activityProgress"] == "Completed"
    assert payload["score"]["gradingProgress"] == "FullyGraded"


def test_no_grade_service_no_score(browser, tool_url, db):
    dev_launch(browser, tool_url)
    submit(browser, answer_all(browser, start(browser, tool_url), with_help))

    assert db.scalar(select(Delivery)) is None


def answer_some(browser, page, chosen: dict[int, str]):
    """Answer the questions numbered in `chosen`, pass over the rest, to the review."""
    number = 1
    while "/items/" in page.url:
        page = answer(browser, page, chosen.get(number))
        number += 1
    return page


# Short instrument, every item levels [0, 1, 3, 5, 7]: question 1 (1.1) "expert" is 7,
# question 2 (1.2) "with_help" 1, question 4 (2.1) "guide_others" 5; the other 18 unanswered.
SOME = {1: "expert", 2: "with_help", 4: "guide_others"}


def test_a_competence_with_no_answers_shows_not_assessed_and_is_left_out_of_the_means(
    browser, tool_url
):
    dev_launch(browser, tool_url)
    results = submit(browser, answer_some(browser, start(browser, tool_url), SOME))

    levels = table_levels(results)
    assert {cid: level for cid, level in levels.items() if level is not None} == {
        "1.1": 7,
        "1.2": 1,
        "2.1": 5,
    }
    text = text_of(results.text)
    assert text.count("Inte bedömd") >= 18
    # Overall (7 + 1 + 5) / 3 = 4.33: level 4 (as zeros it would be 13 / 21: level 1).
    assert "Din nivå totalt: Nivå 4 – Medel" in text
    # Area 1: (7 + 1) / 2 = 4, not (7 + 1 + 0) / 3; area 2 is 2.1 alone: 5.
    assert "Informations- och datakompetens: Nivå 4 – Medel" in text
    assert "Kommunikation och samarbete: Nivå 5 – Avancerad" in text
    assert "Säkerhet: Inte bedömd" in text
    assert (
        "18 av 21 kompetenser är inte bedömda, eftersom frågorna om dem inte fick svar. "
        "Din nivå totalt bygger på de andra 3." in text
    )
    # The chart draws no line to the centre (level 0) for them and fills no area.
    current = re.search(
        r'<g class="radar-series radar-series--current">(.*?)</g>', results.text, re.S
    )
    assert "radar-area" not in current[1]
    lines = re.findall(r'<polyline class="radar-line" points="([^"]+)"', current[1])
    assert lines and all("0.0,0.0" not in points.split() for points in lines)
    assert current[1].count('class="radar-dot"') == 3
    assert "En kompetens utan punkt är inte bedömd." in text


def test_the_gradebook_hears_how_many_competences_were_not_assessed(
    browser, tool_url, platform, db
):
    endpoint = {
        "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
        "lineitem": "https://moodle.test.invalid/mod/lti/services.php/2/lineitems/2/lineitem",
    }
    platform.launch(browser, **{CUSTOM: {"instrument": "digcomp-2.2-short"}, AGS: endpoint})

    submit(browser, answer_some(browser, start(browser, tool_url), SOME))

    score = db.scalar(select(Delivery).where(Delivery.target == "ags.score")).payload["score"]
    assert score["scoreGiven"] == round((7 + 1 + 5) / 3, 2)  # the 3 assessed only
    assert score["comment"] == (
        "Overall level: Intermediate 4. "
        "Not assessed: 18 of 21 competences (questions not answered)."
    )


def test_a_result_reads_as_one_row_per_competence_and_the_chart_draws_what_is_named(app):
    framework = digcomp()
    result = {"competences": {"1.1": {"level": 3, "value": 3.0}, "1.2": {"level": 0}}}

    with app.test_request_context("/"), force_locale("en"):
        rows = competence_rows(framework, result, "en", {"1.1": 5}, {"1.1": 2})
        bare = levels_chart(framework, rows, current="Now", title="T", description="D",
                            id_prefix="a")  # fmt: skip
        full = levels_chart(framework, rows, current="Now", previous="Before", target="Goal",
                            title="T", description="D", id_prefix="b")  # fmt: skip

    assert len(rows) == len(framework.competences)
    first, second, third = rows[:3]
    assert (first.id, first.level, first.previous_level, first.target) == ("1.1", 3, 2, 5)
    assert (second.level, second.level_name) == (0, "Not yet at level 1")
    assert (third.level, third.level_name, third.target) == (None, "Not assessed", None)
    assert re.findall(r'class="radar-legend-label"[^>]*>([^<]*)<', str(bare)) == ["Now"]
    assert re.findall(r'class="radar-legend-label"[^>]*>([^<]*)<', str(full)) == [
        "Before",
        "Now",
        "Goal",
    ]
