"""Passed/failed, competence levels reached and leaving: valid xAPI, documented, made from
the event."""

import json
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from competence.frameworks import digcomp
from competence.scoring import score
from tests.xapi.support import undocumented, validate
from tests.xapi.test_statements import ATTEMPT, PUBLIC_URL, SHORT, STARTED, WHERE
from xapi import statements, vocabulary
from xapi.profile import documented_iris

SUBMITTED = STARTED + timedelta(minutes=6)
LAUNCH = "3f0e5b7c-1d2a-4c6b-8e9f-0a1b2c3d4e5f"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
FAILED = "http://adlnet.gov/expapi/verbs/failed"
SCORED = "http://adlnet.gov/expapi/verbs/scored"
TERMINATED = "http://adlnet.gov/expapi/verbs/terminated"
PASS_MARK = f"{PUBLIC_URL}/xapi/extensions/pass-mark"
LEVEL_NAME = f"{PUBLIC_URL}/xapi/extensions/level-name"


def answers_at(option: str) -> dict[str, str]:
    return {item.id: option for item in SHORT.items}


def judged(pass_mark, answers=None, where=WHERE):
    return statements.attempt_judged(
        where,
        attempt_id=ATTEMPT,
        submitted_at=SUBMITTED,
        instrument=replace(SHORT, pass_mark=pass_mark),
        framework=digcomp(),
        result=score(SHORT, digcomp(), answers_at("on_my_own") if answers is None else answers),
    )


def levels(answers=None, where=WHERE):
    return statements.competence_levels_reached(
        where,
        attempt_id=ATTEMPT,
        submitted_at=SUBMITTED,
        instrument=SHORT,
        framework=digcomp(),
        result=score(SHORT, digcomp(), answers_at("on_my_own") if answers is None else answers),
    )


def left(launch_id=LAUNCH, at=SUBMITTED, where=WHERE):
    return statements.attempt_left(
        where,
        attempt_id=ATTEMPT,
        launch_id=launch_id,
        left_at=at,
        instrument=SHORT,
        framework=digcomp(),
    )


def every_new_kind():
    return [
        judged(0.3),
        judged(0.9),
        judged(0.5, answers={}),  # nothing assessed: failed, no score
        *levels(),
        *levels(answers_at("not_yet")),  # level 0 everywhere
        left(),
        left(where=statements.Where(PUBLIC_URL, WHERE.issuer, "s", "d", "en")),
    ]


@pytest.mark.parametrize("index", range(len(every_new_kind())))
def test_every_new_statement_is_valid_xapi_and_documented(index):
    statement = every_new_kind()[index].to_json()
    validate(json.loads(json.dumps(statement)))
    assert uuid.UUID(statement["id"]) and statement["version"] == "1.0.3"
    assert undocumented(statement, PUBLIC_URL) == {}


def test_the_overall_level_in_the_short_instrument_is_three_of_eight():
    # "on_my_own" on every question: level 3 in every competence, scaled 0.375.
    statement = judged(0.375).to_json()
    assert statement["result"]["score"] == {"raw": 3.0, "min": 0, "max": 8, "scaled": 0.375}


@pytest.mark.parametrize(
    ("pass_mark", "verb", "success"),
    [(0.375, PASSED, True), (0.3751, FAILED, False), (0, PASSED, True), (1, FAILED, False)],
)
def test_passed_at_the_pass_mark_and_failed_just_above_it(pass_mark, verb, success):
    statement = judged(pass_mark).to_json()
    assert statement["verb"]["id"] == verb
    assert statement["result"]["success"] is success
    assert statement["result"]["extensions"] == {PASS_MARK: pass_mark}
    assert (statement["result"]["score"]["scaled"] >= pass_mark) is success
    assert statement["object"]["id"] == f"{PUBLIC_URL}/xapi/activities/instrument/digcomp-2.2-short"


def test_nothing_assessed_fails_without_a_score():
    statement = judged(0, answers={}).to_json()
    assert statement["verb"]["id"] == FAILED and statement["result"]["success"] is False
    assert "score" not in statement["result"]


def test_no_pass_mark_no_judgement():
    assert judged(None) is None


def test_passed_and_failed_share_one_id_per_attempt():
    assert judged(0.3).id == judged(0.9).id != statements.statement_id("completed", ATTEMPT)


def test_one_level_per_assessed_competence_with_its_name():
    reached = [s.to_json() for s in levels()]
    competences = [c.id for c in digcomp().competences]
    assert len(reached) == len(competences) == 21
    assert len({s["id"] for s in reached}) == 21
    first = reached[0]
    assert first["verb"]["id"] == SCORED
    assert first["object"]["id"] == f"{PUBLIC_URL}/xapi/activities/competence/digcomp-2.2/1.1"
    assert first["object"]["definition"]["type"] == f"{PUBLIC_URL}/xapi/activity-types/competence"
    assert first["object"]["definition"]["name"]["en"].startswith("1.1 ")
    assert first["result"]["score"] == {"raw": 3, "min": 0, "max": 8, "scaled": 0.375}
    level_3 = digcomp().scale.level(3).name
    assert first["result"]["extensions"] == {LEVEL_NAME: dict(level_3)}
    assert first["context"]["registration"] == ATTEMPT
    assert [a["id"] for a in first["context"]["contextActivities"]["parent"]] == [
        f"{PUBLIC_URL}/xapi/activities/instrument/digcomp-2.2-short",
        f"{PUBLIC_URL}/xapi/activities/resource-link/9",
    ]


def test_level_zero_is_named_not_yet_at_level_1():
    first = levels(answers_at("not_yet"))[0].to_json()["result"]
    assert first["score"] == {"raw": 0, "min": 0, "max": 8, "scaled": 0.0}
    assert first["extensions"][LEVEL_NAME] == {"sv": "Ännu inte nivå 1", "en": "Not yet at level 1"}


def test_competences_nobody_answered_send_no_level():
    only_first = {SHORT.items[0].id: "expert"}
    reached = levels(only_first)
    assert [s.object.id.rsplit("/", 1)[1] for s in reached] == [SHORT.items[0].competence_id]


def test_leaving_is_one_statement_per_attempt_and_launch():
    first = left().to_json()
    assert first["verb"]["id"] == TERMINATED
    assert first["context"]["registration"] == ATTEMPT
    assert left(at=SUBMITTED + timedelta(minutes=5)).id == first["id"]  # a second beacon
    assert left(launch_id="another-launch").id != first["id"]  # leaving again, another day


def test_every_verb_the_tool_knows_is_in_the_profile():
    assert {verb.id for verb in vocabulary.VERBS} == documented_iris(PUBLIC_URL)["Verb"]
