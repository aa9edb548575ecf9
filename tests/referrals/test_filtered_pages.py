"""A page filtered on personal fields (``risk_level``) filters after the limit: it examines a
bounded window of the box in keyset order, returns the matches in it and a cursor after the
last referral examined, and tells a withheld record from a non-matching one in no way."""

from __future__ import annotations

from gateway.services.referrals.reads import filter_window
from tests.support import bearer

CATEGORIES = ["identity", "clinical_notes", "risk_assessment"]


def _page(scene, token=None, **query) -> dict:
    response = scene.client.get("/api/v1/referrals",
                                query_string={"box": "inbox", "total": "true", **query},
                                headers=bearer(token or scene.hosp_token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _refer(scene, subject: str, level: str) -> str:
    created = scene.refer(["identity", "summary"], subject=subject,
                          risk_assessment={"level": level})
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"]


def _all_pages(scene, **query) -> list[dict]:
    pages, cursor = [], None
    while True:
        page = _page(scene, **query, **({"cursor": cursor} if cursor else {}))
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "pagination does not terminate"


def test_the_window_is_bounded_and_at_least_a_page():
    assert filter_window(1) == 5
    assert filter_window(20) == 100
    assert filter_window(100) == 200  # one consent batch, whatever the page size


def test_a_filtered_page_may_hold_no_match_and_still_go_on(scene):
    assert scene.consent(CATEGORIES, subject="stu-old").status_code == 201
    assert scene.consent(CATEGORIES, subject="stu-new").status_code == 201
    wanted = _refer(scene, "stu-old", "high")  # the oldest: beyond the first window
    for _ in range(filter_window(1)):
        _refer(scene, "stu-new", "low")
    first = _page(scene, risk_level="high", limit=1)
    assert first["items"] == [] and first["next_cursor"] is not None
    assert (first["total"], first["counts_by_priority"]) == (None, None)
    second = _page(scene, risk_level="high", limit=1, cursor=first["next_cursor"])
    assert [item["id"] for item in second["items"]] == [wanted]
    assert second["next_cursor"] is None


def test_paging_a_filter_returns_every_match_once_in_order(scene):
    levels = ["high", "low", "high", "high", "moderate", "low", "low", "high", "high", "low",
              "low", "low", "high"]
    ids = []
    for index, level in enumerate(levels):
        subject = f"stu-{index:02d}"
        assert scene.consent(CATEGORIES, subject=subject).status_code == 201
        ids.append(_refer(scene, subject, level))
    newest_first = [rid for rid, level in reversed(list(zip(ids, levels, strict=True)))
                    if level == "high"]
    pages = _all_pages(scene, risk_level="high", limit=2)
    found = [item["id"] for page in pages for item in page["items"]]
    assert found == newest_first
    assert all(len(page["items"]) <= 2 for page in pages)
    assert all(item["risk_assessment"]["level"] == "high"
               for page in pages for item in page["items"])
    by_deadline = _all_pages(scene, risk_level="high", limit=2, sort="deadline")
    assert sorted(item["id"] for page in by_deadline for item in page["items"]) == \
        sorted(newest_first)


def test_a_withheld_match_is_indistinguishable_from_no_match(scene):
    """Referrals about a student whose consent does not release the risk assessment any
    more: a filter on it pages exactly as a filter nothing matches (same items, same
    cursors), so neither reveals what consent withholds."""
    granted = scene.consent(CATEGORIES, subject="stu-w").get_json()
    assert scene.consent(["identity", "clinical_notes"], subject="stu-w").status_code == 201
    for _ in range(7):
        _refer(scene, "stu-w", "high")
    assert scene.revoke(granted["id"]).status_code == 200  # identity and notes still released
    visible = _page(scene, limit=20)["items"]
    assert len(visible) == 7 and all("risk_assessment" not in item for item in visible)
    withheld = _all_pages(scene, risk_level="high", limit=1)
    nothing = _all_pages(scene, risk_level="imminent", limit=1)
    assert withheld == nothing
    assert [page["items"] for page in withheld] == [[], []]  # windows of 5, then 2
