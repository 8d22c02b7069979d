"""`kompetenslyft role-profile …`: target levels per competence for a role."""

from __future__ import annotations

from pathlib import Path

import click

from competence.texts import DocumentError
from lti_tool.cli.support import Instance, organisation_by_slug, pass_instance, read_json
from storage.frameworks import save_role_profile


@click.group("role-profile")
def role_profile() -> None:
    """Role profiles: target levels per competence for a role (yrkesroll)."""


@role_profile.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--organisation", "organisation_slug", required=True)
@pass_instance
def role_profile_import(instance: Instance, path, organisation_slug) -> None:
    """Create or replace role profiles from a JSON file (one profile or a list of them)."""
    documents = read_json(path)
    documents = documents if isinstance(documents, list) else [documents]
    with instance.transaction() as session:
        organisation = organisation_by_slug(session, organisation_slug)
        try:
            profiles = [save_role_profile(session, organisation.id, d) for d in documents]
        except DocumentError as error:
            raise click.ClickException(f"nothing imported: {error}") from error
    click.echo(f"imported {len(profiles)} role profile(s)")
