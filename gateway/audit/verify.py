"""``python -m gateway.audit.verify DIR``: check an exported log with no database or config.

DIR holds ``entries.jsonl`` (one entry per line, with its ``leaf_hash``), ``checkpoints/``
(one signed checkpoint note per file) and ``log.vkeys`` (the log's verifier keys, one a line;
``--vkey`` overrides it with keys obtained independently, which is what a partner should do).
Exits 1 naming the first bad entry or checkpoint.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from gateway.audit import note
from gateway.audit.audit import Finding, check_log, open_checkpoints

ENTRIES = "entries.jsonl"
CHECKPOINTS = "checkpoints"
VKEYS = "log.vkeys"


def checkpoint_file_name(size: int) -> str:
    """The file a checkpoint of ``size`` is exported to."""
    return f"{size:020d}.txt"


def read_leaves(path: Path) -> Iterator[tuple[dict, bytes | None]]:
    """Entries of an export with their stored leaf hashes (a bad line yields a bad entry)."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                document = json.loads(line)
                stored = base64.b64decode(document.pop("leaf_hash"), validate=True)
            except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
                yield {"leaf_index": None}, None
                return
            yield document, stored


def verify_directory(directory: Path, vkeys: list[str] | None = None) -> Finding:
    """Check every entry and checkpoint exported to ``directory``."""
    lines = vkeys or (directory / VKEYS).read_text(encoding="utf-8").split()
    verifiers = [note.parse_vkey(vkey) for vkey in lines]
    notes = [(path.stem.lstrip("0") or "0", path.read_text(encoding="utf-8"))
             for path in sorted((directory / CHECKPOINTS).glob("*.txt"))]
    checkpoints, fault = open_checkpoints(notes, verifiers, verifiers[0].name)
    if fault:
        return Finding(0, 0, fault)
    return check_log(read_leaves(directory / ENTRIES), checkpoints)


def main(argv: list[str] | None = None) -> int:
    """Run the check and report it; the exit status is 0 only for an intact log."""
    parser = argparse.ArgumentParser(prog="python -m gateway.audit.verify",
                                     description="Verify an exported audit log offline.")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--vkey", action="append",
                        help="the log's verifier key (repeat for rotated keys)")
    args = parser.parse_args(argv)
    try:
        finding = verify_directory(args.directory, args.vkey)
    except (OSError, note.NoteError, UnicodeDecodeError) as exc:
        print(f"cannot verify {args.directory}: {exc}", file=sys.stderr)
        return 2
    if finding.ok:
        print(f"audit log intact: {finding.leaves} entries, {finding.checkpoints} checkpoints")
        return 0
    print(f"audit log BROKEN: {finding.fault}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
