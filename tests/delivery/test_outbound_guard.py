"""Issue 16, defect 5: delivery endpoints pass the one outbound-HTTP guard (gateway.net) when
configured (422) and at every delivery (a refused address is parked, never contacted)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from adapters.webhook import new_secret
from gateway import net
from gateway.db import transaction
from gateway.delivery.worker import Worker
from gateway.models import DeliveryEndpoint, OutboxMessage, OutboxStatus
from gateway.services import outbox
from tests.support import assert_problem, bearer

STRICT = net.OutboundPolicy()
LOOPBACK = net.OutboundPolicy(allow_insecure_loopback=True)


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "https://169.254.169.254/",
    "https://[fd00::1]/hook", "https://10.0.0.7/hook", "https://192.168.1.1/hook",
    "https://[::ffff:127.0.0.1]/hook", "https://127.0.0.1/hook", "https://localhost/hook",
    "https://0.0.0.0/hook", "https://224.0.0.1/hook", "http://93.184.215.14/hook",
    "ftp://93.184.215.14/", "https://user:pw@93.184.215.14/", "https:///nohost",
    "https://93.184.215.14:99999/",
])
def test_the_guard_refuses_urls_it_may_not_call(url):
    with pytest.raises(net.OutboundRefused):
        net.check_url(url, STRICT)


def test_the_loopback_flag_allows_loopback_only():
    net.check_url("http://127.0.0.1:8100/hook", LOOPBACK)
    net.check_url("https://93.184.215.14/hook", STRICT)
    with pytest.raises(net.OutboundRefused):
        net.check_url("http://10.0.0.7/hook", LOOPBACK)


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/",
                                 "https://10.1.2.3/fhir", "http://hooks.example.org/x"])
def test_configuring_an_endpoint_the_guard_refuses_is_422(app, client, admin_token,
                                                          make_partner, url):
    hospital = make_partner("hospital")
    response = client.put(f"/api/v1/network/delivery/institutions/{hospital.institution_id}"
                          "/endpoint", json={"format": "fhir_r4", "url": url},
                          headers=bearer(admin_token))
    assert assert_problem(response, 422)["field"] == "url"
    with transaction(app) as session:
        assert session.scalar(select(DeliveryEndpoint)) is None


def test_an_endpoint_that_turned_private_is_parked_not_contacted(app, make_partner):
    """A row pointing at a private address (say the host name now resolves there) is refused
    at delivery time too: the message is parked with our words, nothing is sent."""
    hospital = make_partner("hospital")
    with transaction(app) as session:
        session.add(DeliveryEndpoint(institution_id=hospital.institution_id, format="webhook",
                                     url="http://169.254.169.254/latest", secret=new_secret()))
        message_id = outbox.enqueue(session, "referral.accepted", {"event": "x"},
                                    institution_id=hospital.institution_id).id
    assert Worker(app).run_once() == 1
    with transaction(app) as session:
        message = session.get(OutboxMessage, message_id)
        assert message.status is OutboxStatus.DEAD
        assert message.last_error == "endpoint is not a public address"
