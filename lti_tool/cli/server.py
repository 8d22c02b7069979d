"""`kompetenslyft serve` and `kompetenslyft scheduler`: the processes that keep running."""

from __future__ import annotations

import contextlib

import click

from lti.tool_keys import ensure_keys
from lti_tool.cli.support import Instance, pass_instance


@click.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@pass_instance
def serve(instance: Instance, host: str, port: int) -> None:
    """Serve the tool with the built-in server (production: use gunicorn, see README)."""
    from lti_tool import create_app
    from lti_tool.dev_platform.platform import ensure_registered

    settings = instance.settings
    app = create_app(settings, instance.database)
    if settings.runs_scheduler_in_web:
        from sync.scheduler import start_background

        if start_background(settings, instance.database) is not None:
            click.echo("scheduler: running inside the web process")
        else:
            click.echo("scheduler: another instance already runs on this database; not here")
    if settings.dev_platform_enabled:
        with instance.transaction() as session:
            ensure_keys(session)
        with instance.session() as session:
            ensure_registered(session, settings.public_url)
        click.echo(f"dev platform: {settings.public_url.rstrip('/')}/dev-platform/")
    app.run(host=host, port=port, threaded=True, use_reloader=False)


@click.command()
@click.option(
    "--wait",
    is_flag=True,
    help="On SQLite, wait until the running scheduler stops instead of exiting.",
)
@pass_instance
def scheduler(instance: Instance, wait: bool) -> None:
    """Run the scheduled jobs (outbox deliveries, ...) in this process, until stopped."""
    import time

    from sync.scheduler import SchedulerAlreadyRunning, run_blocking

    # Ctrl+C stops it as SIGTERM does (sync.scheduler.run_blocking).
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        while True:
            try:
                click.echo("scheduler running; stop with Ctrl+C")
                run_blocking(instance.settings, instance.database)
                break
            except SchedulerAlreadyRunning as running:
                if not wait:
                    raise click.ClickException(str(running)) from None
                time.sleep(1)
    click.echo("scheduler stopped")
