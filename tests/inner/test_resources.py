"""Shared training resources over HTTP: audience visibility, bilingual search, pagination."""

from __future__ import annotations

import pytest

from tests.support import bearer

RESOURCE_SCOPES = ["resources:read", "resources:write"]


def share(client, token: str, title: str, summary: str = "面向心理委员的培训。", **extra) -> dict:
    """Share a resource over HTTP and return it."""
    body = {"kind": "course", "title": title, "summary": summary, "language": "zh-CN", **extra}
    response = client.post("/api/v1/resources", json=body, headers=bearer(token))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def search(client, token: str, **query) -> dict:
    """Search over HTTP and return the page."""
    response = client.get("/api/v1/resources", query_string=query, headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def network(make_partner, link, token_for):
    """A university sharing with a partner university, middle school and primary school."""
    owner = make_partner("university", scopes=RESOURCE_SCOPES, region="minhang")
    members = {kind: make_partner(kind, scopes=RESOURCE_SCOPES, region="minhang")
               for kind in ("university", "middle_school", "primary_school")}
    partnership_ids = {kind: link(owner, partner, "training_resources")
                       for kind, partner in members.items()}
    tokens = {kind: token_for(partner) for kind, partner in members.items()}
    return owner, token_for(owner), tokens, partnership_ids


def test_audience_decides_who_sees_a_resource(client, network, make_partner, link, token_for):
    owner, owner_token, tokens, partnership_ids = network
    for_universities = share(client, owner_token, "危机干预进阶 高校篇",
                             audience={"institution_kinds": ["university"]})
    for_middle = share(client, owner_token, "危机干预 中学心理委员",
                       audience={"institution_kinds": ["middle_school"]})
    for_all = share(client, owner_token, "危机干预基础")
    one_partnership = share(client, owner_token, "危机干预个案督导",
                            audience={"partnership_ids": [str(partnership_ids["primary_school"])]})
    elsewhere = share(client, owner_token, "危机干预 浦东", audience={"regions": ["pudong"]})
    assert for_universities["audience"]["institution_kinds"] == ["university"]

    seen = {kind: {item["id"] for item in search(client, token, q="危机干预")["items"]}
            for kind, token in tokens.items()}
    assert seen["university"] == {for_universities["id"], for_all["id"]}
    assert seen["middle_school"] == {for_middle["id"], for_all["id"]}
    assert seen["primary_school"] == {for_all["id"], one_partnership["id"]}
    assert elsewhere["id"] not in set().union(*seen.values())
    primary = tokens["primary_school"]
    assert search(client, primary, q="危机干预")["total"] == 2
    assert search(client, primary)["total"] == 2
    hidden = client.get(f"/api/v1/resources/{for_universities['id']}", headers=bearer(primary))
    assert hidden.status_code == 404
    shown = client.get(f"/api/v1/resources/{for_all['id']}", headers=bearer(primary)).get_json()
    assert "audience" not in shown
    assert search(client, owner_token)["total"] == 5

    stranger = make_partner("middle_school", scopes=RESOURCE_SCOPES, region="minhang")
    referral_only = make_partner("middle_school", scopes=RESOURCE_SCOPES, region="minhang")
    link(owner, referral_only, "referral")
    for outsider in (stranger, referral_only):
        page = search(client, token_for(outsider), q="危机干预")
        assert (page["items"], page["total"]) == ([], 0)


def test_search_in_chinese_and_english_with_filters(client, network):
    _owner, owner_token, tokens, _ = network
    crisis = share(client, owner_token, "学生心理危机干预实务", tags=["危机干预", "5·25"])
    english = share(client, owner_token, "Crisis Intervention for Dormitory Officers",
                    summary="Spotting warning signs; when to escalate to the counselling centre.",
                    language="en", kind="recording", tags=["crisis"])
    peer = share(client, owner_token, "朋辈心理辅导", summary="班级心理委员的倾听技巧。")
    token = tokens["middle_school"]

    def ids(**query):
        return [item["id"] for item in search(client, token, **query)["items"]]

    assert ids(q="危机干预") == [crisis["id"]]
    assert ids(q="心理危机") == [crisis["id"]]
    assert ids(q="督导") == []
    assert set(ids(q="委员")) == set(ids(q="心理委员")) == {crisis["id"], peer["id"]}
    assert ids(q="crisis intervention") == [english["id"]]
    assert ids(q="CRISIS") == [english["id"]]
    assert ids(q="escalate dormitory") == [english["id"]]
    assert ids(q="intervention missing-word") == []
    assert ids(q="100%") == [] and ids(q="_") == []
    assert ids(tag="5·25") == [crisis["id"]]
    assert ids(kind="recording") == [english["id"]]
    assert ids(language="en") == [english["id"]]


def test_keyset_pagination_walks_every_visible_resource_once(client, network):
    _owner, owner_token, tokens, _ = network
    created = [share(client, owner_token, f"心理健康讲座 {n}")["id"] for n in range(5)]
    token, walked, cursor = tokens["primary_school"], [], None
    while True:
        query = {"limit": 2, "q": "讲座", **({"cursor": cursor} if cursor else {})}
        page = search(client, token, **query)
        assert page["total"] == 5 and len(page["items"]) <= 2
        walked += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == list(reversed(created))
    bad = client.get("/api/v1/resources?cursor=bm90LWEtY3Vyc29y", headers=bearer(token))
    assert bad.status_code == 422
