"""The circulation gateway: a consent-aware referral and exchange hub for student mental health.

Importing the package imports nothing else: the partner tools in :mod:`gateway.audit` run
where Flask and SQLAlchemy are not installed.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask, Response


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def create_app(config: dict | None = None) -> Flask:
    """Build the app: config, database, keys, OAuth, API blueprints, errors and CLI."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from gateway.config import load_config
    from gateway.jsonbody import JSONProvider
    from gateway.redacted import RedactingFlask
    from gateway.urls import CONVERTERS

    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("GATEWAY_INSTANCE_PATH")
    app = RedactingFlask(__name__, instance_path=instance_path and os.path.abspath(instance_path))
    app.json = JSONProvider(app)
    app.url_map.converters.update(CONVERTERS)
    load_config(app, config)
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:  # the client's address and scheme as the proxies saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    from gateway import cli, db, keystore, logs, problems, ratelimit, security_log
    from gateway.admin import init_admin
    from gateway.api import (
        audit,
        bookings,
        campuses,
        cases,
        consents,
        delivery,
        directory,
        events,
        fhir,
        fhir_directory,  # noqa: F401  (nests its routes in fhir.bp on import)
        fhir_handback,  # noqa: F401  (nests its routes in fhir.bp on import)
        handbacks,
        handovers,
        network,
        referrals,
        reports,
        resources,
        screening,
        slots,
        supervisors,
    )
    from gateway.api.openapi import init_api
    from gateway.api.openapi_paths import document_plain_routes
    from gateway.oauth import routes as oauth_routes
    from gateway.oauth.server import init_oauth

    logs.init_logging(app)
    db.init_db(app)
    security_log.init_security_log(app)
    keystore.init_keys(app)
    init_oauth(app)
    ratelimit.init_ratelimit(app)
    api = init_api(app)
    api.spec.components.security_scheme("oauth2", {
        "type": "oauth2",
        "flows": {"clientCredentials": {
            "tokenUrl": app.config["ISSUER"] + "/oauth/token",
            "scopes": {scope: scope for scope in network.clients.SCOPES},
        }},
    })
    for blueprint in (network.blp, consents.blp, referrals.blp, supervisors.blp, slots.blp,
                      bookings.blp, resources.blp, events.blp, cases.blp, campuses.blp,
                      handovers.blp, handbacks.blp, screening.blp, delivery.blp, directory.blp,
                      audit.blp, reports.blp):
        api.register_blueprint(blueprint)
    app.register_blueprint(oauth_routes.bp)
    app.register_blueprint(fhir.bp)
    document_plain_routes(app, api)
    init_admin(app)
    app.add_url_rule("/healthz", "healthz", lambda: {"status": "ok"})
    problems.init_problems(app)
    app.after_request(_security_headers)
    cli.init_cli(app)
    return app
