"""Plain-word, translated messages for the rules services enforce (their ``rule`` extension);
a service's own English detail is the fallback."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from gateway.services.errors import DomainError, JwksUnavailable

RULES = {
    "emergency_kind": _l("Emergency access can only be given to a school or community centre: "
                         "they are the ones who send green-channel referrals."),
    "emergency_auth_method": _l("Emergency access needs sign-in with public keys "
                                "(private_key_jwt); a shared secret is not enough."),
    "scopes": _l("Choose at least one thing the system may do."),
    "self": _l("You cannot do this to your own account; ask another admin."),
    "region": _l("A coordinator needs a region."),
    "email": _l("Give an e-mail address."),
    "email_taken": _l("Someone with this e-mail already has an account."),
    "password": _l("The password is too short: at least 12 characters."),
    "jwks": _l("These keys cannot be used: give public keys only (no private parts), each with "
               "its own key id and one of the chosen signing algorithms."),
    "four_eyes": _l("Another coordinator must approve a partnership you proposed."),
    "dates": _l("The last day must come after the first day."),
}
UNREADABLE_KEYS = _l("The gateway could not read public keys at this address: give the https "
                     "address where the partner publishes them.")


def message(exc: DomainError) -> str:
    """The translated message of the rule ``exc`` names, else its own detail."""
    if isinstance(exc, JwksUnavailable):
        return str(UNREADABLE_KEYS)
    rule = exc.extensions.get("rule")
    return str(RULES[rule]) if rule in RULES else exc.detail
