"""Field-key rotation: move every encrypted value to the current key-encryption key, in batches.

Works on the raw stored tokens (no plaintext is produced): each value's data key is unwrapped
with its old KEK and wrapped again with the current one. Values already under the current KEK
are skipped, so a run can stop and resume at any point.
"""

from __future__ import annotations

from sqlalchemy import Column, Table, Text, and_, column, select, table, update
from sqlalchemy.orm import Session

from gateway.models import Base
from gateway.models.encrypted import EncryptedText
from keys.field import FORMAT, FieldKeyring


def encrypted_columns() -> list[tuple[Table, Column]]:
    """Every column of every table that holds :class:`EncryptedText` values."""
    return [(tbl, col) for tbl in Base.metadata.sorted_tables for col in tbl.columns
            if isinstance(col.type, EncryptedText)]


def rewrap_batch(session: Session, keyring: FieldKeyring, batch_size: int) -> int:
    """Re-wrap up to ``batch_size`` values not yet under the current KEK; return how many."""
    current = f"{FORMAT}.{keyring.current_kid}.%"
    done = 0
    for tbl, col in encrypted_columns():
        if done >= batch_size:
            break
        keys = [column(pk.name, pk.type) for pk in tbl.primary_key.columns]
        raw = table(tbl.name, *keys, column(col.name, Text()))
        value = raw.c[col.name]
        stale = session.execute(
            select(*[raw.c[k.name] for k in keys], value)
            .where(value.is_not(None), value.not_like(current))
            .limit(batch_size - done)).all()
        for row in stale:
            *ident, token = row
            where = and_(*[raw.c[k.name] == v for k, v in zip(keys, ident, strict=True)])
            session.execute(update(raw).where(where)
                            .values({col.name: keyring.rewrap(token, col.type.context)}))
            done += 1
    session.flush()
    return done
