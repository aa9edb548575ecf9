"""Merkle tree hashing and proofs as in RFC 9162 §2.1 (the hashing of RFC 6962).

Hashes of complete subtrees are addressed like Go's ``sumdb/tlog``: the node at
``(level, index)`` covers leaves ``[index * 2**level, (index + 1) * 2**level)``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

HashAt = Callable[[int, int], bytes]
"""Reads the stored hash of the complete subtree at ``(level, index)``."""


class ProofError(ValueError):
    """A proof does not verify, or was asked for sizes that do not exist."""


def hash_leaf(entry: bytes) -> bytes:
    """MTH of one entry: SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """An interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n`` > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def stored_hashes_for_leaf(index: int, leaf: bytes,
                           hash_at: HashAt) -> list[tuple[int, int, bytes]]:
    """The complete-subtree hashes that appending leaf ``index`` creates, ``(level, i, hash)``.

    ``hash_at`` must already answer for the left siblings (earlier leaves).
    """
    created = [(0, index, leaf)]
    level, node = 0, leaf
    while index & 1:
        node = hash_children(hash_at(level, index - 1), node)
        level, index = level + 1, index >> 1
        created.append((level, index, node))
    return created


def subtree_hash(start: int, end: int, hash_at: HashAt) -> bytes:
    """MTH(D[start:end]) for a range the RFC's recursion produces (``start`` aligned)."""
    size = end - start
    if size & (size - 1) == 0:
        level = size.bit_length() - 1
        return hash_at(level, start >> level)
    k = split_point(size)
    return hash_children(subtree_hash(start, start + k, hash_at),
                         subtree_hash(start + k, end, hash_at))


def tree_hash(size: int, hash_at: HashAt) -> bytes:
    """The root hash of the tree of the first ``size`` leaves."""
    return EMPTY_ROOT if size == 0 else subtree_hash(0, size, hash_at)


def inclusion_proof(index: int, size: int, hash_at: HashAt) -> list[bytes]:
    """PATH(m, D[0:n]) of RFC 9162 §2.1.3.1, leaf-most hash first."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    return _path(index, 0, size, hash_at)


def _path(m: int, start: int, end: int, hash_at: HashAt) -> list[bytes]:
    size = end - start
    if size == 1:
        return []
    k = split_point(size)
    if m < k:
        return [*_path(m, start, start + k, hash_at), subtree_hash(start + k, end, hash_at)]
    return [*_path(m - k, start + k, end, hash_at), subtree_hash(start, start + k, hash_at)]


def consistency_proof(first: int, second: int, hash_at: HashAt) -> list[bytes]:
    """PROOF(m, D[0:n]) of RFC 9162 §2.1.4.1."""
    if not 0 <= first <= second:
        raise ProofError(f"no consistency proof from size {first} to {second}")
    if first in (0, second):
        return []
    return _subproof(first, 0, second, True, hash_at)


def _subproof(m: int, start: int, end: int, complete: bool, hash_at: HashAt) -> list[bytes]:
    size = end - start
    if m == size:
        return [] if complete else [subtree_hash(start, end, hash_at)]
    k = split_point(size)
    if m <= k:
        return [*_subproof(m, start, start + k, complete, hash_at),
                subtree_hash(start + k, end, hash_at)]
    return [*_subproof(m - k, start + k, end, False, hash_at),
            subtree_hash(start, start + k, hash_at)]


def root_from_inclusion_proof(index: int, size: int, leaf: bytes,
                              proof: Iterable[bytes]) -> bytes:
    """The root that ``proof`` implies for ``leaf`` at ``index`` (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = hash_children(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hash_children(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes],
                     root: bytes) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows ``leaf`` at ``index`` under ``root``."""
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise ProofError("inclusion proof does not lead to the root")


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       proof: list[bytes]) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows tree ``first`` is a prefix of ``second``
    (RFC 9162 §2.1.4.2)."""
    if not 0 <= first <= second:
        raise ProofError(f"size {first} cannot precede size {second}")
    if first == second:
        if proof or first_root != second_root:
            raise ProofError("equal sizes need an empty proof and equal roots")
        return
    if first == 0:
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = hash_children(c, fr), hash_children(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = hash_children(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if fr != first_root or sr != second_root:
        raise ProofError("consistency proof does not lead to both roots")


class CompactRange:
    """The roots of the complete subtrees of a growing tree: append in O(log n), root any time.

    Used where the whole tree is rebuilt from its leaves (the offline verifier, the bench).
    """

    def __init__(self) -> None:
        self.size = 0
        self._peaks: list[bytes] = []

    def append(self, leaf: bytes) -> None:
        """Add the next leaf hash."""
        node, index = leaf, self.size
        while index & 1:
            node = hash_children(self._peaks.pop(), node)
            index >>= 1
        self._peaks.append(node)
        self.size += 1

    def root(self) -> bytes:
        """The tree hash of the leaves appended so far."""
        if not self._peaks:
            return EMPTY_ROOT
        node = self._peaks[-1]
        for peak in reversed(self._peaks[:-1]):
            node = hash_children(peak, node)
        return node
