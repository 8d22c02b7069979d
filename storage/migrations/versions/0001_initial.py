"""organisations, platforms, people, courses, launches, keys

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 11:02:40.053435
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import storage.database

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('created_at', storage.database.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('slug', name=op.f('uq_organisations_slug'))
    )
    op.create_table('tool_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('state', sa.Enum('next', 'active', 'retired', name='tool_key_state'), nullable=False),
    sa.Column('private_key_pem', sa.Text(), nullable=False),
    sa.Column('public_jwk', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', storage.database.UTCDateTime(), nullable=False),
    sa.Column('activated_at', storage.database.UTCDateTime(), nullable=True),
    sa.Column('retired_at', storage.database.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_tool_keys'))
    )
    with op.batch_alter_table('tool_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tool_keys_state'), ['state'], unique=False)

    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('given_name', sa.String(length=255), nullable=True),
    sa.Column('family_name', sa.String(length=255), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('person_sourcedid', sa.String(length=255), nullable=True),
    sa.Column('created_at', storage.database.UTCDateTime(), nullable=False),
    sa.Column('updated_at', storage.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_people_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
    sa.UniqueConstraint('issuer', 'subject', name=op.f('uq_people_issuer_subject'))
    )
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_people_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_people_person_sourcedid'), ['person_sourcedid'], unique=False)

    op.create_table('platform_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('auth_login_url', sa.Text(), nullable=False),
    sa.Column('auth_token_url', sa.Text(), nullable=False),
    sa.Column('key_set_url', sa.Text(), nullable=False),
    sa.Column('auth_audience', sa.Text(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', storage.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_platform_registrations_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_registrations')),
    sa.UniqueConstraint('issuer', 'client_id', name=op.f('uq_platform_registrations_issuer_client_id'))
    )
    with op.batch_alter_table('platform_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_platform_registrations_issuer'), ['issuer'], unique=False)
        batch_op.create_index(batch_op.f('ix_platform_registrations_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('deployments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.String(length=255), nullable=False),
    sa.Column('created_at', storage.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['platform_registrations.id'], name=op.f('fk_deployments_registration_id_platform_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deployments')),
    sa.UniqueConstraint('registration_id', 'deployment_id', name=op.f('uq_deployments_registration_id_deployment_id'))
    )
    op.create_table('login_nonces',
    sa.Column('nonce', sa.String(length=128), nullable=False),
    sa.Column('state', sa.String(length=128), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.database.UTCDateTime(), nullable=False),
    sa.Column('expires_at', storage.database.UTCDateTime(), nullable=False),
    sa.Column('consumed_at', storage.database.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['registration_id'], ['platform_registrations.id'], name=op.f('fk_login_nonces_registration_id_platform_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('nonce', name=op.f('pk_login_nonces')),
    sa.UniqueConstraint('state', name=op.f('uq_login_nonces_state'))
    )
    with op.batch_alter_table('login_nonces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_nonces_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_nonces_registration_id'), ['registration_id'], unique=False)

    op.create_table('contexts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.Column('lti_context_id', sa.String(length=255), nullable=False),
    sa.Column('label', sa.String(length=255), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('types', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', storage.database.UTCDateTime(), nullable=False),
    sa.Column('updated_at', storage.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'], name=op.f('fk_contexts_deployment_id_deployments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contexts')),
    sa.UniqueConstraint('deployment_id', 'lti_context_id', name=op.f('uq_contexts_deployment_id_lti_context_id'))
    )
    op.create_table('resource_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.Column('context_id', sa.Integer(), nullable=True),
    sa.Column('lti_resource_link_id', sa.String(length=255), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('custom', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', storage.database.UTCDateTime(), nullable=False),
    sa.Column('updated_at', storage.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['context_id'], ['contexts.id'], name=op.f('fk_resource_links_context_id_contexts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'], name=op.f('fk_resource_links_deployment_id_deployments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_links')),
    sa.UniqueConstraint('deployment_id', 'lti_resource_link_id', name=op.f('uq_resource_links_deployment_id_lti_resource_link_id'))
    )
    with op.batch_alter_table('resource_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_links_context_id'), ['context_id'], unique=False)

    op.create_table('launches',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.Column('context_id', sa.Integer(), nullable=True),
    sa.Column('resource_link_id', sa.Integer(), nullable=True),
    sa.Column('message_type', sa.String(length=64), nullable=False),
    sa.Column('roles', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('locale', sa.String(length=35), nullable=True),
    sa.Column('claims', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('return_url', sa.Text(), nullable=True),
    sa.Column('created_at', storage.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['context_id'], ['contexts.id'], name=op.f('fk_launches_context_id_contexts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'], name=op.f('fk_launches_deployment_id_deployments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_launches_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['platform_registrations.id'], name=op.f('fk_launches_registration_id_platform_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_link_id'], ['resource_links.id'], name=op.f('fk_launches_resource_link_id_resource_links'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_launches'))
    )
    with op.batch_alter_table('launches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_launches_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_launches_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_launches_registration_id'), ['registration_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('launches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_launches_registration_id'))
        batch_op.drop_index(batch_op.f('ix_launches_person_id'))
        batch_op.drop_index(batch_op.f('ix_launches_created_at'))

    op.drop_table('launches')
    with op.batch_alter_table('resource_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resource_links_context_id'))

    op.drop_table('resource_links')
    op.drop_table('contexts')
    with op.batch_alter_table('login_nonces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_nonces_registration_id'))
        batch_op.drop_index(batch_op.f('ix_login_nonces_expires_at'))

    op.drop_table('login_nonces')
    op.drop_table('deployments')
    with op.batch_alter_table('platform_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_platform_registrations_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_platform_registrations_issuer'))

    op.drop_table('platform_registrations')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_people_person_sourcedid'))
        batch_op.drop_index(batch_op.f('ix_people_organisation_id'))

    op.drop_table('people')
    with op.batch_alter_table('tool_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tool_keys_state'))

    op.drop_table('tool_keys')
    # PostgreSQL keeps an enum's type after its table is gone.
    sa.Enum(name='tool_key_state').drop(op.get_bind(), checkfirst=True)
    op.drop_table('organisations')
