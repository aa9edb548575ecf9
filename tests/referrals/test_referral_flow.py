"""The referral slice in process: consent, create, inbox, accept, complete."""

from __future__ import annotations

from tests.factories.referrals import SUBJECT_REF, SUMMARY, referral_body
from tests.support import bearer


def test_referral_round_trip(client, pair, grant_consent):
    hospital_id = pair.hospital.institution_id
    uni, hosp = bearer(pair.uni_token), bearer(pair.hosp_token)

    assert grant_consent(pair.uni_token, hospital_id).status_code == 201
    created = client.post("/api/v1/referrals", json=referral_body(hospital_id), headers=uni)
    assert created.status_code == 201, created.get_json()
    referral = created.get_json()
    assert referral["status"] == "submitted"
    assert referral["summary"] == SUMMARY
    assert referral["subject_pseudonym"].startswith("psn_")
    assert SUBJECT_REF not in created.get_data(as_text=True)

    inbox = client.get("/api/v1/referrals?box=inbox", headers=hosp).get_json()
    assert [item["id"] for item in inbox["items"]] == [referral["id"]]

    accepted = client.post(f"/api/v1/referrals/{referral['id']}/transitions",
                           json={"status": "accepted"}, headers=hosp)
    assert accepted.status_code == 200
    seen = client.get(f"/api/v1/referrals/{referral['id']}", headers=uni)
    assert seen.get_json()["status"] == "accepted"

    done = client.post(f"/api/v1/referrals/{referral['id']}/transitions",
                       json={"status": "completed", "note": "Admitted; follow-up in 2 weeks.",
                             "diagnosis_code": "F32.1"}, headers=hosp)
    assert done.status_code == 200
    assert done.get_json()["outcome"] == {"note": "Admitted; follow-up in 2 weeks.",
                                          "diagnosis_code": "F32.1"}
