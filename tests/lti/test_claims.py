"""Which role a launch's LIS roles give a person, and how a nested claim is read: plain
functions over a token's claims, no database."""

import pytest

from lti.claims import CONTEXT, claim, course_roles, primary_role

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
SYSTEM = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"


@pytest.mark.parametrize(
    ("roles", "role"),
    [
        ([MEMBERSHIP + "Learner"], "learner"),
        (["Learner"], "learner"),  # Moodle's short form in NRPS
        ([INSTITUTION + "Student"], "learner"),
        ([MEMBERSHIP + "Instructor"], "teacher"),
        ([MEMBERSHIP + "Instructor#TeachingAssistant"], "teacher"),
        ([MEMBERSHIP + "Mentor"], "teacher"),
        ([MEMBERSHIP + "Learner", MEMBERSHIP + "Instructor"], "teacher"),
        ([MEMBERSHIP + "Instructor", INSTITUTION + "Administrator"], "administrator"),
        ([SYSTEM + "SysAdmin", MEMBERSHIP + "Learner"], "administrator"),
        ([INSTITUTION + "Staff"], "other"),
        ([], "other"),
    ],
)
def test_a_person_gets_the_strongest_role_their_launch_names(roles, role):
    assert primary_role(roles) == role


def test_role_names_are_read_from_full_uris_sub_roles_and_unknown_vocabularies():
    assert course_roles(
        [
            MEMBERSHIP + "Instructor#TeachingAssistant",
            INSTITUTION + "Faculty",
            "http://example.invalid/roles/Learner",
            "urn:lti:role:ims/lis/Mentor",
        ]
    ) == {"TeachingAssistant", "Faculty", "Learner", "Mentor"}


def test_a_nested_claim_is_read_and_anything_that_is_not_an_object_on_the_way_is_none():
    body = {CONTEXT: {"id": "2", "title": None}, "sub": "3"}

    assert claim(body, (CONTEXT, "id")) == "2"
    assert claim(body, ("sub",)) == "3"
    assert claim(body, (CONTEXT, "label")) is None
    assert claim(body, ("sub", "deeper")) is None
    assert claim({CONTEXT: ["not", "an", "object"]}, (CONTEXT, "id")) is None
