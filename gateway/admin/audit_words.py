"""Plain-word labels of audit actions and purposes (the code is shown beside them)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTIONS = {
    "audit.exported": _l("audit log exported"), "audit.verified": _l("audit chain verified"),
    "breakglass.read": _l("break-glass justification read"),
    "breakglass.released": _l("break-glass release"),
    "breakglass.reviewed": _l("break-glass release reviewed"),
    "client.registered": _l("system connected"), "client.revoked": _l("system revoked"),
    "client.reactivated": _l("system reactivated"), "client.keys_rotated": _l("keys replaced"),
    "consent.granted": _l("consent recorded"), "consent.revoked": _l("consent withdrawn"),
    "coordinator.created": _l("coordinator added"),
    "coordinator.signed_in": _l("signed in"), "coordinator.signed_out": _l("signed out"),
    "coordinator.sign_in_failed": _l("sign-in failed"),
    "coordinator.sign_in_refused": _l("sign-in refused (locked)"),
    "delivery.endpoint_set": _l("delivery address set"),
    "institution.registered": _l("institution registered"),
    "institution.updated": _l("institution changed"),
    "institution.deactivated": _l("institution deactivated"),
    "institution.reactivated": _l("institution reactivated"),
    "institution.staff_counts_set": _l("staff counts recorded"),
    "outbox.replayed": _l("failed delivery sent again"),
    "partnership.proposed": _l("partnership proposed"),
    "partnership.active": _l("partnership approved or resumed"),
    "partnership.suspended": _l("partnership suspended"),
    "partnership.ended": _l("partnership ended"),
    "referral.created": _l("referral sent"), "referral.read": _l("referral read"),
    "referral.updated": _l("referral status changed"),
    "report.exported": _l("report downloaded"), "report.read": _l("report read by a system"),
    "sla.policy_set": _l("deadlines and on-call contact set"),
}
PURPOSES = {
    "referral": _l("referral"), "green_channel_referral": _l("green-channel referral"),
    "supervision_case": _l("supervision case"), "case_conference": _l("case conference"),
    "follow_up": _l("follow-up"), "aggregate_statistics": _l("statistics"),
}
