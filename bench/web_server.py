"""The web bench's world: its parameters, the platform that signs the launches (its JWKS served
on loopback), and the tool under gunicorn in production mode on a free loopback port
(bench/web.py measures it)."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from lti import claims as c
from lti.tool_keys import ensure_keys
from storage import Database, Deployment, Organisation, PlatformRegistration
from tests.support.servers import JsonServer

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_HOST = "kompetenslyft.bench.invalid"
ISSUER = "https://moodle.bench.invalid"
CLIENT_ID = "bench-client"
DEPLOYMENT_ID = "1"
COURSES = 4
INSTRUMENT = "digcomp-2.2-full"  # what a link without settings opens

# gthread: a worker thread waits on PostgreSQL while another one runs Python, and kept-alive
# connections spare a TCP handshake per request; measured against sync in the report.
WORKER_CLASS = "gthread"
THREADS = 4
STEP_SECONDS = 20.0
LAUNCH_CONCURRENCY = (1, 8, 32, 64)
ANSWER_CONCURRENCY = (8, 32)
MEMORY_LAUNCHES = 10_000  # since warm-up, counting the launch steps' own
MEMORY_SECONDS = 600.0  # the most the launches still missing for that may take

TARGET_LAUNCH_RATE = 400.0  # launches/s at 32 concurrent, PostgreSQL
TARGET_LAUNCH_P95 = 50.0  # ms
TARGET_ANSWER_RATE = 1500.0  # saves/s
TARGET_ANSWER_P95 = 20.0  # ms
TARGET_WORKER_RSS = 120.0  # MB

DATABASE_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


@dataclass(frozen=True)
class Sizes:
    warmup: int
    launches: int  # per concurrency step (or STEP_SECONDS, whichever first)
    answer_users: int
    answers: int  # per concurrency step
    memory_launches: int
    launch_concurrency: tuple[int, ...]
    answer_concurrency: tuple[int, ...]
    step_seconds: float

    @classmethod
    def of(cls, quick: bool) -> Sizes:
        if quick:
            return cls(20, 50, 8, 200, 100, (1, 8), (8,), 10.0)
        return cls(
            300, 8000, 64, 30_000, MEMORY_LAUNCHES, LAUNCH_CONCURRENCY, ANSWER_CONCURRENCY,
            STEP_SECONDS,
        )  # fmt: skip


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


class Platform:
    """The bench's LTI platform: one RS256 key, a JWKS on loopback, pre-serialised claims."""

    def __init__(self, jwks: JsonServer) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "bench-key-1"
        numbers = self.key.public_key().public_numbers()
        public = {
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self.kid,
            "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")).decode(),
            "e": _b64(numbers.e.to_bytes(3, "big")).decode(),
        }
        jwks.documents["/bench/jwks"] = lambda: {"keys": [public]}
        self.jwks_url = jwks.url + "/bench/jwks"
        self._header = _b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": self.kid}).encode())
        self.run = secrets.token_hex(4)

    def register(self, database: Database) -> None:
        with database.transaction() as session:
            ensure_keys(session)
            session.add(
                PlatformRegistration(
                    organisation=Organisation(slug="bench", name="Benchkommunen"),
                    issuer=ISSUER,
                    client_id=CLIENT_ID,
                    auth_login_url=ISSUER + "/mod/lti/auth.php",
                    auth_token_url=ISSUER + "/mod/lti/token.php",
                    key_set_url=self.jwks_url,
                    deployments=[Deployment(deployment_id=DEPLOYMENT_ID)],
                )
            )

    def claims_prefix(self, number: int) -> str:
        """Everything of launch `number`'s id_token but nonce, iat and exp, as JSON text
        without its closing brace: a new person (sub) in one of COURSES courses."""
        course = number % COURSES
        body = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": f"bench-{self.run}-{number}",
            "name": f"Person {number}",
            "given_name": "Person",
            "family_name": str(number),
            "email": f"person{number}@bench.invalid",
            c.MESSAGE_TYPE: c.RESOURCE_LINK_REQUEST,
            c.VERSION: "1.3.0",
            c.DEPLOYMENT_ID: DEPLOYMENT_ID,
            c.TARGET_LINK_URI: f"https://{PUBLIC_HOST}/lti/launch",
            c.ROLES: ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
            c.CONTEXT: {"id": f"course-{course}", "label": f"DIGI{course}", "title": "Digitalt"},
            c.RESOURCE_LINK: {"id": f"link-{course}", "title": "Självskattning"},
            c.LAUNCH_PRESENTATION: {"locale": "sv-SE", "document_target": "iframe"},
        }
        return json.dumps(body, separators=(",", ":"))[:-1]

    def sign(self, prefix: str, nonce: str) -> str:
        now = int(time.time())
        # The nonce is the tool's URL-safe token: nothing in it needs JSON escaping.
        body = f'{prefix},"nonce":"{nonce}","iat":{now},"exp":{now + 60}}}'
        signing_input = self._header + b"." + _b64(body.encode())
        signature = self.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return (signing_input + b"." + _b64(signature)).decode()


class Server:
    """The tool under gunicorn on a free loopback port, in production mode."""

    def __init__(
        self,
        database_url: str,
        work: Path,
        *,
        workers: int,
        worker_class: str,
        threads: int,
        profile_to: Path | None = None,
    ) -> None:
        self.port = _free_port()
        self.work = work
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "KOMPETENSLYFT_MODE": "production",
            "KOMPETENSLYFT_DATABASE_URL": database_url,
            "KOMPETENSLYFT_SECRET_KEY": secrets.token_urlsafe(48),
            "KOMPETENSLYFT_PUBLIC_URL": f"https://{PUBLIC_HOST}",
            "KOMPETENSLYFT_PROXY_COUNT": "1",
            "KOMPETENSLYFT_INSTANCE_PATH": str(work / "instance"),
            "KOMPETENSLYFT_SCHEDULER_IN_WEB": "false",
            "KOMPETENSLYFT_DEV_PLATFORM": "false",
            # Counted as in production (the cost is measured), never reached: one virtual
            # user launches 30 times a second, no person does.
            "KOMPETENSLYFT_RATE_LIMIT_LOGIN_PER_MINUTE": "1000000",
            "KOMPETENSLYFT_RATE_LIMIT_LAUNCH_PER_MINUTE": "1000000",
        }
        for name in [name for name in env if name.startswith("KOMPETENSLYFT_CONFIG")]:
            del env[name]
        command = [
            sys.executable, "-m", "gunicorn",
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(workers),
            "--worker-class", worker_class,
            "--log-level", "warning",
            "--no-control-socket",
            "--worker-tmp-dir", str(work),
            # A profiled worker writes its profile at exit: that may take a while.
            "--graceful-timeout", "10" if profile_to is None else "180",
        ]  # fmt: skip
        if worker_class == "gthread":
            command += ["--threads", str(threads)]
        if profile_to is not None:
            env["KOMPETENSLYFT_BENCH_PROFILE"] = str(profile_to)
            command += ["--config", str(ROOT / "bench" / "gunicorn_profile.py")]
        command.append("lti_tool:create_app()")
        self.log = (work / "gunicorn.log").open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self._log_tail()}")
            with (
                contextlib.suppress(OSError),  # not listening yet
                socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock,
            ):
                sock.sendall(b"GET /readyz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                if sock.recv(64).split(b" ", 2)[1:2] == [b"200"]:
                    return
            time.sleep(0.2)
        tail = self._log_tail()
        self.stop()
        raise RuntimeError(f"gunicorn did not answer in {timeout} s: {tail}")

    def _log_tail(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return (self.work / "gunicorn.log").read_text(errors="replace")[-2000:]

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return sorted(int(pid) for pid in children.read_text().split())

    def rss_mb(self) -> dict[int, float]:
        return {pid: _vm_rss_kb(pid) / 1024 for pid in self.workers()}

    def cpu_seconds(self) -> float:
        """User + system CPU of the workers so far (not PostgreSQL's, not the master's)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in self.workers():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / ticks
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=200)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def _vm_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
