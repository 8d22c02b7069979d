"""GET /metrics: Prometheus figures an operator alerts on, behind a bearer token."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from storage import Delivery, DeliveryStatus, JobRun, Organisation, SyncTarget, utcnow

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-token-for-tests-0123456789abcdef"


@pytest.fixture
def metrics_token(app):
    original = app.config["SETTINGS"]
    app.config["SETTINGS"] = replace(original, metrics_token=TOKEN)
    yield TOKEN
    app.config["SETTINGS"] = original


def scrape(tool_url: str) -> dict[tuple[str, tuple], float]:
    response = requests.get(
        tool_url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_without_a_configured_token_there_are_no_metrics(tool_url):
    assert requests.get(tool_url + "/metrics", timeout=10).status_code == 404


def test_a_wrong_or_missing_token_is_refused(metrics_token, tool_url):
    url = tool_url + "/metrics"

    assert requests.get(url, timeout=10).status_code == 401
    wrong = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 401
    assert "kompetenslyft" not in wrong.text


def test_launches_and_refusals_are_counted_by_outcome_and_reason(
    metrics_token, platform, browser, tool_url
):
    before = scrape(tool_url)
    auth = platform.login(browser)
    token = platform.sign(platform.claims(auth["nonce"]))
    assert platform.post_launch(browser, token, auth["state"]).status_code == 200
    assert platform.post_launch(browser, token, auth["state"]).status_code == 403
    after = scrape(tool_url)

    def grew(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("kompetenslyft_launches_total", outcome="accepted") == 1
    assert grew("kompetenslyft_launches_total", outcome="rejected") == 1
    assert grew("kompetenslyft_errors_total", reason="nonce_replayed") == 1


def test_queues_sync_targets_and_jobs_are_read_from_the_database(metrics_token, db, tool_url):
    now = utcnow()
    organisation = Organisation(slug="metrics-org", name="Mätkommunen")
    target = SyncTarget(organisation=organisation, kind="hr_rest", name="HR", settings={})
    db.add_all([organisation, target])
    db.flush()
    db.add_all(
        [
            Delivery(
                target="ags.score", key="a1", payload={}, created_at=now - timedelta(minutes=10)
            ),
            Delivery(
                target="ags.score", key="a2", payload={}, created_at=now - timedelta(minutes=1)
            ),
            Delivery(target="ags.score", key="a3", payload={}, status=DeliveryStatus.DELIVERED),
            Delivery(target="xapi.statement", key="x1", payload={}, status=DeliveryStatus.DEAD),
            Delivery(
                target="hr.rest",
                key=f"{target.id}:17",
                payload={},
                organisation_id=organisation.id,
                created_at=now - timedelta(hours=2),
            ),
            JobRun(
                job_id="hr-poll",
                instance="test",
                started_at=now - timedelta(minutes=5),
                finished_at=now - timedelta(minutes=5) + timedelta(seconds=42),
                outcome="failed",
            ),
        ]
    )
    db.commit()

    figures = scrape(tool_url)

    def value(name, **labels):
        return figures[(name, tuple(sorted(labels.items())))]

    assert value("kompetenslyft_database_up") == 1
    assert value("kompetenslyft_deliveries", target="ags.score", status="pending") == 2
    assert value("kompetenslyft_deliveries", target="xapi.statement", status="dead") == 1
    assert ("kompetenslyft_deliveries", (("status", "delivered"), ("target", "ags.score"))) not in (
        figures
    )
    age = value("kompetenslyft_deliveries_oldest_age_seconds", target="ags.score", status="pending")
    assert 600 <= age < 900
    which = {
        "sync_target_id": str(target.id),
        "organisation_id": str(organisation.id),
        "kind": "hr_rest",
    }
    assert value("kompetenslyft_sync_target_pending", **which) == 1
    assert value("kompetenslyft_sync_target_dead", **which) == 0
    assert value("kompetenslyft_sync_target_oldest_pending_age_seconds", **which) >= 7200
    assert value("kompetenslyft_job_last_duration_seconds", job="hr-poll") == 42
    assert value("kompetenslyft_job_last_success", job="hr-poll") == 0


def test_with_a_multiprocess_directory_every_workers_counts_add_up(tmp_path):
    """gunicorn's workers are processes: each counts in its own file, any one adds them up."""
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    worker = "from lti_tool import metrics; metrics.launch_accepted(); metrics.launch_accepted()"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", worker], env=environment, check=True, cwd=ROOT)
    scrape_in_a_third = (
        "from prometheus_client import generate_latest; from lti_tool import metrics; "
        "print(generate_latest(metrics._event_registry()).decode())"
    )

    exposition = subprocess.run(
        [sys.executable, "-c", scrape_in_a_third],
        env=environment,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout

    assert 'kompetenslyft_launches_total{outcome="accepted"} 4.0' in exposition
