"""The sharing explanations pass axe-core in Swedish and English: who sees the result (before
the first question and beside the result), the privacy page, the manager's page when nothing
is shared, and the dialogue's level sources on both sides."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from competence.staff_list import staff_list_from_csv
from storage import Attempt, Employee, Person, SharedInstrument
from storage.hr_import import apply_staff_list
from tests.lti_tool.test_accessibility import LANGUAGES
from tests.support.accessibility import assert_accessible
from tests.support.assessing import answer_all, start, submit
from tests.support.browsing import dev_launch

STAFF = (
    "employee_id;email;name;manager_employee_id;unit_code;unit_name;role\n"
    "KARIN1003;karin@example.invalid;Karin Lund;;OMS;Omsorg;Enhetschef\n"
    "ANNA1001;anna@example.invalid;Anna Andersson;KARIN1003;OMS;Omsorg;Undersköterska\n"
)


def sharing_story(browser, tool_url, database) -> dict[str, str]:
    """Anna answered twice: her first result is shared with Karin, her newer one is not."""
    dev_launch(browser, tool_url, "learner")
    for choose in (lambda options: options[1], lambda options: options[2]):
        submit(browser, answer_all(browser, start(browser, tool_url), choose))
    with database.transaction() as session:
        anna = session.scalar(select(Person).where(Person.person_sourcedid == "ANNA1001"))
        apply_staff_list(session, anna.organisation_id, staff_list_from_csv(STAFF))
        session.add(
            SharedInstrument(
                organisation_id=anna.organisation_id, instrument_key="digcomp-2.2-short"
            )
        )
        attempts = session.scalars(
            select(Attempt).where(Attempt.person_id == anna.id).order_by(Attempt.submitted_at)
        ).all()
        attempts[-1].shared_with_manager = False  # as if answered in an activity saying no
        employee = session.scalar(select(Employee.id).where(Employee.employee_number == "ANNA1001"))
        return {"anna": str(employee), "attempt": attempts[-1].id, "person": str(anna.id)}


@pytest.fixture
def story(browser, tool_url, database):
    return sharing_story(browser, tool_url, database)


def nothing_shared(database, person_id: str) -> None:
    with database.transaction() as session:
        session.execute(
            update(Attempt)
            .where(Attempt.person_id == int(person_id))
            .values(shared_with_manager=False)
        )


# name -> (who opens it: a dev platform person or None, path, what must be on it)
PAGES = {
    "who sees, before the first question": ("learner", "/", "who-sees"),
    "who sees, beside the result": ("learner", "/attempts/{attempt}/results", "who-sees"),
    "dialogue, the employee's side": ("learner", "/plans/{anna}", "level-source"),
    "dialogue, the manager's side": ("manager", "/plans/{anna}", "level-source"),
    "team member, nothing shared": ("manager", "/team/{anna}", "not-shared"),
    "privacy page": (None, "/privacy", None),
}


def open_page(page, tool_url, person: str | None, path: str, lang: str) -> None:
    if person is not None:
        page.goto(f"{tool_url}/dev-platform/{LANGUAGES[lang]}")
        page.get_by_test_id(f"launch-{person}").click()
        page.wait_for_url(f"{tool_url}/")
    page.goto(f"{tool_url}{path}?lang={lang}")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_the_sharing_explanations_are_accessible(page, tool_url, story, database, name, lang):
    person, path, shown = PAGES[name]
    if name == "team member, nothing shared":
        nothing_shared(database, story["person"])

    open_page(page, tool_url, person, path.format(**story), lang)

    if shown:
        expect(page.get_by_test_id(shown)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page)
