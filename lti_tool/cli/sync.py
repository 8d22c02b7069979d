"""`kompetenslyft sync ...`: the systems an organisation's completions go to.

Secrets (a Moodle web-service token, an HR system's client secret, API key, HMAC key or
SFTP password) come from standard input and are stored sealed, or are named as an
environment variable holding them; they are never shown.
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

import click
from sqlalchemy import select

from lti_tool.cli.support import HttpUrl, Instance, organisation_by_slug, pass_instance
from storage import Delivery, DeliveryStatus, Organisation, SyncTarget
from storage.completions import TARGET_OF_KIND
from storage.lrs import seal
from sync.target_secrets import parse_secrets, seal_secrets

SECRETS_NEEDED = {
    ("hr_rest", "oauth2"): ("client_secret", "hmac_key"),
    ("hr_rest", "api_key"): ("api_key", "hmac_key"),
}


@click.group()
def sync() -> None:
    """Where completions go: the tool's plans, Moodle learning plans, the HR register."""


@sync.group()
def target() -> None:
    """The organisation's sync targets."""


def _add_moodle(instance: Instance, organisation_slug: str, name: str, options: dict) -> None:
    url = options["url"]
    _required_url(url, "--url")
    token = sys.stdin.readline().strip() if options["token_stdin"] else None
    if options["token_stdin"] and not token:
        raise click.ClickException("no token on standard input")
    if not token and not options["token_env"]:
        raise click.ClickException("give the token with --token-stdin or --token-env")
    target_id = _add_moodle_target(
        instance,
        organisation_slug,
        url.rstrip("/"),
        name or urlsplit(url).netloc,
        token,
        options["token_env"],
        options,
    )
    click.echo(f"{organisation_slug}: sync target {target_id} (moodle) {url}")


# The URL options of a target: HR's API and its token endpoint, Moodle's site.
TARGET_URL = HttpUrl(credentials_in="the secrets")


def _required_url(value: str | None, option: str) -> None:
    """The kinds that need the URL option (it was checked by TARGET_URL when given)."""
    if not value:
        raise click.BadParameter("must be an http(s) URL", param_hint=option)


def _rest_settings(options: dict) -> dict:
    _required_url(options["url"], "--url")
    settings = {"url": options["url"], "auth": options["auth"], "mode": options["mode"]}
    if options["auth"] == "oauth2":
        _required_url(options["token_url"], "--token-url")
        if not options["client_id"]:
            raise click.UsageError("--auth oauth2 needs --client-id")
        settings.update(token_url=options["token_url"], client_id=options["client_id"])
        if options["scope"]:
            settings["scope"] = options["scope"]
    elif options["api_key_header"]:
        settings["api_key_header"] = options["api_key_header"]
    if options["batch_size"]:
        settings["batch_size"] = options["batch_size"]
    return settings


def _files_settings(options: dict) -> dict:
    if bool(options["folder"]) == bool(options["sftp_host"]):
        raise click.UsageError("hr_files needs either --folder or --sftp-host")
    settings: dict = {"delimiter": options["delimiter"], "bom": options["bom"]}
    if len(options["delimiter"]) != 1:
        raise click.BadParameter("must be one character", param_hint="--delimiter")
    if options["file_prefix"]:
        settings["file_prefix"] = options["file_prefix"]
    if options["folder"]:
        settings["folder"] = options["folder"]
        return settings
    if not options["sftp_username"] or not options["sftp_host_key"]:
        raise click.UsageError(
            "--sftp-host needs --sftp-username and --sftp-host-key (the server's known_hosts "
            "entry, e.g. from `ssh-keyscan`), so records never go to another server"
        )
    host_key = options["sftp_host_key"].split()
    if len(host_key) > 2 and not host_key[0].startswith("ssh-"):
        host_key = host_key[1:]  # a known_hosts line starts with the host name
    settings.update(
        sftp_host=options["sftp_host"],
        sftp_port=options["sftp_port"],
        sftp_username=options["sftp_username"],
        sftp_host_key=" ".join(host_key[:2]),
        sftp_folder=options["sftp_folder"],
    )
    return settings


@target.command("add")
@click.option("--organisation", "organisation_slug", required=True)
@click.option("--kind", type=click.Choice(sorted({*TARGET_OF_KIND, "moodle"})), required=True)
@click.option("--name", default="", help="What admins see, e.g. 'Personec kompetensregister'.")
@click.option("--programme-code", help="The EU programme code each record carries.")
@click.option("--language", type=click.Choice(["sv", "en"]), default="sv", show_default=True)
@click.option(
    "--url",
    type=TARGET_URL,
    help="hr_rest: the API's base URL (…/competence-records is POSTed to).",
)
@click.option("--auth", type=click.Choice(["oauth2", "api_key"]), default="oauth2")
@click.option("--token-url", type=TARGET_URL, help="hr_rest, oauth2: the token endpoint.")
@click.option("--client-id", help="hr_rest, oauth2: the client id.")
@click.option("--scope", help="hr_rest, oauth2: the scope to ask for, if any.")
@click.option("--api-key-header", help="hr_rest, api_key: the header (default X-API-Key).")
@click.option("--mode", type=click.Choice(["single", "batch"]), default="single")
@click.option("--batch-size", type=click.IntRange(1, 1000), default=None)
@click.option("--folder", help="hr_files: a folder on this machine (or a mounted share).")
@click.option("--sftp-host", help="hr_files: an SFTP server instead of a folder.")
@click.option("--sftp-port", type=click.IntRange(1, 65535), default=22)
@click.option("--sftp-username")
@click.option("--sftp-host-key", help="The server's host key: 'ssh-ed25519 AAAA…'.")
@click.option("--sftp-folder", default=".", show_default=True)
@click.option("--delimiter", default=";", show_default=True)
@click.option("--bom/--no-bom", default=False, help="Start files with a BOM (for Excel).")
@click.option("--file-prefix", help="File names start with this (default competence-records-ID).")
@click.option(
    "--secret-stdin",
    is_flag=True,
    help="Read the secrets from standard input: JSON or name=value lines (client_secret, "
    "api_key, hmac_key, password, private_key); stored sealed.",
)
@click.option("--secret-env", help="Instead: an environment variable holding the secrets.")
@click.option("--token-stdin", is_flag=True, help="moodle: read the web-service token (sealed).")
@click.option("--token-env", default=None, help="moodle: read the token from this variable.")
@click.option("--framework-idnumber", default=None, help="moodle: the framework's ID number.")
@click.option("--competency-prefix", default="", help="moodle: before each competence id.")
@click.option("--create-framework-with-scale", type=int, default=None, metavar="SCALE_ID")
@pass_instance
def target_add(
    instance: Instance, organisation_slug, kind, name, programme_code, language, **options
) -> None:
    """Send the organisation's completions to Moodle learning plans or an HR system."""
    if kind == "moodle":
        return _add_moodle(instance, organisation_slug, name, options)
    secret_stdin, secret_env = options.pop("secret_stdin"), options.pop("secret_env")
    if secret_stdin and secret_env:
        raise click.UsageError("use either --secret-stdin or --secret-env")
    settings = _rest_settings(options) if kind == "hr_rest" else _files_settings(options)
    settings["language"] = language
    if programme_code:
        settings["programme_code"] = programme_code
    secrets = {}
    if secret_stdin:
        try:
            secrets = parse_secrets(sys.stdin.read())
        except ValueError as error:
            raise click.UsageError(str(error)) from None
    if secret_env:
        settings["secret_env"] = secret_env
    needed = SECRETS_NEEDED.get((kind, settings.get("auth")), ())
    if kind == "hr_files" and settings.get("sftp_host"):
        needed = () if {"password", "private_key"} & set(secrets) else ("password",)
    missing = [secret for secret in needed if secret not in secrets]
    if missing and not secret_env:
        raise click.UsageError(
            f"{kind} needs the secret(s) {', '.join(missing)} (--secret-stdin or --secret-env)"
        )
    secret_key = instance.settings.secret_key
    with instance.transaction() as session:
        organisation = organisation_by_slug(session, organisation_slug)
        row = SyncTarget(
            organisation_id=organisation.id,
            kind=kind,
            name=name,
            settings=settings,
            sealed_secret=seal_secrets(secret_key, secrets) if secrets else None,
            enabled=True,
        )
        session.add(row)
        session.flush()
        click.echo(_describe(row, organisation.slug))


@target.command("list")
@click.option("--organisation", "organisation_slug", default=None)
@pass_instance
def target_list(instance: Instance, organisation_slug) -> None:
    """The sync targets (of one organisation, or all), never their secrets."""
    with instance.transaction() as session:
        query = select(SyncTarget, Organisation.slug).join(
            Organisation, Organisation.id == SyncTarget.organisation_id
        )
        if organisation_slug:
            query = query.where(
                SyncTarget.organisation_id == organisation_by_slug(session, organisation_slug).id
            )
        rows = session.execute(query.order_by(Organisation.slug, SyncTarget.id)).all()
        if not rows:
            click.echo("no sync targets")
        for row, slug in rows:
            click.echo(_describe(row, slug))


@target.command("remove")
@click.argument("target_id", type=int)
@click.option("--organisation", "organisation_slug", required=True)
@pass_instance
def target_remove(instance: Instance, target_id, organisation_slug) -> None:
    """Stop sending to a target; what still waits for it is not sent."""
    with instance.transaction() as session:
        organisation = organisation_by_slug(session, organisation_slug)
        row = session.get(SyncTarget, target_id)
        if row is None or row.organisation_id != organisation.id:
            raise click.ClickException(f"{organisation_slug} has no sync target {target_id}")
        unsent = session.scalars(
            select(Delivery).where(
                Delivery.target == TARGET_OF_KIND.get(row.kind, row.kind),
                Delivery.key.startswith(f"{row.id}:"),
                Delivery.status != DeliveryStatus.DELIVERED,
            )
        ).all()
        dead = sum(1 for delivery in unsent if delivery.status == DeliveryStatus.DEAD)
        for delivery in unsent:
            session.delete(delivery)
        session.delete(row)
        click.echo(
            f"sync target {target_id} removed; {len(unsent) - dead} record(s) waiting and "
            f"{dead} that had failed for good were not sent"
        )


@target.command("create-framework")
@click.argument("target_id", type=int)
@click.option("--organisation", "organisation_slug", required=True)
@click.option(
    "--scale-id",
    type=int,
    default=None,
    help="The Moodle scale for a new framework (default: the target's, else 2, Moodle's "
    "default competence scale).",
)
@pass_instance
def target_create_framework(instance: Instance, target_id, organisation_slug, scale_id) -> None:
    """Make the tool's competence framework in a Moodle target's site, through its web
    services; what Moodle has already (same ID number) is left as it is."""
    from outbound.http_client import make_http_session
    from storage.lrs import CredentialsUnavailable
    from sync.moodle_frameworks import create_framework_in_moodle
    from sync.moodle_ws import MoodleError, MoodleUnavailable

    settings = instance.settings
    with instance.session() as session:
        organisation = organisation_by_slug(session, organisation_slug)
        row = session.get(SyncTarget, target_id)
        if row is None or row.organisation_id != organisation.id or row.kind != "moodle":
            raise click.ClickException(f"{organisation_slug} has no Moodle sync target {target_id}")
        http = make_http_session(timeout=settings.http_timeout_seconds, retries=1)
        try:
            made = create_framework_in_moodle(session, row, http, settings.secret_key, scale_id)
        except (MoodleError, MoodleUnavailable, CredentialsUnavailable) as error:
            raise click.ClickException(
                f"Moodle did not let the tool create the framework: {error}"
            ) from error
    state = "created" if made.framework_created else "found"
    click.echo(
        f"framework {made.idnumber} {state} in Moodle; {made.competencies_created} "
        f"competences created, {made.competencies_found} there already"
    )


def _describe(row: SyncTarget, slug: str) -> str:
    settings = row.settings or {}
    if row.kind == "hr_rest":
        where = f"{settings.get('url')} ({settings.get('auth')}, {settings.get('mode', 'single')})"
    elif settings.get("sftp_host"):
        where = (
            f"sftp://{settings.get('sftp_username')}@{settings['sftp_host']}:"
            f"{settings.get('sftp_port', 22)}/{settings.get('sftp_folder', '').lstrip('/')}"
        )
    else:
        where = str(settings.get("folder"))
    if settings.get("secret_env"):
        secrets = f"secrets from ${settings['secret_env']}"
    elif row.sealed_secret:
        secrets = "secrets stored sealed"
    else:
        secrets = "no secrets"
    state = "enabled" if row.enabled else "disabled"
    line = f"{row.id}  {slug}  {row.kind}  {row.name or '-'}  {where}  {secrets}  {state}"
    if settings.get("programme_code"):
        line += f"  programme {settings['programme_code']}"
    if row.last_error:
        line += f"\n    last error: {row.last_error}"
    return line


@sync.command("backfill")
@click.option("--organisation", "organisation_slug", required=True)
@click.option("--target", "target_id", required=True, type=int, help="The sync target's id.")
@pass_instance
def sync_backfill(instance: Instance, organisation_slug: str, target_id: int) -> None:
    """Queue every completion not yet sent to a (newly configured) target."""
    from sync.completions import backfill

    with instance.session() as session:
        organisation = organisation_by_slug(session, organisation_slug)
        target = session.get(SyncTarget, target_id)
        if target is None or target.organisation_id != organisation.id:
            raise click.ClickException(
                f"organisation {organisation_slug} has no sync target {target_id}"
            )

        def progress(event_ids):
            with click.progressbar(event_ids, label="queueing completions", file=sys.stderr) as bar:
                yield from bar

        queued = backfill(session, target, progress)
    click.echo(f"{queued} completions queued for target {target_id}")


def _add_moodle_target(
    instance: Instance, organisation_slug, url, name, token, token_env, options
) -> int:
    settings = {"url": url, "competency_prefix": options["competency_prefix"]}
    if options["framework_idnumber"]:
        settings["framework_idnumber"] = options["framework_idnumber"]
    if options["create_framework_with_scale"]:
        settings.update(create_framework=True, scale_id=options["create_framework_with_scale"])
    if token_env:
        settings["secret_env"] = token_env
    secret_key = instance.settings.secret_key
    with instance.transaction() as session:
        organisation = organisation_by_slug(session, organisation_slug)
        target = SyncTarget(
            organisation_id=organisation.id,
            kind="moodle",
            name=name,
            settings=settings,
            sealed_secret=seal(secret_key, token) if token else None,
            enabled=True,
        )
        session.add(target)
        session.flush()
        return target.id


@sync.command("poll-moodle")
@click.option("--organisation", "organisation_slug", default=None, help="Only this one's Moodle.")
@pass_instance
def sync_poll_moodle(instance: Instance, organisation_slug: str | None) -> None:
    """Ask each Moodle now for completed plan courses (the scheduler does it hourly)."""
    from sync.moodle_completions import poll_moodle_completions

    organisation_id = None
    if organisation_slug:
        with instance.session() as session:
            organisation_id = organisation_by_slug(session, organisation_slug).id
    counts = poll_moodle_completions(
        instance.database, instance.settings, organisation_id=organisation_id
    )
    click.echo(
        f"targets {counts.targets}, asked {counts.asked}, new completions {counts.new_events}"
    )
    for error in counts.errors:
        click.echo(error, err=True)
    if counts.errors:
        sys.exit(1)
