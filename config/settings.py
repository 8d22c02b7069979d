"""Settings for every process of the tool (web, CLI, scheduler).

Values come from `KOMPETENSLYFT_*` environment variables over an optional TOML
file, over the defaults below.  The defaults make a safe embedded install for a
developer's machine; production mode refuses settings that would be unsafe on a
real network instead of silently running with them.
"""

from __future__ import annotations

import json
import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

ENV_PREFIX = "KOMPETENSLYFT_"
MODES = ("development", "production")
# Secrets that appear in examples and tutorials; production must never run on one.
KNOWN_WEAK_SECRETS = {"", "dev", "development", "secret", "changeme", "change-me", "test"}
MIN_SECRET_LENGTH = 32


class SettingsError(ValueError):
    """A setting is missing, malformed or unsafe; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    mode: str = "production"
    instance_path: Path = Path("instance")
    database_url: str = ""
    secret_key: str = ""
    public_url: str = "http://127.0.0.1:5000"
    dev_platform: bool | None = None
    default_locale: str = "sv"
    proxy_count: int = 0
    jwt_leeway_seconds: int = 10
    max_id_token_bytes: int = 32_768
    login_state_seconds: int = 600
    platform_jwks_max_age_seconds: int = 3600
    platform_jwks_min_refetch_seconds: int = 30
    http_timeout_seconds: float = 5.0
    key_grace_days: int = 14
    # Lets the instance owner sign in to the admin pages and register platforms dynamically.
    admin_secret: str = ""
    scheduler_in_web: bool | None = None
    delivery_interval_seconds: int = 10
    # How long a worker holds claimed deliveries; a worker that dies frees them after this.
    delivery_lease_seconds: int = 300
    # On SQLite the one scheduler instance holds its lease this long, renewed every 5 s.
    scheduler_lease_seconds: int = 30
    # Retention in days (0: kept for good), applied nightly (storage.retention): raw answers
    # of submitted attempts (their computed levels stay), launches with the platform's
    # claims, spent login nonces, job runs, delivered outbox payloads, audit events.
    retention_answers_days: int = 365
    retention_launches_days: int = 365
    retention_login_nonces_days: int = 1
    retention_job_runs_days: int = 14
    retention_delivered_days: int = 90
    retention_audit_days: int = 730
    # A staff list that would end more than this share (percent) of the organisation's
    # current employments is refused by the nightly HR poll and needs an explicit
    # confirmation on the command line (--allow-mass-ending) and the organisation page.
    # An empty list always needs it.  0: every ending needs it; 100: only an empty list.
    hr_max_ending_percent: int = 10
    # Per-job overrides of sync.scheduler's job table: {"hr-poll": {"hour": 4}, ...}.
    jobs: dict = field(default_factory=dict, hash=False)
    # A launch's session ends after this long without a request (a person reading one item
    # for a while, or taking a short meeting mid-assessment, keeps it) ...
    session_idle_minutes: int = 120
    # ... and this long after the launch however active (a working day; a session found on a
    # shared computer the next morning is dead).  Either way: launch again from Moodle.
    session_absolute_hours: int = 8
    # Requests per client and minute (0: unlimited).  Login and launch count per IP address:
    # a whole administration (~1,000 people) behind one NAT launching the same morning is
    # ~100 a minute on average; 600 allows a burst six times that.  The Statement API counts
    # per credential: a BI tool paging through a year of statements stays well below 300.
    rate_limit_login_per_minute: int = 600
    rate_limit_launch_per_minute: int = 600
    rate_limit_statement_api_per_minute: int = 300
    # Bearer token for GET /metrics (Prometheus); empty: /metrics does not exist (404).
    metrics_token: str = ""
    # "json" (one object per line on stderr) or "console" (for people); empty: json in
    # production, console in development.
    log_format: str = ""
    log_level: str = "INFO"
    # Where the secret key came from: "configured" or "generated"; production needs the former.
    secret_key_source: str = field(default="configured", compare=False)

    @property
    def is_production(self) -> bool:
        return self.mode == "production"

    @property
    def dev_platform_enabled(self) -> bool:
        return (not self.is_production) if self.dev_platform is None else self.dev_platform

    @property
    def runs_scheduler_in_web(self) -> bool:
        """The embedded default runs jobs inside the web process; production runs them apart."""
        return (not self.is_production) if self.scheduler_in_web is None else self.scheduler_in_web

    @property
    def logs_json(self) -> bool:
        return self.log_format == "json" or (not self.log_format and self.is_production)

    @property
    def uses_https(self) -> bool:
        return urlsplit(self.public_url).scheme == "https"

    def unsafe_for_production(self) -> list[str]:
        """Reasons this configuration must not serve real people; empty when it may."""
        if not self.is_production:
            return []
        reasons = []
        if self.dev_platform_enabled:
            reasons.append(
                "the built-in dev platform is enabled (set KOMPETENSLYFT_DEV_PLATFORM=false)"
            )
        if self.secret_key_source != "configured":
            reasons.append("no secret key is configured (set KOMPETENSLYFT_SECRET_KEY)")
        elif (
            self.secret_key.lower() in KNOWN_WEAK_SECRETS
            or len(self.secret_key) < MIN_SECRET_LENGTH
        ):
            reasons.append(
                f"the secret key is a default or shorter than {MIN_SECRET_LENGTH} characters"
            )
        if self.metrics_token and len(self.metrics_token) < MIN_SECRET_LENGTH:
            reasons.append(f"the metrics token is shorter than {MIN_SECRET_LENGTH} characters")
        if self.admin_secret and len(self.admin_secret) < MIN_SECRET_LENGTH:
            reasons.append(f"the admin secret is shorter than {MIN_SECRET_LENGTH} characters")
        if not self.uses_https:
            reasons.append(
                f"the public URL {self.public_url!r} is not https (set KOMPETENSLYFT_PUBLIC_URL)"
            )
        return reasons


def load_settings(
    environ: dict[str, str] | None = None, overrides: dict[str, object] | None = None
) -> Settings:
    """Read settings: defaults, then the TOML file, then the environment, then overrides."""
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, object] = {}
    config_file = environ.get(ENV_PREFIX + "CONFIG")
    if config_file:
        values.update(_read_toml(Path(config_file)))
    known = {f.name: f for f in fields(Settings) if f.name != "secret_key_source"}
    for name in known:
        raw = environ.get(ENV_PREFIX + name.upper())
        if raw is not None:
            values[name] = raw
    values.update(overrides or {})
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
    parsed = {name: _parse(name, known[name].type, value) for name, value in values.items()}
    settings = Settings(**parsed)
    _check(settings)
    return _with_instance_defaults(settings)


def _read_toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as error:
        raise SettingsError(f"configuration file {path} does not exist") from error
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"configuration file {path} is not valid TOML: {error}") from error
    section = data.get("kompetenslyft", data)
    if not isinstance(section, dict):
        raise SettingsError(f"configuration file {path}: [kompetenslyft] must be a table")
    return dict(section)


def _parse(name: str, annotation: str, value: object) -> object:
    try:
        if "bool" in annotation:
            return _parse_bool(value)
        if annotation == "int":
            return int(value)  # type: ignore[call-overload]
        if annotation == "float":
            return float(value)  # type: ignore[arg-type]
        if annotation == "dict":
            return _parse_jobs(value)
        if annotation == "Path":
            return Path(str(value))
        return str(value)
    except (TypeError, ValueError) as error:
        raise SettingsError(f"setting {name}: cannot read {value!r} ({error})") from error


def _parse_jobs(value: object) -> dict:
    """A TOML table, or JSON in an environment variable: job id -> its overrides."""
    parsed = json.loads(value) if isinstance(value, str) else value
    if not isinstance(parsed, dict) or not all(isinstance(v, dict) for v in parsed.values()):
        raise ValueError("expected a table of job id -> settings")
    return parsed


def _parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


def _check(settings: Settings) -> None:
    if settings.mode not in MODES:
        raise SettingsError(f"mode must be one of {', '.join(MODES)}, not {settings.mode!r}")
    url = urlsplit(settings.public_url)
    if url.scheme not in {"http", "https"} or not url.netloc:
        raise SettingsError(f"public_url must be an absolute http(s) URL: {settings.public_url!r}")
    if settings.default_locale not in {"sv", "en"}:
        raise SettingsError("default_locale must be sv or en")
    for name in (
        "jwt_leeway_seconds",
        "max_id_token_bytes",
        "login_state_seconds",
        "session_idle_minutes",
        "session_absolute_hours",
    ):
        if getattr(settings, name) <= 0:
            raise SettingsError(f"{name} must be positive")
    for name in (
        "rate_limit_login_per_minute",
        "rate_limit_launch_per_minute",
        "rate_limit_statement_api_per_minute",
    ):
        if getattr(settings, name) < 0:
            raise SettingsError(f"{name} must be 0 (unlimited) or more")
    if not 0 <= settings.hr_max_ending_percent <= 100:
        raise SettingsError("hr_max_ending_percent must be a percentage from 0 to 100")
    if settings.log_format not in {"", "json", "console"}:
        raise SettingsError("log_format must be json or console")
    if settings.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError("log_level must be DEBUG, INFO, WARNING or ERROR")
    for name in (f.name for f in fields(Settings) if f.name.startswith("retention_")):
        if getattr(settings, name) < 0:
            raise SettingsError(f"{name} must be 0 (keep for good) or a number of days")


def _with_instance_defaults(settings: Settings) -> Settings:
    """Fill in what the embedded default keeps in the instance folder."""
    changes: dict[str, object] = {"instance_path": settings.instance_path.resolve()}
    if not settings.database_url:
        database = settings.instance_path.resolve() / "kompetenslyft.sqlite3"
        changes["database_url"] = f"sqlite:///{database}"
    if not settings.secret_key and not settings.is_production:
        changes["secret_key"] = _instance_secret(settings.instance_path.resolve())
        changes["secret_key_source"] = "generated"
    elif not settings.secret_key:
        changes["secret_key_source"] = "missing"
    values = {f.name: getattr(settings, f.name) for f in fields(Settings)}
    values.update(changes)
    return Settings(**values)


def _instance_secret(instance_path: Path) -> str:
    """A random secret made once per instance folder, so sessions survive restarts."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret)
    return secret
