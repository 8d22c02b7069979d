"""The pages an administrator and programme lead use, as changed for issue 19, pass axe-core
in Swedish and English at 1280 px and at 375 px (a phone) and do not scroll sideways on
the phone: roles for people who have not opened the tool, the audit log with repeats
folded, job runs in words, the participants page without a participant list, and the
yearly survey among the activity's choices.  KOMPETENSLYFT_SCREENSHOTS=<folder> keeps a
picture of each."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from storage import Person, utcnow
from storage.audit import VIEW_RESULTS, AuditEvent
from storage.jobs import JobLease, JobRun
from tests.lti_tool.test_accessibility import LANGUAGES
from tests.lti_tool.test_team_accessibility import open_as, organisation_with_staff  # noqa: F401
from tests.support.accessibility import assert_accessible

SHOTS = os.environ.get("KOMPETENSLYFT_SCREENSHOTS")
WIDE_ELEMENTS = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > 375).slice(0, 5)
  .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


def look(page, name: str) -> None:
    """Axe at 1280 px and at 375 px, and no sideways scrolling at 375 px."""
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page)
        if width == 375:
            wide = page.evaluate("() => document.documentElement.scrollWidth")
            assert wide <= 375, f"{page.url} is {wide} px wide at 375 px: " + str(
                page.evaluate(WIDE_ELEMENTS)
            )
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_administrators_changed_pages_are_accessible_on_desktop_and_phone(
    page,
    tool_url,
    organisation_with_staff,  # noqa: F811 (the fixture imported above)
    database,
    lang,
):
    with database.transaction() as session:
        anna = session.scalar(select(Person).where(Person.person_sourcedid == "ANNA1001"))
        now = utcnow()
        for minutes in range(12):
            session.add(
                AuditEvent(
                    organisation_id=anna.organisation_id,
                    actor_person_id=None,
                    subject_person_id=anna.id,
                    action=VIEW_RESULTS,
                    at=now - timedelta(minutes=30 - minutes),
                )
            )

    # Bo is on HR's list and has never opened the tool; Anna has.
    open_as(page, tool_url, "administrator", "/organisation/grants?q=b", lang)
    assert page.locator("[data-employee]").count() >= 1
    look(page, f"grants-search-{lang}")
    page.locator("[data-employee] button").first.click()
    assert page.get_by_test_id("waiting").count() == 1
    look(page, f"grants-waiting-{lang}")

    page.goto(f"{tool_url}/organisation/audit?lang={lang}")
    assert page.locator("[data-times='12']").count() == 1
    look(page, f"audit-{lang}")

    page.goto(f"{tool_url}/organisation/imports?lang={lang}")
    look(page, f"imports-{lang}")

    page.goto(f"{tool_url}/organisation/people/{anna.id}?lang={lang}")
    look(page, f"person-{lang}")

    page.goto(f"{tool_url}/course/participants?lang={lang}")
    assert page.get_by_test_id("no-participant-list").is_visible()
    look(page, f"participants-without-list-{lang}")

    page.goto(f"{tool_url}/activity/settings?lang={lang}")
    assert page.locator("[value='digital-maturity']").count() == 1
    look(page, f"activity-settings-{lang}")

    page.goto(f"{tool_url}/admin/?lang={lang}")
    look(page, f"registrations-{lang}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_jobs_page_in_words_is_accessible_on_desktop_and_phone(
    page, tool_url, database, admin_secret, lang
):
    with database.transaction() as session:
        session.execute(delete(JobRun))
        session.execute(delete(JobLease))
        started = utcnow() - timedelta(minutes=5)
        session.add(
            JobRun(
                job_id="deliveries",
                instance="a",
                started_at=started,
                finished_at=started + timedelta(seconds=3),
                outcome="ok",
                counts={"delivered": 3, "dead": 1, "retried": 0},
            )
        )
        session.add(
            JobRun(
                job_id="hr-poll",
                instance="a",
                started_at=started,
                finished_at=started,
                outcome="ok",
                counts={"sources": 1, "created": 2, "moved": 1},
            )
        )
    page.goto(f"{tool_url}/admin/login?lang={lang}")
    page.fill("#admin_secret", admin_secret)
    page.locator("form button[type=submit]").last.click()
    page.goto(f"{tool_url}/admin/jobs?lang={lang}")

    counts = page.locator("[data-job=deliveries] [data-testid=counts]").inner_text()
    assert counts == {"sv": "3 levererade, 1 misslyckad", "en": "3 delivered, 1 failed"}[lang]
    look(page, f"jobs-{lang}")

    page.goto(f"{tool_url}/admin/?lang={lang}")
    page.fill("#organisation_name", "Umeå kommun")
    page.get_by_test_id("invite").click()
    valid_until = {"sv": "Gäller till", "en": "Valid until"}[lang]
    assert valid_until in page.locator("main").inner_text()
    assert "UTC" not in page.locator("main").inner_text()
    look(page, f"invitation-{lang}")
