"""The shape of what partners receive: a referral in every outbound message.

A referral travels as partners read it over the REST API (``schemas.referrals.ReferralSchema``),
so one representation serves the API, the signed webhooks and the FHIR mapping. Services put the
view they minimised (:func:`gateway.services.referrals.access.addressee_view`) through
:func:`referral` when they queue a message; they do not know the wire form.
"""

from __future__ import annotations

from schemas.dumping import compiled
from schemas.referrals import ReferralSchema

# built once (a schema instance holds no per-dump state), its dump planned as the API's are
_REFERRAL = compiled(ReferralSchema())


def referral(view: dict) -> dict:
    """``view`` (a minimised referral view) in wire form, JSON-ready."""
    return _REFERRAL.dump(view)
