"""Every routine task in the UI: a recipient's SLA and push endpoint (secret shown once),
coordinators for admins, a system's scopes and a new shared secret, the emergency-grant rule
in plain words."""

from __future__ import annotations

import base64
import json
import re

import pyotp
from sqlalchemy import select

from gateway.db import transaction
from gateway.models import (
    AuditEntry,
    AuthMethod,
    Client,
    Coordinator,
    DeliveryEndpoint,
    InstitutionKind,
    SlaPolicy,
)
from gateway.services.network import clients, institutions
from tests.admin_support import make_account, post_form, sign_in
from tests.support import TESTER


def _actions(app, object_id) -> list[str]:
    with transaction(app) as session:
        return list(session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_id == str(object_id)).order_by(AuditEntry.seq)))


def _secret_client(app, kind: str = "university") -> tuple[str, str]:
    with transaction(app) as session:
        institution = institutions.register(session, TESTER, name=f"{kind} 密钥校", region="r1",
                                            kind=InstitutionKind(kind), country="CN")
        made = clients.register(session, TESTER, name="dev system", institution_id=institution.id,
                                auth_method=AuthMethod.CLIENT_SECRET_BASIC,
                                scopes=["referrals:read"])
        return made.client.client_id, made.client_secret


def test_sla_and_on_call_contact_are_saved_and_audited(app, signed_in, make_partner):
    partner = make_partner("hospital")
    page = f"/admin/institutions/{partner.institution_id}/delivery"
    assert "15" in signed_in.get(page).get_data(as_text=True)  # the default is shown
    saved = post_form(signed_in, page, f"/admin/institutions/{partner.institution_id}/sla", {
        "sla-receipt_minutes": "10", "sla-decision_minutes": "90",
        "sla-on_call_contact": "王医生 021-5555"})
    assert saved.status_code == 302
    assert 'id="flash"' in signed_in.get(saved.headers["Location"]).get_data(as_text=True)
    with transaction(app) as session:
        policy = session.get(SlaPolicy, partner.institution_id)
        assert (policy.receipt_minutes, policy.decision_minutes) == (10, 90)
        assert policy.on_call_contact == "王医生 021-5555"
    assert _actions(app, partner.institution_id)[-1] == "sla.policy_set"


def test_a_decision_due_before_the_receipt_is_refused_in_plain_words(signed_in, make_partner):
    partner = make_partner("hospital")
    page = f"/admin/institutions/{partner.institution_id}/delivery"
    refused = post_form(signed_in, page, f"/admin/institutions/{partner.institution_id}/sla", {
        "sla-receipt_minutes": "30", "sla-decision_minutes": "20"})
    assert refused.status_code == 422
    assert "决定时限不能早于接收时限" in refused.get_data(as_text=True)


def test_the_endpoint_secret_is_shown_once(app, signed_in, make_partner):
    partner = make_partner("hospital")
    page = f"/admin/institutions/{partner.institution_id}/delivery"
    saved = post_form(signed_in, page, f"/admin/institutions/{partner.institution_id}/endpoint",
                      {"endpoint-format": "webhook", "endpoint-url": "http://127.0.0.1:9/in"})
    assert saved.status_code == 302
    shown = signed_in.get(saved.headers["Location"]).get_data(as_text=True)
    with transaction(app) as session:
        endpoint = session.scalars(select(DeliveryEndpoint).where(
            DeliveryEndpoint.institution_id == partner.institution_id)).one()
        assert endpoint.secret in shown and endpoint.url == "http://127.0.0.1:9/in"
        secret = endpoint.secret
    again = signed_in.get(saved.headers["Location"]).get_data(as_text=True)
    assert secret not in again and 'id="secret-gone"' in again
    assert secret not in signed_in.get(page).get_data(as_text=True)


def test_an_endpoint_the_gateway_may_not_call_is_refused_in_plain_words(signed_in,
                                                                         make_partner):
    partner = make_partner("hospital")
    page = f"/admin/institutions/{partner.institution_id}/delivery"
    refused = post_form(signed_in, page,
                        f"/admin/institutions/{partner.institution_id}/endpoint",
                        {"endpoint-format": "webhook", "endpoint-url": "http://10.1.2.3/in"})
    assert refused.status_code == 422
    assert "网关不能向这个地址发送" in refused.get_data(as_text=True)


def test_scopes_are_edited_and_the_emergency_rule_speaks_plain_words(app, signed_in,
                                                                      make_partner):
    hospital = make_partner("hospital")
    page = f"/admin/clients/{hospital.client_id}/scopes"
    form = signed_in.get(page).get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="referrals:read"', form)
    assert not re.search(r'<input checked[^>]*value="reports:read"', form)
    refused = post_form(signed_in, page, page, {"scopes": ["referrals:read",
                                                           "referrals:emergency"]})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "学校或社区中心" in body
    assert "referrals:emergency is only" not in body
    saved = post_form(signed_in, page, page, {"scopes": ["referrals:read", "reports:read"]})
    assert saved.status_code == 302
    with transaction(app) as session:
        assert session.get(Client, hospital.client_id).allowed_scopes == ["referrals:read",
                                                                         "reports:read"]
    assert _actions(app, hospital.client_id)[-1] == "client.scopes_changed"


def test_emergency_needs_private_key_jwt_also_at_registration(app, signed_in):
    client_id, _secret = _secret_client(app, "middle_school")
    page = f"/admin/clients/{client_id}/scopes"
    refused = post_form(signed_in, page, page, {"scopes": ["referrals:emergency"]})
    assert refused.status_code == 422 and "公钥" in refused.get_data(as_text=True)
    with transaction(app) as session:
        school = session.get(Client, client_id).institution_id
    form = post_form(signed_in, "/admin/clients/new", "/admin/clients/new", {
        "institution": str(school), "name": "HIS", "auth_method": "client_secret_basic",
        "scopes": ["referrals:emergency"], "algs": ["ES256"]})
    assert form.status_code == 422 and "公钥" in form.get_data(as_text=True)


def test_a_new_shared_secret_is_asked_first_shown_once_and_the_old_one_stops(app, client,
                                                                             signed_in):
    client_id, old = _secret_client(app)
    url = f"/admin/clients/{client_id}/secret"
    assert "确定" in signed_in.get(url).get_data(as_text=True)
    done = post_form(signed_in, url, url, {})
    assert done.status_code == 302
    shown = signed_in.get(done.headers["Location"]).get_data(as_text=True)
    new = shown.split('id="client-secret">')[1].split("<")[0]
    assert new and new != old
    assert new not in signed_in.get(done.headers["Location"]).get_data(as_text=True)

    def token(secret: str) -> int:
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        return client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           headers={"Authorization": f"Basic {basic}"}).status_code
    assert token(old) == 401 and token(new) == 200
    assert _actions(app, client_id)[-1] == "client.secret_rotated"


def test_coordinators_are_for_admins_only(signed_in):
    assert signed_in.get("/admin/coordinators").status_code == 404
    assert "/admin/coordinators" not in signed_in.get("/admin/board").get_data(as_text=True)


def test_an_admin_adds_changes_resets_and_deactivates_a_coordinator(app, client):
    admin = make_account(app, region=None, role="admin")
    assert sign_in(client, admin).status_code == 302
    added = post_form(client, "/admin/coordinators/new", "/admin/coordinators/new", {
        "email": "New.Person@example.org", "role": "coordinator", "region": "r1"})
    assert added.status_code == 302
    shown = client.get(added.headers["Location"]).get_data(as_text=True)
    password = shown.split('id="first-password">')[1].split("<")[0]
    secret = shown.split('id="totp-secret">')[1].split("<")[0]
    assert password not in client.get(added.headers["Location"]).get_data(as_text=True)
    with transaction(app) as session:
        person = session.scalars(select(Coordinator).where(
            Coordinator.email == "new.person@example.org")).one()
        person_id = person.id
    # the new account signs in with what was shown
    with app.test_client() as other:
        response = post_form(other, "/admin/sign-in", "/admin/sign-in", {
            "email": "new.person@example.org", "password": password,
            "code": pyotp.TOTP(secret).now()})
        assert response.status_code == 302
    changed = post_form(client, f"/admin/coordinators/{person_id}/role",
                        f"/admin/coordinators/{person_id}/role", {"role": "coordinator",
                                                                  "region": ""})
    assert changed.status_code == 422 and "需要一个区域" in changed.get_data(as_text=True)
    changed = post_form(client, f"/admin/coordinators/{person_id}/role",
                        f"/admin/coordinators/{person_id}/role", {"role": "admin",
                                                                  "region": ""})
    assert changed.status_code == 302
    reset = post_form(client, f"/admin/coordinators/{person_id}/totp",
                      f"/admin/coordinators/{person_id}/totp", {})
    fresh = client.get(reset.headers["Location"]).get_data(as_text=True)
    assert 'id="totp-secret"' in fresh and secret not in fresh
    gone = post_form(client, f"/admin/coordinators/{person_id}/deactivate",
                     f"/admin/coordinators/{person_id}/deactivate", {})
    assert gone.status_code == 302
    with transaction(app) as session:
        person = session.get(Coordinator, person_id)
        assert not person.active and person.role.value == "admin" and person.totp_secret != secret
    actions = _actions(app, person_id)
    assert actions[-3:] == ["coordinator.role_changed", "coordinator.totp_reset",
                            "coordinator.deactivated"]


def test_an_admin_cannot_deactivate_themselves(app, client):
    admin = make_account(app, region=None, role="admin")
    assert sign_in(client, admin).status_code == 302
    refused = post_form(client, "/admin/coordinators",
                        f"/admin/coordinators/{admin.id}/deactivate", {})
    assert refused.status_code == 409 and "另一位管理员" in refused.get_data(as_text=True)


def test_the_region_escalation_endpoint_is_set_with_its_secret_once(app, signed_in):
    page = "/admin/regions/r1/delivery"
    assert 'id="region-endpoint"' in signed_in.get("/admin/delivery").get_data(as_text=True)
    saved = post_form(signed_in, page, page, {"endpoint-format": "webhook",
                                              "endpoint-url": "http://127.0.0.1:9/coord"})
    assert saved.status_code == 302
    shown = signed_in.get(saved.headers["Location"]).get_data(as_text=True)
    with transaction(app) as session:
        endpoint = session.scalars(select(DeliveryEndpoint).where(
            DeliveryEndpoint.region == "r1")).one()
        assert endpoint.secret in shown
        secret = endpoint.secret
    assert secret not in signed_in.get(saved.headers["Location"]).get_data(as_text=True)
    assert _actions(app, endpoint.id)[-1] == "delivery.endpoint_set"


def test_another_region_s_endpoint_is_not_found(signed_in):
    assert signed_in.get("/admin/regions/r2/delivery").status_code == 404


def test_unusable_keys_are_refused_in_plain_words(signed_in, make_partner):
    school = make_partner("middle_school")
    private = {"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256",
                         "x": "AA", "y": "AA", "d": "AA"}]}
    page = f"/admin/clients/{school.client_id}/keys"
    refused = post_form(signed_in, page, page, {"jwks": json.dumps(private)})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "只能提供公钥" in body
    assert "jwks must hold" not in body
