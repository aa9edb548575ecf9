"""Authlib's view of a client: the protocol questions it asks, answered from our copy."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import ClientMixin

from gateway.oauth.client_copies import RegisteredClient, RegisteredKey
from gateway.services.network import clients


class OAuthClient(ClientMixin):
    """Wraps a :class:`RegisteredClient` (a copy of the client's row) for the authorization
    server."""

    def __init__(self, registered: RegisteredClient) -> None:
        self.registered = registered

    def get_client_id(self) -> str:
        return self.registered.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return clients.secret_matches(self.registered.secret_hash, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.registered.auth_method.value

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"

    def public_key(self, kid: object) -> RegisteredKey | None:
        """The registered public key with this ``kid``, if any."""
        return self.registered.keys.get(kid) if isinstance(kid, str) else None
