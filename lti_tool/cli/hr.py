"""`kompetenslyft hr …`: HR's staff list (storage.staff_import, as the organisation page's
upload and the nightly poll), the HR endpoint and the poll."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select

from competence.staff_list import StaffListRejected
from lti_tool.cli.support import (
    HttpUrl,
    Instance,
    organisation_by_slug,
    pass_instance,
    refuse_large,
)
from storage import HrSource
from storage.lrs import seal
from storage.staff_import import MassEndingRefused, import_staff_list


@click.group()
def hr() -> None:
    """Who is who: HR's staff list (CSV or the JSON contract), its endpoint and the poll."""


PROGRESS_FROM_ROWS = 1000


class _MassEnding(click.ClickException):
    """Refused by the guard: exit code 2, as for a command used wrongly."""

    exit_code = 2


@hr.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--organisation", "organisation_slug", required=True)
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option(
    "--allow-mass-ending",
    is_flag=True,
    help="Apply the list even when it ends more than hr_max_ending_percent (10 %) of the "
    "current employments; an empty list ends everyone and always needs this.",
)
@pass_instance
def hr_import(instance: Instance, path, organisation_slug, dry_run, allow_mass_ending) -> None:
    """Import a staff list (.csv, `;` or `,`, or .json): all or nothing, every bad row listed.

    Whoever is not listed any more is deactivated; moves keep their history."""
    refuse_large(path)
    settings = instance.settings
    database = instance.database
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None and total >= PROGRESS_FROM_ROWS:
            bar = click.progressbar(length=total, label="importing", file=sys.stderr)
        if bar is not None:
            bar.update(done)

    try:
        with database.transaction() as session:
            organisation_id = organisation_by_slug(session, organisation_slug).id
        with path.open("rb") as stream:
            done = import_staff_list(
                database,
                organisation_id,
                path.name,
                stream,
                max_ending_percent=settings.hr_max_ending_percent,
                allow_mass_ending=allow_mass_ending,
                dry_run=dry_run,
                progress=progress,
            )
    except StaffListRejected as rejected:
        for error in rejected.errors:
            click.echo(f"{path.name}: {error}", err=True)
        raise click.ClickException(
            f"nothing imported: {len(rejected.errors)} problem(s)"
        ) from rejected
    except MassEndingRefused as refused:
        raise _MassEnding(
            f"nothing imported: {path.name} would end {refused.ending.ending} of "
            f"{refused.ending.current} current employments ({refused.ending.percent} %), "
            f"more than {refused.max_ending_percent} %. If that is right, run again with "
            "--allow-mass-ending."
        ) from refused
    finally:
        if bar is not None:
            bar.render_finish()
    for kind, count in done.diff.summary().items():
        click.echo(f"{kind.replace('_', ' ')}: {count}")
    if dry_run and done.needs_confirmation:
        click.echo(
            f"note: this list ends {done.ending.ending} of {done.ending.current} current "
            f"employments ({done.ending.percent} %); importing it needs --allow-mass-ending"
        )
    click.echo(
        f"dry run: nothing changed ({done.rows} rows read)"
        if dry_run
        else f"imported {done.rows} rows"
    )


@hr.group("source")
def hr_source() -> None:
    """The organisation's HR endpoint, polled every night for the staff list (JSON)."""


@hr_source.command("set")
@click.option("--organisation", "organisation_slug", required=True)
@click.option(
    "--url",
    required=True,
    type=HttpUrl(credentials_in="--token-stdin"),
    help='GET answers {"employees": [...]} (see README).',
)
@click.option(
    "--token-stdin", is_flag=True, help="Read a bearer token from standard input (stored sealed)."
)
@click.option("--enable/--disable", default=None)
@pass_instance
def hr_source_set(instance: Instance, organisation_slug, url, token_stdin, enable) -> None:
    """Set the HR endpoint the nightly job polls."""
    token = sys.stdin.readline().strip() if token_stdin else None
    settings = instance.settings
    with instance.transaction() as session:
        organisation = organisation_by_slug(session, organisation_slug)
        source = session.scalar(select(HrSource).where(HrSource.organisation_id == organisation.id))
        if source is None:
            source = HrSource(organisation_id=organisation.id, url=url, enabled=True)
            session.add(source)
        source.url = url
        if token:
            source.sealed_token = seal(settings.secret_key, token)
        if enable is not None:
            source.enabled = enable
        session.flush()
        state = "enabled" if source.enabled else "disabled"
        sealed = "a token (stored sealed)" if source.sealed_token else "no token"
    click.echo(f"{organisation_slug}: HR source {url}, {sealed}, {state}")


@hr.command("poll")
@click.option("--organisation", "organisation_slug", default=None)
@pass_instance
def hr_poll(instance: Instance, organisation_slug) -> None:
    """Poll the enabled HR endpoints now (the scheduler does it every night)."""
    from outbound.http_client import make_http_session
    from sync.hr_polling import poll_hr_sources

    settings = instance.settings
    organisation_id = None
    if organisation_slug:
        with instance.transaction() as session:
            organisation_id = organisation_by_slug(session, organisation_slug).id
    http = make_http_session(timeout=settings.http_timeout_seconds)
    results = poll_hr_sources(
        instance.database,
        http,
        settings.secret_key,
        organisation_id,
        max_ending_percent=settings.hr_max_ending_percent,
    )
    if not results:
        raise click.ClickException("no enabled HR source to poll")
    failed = False
    for result in results:
        if result.error:
            failed = True
            click.echo(f"{result.url}: {result.error}", err=True)
        else:
            summary = ", ".join(f"{k} {v}" for k, v in result.diff.summary().items())
            click.echo(f"{result.url}: {summary}")
    if failed:
        sys.exit(1)
