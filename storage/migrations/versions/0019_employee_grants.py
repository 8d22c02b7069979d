"""a role can be granted to an employee from HR's staff list who has not opened the tool yet

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 18:00:00

A grant names either the person (the LTI identity, once they have launched) or the
employee of HR's list; a grant of an employee applies to whoever that employee is
linked to, which happens on their first launch (storage.staff.link_person).  Existing
grants all name a person and stay as they are.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("grants") as batch:
        batch.alter_column("person_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("employee_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_grants_employee_id_employees",
            "employees",
            ["employee_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_unique_constraint(
            "uq_grants_organisation_id_employee_id_role",
            ["organisation_id", "employee_id", "role"],
        )


def downgrade() -> None:
    op.execute("DELETE FROM grants WHERE person_id IS NULL")
    with op.batch_alter_table("grants") as batch:
        batch.drop_constraint("uq_grants_organisation_id_employee_id_role", type_="unique")
        batch.drop_constraint("fk_grants_employee_id_employees", type_="foreignkey")
        batch.drop_column("employee_id")
        batch.alter_column("person_id", existing_type=sa.Integer(), nullable=False)
