"""What an activity promises about sharing with the manager is kept, and everyone is told.

"Dela resultaten med deltagarens chef? Nej" on an activity means the manager never sees
that result, whatever the organisation shares; the employee is told who sees the result
before the first question and beside it; in the development dialogue each side is told
which result its current levels come from.
"""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from competence.staff_list import staff_list_from_csv
from lti import claims as c
from storage import Attempt, Organisation, ResourceLink, SharedInstrument
from storage.hr_import import apply_staff_list
from tests.support.assessing import answer, answer_all, start, submit
from tests.support.browsing import text_of

LEARNER = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
SHORT = "digcomp-2.2-short"
STAFF = (
    "employee_id;email;name;manager_employee_id;unit_code;unit_name;role\n"
    "2;eva@kommun.se;Eva Enhetschef;;OMS;Omsorg;Enhetschef\n"
    "3;per@kommun.se;Per Personal;2;OMS;Omsorg;Undersköterska\n"
)
SWEDISH_DATE = r"\d{1,2} (?:januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december) \d{4}"  # noqa: E501
# Two results of the same day are told apart by the time (Swedish local time).
SAME_DAY = rf"{SWEDISH_DATE} kl\. \d\d:\d\d"


@pytest.fixture
def staff(platform, database):
    with database.transaction() as session:
        organisation_id = session.scalar(
            select(Organisation.id).where(Organisation.slug == "test-org")
        )
        apply_staff_list(session, organisation_id, staff_list_from_csv(STAFF))
        session.add(SharedInstrument(organisation_id=organisation_id, instrument_key=SHORT))
        from storage import Employee

        ids = dict(session.execute(select(Employee.employee_number, Employee.id)).all())
    return ids


def launch(platform, browser, number: str, link: str | None = None, share: str | None = None):
    custom = {"instrument": SHORT}
    if share is not None:
        custom["share_with_manager"] = share
    claims = {c.ROLES: LEARNER, c.LIS: {"person_sourcedid": number}, c.CUSTOM: custom}
    if link is not None:
        claims[c.RESOURCE_LINK] = {"id": link, "title": f"Kartläggning {link}"}
    response = platform.launch(browser, sub=f"user-{number}", email=None, **claims)
    assert response.status_code == 200, response.text
    return response


def answer_at(platform, browser, tool_url, link: str, share: str | None, choose=lambda o: o[1]):
    """Per answers the short assessment at the activity `link` and submits it."""
    launch(platform, browser, "3", link, share)
    return submit(browser, answer_all(browser, start(browser, tool_url), choose))


def manager_page(platform, tool_url, path: str) -> requests.Response:
    browser = requests.Session()
    launch(platform, browser, "2")
    page = browser.get(tool_url + path)
    assert page.status_code == 200, page.text
    return page


# --- finding 10: "share with the manager? no" is kept -----------------------------------


def test_a_manager_does_not_see_a_result_whose_activity_says_no(platform, browser, tool_url, staff):
    answer_at(platform, browser, tool_url, "kept", "no")

    page = manager_page(platform, tool_url, f"/team/{staff['3']}?lang=en")

    assert 'data-testid="result"' not in page.text and "<svg" not in page.text
    assert "Per Personal has done an assessment, but the result is not shared with you." in (
        text_of(page.text)
    )


def test_an_activity_that_does_not_say_shares_nothing_with_the_manager(
    platform, browser, tool_url, staff
):
    # Its settings page shows "no": the manager's page keeps to what the teacher sees.
    answer_at(platform, browser, tool_url, "unsaid", None)

    page = manager_page(platform, tool_url, f"/team/{staff['3']}")

    assert 'data-testid="result"' not in page.text and 'data-testid="not-shared"' in page.text


def test_a_result_whose_activity_says_yes_shows_while_the_organisation_allows_it(
    platform, browser, tool_url, staff, db
):
    answer_at(platform, browser, tool_url, "kept", "no")
    answer_at(platform, browser, tool_url, "shared", "yes")

    page = manager_page(platform, tool_url, f"/team/{staff['3']}?lang=en")

    assert page.text.count('data-testid="result"') == 1
    assert "You see only the results Per Personal has shared with you." in text_of(page.text)
    db.execute(SharedInstrument.__table__.delete())
    db.commit()
    narrowed = manager_page(platform, tool_url, f"/team/{staff['3']}")
    assert 'data-testid="result"' not in narrowed.text


def test_an_activity_changed_to_yes_later_does_not_open_results_given_under_no(
    platform, browser, tool_url, staff, db
):
    answer_at(platform, browser, tool_url, "changed", "no")
    link = db.scalar(select(ResourceLink).where(ResourceLink.lti_resource_link_id == "changed"))
    link.settings = {"share_with_manager": True}  # the teacher's new choice in the tool
    db.commit()

    page = manager_page(platform, tool_url, f"/team/{staff['3']}")

    assert 'data-testid="result"' not in page.text
    # ... and one changed to no hides what was given under yes.
    answer_at(platform, browser, tool_url, "changed", None)  # a new attempt, under yes
    assert 'data-testid="result"' in manager_page(platform, tool_url, f"/team/{staff['3']}").text
    link.settings = {"share_with_manager": False}
    db.commit()
    assert 'data-testid="result"' not in (
        manager_page(platform, tool_url, f"/team/{staff['3']}").text
    )


def test_the_attempt_keeps_what_the_activity_said_when_it_started(
    platform, browser, tool_url, staff, db
):
    answer_at(platform, browser, tool_url, "yes", "yes")
    answer_at(platform, browser, tool_url, "no", "no")

    kept = dict(
        db.execute(
            select(ResourceLink.lti_resource_link_id, Attempt.shared_with_manager).join(
                Attempt, Attempt.resource_link_id == ResourceLink.id
            )
        ).all()
    )

    assert kept == {"yes": True, "no": False}


# --- finding 11: the employee is told --------------------------------------------------


def _who_sees(page: requests.Response) -> str:
    found = re.search(r'data-testid="who-sees-manager" data-manager="(yes|no)"', page.text)
    assert found, "the page does not say whether the manager sees the result"
    return found.group(1)


def test_before_the_first_question_the_employee_is_told_who_sees_the_result(
    platform, browser, tool_url, staff, db
):
    launch(platform, browser, "3", "kept", "no")
    overview = browser.get(tool_url + "/?lang=sv")
    text = text_of(overview.text)

    assert _who_sees(overview) == "no"
    assert "Vem ser dina resultat?" in text and "Din chef: nej." in text
    assert "bara siffror för grupper med minst 5 personer" in text
    assert 'href="/privacy"' in overview.text or "/privacy" in overview.text

    launch(platform, browser, "3", "shared", "yes")
    shared = browser.get(tool_url + "/?lang=en")
    assert _who_sees(shared) == "yes" and "Your manager: yes." in text_of(shared.text)

    db.execute(SharedInstrument.__table__.delete())
    db.commit()
    narrowed = browser.get(tool_url + "/?lang=en")
    assert _who_sees(narrowed) == "no"
    assert "Your manager: no, not now." in text_of(narrowed.text)


def test_the_results_page_says_who_sees_this_result(platform, browser, tool_url, staff):
    kept = answer_at(platform, browser, tool_url, "kept", "no")
    shared = answer_at(platform, browser, tool_url, "shared", "yes")

    assert _who_sees(kept) == "no" and _who_sees(shared) == "yes"
    assert "Läs mer om hur dina uppgifter hanteras" in text_of(
        browser.get(shared.url + "?lang=sv").text
    )


def test_the_privacy_page_is_plain_and_readable_without_a_launch(tool_url, app):
    for language, heading in (("sv", "Så hanteras dina uppgifter"), ("en", "How your")):
        page = requests.get(f"{tool_url}/privacy?lang={language}")
        assert page.status_code == 200
        assert heading in text_of(page.text)
        # The browser tab names the page in plain words, with no markup in it.
        title = re.search(r"<title>(.*?)</title>", page.text, re.S).group(1)
        assert title.startswith(heading) and "<" not in title and "&lt;" not in title


# --- finding 12: which result each side's levels come from -----------------------------


def test_the_dialogue_says_which_result_the_levels_come_from_on_each_side(
    platform, browser, tool_url, staff
):
    answer_at(platform, browser, tool_url, "shared", "yes", choose=lambda o: o[1])
    answer_at(platform, browser, tool_url, "kept", "no", choose=lambda o: o[2])

    own = text_of(browser.get(f"{tool_url}/plans/{staff['3']}?lang=sv").text)
    managers = text_of(manager_page(platform, tool_url, f"/plans/{staff['3']}?lang=sv").text)

    instrument = "Digital kompetens – kort självskattning"
    assert re.search(
        rf"Dina nuvarande nivåer nedan kommer från ditt senaste resultat: {instrument}, "
        rf"inlämnad {SAME_DAY}\.",
        own,
    )
    assert "Din chef ser bara resultat som delas med chefer." in own
    assert re.search(
        rf"Din chef ser nivåerna från ett tidigare resultat: {instrument}, inlämnad {SAME_DAY}\.",
        own,
    )
    assert re.search(
        rf"nivåerna nedan kommer från {instrument}, inlämnad {SWEDISH_DATE}\.", managers
    )
    assert re.search(rf"Nuvarande nivå från {instrument}, {SWEDISH_DATE}", managers)
    assert "Du ser bara de resultat som Per Personal har delat med chefer." in managers


# --- a submission with nothing assessed (issue 16, finding 3) ----------------------------


def test_an_empty_retake_neither_finishes_nor_hides_the_result_before_it(
    platform, browser, tool_url, staff
):
    """Per finished the assessment, then pressed "Submit anyway" on a retake with nothing
    answered: his manager still sees "Finished" on the team page, and both of them still
    see his levels in the dialogue, not an empty column."""
    answer_at(platform, browser, tool_url, "shared", "yes", choose=lambda o: o[1])
    before = text_of(browser.get(f"{tool_url}/plans/{staff['3']}?lang=en").text)
    levels = before.count("1 – Foundation")
    assert levels >= 21

    launch(platform, browser, "3", "shared", "yes")
    page = start(browser, tool_url)
    while "/items/" in page.url:  # "Save and continue" without choosing, to the end
        page = answer(browser, page, None)
    submit(browser, page)

    own = text_of(browser.get(f"{tool_url}/plans/{staff['3']}?lang=en").text)
    assert own.count("1 – Foundation") == levels
    managers = text_of(manager_page(platform, tool_url, f"/plans/{staff['3']}?lang=en").text)
    assert managers.count("1 – Foundation") == levels
    team = text_of(manager_page(platform, tool_url, "/team?lang=en").text)
    assert re.search(r"Per Personal\W.*?Finished", team, re.S), team
