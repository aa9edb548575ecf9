"""audit_entries: the database adds each new entry's audit_pending row (an AFTER INSERT trigger)

Revision ID: 1402
Revises: 1401
"""

from alembic import op


revision = '1402'
down_revision = '1401'
branch_labels = None
depends_on = None

# Hand-made, unknown to the models (compare_metadata does not compare triggers or functions).
POSTGRES_FUNCTION = """
CREATE FUNCTION audit_entries_pending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_pending (seq) VALUES (NEW.seq);
    RETURN NULL;
END
$$
"""
POSTGRES_TRIGGER = ("CREATE TRIGGER audit_entries_pending AFTER INSERT ON audit_entries "
                    "FOR EACH ROW EXECUTE FUNCTION audit_entries_pending()")
SQLITE_TRIGGER = ("CREATE TRIGGER audit_entries_pending AFTER INSERT ON audit_entries "
                  "BEGIN INSERT INTO audit_pending (seq) VALUES (NEW.seq); END")


def upgrade() -> None:
    if op.get_context().dialect.name == 'postgresql':
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_context().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER audit_entries_pending ON audit_entries")
        op.execute("DROP FUNCTION audit_entries_pending()")
    else:
        op.execute("DROP TRIGGER audit_entries_pending")
