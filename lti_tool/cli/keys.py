"""`kompetenslyft keys …`: the tool's signing keys."""

from __future__ import annotations

import click
from sqlalchemy import select

from lti.tool_keys import rotate_keys
from lti_tool.cli.support import Instance, pass_instance
from storage import KeyState, ToolKey


@click.group()
def keys() -> None:
    """The tool's signing keys."""


@keys.command("rotate")
@pass_instance
def keys_rotate(instance: Instance) -> None:
    """Activate the published next key, retire the active one, publish a new next key."""
    with instance.transaction() as session:
        key = rotate_keys(session)
        click.echo(f"active key is now {key.kid}")


@keys.command("list")
@pass_instance
def keys_list(instance: Instance) -> None:
    with instance.transaction() as session:
        for key in session.scalars(select(ToolKey).order_by(ToolKey.created_at)):
            retired = (
                f" retired {key.retired_at:%Y-%m-%d %H:%M}" if key.state is KeyState.RETIRED else ""
            )
            click.echo(f"{key.kid}\t{key.state.value}{retired}")
