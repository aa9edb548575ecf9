"""Consent receipts: signed by the gateway, verifiable with its JWKS, never an access token."""

from __future__ import annotations

from joserfc import jwt
from joserfc.jwk import KeySet

from gateway.oauth.tokens import decode_access_token
from tests.support import bearer


def test_grant_returns_a_signed_receipt(client, scene):
    granted = scene.consent(["identity", "clinical_notes"])
    assert granted.status_code == 201
    body = granted.get_json()
    keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())
    token = jwt.decode(body["receipt"], keys, algorithms=["ES256"])
    assert token.header["typ"] == "consent-receipt+jwt"
    claims = token.claims
    assert claims["consent_id"] == body["id"]
    assert claims["purpose"] == "referral" and claims["grantor"] == "student"
    assert claims["data_categories"] == ["clinical_notes", "identity"]
    assert claims["recipient"] == {"institution_id": str(scene.hosp.institution_id)}
    assert claims["valid_until"].startswith(body["valid_until"][:19])
    assert "stu-001" not in body["receipt"]


def test_a_receipt_is_not_an_access_token(app, client, scene):
    receipt = scene.consent().get_json()["receipt"]
    with app.app_context():
        assert decode_access_token(receipt) is None
        assert decode_access_token(scene.uni_token) is not None
    reading = client.get(f"/api/v1/consents/{scene.consent().get_json()['id']}",
                         headers=bearer(scene.uni_token))
    assert reading.status_code == 200 and "receipt" not in reading.get_json()
