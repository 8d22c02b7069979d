"""`kompetenslyft instrument …`: instruments over an organisation's own frameworks."""

from __future__ import annotations

from pathlib import Path

import click

from competence.texts import DocumentError
from lti_tool.cli.support import Instance, organisation_by_slug, pass_instance, read_json
from storage.frameworks import AlreadyStored, save_instrument


@click.group()
def instrument() -> None:
    """Instruments over an organisation's own frameworks (e.g. per work system)."""


@instrument.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--organisation", "organisation_slug", required=True)
@pass_instance
def instrument_import(instance: Instance, path, organisation_slug) -> None:
    """Import an instrument; course links choose it with the custom parameter instrument=<id>."""
    document = read_json(path)
    with instance.transaction() as session:
        organisation = organisation_by_slug(session, organisation_slug)
        try:
            row = save_instrument(session, organisation.id, document)
        except (DocumentError, AlreadyStored) as error:
            raise click.ClickException(f"nothing imported: {error}") from error
        click.echo(f"imported instrument {row.key} version {row.version}")
