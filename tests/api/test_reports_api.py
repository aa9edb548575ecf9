"""GET /api/v1/reports/regional: the admin page's numbers and suppression, for an authority."""

from __future__ import annotations

import json

from gateway.db import transaction
from gateway.models import Institution
from tests.coordination.reports_support import MONTH_FIRST, SUMMARY, seed_month
from tests.support import assert_problem, bearer


def _rows(body: dict, key: str) -> list[dict]:
    return next(t["rows"] for t in body["tables"] if t["key"] == key)


def test_an_authority_reads_its_regions_report(app, client, make_partner, token_for):
    seeded = seed_month(app)
    authority = make_partner("community_centre", scopes=["reports:read"])
    with transaction(app) as session:
        session.get(Institution, authority.institution_id).region = "r1"
    response = client.get(f"/api/v1/reports/regional?period=month&first={MONTH_FIRST}",
                          headers=bearer(token_for(authority)))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["region"] == "r1"
    assert body["period"]["first"] == "2026-11-01" and body["period"]["last"] == "2026-11-30"
    assert body["period"]["start"] == "2026-10-31T16:00:00+00:00"  # UTC with its offset
    summary = {r["measure"]: r["value"] for r in _rows(body, "summary")}
    assert summary["referrals_sent"] == 19 and summary["breakglass_opened"] == "<5"
    status = {r["status"]: r for r in _rows(body, "by_status")}
    assert status["accepted"]["sent"] == "<5" and status["completed"]["received"] == 7
    text = json.dumps(body, ensure_ascii=False)
    for secret in [*seeded.pseudonyms, *seeded.subject_keys, SUMMARY]:
        assert secret not in text


def test_the_scope_is_required_and_bad_periods_are_refused(app, client, make_partner,
                                                         token_for):
    partner = make_partner("university", scopes=["referrals:read", "reports:read"])
    plain = make_partner("university", scopes=["referrals:read"])
    assert_problem(client.get("/api/v1/reports/regional", headers=bearer(
        token_for(plain))), 403)
    token = token_for(partner)
    assert_problem(client.get("/api/v1/reports/regional?period=custom&first=2026-11-05"
                              "&last=2026-11-01", headers=bearer(token)), 422)
    assert_problem(client.get("/api/v1/reports/regional?period=fortnight",
                              headers=bearer(token)), 422)
