"""RFC 9162 hashing and proofs: the RFC 6962 reference vectors, then random trees checked
against a straightforward recomputation written here."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.audit import tlog

LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f")]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (0, 1, []),
]
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]


# --- an independent, naive Merkle tree: recursion straight from the RFC's definitions ------

def naive_mth(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) by the definition."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(leaves[:k]) + naive_mth(leaves[k:])).digest()


def naive_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) by the definition."""
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return [*naive_path(m, leaves[:k]), naive_mth(leaves[k:])]
    return [*naive_path(m - k, leaves[k:]), naive_mth(leaves[:k])]


def naive_subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) by the definition."""
    if m == len(leaves):
        return [] if complete else [naive_mth(leaves)]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m <= k:
        return [*naive_subproof(m, leaves[:k], complete), naive_mth(leaves[k:])]
    return [*naive_subproof(m - k, leaves[k:], False), naive_mth(leaves[:k])]


class StoredTree:
    """The tree as the gateway stores it: complete-subtree hashes at (level, index)."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        for index, leaf in enumerate(leaves):
            for level, i, digest in tlog.stored_hashes_for_leaf(
                    index, tlog.hash_leaf(leaf), self.hash_at):
                self.nodes[(level, i)] = digest

    def hash_at(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]


# --- the reference vectors ---------------------------------------------------------------

def test_roots_match_the_reference_vectors():
    tree = StoredTree(LEAVES)
    compact = tlog.CompactRange()
    assert tlog.tree_hash(0, tree.hash_at).hex() == hashlib.sha256(b"").hexdigest()
    for size, expected in enumerate(ROOTS, start=1):
        compact.append(tlog.hash_leaf(LEAVES[size - 1]))
        assert tlog.tree_hash(size, tree.hash_at).hex() == expected
        assert compact.root().hex() == expected


@pytest.mark.parametrize(("index", "size", "expected"), INCLUSION)
def test_inclusion_proofs_match_the_reference_vectors(index, size, expected):
    tree = StoredTree(LEAVES)
    proof = tlog.inclusion_proof(index, size, tree.hash_at)
    assert [p.hex() for p in proof] == expected
    tlog.verify_inclusion(index, size, tlog.hash_leaf(LEAVES[index]), proof,
                          bytes.fromhex(ROOTS[size - 1]))


@pytest.mark.parametrize(("first", "second", "expected"), CONSISTENCY)
def test_consistency_proofs_match_the_reference_vectors(first, second, expected):
    tree = StoredTree(LEAVES)
    proof = tlog.consistency_proof(first, second, tree.hash_at)
    assert [p.hex() for p in proof] == expected
    tlog.verify_consistency(first, second, bytes.fromhex(ROOTS[first - 1]),
                            bytes.fromhex(ROOTS[second - 1]), proof)


def test_a_tampered_proof_or_root_is_rejected():
    tree = StoredTree(LEAVES)
    proof = tlog.consistency_proof(6, 8, tree.hash_at)
    roots = [bytes.fromhex(r) for r in ROOTS]
    with pytest.raises(tlog.ProofError):
        tlog.verify_consistency(6, 8, roots[4], roots[7], proof)
    with pytest.raises(tlog.ProofError):
        tlog.verify_consistency(6, 8, roots[5], roots[7], proof[:-1])
    with pytest.raises(tlog.ProofError):
        tlog.verify_inclusion(5, 8, tlog.hash_leaf(b"other"),
                              tlog.inclusion_proof(5, 8, tree.hash_at), roots[7])


# --- random trees against the naive recomputation ----------------------------------------

@settings(max_examples=150, deadline=None)
@given(st.data(), st.lists(st.binary(max_size=8), min_size=1, max_size=70))
def test_random_proofs_agree_with_the_naive_tree(data, leaves):
    tree = StoredTree(leaves)
    size = data.draw(st.integers(1, len(leaves)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    first = data.draw(st.integers(1, size), label="first")
    root = naive_mth(leaves[:size])
    assert tlog.tree_hash(size, tree.hash_at) == root

    path = tlog.inclusion_proof(index, size, tree.hash_at)
    assert path == naive_path(index, leaves[:size])
    tlog.verify_inclusion(index, size, tlog.hash_leaf(leaves[index]), path, root)

    proof = tlog.consistency_proof(first, size, tree.hash_at)
    assert proof == ([] if first == size else naive_subproof(first, leaves[:size], True))
    tlog.verify_consistency(first, size, naive_mth(leaves[:first]), root, proof)
    if first < size:
        forged = naive_mth([*leaves[:first - 1], b"forged"])
        with pytest.raises(tlog.ProofError):
            tlog.verify_consistency(first, size, forged, root, proof)
