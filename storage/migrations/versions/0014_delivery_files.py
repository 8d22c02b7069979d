"""the file each HR files delivery was written into, in a table of its own

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-21 20:40:00

Until now a batch's file name was written into each delivery's JSON payload before the
file was written: one UPDATE rewriting 5,000 payloads per file, which on PostgreSQL cost as
much as the claim itself (100,000 records to CSV: 17.4 s on a quiet machine, the limit is
10 s).  Names already recorded in payloads move into the table.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery_files",
        sa.Column("delivery_id", sa.String(36), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("delivery_id"),
    )
    op.create_index("ix_delivery_files_file_name", "delivery_files", ["file_name"])
    if op.get_bind().dialect.name == "postgresql":
        named = "payload::jsonb ->> 'file'"
    else:
        named = "json_extract(payload, '$.file')"
    op.execute(
        "INSERT INTO delivery_files (delivery_id, file_name) "
        f"SELECT id, {named} FROM deliveries WHERE target = 'hr.files' AND {named} IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_delivery_files_file_name", table_name="delivery_files")
    op.drop_table("delivery_files")
