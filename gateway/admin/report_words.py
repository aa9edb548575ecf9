"""The words of the reports page and its files, in the coordinator's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from gateway.admin.forms import KIND_LABELS

TITLES = {
    "summary": _l("In brief"),
    "by_status": _l("Referrals by status"),
    "by_priority": _l("Referrals by priority"),
    "by_reason": _l("Referrals by reason"),
    "by_institution": _l("Referrals by institution"),
    "by_kind": _l("Referrals by kind of institution"),
    "sla": _l("Green-channel deadlines met, per recipient"),
    "timings": _l("Time to receipt and to decision"),
    "decision_histogram": _l("Decisions by time from submission"),
    "weekly": _l("Referrals per week"),
    "breakglass": _l("Break-glass releases and their reviews"),
    "open_cases": _l("Open cases by attention tier (now)"),
    "hours": _l("Supervision and training hours"),
    "staff": _l("Students per counsellor"),
}
COLUMNS = {
    "measure": _l("Measure"), "value": _l("Number"), "status": _l("Status"),
    "priority": _l("Priority"), "reason": _l("Reason"), "sent": _l("Sent"),
    "received": _l("Received"), "institution": _l("Institution"), "kind": _l("Kind"),
    "green_channel": _l("Green channel"), "recipient": _l("Recipient"),
    "receipt_on_time_percent": _l("Receipt on time (%)"),
    "decision_on_time_percent": _l("Decision on time (%)"), "measured": _l("Referrals measured"),
    "median_minutes": _l("Median (min)"), "p90_minutes": _l("90th percentile (min)"),
    "minutes": _l("Minutes from submission"), "decisions": _l("Decisions"),
    "week": _l("Week starting"), "releases": _l("Releases"), "tier": _l("Attention tier"),
    "cases": _l("Cases"), "supervision_hours": _l("Supervision hours"),
    "training_hours": _l("Training hours"),
    "supervision_hours_year": _l("Supervision hours this year"),
    "supervision_required": _l("Supervision hours required a year"),
    "training_hours_year": _l("Training hours this year"),
    "training_required": _l("Training hours required a year"),
    "students": _l("Students"), "counsellors": _l("Counsellors"),
    "students_per_counsellor": _l("Students per counsellor"),
    "target": _l("Target: at most"), "meets_target": _l("Meets the target"),
}
CODES = {
    "status": {"submitted": _l("submitted"), "received": _l("received"),
               "accepted": _l("accepted"), "in_progress": _l("in progress"),
               "completed": _l("completed"), "declined": _l("declined"),
               "withdrawn": _l("withdrawn"), "expired": _l("expired")},
    "priority": {"routine": _l("routine"), "urgent": _l("urgent"),
                 "green_channel": _l("green channel")},
    "reason": {"suicide_risk": _l("suicide risk"), "self_harm": _l("self-harm"),
               "psychotic_symptoms": _l("psychotic symptoms"),
               "depressive_symptoms": _l("depressive symptoms"),
               "anxiety_symptoms": _l("anxiety symptoms"), "other": _l("other reason")},
    "kind": {k.value: label for k, label in KIND_LABELS.items()},
    "tier": {"daily": _l("daily attention"), "key": _l("key attention"),
             "crisis": _l("crisis")},
    "yes_no": {"yes": _l("yes"), "no": _l("no")},
    "measure": {
        "referrals_sent": _l("Referrals sent"), "referrals_received": _l("Referrals received"),
        "green_channel": _l("Green-channel referrals"),
        "breakglass_opened": _l("Break-glass releases"),
        "open_cases": _l("Open cases (now)"),
        "totals_only": _l("Referrals without statistics consent (in totals only)"),
        "time_to_receipt": _l("Time to receipt"), "time_to_decision": _l("Time to decision"),
        "opened": _l("Opened in the period"), "reviewed_on_time": _l("Reviewed in time"),
        "reviewed_late": _l("Reviewed late"), "overdue": _l("Not reviewed, overdue"),
        "awaiting_review": _l("Not reviewed, not yet due")},
}
HEADINGS = {"region": _l("Region"), "period": _l("Period"), "time_zone": _l("Time zone"),
            "generated": _l("Generated (UTC)")}


class Wording:
    """:class:`gateway.services.coordination.reports.exports.Wording` for the admin UI."""

    def title(self, table: str) -> str:
        """A table's heading."""
        return str(TITLES.get(table, table))

    def column(self, column: str) -> str:
        """A column's heading."""
        return str(COLUMNS.get(column, column))

    def code(self, codes: str, value: str) -> str:
        """The label of a coded cell; a suppressed cell stays "<5"."""
        return str(CODES.get(codes, {}).get(value, value))

    def heading(self, key: str) -> str:
        """A header line of the files."""
        return str(HEADINGS[key])

