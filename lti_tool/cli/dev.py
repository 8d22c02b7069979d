"""`kompetenslyft dev …`: demo and test data, never in production."""

from __future__ import annotations

import click
from sqlalchemy import select

from lti_tool.cli.support import Instance, organisation_by_slug, pass_instance
from storage import PlatformRegistration


@click.group()
def dev() -> None:
    """Demo and test data (never in production)."""


@dev.command("seed-programme")
@click.option(
    "--organisation",
    "organisation_slug",
    default="dev",
    show_default=True,
    help="Organisation slug; `dev` is the built-in dev platform's.",
)
@pass_instance
def dev_seed_programme(instance: Instance, organisation_slug: str) -> None:
    """Create the made-up organisation of 200 people (lti_tool/dev_platform/programme_seed.py)."""
    from lti_tool.dev_platform.platform import ORGANISATION_SLUG, ensure_registered
    from lti_tool.dev_platform.programme_seed import AlreadySeeded, seed_programme

    settings = instance.settings
    if settings.is_production:
        raise click.ClickException("only in development mode (KOMPETENSLYFT_MODE=development)")
    if organisation_slug == ORGANISATION_SLUG:
        with instance.session() as session:
            ensure_registered(session, settings.public_url)
    with instance.transaction() as session:
        organisation = organisation_by_slug(session, organisation_slug)
        registration = session.scalar(
            select(PlatformRegistration)
            .where(PlatformRegistration.organisation_id == organisation.id)
            .order_by(PlatformRegistration.id)
        )
        if registration is None:
            raise click.ClickException(f"{organisation_slug!r} has no learning platform yet")
        try:
            count = seed_programme(session, organisation.id, registration.issuer)
        except AlreadySeeded as error:
            raise click.ClickException(str(error)) from error
    click.echo(f"seeded {count} employees in 3 units into {organisation_slug!r}")
