"""DPoP (RFC 9449) over real HTTP, with proofs built by PyJWT as a partner would build them."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time

import jwt as pyjwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support import Partner, bearer, new_key, public_jwks

READ = "/api/v1/referrals"


class DpopKey:
    """A partner's DPoP key pair (P-256) and the proofs it signs."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.jwk = json.loads(pyjwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key()))

    @property
    def thumbprint(self) -> str:
        """RFC 7638, computed here independently of the gateway."""
        members = json.dumps({k: self.jwk[k] for k in ("crv", "kty", "x", "y")},
                             separators=(",", ":"), sort_keys=True)
        return _b64(hashlib.sha256(members.encode()).digest())

    def proof(self, method: str, url: str, access_token: str | None = None,
              header: dict | None = None, **claims: object) -> str:
        body = {"jti": secrets.token_urlsafe(16), "htm": method, "htu": url,
                "iat": int(time.time())}
        if access_token is not None:
            body["ath"] = _b64(hashlib.sha256(access_token.encode()).digest())
        body.update(claims)
        return pyjwt.encode({k: v for k, v in body.items() if v is not None}, self.private,
                            algorithm="ES256",
                            headers={"typ": "dpop+jwt", "jwk": self.jwk, **(header or {})})


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture
def bound_partner(app, client, admin_token, make_partner) -> Partner:
    """A client registered over the API with ``dpop_bound``, for an institution."""
    institution = make_partner("hospital")
    key = new_key()
    response = client.post("/api/v1/network/clients", headers=bearer(admin_token), json={
        "name": "dpop client", "institution_id": str(institution.institution_id),
        "scopes": ["referrals:read"], "jwks": public_jwks(key), "dpop_bound": True})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["dpop_bound"] is True
    return Partner(response.get_json()["client_id"], institution.institution_id, key,
                   app.config["ISSUER"], ["referrals:read"])


@pytest.fixture
def issuer(app) -> str:
    return app.config["ISSUER"]


def _token(live_server: str, issuer: str, partner: Partner, dpop: DpopKey | None,
           proof: str | None = None) -> requests.Response:
    headers = {}
    if dpop is not None or proof is not None:
        headers["DPoP"] = proof or dpop.proof("POST", issuer + "/oauth/token")
    return requests.post(live_server + "/oauth/token", data=partner.token_form(),
                         headers=headers, timeout=10)


def test_bound_client_needs_a_proof_and_gets_a_key_bound_token(live_server, issuer,
                                                                bound_partner):
    without = _token(live_server, issuer, bound_partner, None)
    assert without.status_code == 400
    assert without.json()["error"] == "invalid_dpop_proof"
    dpop = DpopKey()
    response = _token(live_server, issuer, bound_partner, dpop)
    assert response.status_code == 200, response.json()
    assert response.json()["token_type"] == "DPoP"
    claims = pyjwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["cnf"] == {"jkt": dpop.thumbprint}


def test_token_request_proofs_are_checked(live_server, issuer, bound_partner):
    dpop = DpopKey()
    url = issuer + "/oauth/token"
    bad_proofs = {
        "wrong method": dpop.proof("GET", url),
        "wrong url": dpop.proof("POST", issuer + "/oauth/other"),
        "stale iat": dpop.proof("POST", url, iat=int(time.time()) - 3600),
        "future iat": dpop.proof("POST", url, iat=int(time.time()) + 3600),
        "no jti": dpop.proof("POST", url, jti=None),
        "wrong typ": dpop.proof("POST", url, header={"typ": "JWT"}),
    }
    for why, proof in bad_proofs.items():
        response = _token(live_server, issuer, bound_partner, None, proof=proof)
        assert response.status_code == 400, why
        assert response.json()["error"] == "invalid_dpop_proof", why
    replayed = dpop.proof("POST", url)
    assert _token(live_server, issuer, bound_partner, None, proof=replayed).status_code == 200
    again = _token(live_server, issuer, bound_partner, None, proof=replayed)
    assert again.status_code == 400
    assert "jti" in again.json()["error_description"]


def test_api_call_with_proof_and_refusals_of_a_stolen_token(live_server, issuer,
                                                             bound_partner):
    dpop = DpopKey()
    token = _token(live_server, issuer, bound_partner, dpop).json()["access_token"]
    url = issuer + READ

    def call(scheme: str, proof: str | None) -> requests.Response:
        headers = {"Authorization": f"{scheme} {token}"}
        if proof is not None:
            headers["DPoP"] = proof
        return requests.get(live_server + READ, headers=headers, timeout=10)

    good = dpop.proof("GET", url, token)
    assert call("DPoP", good).status_code == 200
    # a thief holding the token but not the key
    assert call("Bearer", None).status_code == 401
    thief = DpopKey()
    refused = call("DPoP", thief.proof("GET", url, token))
    assert refused.status_code == 401
    challenge = refused.headers["WWW-Authenticate"]
    assert challenge.startswith("DPoP ") and 'error="invalid_dpop_proof"' in challenge
    assert "algs=" in challenge
    assert call("DPoP", None).status_code == 401
    for why, proof in {
        "replayed": good,
        "no ath": dpop.proof("GET", url),
        "other token's ath": dpop.proof("GET", url, "another token"),
        "wrong method": dpop.proof("POST", url, token),
        "wrong url": dpop.proof("GET", issuer + "/api/v1/consents", token),
        "stale": dpop.proof("GET", url, token, iat=int(time.time()) - 3600),
    }.items():
        response = call("DPoP", proof)
        assert response.status_code == 401, why
        assert 'error="invalid_dpop_proof"' in response.headers["WWW-Authenticate"], why


def test_a_proof_spent_on_a_failed_call_stays_spent(live_server, issuer, bound_partner):
    dpop = DpopKey()
    token = _token(live_server, issuer, bound_partner, dpop).json()["access_token"]
    path = READ + "/00000000-0000-4000-8000-000000000000"
    proof = dpop.proof("GET", issuer + path, token)
    headers = {"Authorization": f"DPoP {token}", "DPoP": proof}
    assert requests.get(live_server + path, headers=headers, timeout=10).status_code == 404
    assert requests.get(live_server + path, headers=headers, timeout=10).status_code == 401


def test_an_unbound_token_is_not_accepted_under_the_dpop_scheme(live_server, issuer,
                                                                make_partner):
    partner = make_partner()
    token = _token(live_server, issuer, partner, None).json()["access_token"]
    dpop = DpopKey()
    response = requests.get(live_server + READ, timeout=10, headers={
        "Authorization": f"DPoP {token}", "DPoP": dpop.proof("GET", issuer + READ, token)})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert requests.get(live_server + READ, headers=bearer(token), timeout=10).status_code == 200


def test_introspection_and_discovery_speak_dpop(live_server, issuer, bound_partner):
    dpop = DpopKey()
    token = _token(live_server, issuer, bound_partner, dpop).json()["access_token"]
    introspected = requests.post(live_server + "/oauth/introspect", timeout=10, data={
        **bound_partner.token_form(), "token": token}).json()
    assert introspected["active"] is True
    assert introspected["token_type"] == "DPoP"
    assert introspected["cnf"] == {"jkt": dpop.thumbprint}
    metadata = requests.get(live_server + "/.well-known/oauth-authorization-server",
                            timeout=10).json()
    assert "ES256" in metadata["dpop_signing_alg_values_supported"]
