"""Checking a whole log: every leaf recomputed, every checkpoint's signature and root.

Used by ``python -m gateway.audit.verify`` on an export and by ``flask --app gateway audit
verify`` on the database. Roots are recomputed from one sequence of leaves, so two checkpoints
that both match are consistent with each other (the tree of the smaller is a prefix of the
larger); no proof is needed between them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gateway.audit import entries, note, tlog
from gateway.audit.checkpoint import Checkpoint, open_checkpoint


@dataclass(frozen=True)
class Finding:
    """The outcome: leaves and checkpoints checked, and the first fault (None when intact)."""

    leaves: int
    checkpoints: int
    fault: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the log checked out."""
        return self.fault is None


def open_checkpoints(notes: Iterable[tuple[str, str]], verifiers: list[note.Verifier],
                     origin: str | None) -> tuple[list[Checkpoint], str | None]:
    """Verify each ``(label, note)``; return them by size, or the first fault."""
    opened: dict[int, Checkpoint] = {}
    for label, signed in notes:
        try:
            checkpoint, _ = open_checkpoint(signed, verifiers, origin)
        except note.NoteError as exc:
            return [], f"checkpoint {label}: {exc}"
        earlier = opened.setdefault(checkpoint.size, checkpoint)
        if earlier.root != checkpoint.root:
            return [], f"checkpoint {label}: split view, two roots for size {checkpoint.size}"
    return [opened[size] for size in sorted(opened)], None


def check_log(leaves: Iterable[tuple[dict, bytes | None]], checkpoints: list[Checkpoint]
              ) -> Finding:
    """Recompute the tree from ``(entry, stored leaf hash or None)`` in leaf order and compare
    it with every checkpoint (sorted by size, signatures already verified)."""
    tree = tlog.CompactRange()
    due = iter(checkpoints)
    upcoming = next(due, None)

    def settle() -> str | None:
        nonlocal upcoming
        while upcoming is not None and upcoming.size == tree.size:
            if upcoming.root != tree.root():
                return (f"checkpoint of size {upcoming.size}: root does not match entries "
                        f"0..{upcoming.size - 1}")
            upcoming = next(due, None)
        return None

    fault = settle()
    for document, stored in leaves:
        if fault:
            break
        index = document.get("leaf_index")
        if index != tree.size:
            fault = (f"entry {tree.size} missing" if isinstance(index, int) and index > tree.size
                     else f"entry {tree.size}: found leaf index {index} out of order")
            break
        try:
            leaf = entries.leaf_hash(document)
        except entries.EntryError as exc:
            fault = f"entry {index}: {exc}"
            break
        if stored is not None and stored != leaf:
            fault = f"entry {index}: content does not match its leaf hash"
            break
        tree.append(leaf)
        fault = settle()
    if not fault and upcoming is not None:
        fault = f"entry {tree.size} missing: checkpoint of size {upcoming.size} needs it"
    return Finding(tree.size, len(checkpoints), fault)
