"""the target a login was started for, so its launch can be checked against it

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:30:00

The id_token's `target_link_uri` claim must name the address the platform's login
initiation named (LTI 1.3 core, 5.1.1.5).  Rows of logins started before this
migration have none and are checked against the tool's own address only.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("login_nonces", sa.Column("target_link_uri", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("login_nonces", "target_link_uri")
