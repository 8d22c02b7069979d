"""The LRS docker/compose.yaml ships (service `lrs`), run here as its service runs it.

tests/support/ralph_lrs.py starts the ASGI app the service's command names with the service's
environment (its data volume moved into the test's folder), so what is checked here, and what
the forwarding tests send to, is the shipped configuration: Ralph 5.1.0 on docker/lrs's
backend. `make image-test` runs the LRS image itself and posts two batches to it as well.
"""

from __future__ import annotations

import pytest
import requests
import yaml

from tests.deploy.dockerfile import ROOT, stages
from tests.deploy.test_compose import COMPOSE
from tests.support.ralph_lrs import PASSWORD, USERNAME, RalphLrs, deployed_lrs
from tests.sync.forwarding import learner_statements

XAPI = {"X-Experience-API-Version": "1.0.3"}
LRS_DOCKERFILE = ROOT / "docker" / "lrs" / "Dockerfile"


@pytest.fixture
def lrs(tmp_path):
    server = RalphLrs(tmp_path / "lrs").start()
    yield server
    server.stop()


def post(lrs: RalphLrs, batch: list[dict]) -> requests.Response:
    return requests.post(
        f"{lrs.endpoint}statements", json=batch, auth=(USERNAME, PASSWORD), headers=XAPI, timeout=30
    )


def test_the_shipped_lrs_keeps_every_batch_it_is_sent(lrs):
    made = learner_statements(6)

    answers = [post(lrs, made[start : start + 2]) for start in (0, 2, 4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200], answers[-1].text
    assert lrs.statement_ids() == [statement["id"] for statement in made]
    read = requests.get(
        f"{lrs.endpoint}statements", auth=(USERNAME, PASSWORD), headers=XAPI, timeout=30
    )
    assert {s["id"] for s in read.json()["statements"]} == {s["id"] for s in made}


def test_a_batch_sent_again_is_kept_once(lrs):
    made = learner_statements(2)

    assert post(lrs, made).status_code == 200
    assert post(lrs, made).status_code == 204  # Ralph: already held, same content

    assert lrs.statement_ids() == [statement["id"] for statement in made]


def test_the_tests_lrs_is_the_compose_service_with_its_data_in_the_tests_folder(tmp_path):
    service = yaml.safe_load(COMPOSE.read_text())["services"]["lrs"]

    app, environment = deployed_lrs(tmp_path)

    assert app == service["command"][1]
    assert set(environment) == set(service["environment"])
    assert environment["RALPH_RUNSERVER_BACKEND"] == "fsappend"  # docker/lrs, not Ralph's fs
    assert environment["RALPH_AUTH_FILE"] == str(tmp_path / "auth.json")


def test_the_lrs_image_runs_what_compose_runs_on_the_appending_backend():
    service = yaml.safe_load(COMPOSE.read_text())["services"]["lrs"]
    builder, runtime = stages(LRS_DOCKERFILE)

    assert service["build"] == {"context": "..", "dockerfile": "docker/lrs/Dockerfile"}
    assert builder.base == runtime.base == "${PYTHON_IMAGE}"
    assert any("./docker/lrs" in run for run in builder.runs())
    (command,) = runtime.all("CMD")
    assert command.exec_form() == service["command"]
    (user,) = runtime.all("USER")
    assert user.arguments.split(":")[0] not in {"root", "0"}
