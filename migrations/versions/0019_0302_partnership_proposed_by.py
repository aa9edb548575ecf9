"""partnerships: who proposed one (four eyes: another coordinator approves it)

Revision ID: 0302
Revises: 0301
"""

from alembic import op
import sqlalchemy as sa


revision = '0302'
down_revision = '0301'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('partnerships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proposed_by', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('partnerships', schema=None) as batch_op:
        batch_op.drop_column('proposed_by')
