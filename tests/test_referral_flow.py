"""The referral slice in process: consent, create, inbox, accept, complete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support import bearer


def _consent(client, token, recipient_id, subject="stu-001", purpose="green_channel_referral",
             **extra):
    body = {"subject_ref": subject, "grantor": "student", "purpose": purpose,
            "recipient_institution_id": str(recipient_id), "subject_birth_date": "2004-03-01",
            "data_categories": ["clinical_notes"],
            "valid_until": (datetime.now(UTC) + timedelta(days=30)).isoformat(), **extra}
    return client.post("/api/v1/consents", json=body, headers=bearer(token))


def _referral(recipient_id, subject="stu-001", **extra):
    return {"recipient_institution_id": str(recipient_id), "subject_ref": subject,
            "priority": "green_channel", "reason": "suicide_risk",
            "summary": "Student expressed a plan; dormitory officer escalated.", **extra}


def test_referral_round_trip(client, make_partner, token_for, link):
    university = make_partner("university")
    hospital = make_partner("hospital", scopes=["referrals:read", "referrals:write"])
    link(university, hospital, "referral")
    uni_token, hosp_token = token_for(university), token_for(hospital)

    assert _consent(client, uni_token, hospital.institution_id).status_code == 201
    created = client.post("/api/v1/referrals", json=_referral(hospital.institution_id),
                          headers=bearer(uni_token))
    assert created.status_code == 201, created.get_json()
    referral = created.get_json()
    assert referral["status"] == "submitted"
    assert referral["subject_pseudonym"].startswith("psn_")
    assert "stu-001" not in created.get_data(as_text=True)

    inbox = client.get("/api/v1/referrals?box=inbox", headers=bearer(hosp_token)).get_json()
    assert [item["id"] for item in inbox["items"]] == [referral["id"]]

    accepted = client.post(f"/api/v1/referrals/{referral['id']}/transitions",
                           json={"status": "accepted"}, headers=bearer(hosp_token))
    assert accepted.status_code == 200
    seen = client.get(f"/api/v1/referrals/{referral['id']}", headers=bearer(uni_token))
    assert seen.get_json()["status"] == "accepted"

    done = client.post(f"/api/v1/referrals/{referral['id']}/transitions",
                       json={"status": "completed", "note": "Admitted; follow-up in 2 weeks.",
                             "diagnosis_code": "F32.1"}, headers=bearer(hosp_token))
    assert done.status_code == 200
    assert done.get_json()["outcome"] == {"note": "Admitted; follow-up in 2 weeks.",
                                          "diagnosis_code": "F32.1"}
