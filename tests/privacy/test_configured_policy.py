"""The configured privacy policy is the one every path applies (issue 10, bug 1).

With non-default settings — break-glass access of one hour, a network country other than CN, a
regional age rule — the outbox payload (as the webhook adapter sends it), the FHIR Bundle (as the
FHIR adapter sends it) and the REST read release exactly the same data categories, at every step
of a referral's life.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

import adapters
from adapters import fhir, webhook
from gateway import create_app
from gateway.db import transaction
from gateway.models import BreakGlassRelease, OutboxMessage
from gateway.services.privacy import minimise
from tests.factories.privacy import born_years_ago
from tests.privacy_support import make_scene, personal_keys
from tests.support import bearer

COUNTRY = "HK"
WHY = "Student on the roof edge, guardian unreachable; ambulance called, hospital must prepare."
SCOPES = ["referrals:read", "referrals:write", "referrals:emergency", "consents:read",
          "consents:write"]


@pytest.fixture
def policy_app(app):
    """The gateway on the session database, with every privacy setting away from its default.

    Region r1 treats 16-year-olds as adults (the network default is 18).
    """
    return create_app({**app.config, "NETWORK_COUNTRY": COUNTRY,
                       "BREAKGLASS_ACCESS_HOURS": 1,
                       "CONSENT_AGE_RULES": {"default": [14, 18], "r1": [12, 16]}})


@pytest.fixture
def network(policy_app, make_partner, link):
    """A university and a hospital in region r1 of a network outside CN."""
    client = policy_app.test_client()

    def partner(kind: str, scopes: list[str]):
        return make_partner(kind, scopes=scopes, region="r1", country=COUNTRY)

    def token(partner) -> str:
        response = client.post("/oauth/token", data=partner.token_form())
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    return make_scene(client, partner, token, link, university_scopes=SCOPES)


class Releases:
    """What each path releases about one referral, read after every step."""

    def __init__(self, app, scene, referral_id: str) -> None:
        self.app, self.scene, self.referral_id = app, scene, referral_id
        self.seen: set[uuid.UUID] = set()
        self.tokens = {scene.uni.institution_id: scene.uni_token,
                       scene.hosp.institution_id: scene.hosp_token}

    def _new_messages(self) -> list[OutboxMessage]:
        with transaction(self.app) as session:
            rows = [m for m in session.scalars(select(OutboxMessage).where(
                OutboxMessage.topic.startswith("referral."),
                OutboxMessage.recipient_institution_id.is_not(None))
                .order_by(OutboxMessage.created_at, OutboxMessage.id)) if m.id not in self.seen]
            for row in rows:
                session.expunge(row)
        self.seen.update(m.id for m in rows)
        return rows

    def check(self, step: str) -> int:
        """Compare every message queued since the last check with its addressee's REST read."""
        messages = self._new_messages()
        for message in messages:
            outbound = adapters.Outbound(message.topic, message.idempotency_key,
                                         json.loads(message.payload), message.created_at)
            sent = json.loads(webhook.render(
                outbound, adapters.Endpoint("https://partner.test/hook", webhook.new_secret()),
                message.created_at).body)["data"]
            read = self.scene.client.get(
                f"/api/v1/referrals/{self.referral_id}",
                headers=bearer(self.tokens[message.recipient_institution_id]))
            assert read.status_code == 200, read.get_json()
            rest = read.get_json()
            where = f"{step}: {message.topic}"
            if "referral" not in sent:  # a bare notice carries no personal data at all
                assert not set(sent) & minimise.PERSONAL_FIELDS, where
                assert rest["released_categories"] == [] or \
                    message.recipient_institution_id == self.scene.uni.institution_id, where
                continue
            view = sent["referral"]
            assert view["released_categories"] == rest["released_categories"], where
            assert personal_keys(view) == personal_keys(rest), where
            assert view["access"]["basis"] == rest["access"]["basis"], where
            labels = _bundle_labels(outbound)
            if labels is not None:  # the Bundle's ServiceRequest is labelled with what it holds
                assert labels == _codes(minimise.security_labels(
                    rest["released_categories"])), where
        return len(messages)


def _codes(labels: list[dict]) -> list[str]:
    return [label["code"] for label in labels]


def _bundle_labels(outbound: adapters.Outbound) -> list[str] | None:
    """The security labels of the FHIR Bundle's ServiceRequest (None: the Bundle has none)."""
    document = fhir.document_for(outbound, outbound.created_at)
    for entry in document["entry"]:
        if entry["resource"]["resourceType"] == "ServiceRequest":
            return _codes(entry["resource"].get("meta", {}).get("security", []))
    return None


def _move(scene, referral_id: str, status: str, token: str, **extra) -> None:
    response = scene.client.post(f"/api/v1/referrals/{referral_id}/transitions",
                                 json={"status": status, **extra}, headers=bearer(token))
    assert response.status_code == 200, response.get_json()


def test_consented_referral_releases_the_same_everywhere(policy_app, network):
    """Country HK and region r1's age rule: a 17-year-old consents alone, everywhere."""
    seventeen = born_years_ago(17)
    assert network.consent(["identity", "contact", "clinical_notes"],
                           birth_date=seventeen).status_code == 201
    assert network.consent(["clinical_notes"], purpose="follow_up",
                           birth_date=seventeen).status_code == 201
    created = network.refer(["identity", "contact", "summary"], birth_date=seventeen)
    assert created.status_code == 201, created.get_json()
    referral_id = created.get_json()["id"]
    releases = Releases(policy_app, network, referral_id)
    assert network.read(referral_id).get_json()["released_categories"] == [
        "clinical_notes", "contact", "identity"]
    assert releases.check("submitted") == 1
    _move(network, referral_id, "accepted", network.hosp_token)
    assert releases.check("accepted") == 2  # received on the way
    _move(network, referral_id, "completed", network.hosp_token,
          note="Seen twice; plan agreed with the family.")
    assert releases.check("completed") == 1
    own = network.read(referral_id, token=network.uni_token).get_json()
    assert own["outcome"]["note"]  # the follow-up consent suffices under r1's rule


def test_breakglass_releases_the_same_everywhere_after_its_hour(policy_app, network):
    """Break-glass opens for one hour; two hours on, no path releases anything."""
    created = network.refer(["identity", "contact", "summary", "risk_assessment"],
                            priority="green_channel", emergency_justification=WHY)
    assert created.status_code == 201, created.get_json()
    referral = created.get_json()
    releases = Releases(policy_app, network, referral["id"])
    assert network.read(referral["id"]).get_json()["access"]["basis"] == "breakglass"
    assert releases.check("submitted") == 1
    with transaction(policy_app) as session:
        release = session.get(BreakGlassRelease, uuid.UUID(referral["breakglass_id"]))
        assert release.expires_at - release.created_at == timedelta(hours=1)
        release.created_at -= timedelta(hours=2)  # two hours later
        release.expires_at -= timedelta(hours=2)
    seen = network.read(referral["id"]).get_json()
    assert personal_keys(seen) == set() and seen["access"] == {"basis": "none"}
    _move(network, referral["id"], "received", network.hosp_token)
    assert releases.check("received") == 1
    _move(network, referral["id"], "withdrawn", network.uni_token)
    assert releases.check("withdrawn") == 1
