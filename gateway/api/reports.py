"""Regional reports for an education or health authority's system (scope ``reports:read``)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from gateway.api import Blueprint
from gateway.api.auth import authenticated, current_actor
from gateway.db import db_session
from gateway.services.coordination import reports
from schemas.reports import ReportQuerySchema, ReportSchema

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="De-identified regional statistics (统计报表); counts of 1 to 4 "
                            "are the string '<5'.")


@blp.route("/regional")
class RegionalReport(MethodView):
    """The report of the calling institution's region."""

    @authenticated("reports:read")
    @blp.arguments(ReportQuerySchema, location="query")
    @blp.response(200, ReportSchema)
    def get(self, query: dict):
        """The same tables as the admin UI's reports page; times in UTC, days local."""
        config = current_app.config
        return reports.for_client(
            db_session(), current_actor(), kind=query["period"],
            zones=config["REGION_TIME_ZONES"], default_zone=config["DEFAULT_TIME_ZONE"],
            requirements=reports.Requirements.from_config(config),
            first=query.get("first"), last=query.get("last"))
