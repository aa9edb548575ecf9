"""Server-rendered admin UI for regional coordinators, mounted at ``/admin``."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, request
from flask_babel import Babel, get_locale
from flask_wtf.csrf import CSRFProtect

from gateway.keystore import current_keyring

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
               static_folder="static")
csrf = CSRFProtect()
babel = Babel()
LANGUAGES = ("zh_CN", "en")
LANGUAGE_COOKIE = "gw_lang"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def select_locale() -> str:
    """The language the user chose (remembered in a cookie), else Chinese."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in LANGUAGES else LANGUAGES[0]


@bp.context_processor
def _locale() -> dict:
    from gateway.services.coordination import regions

    return {"locale": str(get_locale()),
            "region_name": lambda region: regions.name(current_app.config, region)}


@bp.after_request
def _page_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    return response


def init_admin(app: Flask) -> None:
    """Session secret, CSRF (admin forms only), translations, views and the CLI."""
    from gateway.admin import (  # noqa: F401 - modules register their views on ``bp``
        alerts,
        audit,
        audit_proofs,
        auth,
        board,
        breakglass,
        client_grants,
        clients,
        coordinators,
        delivery,
        errors,
        institutions,
        partnerships,
        recipients,
        reports,
    )
    from gateway.admin.cli import coordinators_cli
    from gateway.admin.local_time import init_local_time

    if not app.config.get("SECRET_KEY"):
        # derived from the keyring, so every worker and host sharing KEY_DIR agrees on it
        with app.app_context():
            app.config["SECRET_KEY"] = current_keyring().pseudonyms.derive(
                "gateway.admin", "session-cookie")
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    init_local_time(app)
    app.cli.add_command(coordinators_cli)
