"""delivery organisation

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 12:47:31.424670
"""

import sqlalchemy as sa
from alembic import op

import storage.database

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_deliveries_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_deliveries_organisation_id_organisations'), 'organisations', ['organisation_id'], ['id'], ondelete='CASCADE')



def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_deliveries_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_deliveries_organisation_id'))
        batch_op.drop_column('organisation_id')

