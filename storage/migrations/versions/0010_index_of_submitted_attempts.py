"""an index of each person's submitted attempts, newest first

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21 19:00:00

The programme radar and indicators read each person's latest submitted result; with
50,000 people this index makes that an index-only scan (bench/reports.py: the radar's
CPU 219 → 169 ms on PostgreSQL, 530 → 329 ms on SQLite).
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_attempts_submitted",
        "attempts",
        ["person_id", sa.text("submitted_at DESC"), "id", "instrument_id"],
        postgresql_where=sa.text("status = 'submitted'"),
        sqlite_where=sa.text("status = 'submitted'"),
    )


def downgrade() -> None:
    op.drop_index("ix_attempts_submitted", table_name="attempts")
