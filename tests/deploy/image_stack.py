"""What `make image-test` (tests/deploy/built_image.py) stands on: podman and a base image made
from Debian's packages, docker/compose.yaml read as compose reads it (interpolation, env files,
the service options given to podman), and small helpers to wait for and talk to containers.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psycopg
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker" / "compose.yaml"
ENV_EXAMPLE = ROOT / "docker" / ".env.example"
BASE = "localhost/kompetenslyft-base:bookworm"
TOOL_IMAGE = "localhost/kompetenslyft:image-test"
LRS_IMAGE = "localhost/kompetenslyft-lrs:image-test"
DEBIAN_PACKAGES = "python3,python3-venv,python-is-python3,ca-certificates"
POSTGRES_ADMIN_URL = os.environ.get(
    "KOMPETENSLYFT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
HOST_CA_BUNDLE = Path(os.environ.get("PIP_CERT") or "/etc/ssl/certs/ca-certificates.crt")
# crun fails on this machine's cgroups; runc works. The default ulimits cannot be set here.
PODMAN_CONF = '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n'
# How long a container may take to answer (a condition polled for, not a pause).
START_TIMEOUT = 120
EROFS = 30


class Failed(Exception):
    """A check found something wrong; the message says what."""


# --- podman ----------------------------------------------------------------------------------


def podman(*arguments: str, check: bool = True, timeout: float = 1800) -> str:
    completed = subprocess.run(
        ["podman", *arguments], capture_output=True, text=True, timeout=timeout
    )
    if check and completed.returncode != 0:
        raise Failed(
            f"podman {' '.join(arguments[:3])} … exited {completed.returncode}:\n"
            f"{completed.stderr[-3000:]}{completed.stdout[-2000:]}"
        )
    return completed.stdout


def podman_environment(folder: Path) -> None:
    """podman reads only this run's configuration file (CONTAINERS_CONF), nothing in /etc."""
    conf = folder / "containers.conf"
    conf.write_text(PODMAN_CONF)
    os.environ["CONTAINERS_CONF"] = str(conf)


def make_base_image(folder: Path) -> str:
    """BASE from Debian's packages, unless podman's store holds it already."""
    if subprocess.run(["podman", "image", "exists", BASE]).returncode == 0:
        return f"{BASE} already in podman's store"
    rootfs = folder / "rootfs"
    started = time.monotonic()
    made = subprocess.run(
        ["debootstrap", "--variant=minbase", f"--include={DEBIAN_PACKAGES}", "bookworm",
         str(rootfs), "http://deb.debian.org/debian"],
        capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    if made.returncode != 0:
        raise Failed(f"debootstrap exited {made.returncode}: {(made.stdout + made.stderr)[-3000:]}")
    shutil.rmtree(rootfs / "var" / "cache" / "apt" / "archives", ignore_errors=True)
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    subprocess.run(["podman", "import", "-", BASE], stdin=tar.stdout, check=True,
                   capture_output=True)  # fmt: skip
    tar.wait()
    shutil.rmtree(rootfs)
    return f"{BASE} made with debootstrap in {time.monotonic() - started:.0f} s"


def build(dockerfile: str, tag: str) -> str:
    """Builds `tag`, its builder stage tagged too, then prunes what no tag uses any more.

    The builder stage's layers are the ones worth caching (the pip installs); without a tag
    of their own nothing refers to them and `podman image prune` would take them. The layers
    of builds from older sources go, so repeated runs keep podman's store from growing.
    """
    started = time.monotonic()
    arguments = ["build", "--format", "docker", "--layers", "--network", "host",
                 "--build-arg", f"PYTHON_IMAGE={BASE}", "-f", dockerfile]  # fmt: skip
    if HOST_CA_BUNDLE.is_file():
        arguments += ["--volume", f"{HOST_CA_BUNDLE}:/run/host-ca.crt:ro",
                      "--build-arg", "PIP_CERT=/run/host-ca.crt"]  # fmt: skip
    podman(*arguments, "--target", "builder", "-t", f"{tag}-builder", str(ROOT))
    podman(*arguments, "-t", tag, str(ROOT))
    podman("image", "prune", "--force")
    return f"{tag} from {dockerfile} in {time.monotonic() - started:.0f} s"


# --- compose.yaml, read as compose reads it ----------------------------------------------------


def interpolate(text: str, variables: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, nested; $$ is $."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("${", i):
            depth, j = 1, i + 2
            while depth:
                if j >= len(text):
                    raise Failed(f"an unclosed ${{ in compose.yaml: {text}")
                if text.startswith("${", j):
                    depth, j = depth + 1, j + 2
                else:
                    depth, j = depth - (text[j] == "}"), j + 1
            out.append(_substitute(text[i + 2 : j - 1], variables))
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _substitute(expression: str, variables: dict[str, str]) -> str:
    match = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(:?[-?])?(.*)", expression, re.S)
    name, operator, rest = match.groups()
    value = variables.get(name)
    # With a colon an empty value counts as unset, as in compose.
    unset = not value if operator in (":-", ":?") else value is None
    if operator and operator.endswith("-") and unset:
        return interpolate(rest, variables)
    if operator and operator.endswith("?") and unset:
        raise Failed(f"compose would refuse to start: {interpolate(rest, variables)}")
    return value or ""


def read_env_file(path: Path) -> dict[str, str]:
    variables = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            variables[name.strip()] = value.strip()
    return variables


# The service options Stack.options gives podman as compose would.
TRANSLATED = {"command", "env_file", "environment", "volumes", "read_only", "tmpfs", "cap_drop",
              "security_opt", "init", "stop_grace_period"}  # fmt: skip
# What this test does itself: builds the images, orders the start (migrate, then web and
# scheduler), uses the host's network instead of published ports, checks health itself.
STOOD_IN_FOR = {"image", "build", "depends_on", "ports", "healthcheck", "restart", "profiles"}


class Stack:
    """The services of compose.yaml as podman containers, named for this run."""

    def __init__(self, run: str, env_file: Path, volumes: dict[str, str]) -> None:
        self.run = run
        self.env_file = env_file
        self.variables = read_env_file(env_file)
        self.services = yaml.safe_load(COMPOSE.read_text())["services"]
        self.volumes = volumes
        self.started: list[str] = []

    def name(self, service: str) -> str:
        return f"kl-{self.run}-{service}"

    def options(self, service: str, image: str) -> list[str]:
        """compose.yaml's options of `service` as podman's (ports: host network instead)."""
        spec = self.services[service]
        untranslated = set(spec) - TRANSLATED - STOOD_IN_FOR
        if untranslated:
            raise Failed(f"compose.yaml's {service} has {sorted(untranslated)}, which this "
                         "test does not run as compose would: teach Stack.options")  # fmt: skip
        options = ["--name", self.name(service), "--network", "host"]
        if spec.get("env_file"):
            options += ["--env-file", str(self.env_file)]
        for variable, value in (spec.get("environment") or {}).items():
            options += ["--env", f"{variable}={interpolate(str(value), self.variables)}"]
        for volume in spec.get("volumes", []):
            name, mount_point = volume.split(":")[:2]
            options += ["--volume", f"{self.volumes[name]}:{mount_point}"]
        if spec.get("read_only"):
            options.append("--read-only")
        for tmpfs in spec.get("tmpfs", []):
            options += ["--tmpfs", tmpfs]
        for capability in spec.get("cap_drop", []):
            options += ["--cap-drop", capability]
        for security in spec.get("security_opt", []):
            options += ["--security-opt", security.replace(":true", "")]
        if spec.get("init"):
            options.append("--init")
        return [*options, image]

    def command(self, service: str, replace: dict[str, str] | None = None) -> list[str]:
        command = list(self.services[service].get("command") or [])
        return [(replace or {}).get(word, word) for word in command]

    def run_once(self, service: str, image: str, *command: str) -> subprocess.CompletedProcess:
        arguments = ["podman", "run", "--rm", *self.options(service, image)]
        arguments += list(command) or self.command(service)
        return subprocess.run(arguments, capture_output=True, text=True, timeout=600)

    def start(self, service: str, image: str, *extra_env: str, replace=None) -> str:
        options = self.options(service, image)
        for variable in extra_env:
            options[-1:-1] = ["--env", variable]
        podman("run", "--detach", *options, *self.command(service, replace))
        self.started.append(self.name(service))
        return self.name(service)

    def remove(self) -> None:
        for container in reversed(self.started):
            podman("rm", "--force", "--time", "10", container, check=False)


# --- helpers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], object], what: str, container: str | None = None):
    """Polls `condition` until it returns something true; fails with the container's log."""
    deadline = time.monotonic() + START_TIMEOUT
    last_error = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except (OSError, urllib.error.URLError, psycopg.Error) as error:
            last_error = error
        if container and podman("inspect", "--format", "{{.State.Running}}", container,
                                check=False).strip() == "false":  # fmt: skip
            break
        time.sleep(0.5)
    log = container_log(container) if container else ""
    raise Failed(f"{what}: not within {START_TIMEOUT} s ({last_error})\n{log[-3000:]}")


def http(method: str, url: str, body=None, auth=None, headers=None) -> tuple[int, dict | str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    try:
        return status, json.loads(text) if text else ""
    except ValueError:
        return status, text


def container_log(container: str) -> str:
    """What the container wrote, stdout and stderr as one stream."""
    return subprocess.run(["podman", "logs", container], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=60).stdout  # fmt: skip


def exec_in(container: str, *command: str, stdin: str = "") -> str:
    """`podman exec` with `stdin` as the command's standard input; fails with its stderr."""
    done = subprocess.run(["podman", "exec", "--interactive", container, *command],
                          input=stdin, capture_output=True, text=True, timeout=300)  # fmt: skip
    if done.returncode != 0:
        raise Failed(f"{' '.join(command[:4])} … exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def in_container(container: str, code: str) -> str:
    return podman("exec", container, "python", "-c", code).strip()
