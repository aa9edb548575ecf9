"""referrals: part_of_id, the referral an onward referral was made from (FHIR Task.partOf)

Revision ID: 0503
Revises: 0502
Create Date: 2026-12-01 16:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0503'
down_revision = '0502'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('part_of_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key('fk_referrals_part_of_id_referrals', 'referrals',
                                    ['part_of_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_constraint('fk_referrals_part_of_id_referrals', type_='foreignkey')
        batch_op.drop_column('part_of_id')
