"""closed loop, case side: campuses, ledger columns, one open case per student, hand-backs,
handovers

Revision ID: 0201
Revises: 0401
Create Date: 2026-12-01 16:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0201'
down_revision = '0401'
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_table(
        'campuses',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('institution_id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('district', sa.String(length=64), nullable=False),
        sa.Column('region', sa.String(length=64), nullable=False),
        sa.Column('green_channel_recipient_id', sa.Uuid(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                                name='fk_campuses_institution_id_institutions'),
        sa.ForeignKeyConstraint(['green_channel_recipient_id'], ['institutions.id'],
                                name='fk_campuses_green_channel_recipient_id_institutions'),
        sa.PrimaryKeyConstraint('id', name='pk_campuses'),
        sa.UniqueConstraint('institution_id', 'name', name='uq_campuses_institution_id_name'),
    )
    op.create_index('ix_campuses_institution_id', 'campuses', ['institution_id'])
    for table in ('cases', 'referrals', 'bookings'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('campus_id', sa.Uuid(), nullable=True))
            batch_op.create_foreign_key(f'fk_{table}_campus_id_campuses', 'campuses',
                                        ['campus_id'], ['id'])
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_review_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('next_follow_up_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('risk_level', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('closure_reason', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('risk_factors', sa.Text(), nullable=True))
        batch_op.create_index('ix_cases_review_due', ['institution_id', 'next_review_at'])
        batch_op.create_index('uq_cases_one_open', ['institution_id', 'subject_key'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_table(
        'screening_rounds',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('institution_id', sa.Uuid(), nullable=False),
        sa.Column('campus_id', sa.Uuid(), nullable=True),
        sa.Column('screened_on', sa.Date(), nullable=False),
        sa.Column('instrument', sa.String(length=32), nullable=False),
        sa.Column('screened', sa.Integer(), nullable=False),
        sa.Column('positive', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('screened >= 0 AND positive >= 0 AND positive <= screened',
                           name='ck_screening_rounds_counts'),
        sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                                name='fk_screening_rounds_institution_id_institutions'),
        sa.ForeignKeyConstraint(['campus_id'], ['campuses.id'],
                                name='fk_screening_rounds_campus_id_campuses'),
        sa.PrimaryKeyConstraint('id', name='pk_screening_rounds'),
    )
    op.create_index('ix_screening_rounds_institution', 'screening_rounds',
                    ['institution_id', 'screened_on'])
    with op.batch_alter_table('case_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('screening_round_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key('fk_case_entries_screening_round_id_screening_rounds',
                                    'screening_rounds', ['screening_round_id'], ['id'])
    op.create_table(
        'hand_backs',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('referral_id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('discharge_advice', sa.Text(), nullable=False),
        sa.Column('return_to_school_advised', sa.Boolean(), nullable=False),
        sa.Column('return_on', sa.Date(), nullable=True),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name='fk_hand_backs_case_id_cases'),
        sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'],
                                name='fk_hand_backs_referral_id_referrals'),
        sa.PrimaryKeyConstraint('id', name='pk_hand_backs'),
        sa.UniqueConstraint('referral_id', name='uq_hand_backs_referral_id'),
    )
    op.create_index('ix_hand_backs_case_id', 'hand_backs', ['case_id'])
    op.create_table(
        'planned_follow_ups',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('hand_back_id', sa.Uuid(), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('done_entry_id', sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name='fk_planned_follow_ups_case_id_cases'),
        sa.ForeignKeyConstraint(['hand_back_id'], ['hand_backs.id'],
                                name='fk_planned_follow_ups_hand_back_id_hand_backs'),
        sa.ForeignKeyConstraint(['done_entry_id'], ['case_entries.id'],
                                name='fk_planned_follow_ups_done_entry_id_case_entries'),
        sa.PrimaryKeyConstraint('id', name='pk_planned_follow_ups'),
    )
    op.create_index('ix_planned_follow_ups_case', 'planned_follow_ups', ['case_id', 'due_at'])
    op.create_table(
        'handovers',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('sender_id', sa.Uuid(), nullable=False),
        sa.Column('recipient_id', sa.Uuid(), nullable=False),
        sa.Column('consent_id', sa.Uuid(), nullable=True),
        sa.Column('data_categories', sa.JSON(), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('received_case_id', sa.Uuid(), nullable=True),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name='fk_handovers_case_id_cases'),
        sa.ForeignKeyConstraint(['sender_id'], ['institutions.id'],
                                name='fk_handovers_sender_id_institutions'),
        sa.ForeignKeyConstraint(['recipient_id'], ['institutions.id'],
                                name='fk_handovers_recipient_id_institutions'),
        sa.ForeignKeyConstraint(['consent_id'], ['consents.id'],
                                name='fk_handovers_consent_id_consents'),
        sa.ForeignKeyConstraint(['received_case_id'], ['cases.id'],
                                name='fk_handovers_received_case_id_cases'),
        sa.PrimaryKeyConstraint('id', name='pk_handovers'),
    )
    op.create_index('ix_handovers_case_id', 'handovers', ['case_id'])
    op.create_index('ix_handovers_recipient', 'handovers', ['recipient_id', 'created_at'])


def downgrade() -> None:
    op.drop_table('handovers')
    op.drop_table('planned_follow_ups')
    op.drop_table('hand_backs')
    with op.batch_alter_table('case_entries', schema=None) as batch_op:
        batch_op.drop_constraint('fk_case_entries_screening_round_id_screening_rounds',
                                 type_='foreignkey')
        batch_op.drop_column('screening_round_id')
        batch_op.drop_column('outcome')
    op.drop_table('screening_rounds')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('uq_cases_one_open')
        batch_op.drop_index('ix_cases_review_due')
        batch_op.drop_column('risk_factors')
        batch_op.drop_column('closure_reason')
        batch_op.drop_column('risk_level')
        batch_op.drop_column('next_follow_up_at')
        batch_op.drop_column('next_review_at')
    for table in ('bookings', 'referrals', 'cases'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_campus_id_campuses', type_='foreignkey')
            batch_op.drop_column('campus_id')
    op.drop_table('campuses')
