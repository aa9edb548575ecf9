"""Issue 13: proofs for coordinators. A coordinator reads an entry of their region with its
inclusion proof, and the consistency of two checkpoints, each checked against the signed roots;
times are in the region's zone, labelled; another region's entries are not found."""

from __future__ import annotations

import base64
import html
import re
from datetime import datetime, timedelta

import pytest

from gateway.audit import tlog
from gateway.cli import seal_until_done
from gateway.db import transaction
from gateway.services.audit import journal
from tests.admin_support import make_account, sign_in
from tests.support import TESTER, bearer

SCOPES = ["referrals:read", "referrals:write", "consents:read", "consents:write", "audit:read"]
CODE = re.compile(r"<code>([^<]+)</code>")


@pytest.fixture
def exchange(app, make_partner, link, token_for, grant_consent, send_referral) -> dict:
    """A referral between two institutions of region r1, sealed into the log."""
    school = make_partner("university", scopes=SCOPES)
    hospital = make_partner("hospital", scopes=SCOPES)
    link(school, hospital, "referral")
    token = token_for(hospital)
    assert grant_consent(token_for(school), hospital.institution_id).status_code == 201
    referral = send_referral(token_for(school), hospital.institution_id).get_json()
    size = seal_until_done(app)
    return {"token": token, "referral": referral["id"], "size": size}


def _referral_leaf(client, exchange) -> dict:
    """The referral's creation entry with its proof, as the hospital reads it over the API."""
    for index in range(exchange["size"]):
        response = client.get(f"/audit/entries/{index}?tree_size={exchange['size']}",
                              headers=bearer(exchange["token"]))
        if response.status_code == 200 and \
                response.get_json()["entry"]["object_id"] == exchange["referral"]:
            return response.get_json()
    raise AssertionError("the referral's entry is not readable")


def test_a_coordinator_sees_an_entry_of_the_region_with_its_checked_proof(app, client,
                                                                          exchange):
    proof = _referral_leaf(client, exchange)
    assert sign_in(client, make_account(app, region="r1")).status_code == 302
    page = client.get(f"/admin/audit/proof?index={proof['leaf_index']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert CODE.findall(text) == [proof["leaf_hash"], *proof["audit_path"]]
    assert 'id="proof-result">证明与检查点的根哈希一致。' in text  # zh-CN by default
    recorded = datetime.fromisoformat(proof["entry"]["recorded_at"])
    shanghai = (recorded + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    assert shanghai in text and "UTC+08:00" in text


def test_the_region_time_zone_is_a_setting(app, client, exchange):
    proof = _referral_leaf(client, exchange)
    app.config["REGION_TIME_ZONES"] = {"r1": "Asia/Urumqi"}
    try:
        assert sign_in(client, make_account(app, region="r1")).status_code == 302
        text = client.get(f"/admin/audit/proof?index={proof['leaf_index']}").get_data(
            as_text=True)
    finally:
        app.config["REGION_TIME_ZONES"] = {}
    recorded = datetime.fromisoformat(proof["entry"]["recorded_at"])
    assert (recorded + timedelta(hours=6)).strftime("%Y-%m-%d %H:%M:%S") in text
    assert "UTC+06:00" in text


def test_another_regions_entry_is_not_found(app, client, exchange):
    proof = _referral_leaf(client, exchange)
    assert sign_in(client, make_account(app, region="r2")).status_code == 302
    page = client.get(f"/admin/audit/proof?index={proof['leaf_index']}")
    unknown = client.get(f"/admin/audit/proof?index={exchange['size'] + 5}")
    assert page.status_code == unknown.status_code == 404
    assert proof["leaf_hash"] not in page.get_data(as_text=True)
    assert exchange["referral"] not in page.get_data(as_text=True)


def test_a_network_admin_sees_every_region(app, client, exchange):
    proof = _referral_leaf(client, exchange)
    assert sign_in(client, make_account(app, region=None, role="admin")).status_code == 302
    page = client.get(f"/admin/audit/proof?index={proof['leaf_index']}"
                      f"&tree_size={exchange['size']}")
    assert page.status_code == 200
    assert proof["leaf_hash"] in page.get_data(as_text=True)


def test_consistency_of_two_checkpoints_is_shown_and_checked(app, client, exchange):
    for number in range(3):
        with transaction(app) as session:
            journal.record(session, TESTER, "test.event", "thing", number)
    second = seal_until_done(app)
    first = exchange["size"]
    api = client.get(f"/audit/consistency?first={first}&second={second}",
                     headers=bearer(exchange["token"])).get_json()["consistency"]
    assert sign_in(client, make_account(app, region="r1")).status_code == 302
    page = client.get(f"/admin/audit/consistency?first={first}&second={second}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert CODE.findall(text) == api
    roots = [base64.b64decode(line.split("\n")[2]) for line in
             re.findall(r"<pre>([^<]+)</pre>", html.unescape(text))]
    tlog.verify_consistency(first, second, *roots, [base64.b64decode(h) for h in api])
    assert "UTC+08:00" in text
    refused = client.get(f"/admin/audit/consistency?first={second}&second={first}")
    assert refused.status_code == 422


def test_bad_numbers_are_refused_on_the_form(app, client):
    assert sign_in(client, make_account(app, region="r1")).status_code == 302
    assert client.get("/admin/audit/proof?index=-1").status_code == 422
    assert client.get("/admin/audit/proof?index=x").status_code == 422
    assert client.get("/admin/audit/proof").status_code == 200
