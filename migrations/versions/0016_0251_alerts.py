"""alerts and alert contacts

Revision ID: 0251
Revises: 0201
Create Date: 2026-12-01 16:10:22.536202
"""

from alembic import op
import sqlalchemy as sa


revision = '0251'
down_revision = '0201'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_contacts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=True),
    sa.Column('region', sa.String(length=64), nullable=True),
    sa.Column('email', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(institution_id IS NULL) <> (region IS NULL)', name=op.f('ck_alert_contacts_one_addressee')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_alert_contacts_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_contacts'))
    )
    with op.batch_alter_table('alert_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_contacts_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_contacts_region'), ['region'], unique=False)

    op.create_table('alerts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('breakglass_released', 'sla_breached', 'crisis_review_overdue', 'handed_back', name='alertkind', native_enum=False, length=32), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=True),
    sa.Column('pseudonym', sa.String(length=128), nullable=True),
    sa.Column('cause_type', sa.String(length=64), nullable=False),
    sa.Column('cause_id', sa.Uuid(), nullable=False),
    sa.Column('message_id', sa.Uuid(), nullable=False),
    sa.Column('mail_state', sa.Enum('waiting', 'not_needed', 'due', 'sent', 'failed', name='mailstate', native_enum=False, length=32), nullable=False),
    sa.Column('mail_attempts', sa.Integer(), nullable=False),
    sa.Column('mail_next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('mail_claimed_by', sa.String(length=64), nullable=True),
    sa.Column('mail_claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('mail_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('mail_error', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_alerts_institution_id_institutions')),
    sa.ForeignKeyConstraint(['message_id'], ['outbox.id'], name=op.f('fk_alerts_message_id_outbox')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_mail_due', ['mail_state', 'mail_next_attempt_at'], unique=False)
        batch_op.create_index('ix_alerts_region_open', ['region', 'acknowledged_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_region_open')
        batch_op.drop_index('ix_alerts_mail_due')

    op.drop_table('alerts')
    with op.batch_alter_table('alert_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_contacts_region'))
        batch_op.drop_index(batch_op.f('ix_alert_contacts_institution_id'))

    op.drop_table('alert_contacts')
