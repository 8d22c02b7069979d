"""docker/compose.yaml and docker/.env.example against the tool's settings and documentation.

The file is parsed and read here; `make image-test` (tests/deploy/built_image.py) runs its
services with podman. New settings in config/settings.py fail
these tests until .env.example documents them.
"""

from __future__ import annotations

import re
from dataclasses import fields

import yaml

from config.settings import ENV_PREFIX, Settings
from tests.deploy.dockerfile import ROOT

COMPOSE = ROOT / "docker" / "compose.yaml"
ENV_EXAMPLE = ROOT / "docker" / ".env.example"
README = ROOT / "README.md"
# Read by load_settings beside the settings themselves: the TOML file's path.
CONFIG_FILE = ENV_PREFIX + "CONFIG"
# A third-party image's own variables, set in its service.
IMAGE_VARIABLES = {"postgres": "POSTGRES_", "kompetenslyft-lrs": "RALPH_"}
# ${NAME}, ${NAME:-default}, ${NAME:?error}, also nested; $${...} is a literal dollar.
REFERENCE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")
DOCUMENTED = re.compile(r"^#? ?([A-Z][A-Z0-9_]*)=", re.M)


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def setting_variables() -> set[str]:
    """The variables load_settings reads: one per setting, and the TOML file's."""
    names = {f.name for f in fields(Settings) if f.name != "secret_key_source"}
    return {ENV_PREFIX + name.upper() for name in names} | {CONFIG_FILE}


def documented_variables() -> dict[str, str]:
    """Each variable in .env.example with the comment just above it."""
    lines = ENV_EXAMPLE.read_text().splitlines()
    documented = {}
    for number, line in enumerate(lines):
        match = DOCUMENTED.match(line)
        if match:
            comment = []
            for above in reversed(lines[:number]):
                if not above.startswith("#") or DOCUMENTED.match(above):
                    if DOCUMENTED.match(above) and not comment:
                        continue  # a sibling variable sharing this comment (POSTGRES_DB/_USER)
                    break
                comment.insert(0, above.lstrip("# "))
            documented[match.group(1)] = " ".join(comment)
    return documented


def built_from_the_dockerfile(service: dict) -> bool:
    build = service.get("build") or {}
    return build.get("dockerfile") == "docker/Dockerfile" and build.get("context") == ".."


def built_here(service: dict) -> bool:
    """Built from a Dockerfile of this repository (the tool's, or docker/lrs's)."""
    build = service.get("build") or {}
    dockerfile = build.get("dockerfile")
    return build.get("context") == ".." and dockerfile is not None and (ROOT / dockerfile).is_file()


def test_the_compose_file_has_the_services_of_a_deployment():
    services = compose()["services"]

    assert set(services) == {"migrate", "web", "scheduler", "postgres", "lrs"}
    assert services["migrate"]["command"] == ["kompetenslyft", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["web"]["command"][0] == "gunicorn"
    assert services["scheduler"]["command"] == ["kompetenslyft", "scheduler"]
    assert services["lrs"]["profiles"] == ["lrs"]
    assert all("profiles" not in services[name] for name in ("migrate", "web", "scheduler"))


def test_web_and_scheduler_start_only_after_the_migration_succeeded():
    services = compose()["services"]

    for name in ("web", "scheduler"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_postgresql_keeps_its_data_in_a_named_volume_and_reports_its_health():
    document = compose()
    postgres = document["services"]["postgres"]

    volume = postgres["volumes"][0].split(":")
    assert volume[1] == "/var/lib/postgresql/data"
    assert volume[0] in document["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


def test_every_image_is_built_here_or_named_in_the_readme():
    readme = README.read_text()

    for name, service in compose()["services"].items():
        assert built_here(service) or f"`{service['image']}`" in readme, name


def test_only_the_web_service_checks_http_health():
    services = compose()["services"]

    for name in ("migrate", "scheduler"):
        assert services[name]["healthcheck"] == {"disable": True}, name
    assert "healthcheck" not in services["web"]  # the image's HEALTHCHECK on /healthz


def test_every_variable_the_compose_file_uses_is_a_setting_or_documented():
    settings, documented = setting_variables(), documented_variables()
    referenced = set(REFERENCE.findall(COMPOSE.read_text()))
    set_by_tool_services = {
        variable
        for service in compose()["services"].values()
        if built_from_the_dockerfile(service)
        for variable in service.get("environment", {})
    }

    assert referenced | set_by_tool_services <= settings | set(documented)
    for variable in referenced | set(documented):
        if variable.startswith(ENV_PREFIX):
            assert variable in settings, f"{variable} is no setting of config/settings.py"


def test_third_party_services_set_only_their_images_variables():
    for name, service in compose()["services"].items():
        if built_from_the_dockerfile(service):
            continue
        image = service["image"].split(":")[0]
        for variable in service.get("environment", {}):
            assert variable.startswith(IMAGE_VARIABLES[image]), f"{name}: {variable}"


def test_the_env_example_documents_every_setting_with_its_default():
    documented = documented_variables()

    missing = setting_variables() - set(documented)
    assert not missing, f"add to docker/.env.example: {sorted(missing)}"
    for variable in setting_variables():
        assert "default" in documented[variable].lower(), f"{variable}: say what its default is"


def test_the_tool_services_read_the_env_file():
    for name, service in compose()["services"].items():
        if built_from_the_dockerfile(service):
            assert service["env_file"] == ".env", name
