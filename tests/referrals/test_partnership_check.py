"""A referral goes only within an active partnership that allows referrals (checked on the
institutions and partnerships a create loads together)."""

from __future__ import annotations

import pytest

from gateway.db import transaction
from gateway.models import PartnershipStatus
from gateway.services.network import partnerships
from tests.privacy_support import make_scene
from tests.support import TESTER


def _set_status(app, partnership_id, status: PartnershipStatus) -> None:
    with transaction(app) as session:
        partnerships.change_status(session, TESTER, partnership_id, status)


@pytest.mark.parametrize("status", [PartnershipStatus.SUSPENDED, PartnershipStatus.ENDED])
def test_a_partnership_no_longer_active_allows_no_referral(app, client, make_partner, token_for,
                                                           link, status):
    scene = make_scene(client, make_partner, token_for, link)
    assert scene.consent().status_code == 201
    assert scene.refer().status_code == 201
    _set_status(app, _partnership_id(app, scene), status)
    refused = scene.refer()
    assert refused.status_code == 403
    assert refused.get_json()["missing_partnership"] == {"exchange": "referral"}


def test_a_partnership_for_other_exchanges_allows_no_referral(app, client, make_partner,
                                                              token_for, link):
    scene = make_scene(client, make_partner, token_for, link, exchanges=("supervision",))
    assert scene.consent().status_code == 201
    refused = scene.refer()
    assert refused.status_code == 403
    assert refused.get_json()["missing_partnership"] == {"exchange": "referral"}


def test_one_active_partnership_among_others_allows_the_referral(app, client, make_partner,
                                                                 token_for, link):
    scene = make_scene(client, make_partner, token_for, link, exchanges=("supervision",))
    _set_status(app, _partnership_id(app, scene), PartnershipStatus.SUSPENDED)
    link(scene.uni, scene.hosp, "supervision")
    link(scene.uni, scene.hosp, "referral")
    assert scene.consent().status_code == 201
    assert scene.refer().status_code == 201


def _partnership_id(app, scene):
    with transaction(app) as session:
        (partnership,) = partnerships.list_for(session, scene.uni.institution_id)
        return partnership.id
