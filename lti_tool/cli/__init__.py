"""The `kompetenslyft` command: database, platforms, keys and the server.

One module per command group, as warehouse's `warehouse/cli/`.  The root group reads the
settings once and hands them on in click's context object with the one database every
command uses (`support.Instance`; a command asks for it with `@pass_instance`).  A command
parses its options, calls the function the pages call too (`lti.platforms`,
`storage.staff_import`, `actions.privacy`, …) and prints what it returns.
"""

from __future__ import annotations

import sys

import click

from config import Settings, SettingsError, load_settings
from lti_tool.cli import (
    catalogue,
    db,
    dev,
    framework,
    hr,
    instrument,
    keys,
    platform,
    privacy,
    role_profile,
    server,
    sync,
    xapi,
)
from lti_tool.cli.errors import CommandLine, one_line
from lti_tool.cli.support import Instance
from lti_tool.request_logs import configure_logging


@click.group(cls=CommandLine)
@click.option(
    "--debug",
    is_flag=True,
    envvar="KOMPETENSLYFT_DEBUG",
    help="Show the traceback of an unexpected error (also KOMPETENSLYFT_DEBUG=1).",
)
@click.pass_context
def cli(context: click.Context, debug: bool) -> None:
    """Kompetenslyft: digital competence assessment as an LTI 1.3 tool.

    A failure ends in one line: exit code 2 for input that cannot be used (a file nested too
    deeply, a NUL character, a value the database cannot store), 1 for anything else."""
    # `main` has read the settings already; a test invoking `cli` itself has not.
    settings = context.obj if isinstance(context.obj, Settings) else load_settings()
    context.obj = Instance(settings)
    context.call_on_close(context.obj.close)


for command in (
    db.db,
    platform.platform,
    keys.keys,
    framework.framework,
    instrument.instrument,
    role_profile.role_profile,
    dev.dev,
    catalogue.catalogue,
    server.serve,
    server.scheduler,
    xapi.xapi,
    hr.hr,
    sync.sync,
    privacy.person,
    privacy.audit,
):
    cli.add_command(command)


def main() -> None:
    try:
        settings = load_settings()
        # Every command's log lines (the scheduler's above all) in the production format.
        configure_logging(settings)
    except SettingsError as error:
        one_line(error).show()
        sys.exit(2)
    cli(standalone_mode=True, obj=settings)
