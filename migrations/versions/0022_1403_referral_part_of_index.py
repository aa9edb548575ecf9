"""referrals: an index on part_of_id, which a referral read's onward chain follows

Revision ID: 1403
Revises: 1402
"""

from alembic import op


revision = '1403'
down_revision = '1402'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_referrals_part_of', 'referrals', ['part_of_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_referrals_part_of', table_name='referrals')
