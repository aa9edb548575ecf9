"""The one way the gateway calls out over HTTP (partners' JWK Sets, delivery endpoints),
guarded against SSRF.

A URL must be https (http only to loopback, and loopback at all only with
``OUTBOUND_ALLOW_INSECURE_LOOPBACK``, for development and tests) and carry no credentials. Its
host is resolved once and every address checked: never private, link-local (cloud metadata
lives there), multicast or otherwise non-global. The request then goes to that checked
address, with TLS still verified for the host name, so a second DNS answer cannot redirect it.
Time and answer size are bounded; redirects are followed for GET only, to the same origin,
at most ``MAX_REDIRECTS`` times. Refusals carry our own words only: never the fetched content
nor the underlying error.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

MAX_REDIRECTS = 2


class OutboundRefused(Exception):
    """The URL may not be called, or its answer cannot be used; ``str()`` is safe to show."""


class OutboundUnreachable(OutboundRefused):
    """An allowed URL whose host did not resolve, connect or answer in time (worth a retry)."""


@dataclass(frozen=True)
class OutboundPolicy:
    """Where and how the gateway may call out."""

    allow_insecure_loopback: bool = False
    timeout: float = 5.0
    max_bytes: int = 64 * 1024
    ca_bundle: str | None = None  # None: the default trust store

    @classmethod
    def from_config(cls, config: Mapping, *, timeout: float, max_bytes: int) -> OutboundPolicy:
        """The app's policy (loopback flag, CA bundle) with a caller's time and size bounds."""
        return cls(allow_insecure_loopback=config["OUTBOUND_ALLOW_INSECURE_LOOPBACK"] is True,
                   timeout=float(timeout), max_bytes=int(max_bytes),
                   ca_bundle=config["OUTBOUND_CA_BUNDLE"] or None)


@dataclass(frozen=True)
class Answer:
    """A response: status, media type, the ``Location`` of a redirect, the (capped) body."""

    status: int
    media_type: str
    location: str | None
    body: bytes


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


def check_url(url: str, policy: OutboundPolicy, *, resolve: bool = True) -> None:
    """Refuse a URL the gateway may not call (configuration time). With ``resolve``, a host
    name that resolves must resolve to allowed addresses; one that does not resolve yet is
    accepted (every call checks again)."""
    parts = _parts(url)
    address = _literal_address(parts.hostname)
    if address is not None:
        _check_address(address, policy)
    elif resolve:
        try:
            address = _resolved(parts.hostname, parts.port or 443, policy)
        except OutboundUnreachable:
            address = None
    _check_scheme(parts.scheme, address, policy)


def get(url: str, policy: OutboundPolicy, accept: str) -> Answer:
    """GET ``url``, following same-origin redirects; the final answer (not a redirect)."""
    for _hop in range(MAX_REDIRECTS + 1):
        answer = _send("GET", _target(url, policy), policy, {"Accept": accept}, None)
        if answer.location is None:
            return answer
        next_url = urljoin(url, answer.location)
        if _origin(next_url) != _origin(url):
            raise OutboundRefused("redirects to another host; give the final URL")
        url = next_url
    raise OutboundRefused("redirects too often")


def post(url: str, body: bytes, headers: Mapping[str, str], policy: OutboundPolicy) -> Answer:
    """POST ``body`` to ``url``; a redirect is answered as such, never followed."""
    return _send("POST", _target(url, policy), policy, dict(headers), body)


def _parts(url: str):
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise OutboundRefused("is not a valid URL") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise OutboundRefused("must be an https URL")
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused("must not carry credentials")
    return parts


def _literal_address(hostname: str):
    try:
        return _unmapped(ipaddress.ip_address(hostname.split("%")[0]))
    except ValueError:
        return None


def _unmapped(address):
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _check_address(address, policy: OutboundPolicy) -> None:
    allowed = (policy.allow_insecure_loopback if address.is_loopback
               else address.is_global and not address.is_multicast)
    if not allowed:
        raise OutboundRefused("is not a public address")


def _check_scheme(scheme: str, address, policy: OutboundPolicy) -> None:
    loopback = address is not None and address.is_loopback
    if scheme == "http" and not (loopback and policy.allow_insecure_loopback):
        raise OutboundRefused("must be an https URL")


def _resolved(hostname: str, port: int, policy: OutboundPolicy):
    """Resolve ``hostname``; every address must be allowed. The first one."""
    try:
        infos = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise OutboundUnreachable("has a host that cannot be resolved") from None
    addresses = [_unmapped(ipaddress.ip_address(info[4][0].split("%")[0])) for info in infos]
    if not addresses:
        raise OutboundUnreachable("has a host that cannot be resolved")
    for address in addresses:
        _check_address(address, policy)
    return addresses[0]


def _target(url: str, policy: OutboundPolicy) -> _Target:
    parts = _parts(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _resolved(parts.hostname, port, policy)
    _check_scheme(parts.scheme, address, policy)
    host = f"[{address}]" if address.version == 6 else str(address)
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return _Target(url=f"{parts.scheme}://{host}:{port}{path}{query}",
                   host_header=parts.netloc, hostname=parts.hostname,
                   tls=parts.scheme == "https")


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    try:
        return parts.scheme, parts.hostname, parts.port
    except ValueError:
        return (None,)


def _send(method: str, target: _Target, policy: OutboundPolicy, headers: dict[str, str],
          body: bytes | None) -> Answer:
    deadline = time.monotonic() + policy.timeout
    with requests.Session() as http:
        http.trust_env = False  # no proxy or netrc from the environment
        http.verify = policy.ca_bundle or True
        if target.tls:
            http.mount("https://", _PinnedHostAdapter(target.hostname))
        try:
            with http.request(method, target.url, data=body, timeout=policy.timeout,
                              allow_redirects=False, stream=True,
                              headers={**headers, "Host": target.host_header}) as response:
                media_type = response.headers.get("Content-Type", "").split(";")[0]
                location = response.headers.get("Location") if response.is_redirect else None
                content = b"" if location else _capped_body(response, policy.max_bytes,
                                                            deadline)
                return Answer(response.status_code, media_type.strip().lower(), location,
                              content)
        except requests.RequestException:
            raise OutboundUnreachable("could not be reached") from None


def _capped_body(response: requests.Response, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise OutboundRefused("answered more than the gateway accepts")
    body = bytearray()
    for chunk in response.iter_content(8192):
        body += chunk
        if len(body) > max_bytes:
            raise OutboundRefused("answered more than the gateway accepts")
        if time.monotonic() > deadline:
            raise OutboundUnreachable("did not answer in time")
    return bytes(body)
