"""an employee HR no longer lists has no current employment

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 12:00:00

Programme figures count whoever was employed during a period (competence.programme),
no longer whoever HR lists as active today, so that an HR import never changes past
years.  An import that stops listing someone closes their employment on that day; an
inactive employee whose employment was left open (the example organisation seeded
before this change, or a hand edit) would now count in every period.  Their open
employment ends when they were last changed, which for someone no longer listed is
when they were deactivated (never before it began).  Nothing is undone on downgrade:
before this revision an ended employment of an inactive employee meant the same.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    employees = sa.table(
        "employees",
        sa.column("id", sa.Integer),
        sa.column("active", sa.Boolean),
        sa.column("updated_at", sa.DateTime),
    )
    employments = sa.table(
        "employments",
        sa.column("employee_id", sa.Integer),
        sa.column("valid_from", sa.DateTime),
        sa.column("valid_to", sa.DateTime),
    )
    deactivated = (
        sa.select(employees.c.updated_at)
        .where(employees.c.id == employments.c.employee_id)
        .scalar_subquery()
    )
    op.execute(
        employments.update()
        .where(
            employments.c.valid_to.is_(None),
            employments.c.employee_id.in_(
                sa.select(employees.c.id).where(employees.c.active.is_(sa.false()))
            ),
        )
        .values(
            valid_to=sa.case(
                (deactivated > employments.c.valid_from, deactivated),
                else_=employments.c.valid_from,
            )
        )
    )


def downgrade() -> None:
    """Nothing to undo: before this revision an ended employment of an inactive employee
    meant the same as an open one (see the module docstring)."""
