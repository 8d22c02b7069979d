"""organisation profiles: colour, logo, service contact and texts of the public pages

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 18:00:00

Each organisation may set the colour the pages are themed with, a logo for the header, the
contact details of its accessibility statement and privacy notice, and free text for both
(storage.organisation_profiles).  An organisation without a row gets the defaults.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import storage.database

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisation_profiles",
        sa.Column(
            "organisation_id",
            sa.Integer(),
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("colour", sa.String(7), nullable=True),
        sa.Column("logo", sa.Text(), nullable=True),
        sa.Column("contact_email", sa.String(255), nullable=True),
        sa.Column("contact_phone", sa.String(255), nullable=True),
        sa.Column(
            "texts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("statement_reviewed_on", sa.Date(), nullable=True),
        sa.Column("updated_at", storage.database.UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("organisation_profiles")
