"""The break-glass review queue in the admin UI: listing, region isolation, review, CSRF."""

from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from gateway.db import transaction
from gateway.models import AuditEntry, BreakGlassRelease, Institution, ReviewOutcome, utcnow
from tests.admin_support import csrf_token, make_account, post_form, sign_in
from tests.factories.privacy import GUARDIAN_PHONE, NOTE, PHONE, RISK_NOTE
from tests.privacy_support import make_scene, personal_keys

WHY = "Student on the dormitory roof edge, guardian unreachable; ambulance called."
CATEGORIES = ["identity", "contact", "guardian_contact", "summary", "risk_assessment"]
EMERGENCY_SCOPES = ["referrals:read", "referrals:write", "referrals:emergency",
                    "consents:read", "consents:write"]
# what the referral carries beyond the justification: never on an admin page
PERSONAL = ("张小明", PHONE, GUARDIAN_PHONE, NOTE, RISK_NOTE, "stu-001")


@pytest.fixture
def crisis(client, make_partner, token_for, link):
    return make_scene(client, make_partner, token_for, link, university_scopes=EMERGENCY_SCOPES)


@pytest.fixture
def released(crisis) -> dict:
    """A break-glass referral from the r1 university to the r1 hospital."""
    created = crisis.refer(CATEGORIES, priority="green_channel", emergency_justification=WHY)
    assert created.status_code == 201, created.get_json()
    return created.get_json()


def _release(app, referral: dict) -> BreakGlassRelease:
    with transaction(app) as session:
        return session.get(BreakGlassRelease, uuid.UUID(referral["breakglass_id"]))


def _make_overdue(app, referral: dict) -> None:
    with transaction(app) as session:
        release = session.get(BreakGlassRelease, uuid.UUID(referral["breakglass_id"]))
        release.review_due_at = utcnow() - timedelta(minutes=5)


def _audited(app, action: str, object_id: str) -> list[str]:
    with transaction(app) as session:
        return list(session.scalars(select(AuditEntry.actor).where(
            AuditEntry.action == action, AuditEntry.object_id == object_id)))


def test_queue_shows_justification_pseudonym_and_times_but_no_other_personal_data(
        app, signed_in, account, crisis, released):
    release_id = released["breakglass_id"]
    html = signed_in.get("/admin/breakglass").get_data(as_text=True)
    assert WHY in html
    assert f'id="release-{release_id}"' in html
    assert released["subject_pseudonym"][:16] in html
    with transaction(app) as session:
        names = [session.get(Institution, p.institution_id).name
                 for p in (crisis.uni, crisis.hosp)]
    assert all(name in html for name in names)
    release = _release(app, released)
    local_end = release.expires_at.astimezone(ZoneInfo("Asia/Shanghai"))  # the region's zone
    assert local_end.strftime("%Y-%m-%d %H:%M") in html  # when the access ends
    assert 'class="tag proposed access"' in html and "overdue" not in html.split("<main>")[1]
    assert not any(value in html for value in PERSONAL)
    # showing the justification is an audited reading of the release
    assert _audited(app, "breakglass.read", release_id) == [account.label]

    _make_overdue(app, released)
    html = signed_in.get("/admin/breakglass").get_data(as_text=True)
    assert 'id="overdue-count"' in html and 'class="tag off overdue"' in html
    page = signed_in.get(f"/admin/breakglass/{release_id}").get_data(as_text=True)
    assert WHY in page and 'name="note"' in page
    assert not any(value in page for value in PERSONAL)


def test_board_counts_and_lists_overdue_reviews_without_the_justification(
        app, signed_in, released):
    board = signed_in.get("/admin/board").get_data(as_text=True)
    assert 'id="breakglass-overdue"' not in board
    _make_overdue(app, released)
    board = signed_in.get("/admin/board").get_data(as_text=True)
    assert 'id="breakglass-overdue"' in board
    assert released["subject_pseudonym"][:16] in board
    assert f'/admin/breakglass/{released["breakglass_id"]}' in board
    assert WHY not in board and not any(value in board for value in PERSONAL)
    assert _audited(app, "breakglass.read", released["breakglass_id"]) == []


def test_another_regions_release_is_not_found_even_by_url(app, client, released):
    release_id = released["breakglass_id"]
    other = make_account(app, region="r2")
    assert sign_in(client, other).status_code == 302
    listing = client.get("/admin/breakglass").get_data(as_text=True)
    assert WHY not in listing and release_id not in listing
    _make_overdue(app, released)
    assert release_id not in client.get("/admin/board").get_data(as_text=True)
    assert client.get(f"/admin/breakglass/{release_id}").status_code == 404
    token = csrf_token(listing)
    forged = client.post(f"/admin/breakglass/{release_id}/review", data={
        "csrf_token": token, "outcome": "unjustified", "note": "Not my region."})
    assert forged.status_code == 404
    assert WHY not in forged.get_data(as_text=True)
    assert _release(app, released).reviewed_at is None
    assert _audited(app, "breakglass.read", release_id) == []
    # an admin sees every region
    admin = app.test_client()
    assert sign_in(admin, make_account(app, region=None, role="admin")).status_code == 302
    assert admin.get(f"/admin/breakglass/{release_id}").status_code == 200
    assert WHY in admin.get("/admin/breakglass").get_data(as_text=True)


@pytest.mark.parametrize("outcome, access_after", [
    ("justified", set(CATEGORIES)), ("unjustified", set())])
def test_recording_a_review_audits_it_and_the_recipients_access_follows(
        app, signed_in, account, crisis, released, outcome, access_after):
    release_id = released["breakglass_id"]
    assert personal_keys(crisis.read(released["id"]).get_json()) == set(CATEGORIES)
    page = f"/admin/breakglass/{release_id}"
    action = f"{page}/review"
    no_note = post_form(signed_in, page, action, {"outcome": outcome, "note": "  "})
    assert no_note.status_code == 200 and 'role="alert"' in no_note.get_data(as_text=True)
    assert _release(app, released).reviewed_at is None

    recorded = post_form(signed_in, page, action,
                         {"outcome": outcome, "note": "Called the counsellor on duty."})
    assert recorded.status_code == 302 and recorded.headers["Location"] == page
    release = _release(app, released)
    assert release.outcome is ReviewOutcome(outcome)
    assert release.reviewed_by == account.label
    assert release.review_note == "Called the counsellor on duty."
    assert _audited(app, "breakglass.reviewed", release_id) == [account.label]
    assert personal_keys(crisis.read(released["id"]).get_json()) == access_after

    shown = signed_in.get(page).get_data(as_text=True)
    assert 'id="review-result"' in shown and "Called the counsellor on duty." in shown
    assert 'name="note"' not in shown
    queue = signed_in.get("/admin/breakglass").get_data(as_text=True)
    assert 'id="queue-empty"' in queue and account.email in queue
    again = post_form(signed_in, "/admin/breakglass", action,
                      {"outcome": "justified", "note": "Second thoughts."})
    assert again.status_code == 409
    assert _release(app, released).outcome is ReviewOutcome(outcome)


def test_review_without_csrf_token_is_refused(app, signed_in, released):
    action = f"/admin/breakglass/{released['breakglass_id']}/review"
    for data in ({}, {"csrf_token": "forged"}):
        response = signed_in.post(action, data={
            **data, "outcome": "unjustified", "note": "Forged review."})
        assert response.status_code == 400
    assert _release(app, released).reviewed_at is None
    assert _audited(app, "breakglass.reviewed", released["breakglass_id"]) == []
