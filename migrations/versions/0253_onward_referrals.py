"""onward referrals

Revision ID: 0253
Revises: 0252
Create Date: 2026-12-01 16:55:02.759472
"""

from alembic import op
import sqlalchemy as sa


revision = '0253'
down_revision = '0252'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('based_on_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('subject_holder_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_referrals_based_on_id'), ['based_on_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_referrals_based_on_id_referrals'), 'referrals', ['based_on_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_referrals_subject_holder_id_institutions'), 'institutions', ['subject_holder_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_referrals_subject_holder_id_institutions'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_referrals_based_on_id_referrals'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_referrals_based_on_id'))
        batch_op.drop_column('subject_holder_id')
        batch_op.drop_column('based_on_id')

