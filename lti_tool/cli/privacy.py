"""`kompetenslyft person …` and `kompetenslyft audit …`: data-protection requests from
the command line, for an operator answering a request without the admin pages."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import click

from actions.privacy import erase_person, export_person, find_person, subject_of
from lti_tool.cli.support import Instance, organisation_by_slug, pass_instance
from storage.audit import audit_events
from storage.personal_data import TABLES, collect
from storage.personal_erasure import ExternalHolder

HOLDER_KINDS = {
    "lrs": "the organisation's LRS (xAPI statements already forwarded)",
    "gradebook": "the Moodle gradebook (scores already sent)",
    "moodle_plans": "Moodle learning plans (competency ratings already sent)",
    "hr": "the HR system (competence records already sent)",
    "platform": "the learning platform the person launched from (their account there)",
    "statement_api": "Statement API clients that may have read the person's statements",
}


def describe_holder(holder: ExternalHolder) -> str:
    return f"{HOLDER_KINDS[holder.kind]}: {holder.name} ({holder.count})"


def _who(func):
    """The options naming one person of one organisation."""
    for option in reversed(
        [
            click.option("--organisation", "organisation_slug", required=True),
            click.option("--person-id", type=int, default=None),
            click.option("--employee-number", default=None),
            click.option("--email", default=None),
        ]
    ):
        func = option(func)
    return func


def _subject(session, public_url, *, organisation_slug, person_id, employee_number, email):
    """The person the `_who` options name (passed on as they came), or a one-line refusal."""
    if [person_id, employee_number, email].count(None) != 2:
        raise click.UsageError(
            "name the person by exactly one of --person-id, --employee-number and --email"
        )
    organisation = organisation_by_slug(session, organisation_slug)
    person, employee = find_person(
        session, organisation, person_id=person_id, employee_number=employee_number, email=email
    )
    if person is None and employee is None:
        raise click.ClickException(f"no such person in {organisation_slug!r}")
    return subject_of(session, organisation, person, employee, public_url=public_url)


@click.group()
def person() -> None:
    """Export or erase what the tool holds on one person (GDPR articles 15 and 17)."""


@person.command("export")
@_who
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_instance
def person_export(instance: Instance, output: Path, **who) -> None:
    """Write a ZIP: a summary for the person in their language (PDF and web page), then one
    JSON file per table holding rows about the person."""
    with instance.transaction() as session:
        subject = _subject(session, instance.settings.public_url, **who)
        with _pages(instance) as summary:
            output.write_bytes(export_person(session, subject, by_person_id=None, summary=summary))
    click.echo(f"wrote {output}")


@contextmanager
def _pages(instance: Instance):
    """The admin page's summary writer, with the tool's templates and translations (the
    web app, made for this command; never started)."""
    from lti_tool import create_app
    from lti_tool.data_protection import HOLDER_KINDS as PAGE_HOLDER_KINDS
    from lti_tool.export_summary import summary_files
    from lti_tool.organisation import role_names

    app = create_app(instance.settings, database=instance.database)
    with app.test_request_context():
        yield lambda facts, made_at: summary_files(
            facts, made_at=made_at, holder_kinds=PAGE_HOLDER_KINDS, role_names=role_names
        )


@person.command("erase")
@_who
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_instance
def person_erase(instance: Instance, yes: bool, **who) -> None:
    """Remove or pseudonymise the person's data everywhere in the tool."""
    with instance.transaction() as session:
        subject = _subject(session, instance.settings.public_url, **who)
        if not yes:
            click.echo("Rows about this person, per table (and what erasure does):")
            for name, rows in collect(session, subject).items():
                click.echo(f"  {name}: {len(rows)} ({TABLES[name].erasure.value})")
            click.confirm("Erase?", abort=True)
        done = erase_person(session, subject, by_person_id=None)
    click.echo(f"erased (erasure {done.reference}):")
    for name, count in sorted(done.changed.items()):
        click.echo(f"  {name}: {count}")
    if done.holders:
        click.echo("Not erased here; ask these systems to erase what they hold:")
        for holder in done.holders:
            click.echo(f"  {describe_holder(holder)}")


@click.group()
def audit() -> None:
    """The audit log: who viewed, exported or erased whose data."""


@audit.command("list")
@click.option("--organisation", "organisation_slug", default=None)
@click.option("--limit", type=click.IntRange(1, 100000), default=200, show_default=True)
@pass_instance
def audit_list(instance: Instance, organisation_slug, limit) -> None:
    """The newest audit events first (person ids; an erased subject shows as '-')."""
    with instance.transaction() as session:
        organisation_id = (
            organisation_by_slug(session, organisation_slug).id if organisation_slug else None
        )
        events = audit_events(session, organisation_id, limit=limit)
        if not events:
            click.echo("no audit events")
        for event in events:
            click.echo(
                f"{event.at.isoformat()}  {event.action:<13} by "
                f"{event.actor_person_id if event.actor_person_id is not None else 'cli'}  "
                f"about {event.subject_person_id if event.subject_person_id is not None else '-'}"
                f"  {event.detail}"
            )
