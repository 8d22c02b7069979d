"""The team and organisation pages pass axe-core in Swedish and English, with real content:
a manager whose employee has a shared result, an admin with an import history and grants."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from competence.staff_list import problem, staff_list_from_csv
from storage import Employee, Grant, Person, RoleProfile, SharedInstrument
from storage.hr_import import apply_staff_list, record_import
from tests.lti_tool.test_accessibility import LANGUAGES, heading
from tests.support.accessibility import assert_accessible
from tests.support.assessing import answer_all, start, submit
from tests.support.browsing import dev_launch

STAFF = (
    "employee_id;email;name;manager_employee_id;unit_code;unit_name;role;gender\n"
    "MARIA1004;maria@example.invalid;Maria Nilsson;;KOM;Kommunen;HR-chef;kvinna\n"
    "KARIN1003;karin@example.invalid;Karin Lund;MARIA1004;OMS;Omsorg;Enhetschef;kvinna\n"
    "ANNA1001;anna@example.invalid;Anna Andersson;KARIN1003;OMS;Omsorg;Undersköterska;kvinna\n"
    "BO2001;bo@example.invalid;Bo Berg;KARIN1003;OMS;Omsorg;Undersköterska;man\n"
)


@pytest.fixture
def organisation_with_staff(browser, tool_url, database):
    """Anna has submitted the short assessment; HR's list says Karin manages her."""
    dev_launch(browser, tool_url, "learner")
    submit(browser, answer_all(browser, start(browser, tool_url), lambda options: options[-1]))
    with database.transaction() as session:
        anna = session.scalar(select(Person).where(Person.person_sourcedid == "ANNA1001"))
        organisation_id = anna.organisation_id
        apply_staff_list(session, organisation_id, staff_list_from_csv(STAFF))
        session.add(
            SharedInstrument(organisation_id=organisation_id, instrument_key="digcomp-2.2-short")
        )
        session.add(
            RoleProfile(
                organisation_id=organisation_id,
                framework_key="digcomp-2.2",
                key="undersköterska",
                name={"sv": "Undersköterska", "en": "Assistant nurse"},
                targets={"1.1": 4, "2.1": 3, "5.3": 5},
            )
        )
        session.add(
            Grant(organisation_id=organisation_id, person_id=anna.id, role="programme_lead")
        )
        record_import(
            session,
            organisation_id,
            source="csv",
            name="personal.csv",
            rows=0,
            errors=[problem(3, "unknown_manager", value="9")],
        )
        return session.scalar(select(Employee.id).where(Employee.employee_number == "ANNA1001"))


def open_as(page, tool_url, person: str, path: str, lang: str):
    page.goto(f"{tool_url}/dev-platform/{LANGUAGES[lang]}")
    page.get_by_test_id(f"launch-{person}").click()
    page.wait_for_url(f"{tool_url}/")
    page.goto(f"{tool_url}{path}{'&' if '?' in path else '?'}lang={lang}")


TEAM_PAGES = {
    "team": ("manager", "/team", {"sv": "Din grupp", "en": "Your team"}),
    "team member": ("manager", "/team/{anna}", {"sv": "Anna Andersson", "en": "Anna Andersson"}),
    "organisation": ("administrator", "/organisation/", None),
    "staff upload": ("administrator", "/organisation/staff", None),
    "import history": ("administrator", "/organisation/imports", None),
    "grants": ("administrator", "/organisation/grants?q=anna", None),
    "shared instruments": ("administrator", "/organisation/shared-instruments", None),
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", TEAM_PAGES)
def test_team_and_organisation_pages_are_accessible(
    page, tool_url, organisation_with_staff, name, lang
):
    person, path, title = TEAM_PAGES[name]

    open_as(page, tool_url, person, path.format(anna=organisation_with_staff), lang)

    if title:
        expect(heading(page)).to_have_text(title[lang])
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_role_links_preview_and_refusal_are_accessible(
    page, tool_url, organisation_with_staff, tmp_path, lang
):
    open_as(page, tool_url, "administrator", "/", lang)
    expect(page.get_by_test_id("organisation-link")).to_be_visible()
    assert_accessible(page)

    page.get_by_test_id("organisation-link").click()
    page.goto(f"{tool_url}/organisation/staff?lang={lang}")
    bad = tmp_path / "fel.csv"
    bad.write_text(STAFF + "X1;inte-en-adress;X;;;;;\n", encoding="utf-8")
    page.locator("#staff_list").set_input_files(str(bad))
    page.get_by_test_id("preview").click()
    expect(page.get_by_test_id("rejected")).to_be_visible()
    assert_accessible(page)

    good = tmp_path / "personal.csv"
    good.write_text(STAFF.replace("Bo Berg", "Bo Bergström"), encoding="utf-8")
    page.locator("#staff_list").set_input_files(str(good))
    page.get_by_test_id("preview").click()
    expect(page.get_by_test_id("confirm")).to_be_visible()
    assert_accessible(page)
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("imports")).to_be_visible()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_list_ending_most_of_the_organisation_is_warned_and_confirmed_by_name(
    page, tool_url, organisation_with_staff, tmp_path, lang
):
    open_as(page, tool_url, "administrator", "/organisation/staff", lang)
    half = tmp_path / "halv.csv"
    half.write_text("\n".join(STAFF.splitlines()[:2]) + "\n", encoding="utf-8")
    page.locator("#staff_list").set_input_files(str(half))
    page.get_by_test_id("preview").click()

    warning = page.get_by_test_id("mass-ending")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(
        {"sv": "avslutar 3 av 4 anställningar (75 %)", "en": "ends 3 of 4 employments (75 %)"}[lang]
    )
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(tmp_path / f"mass-ending-{lang}-{width}.png"), full_page=True)
        assert_accessible(page)
    confirm = page.get_by_label(
        {"sv": "Ja, avsluta 3 anställningar (75 %)", "en": "Yes, end 3 employments (75 %)"}[lang]
    )
    expect(confirm).not_to_be_checked()
    confirm.check()
    page.get_by_test_id("confirm").click()

    expect(page.get_by_test_id("imports")).to_be_visible()
    expect(page.locator('[data-status="done"]').first).to_be_visible()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_catalogue_import_page_with_a_refused_file_and_a_trial_run_is_accessible(
    page, tool_url, organisation_with_staff, tmp_path, lang
):
    open_as(page, tool_url, "administrator", "/catalogue/import", lang)
    expect(page.get_by_test_id("matching-rule")).to_be_visible()
    shifted = tmp_path / "katalog.csv"
    shifted.write_text(
        "title;kind;url;language;duration_minutes;framework;builds;roles;description\n"
        "Digitala verktyg;course;;sv;60;;2.1:1-3; 2.2:1-3;;\n",
        encoding="utf-8",
    )
    page.locator("#file").set_input_files(str(shifted))
    page.get_by_test_id("import").click()
    expect(page.get_by_test_id("nothing-imported")).to_be_visible()
    expect(page.locator("body")).to_contain_text(
        {"sv": "Rad 2: 10 kolumner, rubrikraden har 9", "en": "Line 2: 10 columns"}[lang]
    )
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(tmp_path / f"catalogue-{lang}-{width}.png"), full_page=True)
        assert_accessible(page)

    shifted.write_text(
        "title;kind;url;language;duration_minutes;framework;builds;roles;description\n"
        'Digitala verktyg;course;;sv;60;;"2.1:1-3; 2.2:1-3";;\n',
        encoding="utf-8",
    )
    page.locator("#file").set_input_files(str(shifted))
    page.locator("#dry_run").check()
    page.get_by_test_id("import").click()
    expect(page.get_by_test_id("preview-counts")).to_be_visible()
    assert_accessible(page)
