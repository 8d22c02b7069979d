"""An xAPI client's refused requests, version header and credentials at /xapi/statements.

The Statement Resource's GET (xAPI 1.0.3, part three, 2.1.3): a refusal is JSON with a
stable code in the client's language, the version header is required, HTTP Basic
credentials belong to one organisation and see only its statements.
"""

import json
import re

import pytest
import requests
from sqlalchemy import select

from storage import StatementApiCredential
from tests.support.statement_store import (
    ANSWERED,
    COMPLETED,
    INSTRUMENT,
    attempt,
    ids,
    organisation,
    reader,
    store,
)

# --- refusals -------------------------------------------------------------------------------

AGENT = json.dumps({"mbox": "mailto:a@kommun-a.se"})
STATEMENT = "5f0c6b1a-0000-4000-8000-000000000001"


# Every rule on a parameter's value is tested fast in tests/xapi/test_statement_query.py; these
# check that a refusal of each kind (filter, single statement, `more` link) reaches the client.
@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"verbs": ANSWERED}, "unknown_parameter"),
        ({"statementId": STATEMENT, "verb": ANSWERED}, "single_statement_with_filters"),
        ({"statementId": "not-a-uuid"}, "bad_uuid"),
        ({"agent": json.dumps({"name": "Anna"})}, "bad_agent"),
        ({"since": "yesterday"}, "bad_timestamp"),
        ({"format": "full"}, "bad_format"),
        ({"more": "garbage"}, "bad_more"),
    ],
)
def test_bad_parameters_are_refused_with_a_reason(client_a, params, error):
    response = client_a.get(params=params, headers={"Accept-Language": "en"})

    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.json()["message"]
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_a_parameter_given_twice_is_refused(client_a):
    response = client_a.get(params=[("verb", ANSWERED), ("verb", COMPLETED)])

    assert response.status_code == 400 and response.json()["error"] == "repeated_parameter"


def test_refusals_speak_the_clients_language(client_a):
    english = client_a.get(params={"limit": "x"}, headers={"Accept-Language": "en-US"})
    swedish = client_a.get(params={"limit": "x"}, headers={"Accept-Language": "sv-SE,sv"})
    default = client_a.get(params={"limit": "x"})

    assert english.json()["message"] == "limit must be a whole number, 0 or more."
    assert swedish.json()["message"] == "limit måste vara ett heltal, 0 eller större."
    assert default.json()["message"] == swedish.json()["message"]


# --- the version header ---------------------------------------------------------------------


def test_a_request_must_say_its_xapi_version(client_a, db, org_a):
    store(db, org_a, attempt(answers=0))
    url = client_a.base_url + "/xapi/statements"
    auth = (client_a.key, client_a.secret)

    def asking(version):
        headers = {"X-Experience-API-Version": version} if version else {}
        return requests.get(url, auth=auth, headers=headers, timeout=10)

    assert asking(None).status_code == 400
    assert asking(None).json()["error"] == "missing_version"
    assert asking("0.95").status_code == 400
    assert asking("0.95").json()["error"] == "unsupported_version"
    assert asking("1.0.1").headers["X-Experience-API-Version"] == "1.0.3"
    assert len(asking("1.0").json()["statements"]) == 2
    assert asking("2.0.0").status_code == 200
    assert asking("2.0.0").headers["X-Experience-API-Version"] == "2.0.0"


def test_about_lists_the_versions_without_credentials_or_version_header(tool_url):
    response = requests.get(tool_url + "/xapi/about", timeout=10)

    assert response.status_code == 200
    assert response.json() == {"version": ["1.0.3", "2.0.0"]}
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


# --- credentials ----------------------------------------------------------------------------


def test_missing_or_wrong_credentials_get_401_with_a_basic_challenge(client_a, db, org_a):
    store(db, org_a, attempt(answers=0))
    url = client_a.base_url + "/xapi/statements"
    headers = {"X-Experience-API-Version": "1.0.3", "Accept-Language": "en"}

    refused = [
        requests.get(url, headers=headers, timeout=10),
        requests.get(url, headers=headers, auth=(client_a.key, "wrong"), timeout=10),
        requests.get(url, headers=headers, auth=("unknown", client_a.secret), timeout=10),
        requests.get(url, headers=headers | {"Authorization": "Bearer abc"}, timeout=10),
    ]

    for response in refused:
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic ")
        assert response.json()["error"] in ("missing_credentials", "bad_credentials")
        assert "statements" not in response.text


def test_a_removed_credential_stops_working_and_use_is_recorded(client_a, db):
    assert client_a.get().status_code == 200
    credential = db.scalars(select(StatementApiCredential)).one()
    db.refresh(credential)
    assert credential.last_used_at is not None
    assert client_a.secret not in credential.secret_hash

    db.delete(credential)
    db.commit()

    assert client_a.get().status_code == 401


def test_another_organisations_credentials_see_none_of_its_statements(
    client_a, db, org_a, tool_url
):
    rows = store(db, org_a, attempt())
    client_b = reader(db, tool_url, organisation(db, "kommun-b"))
    registration = rows[0].statement["context"]["registration"]
    learner = json.dumps(rows[0].statement["actor"])

    assert ids(client_b.get()) == []
    assert ids(client_b.get(params={"registration": registration})) == []
    assert ids(client_b.get(params={"agent": learner, "related_agents": "true"})) == []
    assert ids(client_b.get(params={"activity": INSTRUMENT, "related_activities": "true"})) == []
    assert client_b.get(params={"statementId": rows[0].id}).status_code == 404
    assert len(ids(client_a.get())) == len(rows)


def test_every_list_response_is_valid_json_with_an_iso_stored(client_a, db, org_a):
    store(db, org_a, attempt(answers=1))

    for statement in client_a.get().json()["statements"]:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", statement["stored"])
