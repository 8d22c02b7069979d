"""The data-protection pages pass axe-core in Swedish and English, with real content: a
person with a submitted assessment, the confirmation, the erasure's result and the
audit log that records it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from storage import Person
from tests.lti_tool.test_accessibility import LANGUAGES
from tests.lti_tool.test_team_accessibility import open_as, organisation_with_staff  # noqa: F401
from tests.support.accessibility import assert_accessible


@pytest.mark.parametrize("lang", LANGUAGES)
def test_finding_exporting_and_erasing_a_person_is_accessible(
    page,
    tool_url,
    organisation_with_staff,  # noqa: F811 (the fixture imported above)
    database,
    lang,
):
    with database.transaction() as session:
        anna = session.scalar(select(Person.id).where(Person.person_sourcedid == "ANNA1001"))
    open_as(page, tool_url, "administrator", "/organisation/people?q=anna", lang)
    expect(page.get_by_test_id("found")).to_be_visible()
    assert_accessible(page)

    page.locator(f'[data-person="{anna}"] a').click()
    expect(page.get_by_test_id("held")).to_be_visible()
    assert_accessible(page)

    page.get_by_test_id("erase-link").click()
    expect(page.get_by_test_id("external")).to_be_visible()
    assert_accessible(page)

    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_test_id("reference")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{tool_url}/organisation/audit?lang={lang}")
    expect(page.get_by_test_id("audit")).to_be_visible()
    assert_accessible(page)
