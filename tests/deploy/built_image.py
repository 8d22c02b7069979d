"""`make image-test`: the images built and run here, the way docker/compose.yaml runs them.

There is no Docker engine on the machines this tool is developed and tested on, and no
container registry can be reached; Debian's podman (with runc) runs here. So:

1. The base. `python:3.11-slim-bookworm` cannot be pulled, so a Debian bookworm with python3
   and python3-venv is made from Debian's packages (debootstrap) and imported into podman's
   store as BASE, once per machine (kept; `podman rmi` it to make it anew).
2. The images. docker/Dockerfile (the tool) and docker/lrs/Dockerfile (the LRS compose ships)
   are built with `--build-arg PYTHON_IMAGE=BASE`, everything else as written. podman's layer
   cache makes a second build of unchanged sources take seconds. pip in the build reaches the
   package index the way pip on this machine does: the host's CA bundle is mounted and named
   in PIP_CERT (a build argument of the builder stage only, kept out of the image).
3. The stack. Each service of compose.yaml is run with the options compose.yaml gives it
   (read from the file: command, environment after compose's ${...} interpolation, env_file,
   read_only, tmpfs, cap_drop, security_opt, init, its named volume) on podman's host network,
   in compose's order: `migrate` to completion, then `web` and `scheduler`; the `lrs` profile
   too. The database is the host's PostgreSQL (a new database per run) named in .env, as an
   organisation with its own PostgreSQL server would; compose's `postgres:17` service cannot
   be pulled. The settings are docker/.env.example with only what the README says to fill in.

Not exercised: pulling the official images (python:3.11-slim-bookworm, postgres:17), Docker's
engine and compose itself (its networks, published ports, depends_on), and TLS at the proxy.

Prints one line per check and ends with `image-test: N passed, M failed`; exits 1 on a failure.
Run from the repository root with the development venv: `python -m tests.deploy.built_image`.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg

from tests.deploy.image_stack import (
    ENV_EXAMPLE,
    EROFS,
    LRS_IMAGE,
    POSTGRES_ADMIN_URL,
    TOOL_IMAGE,
    Failed,
    Stack,
    build,
    container_log,
    exec_in,
    free_port,
    http,
    in_container,
    make_base_image,
    podman,
    podman_environment,
    wait_for,
)

# --- the run -----------------------------------------------------------------------------------


class ImageTest:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.run = uuid.uuid4().hex[:8]
        self.database = f"kompetenslyft_image_{self.run}"
        self.volumes = {name: f"kl-{self.run}-{name}" for name in ("instance", "lrs-data")}
        self.results: list[tuple[str, str | None]] = []
        self.stack: Stack | None = None
        self.web_url = ""
        self.lrs_url = ""
        self.lrs_password = ""

    def check(self, name: str, step: Callable[[], str | None]) -> bool:
        started = time.monotonic()
        try:
            detail = step()
        except Failed as failure:
            self.results.append((name, str(failure)))
            print(f"FAIL  {name}\n      {str(failure).replace(chr(10), chr(10) + '      ')}",
                  flush=True)  # fmt: skip
            return False
        except Exception:  # noqa: BLE001 - any error is this check's failure, reported whole
            self.results.append((name, traceback.format_exc()))
            print(f"FAIL  {name}\n{traceback.format_exc()}", flush=True)
            return False
        self.results.append((name, None))
        seconds = time.monotonic() - started
        print(f"PASS  {name} ({seconds:.0f} s){': ' + detail if detail else ''}", flush=True)
        return True

    # the steps, in compose's order

    def settings(self) -> Path:
        """docker/.env.example with only what the README's quick start says to fill in."""
        values = {
            "KOMPETENSLYFT_SECRET_KEY": secrets.token_urlsafe(48),
            "POSTGRES_PASSWORD": secrets.token_hex(32),
            "KOMPETENSLYFT_ADMIN_SECRET": secrets.token_urlsafe(48),
            "KOMPETENSLYFT_PUBLIC_URL": "https://kompetenslyft.example.se",
            # An organisation's own PostgreSQL (documented in .env.example): the host's.
            "KOMPETENSLYFT_DATABASE_URL": POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace(
                "postgresql://", "postgresql+psycopg://") + f"/{self.database}",
        }  # fmt: skip
        lines, seen = [], set()
        for line in ENV_EXAMPLE.read_text().splitlines():
            match = re.match(r"^(?:# )?([A-Z][A-Z0-9_]*)=", line)
            if match and match.group(1) in values:
                line = f"{match.group(1)}={values[match.group(1)]}"
                seen.add(match.group(1))
            lines.append(line)
        missing = set(values) - seen
        if missing:
            raise Failed(f"docker/.env.example does not document {sorted(missing)}")
        env_file = self.folder / ".env"
        env_file.write_text("\n".join(lines) + "\n")
        env_file.chmod(0o600)
        return env_file

    def create_database(self) -> str:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')
        for volume in self.volumes.values():
            podman("volume", "create", volume)
        self.stack = Stack(self.run, self.settings(), self.volumes)
        return (
            f"{self.database} on the host's PostgreSQL; volumes {', '.join(self.volumes.values())}"
        )

    def migrate(self) -> str:
        migrated = self.stack.run_once("migrate", TOOL_IMAGE)
        if migrated.returncode != 0:
            raise Failed(f"migrate exited {migrated.returncode}:\n{migrated.stderr[-3000:]}")
        with psycopg.connect(self.admin_url(), connect_timeout=5) as conn:
            (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return f"exited 0; the database is at revision {revision}"

    def admin_url(self) -> str:
        return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{self.database}"

    def web(self) -> str:
        port = free_port()
        self.web_url = f"http://127.0.0.1:{port}"
        # PORT: gunicorn's bind (docker/gunicorn.conf.py); compose publishes 8000 instead.
        container = self.stack.start("web", TOOL_IMAGE, f"PORT={port}")
        wait_for(lambda: http("GET", f"{self.web_url}/healthz")[0] == 200, "/healthz", container)
        status, body = http("GET", f"{self.web_url}/readyz")
        if status != 200:
            raise Failed(f"/readyz answered {status}: {body}")
        return f"gunicorn on :{port}: /healthz 200, /readyz 200 {json.dumps(body)[:160]}"

    def production_mode(self) -> str:
        container = self.stack.name("web")
        mode = in_container(container, "import os; print(os.environ['KOMPETENSLYFT_MODE'])")
        if mode != "production":
            raise Failed(f"KOMPETENSLYFT_MODE is {mode!r}")
        page = urllib.request.Request(f"{self.web_url}/no-such-page")
        try:
            urllib.request.urlopen(page, timeout=10)
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            if "Traceback" in text or "Sidan finns inte." not in text:
                raise Failed(f"the 404 page is not the tool's Swedish page: {text[:300]}") from None
        logs = container_log(container)
        not_json = [line for line in logs.splitlines() if line.strip() and not line.startswith("{")]
        if not_json:
            raise Failed(f"log lines that are not JSON: {not_json[:3]}")
        return "production mode, Swedish 404 page from the shipped templates, every log line JSON"

    def health_check(self) -> str:
        result = subprocess.run(["podman", "healthcheck", "run", self.stack.name("web")],
                                capture_output=True, text=True, timeout=60)  # fmt: skip
        # podman prints "unhealthy" and exits 1 when the command fails; 0 when it passes.
        if result.returncode != 0 or "unhealthy" in result.stdout:
            raise Failed(f"the image's HEALTHCHECK said {result.stdout!r} {result.stderr[-500:]}")
        return "the image's HEALTHCHECK command: healthy"

    def unprivileged_and_read_only(self) -> str:
        findings = []
        for service in ("web", "scheduler", "lrs"):
            container = self.stack.name(service)
            uid = in_container(container, "import os; print(os.getuid())")
            if uid == "0":
                raise Failed(f"{service} runs as root")
            written = in_container(container, (
                "import errno\n"
                "for path in ('/etc/kl-probe', '/opt/kl-probe', '/kl-probe'):\n"
                "    try:\n"
                "        open(path, 'w')\n"
                "        print('written', path)\n"
                "    except OSError as error:\n"
                "        print(error.errno)\n"
            )).split()  # fmt: skip
            # EROFS, not EACCES: the root filesystem itself refuses, whoever writes.
            if set(written) != {str(EROFS)}:
                raise Failed(f"{service}: writing to the root filesystem gave {written}")
            read_only = podman("inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", container)
            if read_only.strip() != "true":
                raise Failed(f"{service} is not started read-only")
            findings.append(f"{service} uid {uid}")
        return ", ".join(findings) + "; the root filesystem answers EROFS"

    def scheduler(self) -> str:
        container = self.stack.start("scheduler", TOOL_IMAGE)

        def job_runs():
            with psycopg.connect(self.admin_url(), connect_timeout=5) as conn:
                return conn.execute(
                    "SELECT DISTINCT job_id FROM job_runs WHERE job_id IN"
                    " ('deliveries', 'xapi-forwarding', 'hr-records')"
                ).fetchall()

        ran = wait_for(
            lambda: (rows := job_runs()) and len(rows) == 3 and rows,
            "the scheduler's first job runs",
            container,
        )
        return f"ran {', '.join(sorted(row[0] for row in ran))} against PostgreSQL"

    def lrs(self) -> str:
        port = free_port()
        self.lrs_url = f"http://127.0.0.1:{port}"
        password = self.lrs_password = secrets.token_urlsafe(24)
        # README's step: the LRS's user, written into the LRS's volume by its own image.
        made = subprocess.run(
            ["podman", "run", "--rm", "--interactive", *self.stack.options("lrs", LRS_IMAGE),
             "python", "-m", "kompetenslyft_lrs", "add-user", "--username", "kompetenslyft",
             "--mbox", "mailto:it@umea.example"],
            input=password + "\n", capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if made.returncode != 0:
            raise Failed(f"add-user exited {made.returncode}: {made.stderr[-2000:]}")
        container = self.stack.start("lrs", LRS_IMAGE, replace={"8100": str(port)})
        auth = ("kompetenslyft", password)
        xapi = {"X-Experience-API-Version": "1.0.3"}
        wait_for(lambda: http("GET", f"{self.lrs_url}/__heartbeat__")[0] == 200, "LRS", container)
        batches = [[statement(), statement()], [statement(), statement(), statement()]]
        answers = [http("POST", f"{self.lrs_url}/xAPI/statements", batch, auth, xapi)
                   for batch in batches]  # fmt: skip
        if [status for status, _ in answers] != [200, 200]:
            raise Failed(f"the LRS answered {answers}")
        status, read = http("GET", f"{self.lrs_url}/xAPI/statements?limit=100", None, auth, xapi)
        stored = {s["id"] for s in read["statements"]} if status == 200 else set()
        sent = {s["id"] for batch in batches for s in batch}
        if stored != sent:
            raise Failed(f"sent {len(sent)} statements in 2 batches, the LRS holds {len(stored)}")
        return f"2 batches POSTed, 200 each; all {len(sent)} statements read back"

    def forwarding(self) -> str:
        """README's steps: an organisation, its LRS; the scheduler forwards in batches of 2."""
        web = self.stack.name("web")
        exec_in(web, "kompetenslyft", "platform", "invite", "--organisation", "umea",
                "--organisation-name", "Umeå kommun")  # fmt: skip
        exec_in(web, "kompetenslyft", "xapi", "lrs", "set", "--organisation", "umea",
                "--endpoint", f"{self.lrs_url}/xAPI/", "--username", "kompetenslyft",
                "--password-stdin", "--batch-size", "2",
                stdin=self.lrs_password + "\n")  # fmt: skip
        made = [statement() for _ in range(5)]
        # As the app records a learner's statements: each queued for the organisation's LRS.
        exec_in(web, "python", "-c", RECORD_STATEMENTS, stdin=json.dumps(made))
        auth, xapi = ("kompetenslyft", self.lrs_password), {"X-Experience-API-Version": "1.0.3"}

        def held():
            status, read = http(
                "GET", f"{self.lrs_url}/xAPI/statements?limit=100", None, auth, xapi
            )
            return status == 200 and {s["id"] for s in made} <= {
                s["id"] for s in read["statements"]
            }

        wait_for(held, "the 5 statements in the LRS", self.stack.name("scheduler"))
        posts = container_log(self.stack.name("lrs")).count('"POST /xAPI/statements')
        if posts < 2 + 3:
            raise Failed(f"the LRS saw {posts} POSTs: 2 of this test and at least 3 batches of 2")
        return f"5 statements recorded, all in the LRS; {posts - 2} POSTs from the scheduler"

    def stops_cleanly(self) -> str:
        codes, unclean = {}, {}
        for service in ("web", "scheduler", "lrs"):
            container = self.stack.name(service)
            grace = str(self.stack.services[service].get("stop_grace_period", "10s"))
            podman("stop", "--time", grace.removesuffix("s"), container)
            codes[service] = podman("inspect", "--format", "{{.State.ExitCode}}", container).strip()
            # uvicorn (the LRS) finishes its requests, then exits with the signal's status
            # (128 + SIGTERM) as it has since 0.29; it says so in its last line.
            finished = "Finished server process" in container_log(container)
            if not (codes[service] == "0" or (codes[service] == "143" and finished)):
                unclean[service] = codes[service]
        if unclean:
            raise Failed(f"exit codes after SIGTERM: {codes}")
        return f"exit codes after SIGTERM: {codes} (uvicorn: 'Finished server process')"

    def clean_up(self) -> None:
        if self.stack is not None:
            self.stack.remove()
        for volume in self.volumes.values():
            podman("volume", "rm", "--force", volume, check=False)
        try:
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        except psycopg.Error as error:
            print(f"could not drop {self.database}: {error}")

    def main(self) -> int:
        started = time.monotonic()
        podman_environment(self.folder)
        try:
            built = (
                self.check("the base image: Debian bookworm from Debian's packages",
                           lambda: make_base_image(self.folder))
                and self.check("the tool's image builds from docker/Dockerfile",
                               lambda: build("docker/Dockerfile", TOOL_IMAGE))
                and self.check("the LRS image builds from docker/lrs/Dockerfile",
                               lambda: build("docker/lrs/Dockerfile", LRS_IMAGE))
                and self.check("a new database and compose's volumes", self.create_database)
            )  # fmt: skip
            if built and self.check("migrate runs to completion first", self.migrate):
                self.check("web starts with only the documented settings and is ready", self.web)
                self.check("web runs in production mode from the installed package",
                           self.production_mode)  # fmt: skip
                self.check("the image's health check passes", self.health_check)
                self.check("the scheduler runs its jobs", self.scheduler)
                if self.check("the LRS compose ships keeps every batch", self.lrs):
                    self.check("the scheduler forwards statements to it in batches",
                               self.forwarding)  # fmt: skip
                self.check("no service runs as root; root filesystems are read-only",
                           self.unprivileged_and_read_only)  # fmt: skip
                self.check("every service stops cleanly on SIGTERM", self.stops_cleanly)
        finally:
            self.clean_up()
        failed = [name for name, failure in self.results if failure]
        print(f"\nmake image-test took {time.monotonic() - started:.0f} s")
        for name in failed:
            print(f"failed: {name}")
        print(f"image-test: {len(self.results) - len(failed)} passed, {len(failed)} failed")
        return 1 if failed else 0


RECORD_STATEMENTS = """
import json, sys
from sqlalchemy import select
from config import load_settings
from storage import Database, Organisation
from xapi.record import record_json

database = Database(load_settings().database_url)
with database.transaction() as session:
    organisation = session.scalars(select(Organisation).where(Organisation.slug == "umea")).one()
    for statement in json.load(sys.stdin):
        record_json(session, statement, organisation.id)
"""


def statement() -> dict:
    """A small valid xAPI statement (the shape the tool forwards)."""
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent",
                  "account": {"homePage": "https://kompetenslyft.example.se", "name": "p-1"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": {"objectType": "Activity",
                   "id": "https://kompetenslyft.example.se/xapi/activities/question/1.1"},
        "timestamp": "2026-11-30T08:15:00+00:00",
    }  # fmt: skip


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="kl-image-test-") as folder:
        sys.exit(ImageTest(Path(folder)).main())
