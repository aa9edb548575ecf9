"""referral network: cases, lifecycle clock, events, attachments, SLAs, endpoints, leases

Revision ID: 0102
Revises: 0105
Create Date: 2026-11-27 01:13:31.748500
"""

from alembic import op
import sqlalchemy as sa


revision = '0102'
down_revision = '0105'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cases',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('subject_key', sa.String(length=64), nullable=False),
    sa.Column('attention_tier', sa.Enum('daily', 'key', 'crisis', name='attentiontier', native_enum=False, length=32), nullable=False),
    sa.Column('reported_level', sa.Enum('dormitory', 'class', 'college', 'school_centre', name='reportlevel', native_enum=False, length=32), nullable=False),
    sa.Column('current_level', sa.Enum('dormitory', 'class', 'college', 'school_centre', name='reportlevel', native_enum=False, length=32), nullable=False),
    sa.Column('reporter_role', sa.String(length=64), nullable=False),
    sa.Column('leader', sa.Text(), nullable=True),
    sa.Column('team', sa.Text(), nullable=True),
    sa.Column('plan', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('open', 'closed', name='casestatus', native_enum=False, length=32), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_cases_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_institution', ['institution_id', 'created_at'], unique=False)

    op.create_table('delivery_endpoints',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=True),
    sa.Column('region', sa.String(length=64), nullable=True),
    sa.Column('format', sa.String(length=32), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(institution_id IS NULL) <> (region IS NULL)', name=op.f('ck_delivery_endpoints_one_addressee')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_delivery_endpoints_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_endpoints')),
    sa.UniqueConstraint('institution_id', name=op.f('uq_delivery_endpoints_institution_id')),
    sa.UniqueConstraint('region', name=op.f('uq_delivery_endpoints_region'))
    )
    op.create_table('sla_policies',
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('receipt_minutes', sa.Integer(), nullable=False),
    sa.Column('decision_minutes', sa.Integer(), nullable=False),
    sa.Column('on_call_contact', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_sla_policies_institution_id_institutions')),
    sa.PrimaryKeyConstraint('institution_id', name=op.f('pk_sla_policies'))
    )
    op.create_table('case_entries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('assessment', 'escalation', 'tier_change', 'referral_outcome', 'follow_up', name='caseentrykind', native_enum=False, length=32), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('level', sa.Enum('dormitory', 'class', 'college', 'school_centre', name='reportlevel', native_enum=False, length=32), nullable=True),
    sa.Column('tier', sa.Enum('daily', 'key', 'crisis', name='attentiontier', native_enum=False, length=32), nullable=True),
    sa.Column('instrument', sa.String(length=32), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('risk_level', sa.String(length=16), nullable=True),
    sa.Column('referral_id', sa.Uuid(), nullable=True),
    sa.Column('referral_status', sa.String(length=32), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_entries_case_id_cases')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_case_entries_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_entries'))
    )
    with op.batch_alter_table('case_entries', schema=None) as batch_op:
        batch_op.create_index('ix_case_entries_case', ['case_id', 'recorded_at'], unique=False)

    op.create_table('referral_attachments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('filename', sa.Text(), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('uploader_institution_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_attachments_referral_id_referrals')),
    sa.ForeignKeyConstraint(['uploader_institution_id'], ['institutions.id'], name=op.f('fk_referral_attachments_uploader_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_attachments'))
    )
    with op.batch_alter_table('referral_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_attachments_referral_id'), ['referral_id'], unique=False)

    op.create_table('referral_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('from_status', sa.String(length=32), nullable=True),
    sa.Column('to_status', sa.String(length=32), nullable=True),
    sa.Column('business_status', sa.String(length=32), nullable=True),
    sa.Column('appointment_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_events_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_events'))
    )
    with op.batch_alter_table('referral_events', schema=None) as batch_op:
        batch_op.create_index('ix_referral_events_referral', ['referral_id', 'recorded_at'], unique=False)

    op.create_table('sla_breaches',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('receipt', 'decision', name='slakind', native_enum=False, length=32), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_sla_breaches_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_breaches')),
    sa.UniqueConstraint('referral_id', 'kind', name=op.f('uq_sla_breaches_referral_id_kind'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('business_status', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('case_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('received_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('first_appointment_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('receipt_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('decision_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_referrals_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_status'), ['status'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_referrals_case_id_cases'), 'cases', ['case_id'], ['id'])

    # Referrals sent before the lifecycle clock existed were submitted when created.
    op.execute("UPDATE referrals SET submitted_at = created_at WHERE submitted_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_referrals_case_id_cases'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_referrals_status'))
        batch_op.drop_index(batch_op.f('ix_referrals_case_id'))
        batch_op.drop_column('expires_at')
        batch_op.drop_column('decision_due_at')
        batch_op.drop_column('receipt_due_at')
        batch_op.drop_column('completed_at')
        batch_op.drop_column('first_appointment_at')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('received_at')
        batch_op.drop_column('submitted_at')
        batch_op.drop_column('case_id')
        batch_op.drop_column('business_status')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claimed_by')

    op.drop_table('sla_breaches')
    with op.batch_alter_table('referral_events', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_events_referral')

    op.drop_table('referral_events')
    with op.batch_alter_table('referral_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_attachments_referral_id'))

    op.drop_table('referral_attachments')
    with op.batch_alter_table('case_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_case_entries_case')

    op.drop_table('case_entries')
    op.drop_table('sla_policies')
    op.drop_table('delivery_endpoints')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_institution')

    op.drop_table('cases')
