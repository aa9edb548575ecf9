"""Fetching a partner's public JWK Set from its ``jwks_uri``, guarded against SSRF.

The host is resolved once and every address checked (public only; loopback only when
``JWKS_ALLOW_INSECURE_LOOPBACK`` is set, for development and tests); the request then goes to
that checked address, so a second DNS answer cannot redirect it. https is required except for
loopback with the flag. Redirects are followed only to the same origin; the answer must be a
JSON object within a size cap and a total time limit. Refusals carry our own words only: never
the fetched content nor the underlying error.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

from gateway.services.errors import JwksUnavailable

MAX_REDIRECTS = 2
JSON_TYPES = {"application/json", "application/jwk-set+json"}


@dataclass(frozen=True)
class FetchPolicy:
    """How a JWK Set may be fetched (from ``GATEWAY_JWKS_*`` configuration)."""

    allow_insecure_loopback: bool = False
    timeout: float = 5.0
    max_bytes: int = 64 * 1024
    ca_bundle: str | None = None  # None: the default trust store

    @classmethod
    def from_config(cls, config: Mapping) -> FetchPolicy:
        """The policy in an app's configuration."""
        return cls(allow_insecure_loopback=config["JWKS_ALLOW_INSECURE_LOOPBACK"] is True,
                   timeout=float(config["JWKS_FETCH_TIMEOUT"]),
                   max_bytes=int(config["JWKS_MAX_BYTES"]),
                   ca_bundle=config["JWKS_CA_BUNDLE"] or None)


@dataclass(frozen=True)
class _Target:
    url: str  # the URL with the checked address in place of the host name
    host_header: str
    hostname: str
    tls: bool


class _PinnedHostAdapter(HTTPAdapter):
    """Connects to an address but verifies TLS (SNI and certificate) for the host name."""

    def __init__(self, hostname: str) -> None:
        self.hostname = hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs) -> None:
        pool_kwargs.update(server_hostname=self.hostname, assert_hostname=self.hostname)
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)


def fetch(url: str, policy: FetchPolicy) -> dict:
    """The JSON object served at ``url``; raises :class:`JwksUnavailable` on any refusal."""
    for _hop in range(MAX_REDIRECTS + 1):
        target = _checked_target(url, policy)
        location = _get(target, policy)
        if isinstance(location, dict):
            return location
        next_url = urljoin(url, location)
        if _origin(next_url) != _origin(url):
            raise JwksUnavailable("The JWK Set URL redirects to another host; give the final URL.")
        url = next_url
    raise JwksUnavailable("The JWK Set URL redirects too often.")


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    try:
        return parts.scheme, parts.hostname, parts.port
    except ValueError:
        return (None,)


def _checked_target(url: str, policy: FetchPolicy) -> _Target:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise JwksUnavailable("The JWK Set URL is not a valid URL.") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise JwksUnavailable("The JWK Set URL must be an https URL.")
    if parts.username is not None or parts.password is not None:
        raise JwksUnavailable("The JWK Set URL must not carry credentials.")
    port = port or (443 if parts.scheme == "https" else 80)
    address = _checked_address(parts.hostname, port, policy)
    if parts.scheme == "http" and not address.is_loopback:
        raise JwksUnavailable("The JWK Set URL must be an https URL.")
    host = f"[{address}]" if address.version == 6 else str(address)
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return _Target(url=f"{parts.scheme}://{host}:{port}{path}{query}",
                   host_header=parts.netloc, hostname=parts.hostname,
                   tls=parts.scheme == "https")


def _checked_address(hostname: str, port: int, policy: FetchPolicy):
    """Resolve ``hostname``; every address must be public (or loopback, if allowed)."""
    try:
        infos = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise JwksUnavailable("The JWK Set URL's host cannot be resolved.") from None
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if address.version == 6 and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        allowed = (policy.allow_insecure_loopback if address.is_loopback
                   else address.is_global and not address.is_multicast)
        if not allowed:
            raise JwksUnavailable("The JWK Set URL's host is not a public address.")
        addresses.append(address)
    if not addresses:
        raise JwksUnavailable("The JWK Set URL's host cannot be resolved.")
    return addresses[0]


def _get(target: _Target, policy: FetchPolicy) -> dict | str:
    """The JSON object answered, or the ``Location`` of a redirect."""
    deadline = time.monotonic() + policy.timeout
    with requests.Session() as http:
        http.trust_env = False  # no proxy or netrc from the environment
        http.verify = policy.ca_bundle or True
        if target.tls:
            http.mount("https://", _PinnedHostAdapter(target.hostname))
        try:
            with http.get(target.url, timeout=policy.timeout, allow_redirects=False,
                          stream=True, headers={"Host": target.host_header,
                                                "Accept": "application/jwk-set+json, "
                                                          "application/json"}) as response:
                if response.is_redirect:
                    return response.headers["Location"]
                if response.status_code != 200:
                    raise JwksUnavailable("The JWK Set URL did not answer 200 OK.")
                media_type = response.headers.get("Content-Type", "").split(";")[0]
                if media_type.strip().lower() not in JSON_TYPES:
                    raise JwksUnavailable("The JWK Set URL did not answer with JSON.")
                body = _capped_body(response, policy.max_bytes, deadline)
        except requests.RequestException:
            raise JwksUnavailable("The JWK Set could not be fetched.") from None
    try:
        document = json.loads(body)
    except ValueError:
        raise JwksUnavailable("The JWK Set URL did not answer with JSON.") from None
    if not isinstance(document, dict):
        raise JwksUnavailable("The JWK Set URL did not answer with a JSON object.")
    return document


def _capped_body(response: requests.Response, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise JwksUnavailable("The JWK Set is larger than the gateway accepts.")
    body = bytearray()
    for chunk in response.iter_content(8192):
        body += chunk
        if len(body) > max_bytes:
            raise JwksUnavailable("The JWK Set is larger than the gateway accepts.")
        if time.monotonic() > deadline:
            raise JwksUnavailable("The JWK Set could not be fetched in time.")
    return bytes(body)
