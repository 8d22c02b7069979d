"""`kompetenslyft db …`: the database schema."""

from __future__ import annotations

import click

from lti.tool_keys import ensure_keys
from lti_tool.cli.support import Instance, pass_instance
from storage import migrate


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
@pass_instance
def db_upgrade(instance: Instance, revision: str) -> None:
    """Migrate the database to REVISION (default: the newest) and make sure keys exist."""
    settings = instance.settings
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url, revision)
    if revision == "head":
        with instance.transaction() as session:
            ensure_keys(session)
    click.echo(
        f"database at revision {migrate.head_revision() if revision == 'head' else revision}"
    )


@db.command("downgrade")
@click.argument("revision")
@pass_instance
def db_downgrade(instance: Instance, revision: str) -> None:
    """Migrate the database back to REVISION ('base' removes every table)."""
    migrate.downgrade(instance.settings.database_url, revision)
    click.echo(f"database at revision {revision}")
