"""bookings: the holder's subject key of identified case material, to re-decide consent per read

Bookings made identified before this revision have no key, so they read de-identified.

Revision ID: 0105
Revises: 0101
Create Date: 2026-11-27 01:34:57.979877
"""

from alembic import op
import sqlalchemy as sa


revision = '0105'
down_revision = '0101'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_subject_key', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('case_subject_key')
