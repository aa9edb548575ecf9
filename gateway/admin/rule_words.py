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
    "admin_only": _l("Only an admin manages coordinators."),
    "unchanged": _l("The account is already like that: nothing to change."),
    "period_days": _l("A custom period needs a first and a last day."),
    "period_order": _l("The last day of the period cannot be before the first."),
    "period_length": _l("A period can be at most 366 days long."),
    "client_revoked": _l("This system access has been revoked: it cannot be changed any more."),
    "secret_basic_only": _l("Only a system that signs in with a shared secret has a secret to "
                            "renew."),
    "jwks_uri": _l("The address of the public keys is too long."),
    "network_admin_only": _l("A system that belongs to no institution may only administer the "
                             "network."),
    "algs": _l("Choose signing algorithms from the list offered."),
    "keys_or_uri": _l("Give either the public keys or the address where they are published, "
                      "not both."),
    "basic_no_keys": _l("A system that signs in with a shared secret has no public keys."),
    "client_self": _l("A system cannot revoke its own access; the network's coordinators can."),
    "client_active": _l("This system access is active already."),
    "institution_inactive": _l("The institution of this system is not active: activate the "
                               "institution first."),
    "rotate_keys": _l("Only an active system that signs in with public keys has keys to "
                      "rotate."),
    "campus_channel": _l("A campus's green channel goes to a hospital or a counselling agency."),
    "campus_taken": _l("The institution already has a campus of that name."),
    "campus_other": _l("That campus does not belong to this institution."),
    "partnership_pair": _l("A partnership needs two different institutions."),
    "partnership_exchanges": _l("Choose at least one kind of exchange for the partnership."),
    "partnership_status": _l("The partnership cannot move to that status from the one it has "
                             "now."),
    "one_target": _l("Choose either an institution or a region, not both."),
    "delivery_format": _l("Choose a delivery format from the list offered."),
    "endpoint_url": _l("This delivery address cannot be used: give an https address on the "
                       "internet (no private or local address)."),
    "institution_taken": _l("An institution of that name is already registered in the region."),
    "reviewed": _l("This emergency access has already been reviewed."),
    "review_note": _l("Write a note for the review."),
    "contact_taken": _l("That address is already a contact."),
    "acknowledged": _l("This alert has already been acknowledged."),
    "tree_size": _l("The audit log has not published a tree of that size yet: choose a size "
                    "up to the latest checkpoint."),
    "tree_order": _l("The first size must not be larger than the second."),
    "replay_dead_only": _l("Only a message whose delivery has given up can be sent again."),
}
UNREADABLE_KEYS = _l("The gateway could not read public keys at this address: give the https "
                     "address where the partner publishes them.")


def message(exc: DomainError) -> str:
    """The translated message of the rule ``exc`` names, else its own detail."""
    if isinstance(exc, JwksUnavailable):
        return str(UNREADABLE_KEYS)
    rule = exc.extensions.get("rule")
    return str(RULES[rule]) if rule in RULES else exc.detail
