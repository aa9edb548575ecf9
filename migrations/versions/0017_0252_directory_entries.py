"""directory entries

Revision ID: 0252
Revises: 0251
Create Date: 2026-12-01 16:34:55.319474
"""

from alembic import op
import sqlalchemy as sa


revision = '0252'
down_revision = '0251'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('directory_entries',
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('services', sa.JSON(), nullable=False),
    sa.Column('on_call_hours', sa.String(length=100), nullable=True),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_directory_entries_institution_id_institutions')),
    sa.PrimaryKeyConstraint('institution_id', name=op.f('pk_directory_entries'))
    )


def downgrade() -> None:
    op.drop_table('directory_entries')
