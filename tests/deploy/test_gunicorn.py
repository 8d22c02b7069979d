"""The web container's process, run here: gunicorn with docker/gunicorn.conf.py, production mode.

What the image would run, minus the image: the same config file and app factory, the
Dockerfile's own HEALTHCHECK command, and the container's log stream read back.
"""

from __future__ import annotations

import json
import logging
import os
import runpy
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, inspect

from tests.deploy.dockerfile import ROOT, stages

CONFIG = ROOT / "docker" / "gunicorn.conf.py"
TOKEN = "Zm9yLXRoZS1sYXVuY2gtc2Vzc2lvbi10b2tlbg"
METRICS_TOKEN = "prometheus-scrapes-with-this-token-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn as the web container starts it, on a loopback port, its output in a file."""

    def __init__(self, database_url: str, work: Path, **extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = work / "container.log"
        self.environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith("KOMPETENSLYFT_")},
            "KOMPETENSLYFT_MODE": "production",
            "KOMPETENSLYFT_DATABASE_URL": database_url,
            "KOMPETENSLYFT_SECRET_KEY": "gunicorn-test-secret-key-0123456789abcdef",
            "KOMPETENSLYFT_PUBLIC_URL": "https://kompetenslyft.example.se",
            "KOMPETENSLYFT_PROXY_COUNT": "1",
            "KOMPETENSLYFT_INSTANCE_PATH": str(work / "instance"),
            "WEB_CONCURRENCY": "1",
            "PORT": str(self.port),
            # Its own, not the default in the machine's shared /tmp.
            "PROMETHEUS_MULTIPROC_DIR": str(work / "metrics"),
            **extra,
        }
        (command,) = stages()[1].all("CMD")
        gunicorn, *arguments = command.exec_form()
        arguments[arguments.index("/etc/kompetenslyft/gunicorn.conf.py")] = str(CONFIG)
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our interpreter, our arguments
            [sys.executable, "-m", gunicorn, *arguments, "--bind", f"127.0.0.1:{self.port}"],
            cwd=work, env=self.environment, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait_until_it_answers()

    def _wait_until_it_answers(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                requests.get(self.url + "/healthz", timeout=2)
                return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
        pytest.fail(f"gunicorn did not answer in {timeout} s: {self.output()}")

    def healthcheck(self) -> int:
        """The Dockerfile's HEALTHCHECK command, as docker runs it in the container."""
        (healthcheck,) = stages()[1].all("HEALTHCHECK")
        python, *arguments = healthcheck.exec_form()
        return subprocess.run(  # noqa: S603
            [sys.executable, *arguments], env=self.environment, timeout=10
        ).returncode

    def stop(self) -> str:
        self.process.terminate()
        self.process.wait(timeout=60)
        self.log.close()
        return self.output()

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def gunicorn_on(tmp_path):
    started: list[Gunicorn] = []

    def start(database_url: str, **extra: str) -> Gunicorn:
        started.append(Gunicorn(database_url, tmp_path, **extra))
        return started[-1]

    yield start
    for server in started:
        if server.process.poll() is None:
            server.stop()


def test_serves_and_passes_the_images_healthcheck(gunicorn_on, own_database_url):
    server = gunicorn_on(own_database_url)

    assert server.healthcheck() == 0
    ready = requests.get(server.url + "/readyz", timeout=10)
    assert ready.status_code == 200, ready.text


def test_never_logs_the_launch_session_token(gunicorn_on, own_database_url):
    server = gunicorn_on(own_database_url)

    requests.get(server.url + f"/readyz?ls={TOKEN}", timeout=10)
    requests.get(
        server.url + f"/no-such-page?ls={TOKEN}",
        headers={"Referer": f"https://kompetenslyft.example.se/my/plan?ls={TOKEN}"},
        timeout=10,
    )
    lines = [json.loads(line) for line in server.stop().splitlines()]

    requests_logged = [(line["path"], line["status"]) for line in lines if "path" in line]
    assert requests_logged[-2:] == [("/readyz", 200), ("/no-such-page", 404)]  # after /healthz
    assert any(line["logger"] == "gunicorn.error" for line in lines)
    assert TOKEN not in json.dumps(lines)


def test_metrics_add_up_across_workers(gunicorn_on, own_database_url, tmp_path):
    stale = tmp_path / "metrics"
    stale.mkdir()
    (stale / "counter_1.db").write_bytes(b"counts of the last run")
    server = gunicorn_on(
        own_database_url, WEB_CONCURRENCY="2", KOMPETENSLYFT_METRICS_TOKEN=METRICS_TOKEN
    )

    for _ in range(8):  # a new connection each: the workers share them
        requests.post(server.url + "/lti/launch", headers={"Connection": "close"}, timeout=10)
    scraped = requests.get(
        server.url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
    )

    assert scraped.status_code == 200, scraped.text
    assert 'kompetenslyft_launches_total{outcome="rejected"} 8.0' in scraped.text


def test_masks_query_strings_in_gunicorns_error_lines():
    mask = runpy.run_path(str(CONFIG))["QueryStringMask"]()
    record = logging.LogRecord(
        "gunicorn.error", logging.ERROR, __file__, 1, "Error handling request %s",
        (f"/lti/launch?ls={TOKEN}&x=1",), None,
    )  # fmt: skip

    assert mask.filter(record)
    assert record.getMessage() == "Error handling request /lti/launch?…"


def test_workers_never_migrate(gunicorn_on, empty_database_url):
    url = empty_database_url()
    server = gunicorn_on(url)

    ready = requests.get(server.url + "/readyz", timeout=10)
    server.stop()

    assert ready.status_code == 503
    assert ready.json()["reason"] == "migrations_pending"
    engine = create_engine(url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_workers_default_to_twice_the_cores_plus_one_at_most_eight(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    configured = runpy.run_path(str(CONFIG))
    cores = len(os.sched_getaffinity(0))

    assert configured["workers"] == min(2 * cores + 1, 8)
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert runpy.run_path(str(CONFIG))["workers"] == 3
