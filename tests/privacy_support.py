"""Helpers for the privacy tests: consent and referral bodies, a two-party scene, a conference."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from gateway.services.privacy.minimise import PERSONAL_FIELDS
from tests.circulation import (
    BOOKING_SCOPES,
    book,
    local_start,
    move_slot,
    new_supervisor,
    one_slot,
)
from tests.factories.privacy import ADULT, PHONE, personal
from tests.support import Partner, bearer

CASE_SUMMARY = f"Year 8, mobile {PHONE}; withdrawn since October, sleeps in class."



def personal_keys(body: dict) -> set[str]:
    """The personal fields present in a referral view."""
    return set(body) & PERSONAL_FIELDS


@dataclass
class Scene:
    """A university (sender) and a hospital (recipient) with a referral partnership."""

    client: object
    uni: Partner
    hosp: Partner
    uni_token: str
    hosp_token: str

    def consent(self, categories=("identity", "clinical_notes"), *, grantor="student",
                purpose="referral", birth_date=ADULT, subject="stu-001", recipient=None,
                token=None, **extra):
        body = {"subject_ref": subject, "grantor": grantor, "purpose": purpose,
                "data_categories": list(categories),
                "valid_until": (datetime.now(UTC) + timedelta(days=30)).isoformat(), **extra}
        if birth_date:
            body["subject_birth_date"] = birth_date
        if "recipient_kinds" not in extra:
            body["recipient_institution_id"] = str(recipient or self.hosp.institution_id)
        return self.client.post("/api/v1/consents", json=body,
                                headers=bearer(token or self.uni_token))

    def refer(self, categories=("identity", "summary"), *, priority="routine", subject="stu-001",
              birth_date=ADULT, recipient=None, token=None, **extra):
        data = personal(birth_date)
        body = {"recipient_institution_id": str(recipient or self.hosp.institution_id),
                "subject_ref": subject, "priority": priority, "reason": "suicide_risk",
                **{name: data[name] for name in categories}, **extra}
        return self.client.post("/api/v1/referrals", json=body,
                                headers=bearer(token or self.uni_token))

    def read(self, referral_id, token=None):
        return self.client.get(f"/api/v1/referrals/{referral_id}",
                               headers=bearer(token or self.hosp_token))

    def revoke(self, consent_id, token=None):
        return self.client.post(f"/api/v1/consents/{consent_id}/revoke",
                                json={"reason": "student withdrew"},
                                headers=bearer(token or self.uni_token))


def make_scene(client, make_partner, token_for, link, *, hospital_scopes=None,
               university_scopes=None, exchanges=("referral",)) -> Scene:
    """Register the two partners, link them (for referrals) and get their tokens."""
    uni = make_partner("university", scopes=university_scopes)
    hosp = make_partner("hospital", scopes=hospital_scopes or ["referrals:read",
                                                               "referrals:write"])
    link(uni, hosp, *exchanges)
    return Scene(client, uni, hosp, token_for(uni), token_for(hosp))


@dataclass
class Conference:
    """The scene's hospital hosts case conferences; counsellors of its university book them.

    ``slot_id`` is open for booking; ``started_slot_id`` is booked and confirmed first, then
    :meth:`start` moves it to the past so that attendance can be recorded.
    """

    app: object
    scene: Scene
    slot_id: str
    started_slot_id: str
    counsellors: Iterator[int] = field(default_factory=itertools.count)

    @property
    def client(self):
        return self.scene.client

    def consent(self, *, grantor="student", birth_date=ADULT, subject="stu-001", **extra):
        return self.scene.consent(["clinical_notes"], purpose="case_conference",
                                  grantor=grantor, birth_date=birth_date, subject=subject,
                                  **extra)

    def book(self, subject="stu-001", *, slot_id=None):
        return book(self.client, self.scene.uni_token, slot_id or self.slot_id,
                    f"staff-{next(self.counsellors)}",
                    case={"summary": CASE_SUMMARY, "subject_ref": subject})

    def booked(self, subject="stu-001") -> str:
        """A requested booking with case material; its id."""
        created = self.book(subject)
        assert created.status_code == 201, created.get_json()
        return created.get_json()["id"]

    def confirmed_in_started_slot(self, subject="stu-001") -> str:
        """A confirmed booking of the slot :meth:`start` moves to the past; its id."""
        created = self.book(subject, slot_id=self.started_slot_id)
        assert created.status_code == 201, created.get_json()
        booking_id = created.get_json()["id"]
        assert self.decide(booking_id).status_code == 200
        return booking_id

    def start(self) -> None:
        move_slot(self.app, self.started_slot_id, datetime.now(UTC) - timedelta(minutes=10))

    def read(self, booking_id, token=None):
        return self.client.get(f"/api/v1/bookings/{booking_id}",
                               headers=bearer(token or self.scene.hosp_token))

    def listed(self, role="host"):
        token = self.scene.hosp_token if role == "host" else self.scene.uni_token
        return self.client.get("/api/v1/bookings", query_string={"role": role, "limit": 100},
                               headers=bearer(token))

    def cancel(self, booking_id):
        return self.client.post(f"/api/v1/bookings/{booking_id}/cancel",
                                headers=bearer(self.scene.uni_token))

    def decide(self, booking_id, status="confirmed"):
        return self.client.post(f"/api/v1/bookings/{booking_id}/decision",
                                json={"status": status}, headers=bearer(self.scene.hosp_token))

    def attend(self, booking_id):
        return self.client.post(f"/api/v1/bookings/{booking_id}/attendance",
                                json={"status": "attended"},
                                headers=bearer(self.scene.hosp_token))


def make_conference(app, client, make_partner, token_for, link) -> Conference:
    """A scene linked for referrals and supervision, with two case-conference slots."""
    scopes = ["referrals:read", "referrals:write", *BOOKING_SCOPES]
    scene = make_scene(client, make_partner, token_for, link,
                       hospital_scopes=[*scopes, "consents:write"],
                       university_scopes=[*scopes, "cases:read", "cases:write"],
                       exchanges=("referral", "supervision"))
    supervisor = new_supervisor(client, scene.hosp_token, qualification="psychiatrist",
                                credential="精神科主治医师")
    slot, started = (one_slot(client, scene.hosp_token, supervisor["id"], kind="case_conference",
                              capacity=20, local_start=start)
                     for start in (local_start(days=10), local_start(days=11)))
    return Conference(app, scene, slot["id"], started["id"])
