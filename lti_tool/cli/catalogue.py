"""`kompetenslyft catalogue …`: an organisation's learning-activity catalogue."""

from __future__ import annotations

from pathlib import Path

import click

from competence import catalogue as catalogue_rows
from lti_tool.cli.support import Instance, organisation_by_slug, pass_instance, refuse_large
from storage.catalogue import import_entries
from storage.frameworks import find_framework


@click.group()
def catalogue() -> None:
    """The learning-activity catalogue: an organisation's own courses, self-study and more."""


@catalogue.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--organisation", "organisation_slug", required=True)
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change.")
@pass_instance
def catalogue_import(instance: Instance, path, organisation_slug, dry_run) -> None:
    """Add or update activities from a CSV file (columns: see competence/catalogue.py); all
    or nothing.  An activity already there (same id, else link, else title) is updated."""
    refuse_large(path)
    with instance.transaction() as session:
        organisation = organisation_by_slug(session, organisation_slug)
        try:
            with path.open("rb") as stream:
                entries = catalogue_rows.entries_from_csv(
                    stream, lambda key: find_framework(session, key, organisation.id)
                )
        except catalogue_rows.Rejected as rejected:
            for problem in rejected.problems:
                click.echo(f"{path.name}: {catalogue_rows.describe(problem)}", err=True)
            raise click.ClickException(
                f"nothing imported: {len(rejected.problems)} problem(s)"
            ) from rejected
        done = import_entries(session, organisation.id, entries, dry_run=dry_run)
        if dry_run:
            for entry in entries:
                click.echo(f"would import: {entry.title} ({entry.kind})")
            click.echo(
                f"dry run: {len(entries)} activities would be imported ({done.added} new, "
                f"{done.updated} updated); nothing changed"
            )
            return
    click.echo(f"imported {len(entries)} activities: {done.added} added, {done.updated} updated")
