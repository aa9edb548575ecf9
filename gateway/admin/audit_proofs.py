"""Proofs for coordinators: an entry of their region with its inclusion proof, and the
consistency of two published checkpoints, each checked against the signed roots shown."""

from __future__ import annotations

import base64
from datetime import datetime

from flask import g, render_template, request

from gateway.admin import bp
from gateway.admin.forms import ConsistencyForm, ProofForm
from gateway.audit import tlog
from gateway.db import db_session
from gateway.services.audit import proofs
from gateway.services.errors import InvalidInput, NotFound


@bp.app_template_filter("b64")
def b64(value: bytes) -> str:
    """A hash as the API shows it (base64, RFC 4648)."""
    return base64.b64encode(value).decode()


def _checks(check, *args) -> bool:
    """Whether the proof verifies against the stored, signed roots."""
    try:
        check(*args)
    except tlog.ProofError:
        return False
    return True


@bp.route("/audit/proof")
def audit_proof():
    """One entry of the region with its audit path against a published tree size."""
    form = ProofForm(request.args)
    found = checkpoint = verified = error = None
    if request.args and form.validate():
        session = db_session()
        try:
            size = form.tree_size.data or proofs.latest_checkpoint(session).size
            found = proofs.entry_for_coordinator(session, g.coordinator, form.index.data, size)
        except (NotFound, InvalidInput) as exc:
            error = exc.detail
        else:
            checkpoint = proofs.checkpoint_of(session, size)
            if checkpoint is not None:
                verified = _checks(tlog.verify_inclusion, found["leaf_index"], size,
                                   found["leaf_hash"], found["audit_path"],
                                   bytes(checkpoint.root))
    status = 200 if found or not request.args else 404 if error else 422
    recorded_at = datetime.fromisoformat(found["entry"]["recorded_at"]) if found else None
    return render_template("admin/audit_proof.html", form=form, found=found, error=error,
                           recorded_at=recorded_at, checkpoint=checkpoint,
                           verified=verified), status


@bp.route("/audit/consistency")
def audit_consistency():
    """The consistency proof between two published checkpoints, checked against both."""
    form = ConsistencyForm(request.args)
    path = checkpoints = verified = error = None
    if request.args and form.validate():
        session = db_session()
        first, second = form.first.data, form.second.data
        try:
            path = proofs.consistency(session, first, second)
        except (NotFound, InvalidInput) as exc:
            error = exc.detail
        else:
            checkpoints = (proofs.checkpoint_of(session, first),
                           proofs.checkpoint_of(session, second))
            if all(checkpoints):
                verified = _checks(tlog.verify_consistency, first, second,
                                   bytes(checkpoints[0].root), bytes(checkpoints[1].root),
                                   path)
    status = 200 if path is not None or not request.args else 422
    return render_template("admin/audit_consistency.html", form=form, path=path,
                           checkpoints=checkpoints, verified=verified, error=error), status
