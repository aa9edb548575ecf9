"""Case material of bookings is decided at every read: identified only while consent is in force."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from gateway.db import transaction
from gateway.models import AuditEntry, Consent
from tests.factories.privacy import PHONE, born_years_ago
from tests.privacy_support import CASE_SUMMARY, Conference, make_conference


@pytest.fixture
def conference(app, client, make_partner, token_for, link) -> Conference:
    """A hospital's case conference booked by a partner university's counsellors."""
    return make_conference(app, client, make_partner, token_for, link)


def _identified(case: dict, consent_id: str) -> bool:
    return (case["identified"] is True and case["summary"] == CASE_SUMMARY
            and case["subject_pseudonym"].startswith("psn_") and case["consent_id"] == consent_id)


def _deidentified(case: dict) -> bool:
    return (case["identified"] is False and case["subject_pseudonym"] is None
            and case["consent_id"] is None and PHONE not in case["summary"]
            and "withdrawn since October" in case["summary"])


def _cases(conference: Conference, booking_id: str) -> list[dict]:
    """The booking's case material as host and booker read it, and as both list it."""
    reads = [conference.read(booking_id),
             conference.read(booking_id, token=conference.scene.uni_token)]
    lists = [conference.listed(role).get_json()["items"] for role in ("host", "booker")]
    return ([read.get_json()["case"] for read in reads]
            + [item["case"] for items in lists for item in items if item["id"] == booking_id])


def _last_read(app, booking_id: str) -> AuditEntry:
    with transaction(app) as session:
        return session.scalars(select(AuditEntry).where(
            AuditEntry.action == "booking.read", AuditEntry.object_id == booking_id)
            .order_by(AuditEntry.seq.desc())).first()


def test_identified_while_the_consent_is_in_force_and_not_after_revocation(app, conference):
    consent_id = conference.consent().get_json()["id"]
    created = conference.book()
    assert created.status_code == 201 and _identified(created.get_json()["case"], consent_id)
    booking_id = created.get_json()["id"]
    cases = _cases(conference, booking_id)
    assert len(cases) == 4 and all(_identified(case, consent_id) for case in cases)
    entry = _last_read(app, booking_id)
    assert (entry.purpose, entry.consent_id) == ("case_conference", consent_id)
    assert entry.detail["case_identified"] is True

    assert conference.scene.revoke(consent_id).status_code == 200
    cases = _cases(conference, booking_id)
    assert len(cases) == 4 and all(_deidentified(case) for case in cases)
    entry = _last_read(app, booking_id)
    assert entry.consent_id is None and entry.detail["case_identified"] is False
    cancelled = conference.cancel(booking_id)
    assert cancelled.status_code == 200 and _deidentified(cancelled.get_json()["case"])
    assert _deidentified(conference.book().get_json()["case"])


def test_an_expired_consent_leaves_case_material_deidentified(app, conference):
    consent_id = conference.consent().get_json()["id"]
    booking_id = conference.booked()
    assert _identified(conference.read(booking_id).get_json()["case"], consent_id)
    now = datetime.now(UTC)
    with transaction(app) as session:  # as if the clock had moved past the consent's end
        session.execute(update(Consent).where(Consent.id == uuid.UUID(consent_id)).values(
            valid_from=now - timedelta(days=30), valid_until=now - timedelta(minutes=1)))
    assert all(_deidentified(case) for case in _cases(conference, booking_id))


def test_a_consent_for_another_recipient_does_not_cover_the_host(conference, make_partner):
    other = make_partner("hospital")
    assert conference.consent(recipient=other.institution_id).status_code == 201
    assert all(_deidentified(case) for case in _cases(conference, conference.booked()))


@pytest.mark.parametrize("age", [12, 15])
def test_a_minors_case_material_needs_the_guardian(app, conference, age):
    birth_date = born_years_ago(age)
    student = conference.consent(grantor="student", birth_date=birth_date).get_json()["id"]
    assert _deidentified(conference.book().get_json()["case"])

    guardian = conference.consent(grantor="guardian", birth_date=birth_date).get_json()["id"]
    booking_id = conference.booked()
    case = conference.read(booking_id).get_json()["case"]
    needed = [guardian] if age < 14 else [student, guardian]
    assert _identified(case, needed[0])
    entry = _last_read(app, booking_id)
    assert entry.consent_id == needed[0]
    assert entry.detail.get("consent_ids", needed) == needed

    assert conference.scene.revoke(guardian).status_code == 200
    assert all(_deidentified(case) for case in _cases(conference, booking_id))
