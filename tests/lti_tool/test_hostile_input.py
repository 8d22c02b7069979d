"""Odd and hostile input gets a clear refusal, never a 500: an id no database holds is a page
that does not exist, a NUL character is refused with the usual page (or JSON for a program),
and the Statement API answers every refusal as JSON in the client's language.

The whole app is swept by test_fuzz_routes; these are the cases a person or a client meets.
"""

from __future__ import annotations

import json
import re

import pytest
import requests
from flask import session
from playwright.sync_api import expect
from sqlalchemy import func, select
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import NotFound

from lti_tool.database import db_session
from storage import HrImport, Organisation
from storage.catalogue import LearningActivity
from tests.lti_tool.test_accessibility import heading, launch_from_dev_platform
from tests.support import staff
from tests.support.accessibility import assert_accessible
from tests.support.assessing import csrf
from tests.support.browsing import text_of
from tests.support.statement_store import organisation, reader

ADMIN = staff.person_claims("30", "Ada Admin", "ada@example.invalid", admin=True)
LEARNER = staff.person_claims("32", "Lars Learner", "lars@example.invalid")
HEADER = "employee_id;email;name;manager_employee_id;unit_code;unit_name;role\n"
TOO_LARGE_IDS = (2**31, 99999999999, 2**63, 10**30)


def launch(platform, browser, claims):
    response = platform.launch(browser, **claims)
    assert response.status_code == 200, response.text
    return response


def usual_error_page(response, status: int) -> str:
    """The tool's own error page (not a bare text or a stack trace): its visible text."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("text/html")
    assert f"Error {status}" in response.text or f"Fel {status}" in response.text
    return text_of(response.text)


# --- 13: ids larger than a database id ------------------------------------------------------


@pytest.mark.parametrize("too_large", TOO_LARGE_IDS)
def test_an_address_with_an_id_too_large_for_the_database_is_page_not_found(
    platform, browser, tool_url, too_large
):
    launch(platform, browser, LEARNER)

    plan = browser.get(f"{tool_url}/plans/{too_large}?lang=en")
    pdf = browser.get(f"{tool_url}/plans/{too_large}/pdf?lang=en")

    assert "The page does not exist." in usual_error_page(plan, 404)
    assert pdf.status_code == 404


def test_every_id_in_every_address_is_bounded_by_what_the_database_holds(app):
    """A route added later is covered too: `int` itself is bounded, for every rule."""
    adapter = app.url_map.bind("kompetenslyft.test")
    with_ids = [rule for rule in app.url_map.iter_rules() if "<int:" in rule.rule]
    assert len(with_ids) >= 12
    for rule in with_ids:
        method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        largest = re.sub(r"<int:[^>]+>", str(2**31 - 1), rule.rule)
        too_large = re.sub(r"<int:[^>]+>", str(2**31), rule.rule)
        too_large = re.sub(r"<[^>]+>", "x", too_large)
        largest = re.sub(r"<[^>]+>", "x", largest)
        assert adapter.match(largest, method)[0] == rule.endpoint
        with pytest.raises(NotFound):
            adapter.match(too_large, method)


# --- 14: NUL characters -------------------------------------------------------------------


def test_a_nul_character_in_a_search_is_refused_with_the_usual_page(platform, browser, tool_url):
    launch(platform, browser, ADMIN)

    searched = browser.get(
        tool_url + "/organisation/people", params={"q": "Anna\x00", "lang": "en"}
    )

    assert "NUL character" in usual_error_page(searched, 400)


def test_a_nul_character_in_a_form_is_refused_and_nothing_is_stored(
    platform, browser, tool_url, db
):
    launch(platform, browser, ADMIN)
    page = browser.get(tool_url + "/catalogue/new?lang=sv")

    added = browser.post(
        tool_url + "/catalogue/new",
        data={"csrf_token": csrf(page.text), "title": "Teams\x00", "kind": "course"},
    )

    assert "NUL-tecken" in usual_error_page(added, 400)
    assert db.scalar(select(func.count()).select_from(LearningActivity)) == 0


def test_a_staff_list_with_a_zero_byte_is_refused_with_the_usual_page_and_the_tool_goes_on(
    platform, browser, tool_url, db
):
    launch(platform, browser, ADMIN)
    form = browser.get(tool_url + "/organisation/staff?lang=en")
    content = (HEADER + "9;anna@kommun.se;Anna\x00Berg;;KOM;Kommunen;Undersköterska\n").encode()

    refused = browser.post(
        tool_url + "/organisation/staff",
        data={"csrf_token": csrf(form.text)},
        files={"staff_list": ("personal.csv", content, "text/csv")},
    )
    afterwards = browser.get(tool_url + "/organisation/staff?lang=en")

    assert "Save it as CSV UTF-8" in usual_error_page(refused, 400)
    assert db.scalar(select(func.count()).select_from(HrImport)) == 0
    assert afterwards.status_code == 200


NUL_REFUSAL = {
    "sv": "Förfrågan innehåller ett NUL-tecken (en nollbyte), som verktyget inte tar emot.",
    "en": "The request contains a NUL character (a zero byte), which the tool does not accept.",
}


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_nul_refusal_page_reads_right_and_passes_axe(page, tool_url, lang):
    launch_from_dev_platform(page, tool_url, "learner", lang)

    response = page.goto(f"{tool_url}/my/plan?q=Anna%00")

    assert response.status == 400
    expect(page.get_by_test_id("message")).to_contain_text(NUL_REFUSAL[lang])
    expect(heading(page)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page)


def test_the_error_page_still_renders_after_a_failed_database_write(app):
    """The page reads the database (whose launch is this?): a write that failed on the way
    must not take the page down with it, leaving a bare line of text."""
    with app.test_request_context("/organisation/staff", method="POST"):
        session["launch_id"] = 999_999
        database = db_session()
        database.add(Organisation(slug=None, name=None))
        with pytest.raises(IntegrityError) as failed:
            database.flush()

        response = app.make_response(app.handle_user_exception(failed.value))

    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "Något gick fel i verktyget" in text_of(response.get_data(as_text=True))


def test_a_value_only_the_database_refuses_is_the_persons_error_not_the_tools(app):
    """What slipped past every check (PostgreSQL: a text longer than its column) is the
    request's fault: 400 with the usual page, not 500 "something went wrong in the tool"."""
    refused = DataError("UPDATE …", {}, Exception("value too long for type character varying"))
    with app.test_request_context("/catalogue/new", method="POST"):
        response = app.make_response(app.handle_user_exception(refused))

    assert response.status_code == 400
    assert "ett för stort tal eller en för lång text" in text_of(response.get_data(as_text=True))


# --- 15: the Statement API ----------------------------------------------------------------


@pytest.fixture
def client(db, tool_url):
    return reader(db, tool_url, organisation(db, "kommun-a"))


@pytest.mark.parametrize(
    "params",
    [
        {"verb": "http://adlnet.gov/expapi/verbs/\x00"},
        {"activity": "https://kommun.example/\x00"},
        {"agent\x00": "x"},
    ],
    ids=["in a verb", "in an activity", "in a name"],
)
def test_a_nul_character_in_a_statement_api_parameter_is_refused_as_json(client, params):
    response = client.get(params=params, headers={"Accept-Language": "en"})

    assert response.status_code == 400
    assert response.json()["error"] == "nul_character"
    assert "NUL character" in response.json()["message"]


@pytest.mark.parametrize(
    "bound",
    [
        {"since": "0001-01-01T00:00:00+01:00"},
        {"until": "0001-01-01T00:30:00+01:00"},
        {"since": "9999-12-31T23:59:59-01:00"},
        {"until": "9999-12-31T23:00:00-05:00"},
    ],
)
def test_since_or_until_beyond_the_calendar_after_its_offset_is_refused_as_json(client, bound):
    response = client.get(params=bound, headers={"Accept-Language": "en"})

    assert response.status_code == 400
    assert response.json()["error"] == "bad_timestamp"


def test_since_and_until_at_the_ends_of_the_calendar_in_utc_are_answered(client):
    response = client.get(
        params={"since": "0001-01-01T00:00:00Z", "until": "9999-12-31T23:59:59.999999Z"}
    )

    assert response.status_code == 200, response.text
    assert response.json()["statements"] == []


def test_an_agent_with_a_lone_surrogate_is_refused_as_json(client):
    # What a client sends when it JSON-escapes half of a character: "\ud800".
    agent = json.dumps({"mbox": "mailto:\ud800@kommun.example"})

    response = client.get(params={"agent": agent}, headers={"Accept-Language": "en"})

    assert response.status_code == 400
    assert response.json()["error"] == "bad_agent"


def test_a_limit_beyond_any_page_means_the_largest_page(client):
    response = client.get(params={"limit": "9" * 5000})

    assert response.status_code == 200, response.text
    assert response.json()["statements"] == []


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_storing_statements_is_answered_405_json_in_the_clients_language(client, method):
    url = client.base_url + "/xapi/statements"
    auth = (client.key, client.secret)
    body = {"data": json.dumps({"actor": {"mbox": "mailto:a@kommun.example"}})}

    english = requests.request(
        method, url, auth=auth, headers={"Accept-Language": "en"}, timeout=10, **body
    )
    swedish = requests.request(
        method, url, auth=auth, headers={"Accept-Language": "sv-SE,sv"}, timeout=10, **body
    )

    assert english.status_code == 405 and swedish.status_code == 405
    assert english.headers["Content-Type"] == "application/json"
    assert set(english.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}
    assert english.json()["error"] == "method_not_allowed"
    assert english.json()["message"] == (
        f"This address does not take {method}; it takes GET, HEAD, OPTIONS."
    )
    assert swedish.json()["message"] == (
        f"Den här adressen tar inte emot {method}; den tar emot GET, HEAD, OPTIONS."
    )
    assert "set-cookie" not in {name.lower() for name in english.headers}


def test_an_unknown_statement_api_address_is_answered_json_in_the_clients_language(client):
    english = client.get("/xapi/activities/state", headers={"Accept-Language": "en"})
    swedish = client.get("/xapi/activities/state", headers={"Accept-Language": "sv"})

    assert english.status_code == 404
    assert english.json() == {"error": "not_found", "message": "The page does not exist."}
    assert swedish.json()["message"] == "Sidan finns inte."
