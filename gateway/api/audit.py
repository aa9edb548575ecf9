"""The audit log for partners: checkpoints, entries with inclusion proofs, consistency proofs,
cosignatures from witnesses, split-view reports, and a student's access report.

The checkpoint and consistency proofs read the replica when one is configured
(:func:`gateway.db.replica_session`): the log is append-only and signed, so a slightly stale
checkpoint is still a valid one and its proofs never change; neither read is audited.
"""

from __future__ import annotations

from flask import Response
from flask.views import MethodView

from gateway.api import Blueprint
from gateway.api.auth import authenticated, current_actor
from gateway.db import db_session, replica_session
from gateway.keystore import current_keyring, current_log
from gateway.services.audit import access_report, journal, proofs, witnesses
from schemas.audit import (
    AccessReportQuerySchema,
    AccessReportSchema,
    ConsistencyQuerySchema,
    ConsistencySchema,
    CosignatureSchema,
    EntryProofSchema,
    ProofQuerySchema,
    SplitViewReceiptSchema,
    SplitViewSchema,
)

blp = Blueprint("audit", __name__, url_prefix="/audit",
                description="The audit log as a transparency log (RFC 9162, C2SP checkpoints).")

CHECKPOINT_RESPONSE = {"content_type": "text/plain",
                       "description": "The latest C2SP tlog-checkpoint, a signed note as is.",
                       "example": "gateway.example.org/audit\n42\nbase64root=\n\n— …\n"}


@blp.route("/checkpoint")
class LatestCheckpoint(MethodView):
    """The latest signed tree head."""

    @authenticated("audit:read")
    @blp.response(200, **CHECKPOINT_RESPONSE)
    def get(self):
        """The newest checkpoint (404 before the first seal)."""
        note = proofs.latest_checkpoint(replica_session()).note
        return Response(note, mimetype="text/plain", headers={"Cache-Control": "no-cache"})


@blp.route("/entries/<int:index>")
class EntryProof(MethodView):
    """One entry with its inclusion proof."""

    @authenticated("audit:read")
    @blp.arguments(ProofQuerySchema, location="query")
    @blp.response(200, EntryProofSchema)
    def get(self, query: dict, index: int):
        """The entry, its leaf hash and audit path against ``tree_size`` (404 unless the
        caller's institution took part in it)."""
        return proofs.entry_with_proof(db_session(), current_actor(), index, query["tree_size"])


@blp.route("/consistency")
class Consistency(MethodView):
    """Consistency between two published checkpoints."""

    @authenticated("audit:read")
    @blp.arguments(ConsistencyQuerySchema, location="query")
    @blp.response(200, ConsistencySchema)
    def get(self, query: dict):
        """RFC 9162 consistency proof from ``first`` to ``second``."""
        return {"consistency": proofs.consistency(replica_session(), query["first"],
                                                  query["second"])}


@blp.route("/cosignatures")
class Cosignatures(MethodView):
    """Witnesses post their cosignatures here."""

    @authenticated("audit:witness")
    @blp.arguments(CosignatureSchema)
    @blp.response(204)
    def post(self, body: dict):
        """Keep a registered witness's cosignature of a published checkpoint."""
        witnesses.accept_cosignature(db_session(), current_actor(), body["size"],
                                     body["cosignature"])


@blp.route("/split-views")
class SplitViews(MethodView):
    """Witnesses report checkpoints that contradict each other."""

    @authenticated("audit:witness")
    @blp.arguments(SplitViewSchema)
    @blp.response(202, SplitViewReceiptSchema)
    def post(self, body: dict):
        """Record the report as a security event."""
        proven = witnesses.report_split_view(db_session(), current_actor(),
                                             current_log().verifiers, body["earlier"],
                                             body["later"])
        return {"signed_by_log": proven}


@blp.route("/access-report")
class AccessReport(MethodView):
    """The right to know: who saw a student's data."""

    @authenticated("audit:read")
    @blp.arguments(AccessReportQuerySchema, location="query")
    @blp.response(200, AccessReportSchema)
    def get(self, query: dict):
        """Every exchange and read of the student's data, for the institution holding them."""
        session = db_session()
        actor = current_actor()
        lines = access_report.for_caller(session, actor, current_keyring().pseudonyms,
                                          query["subject_ref"])
        journal.record(session, actor, "audit.access_report", "subject", None,
                       detail={"lines": len(lines)})
        return {"entries": lines}
