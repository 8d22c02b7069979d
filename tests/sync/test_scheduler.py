"""The scheduler runs the outbox worker: inside the web process for the embedded default."""

from apscheduler.schedulers.background import BackgroundScheduler

from config import load_settings
from sync.scheduler import add_jobs


def test_the_delivery_job_is_scheduled_at_the_configured_interval(database, settings):
    scheduler = BackgroundScheduler()
    add_jobs(scheduler, settings, database)

    job = scheduler.get_job("deliveries")
    assert job.trigger.interval.total_seconds() == settings.delivery_interval_seconds
    assert job.max_instances == 1


def test_development_runs_jobs_in_the_web_process_production_does_not(tmp_path):
    dev = load_settings(
        environ={"KOMPETENSLYFT_MODE": "development", "KOMPETENSLYFT_INSTANCE_PATH": str(tmp_path)}
    )
    prod = load_settings(environ={"KOMPETENSLYFT_INSTANCE_PATH": str(tmp_path)})

    assert dev.runs_scheduler_in_web and not prod.runs_scheduler_in_web


def test_completions_are_polled_from_moodle_and_the_lrs_every_hour(database, settings):
    scheduler = BackgroundScheduler()
    add_jobs(scheduler, settings, database)

    for job_id in ("moodle-completions", "lrs-completions"):
        job = scheduler.get_job(job_id)
        assert job.trigger.interval.total_seconds() == 3600
        assert job.max_instances == 1
