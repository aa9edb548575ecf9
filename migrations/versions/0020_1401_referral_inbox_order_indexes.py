"""referrals: indexes for the inbox's deadline and last-update keyset orders

Revision ID: 1401
Revises: 0302
"""

from alembic import op
import sqlalchemy as sa


revision = '1401'
down_revision = '0302'
branch_labels = None
depends_on = None

# Referral.deadline_order, as SQLAlchemy renders it (the planner matches the expression)
DEADLINE_ORDER = ("coalesce(CASE WHEN (status = 'submitted') THEN coalesce(receipt_due_at, "
                  "expires_at) WHEN (status = 'received') THEN decision_due_at END, "
                  "'9999-12-31 00:00:00+00:00')")


def upgrade() -> None:
    op.create_index('ix_referrals_inbox_updated', 'referrals',
                    ['recipient_id', 'updated_at', 'id'], unique=False)
    if op.get_context().dialect.name == 'postgresql':
        op.create_index('ix_referrals_inbox_deadline', 'referrals',
                        ['recipient_id', sa.text(DEADLINE_ORDER), 'id'], unique=False)


def downgrade() -> None:
    if op.get_context().dialect.name == 'postgresql':
        op.drop_index('ix_referrals_inbox_deadline', table_name='referrals')
    op.drop_index('ix_referrals_inbox_updated', table_name='referrals')
