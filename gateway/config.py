"""Configuration: safe defaults, overridden by ``GATEWAY_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from flask import Flask

MAX_TOKEN_TTL_SECONDS = 300


class DefaultConfig:
    """Defaults for the embedded set-up; every key can be set as ``GATEWAY_<KEY>``."""

    # None means: an SQLite file in the instance folder.
    DATABASE_URL: str | None = None
    # false behind PgBouncer in transaction mode: psycopg then prepares no statement server-side
    DATABASE_PREPARED_STATEMENTS = True
    # a PostgreSQL streaming replica of DATABASE_URL for the reads that are safe slightly stale
    # (the audit log's checkpoint and consistency proofs); None: everything on the primary
    DATABASE_REPLICA_URL: str | None = None
    # None means: ``<instance>/keys``; key material is never kept in git.
    KEY_DIR: str | None = None
    ISSUER = "http://127.0.0.1:8000"
    # None means: ``<ISSUER>/api``, the ``aud`` of every access token.
    API_AUDIENCE: str | None = None
    ACCESS_TOKEN_TTL = 300
    # seconds a process trusts its copy of the deny state (revoked tokens and clients): a
    # revocation takes effect within this time on every worker and host (oauth/revocations.py)
    TOKEN_REVOCATION_POLL_SECONDS = 1.0
    CLIENT_ASSERTION_MAX_LIFETIME = 300
    CLOCK_SKEW_SECONDS = 30
    DPOP_PROOF_MAX_AGE = 120  # seconds a DPoP proof's iat may lie in the past (plus the skew)
    MAX_CONTENT_LENGTH = 256 * 1024
    PAGE_SIZE_MAX = 100
    # Privacy policy (gateway/services/policy.py): the network's country (others receive no
    # personal data), minors rule per region [guardian_only_below, adult_from], break-glass.
    NETWORK_COUNTRY = "CN"
    CONSENT_AGE_RULES: ClassVar[dict] = {"default": [14, 18]}
    BREAKGLASS_ACCESS_HOURS = 4
    BREAKGLASS_REVIEW_HOURS = 72
    BREAKGLASS_DAILY_LIMIT = 3
    # Case rules per region (gateway/services/cases/rules.py): review intervals in days per tier,
    # key periods [name, first day, last day] shortening them by a factor, approved instruments.
    CASE_RULES: ClassVar[dict] = {"default": {
        "review_interval_days": {"crisis": 3, "key": 14, "daily": 30}, "key_period_factor": 0.5,
        "instruments": {"PHQ-9": [0, 27], "GAD-7": [0, 21], "SCL-90": [90, 450]}}}
    ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
    # Delivery worker (``flask deliver``) and scheduler (``flask scheduler``)
    DELIVERY_BATCH = 20
    DELIVERY_TIMEOUT = 10.0
    DELIVERY_LEASE_SECONDS = 300
    DELIVERY_MAX_ATTEMPTS = 8
    DELIVERY_BACKOFF_BASE = 2.0
    DELIVERY_BACKOFF_CAP = 3600.0
    DELIVERY_POLL_INTERVAL = 2.0
    SCHEDULER_INTERVAL = 30.0
    # The demo's commands (``flask demo load``) exist only when true (``make run`` sets it);
    # refused at start-up outside debug (production.py)
    DEMO = False
    # Audit log: checkpoints name the log by its origin (None means: ISSUER's host + "/audit");
    # the scheduler seals every AUDIT_SEAL_INTERVAL seconds; security events per process are
    # rate-limited per kind and source (token bucket)
    AUDIT_ORIGIN: str | None = None
    AUDIT_SEAL_INTERVAL = 5.0
    AUDIT_SEAL_BATCH = 10_000
    SECURITY_EVENTS_BURST = 20
    SECURITY_EVENTS_PER_MINUTE = 10.0
    # outbound HTTP (gateway.net: JWK Sets, delivery): loopback (over http too) only when set
    OUTBOUND_ALLOW_INSECURE_LOOPBACK = False
    OUTBOUND_CA_BUNDLE: str | None = None  # CA file for partners' https; None: default store
    DELIVERY_MAX_RESPONSE_BYTES = 64 * 1024
    JWKS_FETCH_TIMEOUT = 5.0  # partner keys by URL (jwks_uri)
    # Alert e-mail (when no webhook delivers an alert): the SMTP server; None sends no e-mail
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_STARTTLS = False
    MAIL_SENDER = "gateway@localhost"
    MAIL_TIMEOUT = 10.0
    MAIL_MAX_ATTEMPTS = 5
    JWKS_MAX_BYTES = 64 * 1024
    JWKS_REFETCH_MIN_INTERVAL = 300  # seconds between refetches prompted by an unknown kid
    JSON_SORT_KEYS = False
    LOG_JSON = True  # one JSON object a line on stderr, with the request id (gateway/logs.py)
    LOG_LEVEL = "INFO"
    # Rate limits (gateway/ratelimit.py): "N/period" strings of the ``limits`` library; counters
    # in Redis when RATELIMIT_STORAGE_URI is redis://…, else in this process's memory.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # Redis unreachable: count per process meanwhile
    RATE_LIMIT_OAUTH_PER_ADDRESS = "300/minute"
    RATE_LIMIT_OAUTH_PER_CLIENT = "60/minute"
    RATE_LIMIT_CLIENT_AUTH_FAILURES = "30/minute"  # invalid_client answers, per id and per address
    RATE_LIMIT_API_PER_CLIENT = "1200/minute"
    RATE_LIMIT_SIGN_IN_PER_ADDRESS = "30/minute"
    RATE_LIMIT_SIGN_IN_PER_ACCOUNT = "10/minute"
    # reverse proxies in front of the gateway that append X-Forwarded-For and set
    # X-Forwarded-Proto (werkzeug's ProxyFix takes that many hops); 0 trusts no forwarded
    # header, so a client cannot pick the address its rate limits and logs count it under
    TRUSTED_PROXY_HOPS = 0
    # Regions: the name shown for a region's slug and its time zone (others: the default);
    # times in the admin UI and in alert e-mails are shown in it
    REGION_NAMES: ClassVar[dict] = {}
    REGION_TIME_ZONES: ClassVar[dict] = {}
    DEFAULT_TIME_ZONE = "Asia/Shanghai"
    # Partnerships: per region, whether another coordinator must approve a proposal (four
    # eyes; "default" for regions not named), and the longest validity a proposal may ask for
    PARTNERSHIP_FOUR_EYES: ClassVar[dict] = {"default": True}
    PARTNERSHIP_MAX_DAYS = 3 * 366
    # Reports: yearly hours expected of each institution; students per counsellor at most
    # (seed 001: 1:4000; Shanghai's universities 1:3000)
    REPORT_SUPERVISION_HOURS_PER_YEAR = 20.0
    REPORT_TRAINING_HOURS_PER_YEAR = 40.0
    REPORT_STUDENTS_PER_COUNSELLOR = 4000

    # admin UI: signed session cookie (SECRET_KEY defaults to one derived from the keyring)
    SECRET_KEY: str | None = None
    SESSION_COOKIE_NAME = "gw_admin"
    SESSION_COOKIE_PATH = "/admin"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set GATEWAY_SESSION_COOKIE_SECURE=true behind HTTPS
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    WTF_CSRF_CHECK_DEFAULT = False  # checked on admin forms only; APIs use bearer tokens
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    BABEL_DEFAULT_LOCALE = "zh_CN"

    API_TITLE = "Circulation gateway"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"


def load_config(app: Flask, overrides: dict | None) -> None:
    """Layer defaults, environment and ``overrides``; fill derived values; check limits."""
    app.config.from_object(DefaultConfig)
    app.config.from_prefixed_env("GATEWAY")
    if overrides:
        app.config.update(overrides)
    instance = Path(app.instance_path)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'gateway.sqlite3'}"
    replica = app.config["DATABASE_REPLICA_URL"]
    if replica and not replica.startswith("postgresql"):
        raise ValueError("DATABASE_REPLICA_URL must be a PostgreSQL URL (a streaming replica of "
                         "DATABASE_URL)")
    if not app.config["KEY_DIR"]:
        app.config["KEY_DIR"] = str(instance / "keys")
    app.config["ISSUER"] = app.config["ISSUER"].rstrip("/")
    if not app.config["API_AUDIENCE"]:
        app.config["API_AUDIENCE"] = app.config["ISSUER"] + "/api"
    if not app.config["AUDIT_ORIGIN"]:
        app.config["AUDIT_ORIGIN"] = urlsplit(app.config["ISSUER"]).netloc + "/audit"
    ttl = int(app.config["ACCESS_TOKEN_TTL"])
    if not 0 < ttl <= MAX_TOKEN_TTL_SECONDS:
        raise ValueError(f"ACCESS_TOKEN_TTL must be 1..{MAX_TOKEN_TTL_SECONDS} seconds")
    app.config["ACCESS_TOKEN_TTL"] = ttl
    hops = int(app.config["TRUSTED_PROXY_HOPS"])
    if hops < 0:
        raise ValueError("TRUSTED_PROXY_HOPS must be 0 or more")
    app.config["TRUSTED_PROXY_HOPS"] = hops
    from gateway.services.privacy.policy import Policy

    Policy.from_config(app.config)  # fail at start-up, not at the first request
    from gateway.production import refuse_unsafe_settings

    refuse_unsafe_settings(app)
