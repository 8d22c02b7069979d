"""The image's build step, run for real: docker/Dockerfile's builder commands in a fresh venv.

`make image-test` builds the image itself (with podman, on a Debian base; see
tests/deploy/built_image.py); this test is the quicker check within the suite: it copies
exactly the files the builder stage COPYs, runs the builder's commands (the same lock,
constraints.txt, runtime dependencies only) in a new venv, and then uses the installed tool
from outside the source tree, as the runtime stage does. It
needs PyPI (or the machine's configured index); pip's cache is used, the image's build
does without. Runs once, not per database backend.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

from tests.deploy.dockerfile import ROOT, stages

MAKE_VENV = "python -m venv /opt/kompetenslyft"
# The builder stage's commands after making its venv, in order; test_dockerfile.py checks
# that the Dockerfile says exactly these.
BUILD_STEPS = [
    "pip install -c constraints.txt babel",
    "pybabel -q compile -d lti_tool/translations -D messages",
    "pip install -c constraints.txt .",
]
# Build leftovers of a developer's tree: .dockerignore keeps most out of the image's context;
# compiled catalogues are left out here so that the builder's own compile step is what counts.
LEFTOVERS = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "*.mo")

SERVES_A_PAGE = textwrap.dedent(
    """
    import sys
    import lti_tool
    from lti_tool import create_app

    assert "site-packages" in lti_tool.__file__, lti_tool.__file__
    client = create_app().test_client()
    ready = client.get("/readyz")
    missing = client.get("/no-such-page")
    print(lti_tool.__file__)
    print(ready.status_code, missing.status_code)
    print(missing.get_data(as_text=True))
    """
)


def copy_build_context(destination) -> None:
    destination.mkdir()
    for source in stages()[0].copied_sources():
        path = ROOT / source
        if path.is_dir():
            shutil.copytree(path, destination / source, ignore=LEFTOVERS)
        else:
            shutil.copy2(path, destination / source)


def without_the_repository(environment: dict[str, str], venv) -> dict[str, str]:
    clean = {k: v for k, v in environment.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    clean = {k: v for k, v in clean.items() if not k.startswith("KOMPETENSLYFT_")}
    clean["PATH"] = f"{venv / 'bin'}{os.pathsep}{environment['PATH']}"
    clean["VIRTUAL_ENV"] = str(venv)
    return clean


@pytest.mark.timeout(1500)
def test_the_images_install_step_works_in_a_clean_venv(tmp_path):
    source, venv, elsewhere = tmp_path / "src", tmp_path / "venv", tmp_path / "elsewhere"
    copy_build_context(source)
    elsewhere.mkdir()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    environment = without_the_repository(dict(os.environ), venv)

    started = time.monotonic()
    for step in BUILD_STEPS:
        subprocess.run(step, shell=True, cwd=source, env=environment, check=True)  # noqa: S602
    print(f"\nclean install of the image's dependency set: {time.monotonic() - started:.0f} s")

    help_text = subprocess.run(
        ["kompetenslyft", "--help"], cwd=elsewhere, env=environment, check=True,
        capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert "scheduler" in help_text and "db" in help_text
    installed = subprocess.run(
        [str(venv / "bin" / "pip"), "list", "--format=freeze"], env=environment,
        check=True, capture_output=True, text=True,
    ).stdout.lower()  # fmt: skip
    assert "gunicorn==" in installed
    for tool in ("pytest==", "playwright==", "ruff==", "ralph-malph=="):
        assert tool not in installed

    production = {
        **environment,
        "KOMPETENSLYFT_MODE": "production",
        "KOMPETENSLYFT_PUBLIC_URL": "https://kompetenslyft.example.se",
        "KOMPETENSLYFT_SECRET_KEY": "a-clean-install-secret-key-0123456789abcdef",
        "KOMPETENSLYFT_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    migrated = subprocess.run(
        ["kompetenslyft", "db", "upgrade"], cwd=elsewhere, env=production,
        capture_output=True, text=True,
    )  # fmt: skip
    assert migrated.returncode == 0, migrated.stderr
    served = subprocess.run(
        [str(venv / "bin" / "python"), "-c", SERVES_A_PAGE], cwd=elsewhere, env=production,
        capture_output=True, text=True,
    )  # fmt: skip

    assert served.returncode == 0, served.stderr
    installed_at, statuses, page = served.stdout.split("\n", 2)
    assert installed_at.startswith(str(venv))
    assert statuses == "200 404"
    # The page comes from the shipped templates, in Swedish from the compiled catalogue.
    assert "Sidan finns inte." in page
