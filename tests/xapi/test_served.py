"""A stored statement as a reader gets it: stored, authority, version, and the three formats."""

from datetime import UTC, datetime

from xapi.served import served, tool_authority

STORED = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)
AUTHORITY = tool_authority("https://kompetenslyft.example.se/")
TEAM = {
    "objectType": "Group",
    "name": "Lag 1",
    "member": [
        {"objectType": "Agent", "name": "Anna", "mbox": "mailto:anna@kommun.se"},
        {"objectType": "Agent", "name": "Bo", "account": {"homePage": "https://m.se", "name": "b"}},
    ],
}
QUESTION = {
    "objectType": "Activity",
    "id": "https://kompetenslyft.example.se/xapi/items/q1",
    "definition": {
        "name": {"sv": "Fråga 1", "en": "Question 1"},
        "interactionType": "choice",
        "choices": [{"id": "a", "description": {"sv": "Ja", "en": "Yes"}}],
    },
}
STATEMENT = {
    "id": "5f0c6b1a-0000-4000-8000-000000000009",
    "actor": TEAM,
    "verb": {
        "id": "http://adlnet.gov/expapi/verbs/asked",
        "display": {"sv": "frågade", "en": "asked"},
    },
    "object": {
        "objectType": "SubStatement",
        "actor": {"objectType": "Agent", "name": "Anna", "mbox": "mailto:anna@kommun.se"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en": "answered"}},
        "object": QUESTION,
    },
}


def test_served_adds_stored_authority_and_version_and_leaves_the_stored_statement_alone():
    before = repr(STATEMENT)

    out = served(STATEMENT, STORED, AUTHORITY)

    assert out["stored"] == "2026-03-02T09:00:00.123456Z"
    assert out["authority"]["account"] == {
        "homePage": "https://kompetenslyft.example.se",
        "name": "kompetenslyft",
    }
    assert out["version"] == "1.0.3"
    assert repr(STATEMENT) == before


def test_ids_reduces_an_anonymous_group_to_its_members_identifiers_and_a_sub_statement_too():
    out = served(STATEMENT, STORED, AUTHORITY, "ids")

    assert out["actor"] == {
        "objectType": "Group",
        "member": [
            {"objectType": "Agent", "mbox": "mailto:anna@kommun.se"},
            {"objectType": "Agent", "account": {"homePage": "https://m.se", "name": "b"}},
        ],
    }
    assert out["verb"] == {"id": "http://adlnet.gov/expapi/verbs/asked"}
    sub = out["object"]
    assert sub["actor"] == {"objectType": "Agent", "mbox": "mailto:anna@kommun.se"}
    assert sub["object"] == {"objectType": "Activity", "id": QUESTION["id"]}


def test_canonical_keeps_one_language_everywhere_falling_back_to_the_first():
    english = served(STATEMENT, STORED, AUTHORITY, "canonical", lambda tags: "en")
    unknown = served(STATEMENT, STORED, AUTHORITY, "canonical", lambda tags: None)

    assert english["verb"]["display"] == {"en": "asked"}
    definition = english["object"]["object"]["definition"]
    assert definition["name"] == {"en": "Question 1"}
    assert definition["choices"][0]["description"] == {"en": "Yes"}
    assert unknown["verb"]["display"] == {"sv": "frågade"}
