"""Migrations build the schema the models describe, and can be undone, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

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
    "deliveries",
    "memberships",
    "line_items",
    "registration_invitations",
    "used_registration_tokens",
    "xapi_statements",
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


# Alembic cannot compare indexes with an expression (DESC) in them; they are checked by name.
EXPRESSION_INDEXES = {"ix_attempts_submitted"}


def _comparable(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


def test_models_and_migrations_agree(database):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": _comparable}
        )
        differences = compare_metadata(context, Base.metadata)
        indexes = {index["name"] for index in inspect(connection).get_indexes("attempts")}

    assert differences == []
    assert indexes >= EXPRESSION_INDEXES


def test_upgrading_a_populated_database_keeps_its_rows(empty_database_url):
    url = empty_database_url()
    database = Database(url)
    try:
        migrate.upgrade(url, "0002")
        with database.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO organisations (id, slug, name, created_at) "
                    "VALUES (1, 'umea', 'Umeå kommun', CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO platform_registrations (id, organisation_id, name, issuer, "
                    "client_id, auth_login_url, auth_token_url, key_set_url, enabled, created_at) "
                    "VALUES (1, 1, 'Moodle', 'https://m.example', 'c', 'https://m.example/a', "
                    "'https://m.example/t', 'https://m.example/k', true, CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO deployments (id, registration_id, deployment_id, created_at) "
                    "VALUES (1, 1, '1', CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO resource_links (id, deployment_id, lti_resource_link_id, custom, "
                    "created_at, updated_at) VALUES (1, 1, 'rl', '{}', CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP)"
                )
            )

        migrate.upgrade(url)

        with database.engine.connect() as connection:
            rows = connection.execute(text("SELECT lti_resource_link_id FROM resource_links"))
            assert [row[0] for row in rows] == ["rl"]
            names = connection.execute(text("SELECT name FROM organisations")).scalars().all()
            assert names == ["Umeå kommun"]
    finally:
        database.dispose()
