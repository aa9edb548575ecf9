"""OAuth clients: registration, secrets, assertion replay protection and the token deny-list."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert
from werkzeug.security import check_password_hash, generate_password_hash

from gateway.models import (
    AuthMethod,
    Client,
    Institution,
    InstitutionKind,
    RevokedToken,
    UsedAssertion,
    UsedDpopProof,
    utcnow,
)
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import Conflict, InvalidInput, NotFound
from gateway.services.network import institutions
from gateway.services.network.jwks_fetch import FetchPolicy, fetch

SCOPES = (
    "referrals:read",
    "referrals:write",
    "referrals:emergency",
    "consents:read",
    "consents:write",
    "cases:read",
    "cases:write",
    "bookings:read",
    "bookings:write",
    "resources:read",
    "resources:write",
    "reports:read",
    "network:admin",
    "audit:read",
    "audit:witness",
)
ASYMMETRIC_ALGS = ("ES256", "ES384", "EdDSA", "PS256", "RS384")
KTY_OF_ALG = {"ES256": "EC", "ES384": "EC", "EdDSA": "OKP", "PS256": "RSA", "RS384": "RSA"}
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k"}
EMERGENCY_SCOPE = "referrals:emergency"
#: Who sends green-channel referrals: the inner circulation (schools and community centres);
#: hospitals and counselling agencies receive them.
EMERGENCY_SENDER_KINDS = frozenset({
    InstitutionKind.UNIVERSITY, InstitutionKind.MIDDLE_SCHOOL, InstitutionKind.PRIMARY_SCHOOL,
    InstitutionKind.COMMUNITY_CENTRE})


@dataclass(frozen=True)
class Registration:
    """A new client, with its secret when one was made (shown once, stored only hashed)."""

    client: Client
    client_secret: str | None


def _checked_jwks(jwks: dict, algs: list[str]) -> dict:
    """Accept only public asymmetric keys, each with a ``kid`` and an allowed ``alg``."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not keys or not isinstance(keys, list):
        raise InvalidInput("jwks must be a JWK Set with at least one key.", rule="jwks")
    kids = set()
    for jwk in keys:
        if not isinstance(jwk, dict) or PRIVATE_JWK_MEMBERS & jwk.keys():
            raise InvalidInput("jwks must hold public keys only.", rule="jwks")
        kid = jwk.get("kid")
        if not isinstance(kid, str) or not kid or kid in kids:
            raise InvalidInput("every key needs a unique kid (a string).", rule="jwks")
        if jwk.get("alg") not in algs or KTY_OF_ALG[jwk["alg"]] != jwk.get("kty"):
            raise InvalidInput("every key needs an alg from allowed_algs that fits its kty.",
                               rule="jwks")
        kids.add(kid)
    try:
        KeySet.import_key_set(jwks)
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidInput("jwks holds a key that cannot be imported.", rule="jwks") from exc
    return {"keys": keys}


def _fetched_jwks(uri: str, algs: list[str], policy: FetchPolicy) -> dict:
    """The JWK Set at ``uri``, checked exactly as a pasted one."""
    if len(uri) > 2048:
        raise InvalidInput("jwks_uri is too long.", rule="jwks_uri")
    return _checked_jwks(fetch(uri, policy), algs)


def check_emergency_grant(kind: InstitutionKind, auth_method: AuthMethod) -> None:
    """``referrals:emergency`` (break-glass) only for green-channel senders on private_key_jwt;
    the refusal names its ``rule`` (``emergency_kind`` or ``emergency_auth_method``)."""
    if kind not in EMERGENCY_SENDER_KINDS:
        raise InvalidInput(f"{EMERGENCY_SCOPE} is only for institutions that send green-channel "
                           f"referrals ({', '.join(sorted(EMERGENCY_SENDER_KINDS))}).",
                           rule="emergency_kind")
    if auth_method is not AuthMethod.PRIVATE_KEY_JWT:
        raise InvalidInput(f"{EMERGENCY_SCOPE} requires the private_key_jwt method.",
                           rule="emergency_auth_method")


def check_scope_names(scopes: list[str]) -> None:
    """At least one scope, each one the gateway's (refused under the rule ``scopes``)."""
    if not scopes or not set(scopes) <= set(SCOPES):
        raise InvalidInput("scopes must be a non-empty subset of the gateway's scopes.",
                           rule="scopes")


def check_scopes_of(institution: Institution | None, scopes: list[str],
                    auth_method: AuthMethod) -> None:
    """The scopes a client of ``institution`` may hold: only ``network:admin`` without an
    institution, ``referrals:emergency`` under :func:`check_emergency_grant`."""
    if institution is None:
        if set(scopes) != {"network:admin"}:
            raise InvalidInput("a client without an institution may only hold network:admin.",
                               rule="network_admin_only")
    elif EMERGENCY_SCOPE in scopes:
        check_emergency_grant(institution.kind, auth_method)


def _kids(jwks: dict) -> list[str]:
    return [key["kid"] for key in jwks["keys"]]


def register(
    session: Session,
    actor: Actor,
    *,
    name: str,
    institution_id: uuid.UUID | None,
    auth_method: AuthMethod,
    scopes: list[str],
    jwks: dict | None = None,
    allowed_algs: list[str] | None = None,
    jwks_uri: str | None = None,
    fetch_policy: FetchPolicy | None = None,
    dpop_bound: bool = False,
) -> Registration:
    """Register a client; ``institution_id`` None makes a network-coordination client.

    A ``dpop_bound`` client gets only DPoP-bound tokens (RFC 9449), refused as Bearer tokens.

    A ``private_key_jwt`` client brings either its public ``jwks`` or a ``jwks_uri`` that the
    gateway fetches now (under ``fetch_policy``) and keeps a copy of.
    """
    check_scope_names(scopes)
    check_scopes_of(None if institution_id is None
                    else institutions.get_active(session, institution_id), scopes, auth_method)
    algs = list(allowed_algs or ["ES256"])
    if not set(algs) <= set(ASYMMETRIC_ALGS):
        raise InvalidInput(f"allowed_algs must be drawn from {', '.join(ASYMMETRIC_ALGS)}.",
                           rule="algs")
    secret = None
    client = Client(
        client_id="gw_" + secrets.token_urlsafe(18),
        institution_id=institution_id,
        name=name,
        auth_method=auth_method,
        allowed_algs=algs,
        allowed_scopes=sorted(set(scopes)),
        dpop_bound=dpop_bound,
    )
    if auth_method is AuthMethod.PRIVATE_KEY_JWT:
        if (jwks is None) == (jwks_uri is None):
            raise InvalidInput("private_key_jwt clients register either a public JWK Set or "
                               "its URL (jwks_uri), not both.", rule="keys_or_uri")
        if jwks_uri is not None:
            client.jwks = _fetched_jwks(jwks_uri, algs, fetch_policy or FetchPolicy())
            client.jwks_uri, client.jwks_fetched_at = jwks_uri, utcnow()
        else:
            client.jwks = _checked_jwks(jwks, algs)
    else:
        if jwks is not None or jwks_uri is not None:
            raise InvalidInput("client_secret_basic clients register no keys.",
                               rule="basic_no_keys")
        secret = secrets.token_urlsafe(32)
        client.secret_hash = generate_password_hash(secret)
    session.add(client)
    session.flush()
    detail: dict = {"auth_method": auth_method.value, "scopes": client.allowed_scopes,
                    "dpop_bound": dpop_bound}
    if client.jwks is not None:
        detail.update(kids=_kids(client.jwks), jwks_uri=client.jwks_uri)
    journal.record(session, actor, "client.registered", "client", client.client_id, detail=detail)
    return Registration(client, secret)


def find_active(session: Session, client_id: str) -> Client | None:
    """An active client whose institution (if any) is active, else None.

    ``client_id`` is untrusted (a Basic credential, an assertion's ``sub``): one holding NUL
    names no client, and is not sent to the database (PostgreSQL text cannot hold NUL).
    """
    if "\x00" in client_id:
        return None
    client = session.get(Client, client_id)
    if client is None or not client.active:
        return None
    if client.institution is not None and not client.institution.active:
        return None
    return client


def secret_matches(secret_hash: str | None, secret: str) -> bool:
    """Constant-time check of a presented secret against a client's stored hash."""
    return secret_hash is not None and check_password_hash(secret_hash, secret)


def revoke(session: Session, actor: Actor, client_id: str) -> Client:
    """Deactivate a client: no new tokens, and its live tokens stop working at once (also
    after a reactivation: tokens issued up to ``revoked_at`` stay dead). A client cannot
    revoke itself (nothing it holds could undo that)."""
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound("No client with that id.")
    if actor.client_id == client_id:
        raise Conflict("A client cannot revoke itself; ask the network's coordinators.",
                       rule="client_self")
    client.active = False
    client.revoked_at = utcnow()
    journal.record(session, actor, "client.revoked", "client", client_id)
    return client


def reactivate(session: Session, actor: Actor, client_id: str) -> Client:
    """Let a revoked client get tokens again; tokens issued before its revocation stay dead."""
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound("No client with that id.")
    if client.active:
        raise Conflict("The client is active.", rule="client_active")
    if client.institution is not None and not client.institution.active:
        raise Conflict("The client's institution is not active.", rule="institution_inactive")
    client.active = True
    journal.record(session, actor, "client.reactivated", "client", client_id)
    return client


def list_for(session: Session, institution_ids: list[uuid.UUID] | None) -> list[Client]:
    """Clients of the given institutions (None: every client), newest first."""
    query = select(Client).order_by(Client.created_at.desc())
    if institution_ids is not None:
        query = query.where(Client.institution_id.in_(institution_ids))
    return list(session.scalars(query))


def _key_client(session: Session, client_id: str) -> Client:
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound("No client with that id.")
    if client.auth_method is not AuthMethod.PRIVATE_KEY_JWT or not client.active:
        raise InvalidInput("Only an active private_key_jwt client has keys to rotate.",
                           rule="rotate_keys")
    return client


def replace_jwks(session: Session, actor: Actor, client_id: str, jwks: dict) -> Client:
    """Rotate a private_key_jwt client's keys: the new JWK Set replaces the old at once.

    Pasted keys end any ``jwks_uri``: the gateway stops fetching.
    """
    client = _key_client(session, client_id)
    client.jwks = _checked_jwks(jwks, client.allowed_algs)
    client.jwks_uri = client.jwks_fetched_at = client.jwks_refetched_at = None
    session.flush()
    journal.record(session, actor, "client.keys_rotated", "client", client_id,
                   detail={"kids": _kids(client.jwks)})
    return client


def use_jwks_uri(session: Session, actor: Actor, client_id: str, jwks_uri: str,
                 fetch_policy: FetchPolicy) -> Client:
    """Take a client's keys from ``jwks_uri`` (fetched now) instead of what it had."""
    client = _key_client(session, client_id)
    client.jwks = _fetched_jwks(jwks_uri, client.allowed_algs, fetch_policy)
    client.jwks_uri, client.jwks_fetched_at, client.jwks_refetched_at = jwks_uri, utcnow(), None
    session.flush()
    journal.record(session, actor, "client.keys_rotated", "client", client_id,
                   detail={"kids": _kids(client.jwks), "jwks_uri": jwks_uri})
    return client


@dataclass(frozen=True)
class RefetchClaim:
    """The right to refetch one client's keys now: its URL and algorithms at claim time."""

    client_id: str
    jwks_uri: str
    allowed_algs: list[str]


def claim_refetch(session: Session, client_id: str, min_interval: float) -> RefetchClaim | None:
    """Claim a refetch of a URL client's keys, at most one per ``min_interval`` seconds.

    For an assertion naming an unknown ``kid`` (the partner rotated). The claim is a
    conditional UPDATE, so the interval holds across workers and hosts; commit it before
    fetching, so no lock is held over the network and a refused assertion keeps it.
    """
    now = utcnow()
    claimed = session.execute(
        update(Client)
        .where(Client.client_id == client_id, Client.active.is_(True),
               Client.jwks_uri.is_not(None),
               or_(Client.jwks_refetched_at.is_(None),
                   Client.jwks_refetched_at < now - timedelta(seconds=min_interval)))
        .values(jwks_refetched_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return None
    client = session.get(Client, client_id, populate_existing=True)
    return RefetchClaim(client_id, client.jwks_uri, list(client.allowed_algs))


def refetch(claim: RefetchClaim, fetch_policy: FetchPolicy) -> dict | str:
    """Fetch and check the claimed URL's keys: the JWK Set, or why it was refused."""
    try:
        return _fetched_jwks(claim.jwks_uri, claim.allowed_algs, fetch_policy)
    except InvalidInput as exc:
        return exc.detail


def record_refetch(session: Session, actor: Actor, claim: RefetchClaim,
                   outcome: dict | str) -> dict | None:
    """Cache refetched keys (unless the client changed meanwhile) and audit the refetch.

    A failed refetch keeps the cached keys. Returns the keys now cached, or None.
    """
    client = session.get(Client, claim.client_id)
    if client is None or not client.active or client.jwks_uri != claim.jwks_uri:
        return None
    if isinstance(outcome, str):
        journal.record(session, actor, "client.keys_refetch_failed", "client", claim.client_id,
                       detail={"reason": outcome})
        return None
    client.jwks, client.jwks_fetched_at = outcome, utcnow()
    session.flush()
    journal.record(session, actor, "client.keys_refetched", "client", claim.client_id,
                   detail={"kids": _kids(outcome)})
    return outcome


def _spend(session: Session, spent: type[UsedAssertion] | type[UsedDpopProof], client_id: str,
           jti: str, expires_at: datetime) -> bool:
    """Record a ``jti`` in ``spent``; False if it was already there (a replay).

    The unique key (client, jti) in the database makes this hold across workers and hosts: one
    ``INSERT … ON CONFLICT DO NOTHING`` (no savepoint around it, so one round trip instead of
    three) inserts no row when the pair is there, also when a concurrent transaction has just
    inserted it (PostgreSQL waits for that one to commit). Expired rows are cleared by the
    scheduler (:func:`clear_spent`), not on this hot path.
    """
    statement = _spend_statement(spent, session.get_bind().dialect.name)
    return session.connection().execute(statement, {
        "client_id": client_id, "jti": jti, "expires_at": expires_at}).first() is not None


@lru_cache(maxsize=8)
def _spend_statement(spent: type[UsedAssertion] | type[UsedDpopProof], dialect: str) -> Insert:
    """The insert of a spent id into ``spent`` that skips an existing one, built once per table
    and dialect (the values come with each execution)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = spent.__table__
    return insert(table).on_conflict_do_nothing(index_elements=["client_id", "jti"]) \
        .returning(table.c.id)


def clear_spent(session: Session) -> int:
    """Delete the spent assertion and DPoP-proof ids that have expired (a replay of one is
    refused for its expiry alone); how many went."""
    now = utcnow()
    return sum(session.execute(delete(spent).where(spent.expires_at < now)).rowcount
               for spent in (UsedAssertion, UsedDpopProof))


def spend_assertion(session: Session, client_id: str, jti: str, expires_at: datetime) -> bool:
    """Record a client assertion's ``jti``; False if it was already used (a replay)."""
    return _spend(session, UsedAssertion, client_id, jti, expires_at)


def spend_dpop_proof(session: Session, client_id: str, jti: str, expires_at: datetime) -> bool:
    """Record a DPoP proof's ``jti`` for the client; False if it was already used (a replay)."""
    return _spend(session, UsedDpopProof, client_id, jti, expires_at)


def deny_token(session: Session, actor: Actor, jti: str, client_id: str,
               expires_at: datetime) -> None:
    """Put an access token on the deny-list until it expires."""
    if session.get(RevokedToken, jti) is None:
        session.add(RevokedToken(jti=jti, client_id=client_id, expires_at=expires_at))
        journal.record(session, actor, "token.revoked", "token", jti)
        session.flush()
