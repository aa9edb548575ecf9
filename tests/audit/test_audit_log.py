"""The audit log as a transparency log: sealing, and tampering found online and offline."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, insert, select, update

from gateway.audit import tlog
from gateway.audit.checkpoint import Checkpoint, sign_checkpoint
from gateway.audit.entries import leaf_bytes, leaf_hash
from gateway.audit.note import Signer
from gateway.db import engine_of, transaction
from gateway.models import AuditCheckpoint, AuditEntry, AuditLeaf, AuditNode, utcnow
from gateway.services.audit import integrity, proofs, sequencer
from tests.audit.test_tlog import naive_mth


@pytest.fixture
def sealed(append, seal) -> int:
    """Five sealed entries; returns the tree size."""
    append(5)
    assert seal() == 5
    return 5


def _tamper(app, *statements) -> None:
    with engine_of(app).begin() as connection:
        for statement in statements:
            connection.execute(statement)


def test_seal_numbers_entries_gap_free_and_signs_a_checkpoint(app, append, seal, log,
                                                              verify_online):
    assert seal() == 0  # an empty log still publishes its size-0 checkpoint
    append(3)
    assert seal() == 3
    append(2, start=3)
    assert seal() == 5
    assert seal() == 5  # nothing new: no new checkpoint
    with transaction(app) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert [e.leaf_index for e in entries] == [0, 1, 2, 3, 4]
        assert [e.detail["n"] for e in entries] == [0, 1, 2, 3, 4]
        sizes = session.scalars(select(AuditCheckpoint.size).order_by(AuditCheckpoint.size))
        assert list(sizes) == [0, 3, 5]
        leaves = [sequencer.entry_document(e) for e in entries]
        root = naive_mth([leaf_bytes(d) for d in leaves])
        note = proofs.latest_checkpoint(session).note
    assert note.startswith(f"{log.origin}\n5\n{base64.b64encode(root).decode()}\n\n\u2014 ")
    assert verify_online().ok


def test_an_intact_log_verifies_online_and_offline(sealed, verify_online, verify_offline):
    online, offline = verify_online(), verify_offline()
    assert (online.ok, online.leaves, online.checkpoints) == (True, sealed, 1)
    assert (offline.ok, offline.leaves) == (True, sealed)


TAMPERING = {
    "edited": (lambda: [update(AuditEntry).where(AuditEntry.leaf_index == 2)
                        .values(actor="someone-else")],
               "entry 2: content does not match its leaf hash"),
    "deleted": (lambda: [delete(AuditEntry).where(AuditEntry.leaf_index == 2)],
                "entry 2 missing"),
    "deleted last": (lambda: [delete(AuditEntry).where(AuditEntry.leaf_index == 4)],
                     "entry 4 missing: checkpoint of size 5 needs it"),
    "reordered": (lambda: [
        update(AuditLeaf).where(AuditLeaf.leaf_index == 1).values(leaf_index=-1),
        update(AuditLeaf).where(AuditLeaf.leaf_index == 3).values(leaf_index=1),
        update(AuditLeaf).where(AuditLeaf.leaf_index == -1).values(leaf_index=3)],
        "entry 1: content does not match its leaf hash"),
    "inserted": (lambda: [
        update(AuditLeaf).where(AuditLeaf.leaf_index >= 2)
        .values(leaf_index=AuditLeaf.leaf_index + 10),
        update(AuditLeaf).where(AuditLeaf.leaf_index >= 12)
        .values(leaf_index=AuditLeaf.leaf_index - 9),
        insert(AuditEntry).values(seq=1000, recorded_at=utcnow(), actor="test",
                                  action="test.event", object_type="thing", object_id="9",
                                  outcome="success", detail={"n": 9}),
        insert(AuditLeaf).values(leaf_index=2, seq=1000)],
        "entry 2: content does not match its leaf hash"),
    "edited with its leaf hash recomputed": (lambda: [
        update(AuditEntry).where(AuditEntry.leaf_index == 2).values(outcome="failure"),
        update(AuditNode).where(AuditNode.level == 0, AuditNode.index == 2)
        .values(hash=b"\x00" * 32)],
        "entry 2: content does not match its leaf hash"),
}


@pytest.mark.parametrize("kind", TAMPERING)
def test_tampering_is_named_online_and_offline(app, sealed, kind, verify_online,
                                               verify_offline):
    statements, fault = TAMPERING[kind]
    _tamper(app, *statements())
    online, offline = verify_online(), verify_offline()
    assert (online.ok, online.fault) == (False, fault)
    assert (offline.ok, offline.fault) == (False, fault)


def test_an_entry_and_tree_rewritten_consistently_break_the_signed_root(
        app, sealed, verify_online, verify_offline):
    """Change an entry and recompute every stored hash: only the signature stops it."""
    _tamper(app, update(AuditEntry).where(AuditEntry.leaf_index == 2).values(outcome="failure"))
    with transaction(app) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.leaf_index == 2)).one()
        nodes = {(n.level, n.index): n for n in session.scalars(select(AuditNode))}
        nodes[(0, 2)].hash = leaf_hash(sequencer.entry_document(entry))
        nodes[(1, 1)].hash = tlog.hash_children(nodes[(0, 2)].hash, nodes[(0, 3)].hash)
        nodes[(2, 0)].hash = tlog.hash_children(nodes[(1, 0)].hash, nodes[(1, 1)].hash)
    fault = "checkpoint of size 5: root does not match entries 0..4"
    assert verify_online().fault == fault
    assert verify_offline().fault == fault


def test_a_forged_checkpoint_signature_is_detected(app, sealed, log, verify_online,
                                                   verify_offline):
    with transaction(app) as session:
        stored = session.get(AuditCheckpoint, sealed)
        impostor = Signer(log.origin, Ed25519PrivateKey.generate())
        stored.note = sign_checkpoint(Checkpoint(log.origin, sealed, stored.root), impostor)
    for finding in (verify_online(), verify_offline()):
        assert not finding.ok
        assert finding.fault.startswith(f"checkpoint {sealed}: note is not signed by")


def test_the_offline_verifier_runs_without_database_or_config(app, sealed, log, tmp_path):
    """``python -m gateway.audit.verify`` in a bare environment: exit 0, then 1 naming the
    first bad entry once the export is edited."""
    with transaction(app) as session:
        integrity.export(session, log.verifiers, tmp_path)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    command = [sys.executable, "-m", "gateway.audit.verify", str(tmp_path),
               "--vkey", log.vkeys()[0]]
    good = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert good.returncode == 0, good.stderr
    assert "intact: 5 entries, 1 checkpoints" in good.stdout
    lines = (tmp_path / "entries.jsonl").read_text().splitlines()
    lines[3] = lines[3].replace('"test.event"', '"test.evenT"')
    (tmp_path / "entries.jsonl").write_text("\n".join(lines) + "\n")
    bad = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    assert "entry 3: content does not match its leaf hash" in bad.stderr


def test_the_cli_seals_verifies_and_reports_tampering(app, append, tmp_path):
    runner = app.test_cli_runner()
    append(4)
    assert "size 4" in runner.invoke(args=["audit", "seal"]).output
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "4 entries, 1 checkpoints" in result.output
    assert runner.invoke(args=["audit", "export", str(tmp_path / "x")]).exit_code == 0
    _tamper(app, delete(AuditEntry).where(AuditEntry.leaf_index == 1))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "entry 1 missing" in result.output


def test_the_partner_tools_need_neither_flask_nor_a_database_library():
    code = ("import sys, gateway.audit.verify, gateway.audit.witness; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'flask', 'werkzeug', 'sqlalchemy', 'psycopg', 'authlib', 'marshmallow'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env={"PATH": os.environ["PATH"]})
    assert result.stdout.strip() == "[]"
