"""The development dialogue in a real browser: a manager and an employee, each in their own
browser, agree a plan; both see it; the PDF holds the agreed targets.  And every new page
passes axe-core in Swedish and English.

People launch from the built-in dev platform (Karin Lund is the manager, Anna Andersson
the employee, Maria Nilsson the administrator); HR's rows are made by hand and matched to
them by the idnumber Moodle sends (`lis.person_sourcedid`).
"""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from lti_tool.dev_platform.platform import ORGANISATION_SLUG, ensure_registered
from tests.lti_tool.conftest import PAGE_TIMEOUT_MS
from tests.lti_tool.test_accessibility import LANGUAGES, heading
from tests.support import staff
from tests.support.accessibility import assert_accessible


@pytest.fixture
def dev_team(page, tool_url, db):
    """The dev platform's organisation with Karin managing Anna (an undersköterska)."""
    ensure_registered(db, tool_url)  # as its first launch would: the organisation "dev"
    db.commit()
    org = staff.organisation(db, ORGANISATION_SLUG)
    karin = staff.employee(db, org, "KARIN1003", "Karin Lund")
    anna = staff.employee(
        db, org, "ANNA1001", "Anna Andersson", manager=karin, role_title="Undersköterska"
    )
    staff.role_profile(db, org, "usk", "Undersköterska", {"1.1": 4, "2.1": 3})
    course = staff.activity(db, org, "Sök smart på nätet", [("1.1", 0, 4)])
    return {"org": org, "karin": karin, "anna": anna, "course": course}


def launch(page, tool_url: str, person: str, lang: str = "sv") -> None:
    page.goto(f"{tool_url}/dev-platform/{LANGUAGES[lang]}")
    page.get_by_test_id(f"launch-{person}").click()
    page.wait_for_url(f"{tool_url}/")


@pytest.fixture
def second_page(chromium):
    context = chromium.new_context(bypass_csp=True, locale="sv-SE")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_manager_and_employee_agree_a_plan_and_the_pdf_holds_the_targets(
    page, second_page, tool_url, dev_team
):
    manager, employee = page, second_page
    course = dev_team["course"]
    launch(manager, tool_url, "manager")
    manager.get_by_test_id("my-plan-link").click()
    manager.get_by_role("link", name="Anna Andersson").click()
    expect(heading(manager)).to_have_text("Utvecklingssamtal: Anna Andersson")
    # The recommended course for the gap in 1.1 comes first.
    expect(manager.locator('[data-testid="options-1.1"] li').first).to_have_attribute(
        "data-recommended", "true"
    )
    manager.get_by_test_id("target-1.1").select_option("4")
    manager.get_by_test_id("target-2.1").select_option("3")
    manager.get_by_label(f"{course.title} (rekommenderas)").check()
    manager.get_by_test_id("new-goal-0").fill("Hålla ett Teams-möte")
    manager.get_by_test_id("new-goal-due-0").fill("2027-03-01")
    manager.get_by_test_id("save").click()
    expect(manager.get_by_test_id("saved")).to_be_visible()
    manager.get_by_role("button", name="Jag godkänner planen").click()
    expect(manager.get_by_test_id("manager-agreed")).to_contain_text("Karin Lund (chef) godkände")

    launch(employee, tool_url, "learner")
    employee.get_by_test_id("my-plan-link").click()
    waiting = employee.get_by_test_id("waiting")
    expect(waiting).to_contain_text("Version 1 väntar på godkännande")
    expect(waiting).to_contain_text("Hålla ett Teams-möte")
    employee.get_by_role("button", name="Jag godkänner planen").click()
    agreed = employee.get_by_test_id("agreed")
    expect(agreed).to_contain_text("Överenskommen plan (version 1")
    expect(agreed).to_contain_text("Anna Andersson (medarbetare) godkände")
    expect(agreed).to_contain_text("Karin Lund (chef) godkände")
    expect(agreed).to_contain_text(course.title)
    employee.get_by_role("button", name="Markera som klar: Hålla ett Teams-möte").click()
    expect(employee.locator('[data-item="g:1"]')).to_contain_text("klar")

    manager.reload()
    expect(manager.get_by_test_id("latest-version")).to_contain_text(
        "Version 1 av planen – överenskommen"
    )
    pdf_url = manager.get_by_test_id("pdf-link").get_attribute("href")
    response = manager.request.get(tool_url + pdf_url if pdf_url.startswith("/") else pdf_url)
    assert response.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    assert "Utvecklingsplan" in text and "Anna Andersson" in text and "Karin Lund" in text
    assert "Målnivå per kompetens" in text
    assert "1.1" in text and "2.1" in text and "Hålla ett Teams-möte" in text


def open_dialogue(page, tool_url, dev_team, lang):
    launch(page, tool_url, "manager", lang)
    page.goto(f"{tool_url}/plans/{dev_team['anna'].id}{LANGUAGES[lang]}")
    page.get_by_test_id("new-goal-0").fill("Ett mål")
    page.get_by_test_id("save").click()  # without a date: the error summary is checked too
    expect(page.get_by_test_id("errors")).to_be_visible()


def open_my_plan(page, tool_url, dev_team, lang):
    launch(page, tool_url, "manager", lang)
    page.goto(f"{tool_url}/plans/{dev_team['anna'].id}{LANGUAGES[lang]}")
    page.get_by_test_id("target-1.1").select_option("3")
    page.get_by_test_id("save").click()
    launch(page, tool_url, "learner", lang)
    page.goto(f"{tool_url}/my/plan{LANGUAGES[lang]}")
    expect(page.get_by_test_id("waiting")).to_be_visible()


def open_catalogue(page, tool_url, dev_team, lang):
    launch(page, tool_url, "administrator", lang)
    page.goto(f"{tool_url}/catalogue/{LANGUAGES[lang]}")
    expect(page.get_by_test_id("catalogue")).to_be_visible()


def open_catalogue_form(page, tool_url, dev_team, lang):
    launch(page, tool_url, "administrator", lang)
    page.goto(f"{tool_url}/catalogue/new{LANGUAGES[lang]}")
    page.locator("#title").fill("X")
    page.locator("#builds").fill("nonsense")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("errors")).to_be_visible()


def open_catalogue_import(page, tool_url, dev_team, lang):
    launch(page, tool_url, "administrator", lang)
    page.goto(f"{tool_url}/catalogue/import{LANGUAGES[lang]}")
    page.locator("#file").set_input_files(
        {"name": "bad.csv", "mimeType": "text/csv", "buffer": b"title,kind,builds\nA,webinar,1\n"}
    )
    page.get_by_test_id("import").click()
    expect(page.get_by_test_id("errors")).to_be_visible()


PAGES = {
    "dialogue": open_dialogue,
    "my plan": open_my_plan,
    "catalogue": open_catalogue,
    "catalogue form": open_catalogue_form,
    "catalogue import": open_catalogue_import,
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_new_page_has_no_accessibility_violations(page, tool_url, dev_team, name, lang):
    PAGES[name](page, tool_url, dev_team, lang)

    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page)
