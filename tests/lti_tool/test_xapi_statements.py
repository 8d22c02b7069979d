"""A real assessment through the web flow leaves valid statements in the statement store."""

from sqlalchemy import select

from storage import Attempt, Person, XapiStatement
from storage.statements import statements_of
from tests.support.assessing import answer, answer_all, start, submit
from tests.support.browsing import dev_launch
from tests.xapi.support import undocumented, validate

INITIALIZED = "http://adlnet.gov/expapi/verbs/initialized"
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
SCORED = "http://adlnet.gov/expapi/verbs/scored"
SHORT = 21
COMPETENCES = 21


def middle(options: list[str]) -> str:
    return options[len(options) // 2]


def test_an_assessment_leaves_one_statement_per_event(browser, tool_url, db):
    dev_launch(browser, tool_url, person="learner", course="digi101")
    submit(browser, answer_all(browser, start(browser, tool_url), middle))

    attempt = db.scalars(select(Attempt)).one()
    person = db.get(Person, attempt.person_id)
    stored = statements_of(db, attempt.id)
    verbs = [row.verb for row in stored]
    assert verbs.count(INITIALIZED) == 1
    assert verbs.count(ANSWERED) == SHORT
    assert verbs.count(COMPLETED) == 1
    assert verbs.count(SCORED) == COMPETENCES  # the level reached in each competence
    assert len(verbs) == SHORT + 2 + COMPETENCES
    for row in stored:
        validate(row.statement)
        assert undocumented(row.statement, tool_url) == {}
        assert row.organisation_id == person.organisation_id
        assert row.statement["id"] == row.id
        assert row.statement["context"]["registration"] == attempt.id
        assert row.statement["actor"]["account"] == {
            "homePage": person.issuer,
            "name": person.subject,
        }
        assert (row.actor_home_page, row.actor_name) == (person.issuer, person.subject)
        assert "name" not in row.statement["actor"] and "mbox" not in row.statement["actor"]
    done = next(row.statement for row in stored if row.verb == COMPLETED)
    assert done["result"]["completion"] is True
    assert done["result"]["score"]["raw"] == round(attempt.result["overall"]["value"], 4)
    assert done["result"]["score"]["scaled"] == round(attempt.score, 4)


def test_resuming_records_no_second_start_and_changing_an_answer_a_new_answer(
    browser, tool_url, db
):
    dev_launch(browser, tool_url)
    first = start(browser, tool_url)
    answer(browser, first, "with_help")
    answer(browser, browser.get(first.url), "expert")
    start(browser, tool_url)  # Continue: the same attempt

    rows = db.scalars(select(XapiStatement)).all()
    assert sorted(row.verb for row in rows) == [ANSWERED, ANSWERED, INITIALIZED]
    responses = [row.statement["result"]["response"] for row in rows if row.verb == ANSWERED]
    assert sorted(responses) == ["expert", "with_help"]
