"""docker/Dockerfile, checked by reading it (no builder here): what the image must be."""

from __future__ import annotations

from tests.deploy.dockerfile import ROOT, instructions, stages
from tests.deploy.test_clean_install import BUILD_STEPS, MAKE_VENV


def test_builds_in_two_stages_from_slim_python_3_11():
    builder, runtime = stages()

    assert (builder.name, runtime.name) == ("builder", "runtime")
    base_image, *build_only = [i.arguments for i in instructions() if i.keyword == "ARG"]
    assert base_image.startswith("PYTHON_IMAGE=python:3.11-slim")
    # The builder's proxy CA bundle, if any: declared without a value, in the builder only.
    assert build_only == ["PIP_CERT"] and builder.all("ARG")[0].arguments == "PIP_CERT"
    assert builder.base == runtime.base == "${PYTHON_IMAGE}"


def test_the_builder_runs_the_commands_the_clean_venv_test_runs():
    builder = stages()[0]

    assert builder.runs() == [MAKE_VENV, *BUILD_STEPS]


def test_the_builder_copies_only_what_the_package_is_built_from():
    sources = stages()[0].copied_sources()

    assert all((ROOT / source).exists() for source in sources)
    assert not {"tests", "bench", "docs", "node_modules", ".venv", "instance", "."} & set(sources)


def test_the_runtime_takes_the_venv_and_gunicorns_settings_only():
    runtime = stages()[1]
    copies = [i.arguments for i in runtime.all("COPY")]

    assert copies == [
        "--from=builder /opt/kompetenslyft /opt/kompetenslyft",
        "docker/gunicorn.conf.py /etc/kompetenslyft/gunicorn.conf.py",
    ]


def test_runs_as_an_unprivileged_user():
    users = stages()[1].all("USER")

    assert len(users) == 1
    user = users[0].arguments.split(":")[0]
    assert user not in {"root", "0"}
    # The last word: nothing after USER switches back to root.
    assert stages()[1].instructions.index(users[0]) > max(
        stages()[1].instructions.index(i) for i in stages()[1].all("RUN")
    )


def test_checks_its_health_at_healthz_with_python():
    (healthcheck,) = stages()[1].all("HEALTHCHECK")
    command = healthcheck.exec_form()

    assert command[0] == "python"
    assert "/healthz" in command[-1]
    assert "curl" not in healthcheck.arguments


def test_serves_with_the_gunicorn_settings_it_carries():
    (command,) = stages()[1].all("CMD")

    assert command.exec_form() == [
        "gunicorn", "--config", "/etc/kompetenslyft/gunicorn.conf.py", "lti_tool:create_app()",
    ]  # fmt: skip


def test_bakes_in_no_secret():
    environment = " ".join(i.arguments for i in instructions() if i.keyword in {"ENV", "ARG"})

    for secret in ("SECRET_KEY", "ADMIN_SECRET", "PASSWORD", "DATABASE_URL"):
        assert secret not in environment
    assert "KOMPETENSLYFT_MODE=production" in environment


def test_the_build_context_leaves_out_secrets_and_local_data():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()

    assert {"docker/.env", "instance", ".venv", ".git"} <= set(ignored)
