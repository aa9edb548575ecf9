"""Attachments: allow-listed types checked against their content, size limit, encrypted, SHA-256."""

from __future__ import annotations

import base64
import hashlib

import pytest
from sqlalchemy import text

from gateway.db import engine_of
from tests.factories.privacy import consent_body
from tests.factories.referrals import referral_body
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES
from tests.support import bearer

PDF = b"%PDF-1.7\n% risk assessment\n" + b"secret-assessment-bytes " * 40 + b"\n%%EOF\n"


@pytest.fixture
def referral(client, make_partner, token_for, link):
    """A submitted referral and both parties' token headers."""
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    link(school, hospital, "referral")
    tokens = bearer(token_for(school)), bearer(token_for(hospital))
    client.post("/api/v1/consents", json=consent_body(hospital.institution_id), headers=tokens[0])
    created = client.post("/api/v1/referrals", json=referral_body(hospital.institution_id),
                          headers=tokens[0])
    return created.get_json()["id"], tokens


def _upload(client, rid, token, data, content_type="application/pdf", name="risk.pdf"):
    return client.post(f"/api/v1/referrals/{rid}/attachments?filename={name}", data=data,
                       content_type=content_type, headers=token)


def test_attachment_is_encrypted_at_rest_and_read_back_with_its_checksum(app, client, referral):
    rid, (school, hospital) = referral
    uploaded = _upload(client, rid, school, PDF)
    assert uploaded.status_code == 201, uploaded.get_json()
    meta = uploaded.get_json()
    assert meta["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert meta["size"] == len(PDF)
    with engine_of(app).connect() as connection:
        stored = connection.execute(
            text("SELECT content, filename FROM referral_attachments")).one()
    assert all(value.startswith("gw1.") for value in stored)
    assert base64.b64encode(PDF).decode()[:40] not in stored.content
    assert "risk.pdf" not in stored.filename

    listed = client.get(f"/api/v1/referrals/{rid}/attachments", headers=hospital).get_json()
    assert [item["filename"] for item in listed] == ["risk.pdf"]
    download = client.get(f"/api/v1/referrals/{rid}/attachments/{meta['id']}", headers=hospital)
    assert download.data == PDF
    assert download.mimetype == "application/pdf"
    digest = base64.b64encode(hashlib.sha256(PDF).digest()).decode()
    assert download.headers["Repr-Digest"] == f"sha-256=:{digest}:"


def test_the_recipients_file_reaches_the_sender_only_under_a_follow_up_consent(
        client, referral):
    rid, (school, hospital) = referral
    letter = _upload(client, rid, hospital, b"%PDF-1.4 discharge letter", name="letter.pdf")
    assert letter.status_code == 201
    url = f"/api/v1/referrals/{rid}/attachments/{letter.get_json()['id']}"
    refused = client.get(url, headers=school)
    assert refused.status_code == 403
    assert refused.get_json()["title"] == "Consent required"
    recipient_id = client.get(f"/api/v1/referrals/{rid}", headers=school).get_json()[
        "recipient_institution_id"]
    assert client.post("/api/v1/consents", headers=school, json=consent_body(
        recipient_id, purpose="follow_up")).status_code == 201
    assert client.get(url, headers=school).data == b"%PDF-1.4 discharge letter"


@pytest.mark.parametrize(("data", "content_type"), [
    (b"MZ\x90\x00 not a pdf", "application/pdf"),
    (b"#!/bin/sh\necho hi\n", "application/x-sh"),
    (b"\xff\xfe\x00bad", "text/plain"),
    (b"", "application/pdf"),
])
def test_disallowed_or_mislabelled_content_is_refused(client, referral, row_count, data,
                                                      content_type):
    rid, (school, _hospital) = referral
    refused = _upload(client, rid, school, data, content_type)
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert row_count("referral_attachments") == 0


def test_attachment_over_the_size_limit_is_refused(app, client, referral, row_count):
    rid, (school, _hospital) = referral
    limit = app.config["ATTACHMENT_MAX_BYTES"]
    refused = _upload(client, rid, school, b"%PDF-" + b"0" * limit)
    assert refused.status_code in (413, 422)
    assert row_count("referral_attachments") == 0
