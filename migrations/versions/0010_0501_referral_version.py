"""referrals: a version counter (FHIR meta.versionId, ETag, If-Match)

Revision ID: 0501
Revises: 0108
Create Date: 2026-12-01 16:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0501'
down_revision = '0108'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                      server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_column('version')
