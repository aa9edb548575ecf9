"""clients: DPoP-bound flag (RFC 9449) and the spent DPoP proof ids

Revision ID: 0651
Revises: 0503
Create Date: 2026-12-01 16:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0651'
down_revision = '0503'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dpop_bound', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    op.create_table('used_dpop_proofs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('jti', sa.String(length=256), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.client_id'], name=op.f('fk_used_dpop_proofs_client_id_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_used_dpop_proofs')),
    sa.UniqueConstraint('client_id', 'jti', name=op.f('uq_used_dpop_proofs_client_id_jti'))
    )
    with op.batch_alter_table('used_dpop_proofs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_dpop_proofs_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('used_dpop_proofs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_dpop_proofs_expires_at'))
    op.drop_table('used_dpop_proofs')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('dpop_bound')
