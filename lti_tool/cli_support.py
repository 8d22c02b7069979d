"""What every `kompetenslyft` command group shares: one transaction per command and the
organisation named by `--organisation`, with an error an operator can act on."""

from __future__ import annotations

from contextlib import contextmanager

import click
from sqlalchemy import select

from config import load_settings
from storage import Database, Organisation


@contextmanager
def transaction():
    database = Database(load_settings().database_url)
    try:
        with database.transaction() as session:
            yield session
    finally:
        database.dispose()


def organisation_by_slug(session, slug: str) -> Organisation:
    organisation = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if organisation is None:
        raise click.ClickException(f"no organisation {slug!r} (see `kompetenslyft platform list`)")
    return organisation
