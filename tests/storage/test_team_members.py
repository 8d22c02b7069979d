"""The manager's team page lists the active people of the team, each with their current job."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from storage import Employee, Employment, Organisation, Unit
from storage.staff import team_members


def test_a_manager_sees_the_active_team_by_name_each_with_their_current_employment(db):
    ours = Organisation(slug=f"org-{uuid.uuid4().hex[:8]}", name="A")
    theirs = Organisation(slug=f"org-{uuid.uuid4().hex[:8]}", name="B")
    db.add_all([ours, theirs])
    db.flush()
    unit = Unit(organisation_id=ours.id, code="SOC", name="Socialtjänsten")
    db.add(unit)
    employees = {
        name: Employee(organisation_id=org.id, employee_number=name, name=name, active=active)
        for name, org, active in (
            ("örjan", ours, True),
            ("Bo", ours, True),
            ("anna", ours, True),
            ("Left", ours, False),
            ("Other", theirs, True),
        )
    }
    db.add_all(employees.values())
    db.flush()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    db.add_all(
        [
            Employment(
                employee_id=employees["Bo"].id,
                unit_id=unit.id,
                role_title="Old role",
                valid_from=start,
                valid_to=datetime(2025, 6, 1, tzinfo=UTC),
            ),
            Employment(
                employee_id=employees["Bo"].id,
                unit_id=unit.id,
                role_title="Undersköterska",
                valid_from=datetime(2025, 6, 1, tzinfo=UTC),
            ),
        ]
    )
    db.flush()

    team = team_members(db, ours.id, frozenset(e.id for e in employees.values()))

    assert [(e.name, job.role_title if job else None) for e, job in team] == [
        ("anna", None),
        ("Bo", "Undersköterska"),
        ("örjan", None),
    ]
    db.rollback()
