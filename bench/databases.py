"""Fresh databases for the benches: a new PostgreSQL database (created, migrated, dropped
afterwards) or a new SQLite file, so a figure never depends on what an earlier run left."""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

from storage import migrate


@contextlib.contextmanager
def fresh_database(kind: str, admin_url: str) -> Iterator[str]:
    """Yields the SQLAlchemy URL of a new, migrated database of `kind` ("postgresql" or
    "sqlite"); removes it afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-") as folder:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            migrate.upgrade(url)
            yield url
        return
    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    url = f"{base}/{name}"
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
