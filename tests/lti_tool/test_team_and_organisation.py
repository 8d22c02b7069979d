"""Who is who on the web: organisation admins import HR's list and hand out roles, managers see
their team, and nobody sees past their team or their organisation."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from competence.staff_list import staff_list_from_csv
from lti import claims as c
from storage import Employee, Grant, HrImport, Organisation, RoleProfile, SharedInstrument
from storage.hr_import import apply_staff_list
from storage.staff_import import MassEndingRefused, import_staff_list
from tests.support.assessing import answer_all, start, submit
from tests.support.browsing import form_fields, text_of

ADMINISTRATOR = [
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
]
LEARNER = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
STAFF = (
    "employee_id;email;name;manager_employee_id;unit_code;unit_name;role\n"
    "1;asa@kommun.se;Åsa Direktör;;KOM;Kommunen;Direktör\n"
    "2;eva@kommun.se;Eva Enhetschef;1;OMS;Omsorg;Enhetschef\n"
    "3;per@kommun.se;Per Personal;2;OMS;Omsorg;Undersköterska\n"
    "4;olle@kommun.se;Olle Annan;1;IT;IT-enheten;IT-chef\n"
    "5;stina@kommun.se;Stina Systemare;4;IT;IT-enheten;Systemförvaltare\n"
)
PAGES = ["/organisation/", "/organisation/staff", "/organisation/imports"]
PAGES += ["/organisation/grants", "/organisation/shared-instruments"]


@pytest.fixture
def staff(platform, database):
    """HR's staff list of the test platform's organisation, imported."""
    with database.transaction() as session:
        organisation_id = session.scalar(
            select(Organisation.id).where(Organisation.slug == "test-org")
        )
        apply_staff_list(session, organisation_id, staff_list_from_csv(STAFF))
        ids = dict(session.execute(select(Employee.employee_number, Employee.id)).all())
    return ids


def launch(platform, browser, number: str, roles=LEARNER, **claims):
    response = platform.launch(
        browser,
        sub=f"user-{number}",
        email=None,
        name=f"Person {number}",
        **{c.ROLES: roles, c.LIS: {"person_sourcedid": number}, **claims},
    )
    assert response.status_code == 200, response.text
    return response


def test_a_manager_sees_their_whole_team_and_nobody_else(platform, browser, tool_url, staff):
    overview = launch(platform, browser, "1")
    assert 'data-testid="team-link"' in overview.text

    team = browser.get(tool_url + "/team")

    assert team.status_code == 200
    assert re.findall(r'data-employee="(\d+)"', team.text) == ["2", "4", "3", "5"]


def test_a_middle_manager_sees_only_their_part(platform, browser, tool_url, staff):
    launch(platform, browser, "2")

    team = browser.get(tool_url + "/team")
    assert re.findall(r'data-employee="(\d+)"', team.text) == ["3"]
    assert "Omsorg" in text_of(team.text) and "Undersköterska" in team.text
    assert browser.get(tool_url + f"/team/{staff['3']}").status_code == 200
    assert browser.get(tool_url + f"/team/{staff['5']}").status_code == 404
    assert browser.get(tool_url + f"/team/{staff['1']}").status_code == 404
    assert browser.get(tool_url + "/team/999999").status_code == 404


def test_an_employee_is_refused_team_and_organisation_pages(platform, browser, tool_url, staff):
    overview = launch(platform, browser, "3")
    assert 'data-testid="team-link"' not in overview.text
    assert 'data-testid="organisation-link"' not in overview.text

    assert browser.get(tool_url + "/team").status_code == 403
    assert browser.get(tool_url + f"/team/{staff['3']}").status_code == 403
    for path in PAGES:
        assert browser.get(tool_url + path).status_code == 403, path
    fields = form_fields(browser.get(tool_url + "/").text)
    posted = browser.post(tool_url + "/organisation/shared-instruments", data=fields)
    assert posted.status_code == 403


def test_without_a_launch_every_page_asks_for_one(browser, tool_url, app):
    for path in [*PAGES, "/team", "/team/1"]:
        assert browser.get(tool_url + path).status_code == 401, path


def test_the_manager_sees_shared_results_against_the_role_profile(
    platform, browser, other_browser, tool_url, staff, db
):
    organisation_id = db.scalar(select(Organisation.id).where(Organisation.slug == "test-org"))
    db.add(SharedInstrument(organisation_id=organisation_id, instrument_key="digcomp-2.2-short"))
    db.add(
        RoleProfile(
            organisation_id=organisation_id,
            framework_key="digcomp-2.2",
            key="usk",
            name={"sv": "Undersköterska", "en": "Assistant nurse"},
            targets={"1.1": 5, "2.1": 4},
        )
    )
    db.commit()
    custom = {"instrument": "digcomp-2.2-short", "share_with_manager": "yes"}
    link = {"id": "shared", "title": "Självskattning"}  # not the manager's link "1"
    launch(platform, other_browser, "3", **{CUSTOM: custom, c.RESOURCE_LINK: link})
    submit(other_browser, answer_all(other_browser, start(other_browser, tool_url), lambda o: o[0]))
    launch(platform, browser, "2")

    team = browser.get(tool_url + "/team")
    assert 'data-instrument="digcomp-2.2-short" data-state="finished"' in team.text
    person = browser.get(tool_url + f"/team/{staff['3']}")

    assert person.status_code == 200
    assert "<svg" in person.text and 'data-testid="result"' in person.text
    assert "Undersköterska" in person.text and "team-radar-1" in person.text
    assert f"/plans/{staff['3']}" in person.text

    db.execute(SharedInstrument.__table__.delete())
    db.commit()
    hidden = browser.get(tool_url + f"/team/{staff['3']}")
    assert "<svg" not in hidden.text and 'data-testid="no-results"' in hidden.text


def test_an_organisation_admin_uploads_previews_and_confirms(platform, browser, tool_url, db):
    launch(platform, browser, "9", roles=ADMINISTRATOR)
    form = browser.get(tool_url + "/organisation/staff")

    preview = browser.post(
        tool_url + "/organisation/staff",
        data=form_fields(form.text),
        files={"staff_list": ("personal.csv", ("\ufeff" + STAFF).encode(), "text/csv")},
    )

    assert preview.status_code == 200, preview.text
    assert '<dd data-kind="created">5</dd>' in preview.text
    assert db.scalar(select(Employee.id)) is None
    action = re.search(r'action="([^"]+/apply[^"]*)"', preview.text).group(1)
    done = browser.post(tool_url + action.replace("&amp;", "&"), data=form_fields(preview.text))
    assert done.status_code == 200 and 'data-status="done"' in done.text
    assert len(db.scalars(select(Employee)).all()) == 5
    again = browser.post(tool_url + action.replace("&amp;", "&"), data=form_fields(preview.text))
    assert again.status_code == 404


def test_a_bad_upload_lists_every_line_and_changes_nothing(platform, browser, tool_url, db):
    launch(platform, browser, "9", roles=ADMINISTRATOR)
    form = browser.get(tool_url + "/organisation/staff")
    bad = STAFF + "6;fel-adress;Bo;;;;\n6;b@k.se;Bo igen;77;;;\n"

    refused = browser.post(
        tool_url + "/organisation/staff",
        data=form_fields(form.text),
        files={"staff_list": ("personal.csv", bad.encode(), "text/csv")},
    )

    assert refused.status_code == 422
    assert re.findall(r'data-line="(\d+)"', refused.text) == ["7", "8", "8"]
    assert db.scalar(select(Employee.id)) is None
    assert "line 7: email 'fel-adress' is not an e-mail address" in text_of(refused.text).lower()
    history = browser.get(tool_url + "/organisation/imports?lang=sv")
    assert 'data-status="rejected"' in history.text
    assert "Rad 7: 'fel-adress' är ingen e-postadress" in text_of(history.text)


def test_an_admin_grants_and_revokes_roles_within_their_organisation(
    platform, platform_b, browser, other_browser, tool_url, db, staff
):
    launch(platform, other_browser, "3")  # Per has opened the tool once
    launch(platform, browser, "9", roles=ADMINISTRATOR)

    found = browser.get(tool_url + "/organisation/grants", params={"q": "person 3"})
    person_id = re.search(r'data-person="(\d+)"', found.text).group(1)
    fields = form_fields(found.text)
    granted = browser.post(
        tool_url + "/organisation/grants",
        data={**fields, "person_id": person_id, "role": "programme_lead"},
    )
    assert granted.status_code == 200 and "data-grant=" in granted.text
    assert db.scalar(select(Grant.role)) == "programme_lead"

    launch(platform_b, other_browser, "x", roles=ADMINISTRATOR)
    other_fields = form_fields(
        other_browser.get(tool_url + "/organisation/shared-instruments").text
    )
    assert "Person 3" not in other_browser.get(tool_url + "/organisation/grants?q=person").text
    stolen = other_browser.post(
        tool_url + "/organisation/grants",
        data={**other_fields, "person_id": person_id, "role": "organisation_admin"},
    )
    assert stolen.status_code == 404
    grant_id = db.scalar(select(Grant.id))
    revoked_elsewhere = other_browser.post(
        tool_url + f"/organisation/grants/{grant_id}/revoke", data=other_fields
    )
    assert revoked_elsewhere.status_code == 404
    assert other_browser.get(tool_url + f"/team/{staff['3']}").status_code == 403
    assert "data-status" not in other_browser.get(tool_url + "/organisation/imports").text

    revoked = browser.post(tool_url + f"/organisation/grants/{grant_id}/revoke", data=fields)
    assert revoked.status_code == 200 and db.scalar(select(Grant.id)) is None


def test_a_granted_organisation_admin_chooses_what_managers_see(
    platform, browser, tool_url, db, staff
):
    launch(platform, browser, "4")
    person_id = db.scalar(select(Employee.person_id).where(Employee.employee_number == "4"))
    organisation_id = db.scalar(select(Organisation.id).where(Organisation.slug == "test-org"))
    db.add(Grant(organisation_id=organisation_id, person_id=person_id, role="organisation_admin"))
    db.commit()

    page = browser.get(tool_url + "/organisation/shared-instruments")
    assert page.status_code == 200
    saved = browser.post(
        tool_url + "/organisation/shared-instruments",
        data={**form_fields(page.text), "instrument": ["digcomp-2.2-short"]},
    )
    assert saved.status_code == 200
    assert db.scalars(select(SharedInstrument.instrument_key)).all() == ["digcomp-2.2-short"]
    unknown = browser.post(
        tool_url + "/organisation/shared-instruments",
        data={**form_fields(page.text), "instrument": ["not-an-instrument"]},
    )
    assert unknown.status_code == 400
    assert db.scalar(select(HrImport.id)) is None


def test_a_staff_list_larger_than_a_launch_can_be_uploaded(platform, browser, tool_url, db):
    launch(platform, browser, "9", roles=ADMINISTRATOR)
    form = browser.get(tool_url + "/organisation/staff")
    rows = "".join(
        f"{n};p{n}@kommun.se;Person med ett långt namn {n};;U1;Enhet;Roll\n" for n in range(3000)
    )

    preview = browser.post(
        tool_url + "/organisation/staff",
        data=form_fields(form.text),
        files={
            "staff_list": ("stor.csv", (STAFF.splitlines()[0] + "\n" + rows).encode(), "text/csv")
        },
    )

    assert preview.status_code == 200, preview.status_code
    assert '<dd data-kind="created">3000</dd>' in preview.text
    assert "the first 200 of 3000" in text_of(preview.text)


def test_a_list_ending_most_employments_shows_a_warning_and_needs_the_named_confirmation(
    platform, browser, tool_url, db, staff
):
    launch(platform, browser, "9", roles=ADMINISTRATOR)
    form = browser.get(tool_url + "/organisation/staff?lang=sv")
    only_two = "\n".join(STAFF.splitlines()[:3]) + "\n"  # 3 of the 5 are missing

    preview = browser.post(
        tool_url + "/organisation/staff?lang=sv",
        data=form_fields(form.text),
        files={"staff_list": ("halv.csv", only_two.encode(), "text/csv")},
    )

    assert preview.status_code == 200, preview.text
    warning = re.search(r'<section class="notice warning".*?</section>', preview.text, re.S)
    assert warning is not None
    assert "Varning: listan avslutar 3 av 5 anställningar (60 %)" in text_of(warning.group(0))
    assert 'value="3" id="confirm_ending" required' in preview.text
    assert "Ja, avsluta 3 anställningar (60 %)" in text_of(preview.text)
    action = re.search(r'action="([^"]+/apply[^"]*)"', preview.text).group(1)

    unconfirmed = browser.post(tool_url + action + "?lang=sv", data=form_fields(preview.text))

    assert unconfirmed.status_code == 409
    assert 'data-testid="not-confirmed"' in unconfirmed.text
    db.expire_all()
    assert len(db.scalars(select(Employee).where(Employee.active.is_(True))).all()) == 5

    wrong_number = browser.post(
        tool_url + action, data={**form_fields(preview.text), "confirm_ending": "2"}
    )
    assert wrong_number.status_code == 409
    db.expire_all()
    assert len(db.scalars(select(Employee).where(Employee.active.is_(True))).all()) == 5

    confirmed = browser.post(
        tool_url + action, data={**form_fields(preview.text), "confirm_ending": "3"}
    )

    assert confirmed.status_code == 200 and 'data-status="done"' in confirmed.text
    db.expire_all()
    assert len(db.scalars(select(Employee).where(Employee.active.is_(True))).all()) == 2


def test_a_list_ending_nobody_is_imported_without_a_warning(platform, browser, tool_url, db, staff):
    launch(platform, browser, "9", roles=ADMINISTRATOR)
    form = browser.get(tool_url + "/organisation/staff")

    preview = browser.post(
        tool_url + "/organisation/staff",
        data=form_fields(form.text),
        files={"staff_list": ("alla.csv", STAFF.encode(), "text/csv")},
    )

    assert preview.status_code == 200
    assert 'data-testid="mass-ending"' not in preview.text
    assert 'name="confirm_ending"' not in preview.text


def test_the_import_history_says_why_a_list_was_stopped_with_the_numbers(
    platform, browser, tool_url, db, database, staff
):
    organisation_id = db.scalar(select(Organisation.id).where(Organisation.slug == "test-org"))
    with pytest.raises(MassEndingRefused):
        import_staff_list(database, organisation_id, "tom.csv", b"employee_id;name\n")
    launch(platform, browser, "9", roles=ADMINISTRATOR)

    history = browser.get(tool_url + "/organisation/imports?lang=sv")

    row = re.search(r'<tr data-status="rejected">.*?</tr>', history.text, re.S).group(0)
    assert "Stoppad: den skulle avsluta för många anställningar" in text_of(row)
    assert "listan skulle avsluta 5 av 5 nuvarande anställningar (100 %)" in text_of(row)
