"""Consent receipts: a JWS the grantor's institution can show the student or guardian.

Signed with the gateway's signing key but typed ``consent-receipt+jwt``, so it can never pass
as an access token (those must be ``at+jwt``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from joserfc import jwt

from gateway.models import Consent
from keys.signing import SIGNING_ALG, SigningKeys

RECEIPT_TYPE = "consent-receipt+jwt"


@dataclass(frozen=True)
class Receipted:
    """A consent together with its signed receipt (attributes read through to the consent)."""

    consent: Consent
    receipt: str

    def __getattr__(self, name: str) -> object:
        return getattr(self.consent, name)


def claims_of(consent: Consent, issuer: str) -> dict:
    """What the receipt says: what, to whom, for what, from and until when, given by whom."""
    return {
        "iss": issuer,
        "iat": int(time.time()),
        "jti": str(consent.id),
        "consent_id": str(consent.id),
        "holder_institution_id": str(consent.institution_id),
        "grantor": consent.grantor.value,
        "purpose": consent.purpose.value,
        "data_categories": list(consent.data_categories),
        "recipient": ({"institution_id": str(consent.recipient_id)} if consent.recipient_id
                      else {"institution_kinds": list(consent.recipient_kinds or ())}),
        "valid_from": consent.valid_from.isoformat(),
        "valid_until": consent.valid_until.isoformat(),
    }


def issue(signing: SigningKeys, consent: Consent, issuer: str) -> Receipted:
    """Sign a receipt for ``consent`` with the current signing key."""
    key = signing.current
    header = {"alg": SIGNING_ALG, "typ": RECEIPT_TYPE, "kid": key.kid}
    token = jwt.encode(header, claims_of(consent, issuer), key, algorithms=[SIGNING_ALG])
    return Receipted(consent, token)
