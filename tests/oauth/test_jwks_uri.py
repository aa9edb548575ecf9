"""Partner keys by URL (jwks_uri): fetched over real HTTP, checked, cached, refetched."""

from __future__ import annotations

import json
import re
import socket
import ssl
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select, update

from gateway.db import transaction
from gateway.models import AuditEntry, Client, utcnow
from tests.admin_support import make_account, post_form, sign_in
from tests.factories.network import institution
from tests.support import Partner, assert_problem, bearer, new_key, public_jwks

MARKER = "do-not-echo-this-internal-content"


@dataclass
class Served:
    """What the partner's key server answers, and how often it was asked."""

    body: bytes = b""
    content_type: str = "application/json"
    status: int = 200
    location: str | None = None
    declare_length: bool = True
    hits: int = 0
    host: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def jwks(self, *keys) -> None:
        self.body = json.dumps(public_jwks(*keys)).encode()


class JwksServer:
    """A real HTTP server on a free loopback port, serving :class:`Served`."""

    def __init__(self, server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer,
                 address: str = "127.0.0.1") -> None:
        served = self.served = Served()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with served.lock:
                    served.hits += 1
                    served.host = self.headers["Host"]
                self.send_response(served.status)
                self.send_header("Content-Type", served.content_type)
                if served.location:
                    self.send_header("Location", served.location)
                if served.declare_length:
                    self.send_header("Content-Length", str(len(served.body)))
                self.end_headers()
                self.wfile.write(served.body)

            def log_message(self, *_args) -> None:
                pass

        self.server = server_class((address, 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/.well-known/jwks.json"


@pytest.fixture
def partner_keys() -> Iterator[JwksServer]:
    server = JwksServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def hospital_id(app) -> uuid.UUID:
    """A hospital of the network (the owner of the clients registered here)."""
    return institution(app, name="Hospital", kind="hospital").id


@pytest.fixture
def by_url(app, client, admin_token, hospital_id, partner_keys) -> tuple[str, Partner]:
    """A client registered by its ``jwks_uri``, serving one key (k1); its id and the partner."""
    key = new_key("k1")
    partner_keys.served.jwks(key)
    client_id = _register(client, admin_token, hospital_id,
                          partner_keys.url).get_json()["client_id"]
    return client_id, Partner(client_id, None, key, app.config["ISSUER"])


def _register(client, admin_token: str, institution_id: uuid.UUID, jwks_uri: str):
    return client.post("/api/v1/network/clients", headers=bearer(admin_token), json={
        "name": "hospital gateway", "institution_id": str(institution_id),
        "scopes": ["referrals:read"], "jwks_uri": jwks_uri})


def _actions(app, client_id: str) -> list[str]:
    with transaction(app) as session:
        return list(session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_id == client_id).order_by(AuditEntry.seq)))


def test_register_by_url_then_rotation_is_picked_up_by_one_refetch(hospital_id, app, client,
                                                                   admin_token,
                                                                   partner_keys):
    first, second = new_key("k1"), new_key("k2")
    partner_keys.served.jwks(first)
    response = _register(client, admin_token, hospital_id, partner_keys.url)
    assert response.status_code == 201, response.get_json()
    registered = response.get_json()
    assert registered["jwks_uri"] == partner_keys.url and registered["jwks_fetched_at"]
    partner = Partner(registered["client_id"], None, first, app.config["ISSUER"])
    assert client.post("/oauth/token", data=partner.token_form()).status_code == 200
    assert partner_keys.served.hits == 1  # the cached set answers; no fetch per assertion

    partner_keys.served.jwks(second)  # the partner rotates
    rotated = client.post("/oauth/token", data=partner.token_form(
        assertion=partner.assertion(key=second)))
    assert rotated.status_code == 200, rotated.get_json()
    assert partner_keys.served.hits == 2
    old = client.post("/oauth/token", data=partner.token_form())
    assert old.status_code == 400  # the cache holds the partner's new set only
    # the refused assertion (old key) is a security event of its own
    assert _actions(app, partner.client_id) == ["client.registered", "client.keys_refetched",
                                                "security.client_auth_failed"]
    with transaction(app) as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "client.registered",
            AuditEntry.object_id == partner.client_id)).one()
        assert entry.detail["jwks_uri"] == partner_keys.url
        assert entry.detail["kids"] == ["k1"]


def test_unknown_kids_refetch_at_most_once_per_interval(app, client, partner_keys, by_url):
    client_id, partner = by_url
    for _ in range(3):
        stranger = new_key()
        refused = client.post("/oauth/token", data=partner.token_form(
            assertion=partner.assertion(key=stranger)))
        assert refused.status_code == 400
    # the refused requests rolled back, yet the claim held: one fetch, recorded in the database
    assert partner_keys.served.hits == 2
    assert _actions(app, client_id).count("client.keys_refetched") == 1

    newer = new_key("k9")
    partner_keys.served.jwks(newer)
    assert client.post("/oauth/token", data=partner.token_form(
        assertion=partner.assertion(key=newer))).status_code == 400  # still within the interval
    with transaction(app) as session:  # the interval passes
        session.execute(update(Client).where(Client.client_id == client_id).values(
            jwks_refetched_at=utcnow() - timedelta(seconds=301)))
    assert client.post("/oauth/token", data=partner.token_form(
        assertion=partner.assertion(key=newer))).status_code == 200


def test_a_failed_refetch_keeps_the_cached_keys_and_is_audited(app, client, partner_keys,
                                                               by_url):
    client_id, partner = by_url
    partner_keys.served.status = 500
    assert client.post("/oauth/token", data=partner.token_form(
        assertion=partner.assertion(key=new_key()))).status_code == 400
    assert client.post("/oauth/token", data=partner.token_form()).status_code == 200
    assert "client.keys_refetch_failed" in _actions(app, client_id)


def test_http_is_refused_without_the_loopback_flag(hospital_id, app, client, admin_token,
                                                   partner_keys,
                                                   monkeypatch, row_count):
    partner_keys.served.jwks(new_key())
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_INSECURE_LOOPBACK", False)
    institution_id = hospital_id
    for url in (partner_keys.url, partner_keys.url.replace("http:", "https:")):
        body = assert_problem(_register(client, admin_token, institution_id, url), 422,
                              slug="jwks-unavailable")
        assert url not in body["detail"]
    assert partner_keys.served.hits == 0
    assert row_count("clients") == 1  # only the admin


@pytest.mark.parametrize("url", [
    "https://10.0.0.7/jwks.json",
    "https://192.168.1.20/jwks.json",
    "https://169.254.169.254/latest/meta-data",
    "https://[fd00::1]/jwks.json",
    "https://[::ffff:10.1.2.3]/jwks.json",
    "https://0.0.0.0/jwks.json",
    "ftp://example.org/jwks.json",
    "https://user:pw@example.org/jwks.json",
])
def test_private_addresses_and_odd_urls_are_refused_before_any_request(hospital_id, client,
                                                                       admin_token, url):
    assert_problem(_register(client, admin_token, hospital_id, url), 422,
                   slug="jwks-unavailable")


@pytest.mark.parametrize("declare_length", [True, False])
def test_an_oversize_answer_is_refused(hospital_id, app, client, admin_token, partner_keys,
                                       declare_length):
    keys = public_jwks(new_key())
    keys["padding"] = "x" * (app.config["JWKS_MAX_BYTES"] + 1)
    partner_keys.served.body = json.dumps(keys).encode()
    partner_keys.served.declare_length = declare_length
    assert_problem(_register(client, admin_token, hospital_id, partner_keys.url), 422,
                   slug="jwks-unavailable")


@pytest.mark.parametrize("content_type, body", [
    ("text/html", f"<html>{MARKER}</html>"),
    ("application/json", f"not json {MARKER}"),
    ("application/json", json.dumps([MARKER])),
])
def test_non_json_answers_are_refused_without_echo(hospital_id, client, admin_token, partner_keys,
                                                   content_type, body):
    partner_keys.served.content_type = content_type
    partner_keys.served.body = body.encode()
    response = _register(client, admin_token, hospital_id, partner_keys.url)
    assert_problem(response, 422, slug="jwks-unavailable")
    assert MARKER not in response.get_data(as_text=True)


def test_a_private_key_in_the_fetched_set_is_refused(hospital_id, client, admin_token,
                                                     partner_keys):
    partner_keys.served.body = json.dumps(
        {"keys": [new_key().as_dict(private=True)]}).encode()
    response = _register(client, admin_token, hospital_id, partner_keys.url)
    body = assert_problem(response, 422, slug="invalid-input")
    assert '"d"' not in response.get_data(as_text=True) and "public keys only" in body["detail"]


def test_a_redirect_to_another_host_is_refused(hospital_id, client, admin_token, partner_keys):
    partner_keys.served.status = 302
    partner_keys.served.location = partner_keys.url.replace("127.0.0.1", "localhost")
    assert_problem(_register(client, admin_token, hospital_id, partner_keys.url), 422,
                   slug="jwks-unavailable")
    assert partner_keys.served.hits == 1


def test_keys_and_url_together_are_refused(hospital_id, client, admin_token, partner_keys):
    key = new_key()
    partner_keys.served.jwks(key)
    response = client.post("/api/v1/network/clients", headers=bearer(admin_token), json={
        "name": "both", "institution_id": str(hospital_id), "scopes": ["referrals:read"],
        "jwks": public_jwks(key), "jwks_uri": partner_keys.url})
    assert_problem(response, 422, slug="invalid-input")


def test_admin_registers_by_url_and_switches_keys_to_a_url(hospital_id, app, client, partner_keys):
    account = make_account(app, region="r1")
    assert sign_in(client, account).status_code == 302
    institution_id = hospital_id
    partner_keys.served.jwks(new_key("url-k1"))
    registered = post_form(client, "/admin/clients/new", "/admin/clients/new", {
        "institution": str(institution_id), "name": "HIS", "auth_method": "private_key_jwt",
        "scopes": ["referrals:read"], "algs": ["ES256"], "jwks": "",
        "jwks_uri": partner_keys.url})
    assert registered.status_code == 302, registered.get_data(as_text=True)  # then GET
    registered = client.get(registered.headers["Location"])
    client_id = re.search(r'id="client-id">([^<]+)<', registered.get_data(as_text=True)).group(1)
    listing = client.get("/admin/clients").get_data(as_text=True)
    assert "url-k1" in listing and partner_keys.url in listing

    keys_page = f"/admin/clients/{client_id}/keys"
    assert partner_keys.url in client.get(keys_page).get_data(as_text=True)
    partner_keys.served.body = json.dumps({"keys": [new_key().as_dict(private=True)]}).encode()
    assert post_form(client, keys_page, keys_page,
                     {"jwks": "", "jwks_uri": partner_keys.url}).status_code == 422
    partner_keys.served.jwks(new_key("url-k2"))
    assert post_form(client, keys_page, keys_page,
                     {"jwks": "", "jwks_uri": partner_keys.url}).status_code == 302
    assert "url-k2" in client.get("/admin/clients").get_data(as_text=True)
    with transaction(app) as session:
        actions = session.scalars(select(AuditEntry.action).where(
            AuditEntry.actor == account.label, AuditEntry.object_id == client_id)).all()
    assert actions == ["client.registered", "client.keys_rotated"]


def _certificate(name: str, issuer_name: x509.Name, issuer_key, key, ca: bool = False):
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
               .issuer_name(issuer_name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(minutes=5))
               .not_valid_after(now + timedelta(hours=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]),
                                        critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def tls_files(tmp_path) -> dict:
    """A test CA (its file) and server certificates it signed for two host names."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test partner CA")])
    ca_cert = _certificate("test partner CA", ca_name, ca_key, ca_key, ca=True)
    (tmp_path / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files = {"ca": str(tmp_path / "ca.pem")}
    for name in ("localhost", "elsewhere.example"):
        key = ec.generate_private_key(ec.SECP256R1())
        pem = (_certificate(name, ca_name, ca_key, key).public_bytes(serialization.Encoding.PEM)
               + key.private_bytes(serialization.Encoding.PEM,
                                   serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
        (tmp_path / f"{name}.pem").write_bytes(pem)
        files[name] = str(tmp_path / f"{name}.pem")
    return files


@pytest.mark.parametrize("certificate_for, accepted", [("localhost", True),
                                                       ("elsewhere.example", False)])
def test_https_goes_to_the_checked_address_and_verifies_the_host_name(hospital_id,
        app, client, admin_token, monkeypatch, tls_files, certificate_for, accepted):
    family, *_rest, address = socket.getaddrinfo("localhost", 0, type=socket.SOCK_STREAM)[0]

    class Server(ThreadingHTTPServer):
        address_family = family

    server = JwksServer(Server, address[0])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files[certificate_for])
    server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
    server.served.jwks(new_key("tls-k1"))
    server.thread.start()
    monkeypatch.setitem(app.config, "OUTBOUND_CA_BUNDLE", tls_files["ca"])
    url = f"https://localhost:{server.server.server_port}/jwks.json"
    try:
        response = _register(client, admin_token, hospital_id, url)
    finally:
        server.server.shutdown()
        server.server.server_close()
    if accepted:
        assert response.status_code == 201, response.get_json()
        assert server.served.host == f"localhost:{server.server.server_port}"
    else:
        assert_problem(response, 422, slug="jwks-unavailable")
