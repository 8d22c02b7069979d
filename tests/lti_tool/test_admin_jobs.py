"""The instance owner sees the latest run of each scheduled job and can ask for one to run
now; an organisation's administrator sees their own sync targets' queues and can send now."""

from datetime import timedelta

from sqlalchemy import delete, select

from storage import Delivery, DeliveryStatus, Organisation, SyncTarget
from storage.database import utcnow
from storage.jobs import JobLease, JobRun
from storage.lrs import seal
from tests.lti_tool.test_admin import ADMINISTRATOR, LEARNER, launch_as, sign_in
from tests.support.assessing import csrf
from tests.support.browsing import text_of
from tests.support.moodle_ws import TOKEN, MoodleDouble


def test_the_owner_sees_the_latest_runs_and_runs_a_job_now(admin_secret, browser, tool_url, db):
    db.execute(delete(JobRun))
    db.execute(delete(JobLease))
    started = utcnow() - timedelta(minutes=3)
    db.add_all(
        [
            JobRun(job_id="hr-poll", instance="a", started_at=started, outcome="ok"),
            JobRun(
                job_id="hr-poll",
                instance="a",
                started_at=started + timedelta(minutes=1),
                finished_at=started + timedelta(minutes=2),
                outcome="failed",
                error="HTTP 503 from hr.example.se",
                counts={"imported": 0},
            ),
            JobRun(
                job_id="deliveries",
                instance="a",
                started_at=started,
                finished_at=started,
                outcome="ok",
                counts={"delivered": 12, "dead": 1, "by_target": {"plan.item": 12}},
            ),
            # Its scheduler was killed: no lease of that instance is alive.
            JobRun(job_id="retention", instance="killed", started_at=started, outcome="running"),
        ]
    )
    db.commit()
    sign_in(browser, tool_url)

    page = browser.get(tool_url + "/admin/jobs?lang=en")
    text = text_of(page.text)
    assert "Failed: HTTP 503 from hr.example.se" in text
    assert "12 delivered, 1 failed" in text  # in words, not the stored keys
    assert "dead" not in text
    assert "Abandoned: the scheduler stopped during the run" in text
    assert "Running" not in text
    # xapi-forwarding, nrps-rosters, job-runs-cleanup, hr-records, moodle-, lrs-completions
    assert text.count("Never") == 6
    assert "Send competence records to HR" in text

    done = browser.post(tool_url + "/admin/jobs/hr-poll/run", data={"csrf_token": csrf(page.text)})
    unknown = browser.post(
        tool_url + "/admin/jobs/no-such-job/run", data={"csrf_token": csrf(page.text)}
    )

    assert done.status_code == 200 and "Starting soon" in text_of(done.text)
    assert unknown.status_code == 404
    db.expire_all()
    assert db.get(JobLease, "hr-poll").requested_at is not None


def test_learners_and_organisation_administrators_may_not_see_the_jobs(
    browser, other_browser, tool_url, platform
):
    launch_as(platform, browser, LEARNER)
    launch_as(platform, other_browser, ADMINISTRATOR)

    assert browser.get(tool_url + "/admin/jobs").status_code == 403
    assert other_browser.get(tool_url + "/admin/jobs").status_code == 403


def _target(db, organisation_id: int, name: str, waiting: int, dead: int = 0) -> SyncTarget:
    target = SyncTarget(
        organisation_id=organisation_id,
        kind="hr_rest",
        name=name,
        settings={"url": "https://hr.example.se/api"},
        last_error="HTTP 503 from hr.example.se",
    )
    db.add(target)
    db.flush()
    later = utcnow() + timedelta(hours=1)
    for number in range(waiting + dead):
        db.add(
            Delivery(
                target="hr.rest",
                key=f"{target.id}:{number}",
                payload={"completion_event_id": number, "sync_target_id": target.id},
                organisation_id=organisation_id,
                status=DeliveryStatus.PENDING if number < waiting else DeliveryStatus.DEAD,
                next_attempt_at=later,
            )
        )
    db.commit()
    return target


def test_an_administrator_sees_their_sync_targets_queues_and_sends_now(
    browser, tool_url, platform, platform_b, db
):
    ours = db.scalar(select(Organisation).where(Organisation.slug == "test-org"))
    theirs = db.scalar(select(Organisation).where(Organisation.slug == "kommun-b"))
    target = _target(db, ours.id, "Personec kompetensregister", waiting=3, dead=1)
    other = _target(db, theirs.id, "Visma HR Kommun B", waiting=2)
    launch_as(platform, browser, ADMINISTRATOR)

    page = browser.get(tool_url + "/admin/deliveries?lang=en")
    row = text_of(page.text)
    assert "Personec kompetensregister (HR competence register (web service))" in row
    assert "HTTP 503 from hr.example.se" in row
    assert "Visma HR Kommun B" not in row
    sent = browser.post(
        tool_url + f"/admin/sync-targets/{target.id}/resume?lang=en",
        data={"csrf_token": csrf(page.text)},
    )
    refused = browser.post(
        tool_url + f"/admin/sync-targets/{other.id}/resume",
        data={"csrf_token": csrf(page.text)},
    )

    assert "3 records will be sent within a minute." in text_of(sent.text)
    assert refused.status_code == 404
    db.expire_all()
    due = db.scalars(
        select(Delivery.key).where(
            Delivery.target == "hr.rest", Delivery.next_attempt_at <= utcnow()
        )
    ).all()
    assert sorted(due) == [f"{target.id}:{number}" for number in range(3)]


def test_an_administrator_sees_what_failed_in_moodle_and_creates_the_framework(
    browser, tool_url, platform, db, settings
):
    """Issue 17.4: the Moodle row tells the latest failure's reason even after later ratings
    went through, and its button makes the framework in Moodle (only what is missing)."""
    moodle = MoodleDouble()
    try:
        ours = db.scalar(select(Organisation).where(Organisation.slug == "test-org"))
        target = SyncTarget(
            organisation_id=ours.id,
            kind="moodle",
            name="Moodle Umeå",
            settings={
                "url": moodle.url,
                "framework_idnumber": "DIGCOMP-H",
                "competency_prefix": "DC-",
            },
            sealed_secret=seal(settings.secret_key, TOKEN),
            last_success_at=utcnow(),
        )
        db.add(target)
        db.flush()
        db.add(
            Delivery(
                target="moodle.competency",
                key=f"{target.id}:1",
                payload={"completion_event_id": 1, "sync_target_id": target.id},
                organisation_id=ours.id,
                status=DeliveryStatus.DEAD,
                last_error="competence 1.2 not in the Moodle framework (20 others rated)",
            )
        )
        db.commit()
        launch_as(platform, browser, ADMINISTRATOR)

        page = browser.get(tool_url + "/admin/deliveries?lang=en")
        made = browser.post(
            tool_url + f"/admin/sync-targets/{target.id}/moodle-framework?lang=en",
            data={"csrf_token": csrf(page.text)},
        )

        text = text_of(page.text)
        assert "Latest failed delivery: competence 1.2 not in the Moodle framework" in text
        assert "Create the framework in Moodle" in text
        assert made.status_code == 200
        assert "The framework DIGCOMP-H is in Moodle: 18 competences created, 3 were" in text_of(
            made.text
        )
        assert "DC-1.2" in {c["idnumber"] for c in moodle.competencies.values()}
    finally:
        moodle.stop()
