"""Partners as witnesses, over real HTTP: co-signing consistent checkpoints, and catching a
log rewritten with consistent hashes (which ``audit verify`` alone cannot)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, update

from gateway.audit import note, witness
from gateway.db import engine_of, transaction
from gateway.models import (
    AuditCheckpoint,
    AuditCosignature,
    AuditEntry,
    AuditLeaf,
    AuditNode,
    AuditPending,
)
from gateway.services.audit import witnesses

SCOPES = ["audit:read", "audit:witness"]


@pytest.fixture
def partner_witness(app, make_partner, token_for, tmp_path):
    """A hospital running a registered witness: (key file, state file, token)."""
    hospital = make_partner("hospital", scopes=SCOPES)
    key_file = tmp_path / "witness.key"
    vkey = witness.keygen("hospital.test/witness", key_file)
    result = app.test_cli_runner().invoke(args=[
        "audit", "add-witness", vkey, "--institution", str(hospital.institution_id)])
    assert result.exit_code == 0, result.output
    return key_file, tmp_path / "witness.state", token_for(hospital)


def _witness(live_server, log, partner_witness) -> witness.Witness:
    key_file, state, token = partner_witness
    signer, _ = note.parse_skey(key_file.read_text().strip())
    return witness.Witness(live_server, log.verifiers[0], signer, state, token)


def _rewrite_history(app) -> None:
    """What someone with the database and the log key could do: change an entry, renumber
    everything, rebuild the tree and sign fresh checkpoints that all agree with each other."""
    with engine_of(app).begin() as connection:
        for table in (AuditCosignature, AuditCheckpoint, AuditNode, AuditLeaf, AuditPending):
            connection.execute(delete(table))
        connection.execute(update(AuditEntry).where(AuditEntry.action == "test.event")
                           .values(outcome="failure"))
        connection.execute(insert(AuditPending).from_select(
            ["seq"], select(AuditEntry.seq)))


def test_a_witness_cosigns_consistent_checkpoints_and_the_board_shows_its_lag(
        app, live_server, log, partner_witness, append, seal):
    append(3)
    seal()
    watcher = _witness(live_server, log, partner_witness)
    first = watcher.run()
    assert first.advanced
    append(4, start=3)
    size = seal()  # four entries and the gateway's record of the cosignature
    assert size == first.checkpoint.size + 5
    with transaction(app) as session:
        (lag,) = witnesses.lag(session)
        assert (lag.cosigned_size, lag.behind) == (first.checkpoint.size, 5)
    second = watcher.run()
    assert second.advanced and second.checkpoint.size == size
    with transaction(app) as session:
        (lag,) = witnesses.lag(session)
        assert (lag.cosigned_size, lag.behind) == (second.checkpoint.size, 0)
        assert session.scalar(select(AuditCosignature.line)
                              .where(AuditCosignature.size == second.checkpoint.size))


def test_a_log_rewritten_with_consistent_hashes_is_caught_by_a_witness(
        app, live_server, log, partner_witness, append, seal, verify_online):
    append(5)
    seal()
    watcher = _witness(live_server, log, partner_witness)
    seen = watcher.run().checkpoint
    _rewrite_history(app)
    append(1, start=5)
    size = seal()
    assert size > seen.size
    assert verify_online().ok  # the rewritten log is consistent with itself
    with pytest.raises(witness.SplitView, match="not consistent"):
        watcher.run()
    assert watcher.last_seen()[0] == seen  # the witness keeps trusting what it saw
    with transaction(app) as session:
        report = session.scalars(select(AuditEntry)
                                 .where(AuditEntry.action == "audit.split_view_reported")).one()
        assert report.outcome == "failure"
        assert report.detail == {"signed_by_log": True, "sizes": [seen.size, size]}


def test_the_witness_tool_runs_stand_alone(app, live_server, log, partner_witness, append,
                                           seal, tmp_path):
    """``python -m gateway.audit.witness run`` with no database or gateway config."""
    key_file, state, token = partner_witness
    append(2)
    seal()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "GATEWAY_TOKEN": token}
    command = [sys.executable, "-m", "gateway.audit.witness", "run", "--url", live_server,
               "--log-vkey", log.vkeys()[0], "--key", str(key_file), "--state", str(state)]
    run = subprocess.run(command, env=env, capture_output=True, text=True, check=False,
                         cwd=Path(tmp_path))
    assert run.returncode == 0, run.stderr
    assert "co-signed checkpoint of size" in run.stdout
    _rewrite_history(app)
    append(1, start=2)
    seal()
    run = subprocess.run(command, env=env, capture_output=True, text=True, check=False,
                         cwd=Path(tmp_path))
    assert run.returncode == 1
    assert "SPLIT VIEW" in run.stderr
