"""An organisation admin gives a role to someone on HR's staff list who has never opened
the tool; the role applies the first time that person opens it (matched as the staff
import matches people: Moodle's idnumber = employee number, else e-mail)."""

from __future__ import annotations

import re

import requests
from sqlalchemy import select

from storage import Employee, Grant
from tests.lti_tool.test_team_and_organisation import ADMINISTRATOR, launch, staff  # noqa: F401
from tests.support.browsing import form_fields, text_of


def test_a_role_given_before_the_first_launch_applies_when_the_person_opens_the_tool(
    platform,
    platform_b,
    browser,
    other_browser,
    tool_url,
    db,
    staff,  # noqa: F811
):
    launch(platform, browser, "9", roles=ADMINISTRATOR)
    found = browser.get(tool_url + "/organisation/grants", params={"q": "stina", "lang": "en"})
    assert 'data-person="' not in found.text  # Stina has never opened the tool
    employee_id = re.search(r'data-employee="(\d+)"', found.text).group(1)
    assert "Stina Systemare (stina@kommun.se) On HR's staff list" in text_of(found.text)
    by_number = browser.get(tool_url + "/organisation/grants", params={"q": "5"})
    assert f'data-employee="{employee_id}"' in by_number.text

    granted = browser.post(
        tool_url + "/organisation/grants?lang=en",
        data={**form_fields(found.text), "employee_id": employee_id, "role": "programme_lead"},
    )

    assert granted.status_code == 200
    text = text_of(granted.text)
    assert "Stina Systemare is now programme lead (HR)." in text
    assert "Has not opened the tool yet. The role applies from the first time" in text
    # Another organisation's admin can neither give nor see it.
    launch(platform_b, other_browser, "x", roles=ADMINISTRATOR)
    stolen = other_browser.post(
        tool_url + "/organisation/grants",
        data={
            **form_fields(other_browser.get(tool_url + "/organisation/shared-instruments").text),
            "employee_id": employee_id,
            "role": "organisation_admin",
        },
    )
    assert stolen.status_code == 404
    assert db.scalars(select(Grant.role)).all() == ["programme_lead"]

    with requests.Session() as stina:
        launch(platform, stina, "5")  # her first launch, idnumber 5 = employee number
        assert stina.get(tool_url + "/programme").status_code == 200

    with requests.Session() as per:
        launch(platform, per, "3")  # someone without a role still may not
        assert per.get(tool_url + "/programme").status_code == 403
    after = browser.get(tool_url + "/organisation/grants?lang=en")
    assert "Person 5" in text_of(after.text)  # the name her learning platform shares
    assert 'data-testid="waiting"' not in after.text
    linked = db.scalar(select(Employee.person_id).where(Employee.employee_number == "5"))
    assert linked is not None


def test_a_role_given_to_someone_who_has_launched_goes_to_their_person(
    platform,
    browser,
    other_browser,
    tool_url,
    db,
    staff,  # noqa: F811
):
    launch(platform, other_browser, "4")
    launch(platform, browser, "9", roles=ADMINISTRATOR)
    found = browser.get(tool_url + "/organisation/grants", params={"q": "olle"})
    assert "data-employee=" not in found.text  # listed once, as the person who launched
    person_id = re.search(r'data-person="(\d+)"', found.text).group(1)

    browser.post(
        tool_url + "/organisation/grants",
        data={**form_fields(found.text), "person_id": person_id, "role": "organisation_admin"},
    )

    grant = db.scalar(select(Grant))
    assert (grant.person_id, grant.employee_id) == (int(person_id), None)
    assert other_browser.get(tool_url + "/organisation/grants").status_code == 200


def test_a_role_given_before_the_first_launch_can_be_taken_away_before_it_is_used(
    platform,
    browser,
    other_browser,
    tool_url,
    db,
    staff,  # noqa: F811
):
    launch(platform, browser, "9", roles=ADMINISTRATOR)
    found = browser.get(tool_url + "/organisation/grants", params={"q": "Eva"})
    employee_id = re.search(r'data-employee="(\d+)"', found.text).group(1)
    fields = form_fields(found.text)
    browser.post(
        tool_url + "/organisation/grants",
        data={**fields, "employee_id": employee_id, "role": "organisation_admin"},
    )
    grant_id = db.scalar(select(Grant.id))

    revoked = browser.post(
        tool_url + f"/organisation/grants/{grant_id}/revoke?lang=en", data=fields
    )

    assert "Eva Enhetschef is no longer organisation admin." in text_of(revoked.text)
    assert db.scalar(select(Grant.id)) is None
    launch(platform, other_browser, "2")  # Eva opens the tool: no role
    assert other_browser.get(tool_url + "/organisation/").status_code == 403
