"""the organisation's own id for a catalogue entry, so a re-imported file updates, not doubles

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 12:00:00

Importing the same catalogue CSV twice added every activity twice.  A re-import now
matches the organisation's entries on the file's `id` column (kept here), else the
link, else the title (competence.catalogue.entry_key).
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("learning_activities", sa.Column("external_id", sa.String(100)))
    op.create_index(
        "ix_learning_activities_external_id",
        "learning_activities",
        ["organisation_id", "external_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_learning_activities_external_id", table_name="learning_activities")
    with op.batch_alter_table("learning_activities") as batch:
        batch.drop_column("external_id")
