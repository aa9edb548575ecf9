"""Token introspection (RFC 7662) and revocation (RFC 7009) for our JWT access tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from gateway.db import db_session
from gateway.oauth.tokens import AccessToken, decode_access_token
from gateway.services.actor import Actor
from gateway.services.network import clients

CLIENT_AUTH_METHODS = ["private_key_jwt", "client_secret_basic"]


class Introspection(IntrospectionEndpoint):
    """A client may introspect the tokens issued to it; any other token reads inactive."""

    CLIENT_AUTH_METHODS: ClassVar = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> AccessToken | None:
        return decode_access_token(token_string)

    def check_permission(self, token: AccessToken, client, request) -> bool:
        return token.check_client(client)

    def introspect_token(self, token: AccessToken) -> dict:
        claims = token.claims
        keep = ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "nbf", "jti")
        kept = {name: claims[name] for name in keep if name in claims}
        return {"active": True, "token_type": "Bearer", **kept}


class Revocation(RevocationEndpoint):
    """Revoking puts the token's ``jti`` on the deny-list, checked on every request."""

    CLIENT_AUTH_METHODS: ClassVar = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> AccessToken | None:
        return decode_access_token(token_string)

    def revoke_token(self, token: AccessToken, request) -> None:
        expires = datetime.fromtimestamp(token.claims["exp"], UTC)
        clients.deny_token(db_session(), Actor(token.client_id, None, frozenset()), token.jti,
                           token.client_id, expires)
