"""Migrations build the schema the models describe, and can be undone, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage import Base, Database, migrate

TABLES = {
    "organisations",
    "platform_registrations",
    "deployments",
    "people",
    "contexts",
    "resource_links",
    "login_nonces",
    "launches",
    "tool_keys",
    "frameworks",
    "instruments",
    "role_profiles",
    "learning_activities",
    "attempts",
    "answers",
}


def test_upgrade_downgrade_upgrade(empty_database_url):
    url = empty_database_url()
    database = Database(url)
    try:
        migrate.upgrade(url)
        assert set(inspect(database.engine).get_table_names()) >= TABLES
        assert migrate.is_current(database.engine)

        migrate.downgrade(url, "base")
        assert set(inspect(database.engine).get_table_names()) <= {"alembic_version"}
        assert not migrate.is_current(database.engine)

        migrate.upgrade(url)
        assert set(inspect(database.engine).get_table_names()) >= TABLES
    finally:
        database.dispose()


def test_models_and_migrations_agree(database):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)

    assert differences == []
