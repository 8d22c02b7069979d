"""`kompetenslyft platform …`: the learning platforms' registrations, and invitations to
register one (the rules are lti.platforms' and lti.registration_invitations', the same
as the registration and admin pages')."""

from __future__ import annotations

import click
from sqlalchemy import select

from lti.platforms import (
    NewOrganisation,
    PlatformEndpoints,
    RegisteredElsewhere,
    register_platform,
)
from lti.registration_invitations import invitation_url, invite_platform
from lti_tool.cli.support import HttpUrl, Instance, pass_instance
from storage import Organisation, PlatformRegistration
from storage.organisations import OrganisationRefused

PLATFORM_URL = HttpUrl(refusal="{url!r} is not an http(s) URL")


@click.group()
def platform() -> None:
    """LTI platform registrations (one per Moodle site and tool entry)."""


@platform.command("add")
@click.option("--organisation", "organisation_slug", required=True, help="Organisation slug.")
@click.option("--organisation-name", help="Name, when the organisation is new.")
@click.option("--name", default="", help="A label for people, e.g. 'Moodle, Umeå kommun'.")
@click.option("--issuer", required=True, type=PLATFORM_URL)
@click.option("--client-id", required=True)
@click.option("--auth-login-url", required=True, type=PLATFORM_URL)
@click.option("--auth-token-url", required=True, type=PLATFORM_URL)
@click.option("--jwks-url", required=True, type=PLATFORM_URL)
@click.option("--audience", default=None, help="Token endpoint audience, if not its URL.")
@click.option("--deployment", "deployments", multiple=True, required=True)
@pass_instance
def platform_add(
    instance: Instance,
    organisation_slug,
    organisation_name,
    name,
    issuer,
    client_id,
    auth_login_url,
    auth_token_url,
    jwks_url,
    audience,
    deployments,
) -> None:
    """Register a platform, or add deployments to one already registered."""
    endpoints = PlatformEndpoints(
        issuer=issuer,
        client_id=client_id,
        auth_login_url=auth_login_url,
        auth_token_url=auth_token_url,
        key_set_url=jwks_url,
        auth_audience=audience,
        name=name,
    )
    with instance.session() as session:
        organisation = _organisation_or_none(session, organisation_slug) or NewOrganisation(
            organisation_name or organisation_slug, organisation_slug
        )
        try:
            saved = register_platform(session, organisation, endpoints, deployments)
        except RegisteredElsewhere as error:
            raise click.ClickException(
                "that issuer and client id belong to another organisation"
            ) from error
        except OrganisationRefused as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"registration {saved.registration.id}: {issuer} {client_id}")


@platform.command("list")
@pass_instance
def platform_list(instance: Instance) -> None:
    """Registrations with their organisation, state and deployments."""
    with instance.transaction() as session:
        rows = session.scalars(select(PlatformRegistration).order_by(PlatformRegistration.id))
        for registration in rows:
            deployments = ",".join(d.deployment_id for d in registration.deployments)
            state = "enabled" if registration.enabled else "disabled"
            click.echo(
                f"{registration.id}\t{registration.organisation.slug}\t{state}\t"
                f"{registration.issuer}\t{registration.client_id}\tdeployments={deployments}"
            )


@platform.command("remove")
@click.argument("registration_id", type=int)
@pass_instance
def platform_remove(instance: Instance, registration_id: int) -> None:
    """Remove a registration and everything learned through it (people stay)."""
    with instance.transaction() as session:
        registration = session.get(PlatformRegistration, registration_id)
        if registration is None:
            raise click.ClickException(f"no registration {registration_id}")
        session.delete(registration)
        click.echo(f"removed registration {registration_id}")


@platform.command("invite")
@click.option("--organisation", "organisation_slug", required=True, help="Organisation slug.")
@click.option("--organisation-name", help="Name, to create the organisation when it is new.")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 90))
@pass_instance
def platform_invite(instance: Instance, organisation_slug, organisation_name, days) -> None:
    """Print a one-time registration link for a Moodle administrator (Manage tools → Tool URL)."""
    with instance.session() as session:
        organisation = _organisation_or_none(session, organisation_slug)
        if organisation is None:
            if not organisation_name:
                raise click.ClickException(
                    f"no organisation {organisation_slug!r}; give --organisation-name to create it"
                )
            organisation = NewOrganisation(organisation_name, organisation_slug)
        try:
            invited = invite_platform(session, organisation, days)
        except OrganisationRefused as error:
            raise click.ClickException(str(error)) from error
        expires = f"{invited.invitation.expires_at:%Y-%m-%d %H:%M} UTC"
    click.echo(invitation_url(instance.settings.public_url, invited.token))
    click.echo(f"for {organisation_slug}, usable once, valid until {expires}", err=True)


def _organisation_or_none(session, slug: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.slug == slug))
