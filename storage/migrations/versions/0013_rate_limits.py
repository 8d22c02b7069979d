"""rate-limit windows shared by every web worker

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-21 21:00:00

Login initiation, launch and the Statement API count requests per client in fixed
windows; the counts live here so that every worker (and machine) sees the same ones.
"""

import sqlalchemy as sa
from alembic import op

from storage.database import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_windows",
        sa.Column("bucket", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "bucket", "key_hash", "window_start", name=op.f("pk_rate_limit_windows")
        ),
    )
    op.create_index(
        "ix_rate_limit_windows_window_start", "rate_limit_windows", ["window_start"]
    )


def downgrade() -> None:
    op.drop_index("ix_rate_limit_windows_window_start", table_name="rate_limit_windows")
    op.drop_table("rate_limit_windows")
