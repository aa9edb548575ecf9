"""Authlib's view of a client: the protocol questions it asks, answered from our model."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import ClientMixin

from gateway.models import Client
from gateway.services.network import clients


class OAuthClient(ClientMixin):
    """Wraps a :class:`Client` row for the authorization server."""

    def __init__(self, model: Client) -> None:
        self.model = model

    def get_client_id(self) -> str:
        return self.model.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return clients.secret_matches(self.model, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.model.auth_method.value

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"

    def public_key(self, kid: str | None) -> dict | None:
        """The registered public JWK with this ``kid``, if any."""
        for jwk in (self.model.jwks or {}).get("keys", []):
            if kid is not None and jwk.get("kid") == kid:
                return jwk
        return None
