"""clients: keys by URL (jwks_uri), with the fetch time and the last kid-prompted refetch

Revision ID: 0108
Revises: 0102
Create Date: 2026-11-27 01:52:05.248987
"""

from alembic import op
import sqlalchemy as sa


revision = '0108'
down_revision = '0102'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('jwks_uri', sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column('jwks_fetched_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('jwks_refetched_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('jwks_refetched_at')
        batch_op.drop_column('jwks_fetched_at')
        batch_op.drop_column('jwks_uri')
