"""The README's backup and restore commands, run: pg_dump's custom format into a new database.

PostgreSQL only (production's database); Debian's pg_dump and pg_restore clients do the work,
as the postgres container's do in the README's `docker compose exec` lines.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from storage import Database, migrate
from tests.deploy.populated import OLD_REVISION, check_survived, populate
from tests.deploy.test_upgrade import upgraded_tool_serves

README = Path(__file__).resolve().parents[2] / "README.md"
# The command lines of README's "Back up and restore", without the connection options.
DUMP = ["pg_dump", "--format=custom"]
RESTORE = ["pg_restore", "--clean", "--if-exists", "--no-owner"]


def libpq_url(sqlalchemy_url: str) -> str:
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(False)


def test_the_readme_documents_these_commands():
    readme = README.read_text()

    assert " ".join(DUMP) in readme
    assert " ".join(RESTORE) in readme


def test_a_dump_restored_into_a_new_database_serves_the_same_data(postgres_databases, tmp_path):
    source = postgres_databases.create()
    migrate.upgrade(source, OLD_REVISION)
    database = Database(source)
    try:
        with database.engine.begin() as connection:
            kid = populate(connection)
    finally:
        database.dispose()
    migrate.upgrade(source)
    backup = tmp_path / "kompetenslyft.dump"

    with backup.open("wb") as out:
        subprocess.run([*DUMP, f"--dbname={libpq_url(source)}"], stdout=out, check=True)
    target = postgres_databases.create()
    with backup.open("rb") as dump:
        subprocess.run([*RESTORE, f"--dbname={libpq_url(target)}"], stdin=dump, check=True)

    restored = Database(target)
    try:
        assert migrate.is_current(restored.engine)
        check_survived(restored, kid)
    finally:
        restored.dispose()
    upgraded_tool_serves(target, tmp_path / "instance", kid)
