"""The audit API: the checkpoint as a note, entries with inclusion proofs only for the
institutions that took part, consistency proofs, and a student's access report."""

from __future__ import annotations

import base64

import pytest

from gateway.audit import entries, tlog
from gateway.audit.checkpoint import open_checkpoint
from tests.support import SUBJECT_REF, assert_problem, bearer

SCOPES = ["referrals:read", "referrals:write", "consents:read", "consents:write",
          "audit:read"]


@pytest.fixture
def exchange(make_partner, link, token_for, grant_consent, send_referral, seal):
    """A university referred a student to a hospital; an outsider watches; the log sealed."""
    university = make_partner("university", scopes=SCOPES)
    hospital = make_partner("hospital", scopes=SCOPES)
    outsider = make_partner("hospital", scopes=SCOPES)
    link(university, hospital, "referral")
    tokens = {name: token_for(p) for name, p in
              (("university", university), ("hospital", hospital), ("outsider", outsider))}
    assert grant_consent(tokens["university"], hospital.institution_id).status_code == 201
    referral = send_referral(tokens["university"], hospital.institution_id).get_json()
    size = seal()
    return {"tokens": tokens, "referral": referral, "size": size,
            "university": university, "hospital": hospital}


def _leaf_of(client, token, size, referral_id) -> tuple[int, dict]:
    """Find the referral's creation entry by walking the indices the caller may read."""
    for index in range(size):
        response = client.get(f"/audit/entries/{index}?tree_size={size}", headers=bearer(token))
        if response.status_code == 200 and response.get_json()["entry"]["object_id"] == \
                referral_id:
            return index, response.get_json()
    raise AssertionError("the referral's entry is not readable")


def test_the_checkpoint_is_a_signed_note_as_is(client, exchange, log):
    response = client.get("/audit/checkpoint", headers=bearer(exchange["tokens"]["outsider"]))
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    checkpoint, _ = open_checkpoint(response.get_data(as_text=True), log.verifiers, log.origin)
    assert checkpoint.size == exchange["size"]
    assert client.get("/audit/checkpoint").status_code == 401


def test_an_entry_proves_its_inclusion_for_both_parties_and_is_hidden_from_others(
        client, exchange, log):
    size, referral_id = exchange["size"], exchange["referral"]["id"]
    note = client.get("/audit/checkpoint", headers=bearer(exchange["tokens"]["hospital"]))
    root = open_checkpoint(note.get_data(as_text=True), log.verifiers)[0].root
    for party in ("university", "hospital"):
        index, body = _leaf_of(client, exchange["tokens"][party], size, referral_id)
        leaf = base64.b64decode(body["leaf_hash"])
        assert leaf == entries.leaf_hash(body["entry"])  # the entry is what the leaf hashes
        assert body["leaf_index"] == body["entry"]["leaf_index"] == index
        path = [base64.b64decode(h) for h in body["audit_path"]]
        tlog.verify_inclusion(index, size, leaf, path, root)
    outsider = client.get(f"/audit/entries/{index}?tree_size={size}",
                          headers=bearer(exchange["tokens"]["outsider"]))
    assert_problem(outsider, 404)
    unpublished = client.get(f"/audit/entries/{index}?tree_size={size + 7}",
                             headers=bearer(exchange["tokens"]["hospital"]))
    assert_problem(unpublished, 422)


def test_consistency_proofs_link_published_checkpoints(client, exchange, log, append, seal):
    token = exchange["tokens"]["outsider"]
    first_note = client.get("/audit/checkpoint", headers=bearer(token)).get_data(as_text=True)
    append(3)
    seal()
    second_note = client.get("/audit/checkpoint", headers=bearer(token)).get_data(as_text=True)
    first = open_checkpoint(first_note, log.verifiers)[0]
    second = open_checkpoint(second_note, log.verifiers)[0]
    response = client.get(f"/audit/consistency?first={first.size}&second={second.size}",
                          headers=bearer(token))
    assert response.status_code == 200
    proof = [base64.b64decode(h) for h in response.get_json()["consistency"]]
    tlog.verify_consistency(first.size, second.size, first.root, second.root, proof)
    assert_problem(client.get(f"/audit/consistency?first={second.size}&second={first.size}",
                              headers=bearer(token)), 422)
    assert_problem(client.get("/audit/consistency?first=1&second=x", headers=bearer(token)),
                   422)


def test_the_access_report_lists_every_access_with_its_leaf(client, exchange, seal):
    token = exchange["tokens"]["university"]
    hospital = exchange["tokens"]["hospital"]
    assert client.get(f"/api/v1/referrals/{exchange['referral']['id']}",
                      headers=bearer(hospital)).status_code == 200
    seal()
    response = client.get(f"/audit/access-report?subject_ref={SUBJECT_REF}",
                          headers=bearer(token))
    assert response.status_code == 200
    lines = response.get_json()["entries"]
    actions = [line["action"] for line in lines]
    assert actions[0].startswith("consent.")
    assert any(a.startswith("referral.") for a in actions)
    hospital_id = str(exchange["hospital"].institution_id)
    assert any(line["actor_institution_id"] == hospital_id for line in lines)  # the read
    assert all(isinstance(line["leaf_index"], int) for line in lines)
    assert any(line["consent_id"] for line in lines)
    # another institution's student of the same local reference is another subject
    other = client.get(f"/audit/access-report?subject_ref={SUBJECT_REF}",
                       headers=bearer(exchange["tokens"]["outsider"]))
    assert other.get_json()["entries"] == []
    assert_problem(client.get("/audit/access-report?subject_ref=", headers=bearer(token)), 422)
