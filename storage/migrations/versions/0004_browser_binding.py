"""browser binding

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 11:36:25.663905
"""

import sqlalchemy as sa
from alembic import op

import storage.database

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('login_nonces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('binding', sa.String(length=16), server_default='cookie', nullable=False))
        batch_op.add_column(sa.Column('storage_target', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('browser_secret_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('user_agent_hash', sa.String(length=64), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('login_nonces', schema=None) as batch_op:
        batch_op.drop_column('user_agent_hash')
        batch_op.drop_column('browser_secret_hash')
        batch_op.drop_column('storage_target')
        batch_op.drop_column('binding')

