"""assessment

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 11:13:35.572998
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import storage.database

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('frameworks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('version', sa.String(length=50), nullable=False),
    sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', storage.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_frameworks_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_frameworks')),
    sa.UniqueConstraint('organisation_id', 'key', 'version', name=op.f('uq_frameworks_organisation_id_key_version'))
    )
    with op.batch_alter_table('frameworks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_frameworks_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('uq_frameworks_shipped_key_version', ['key', 'version'], unique=True, sqlite_where=sa.text('organisation_id IS NULL'), postgresql_where=sa.text('organisation_id IS NULL'))

    op.create_table('learning_activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('framework_key', sa.String(length=100), nullable=False),
    sa.Column('builds', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_learning_activities_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learning_activities'))
    )
    with op.batch_alter_table('learning_activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learning_activities_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('role_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('framework_key', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('name', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('targets', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_role_profiles_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_profiles')),
    sa.UniqueConstraint('organisation_id', 'key', name=op.f('uq_role_profiles_organisation_id_key'))
    )
    op.create_table('instruments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('framework_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('version', sa.String(length=50), nullable=False),
    sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', storage.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['framework_id'], ['frameworks.id'], name=op.f('fk_instruments_framework_id_frameworks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_instruments_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instruments')),
    sa.UniqueConstraint('organisation_id', 'key', 'version', name=op.f('uq_instruments_organisation_id_key_version'))
    )
    with op.batch_alter_table('instruments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instruments_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('uq_instruments_shipped_key_version', ['key', 'version'], unique=True, sqlite_where=sa.text('organisation_id IS NULL'), postgresql_where=sa.text('organisation_id IS NULL'))

    op.create_table('attempts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('resource_link_id', sa.Integer(), nullable=True),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('launch_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.Enum('in_progress', 'submitted', name='attempt_status'), nullable=False),
    sa.Column('started_at', storage.database.UTCDateTime(), nullable=False),
    sa.Column('updated_at', storage.database.UTCDateTime(), nullable=False),
    sa.Column('submitted_at', storage.database.UTCDateTime(), nullable=True),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('overall_level', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['instrument_id'], ['instruments.id'], name=op.f('fk_attempts_instrument_id_instruments')),
    sa.ForeignKeyConstraint(['launch_id'], ['launches.id'], name=op.f('fk_attempts_launch_id_launches'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_attempts_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_link_id'], ['resource_links.id'], name=op.f('fk_attempts_resource_link_id_resource_links'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempts'))
    )
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_index('ix_attempts_person_link', ['person_id', 'resource_link_id'], unique=False)

    op.create_table('answers',
    sa.Column('attempt_id', sa.String(length=36), nullable=False),
    sa.Column('item_id', sa.String(length=100), nullable=False),
    sa.Column('option_id', sa.String(length=100), nullable=False),
    sa.Column('answered_at', storage.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_answers_attempt_id_attempts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('attempt_id', 'item_id', name=op.f('pk_answers'))
    )


def downgrade() -> None:
    op.drop_table('answers')
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_attempts_person_link')

    op.drop_table('attempts')
    sa.Enum(name='attempt_status').drop(op.get_bind(), checkfirst=True)
    with op.batch_alter_table('instruments', schema=None) as batch_op:
        batch_op.drop_index('uq_instruments_shipped_key_version', sqlite_where=sa.text('organisation_id IS NULL'), postgresql_where=sa.text('organisation_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_instruments_organisation_id'))

    op.drop_table('instruments')
    op.drop_table('role_profiles')
    with op.batch_alter_table('learning_activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learning_activities_organisation_id'))

    op.drop_table('learning_activities')
    with op.batch_alter_table('frameworks', schema=None) as batch_op:
        batch_op.drop_index('uq_frameworks_shipped_key_version', sqlite_where=sa.text('organisation_id IS NULL'), postgresql_where=sa.text('organisation_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_frameworks_organisation_id'))

    op.drop_table('frameworks')
