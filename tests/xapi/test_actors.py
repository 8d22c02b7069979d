"""Actor modes: what an LRS learns about the person behind a statement."""

import json
from dataclasses import replace

import pytest

from tests.xapi.support import undocumented, validate
from tests.xapi.test_statements import PUBLIC_URL, WHERE, completed, started
from xapi.actors import Learner, actor_of, pseudonym

ANNA = Learner(
    issuer="https://moodle.umea.example.se",
    subject="a7f3-subject-42",
    name="Anna Andersson",
    email="anna.andersson@umea.example.se",
)
KEY_UMEA = "1" * 64
KEY_LULEA = "2" * 64
LTI_ACCOUNT = f"{PUBLIC_URL}/xapi/extensions/lti-account"


def actor(mode, learner=ANNA, key=None) -> dict:
    return actor_of(mode, learner, public_url=PUBLIC_URL + "/", pseudonym_key=key).to_json()


def test_lti_is_the_platform_account_and_nothing_else():
    assert actor("lti") == {
        "objectType": "Agent",
        "account": {"homePage": ANNA.issuer, "name": ANNA.subject},
    }


def test_a_pseudonym_is_stable_under_the_tool_and_hides_the_subject():
    first = actor("pseudonym", key=KEY_UMEA)
    assert first == actor("pseudonym", key=KEY_UMEA)
    assert set(first) == {"objectType", "account"}
    assert first["account"]["homePage"] == PUBLIC_URL
    name = first["account"]["name"]
    assert len(name) == 64 and int(name, 16) >= 0  # HMAC-SHA256, hex
    assert ANNA.subject not in name and ANNA.issuer not in name
    assert name == pseudonym(KEY_UMEA, ANNA.issuer, ANNA.subject)


def test_pseudonyms_differ_per_organisation_and_per_person():
    umea = actor("pseudonym", key=KEY_UMEA)["account"]["name"]
    assert actor("pseudonym", key=KEY_LULEA)["account"]["name"] != umea
    other = replace(ANNA, subject="another-subject")
    assert actor("pseudonym", other, key=KEY_UMEA)["account"]["name"] != umea
    # The same subject on another platform is another person.
    elsewhere = replace(ANNA, issuer="https://moodle.lulea.example.se")
    assert actor("pseudonym", elsewhere, key=KEY_UMEA)["account"]["name"] != umea


def test_the_pseudonym_mode_needs_the_organisation_key():
    with pytest.raises(ValueError, match="pseudonym key"):
        actor("pseudonym")


def test_identified_names_the_person_by_mbox():
    assert actor("identified") == {
        "objectType": "Agent",
        "name": "Anna Andersson",
        "mbox": "mailto:anna.andersson@umea.example.se",
    }


@pytest.mark.parametrize("email", [None, "", "not an address"])
def test_identified_without_an_email_keeps_the_account(email):
    assert actor("identified", replace(ANNA, email=email)) == {
        "objectType": "Agent",
        "name": "Anna Andersson",
        "account": {"homePage": ANNA.issuer, "name": ANNA.subject},
    }
    assert actor("identified", replace(ANNA, email=email, name=None)) == actor("lti")


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="unknown xAPI actor mode"):
        actor("everything")


@pytest.mark.parametrize("mode", ["lti", "pseudonym", "identified"])
def test_statements_of_every_mode_are_valid_and_documented(mode):
    where = replace(WHERE, actor=actor_of(mode, ANNA, public_url=PUBLIC_URL, pseudonym_key="k"))
    for statement in (started(where), completed(where=where)):
        data = json.loads(json.dumps(statement.to_json()))
        validate(data)
        assert undocumented(data, PUBLIC_URL) == {}


def test_an_identified_statement_carries_the_lti_account_to_stay_joinable():
    where = replace(WHERE, actor=actor_of("identified", ANNA, public_url=PUBLIC_URL))
    extensions = started(where).to_json()["context"]["extensions"]
    assert extensions[LTI_ACCOUNT] == {"homePage": WHERE.issuer, "name": WHERE.subject}
    # Other modes identify by an account already; the pseudonym must not leak the subject.
    for mode in ("lti", "pseudonym"):
        other = replace(WHERE, actor=actor_of(mode, ANNA, public_url=PUBLIC_URL, pseudonym_key="k"))
        assert LTI_ACCOUNT not in started(other).to_json()["context"]["extensions"]
        assert WHERE.subject not in json.dumps(started(other).to_json()) or mode == "lti"
