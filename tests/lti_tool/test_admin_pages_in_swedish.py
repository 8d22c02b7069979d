"""What an administrator notices on the admin pages in Swedish: times in Swedish time as
people write them, counts in words with plural forms, repeats in the audit log folded into
one row, and decimal commas in the programme's figures."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from storage import HrImport, Organisation, Person
from storage.audit import EXPORT, VIEW_RESULTS, AuditEvent
from storage.jobs import JobLease, JobRun
from tests.lti_tool.test_admin import ADMINISTRATOR, launch_as, sign_in
from tests.lti_tool.test_programme import seeded, table_rows  # noqa: F401
from tests.support.browsing import text_of
from tests.support.programme import MARIA
from tests.support.programme import launch_as as launch_programme

SUMMER = datetime(2026, 7, 1, 7, 14, tzinfo=UTC)  # 09:14 in Stockholm (UTC+2)
WINTER = datetime(2026, 12, 1, 7, 14, tzinfo=UTC)  # 08:14 in Stockholm (UTC+1)


def test_the_jobs_page_says_in_swedish_words_what_each_run_did_and_when(
    admin_secret, browser, tool_url, db
):
    db.execute(delete(JobRun))
    db.execute(delete(JobLease))
    db.add_all(
        [
            JobRun(
                job_id="deliveries",
                instance="a",
                started_at=SUMMER,
                finished_at=SUMMER + timedelta(seconds=20),
                outcome="ok",
                counts={"delivered": 3, "retried": 0, "dead": 1, "by_target": {"ags.score": 3}},
            ),
            JobRun(
                job_id="hr-poll",
                instance="a",
                started_at=WINTER,
                finished_at=WINTER,
                outcome="ok",
                counts={"sources": 1, "created": 1, "moved": 12, "deactivated": 0},
            ),
            JobRun(
                job_id="retention",
                instance="a",
                started_at=WINTER,
                finished_at=WINTER,
                outcome="ok",
                counts={"answers": 0, "launches": 0},
            ),
        ]
    )
    db.commit()
    sign_in(browser, tool_url)

    page = browser.get(tool_url + "/admin/jobs?lang=sv")

    rows = dict(re.findall(r'<tr data-job="([^"]+)">(.*?)</tr>', page.text, re.S))
    deliveries, hr_poll = text_of(rows["deliveries"]), text_of(rows["hr-poll"])
    assert "1 juli 2026 09:14" in deliveries  # summer: UTC + 2 hours
    assert "3 levererade, 1 misslyckad" in deliveries
    assert "1 dec. 2026 08:14" in hr_poll  # winter: UTC + 1 hour
    assert "1 personallista hämtad, 1 ny medarbetare, 12 medarbetare med ny enhet" in hr_poll
    assert "Inget att göra" in text_of(rows["retention"])
    text = text_of(page.text)
    for key in ("delivered", "dead", "sources", "by_target", "UTC"):
        assert key not in text
    english = text_of(browser.get(tool_url + "/admin/jobs?lang=en").text)
    assert "3 delivered, 1 failed" in english and "Jul 1, 2026 9:14" in english


def test_the_audit_log_shows_repeats_once_with_how_many_times_and_when(
    browser, tool_url, platform, db
):
    launch_as(platform, browser, ADMINISTRATOR)
    organisation = db.scalar(select(Organisation).where(Organisation.slug == "test-org"))
    admin = db.scalar(select(Person).where(Person.organisation_id == organisation.id))
    anna = Person(
        organisation_id=organisation.id, issuer="https://x", subject="anna", name="Anna Ek"
    )
    db.add(anna)
    db.flush()

    def event(action, minutes):
        return AuditEvent(
            organisation_id=organisation.id,
            actor_person_id=admin.id,
            subject_person_id=anna.id,
            action=action,
            at=SUMMER + timedelta(minutes=minutes),
        )

    # Twelve looks at Anna's results 09:14–09:31, an export, then two more looks.
    db.add_all([event(VIEW_RESULTS, minutes) for minutes in [*range(11), 17]])
    db.add(event(EXPORT, 20))
    db.add_all([event(VIEW_RESULTS, 30), event(VIEW_RESULTS, 31)])
    db.commit()

    page = browser.get(tool_url + "/organisation/audit?lang=sv")

    rows = re.findall(
        r'<tr data-action="([^"]+)"(?: data-times="(\d+)")?>(.*?)</tr>', page.text, re.S
    )
    assert [(action, times) for action, times, _ in rows] == [
        (VIEW_RESULTS, "2"),
        (EXPORT, ""),
        (VIEW_RESULTS, "12"),
    ]
    newest, export, oldest = (text_of(cells) for _, _, cells in rows)
    assert "1 juli 2026 09:45" in newest and "(2 gånger, 09:44–09:45)" in newest
    assert "1 juli 2026 09:34" in export
    assert "(12 gånger, 09:14–09:31)" in oldest
    assert "Anna Ek" in oldest
    assert "UTC" not in text_of(page.text)


def test_programme_figures_have_a_decimal_comma_in_swedish(
    seeded,  # noqa: F811
    platform,
    browser,
    tool_url,
):
    launch_programme(platform, browser, MARIA)
    swedish = browser.get(tool_url + "/programme/maturity", params={"period": "2026", "lang": "sv"})
    english = browser.get(tool_url + "/programme/maturity", params={"period": "2026", "lang": "en"})

    def means(page):  # the mean per area and unit; the last row is a share ("51 % (78 av 154)")
        return [cell for row in table_rows(page.text, "maturity-2026")[2:-1] for cell in row[1:]]

    means_sv, means_en = means(swedish), means(english)
    assert means_sv and [c for c in means_sv if not re.fullmatch(r"\d,\d|–", c)] == []
    assert [c for c in means_en if not re.fullmatch(r"\d\.\d|–", c)] == []


def test_the_import_history_says_what_each_import_changed_in_words(browser, tool_url, platform, db):
    launch_as(platform, browser, ADMINISTRATOR)
    organisation = db.scalar(select(Organisation).where(Organisation.slug == "test-org"))
    for started, summary in (
        (SUMMER, {"created": 3, "updated": 0, "moved": 1, "deactivated": 0, "linked": 0}),
        (WINTER, {"created": 0, "updated": 0, "moved": 0, "deactivated": 0, "linked": 0}),
    ):
        db.add(
            HrImport(
                organisation_id=organisation.id,
                source="csv",
                name="personal.csv",
                started_at=started,
                status="done",
                rows=120,
                summary=summary,
            )
        )
    db.commit()

    page = browser.get(tool_url + "/organisation/imports?lang=sv")

    rows = [
        text_of(row) for row in re.findall(r'<tr data-status="done">(.*?)</tr>', page.text, re.S)
    ]
    assert "1 dec. 2026 08:14" in rows[0] and "Inga ändringar" in rows[0]
    assert "1 juli 2026 09:14" in rows[1]
    assert "3 nya medarbetare, 1 medarbetare med ny enhet, chef eller roll" in rows[1]
