"""The admin UI in process: sign-in, CSRF, region isolation, actions audited, languages."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from gateway import create_app
from gateway.db import transaction
from gateway.models import (
    AuditEntry,
    Coordinator,
    Institution,
    OutboxMessage,
    OutboxStatus,
    Partnership,
    PartnershipStatus,
    ReferralStatus,
)
from gateway.services import outbox
from tests.admin_support import Account, csrf_token, make_account, post_form, sign_in
from tests.factories.network import institution
from tests.factories.privacy import consent_body
from tests.support import TESTER, bearer, new_key, public_jwks

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _coordinator(app, account) -> Coordinator:
    with transaction(app) as session:
        return session.get(Coordinator, account.id)


def test_pages_need_sign_in(client):
    for page in ("/admin/", "/admin/board", "/admin/institutions", "/admin/audit"):
        response = client.get(page)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/admin/sign-in")


def test_sign_in_sets_a_hardened_session_cookie(client, account):
    response = sign_in(client, account)
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/admin" in cookie
    assert client.get("/admin/board").status_code == 200


def test_wrong_code_counts_and_locks_the_account(app, client, account):
    for _ in range(5):
        response = post_form(client, "/admin/sign-in", "/admin/sign-in", {
            "email": account.email, "password": account.password, "code": "000000"})
        assert "/admin/board" not in response.headers.get("Location", "")
    assert _coordinator(app, account).locked_until is not None
    locked = sign_in(client, account)  # right password and code, but locked
    assert locked.status_code == 200
    assert client.get("/admin/board").status_code == 302
    with transaction(app) as session:
        actions = session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_id == str(account.id))).all()
    assert actions.count("coordinator.sign_in_failed") == 5
    assert "coordinator.sign_in_refused" in actions


def test_wrong_password_is_refused_even_with_the_right_code(client, account):
    account.password = "not the password at all"
    assert sign_in(client, account).status_code == 200
    assert client.get("/admin/board").status_code == 302


def test_a_totp_code_works_once(app, client, account):
    code = account.code()
    assert sign_in(client, account, code).status_code == 302
    other = app.test_client()  # the same code again, from another browser
    assert sign_in(other, account, code).status_code == 200
    assert other.get("/admin/board").status_code == 302


def test_sign_out_ends_the_session_even_for_a_copied_cookie(app, signed_in):
    stolen = signed_in.get_cookie("gw_admin", path="/admin").value
    page = signed_in.get("/admin/board").get_data(as_text=True)
    assert signed_in.post("/admin/sign-out",
                          data={"csrf_token": csrf_token(page)}).status_code == 302
    assert signed_in.get("/admin/board").status_code == 302
    replayer = app.test_client()
    replayer.set_cookie("gw_admin", stolen, path="/admin")
    assert replayer.get("/admin/board").status_code == 302


def test_form_post_without_csrf_token_is_refused(signed_in, row_count):
    before = row_count("institutions")
    response = signed_in.post("/admin/institutions/new", data={
        "name": "Forged", "kind": "university", "region": "r1", "country": "CN"})
    assert response.status_code == 400
    assert row_count("institutions") == before
    forged = signed_in.post("/admin/institutions/new", data={
        "csrf_token": "forged", "name": "Forged", "kind": "university", "region": "r1",
        "country": "CN"})
    assert forged.status_code == 400
    assert row_count("institutions") == before


def test_create_edit_deactivate_institution_audited_as_coordinator(app, signed_in, account):
    response = post_form(signed_in, "/admin/institutions/new", "/admin/institutions/new", {
        "name": "闵行中学", "kind": "middle_school", "region": "r2", "country": "cn"})
    assert response.status_code == 302
    with transaction(app) as session:
        created = session.scalars(select(Institution)).one()
    assert created.region == "r1"  # a coordinator creates in their own region only
    assert created.country == "CN"
    edit = f"/admin/institutions/{created.id}/edit"
    assert post_form(signed_in, edit, edit, {"name": "闵行中学 renamed", "kind": "middle_school",
                                             "region": "r1", "country": "CN"}).status_code == 302
    listing = signed_in.get("/admin/institutions?q=renamed").get_data(as_text=True)
    assert "闵行中学 renamed" in listing
    assert post_form(signed_in, "/admin/institutions",
                     f"/admin/institutions/{created.id}/deactivate", {}).status_code == 302
    with transaction(app) as session:
        assert not session.get(Institution, created.id).active
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.object_id == str(created.id)).order_by(AuditEntry.seq)).all()
    assert [(e.actor, e.action) for e in entries] == [
        (account.label, "institution.registered"), (account.label, "institution.updated"),
        (account.label, "institution.deactivated")]


def test_other_regions_objects_are_not_found(app, signed_in, make_partner):
    mine = institution(app, region="r1", name="Mine")
    theirs = institution(app, region="r2", name="Theirs")
    partner = make_partner("hospital", scopes=["referrals:read"], region="r2")
    other = make_partner("university", region="r2")
    with transaction(app) as session:
        from gateway.models import Exchange
        from gateway.services.network import partnerships
        now = datetime.now(UTC)
        foreign = partnerships.propose(session, TESTER,
                                       institution_ids=(partner.institution_id,
                                                        other.institution_id),
                                       exchanges=[Exchange.REFERRAL], valid_from=now,
                                       valid_until=now + timedelta(days=9)).id
    token = csrf_token(signed_in.get("/admin/institutions").get_data(as_text=True))
    assert signed_in.get(f"/admin/institutions/{theirs.id}/edit").status_code == 404
    assert signed_in.get(f"/admin/institutions/{mine.id}/edit").status_code == 200
    refused = [
        signed_in.post(f"/admin/institutions/{theirs.id}/deactivate", data={"csrf_token": token}),
        signed_in.post(f"/admin/partnerships/{foreign}/approve", data={"csrf_token": token}),
        signed_in.post(f"/admin/clients/{partner.client_id}/revoke", data={"csrf_token": token}),
        signed_in.get(f"/admin/clients/{partner.client_id}/keys"),
    ]
    assert [r.status_code for r in refused] == [404, 404, 404, 404]
    with transaction(app) as session:
        assert session.get(Institution, theirs.id).active
        assert session.get(Partnership, foreign).status is PartnershipStatus.PROPOSED
    for page in ("/admin/institutions", "/admin/partnerships", "/admin/clients"):
        html = signed_in.get(page).get_data(as_text=True)
        assert "Theirs" not in html and partner.client_id not in html
    audit_page = signed_in.get("/admin/audit?action=institution.").get_data(as_text=True)
    assert str(mine.id) in audit_page and str(theirs.id) not in audit_page
    exported = signed_in.get(f"/admin/audit/export.jsonl?object_id={theirs.id}")
    assert exported.get_data(as_text=True) == ""
    # a partnership with a region-B party cannot be proposed through the form either
    response = post_form(signed_in, "/admin/partnerships", "/admin/partnerships", {
        "first": str(mine.id), "second": str(theirs.id), "exchanges": "referral",
        "valid_from": "2026-01-01", "valid_until": "2027-01-01"})
    assert response.status_code == 422
    assert len(signed_in.get("/admin/partnerships").get_data(as_text=True)) > 0


def test_admin_sees_every_region(app, client):
    admin = make_account(app, region=None, role="admin")
    theirs = institution(app, region="r2", name="Theirs")
    assert sign_in(client, admin).status_code == 302
    assert "Theirs" in client.get("/admin/institutions").get_data(as_text=True)
    assert client.get(f"/admin/institutions/{theirs.id}/edit").status_code == 200


def _consent(client, token, recipient_id):
    return client.post("/api/v1/consents", headers=bearer(token),
                       json=consent_body(recipient_id, "stu-042"))


def _refer(client, token, recipient_id):
    return client.post("/api/v1/referrals", headers=bearer(token), json={
        "recipient_institution_id": str(recipient_id), "subject_ref": "stu-042",
        "priority": "green_channel", "reason": "suicide_risk",
        "summary": "Confidential summary text"})


def test_partnership_status_from_the_ui_is_honoured_by_the_api_at_once(
        app, client, signed_in, make_partner, token_for):
    university = make_partner("university")
    hospital = make_partner("hospital", scopes=["referrals:read", "referrals:write"])
    propose = post_form(signed_in, "/admin/partnerships", "/admin/partnerships", {
        "first": str(university.institution_id), "second": str(hospital.institution_id),
        "exchanges": ["referral", "supervision"],
        "valid_from": datetime.now(SHANGHAI).date().isoformat(),
        "valid_until": (datetime.now(SHANGHAI) + timedelta(days=30)).date().isoformat()})
    assert propose.status_code == 302
    with transaction(app) as session:
        partnership_id = session.scalars(select(Partnership.id)).one()
    token = token_for(university)
    assert _consent(client, token, hospital.institution_id).status_code == 201
    assert _refer(client, token, hospital.institution_id).status_code == 403  # only proposed

    def act(action, who=signed_in):
        return post_form(who, "/admin/partnerships",
                         f"/admin/partnerships/{partnership_id}/{action}", {}).status_code

    assert act("approve") == 302  # four eyes: the proposer's approval is refused ...
    assert _refer(client, token, hospital.institution_id).status_code == 403
    colleague = app.test_client()
    assert sign_in(colleague, make_account(app, region="r1")).status_code == 302
    assert act("approve", colleague) == 302  # ... another coordinator's is taken
    assert _refer(client, token, hospital.institution_id).status_code == 201
    assert act("suspend") == 302
    assert _refer(client, token, hospital.institution_id).status_code == 403
    assert act("resume") == 302
    assert act("end") == 302
    assert _refer(client, token, hospital.institution_id).status_code == 403
    assert act("resume") == 409  # ended is final


def test_register_rotate_and_revoke_clients(app, client, signed_in, account):
    mine = institution(app, region="r1", name="Mine", kind="hospital")
    key = new_key("k1")
    registered = post_form(signed_in, "/admin/clients/new", "/admin/clients/new", {
        "institution": str(mine.id), "name": "HIS", "auth_method": "private_key_jwt",
        "scopes": ["referrals:read", "referrals:write"], "algs": ["ES256"],
        "jwks": json.dumps(public_jwks(key))})
    assert registered.status_code == 302  # POST-redirect-GET: a refresh registers nothing
    registered = signed_in.get(registered.headers["Location"])
    client_id = re.search(r'id="client-id">([^<]+)<', registered.get_data(as_text=True)).group(1)
    assert 'id="client-secret"' not in registered.get_data(as_text=True)

    private = key.as_dict(private=True)
    keys_page = f"/admin/clients/{client_id}/keys"
    refused = post_form(signed_in, keys_page, keys_page,
                        {"jwks": json.dumps({"keys": [private]})})
    assert refused.status_code == 422  # private keys are never accepted
    rotated = post_form(signed_in, f"/admin/clients/{client_id}/keys",
                        f"/admin/clients/{client_id}/keys",
                        {"jwks": json.dumps(public_jwks(new_key("k2")))})
    assert rotated.status_code == 302
    assert "k2" in signed_in.get("/admin/clients").get_data(as_text=True)

    with_secret = post_form(signed_in, "/admin/clients/new", "/admin/clients/new", {
        "institution": str(mine.id), "name": "dev", "auth_method": "client_secret_basic",
        "scopes": ["referrals:read"], "algs": ["ES256"], "jwks": ""})
    answer = with_secret.headers["Location"]
    html = signed_in.get(answer).get_data(as_text=True)
    secret = re.search(r'id="client-secret">([^<]+)<', html).group(1)
    dev_id = re.search(r'id="client-id">([^<]+)<', html).group(1)
    again = signed_in.get(answer).get_data(as_text=True)  # reloading shows it no more
    assert secret not in again and 'id="secret-gone"' in again
    assert secret not in signed_in.get("/admin/clients").get_data(as_text=True)
    assert client.post("/oauth/token", auth=(dev_id, secret),
                       data={"grant_type": "client_credentials"}).status_code == 200
    assert post_form(signed_in, "/admin/clients", f"/admin/clients/{dev_id}/revoke",
                     {}).status_code == 302
    assert client.post("/oauth/token", auth=(dev_id, secret),
                       data={"grant_type": "client_credentials"}).status_code == 401
    assert post_form(signed_in, "/admin/clients", f"/admin/clients/{dev_id}/reactivate",
                     {}).status_code == 302
    assert client.post("/oauth/token", auth=(dev_id, secret),
                       data={"grant_type": "client_credentials"}).status_code == 200
    with transaction(app) as session:
        actions = session.scalars(select(AuditEntry.action).where(
            AuditEntry.actor == account.label)).all()
    assert {"client.registered", "client.keys_rotated", "client.revoked",
            "client.reactivated"} <= set(actions)


def test_board_shows_pseudonyms_and_counts_only(app, client, signed_in, make_partner,
                                                token_for, link):
    university = make_partner("university")
    hospital = make_partner("hospital", scopes=["referrals:read", "referrals:write"])
    link(university, hospital, "referral")
    token = token_for(university)
    _consent(client, token, hospital.institution_id)
    referral = _refer(client, token, hospital.institution_id).get_json()
    accepted = _refer(client, token, hospital.institution_id).get_json()
    assert client.post(f"/api/v1/referrals/{accepted['id']}/transitions",
                       json={"status": "accepted"},
                       headers=bearer(token_for(hospital))).status_code == 200
    html = signed_in.get("/admin/board").get_data(as_text=True)
    assert referral["subject_pseudonym"][:16] in html
    assert "stu-042" not in html and "Confidential summary" not in html
    assert re.search(r'data-status="submitted"><a [^>]*><span class="n">1<', html)
    assert re.search(r'data-status="accepted"><a [^>]*><span class="n">1<', html)
    data = json.loads(re.search(r'id="decision-data">(.*?)</script>', html).group(1))
    assert sum(data["series"][0]["data"]) == 1
    # another region's coordinator sees none of it
    other = app.test_client()
    assert sign_in(other, make_account(app, region="r9")).status_code == 302
    assert referral["subject_pseudonym"][:16] not in other.get("/admin/board").get_data(
        as_text=True)


def test_audit_viewer_filters_verifies_and_exports(app, signed_in, account):
    institution(app, region="r1", name="Mine")
    page = signed_in.get("/admin/audit?action=institution.").get_data(as_text=True)
    assert "institution.registered" in page and "coordinator.signed_in" not in page
    verified = post_form(signed_in, "/admin/audit", "/admin/audit/verify", {})
    assert 'id="verify-result"' in verified.get_data(as_text=True)
    assert "ok-box" in verified.get_data(as_text=True)
    exported = signed_in.get(f"/admin/audit/export.jsonl?actor={account.label}")
    assert exported.headers["Content-Disposition"].startswith("attachment")
    lines = [json.loads(line) for line in exported.get_data(as_text=True).splitlines()]
    assert lines and {line["actor"] for line in lines} == {account.label}
    with transaction(app) as session:
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert (last.actor, last.action) == (account.label, "audit.exported")


def test_dead_letters_replay_within_region_only(app, signed_in):
    mine = institution(app, region="r1", name="Mine")
    theirs = institution(app, region="r2", name="Theirs")
    with transaction(app) as session:
        ids = []
        for addressee in (mine, theirs):
            message = outbox.enqueue(session, "referral.created", {"n": 1},
                                     institution_id=addressee.id)
            message.status, message.last_error = OutboxStatus.DEAD, "HTTP 503 from partner"
            ids.append(message.id)
    page = signed_in.get("/admin/delivery").get_data(as_text=True)
    assert "HTTP 503 from partner" in page and str(ids[0]) in page and str(ids[1]) not in page
    assert post_form(signed_in, "/admin/delivery", f"/admin/delivery/{ids[1]}/replay",
                     {}).status_code == 404
    assert post_form(signed_in, "/admin/delivery", f"/admin/delivery/{ids[0]}/replay",
                     {}).status_code == 302
    with transaction(app) as session:
        assert session.get(OutboxMessage, ids[0]).status is OutboxStatus.PENDING
        assert session.get(OutboxMessage, ids[1]).status is OutboxStatus.DEAD


def test_chinese_by_default_english_remembered(client):
    assert "登录" in client.get("/admin/sign-in").get_data(as_text=True)
    page = client.get("/admin/sign-in").get_data(as_text=True)
    switched = client.post("/admin/language", data={
        "csrf_token": csrf_token(page), "language": "en", "next": "//evil.example/x"})
    assert switched.headers["Location"] == "/admin/board"  # no open redirect
    assert "gw_lang=en" in switched.headers["Set-Cookie"]
    html = client.get("/admin/sign-in").get_data(as_text=True)
    assert "Sign in" in html and "登录" not in html and '<html lang="en">' in html


def test_cli_adds_a_coordinator_and_prints_the_totp_uri(app):
    result = app.test_cli_runner().invoke(args=[
        "coordinators", "add", "--email", "Lead@Example.org", "--region", "r1",
        "--password", "twelve chars!!"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "otpauth://totp/" in result.output
    with transaction(app) as session:
        created = session.scalars(select(Coordinator)).one()
    assert created.email == "lead@example.org" and created.password_hash.startswith("$argon2id$")
    assert created.totp_secret in result.output


def test_demo_load_creates_a_coordinator_who_can_sign_in(app, client):
    demo_app = create_app({**app.config, "DEMO": True})
    result = demo_app.test_cli_runner().invoke(args=["demo", "load"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    network = Path(app.instance_path) / "demo" / "network.json"
    demo = json.loads(network.read_text())["coordinator"]
    account = Account(uuid.uuid4(), demo["email"], demo["totp_secret"], demo["password"])
    assert sign_in(client, account).status_code == 302
    assert "Demo University" in client.get("/admin/institutions").get_data(as_text=True)


def test_board_names_every_status_distinctly_in_chinese(signed_in):
    html = signed_in.get("/admin/board").get_data(as_text=True)
    labels = dict(re.findall(
        r'data-status="(\w+)"><a [^>]*><span class="n">\d+</span>\s*([^<]+?)\s*</a></li>', html))
    assert set(labels) == {s.value for s in ReferralStatus}
    assert len(set(labels.values())) == len(labels)
    assert labels["received"] == "已收到" and labels["accepted"] == "已接受"
