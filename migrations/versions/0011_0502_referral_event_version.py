"""referral_events: the referral version each event made (FHIR Task _history)

Revision ID: 0502
Revises: 0501
Create Date: 2026-12-01 16:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0502'
down_revision = '0501'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('referral_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('referral_events', schema=None) as batch_op:
        batch_op.drop_column('version')
