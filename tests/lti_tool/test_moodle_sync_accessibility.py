"""The pages issue 17 changed read right and pass axe-core in Swedish and English: a teacher's
start page with the gradebook notice, the deliveries page with a Moodle target that has a
failed delivery (and its framework button), and the jobs page with an abandoned run."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from storage import Delivery, DeliveryStatus, Person
from storage.completions import SyncTarget
from storage.database import utcnow
from storage.jobs import JobLease, JobRun
from tests.lti_tool.test_accessibility import LANGUAGES
from tests.support.accessibility import assert_accessible

SHOTS = os.environ.get("KOMPETENSLYFT_SCREENSHOTS")  # a folder to keep screenshots in


def launch(page, tool_url, person: str, lang: str) -> None:
    page.goto(f"{tool_url}/dev-platform/{LANGUAGES[lang]}")
    page.get_by_test_id(f"launch-{person}").click()
    page.wait_for_url(f"{tool_url}/")


def look(page, name: str) -> None:
    """Axe at 1280 px and at 375 px (a phone); screenshots kept when asked for."""
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page)
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_teachers_start_page_with_the_gradebook_notice(page, tool_url, lang):
    launch(page, tool_url, "teacher", lang)
    page.goto(f"{tool_url}/?lang={lang}")

    assert page.get_by_test_id("grades-notice").is_visible()
    look(page, f"grades-notice-{lang}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_deliveries_page_with_a_moodle_target(page, tool_url, database, lang):
    launch(page, tool_url, "administrator", lang)
    with database.transaction() as session:
        organisation_id = session.scalar(
            select(Person.organisation_id).where(Person.subject == "dev-1004")
        )
        session.execute(delete(SyncTarget).where(SyncTarget.organisation_id == organisation_id))
        target = SyncTarget(
            organisation_id=organisation_id,
            kind="moodle",
            name="Moodle Umeå",
            settings={"url": "https://moodle.umea.example.se"},
            last_success_at=utcnow() - timedelta(minutes=5),
        )
        session.add(target)
        session.flush()
        session.add(
            Delivery(
                target="moodle.competency",
                key=f"{target.id}:a11y",
                payload={"completion_event_id": 0, "sync_target_id": target.id},
                organisation_id=organisation_id,
                status=DeliveryStatus.DEAD,
                last_error="competence 1.2 not in the Moodle framework (20 others rated)",
            )
        )
    page.goto(f"{tool_url}/admin/deliveries?lang={lang}")

    assert page.get_by_test_id("moodle-carries").is_visible()
    look(page, f"deliveries-{lang}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_jobs_page_with_an_abandoned_run(page, tool_url, database, admin_secret, lang):
    with database.transaction() as session:
        session.execute(delete(JobRun))
        session.execute(delete(JobLease))
        session.add(JobRun(job_id="deliveries", instance="killed-1", outcome="running"))
    page.goto(f"{tool_url}/admin/login?lang={lang}")
    page.fill("#admin_secret", admin_secret)
    page.locator("form button[type=submit]").last.click()
    page.goto(f"{tool_url}/admin/jobs?lang={lang}")

    outcome = page.locator("[data-job=deliveries] [data-testid=outcome]")
    assert ("Avbruten" if lang == "sv" else "Abandoned") in outcome.inner_text()
    look(page, f"jobs-{lang}")
