"""Migration 0016: an employee HR no longer lists has no current employment, so the
programme figures (which count whoever was employed in a period) do not count them in
every period from now on."""

from datetime import datetime

import sqlalchemy as sa

from storage import Database, migrate

NOW = datetime(2026, 11, 1)
LEFT = datetime(2026, 6, 1, 12)
EMPLOYED = datetime(2024, 1, 1)


def test_an_inactive_employees_open_employment_ends_when_they_were_deactivated(
    empty_database_url,
):
    url = empty_database_url()
    database = Database(url)
    try:
        migrate.upgrade(url, "0014")
        metadata = sa.MetaData()
        metadata.reflect(database.engine, only=["organisations", "employees", "employments"])
        organisations, employees, employments = (
            metadata.tables[name] for name in ("organisations", "employees", "employments")
        )
        with database.engine.begin() as connection:
            connection.execute(
                organisations.insert().values(id=1, slug="k", name="Kommun", created_at=NOW)
            )
            for number, active in ((1, True), (2, False), (3, False)):
                connection.execute(
                    employees.insert().values(
                        id=number,
                        organisation_id=1,
                        employee_number=f"E{number}",
                        name=f"Anställd {number}",
                        digital_role_model=False,
                        active=active,
                        created_at=EMPLOYED,
                        updated_at=LEFT,
                    )
                )
            connection.execute(
                employments.insert(),
                [
                    # Still listed: stays open.
                    {"id": 1, "employee_id": 1, "valid_from": EMPLOYED, "valid_to": None},
                    # No longer listed, left open (an old seed): ends when deactivated.
                    {"id": 2, "employee_id": 2, "valid_from": EMPLOYED, "valid_to": None},
                    # Ended by an import: kept as it was.
                    {"id": 3, "employee_id": 3, "valid_from": EMPLOYED, "valid_to": NOW},
                    # Began after the last change (a hand edit): ends the day it began.
                    {"id": 4, "employee_id": 3, "valid_from": NOW, "valid_to": None},
                ],
            )

        migrate.upgrade(url)

        with database.engine.connect() as connection:
            ended = dict(
                connection.execute(
                    sa.select(employments.c.id, employments.c.valid_to).order_by(employments.c.id)
                ).all()
            )
        assert ended == {1: None, 2: LEFT, 3: NOW, 4: NOW}
    finally:
        database.dispose()
