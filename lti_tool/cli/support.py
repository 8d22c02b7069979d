"""What every `kompetenslyft` command group shares: the instance it works on (settings read
once, one database), the organisation named by `--organisation`, the one rule for a URL
option, and the refusals of a file before it is read."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from competence.strict_csv import too_large
from config import Settings
from storage import Database, Organisation


class Instance:
    """The instance a command works on, made once by the root group and passed on in
    click's context object: its settings, and one database (one engine, one connection
    pool) opened when a command first needs it and disposed when the command ends.

    Before, each command read the settings again and each transaction built an engine
    of its own (38 places in the command modules)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._database: Database | None = None

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database(self.settings.database_url)
        return self._database

    @contextmanager
    def transaction(self):
        """A session committed when the block ends, rolled back if it raises."""
        with self.database.transaction() as session:
            yield session

    def session(self) -> Session:
        """A session for a function that owns its transaction (it commits itself)."""
        return self.database.sessions()

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()
            self._database = None


pass_instance = click.make_pass_decorator(Instance)


def organisation_by_slug(session, slug: str) -> Organisation:
    organisation = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if organisation is None:
        raise click.ClickException(f"no organisation {slug!r} (see `kompetenslyft platform list`)")
    return organisation


class HttpUrl(click.ParamType):
    """An option that must be an absolute http(s) URL with a host, and no user name or
    password in it (they would be stored and shown in plain text).

    The one rule for every URL option (the LMS's endpoints, the LRS, the HR endpoint, the
    sync targets); `refusal` and `credentials_in` keep the words each command used before.
    """

    name = "text"  # the help shows `--url TEXT`, as before the type

    def __init__(
        self,
        *,
        refusal: str = "must be an http(s) URL",
        credentials_in: str | None = None,
    ) -> None:
        self.refusal = refusal
        self.credentials_in = credentials_in

    def convert(self, value, param, ctx) -> str:
        problem = url_problem(value, self.refusal, self.credentials_in)
        if problem:
            self.fail(problem, param, ctx)
        return value


def url_problem(value: object, refusal: str, credentials_in: str | None) -> str | None:
    """What is wrong with `value` as a URL option, or None (see HttpUrl)."""
    if not isinstance(value, str):
        return refusal.format(url=value)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (a port that is not a number raises ValueError)
    except ValueError:
        return refusal.format(url=value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return refusal.format(url=value)
    if parts.username is not None or parts.password is not None:
        if credentials_in is None:
            return "the URL must not hold a user name or password"
        return f"put credentials in {credentials_in}, not in the URL"
    return None


def refuse_large(path: Path) -> None:
    """A file over the import limit is refused before a byte of it is read."""
    refused = too_large(path.stat().st_size)
    if refused is not None:
        raise click.ClickException(f"nothing imported: {path.name}: {refused}")


def read_json(path: Path) -> object:
    """A JSON file as spreadsheet tools save it (a UTF-8 BOM is fine), or a clear refusal."""
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{path.name} is not valid JSON: {error}") from error
