"""institutions: student and counsellor counts, for the staff ratio of the reports

Revision ID: 0301
Revises: 0252
"""

from alembic import op
import sqlalchemy as sa


revision = '0301'
down_revision = '0252'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('student_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('counsellor_count', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.drop_column('counsellor_count')
        batch_op.drop_column('student_count')
