"""The tool's statements are valid xAPI 1.0.3, made from the event, and documented."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from competence.frameworks import digcomp
from competence.instruments import shipped_instruments
from competence.scoring import score
from tests.xapi.support import undocumented, validate
from xapi import statements
from xapi.model import iso_duration
from xapi.profile import PROFILE_PATH, profile_document

PUBLIC_URL = "https://kompetenslyft.example.se"
ATTEMPT = "0b6c1f0e-9a43-4b0e-a1f4-2f1c2d3e4f50"
STARTED = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
WHERE = statements.Where(
    public_url=PUBLIC_URL,
    issuer="https://moodle.umea.example.se",
    subject="a7f3-subject-42",
    deployment_id="1",
    language="sv",
    context_row_id=7,
    lti_context_id="course-101",
    context_title="Digital kompetens",
    resource_link_row_id=9,
    lti_resource_link_id="link-55",
    resource_link_title="Skattning",
)
SHORT = shipped_instruments()["digcomp-2.2-short"]


def knowledge_item():
    return next(
        item for item in shipped_instruments()["digcomp-2.2-full"].items if item.kind == "knowledge"
    )


def started(where=WHERE):
    return statements.attempt_started(
        where, attempt_id=ATTEMPT, started_at=STARTED, instrument=SHORT, framework=digcomp()
    )


def answered(item, option_id, at=STARTED + timedelta(seconds=30), where=WHERE):
    instrument = shipped_instruments()["digcomp-2.2-full"] if item.kind == "knowledge" else SHORT
    return statements.item_answered(
        where,
        attempt_id=ATTEMPT,
        answered_at=at,
        instrument=instrument,
        framework=digcomp(),
        item=item,
        option_id=option_id,
    )


def completed(answers=None, where=WHERE):
    if answers is None:
        answers = {item.id: item.options[-1].id for item in SHORT.items}
    return statements.attempt_submitted(
        where,
        attempt_id=ATTEMPT,
        started_at=STARTED,
        submitted_at=STARTED + timedelta(minutes=6, seconds=3.5),
        instrument=SHORT,
        framework=digcomp(),
        result=score(SHORT, digcomp(), answers),
    )


def every_kind():
    item = knowledge_item()
    wrong = next(o.id for o in item.options if o.id != item.correct and not o.dont_know)
    return [
        started(),
        answered(SHORT.items[0], SHORT.items[0].options[0].id),
        answered(item, item.correct),
        answered(item, wrong),
        completed(),
        completed(answers={}),  # nothing answered: no score, still completed
        completed(answers=FOUR_OF_21),  # submitted anyway: the score of the 4 assessed
    ]


# Submitted after confirming 17 questions unanswered.
FOUR_OF_21 = {item.id: "on_my_own" for item in SHORT.items[:4]}


@pytest.mark.parametrize("index", range(7))
def test_every_statement_is_valid_xapi(index):
    statement = every_kind()[index].to_json()
    validate(json.loads(json.dumps(statement)))
    assert statement["version"] == "1.0.3"
    assert uuid.UUID(statement["id"])


@pytest.mark.parametrize("index", range(7))
def test_every_iri_is_in_the_profile(index):
    assert undocumented(every_kind()[index].to_json(), PUBLIC_URL) == {}


def test_the_actor_is_pseudonymous():
    actor = started().to_json()["actor"]
    assert actor == {
        "objectType": "Agent",
        "account": {"homePage": "https://moodle.umea.example.se", "name": "a7f3-subject-42"},
    }


def test_context_carries_the_attempt_course_link_and_framework():
    context = started().to_json()["context"]
    assert context["registration"] == ATTEMPT
    assert [a["id"] for a in context["contextActivities"]["parent"]] == [
        f"{PUBLIC_URL}/xapi/activities/resource-link/9"
    ]
    assert [a["id"] for a in context["contextActivities"]["grouping"]] == [
        f"{PUBLIC_URL}/xapi/activities/course/7",
        f"{PUBLIC_URL}/xapi/activities/framework/digcomp-2.2",
    ]
    assert context["platform"] == "Kompetenslyft" and context["language"] == "sv"
    assert context["extensions"] == {
        f"{PUBLIC_URL}/xapi/extensions/lti-issuer": "https://moodle.umea.example.se",
        f"{PUBLIC_URL}/xapi/extensions/lti-deployment-id": "1",
        f"{PUBLIC_URL}/xapi/extensions/lti-context-id": "course-101",
        f"{PUBLIC_URL}/xapi/extensions/lti-resource-link-id": "link-55",
    }


def test_a_launch_without_course_or_link_still_makes_valid_statements():
    bare = statements.Where(
        public_url=PUBLIC_URL, issuer=WHERE.issuer, subject="s", deployment_id="d", language="en"
    )
    for statement in (
        started(bare),
        answered(SHORT.items[0], "expert", where=bare),
        completed(where=bare),
    ):
        validate(statement.to_json())
        assert "parent" not in statement.to_json()["context"][
            "contextActivities"
        ] or statement.verb.id.endswith("answered")


def test_knowledge_answers_say_whether_they_were_right():
    item = knowledge_item()
    wrong = next(o.id for o in item.options if o.id != item.correct and not o.dont_know)
    assert answered(item, item.correct).to_json()["result"] == {
        "success": True,
        "response": item.correct,
    }
    assert answered(item, wrong).to_json()["result"] == {"success": False, "response": wrong}
    dont_know = [o.id for o in item.options if o.dont_know]
    for option in dont_know:
        assert answered(item, option).to_json()["result"] == {"response": option}
    assert "success" not in answered(SHORT.items[0], "expert").to_json()["result"]


def test_submitted_has_score_duration_and_completion():
    result = completed().to_json()["result"]
    assert result["completion"] is True
    assert result["duration"] == "PT6M3.50S"
    assert result["score"]["min"] == 0 and result["score"]["max"] == 8
    assert result["score"]["scaled"] == pytest.approx(result["score"]["raw"] / 8, abs=1e-4)
    assert "score" not in completed(answers={}).to_json()["result"]


def test_statement_ids_come_from_the_event():
    item = SHORT.items[0]
    assert started().id == started().id
    assert completed().id == completed().id != started().id
    first = answered(item, "expert", at=STARTED + timedelta(seconds=30))
    assert answered(item, "expert", at=STARTED + timedelta(seconds=30)).id == first.id
    # Answering the same question again is a new event: a new statement.
    assert answered(item, "with_help", at=STARTED + timedelta(seconds=50)).id != first.id


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(0), "PT0S"),
        (timedelta(seconds=5), "PT5S"),
        (timedelta(minutes=18), "PT18M"),
        (timedelta(hours=26, seconds=0.256), "PT26H0.26S"),
    ],
)
def test_durations_are_iso_8601(span, text):
    assert iso_duration(span) == text


def test_the_profile_is_an_xapi_profile_document():
    raw = json.loads(PROFILE_PATH.read_text(encoding="utf-8"))
    assert raw["@context"] == "https://w3id.org/xapi/profiles/context"
    profile = profile_document(PUBLIC_URL + "/")
    assert profile["type"] == "Profile"
    assert profile["conformsTo"] == "https://w3id.org/xapi/profiles#1.0"
    assert profile["id"] == f"{PUBLIC_URL}/xapi/profile"
    version = profile["versions"][0]["id"]
    for concept in profile["concepts"]:
        assert concept["inScheme"] == version
        assert concept["prefLabel"]["en"] and concept["definition"]["en"]
    assert "cmi5" not in json.dumps(profile).replace("does not claim cmi5", "")


def test_a_plan_item_done_is_completed_on_a_documented_plan_item_activity():
    where = statements.Where(
        public_url="https://tool.example",
        issuer="https://moodle.example",
        subject="42",
        deployment_id="1",
        language="sv",
    )
    made = statements.plan_item_completed(
        where, plan_id=7, item_key="g:1", title="Lär mig Teams", completed_at=datetime.now(UTC)
    ).to_json()
    again = statements.plan_item_completed(
        where, plan_id=7, item_key="g:1", title="Lär mig Teams", completed_at=datetime.now(UTC)
    ).to_json()

    validate(made)
    assert undocumented(made, "https://tool.example") == {}
    assert made["id"] == again["id"]  # once per item
    assert made["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert made["object"]["id"] == "https://tool.example/xapi/activities/plan-item/7/g%3A1"
    assert made["object"]["definition"]["name"] == {"sv": "Lär mig Teams"}


def test_an_incomplete_submission_reports_only_the_assessed_competences():
    result = score(SHORT, digcomp(), FOUR_OF_21)
    event = {
        "attempt_id": ATTEMPT,
        "submitted_at": STARTED + timedelta(minutes=2),
        "instrument": SHORT,
        "framework": digcomp(),
        "result": result,
    }
    made = statements.competence_levels_reached(WHERE, **event)

    assert len(made) == 4  # 1.1, 1.2, 1.3, 2.1; the other 17 are not assessed, not zero
    for statement in [completed(answers=FOUR_OF_21), *made]:
        validate(json.loads(json.dumps(statement.to_json())))
    assert completed(answers=FOUR_OF_21).to_json()["result"]["score"]["raw"] == 3


def test_an_answered_item_is_named_as_the_question_page_names_it():
    """An LRS lists the item by the plain name shown above the question, in both languages."""
    item = SHORT.items[0]
    definition = answered(item, item.options[0].id).to_json()["object"]["definition"]

    assert definition["name"] == {"sv": "Söka information", "en": "Searching for information"}
