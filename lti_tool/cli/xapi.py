"""`kompetenslyft xapi …`: the organisation's LRS, who may read its statements at the
embedded Statement API, its statements as NDJSON, and how they name a learner."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

import click

from lti_tool.cli.support import HttpUrl, Instance, organisation_by_slug, pass_instance
from storage.lrs import XAPI_VERSIONS, LrsEndpoint, lrs_of, seal
from storage.organisations import xapi_pseudonym_key
from storage.statements import (
    StatementFilter,
    count_statements,
    create_credential,
    list_credentials,
    remove_credential,
    stream_statements,
)
from sync.xapi_forwarding import backfill as backfill_lrs
from sync.xapi_forwarding import drop_waiting
from sync.xapi_forwarding import resume as resume_forwarding
from xapi.actors import ACTOR_MODES, LTI, PSEUDONYM
from xapi.served import served, tool_authority


@click.group()
def xapi() -> None:
    """xAPI: the organisation's LRS, the embedded Statement API and statement exports."""


@xapi.group()
def lrs() -> None:
    """The organisation's Learning Record Store, where its statements are forwarded."""


@lrs.command("set")
@click.option("--organisation", "organisation_slug", required=True)
@click.option(
    "--endpoint",
    required=True,
    type=HttpUrl(credentials_in="--username/--password-stdin"),
    help="The LRS's xAPI base URL, e.g. https://lrs/xAPI/",
)
@click.option("--username", help="HTTP Basic username (the LRS key).")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password (the LRS secret) from standard input; it is stored encrypted.",
)
@click.option(
    "--credentials-env",
    help="Instead of storing them: an environment variable holding username:password.",
)
@click.option("--version", "xapi_version", type=click.Choice(XAPI_VERSIONS), default=None)
@click.option("--batch-size", type=click.IntRange(1, 2000), default=None)
@click.option("--enable/--disable", default=None)
@pass_instance
def lrs_set(
    instance: Instance,
    organisation_slug,
    endpoint,
    username,
    password_stdin,
    credentials_env,
    xapi_version,
    batch_size,
    enable,
) -> None:
    """Forward the organisation's statements to this LRS (new statements from now on;
    `lrs backfill` queues the ones stored before)."""
    if credentials_env and (username or password_stdin):
        raise click.UsageError("use either --credentials-env or --username/--password-stdin")
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    settings = instance.settings
    with instance.transaction() as session:
        organisation = organisation_by_slug(session, organisation_slug)
        endpoint_row = lrs_of(session, organisation.id)
        if endpoint_row is None:
            endpoint_row = LrsEndpoint(organisation_id=organisation.id, endpoint=endpoint)
            session.add(endpoint_row)
        endpoint_row.endpoint = endpoint
        if credentials_env:
            endpoint_row.credentials_env = credentials_env
            endpoint_row.username = endpoint_row.sealed_password = None
        elif username is not None:
            endpoint_row.credentials_env = None
            endpoint_row.username = username
            if password is not None:
                endpoint_row.sealed_password = seal(settings.secret_key, password)
        if xapi_version:
            endpoint_row.version = xapi_version
        if batch_size:
            endpoint_row.batch_size = batch_size
        if enable is not None:
            endpoint_row.enabled = enable
        session.flush()
        click.echo(_describe_lrs(endpoint_row))


@lrs.command("show")
@click.option("--organisation", "organisation_slug", required=True)
@pass_instance
def lrs_show(instance: Instance, organisation_slug) -> None:
    """The LRS settings and health (never the password)."""
    with instance.transaction() as session:
        endpoint_row = _lrs(session, organisation_slug, "; statements stay in the tool")
        click.echo(_describe_lrs(endpoint_row))


@lrs.command("remove")
@click.option("--organisation", "organisation_slug", required=True)
@pass_instance
def lrs_remove(instance: Instance, organisation_slug) -> None:
    """Stop forwarding; statements not yet sent stay in the tool's store."""
    with instance.transaction() as session:
        endpoint_row = _lrs(session, organisation_slug)
        dropped = drop_waiting(session, endpoint_row)
        session.delete(endpoint_row)
        click.echo(f"LRS removed; {dropped} statement(s) waiting for it were not sent")


@lrs.command("resume")
@click.option("--organisation", "organisation_slug", required=True)
@pass_instance
def lrs_resume(instance: Instance, organisation_slug) -> None:
    """Lift a pause now (after fixing the LRS or its credentials) and send what waits."""
    with instance.transaction() as session:
        endpoint_row = _lrs(session, organisation_slug)
        click.echo(f"{resume_forwarding(session, endpoint_row)} statement(s) due now")


@lrs.command("backfill")
@click.option("--organisation", "organisation_slug", required=True)
@pass_instance
def lrs_backfill(instance: Instance, organisation_slug) -> None:
    """Queue every stored statement this LRS has not been sent (e.g. after adding it)."""
    with instance.transaction() as session:
        endpoint_row = _lrs(session, organisation_slug)
        click.echo(f"{backfill_lrs(session, endpoint_row)} statement(s) queued")


def _lrs(session, organisation_slug: str, more: str = "") -> LrsEndpoint:
    """The organisation's LRS, or the refusal saying it has none."""
    endpoint_row = lrs_of(session, organisation_by_slug(session, organisation_slug).id)
    if endpoint_row is None:
        raise click.ClickException(f"this organisation has no LRS{more}")
    return endpoint_row


def _describe_lrs(endpoint_row: LrsEndpoint) -> str:
    if endpoint_row.credentials_env:
        credentials = f"from ${endpoint_row.credentials_env}"
    elif endpoint_row.username:
        credentials = f"{endpoint_row.username} (password stored encrypted)"
    else:
        credentials = "none"
    lines = [
        f"endpoint:     {endpoint_row.endpoint}",
        f"credentials:  {credentials}",
        f"xAPI version: {endpoint_row.version}",
        f"batch size:   {endpoint_row.batch_size}",
        f"enabled:      {'yes' if endpoint_row.enabled else 'no'}",
    ]
    if endpoint_row.paused_until:
        lines.append(f"paused until: {endpoint_row.paused_until.isoformat(timespec='seconds')}")
    if endpoint_row.last_error:
        lines.append(f"last error:   {endpoint_row.last_error}")
    return "\n".join(lines)


@xapi.group()
def credentials() -> None:
    """Who may read an organisation's statements at /xapi/statements (HTTP Basic)."""


@credentials.command("add")
@click.option("--organisation", "organisation_slug", required=True, help="Organisation slug.")
@click.option("--label", default="", help="Who uses it, e.g. 'Power BI, HR'.")
@pass_instance
def credentials_add(instance: Instance, organisation_slug: str, label: str) -> None:
    """Make a key and secret; the secret is shown now and never again."""
    with instance.transaction() as session:
        made = create_credential(
            session, organisation_by_slug(session, organisation_slug).id, label
        )
    click.echo(f"key:    {made.key}")
    click.echo(f"secret: {made.secret}")
    click.echo(
        "Store the secret now: only a hash of it is kept. Use the key and secret as the HTTP "
        f"Basic user name and password at {instance.settings.public_url.rstrip('/')}/xapi/",
        err=True,
    )


@credentials.command("list")
@pass_instance
def credentials_list(instance: Instance) -> None:
    """Every credential: key, organisation, label, made, last used (never the secret)."""
    with instance.transaction() as session:
        for credential in list_credentials(session):
            used = (
                f"{credential.last_used_at:%Y-%m-%d %H:%M}" if credential.last_used_at else "never"
            )
            click.echo(
                f"{credential.key}\t{credential.organisation.slug}\t{credential.label}\t"
                f"made {credential.created_at:%Y-%m-%d %H:%M}\tlast used {used}"
            )


@credentials.command("remove")
@click.argument("key")
@pass_instance
def credentials_remove(instance: Instance, key: str) -> None:
    """Revoke a credential at once."""
    with instance.transaction() as session:
        if not remove_credential(session, key):
            raise click.ClickException(f"no credential {key!r}")
    click.echo(f"removed credential {key}")


def _moment(_context, _parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 timestamp") from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@xapi.command("export")
@click.option("--organisation", "organisation_slug", required=True, help="Organisation slug.")
@click.option("--since", callback=_moment, help="Only statements stored after this (ISO 8601).")
@click.option("--until", callback=_moment, help="Only statements stored up to this (ISO 8601).")
@click.option(
    "-o", "--output", default="-", show_default=True, help="File to write, or - for stdout."
)
@pass_instance
def xapi_export(instance: Instance, organisation_slug, since, until, output: str) -> None:
    """Write an organisation's statements as NDJSON, one per line, oldest first.

    Statements come as the Statement API serves them (with stored, authority and version);
    voided statements are left out, the statements voiding them are included.
    """
    authority = tool_authority(instance.settings.public_url)
    where = StatementFilter(since=since, until=until)
    with instance.transaction() as session:
        organisation_id = organisation_by_slug(session, organisation_slug).id
        rows = stream_statements(session, organisation_id, where)
        if output == "-":
            # JSON's \u escapes say the same thing where the terminal cannot take UTF-8.
            utf8 = (sys.stdout.encoding or "").lower().replace("-", "") == "utf8"
            written = _write_ndjson(rows, authority, sys.stdout, ascii_only=not utf8)
        else:
            total = count_statements(session, organisation_id, where)
            with (
                open(output, "w", encoding="utf-8", newline="\n") as file,
                click.progressbar(length=total, label="exporting", file=sys.stderr) as bar,
            ):
                written = _write_ndjson(rows, authority, file, bar.update)
    click.echo(f"exported {written} statement(s)", err=True)


def _write_ndjson(rows, authority: dict, file, advance=lambda _n: None, ascii_only=False) -> int:
    written = 0
    for row in rows:
        line = json.dumps(
            served(row.statement, row.stored, authority),
            ensure_ascii=ascii_only,
            separators=(",", ":"),
        )
        file.write(line + "\n")
        written += 1
        advance(1)
    return written


@xapi.command("actor")
@click.option("--organisation", "organisation_slug", required=True)
@click.argument("mode", required=False, type=click.Choice(ACTOR_MODES))
@pass_instance
def xapi_actor(instance: Instance, organisation_slug, mode) -> None:
    """Show (no MODE) or choose how the organisation's xAPI statements name a learner.

    \b
    lti         the platform's issuer and LTI user id, no name or e-mail (default)
    pseudonym   a keyed hash per organisation under the tool's URL: the LRS cannot
                link it to a Moodle user; the key is made now and never changes
    identified  adds name and e-mail when Moodle shares them. This is personal
                data: choose it only when the organisation has a legal basis for it
                (GDPR art. 6, e.g. a documented task of public interest), has told
                its staff, and the LRS is allowed to hold it.

    A new mode applies to statements made from then on; earlier ones keep theirs.
    """
    with instance.transaction() as session:
        organisation = organisation_by_slug(session, organisation_slug)
        current = organisation.xapi_actor or LTI
        if mode is None:
            click.echo(f"{organisation.slug}: xapi actor {current}")
            return
        organisation.xapi_actor = mode
        if mode == PSEUDONYM:
            xapi_pseudonym_key(session, organisation)
        click.echo(f"{organisation.slug}: xapi actor {mode} (was {current})")
