"""Through the web app: levels reached, passed or failed, leaving, and the actor modes."""

import json
import re

import pytest
from sqlalchemy import select

from competence.frameworks import DATA
from storage import Attempt, Organisation, Person, XapiStatement, XapiStatementRef
from storage.statements import statements_of
from tests.support.assessing import answer, answer_all, csrf, start, submit
from tests.support.browsing import dev_launch, text_of
from tests.xapi.support import undocumented, validate
from xapi.actors import pseudonym

COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
FAILED = "http://adlnet.gov/expapi/verbs/failed"
SCORED = "http://adlnet.gov/expapi/verbs/scored"
TERMINATED = "http://adlnet.gov/expapi/verbs/terminated"
WORK_SYSTEMS = DATA / "work-systems-example.json"
WORK_SYSTEMS_INSTRUMENT = DATA / "instruments" / "work-systems-example.json"


def middle(options: list[str]) -> str:
    return options[len(options) // 2]


def verbs_of(db, attempt_id: str) -> list[str]:
    return [row.verb for row in statements_of(db, attempt_id)]


def leave_action(page) -> str:
    path = re.search(r'action="([^"]+/leave[^"]*)"', page.text).group(1).replace("&amp;", "&")
    return page.url.split("/attempts/")[0].split("/assessment/")[0] + path


def tool_root(url: str) -> str:
    return url.split("/attempts/")[0]


# --- competence levels reached ---------------------------------------------------------


def test_a_submitted_assessment_tells_the_level_reached_in_each_competence(browser, tool_url, db):
    dev_launch(browser, tool_url)
    submit(browser, answer_all(browser, start(browser, tool_url), middle))

    attempt = db.scalars(select(Attempt)).one()
    levels = {
        row.statement["object"]["id"].rsplit("/", 1)[1]: row.statement
        for row in statements_of(db, attempt.id)
        if row.verb == SCORED
    }
    assert sorted(levels) == sorted(attempt.result["competences"])
    assert len(levels) == 21
    for competence_id, statement in levels.items():
        validate(statement)
        assert undocumented(statement, tool_url) == {}
        level = attempt.result["competences"][competence_id]["level"]
        assert statement["result"]["score"] == {
            "raw": level,
            "min": 0,
            "max": 8,
            "scaled": round(level / 8, 4),
        }
        assert statement["object"]["id"] == (
            f"{tool_url}/xapi/activities/competence/digcomp-2.2/{competence_id}"
        )
        assert statement["context"]["registration"] == attempt.id
    # DigComp self-assessments have no pass mark: neither passed nor failed.
    assert not {PASSED, FAILED} & set(verbs_of(db, attempt.id))


# --- passed or failed, at the pass mark ----------------------------------------------------


@pytest.mark.parametrize(("pass_mark", "verb"), [(0.5, PASSED), (0.5001, FAILED)])
def test_an_instrument_with_a_pass_mark_passes_at_the_mark(
    pass_mark, verb, kompetenslyft, db, browser, platform, tool_url, tmp_path
):
    document = json.loads(WORK_SYSTEMS_INSTRUMENT.read_text(encoding="utf-8"))
    document["pass_mark"] = pass_mark
    instrument_file = tmp_path / "instrument.json"
    instrument_file.write_text(json.dumps(document), encoding="utf-8")
    slug = db.scalar(select(Organisation)).slug
    for kind, path in (("framework", WORK_SYSTEMS), ("instrument", instrument_file)):
        imported = kompetenslyft(kind, "import", str(path), "--organisation", slug)
        assert imported.exit_code == 0, imported.output
    custom = {"instrument": "work-systems-example"}
    platform.launch(browser, **{"https://purl.imsglobal.org/spec/lti/claim/custom": custom})

    # The third option everywhere: level 2 of 4 in all six systems, 0.5 of the scale.
    submit(browser, answer_all(browser, start(browser, tool_url), lambda options: options[2]))

    attempt = db.scalars(select(Attempt)).one()
    stored = statements_of(db, attempt.id)
    judged = [row.statement for row in stored if row.verb in (PASSED, FAILED)]
    assert [statement["verb"]["id"] for statement in judged] == [verb]
    statement = judged[0]
    validate(statement)
    assert undocumented(statement, tool_url) == {}
    assert statement["result"]["score"]["scaled"] == 0.5
    assert statement["result"]["success"] is (verb == PASSED)
    assert statement["result"]["extensions"] == {f"{tool_url}/xapi/extensions/pass-mark": pass_mark}
    assert [row.verb for row in stored].count(SCORED) == 6


# --- leaving -----------------------------------------------------------------------------


def test_leaving_twice_in_one_launch_is_one_statement(browser, tool_url, db):
    dev_launch(browser, tool_url)
    question = start(browser, tool_url)
    question = answer(browser, question, "expert")
    action = leave_action(question)
    token = csrf(question.text)

    pressed = browser.post(action, data={"csrf_token": token})
    beacon = browser.post(action, data={"csrf_token": token, "via": "beacon"})

    assert pressed.status_code == 200 and "/attempts/" not in pressed.url
    assert "Du har lämnat självskattningen. Dina svar är sparade." in text_of(pressed.text)
    assert beacon.status_code == 204 and beacon.text == ""
    attempt = db.scalars(select(Attempt)).one()
    left = [row.statement for row in statements_of(db, attempt.id) if row.verb == TERMINATED]
    assert len(left) == 1
    validate(left[0])
    assert undocumented(left[0], tool_url) == {}
    assert left[0]["object"]["id"] == f"{tool_url}/xapi/activities/instrument/digcomp-2.2-short"

    # A new launch (another day) and leaving again is a new departure.
    dev_launch(browser, tool_url)
    again = start(browser, tool_url)
    browser.post(leave_action(again), data={"csrf_token": csrf(again.text), "via": "beacon"})
    assert verbs_of(db, attempt.id).count(TERMINATED) == 2


def test_the_results_page_can_be_left_too(browser, tool_url, db):
    dev_launch(browser, tool_url)
    results = submit(browser, answer_all(browser, start(browser, tool_url), middle))
    assert "/results" in results.url

    left = browser.post(leave_action(results), data={"csrf_token": csrf(results.text)})

    assert left.status_code == 200
    attempt = db.scalars(select(Attempt)).one()
    assert verbs_of(db, attempt.id)[-1] == TERMINATED


def test_leaving_needs_the_form_token_and_the_session(browser, other_browser, tool_url, db):
    dev_launch(browser, tool_url)
    question = start(browser, tool_url)
    action = leave_action(question)

    no_token = browser.post(action, data={"via": "beacon"})
    wrong_token = browser.post(action, data={"csrf_token": "forged", "via": "beacon"})
    # Another browser without the launch's session, with a token of its own.
    dev_launch(other_browser, tool_url, person="teacher")
    other_page = other_browser.get(tool_url + "/")
    stranger = other_browser.post(action, data={"csrf_token": csrf(other_page.text)})
    no_session = other_browser.__class__().post(action, data={"csrf_token": csrf(question.text)})

    assert no_token.status_code == 400 and wrong_token.status_code == 400
    assert stranger.status_code == 404  # someone else's attempt: as if it did not exist
    assert no_session.status_code in (400, 401)
    assert db.scalars(select(XapiStatement).where(XapiStatement.verb == TERMINATED)).all() == []


def test_pages_that_leave_carry_the_leave_form_and_its_script(browser, tool_url):
    dev_launch(browser, tool_url)
    question = start(browser, tool_url)
    review = answer_all(browser, question, middle)
    results = submit(browser, review)
    for page in (question, review, results):
        assert "data-leave" in page.text
        assert "/static/leave-beacon.js" in page.text
        assert "<script>" not in page.text  # no inline script: the CSP forbids it
    overview = browser.get(tool_url + "/")
    assert "data-leave" not in overview.text


# --- actor modes ---------------------------------------------------------------------------


def launched_organisation(db) -> Organisation:
    person = db.scalars(select(Person)).one()
    return db.get(Organisation, person.organisation_id)


def test_the_default_actor_is_the_lti_account(browser, tool_url, db):
    dev_launch(browser, tool_url)
    start(browser, tool_url)

    statement = db.scalars(select(XapiStatement)).one().statement
    person = db.scalars(select(Person)).one()
    assert statement["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": person.issuer, "name": person.subject},
    }
    assert launched_organisation(db).xapi_pseudonym_key is None  # made only when needed


def test_pseudonyms_are_stable_keyed_per_organisation_and_hide_the_subject(
    browser, other_browser, tool_url, db
):
    dev_launch(browser, tool_url)
    organisation = launched_organisation(db)
    organisation.xapi_actor = "pseudonym"
    db.commit()

    answer(browser, start(browser, tool_url), "expert")
    dev_launch(other_browser, tool_url)  # the same person on another device
    start(other_browser, tool_url)

    db.expire_all()
    key = launched_organisation(db).xapi_pseudonym_key
    assert key and len(key) == 64
    person = db.scalars(select(Person)).one()
    rows = db.scalars(select(XapiStatement)).all()
    actors = {json.dumps(row.statement["actor"], sort_keys=True) for row in rows}
    assert len(rows) == 2 and len(actors) == 1
    account = rows[0].statement["actor"]["account"]
    assert account == {
        "homePage": tool_url,
        "name": pseudonym(key, person.issuer, person.subject),
    }
    for row in rows:
        assert person.subject not in json.dumps(row.statement)
        assert person.name not in json.dumps(row.statement)
        validate(row.statement)


def test_identified_adds_name_and_mbox_and_keeps_the_lti_account(browser, tool_url, db):
    dev_launch(browser, tool_url)
    organisation = launched_organisation(db)
    organisation.xapi_actor = "identified"
    person = db.scalars(select(Person)).one()
    # As a real Moodle sends it (the dev platform's .invalid addresses are no valid mbox).
    person.email = "anna.andersson@umea.example.se"
    db.commit()

    start(browser, tool_url)

    row = db.scalars(select(XapiStatement)).one()
    assert row.statement["actor"] == {
        "objectType": "Agent",
        "name": "Anna Andersson",
        "mbox": f"mailto:{person.email}",
    }
    assert row.statement["context"]["extensions"][f"{tool_url}/xapi/extensions/lti-account"] == {
        "homePage": person.issuer,
        "name": person.subject,
    }
    validate(row.statement)
    assert undocumented(row.statement, tool_url) == {}
    # The statement store finds it by the mbox (an agent query), not by an empty account.
    refs = db.scalars(select(XapiStatementRef.ref).where(XapiStatementRef.direct)).all()
    assert f"mbox|mailto:{person.email}" in refs
    assert (row.actor_home_page, row.actor_name) == ("", "")
