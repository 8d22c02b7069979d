"""xapi statements: the embedded statement store

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 12:51:29.690868
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import storage.database

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('xapi_statements',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('verb', sa.String(length=255), nullable=False),
    sa.Column('registration', sa.String(length=36), nullable=True),
    sa.Column('actor_home_page', sa.String(length=255), nullable=False),
    sa.Column('actor_name', sa.String(length=255), nullable=False),
    sa.Column('statement', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('stored', storage.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_xapi_statements_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_statements'))
    )
    with op.batch_alter_table('xapi_statements', schema=None) as batch_op:
        batch_op.create_index('ix_xapi_statements_actor', ['actor_home_page', 'actor_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_xapi_statements_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_xapi_statements_registration'), ['registration'], unique=False)
        batch_op.create_index(batch_op.f('ix_xapi_statements_stored'), ['stored'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('xapi_statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xapi_statements_stored'))
        batch_op.drop_index(batch_op.f('ix_xapi_statements_registration'))
        batch_op.drop_index(batch_op.f('ix_xapi_statements_organisation_id'))
        batch_op.drop_index('ix_xapi_statements_actor')

    op.drop_table('xapi_statements')
