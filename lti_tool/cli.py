"""The `kompetenslyft` command: database, platforms, keys and the server."""

from __future__ import annotations

import contextlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import click
from sqlalchemy import select

from competence import catalogue as catalogue_rows
from competence import framework_io
from competence.staff_list import StaffListRejected
from competence.strict_csv import too_large
from competence.texts import DocumentError
from config import SettingsError, load_settings
from lti.tool_keys import ensure_keys, rotate_keys
from lti_tool.cli_errors import CommandLine, one_line
from lti_tool.cli_privacy import audit as audit_commands
from lti_tool.cli_privacy import person as person_commands
from lti_tool.cli_support import organisation_by_slug as _organisation
from lti_tool.cli_support import transaction as _transaction
from lti_tool.cli_sync import sync as sync_commands
from lti_tool.request_logs import configure_logging
from storage import (
    Database,
    Deployment,
    HrSource,
    KeyState,
    Organisation,
    PlatformRegistration,
    ToolKey,
    migrate,
)
from storage.catalogue import import_entries
from storage.frameworks import (
    AlreadyStored,
    find_framework,
    save_framework,
    save_instrument,
    save_role_profile,
)
from storage.lrs import XAPI_VERSIONS, LrsEndpoint, lrs_of, seal
from storage.organisations import xapi_pseudonym_key
from storage.staff_import import MassEndingRefused, import_staff_list
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


@click.group(cls=CommandLine)
@click.option(
    "--debug",
    is_flag=True,
    envvar="KOMPETENSLYFT_DEBUG",
    help="Show the traceback of an unexpected error (also KOMPETENSLYFT_DEBUG=1).",
)
def cli(debug: bool) -> None:
    """Kompetenslyft: digital competence assessment as an LTI 1.3 tool.

    A failure ends in one line: exit code 2 for input that cannot be used (a file nested too
    deeply, a NUL character, a value the database cannot store), 1 for anything else."""


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the newest) and make sure keys exist."""
    settings = load_settings()
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url, revision)
    if revision == "head":
        with _transaction() as session:
            ensure_keys(session)
    click.echo(
        f"database at revision {migrate.head_revision() if revision == 'head' else revision}"
    )


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database back to REVISION ('base' removes every table)."""
    migrate.downgrade(load_settings().database_url, revision)
    click.echo(f"database at revision {revision}")


@cli.group()
def platform() -> None:
    """LTI platform registrations (one per Moodle site and tool entry)."""


@platform.command("add")
@click.option("--organisation", "organisation_slug", required=True, help="Organisation slug.")
@click.option("--organisation-name", help="Name, when the organisation is new.")
@click.option("--name", default="", help="A label for people, e.g. 'Moodle, Umeå kommun'.")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--auth-login-url", required=True)
@click.option("--auth-token-url", required=True)
@click.option("--jwks-url", required=True)
@click.option("--audience", default=None, help="Token endpoint audience, if not its URL.")
@click.option("--deployment", "deployments", multiple=True, required=True)
def platform_add(
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
    for url in (issuer, auth_login_url, auth_token_url, jwks_url):
        if not url.startswith(("https://", "http://")):
            raise click.BadParameter(f"{url!r} is not an http(s) URL")
    with _transaction() as session:
        organisation = session.scalar(
            select(Organisation).where(Organisation.slug == organisation_slug)
        )
        if organisation is None:
            organisation = Organisation(
                slug=organisation_slug, name=organisation_name or organisation_slug
            )
            session.add(organisation)
        registration = session.scalar(
            select(PlatformRegistration).where(
                PlatformRegistration.issuer == issuer, PlatformRegistration.client_id == client_id
            )
        )
        if registration is None:
            registration = PlatformRegistration(
                issuer=issuer, client_id=client_id, organisation=organisation
            )
            session.add(registration)
        elif registration.organisation is not organisation:
            raise click.ClickException("that issuer and client id belong to another organisation")
        registration.name = name or registration.name
        registration.auth_login_url = auth_login_url
        registration.auth_token_url = auth_token_url
        registration.key_set_url = jwks_url
        registration.auth_audience = audience
        known = {d.deployment_id for d in registration.deployments}
        for deployment_id in deployments:
            if deployment_id not in known:
                registration.deployments.append(Deployment(deployment_id=deployment_id))
        session.flush()
        click.echo(f"registration {registration.id}: {issuer} {client_id}")


@platform.command("list")
def platform_list() -> None:
    """Registrations with their organisation, state and deployments."""
    with _transaction() as session:
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
def platform_remove(registration_id: int) -> None:
    """Remove a registration and everything learned through it (people stay)."""
    with _transaction() as session:
        registration = session.get(PlatformRegistration, registration_id)
        if registration is None:
            raise click.ClickException(f"no registration {registration_id}")
        session.delete(registration)
        click.echo(f"removed registration {registration_id}")


@platform.command("invite")
@click.option("--organisation", "organisation_slug", required=True, help="Organisation slug.")
@click.option("--organisation-name", help="Name, to create the organisation when it is new.")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 90))
def platform_invite(organisation_slug, organisation_name, days) -> None:
    """Print a one-time registration link for a Moodle administrator (Manage tools → Tool URL)."""
    from lti.dynamic_registration import create_invitation, invitation_url

    settings = load_settings()
    with _transaction() as session:
        organisation = session.scalar(
            select(Organisation).where(Organisation.slug == organisation_slug)
        )
        if organisation is None:
            if not organisation_name:
                raise click.ClickException(
                    f"no organisation {organisation_slug!r}; give --organisation-name to create it"
                )
            organisation = Organisation(slug=organisation_slug, name=organisation_name)
        token, invitation = create_invitation(session, organisation, days)
        expires = f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC"
    click.echo(invitation_url(settings.public_url, token))
    click.echo(f"for {organisation_slug}, usable once, valid until {expires}", err=True)


@cli.group()
def keys() -> None:
    """The tool's signing keys."""


@keys.command("rotate")
def keys_rotate() -> None:
    """Activate the published next key, retire the active one, publish a new next key."""
    with _transaction() as session:
        key = rotate_keys(session)
        click.echo(f"active key is now {key.kid}")


@keys.command("list")
def keys_list() -> None:
    with _transaction() as session:
        for key in session.scalars(select(ToolKey).order_by(ToolKey.created_at)):
            retired = (
                f" retired {key.retired_at:%Y-%m-%d %H:%M}" if key.state is KeyState.RETIRED else ""
            )
            click.echo(f"{key.kid}\t{key.state.value}{retired}")


@cli.group()
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
def framework_import(path, organisation_slug, file_format, language, framework_id) -> None:
    """Import a framework; a file with any bad row is refused whole, every problem listed."""
    file_format = file_format or ("json" if path.suffix.lower() == ".json" else "moodle-csv")
    _refuse_large(path)
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
    with _transaction() as session:
        organisation = _organisation(session, organisation_slug)
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
def framework_export(key, organisation_slug, file_format, language) -> None:
    """Write a framework to standard output (Moodle CSV for tool_lpimportcsv)."""
    with _transaction() as session:
        organisation_id = (
            _organisation(session, organisation_slug).id if organisation_slug else None
        )
        found = find_framework(session, key, organisation_id)
    if found is None:
        raise click.ClickException(f"no framework {key!r}")
    if file_format == "json":
        click.echo(framework_io.framework_to_json(found), nl=False)
    else:
        click.echo(framework_io.framework_to_moodle_csv(found, language=language), nl=False)


def _read_json(path: Path) -> object:
    """A JSON file as spreadsheet tools save it (a UTF-8 BOM is fine), or a clear refusal."""
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{path.name} is not valid JSON: {error}") from error


@cli.group()
def instrument() -> None:
    """Instruments over an organisation's own frameworks (e.g. per work system)."""


@instrument.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--organisation", "organisation_slug", required=True)
def instrument_import(path, organisation_slug) -> None:
    """Import an instrument; course links choose it with the custom parameter instrument=<id>."""
    document = _read_json(path)
    with _transaction() as session:
        organisation = _organisation(session, organisation_slug)
        try:
            row = save_instrument(session, organisation.id, document)
        except (DocumentError, AlreadyStored) as error:
            raise click.ClickException(f"nothing imported: {error}") from error
        click.echo(f"imported instrument {row.key} version {row.version}")


@cli.group("role-profile")
def role_profile() -> None:
    """Role profiles: target levels per competence for a role (yrkesroll)."""


@role_profile.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--organisation", "organisation_slug", required=True)
def role_profile_import(path, organisation_slug) -> None:
    """Create or replace role profiles from a JSON file (one profile or a list of them)."""
    documents = _read_json(path)
    documents = documents if isinstance(documents, list) else [documents]
    with _transaction() as session:
        organisation = _organisation(session, organisation_slug)
        try:
            profiles = [save_role_profile(session, organisation.id, d) for d in documents]
        except DocumentError as error:
            raise click.ClickException(f"nothing imported: {error}") from error
    click.echo(f"imported {len(profiles)} role profile(s)")


@cli.group()
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
def dev_seed_programme(organisation_slug: str) -> None:
    """Create the made-up organisation of 200 people (storage/programme_seed.py)."""
    from lti_tool.dev_platform.platform import ORGANISATION_SLUG, ensure_registered
    from lti_tool.dev_platform.programme_seed import AlreadySeeded, seed_programme

    settings = load_settings()
    if settings.is_production:
        raise click.ClickException("only in development mode (KOMPETENSLYFT_MODE=development)")
    with _transaction() as session:
        if organisation_slug == ORGANISATION_SLUG:
            ensure_registered(session, settings.public_url)
            session.flush()
        organisation = _organisation(session, organisation_slug)
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


@cli.group()
def catalogue() -> None:
    """The learning-activity catalogue: an organisation's own courses, self-study and more."""


@catalogue.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--organisation", "organisation_slug", required=True)
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change.")
def catalogue_import(path, organisation_slug, dry_run) -> None:
    """Add or update activities from a CSV file (columns: see competence/catalogue.py); all
    or nothing.  An activity already there (same id, else link, else title) is updated."""
    _refuse_large(path)
    with _transaction() as session:
        organisation = _organisation(session, organisation_slug)
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


def _refuse_large(path: Path) -> None:
    """A file over the import limit is refused before a byte of it is read."""
    refused = too_large(path.stat().st_size)
    if refused is not None:
        raise click.ClickException(f"nothing imported: {path.name}: {refused}")


@cli.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def serve(host: str, port: int) -> None:
    """Serve the tool with the built-in server (production: use gunicorn, see README)."""
    from lti_tool import create_app
    from lti_tool.dev_platform.platform import ensure_registered

    settings = load_settings()
    app = create_app(settings)
    if settings.runs_scheduler_in_web:
        from sync.scheduler import start_background

        if start_background(settings, app.extensions["database"]) is not None:
            click.echo("scheduler: running inside the web process")
        else:
            click.echo("scheduler: another instance already runs on this database; not here")
    if settings.dev_platform_enabled:
        with _transaction() as session:
            ensure_keys(session)
            ensure_registered(session, settings.public_url)
        click.echo(f"dev platform: {settings.public_url.rstrip('/')}/dev-platform/")
    app.run(host=host, port=port, threaded=True, use_reloader=False)


@cli.command()
@click.option(
    "--wait",
    is_flag=True,
    help="On SQLite, wait until the running scheduler stops instead of exiting.",
)
def scheduler(wait: bool) -> None:
    """Run the scheduled jobs (outbox deliveries, ...) in this process, until stopped."""
    import time

    from sync.scheduler import SchedulerAlreadyRunning, run_blocking

    settings = load_settings()
    database = Database(settings.database_url)
    try:
        # Ctrl+C stops it as SIGTERM does (sync.scheduler.run_blocking).
        with contextlib.suppress(KeyboardInterrupt, SystemExit):
            while True:
                try:
                    click.echo("scheduler running; stop with Ctrl+C")
                    run_blocking(settings, database)
                    break
                except SchedulerAlreadyRunning as running:
                    if not wait:
                        raise click.ClickException(str(running)) from None
                    time.sleep(1)
    finally:
        database.dispose()
    click.echo("scheduler stopped")


@cli.group()
def xapi() -> None:
    """xAPI: the organisation's LRS, the embedded Statement API and statement exports."""


@xapi.group()
def lrs() -> None:
    """The organisation's Learning Record Store, where its statements are forwarded."""


@lrs.command("set")
@click.option("--organisation", "organisation_slug", required=True)
@click.option("--endpoint", required=True, help="The LRS's xAPI base URL, e.g. https://lrs/xAPI/")
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
def lrs_set(
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
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise click.BadParameter("must be an http(s) URL", param_hint="--endpoint")
    if parts.username or parts.password:
        raise click.BadParameter(
            "put credentials in --username/--password-stdin, not in the URL",
            param_hint="--endpoint",
        )
    if credentials_env and (username or password_stdin):
        raise click.UsageError("use either --credentials-env or --username/--password-stdin")
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    settings = load_settings()
    with _transaction() as session:
        organisation = _organisation(session, organisation_slug)
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
def lrs_show(organisation_slug) -> None:
    """The LRS settings and health (never the password)."""
    with _transaction() as session:
        endpoint_row = lrs_of(session, _organisation(session, organisation_slug).id)
        if endpoint_row is None:
            raise click.ClickException("this organisation has no LRS; statements stay in the tool")
        click.echo(_describe_lrs(endpoint_row))


@lrs.command("remove")
@click.option("--organisation", "organisation_slug", required=True)
def lrs_remove(organisation_slug) -> None:
    """Stop forwarding; statements not yet sent stay in the tool's store."""
    with _transaction() as session:
        organisation = _organisation(session, organisation_slug)
        endpoint_row = lrs_of(session, organisation.id)
        if endpoint_row is None:
            raise click.ClickException("this organisation has no LRS")
        dropped = drop_waiting(session, endpoint_row)
        session.delete(endpoint_row)
        click.echo(f"LRS removed; {dropped} statement(s) waiting for it were not sent")


@lrs.command("resume")
@click.option("--organisation", "organisation_slug", required=True)
def lrs_resume(organisation_slug) -> None:
    """Lift a pause now (after fixing the LRS or its credentials) and send what waits."""
    with _transaction() as session:
        endpoint_row = lrs_of(session, _organisation(session, organisation_slug).id)
        if endpoint_row is None:
            raise click.ClickException("this organisation has no LRS")
        click.echo(f"{resume_forwarding(session, endpoint_row)} statement(s) due now")


@lrs.command("backfill")
@click.option("--organisation", "organisation_slug", required=True)
def lrs_backfill(organisation_slug) -> None:
    """Queue every stored statement this LRS has not been sent (e.g. after adding it)."""
    with _transaction() as session:
        endpoint_row = lrs_of(session, _organisation(session, organisation_slug).id)
        if endpoint_row is None:
            raise click.ClickException("this organisation has no LRS")
        click.echo(f"{backfill_lrs(session, endpoint_row)} statement(s) queued")


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
def credentials_add(organisation_slug: str, label: str) -> None:
    """Make a key and secret; the secret is shown now and never again."""
    with _transaction() as session:
        made = create_credential(session, _organisation(session, organisation_slug).id, label)
    click.echo(f"key:    {made.key}")
    click.echo(f"secret: {made.secret}")
    click.echo(
        "Store the secret now: only a hash of it is kept. Use the key and secret as the HTTP "
        f"Basic user name and password at {load_settings().public_url.rstrip('/')}/xapi/",
        err=True,
    )


@credentials.command("list")
def credentials_list() -> None:
    """Every credential: key, organisation, label, made, last used (never the secret)."""
    with _transaction() as session:
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
def credentials_remove(key: str) -> None:
    """Revoke a credential at once."""
    with _transaction() as session:
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
def xapi_export(organisation_slug, since, until, output: str) -> None:
    """Write an organisation's statements as NDJSON, one per line, oldest first.

    Statements come as the Statement API serves them (with stored, authority and version);
    voided statements are left out, the statements voiding them are included.
    """
    authority = tool_authority(load_settings().public_url)
    where = StatementFilter(since=since, until=until)
    with _transaction() as session:
        organisation_id = _organisation(session, organisation_slug).id
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
def xapi_actor(organisation_slug, mode) -> None:
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
    with _transaction() as session:
        organisation = _organisation(session, organisation_slug)
        current = organisation.xapi_actor or LTI
        if mode is None:
            click.echo(f"{organisation.slug}: xapi actor {current}")
            return
        organisation.xapi_actor = mode
        if mode == PSEUDONYM:
            xapi_pseudonym_key(session, organisation)
        click.echo(f"{organisation.slug}: xapi actor {mode} (was {current})")


@cli.group()
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
def hr_import(path, organisation_slug, dry_run, allow_mass_ending) -> None:
    """Import a staff list (.csv, `;` or `,`, or .json): all or nothing, every bad row listed.

    Whoever is not listed any more is deactivated; moves keep their history."""
    _refuse_large(path)
    settings = load_settings()
    database = Database(settings.database_url)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None and total >= PROGRESS_FROM_ROWS:
            bar = click.progressbar(length=total, label="importing", file=sys.stderr)
        if bar is not None:
            bar.update(done)

    try:
        with database.transaction() as session:
            organisation_id = _organisation(session, organisation_slug).id
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
        database.dispose()
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
@click.option("--url", required=True, help='GET answers {"employees": [...]} (see README).')
@click.option(
    "--token-stdin", is_flag=True, help="Read a bearer token from standard input (stored sealed)."
)
@click.option("--enable/--disable", default=None)
def hr_source_set(organisation_slug, url, token_stdin, enable) -> None:
    """Set the HR endpoint the nightly job polls."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise click.BadParameter("must be an http(s) URL", param_hint="--url")
    token = sys.stdin.readline().strip() if token_stdin else None
    settings = load_settings()
    with _transaction() as session:
        organisation = _organisation(session, organisation_slug)
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
def hr_poll(organisation_slug) -> None:
    """Poll the enabled HR endpoints now (the scheduler does it every night)."""
    from outbound.http_client import make_http_session
    from sync.hr_polling import poll_hr_sources

    settings = load_settings()
    database = Database(settings.database_url)
    try:
        organisation_id = None
        if organisation_slug:
            with database.transaction() as session:
                organisation_id = _organisation(session, organisation_slug).id
        http = make_http_session(timeout=settings.http_timeout_seconds)
        results = poll_hr_sources(
            database,
            http,
            settings.secret_key,
            organisation_id,
            max_ending_percent=settings.hr_max_ending_percent,
        )
    finally:
        database.dispose()
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


cli.add_command(sync_commands)
cli.add_command(person_commands)
cli.add_command(audit_commands)


def main() -> None:
    try:
        # Every command's log lines (the scheduler's above all) in the production format.
        configure_logging(load_settings())
    except SettingsError as error:
        one_line(error).show()
        sys.exit(2)
    cli(standalone_mode=True)
