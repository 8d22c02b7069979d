"""A teacher opening an activity whose platform gives the tool no way to send grades is told
why, and which Moodle setting fixes it; learners are not (they cannot change it)."""

from __future__ import annotations

import pytest

from tests.support.browsing import text_of

AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"
TEACHER = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
LEARNER = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
MOODLE_LINEITEMS = "https://moodle.kommun.se/mod/lti/services.php/2/lineitems?type_id=1"


def start_page(platform, browser, tool_url, roles, endpoint, lang="en") -> str:
    claims = {ROLES: roles, "sub": "5"}
    if endpoint is not None:
        claims[AGS] = endpoint
    assert platform.launch(browser, **claims).status_code == 200
    return text_of(browser.get(f"{tool_url}/?lang={lang}").text)


def test_a_teacher_is_told_why_grades_cannot_reach_the_gradebook(platform, browser, tool_url):
    """Issue 17.3: Moodle sends no AGS claim (the tool configuration does not use the
    grade services), so nothing the learners do reaches the gradebook."""
    text = start_page(platform, browser, tool_url, TEACHER, None)

    assert "Grades cannot reach the course gradebook" in text
    assert '"Accept grades from the tool"' in text
    assert "IMS LTI Assignment and Grade Services" in text


def test_the_notice_is_in_swedish_with_moodles_swedish_setting(platform, browser, tool_url):
    text = start_page(platform, browser, tool_url, TEACHER, None, lang="sv")

    assert "Betyg kan inte nå kursens betygsbok" in text
    assert "Acceptera betyg från verktyget" in text


@pytest.mark.parametrize(
    ("roles", "endpoint"),
    [
        (LEARNER, None),
        (TEACHER, {"scope": [SCORE, LINEITEM], "lineitems": MOODLE_LINEITEMS}),
        (TEACHER, {"scope": [SCORE], "lineitem": MOODLE_LINEITEMS.replace("s?", "s/2/lineitem?")}),
    ],
    ids=["a learner", "the tool may make the column", "the launch names the column"],
)
def test_no_notice_where_grades_can_flow_or_for_learners(
    platform, browser, tool_url, roles, endpoint
):
    text = start_page(platform, browser, tool_url, roles, endpoint)

    assert "Grades cannot reach" not in text
