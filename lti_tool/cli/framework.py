"""`kompetenslyft framework …`: an organisation's own competence frameworks, in and out."""

from __future__ import annotations

from pathlib import Path

import click

from competence import framework_io
from competence.texts import DocumentError
from lti_tool.cli.support import Instance, organisation_by_slug, pass_instance, refuse_large
from storage.frameworks import AlreadyStored, find_framework, save_framework


@click.group()
def framework() -> None:
    """Competence frameworks: import an organisation's own, export any as JSON or Moodle CSV."""


@framework.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--organisation", "organisation_slug", required=True)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["json", "moodle-csv"]),
    default=None,
    help="Default: from the file name (.json or .csv).",
)
@click.option(
    "--language",
    type=click.Choice(["sv", "en"]),
    default="sv",
    help="Language of the texts in a Moodle CSV.",
)
@click.option("--id", "framework_id", default=None, help="Framework id for a Moodle CSV.")
@pass_instance
def framework_import(
    instance: Instance, path, organisation_slug, file_format, language, framework_id
) -> None:
    """Import a framework; a file with any bad row is refused whole, every problem listed."""
    file_format = file_format or ("json" if path.suffix.lower() == ".json" else "moodle-csv")
    refuse_large(path)
    content = path.read_bytes()
    try:
        parsed = (
            framework_io.framework_from_json(content)
            if file_format == "json"
            else framework_io.framework_from_moodle_csv(
                content, framework_id=framework_id, language=language
            )
        )
    except framework_io.ImportRejected as rejected:
        for error in rejected.errors:
            click.echo(f"{path.name}: {error}", err=True)
        raise click.ClickException(
            f"nothing imported: {len(rejected.errors)} problem(s)"
        ) from rejected
    except DocumentError as error:
        raise click.ClickException(f"nothing imported: {error}") from error
    with instance.transaction() as session:
        organisation = organisation_by_slug(session, organisation_slug)
        try:
            save_framework(session, organisation.id, parsed)
        except AlreadyStored as error:
            raise click.ClickException(
                f"already imported: {error}; give it a new version"
            ) from error
    click.echo(
        f"imported {parsed.id} version {parsed.version}: {len(parsed.areas)} areas, "
        f"{len(parsed.competences)} competences"
    )


@framework.command("export")
@click.argument("key")
@click.option("--organisation", "organisation_slug", default=None)
@click.option("--format", "file_format", type=click.Choice(["json", "moodle-csv"]), default="json")
@click.option("--language", type=click.Choice(["sv", "en"]), default="sv")
@pass_instance
def framework_export(instance: Instance, key, organisation_slug, file_format, language) -> None:
    """Write a framework to standard output (Moodle CSV for tool_lpimportcsv)."""
    with instance.transaction() as session:
        organisation_id = (
            organisation_by_slug(session, organisation_slug).id if organisation_slug else None
        )
        found = find_framework(session, key, organisation_id)
    if found is None:
        raise click.ClickException(f"no framework {key!r}")
    if file_format == "json":
        click.echo(framework_io.framework_to_json(found), nl=False)
    else:
        click.echo(framework_io.framework_to_moodle_csv(found, language=language), nl=False)
