"""The consent engine over HTTP: categories, purposes, minors, recipients, cross-border."""

from __future__ import annotations

import pytest

from gateway import create_app
from gateway.db import transaction
from gateway.models import Institution
from gateway.privacy import EXTENSION_KEY
from gateway.services.privacy.policy import Policy
from tests.factories.privacy import NAME, NOTE, PHONE, born_years_ago
from tests.privacy_support import personal_keys
from tests.support import bearer


def test_recipient_view_holds_only_consented_categories(scene):
    assert scene.consent(["identity", "clinical_notes", "risk_assessment"]).status_code == 201
    created = scene.refer(["identity", "summary"])
    assert created.status_code == 201, created.get_json()
    body = scene.read(created.get_json()["id"]).get_json()
    assert personal_keys(body) == {"identity", "summary"}
    assert body["identity"] == {"name": NAME, "date_of_birth": "2004-03-01"}
    assert body["summary"] == NOTE
    assert body["released_categories"] == ["clinical_notes", "identity"]
    assert body["access"] == {"basis": "consent"}
    assert {"contact", "guardian_contact", "school_record", "risk_assessment",
            "diagnosis_code"}.isdisjoint(body)
    codes = {label["code"] for label in body["security_labels"]}
    assert {"V", "PSY", "MH", "DEMO"} <= codes


def test_sending_a_category_outside_the_consent_is_refused(scene, row_count):
    assert scene.consent(["identity", "clinical_notes"]).status_code == 201
    refused = scene.refer(["identity", "summary", "contact"])
    assert refused.status_code == 403
    problem = refused.get_json()
    assert refused.content_type == "application/problem+json"
    assert problem["missing_consent"]["data_categories"] == ["contact"]
    assert PHONE not in refused.get_data(as_text=True)
    assert row_count("referrals") == 0


def test_each_purpose_needs_its_own_consent(scene):
    assert scene.consent(purpose="case_conference").status_code == 201
    assert scene.refer().status_code == 403
    assert scene.consent(purpose="referral").status_code == 201
    assert scene.refer(priority="green_channel").status_code == 403
    assert scene.refer(priority="routine").status_code == 201


def test_under_14_needs_the_guardian(scene):
    child = born_years_ago(12)
    assert scene.consent(birth_date=child).status_code == 201
    refused = scene.refer(birth_date=child)
    assert refused.status_code == 403
    assert "guardian consent" in refused.get_json()["detail"]
    assert refused.get_json()["missing_consent"]["grantors"] == ["guardian"]
    assert scene.consent(grantor="guardian", birth_date=child).status_code == 201
    assert scene.refer(birth_date=child).status_code == 201


def test_14_to_17_needs_student_and_guardian(scene):
    teen = born_years_ago(15)
    assert scene.consent(grantor="guardian", birth_date=teen).status_code == 201
    refused = scene.refer(birth_date=teen)
    assert refused.get_json()["missing_consent"]["grantors"] == ["student"]
    assert scene.consent(grantor="student", birth_date=teen).status_code == 201
    assert scene.refer(birth_date=teen).status_code == 201


def test_minor_with_only_student_consent_is_told_guardian_missing(scene):
    teen = born_years_ago(16)
    assert scene.consent(grantor="student", birth_date=teen).status_code == 201
    refused = scene.refer(birth_date=teen)
    assert refused.status_code == 403
    assert refused.content_type == "application/problem+json"
    assert "guardian consent" in refused.get_json()["detail"]


def test_both_grantors_release_only_what_both_name(scene):
    teen = born_years_ago(15)
    scene.consent(["identity", "contact", "clinical_notes"], grantor="guardian", birth_date=teen)
    scene.consent(["identity", "clinical_notes"], grantor="student", birth_date=teen)
    refused = scene.refer(["identity", "contact", "summary"], birth_date=teen)
    assert refused.get_json()["missing_consent"]["data_categories"] == ["contact"]
    assert scene.refer(["identity", "summary"], birth_date=teen).status_code == 201


def test_unknown_birth_date_needs_both(scene):
    assert scene.consent(birth_date=None).status_code == 201
    assert scene.refer(["summary"]).status_code == 403


def test_adult_student_alone_suffices_and_birth_date_is_checked(scene):
    assert scene.consent().status_code == 201
    assert scene.refer().status_code == 201
    other = scene.refer(birth_date="2004-03-02")
    assert other.status_code == 422


def test_regional_age_rule_overrides_the_default(app, scene, monkeypatch):
    monkeypatch.setitem(app.extensions, EXTENSION_KEY,
                        Policy.from_config({"CONSENT_AGE_RULES": {"r1": [12, 16]}}))
    sixteen = born_years_ago(16)
    assert scene.consent(birth_date=sixteen).status_code == 201
    assert scene.refer(birth_date=sixteen).status_code == 201


def test_recipient_kinds_within_an_active_partnership(scene, make_partner, token_for):
    assert scene.consent(recipient_kinds=["counselling_agency"]).status_code == 201
    assert scene.refer().status_code == 403
    assert scene.consent(recipient_kinds=["hospital"]).status_code == 201
    assert scene.refer().status_code == 201
    both = scene.consent(recipient_kinds=["hospital"], recipient_institution_id=str(
        scene.hosp.institution_id))
    assert both.status_code == 422


def test_kind_consent_needs_the_partnership(scene, make_partner, token_for, link):
    other = make_partner("hospital", scopes=["referrals:read", "referrals:write"])
    link(scene.uni, other, "supervision")  # a partnership, but not for referrals
    assert scene.consent(recipient_kinds=["hospital"]).status_code == 201
    refused = scene.refer(recipient=other.institution_id)
    assert refused.status_code == 403
    assert "partnership" in refused.get_json()["detail"]


def test_cross_border_institution_never_receives_personal_data(app, scene, make_partner, link,
                                                               token_for):
    overseas = make_partner("hospital", country="GB", scopes=["referrals:read"])
    link(scene.uni, overseas, "referral")
    named = scene.consent(recipient=overseas.institution_id)
    assert named.status_code == 422
    assert scene.consent(recipient_kinds=["hospital"]).status_code == 201
    refused = scene.refer(recipient=overseas.institution_id)
    assert refused.status_code == 403
    assert refused.get_json()["missing_consent"]["cross_border"] is True

    created = scene.refer().get_json()  # to the domestic hospital, under the kinds consent
    with transaction(app) as session:  # the hospital turns out to be registered abroad
        session.get(Institution, scene.hosp.institution_id).country = "US"
    body = scene.read(created["id"]).get_json()
    assert personal_keys(body) == set()
    assert body["access"] == {"basis": "none"}


def test_two_partners_cannot_link_a_student(scene, make_partner, token_for, link):
    second = make_partner("hospital", scopes=["referrals:read"])
    link(scene.uni, second, "referral")
    scene.consent(recipient_kinds=["hospital"])
    first_view = scene.read(scene.refer().get_json()["id"]).get_json()
    ref = scene.refer(recipient=second.institution_id).get_json()
    second_view = scene.read(ref["id"], token=token_for(second)).get_json()
    assert first_view["subject_pseudonym"] != second_view["subject_pseudonym"]
    assert "stu-001" not in str(first_view) + str(second_view)
    again = scene.read(scene.refer(subject="stu-001").get_json()["id"]).get_json()
    assert again["subject_pseudonym"] == first_view["subject_pseudonym"]


def test_follow_up_outcome_returns_only_under_follow_up_consent(scene):
    scene.consent()
    referral = scene.refer().get_json()
    for status in ("accepted", "completed"):
        moved = scene.client.post(f"/api/v1/referrals/{referral['id']}/transitions",
                                  json={"status": status, "note": "Admitted for two weeks."}
                                  if status == "completed" else {"status": status},
                                  headers=bearer(scene.hosp_token))
        assert moved.status_code == 200
    sender_view = scene.read(referral["id"], token=scene.uni_token).get_json()
    assert "outcome" not in sender_view
    scene.consent(["clinical_notes"], purpose="follow_up")
    sender_view = scene.read(referral["id"], token=scene.uni_token).get_json()
    assert sender_view["outcome"]["note"] == "Admitted for two weeks."


def test_a_bad_age_rule_fails_at_start_up(app):
    with pytest.raises(ValueError, match="age rule"):
        create_app({**{k: app.config[k] for k in ("TESTING", "DATABASE_URL", "KEY_DIR",
                                                   "ISSUER")},
                    "CONSENT_AGE_RULES": {"r1": [18, 14]}})
