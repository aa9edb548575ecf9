"""Fetching a partner's public JWK Set from its ``jwks_uri`` through the outbound-HTTP guard
(:mod:`gateway.net`): the answer must be a JSON object within the size and time bounds."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway import net
from gateway.services.errors import JwksUnavailable

JSON_TYPES = {"application/json", "application/jwk-set+json"}
ACCEPT = "application/jwk-set+json, application/json"


@dataclass(frozen=True)
class FetchPolicy:
    """How a JWK Set may be fetched (``OUTBOUND_*`` and ``JWKS_*`` configuration)."""

    outbound: net.OutboundPolicy = field(default_factory=net.OutboundPolicy)

    @classmethod
    def from_config(cls, config: Mapping) -> FetchPolicy:
        """The policy in an app's configuration."""
        return cls(net.OutboundPolicy.from_config(config, timeout=config["JWKS_FETCH_TIMEOUT"],
                                                  max_bytes=config["JWKS_MAX_BYTES"]))


def fetch(url: str, policy: FetchPolicy) -> dict:
    """The JSON object served at ``url``; raises :class:`JwksUnavailable` on any refusal."""
    try:
        answer = net.get(url, policy.outbound, ACCEPT)
    except net.OutboundRefused as exc:
        raise JwksUnavailable(f"The JWK Set URL {exc}.") from None
    if answer.status != 200:
        raise JwksUnavailable("The JWK Set URL did not answer 200 OK.")
    if answer.media_type not in JSON_TYPES:
        raise JwksUnavailable("The JWK Set URL did not answer with JSON.")
    try:
        document = json.loads(answer.body)
    except ValueError:
        raise JwksUnavailable("The JWK Set URL did not answer with JSON.") from None
    if not isinstance(document, dict):
        raise JwksUnavailable("The JWK Set URL did not answer with a JSON object.")
    return document
