"""RFC 9162 Merkle tree hashing and proofs (Certificate Transparency 2.0; 默克尔树).

Leaf hash ``SHA-256(0x00 || d)``, node hash ``SHA-256(0x01 || l || r)``, a tree of n > 1 leaves
split at the largest power of two below n. Inclusion proofs (§2.1.3) and consistency proofs
(§2.1.4) are the RFC's, byte for byte, so any RFC 9162 / RFC 6962 verifier (transparency-dev's
``merkle`` package, a C2SP witness) checks what this module produces.

``pymerkle`` was considered: its roots match but its indices start at 1 and its consistency proof
is not RFC 9162's, so an outsider's standard verifier would reject it. This module is small, and
tested against the RFC 6962 vectors and against brute force.
"""

from __future__ import annotations

import hashlib

EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not hold — 证明不成立."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaf_hashes: list[bytes]) -> bytes:
    """MTH over already-hashed leaves (iterative, so a million leaves need no deep recursion)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    frontier = Frontier()
    for h in leaf_hashes:
        frontier.append(h)
    return frontier.root()


class Frontier:
    """The right edge of a growing tree: the roots of its perfect subtrees, largest first.

    Appending is O(log n) and ``root()`` folds the edge right to left, which is exactly RFC
    9162's split (the left subtree is always the largest power of two). The verifier walks every
    leaf once and reads the root at each checkpoint's size on the way.
    """

    def __init__(self):
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (subtree size, subtree root)

    def append(self, h: bytes) -> None:
        size, node = 1, h
        while self._stack and self._stack[-1][0] == size:
            left_size, left = self._stack.pop()
            node, size = node_hash(left, node), size + left_size
        self._stack.append((size, node))
        self.size += 1

    def state(self) -> list[list]:
        """The edge as JSON ([[subtree size, hex root], …]) so the next checkpoint can go on from it."""
        return [[size, node.hex()] for size, node in self._stack]

    @classmethod
    def from_state(cls, state: list[list]) -> Frontier:
        frontier = cls()
        frontier._stack = [(int(size), bytes.fromhex(node)) for size, node in state]
        frontier.size = sum(size for size, _ in frontier._stack)
        return frontier

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node


def _mth(hashes: list[bytes], lo: int, hi: int) -> bytes:
    if hi - lo == 1:
        return hashes[lo]
    return root(hashes[lo:hi])


def inclusion_proof(index: int, leaf_hashes: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1, leaf level first."""
    n = len(leaf_hashes)
    if not 0 <= index < n:
        raise ProofError(f"leaf {index} is not in a tree of {n}")
    path: list[bytes] = []
    lo, hi, m = 0, n, index
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            path.append(_mth(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            path.append(_mth(leaf_hashes, lo, lo + k))
            lo, m = lo + k, m - k
    return list(reversed(path))


def consistency_proof(old_size: int, leaf_hashes: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) = SUB(m, D[n], true) of RFC 9162 §2.1.4.1."""
    n = len(leaf_hashes)
    if not 0 < old_size <= n:
        raise ProofError(f"no consistency proof from {old_size} to {n}")
    path: list[bytes] = []
    lo, hi, m, complete = 0, n, old_size, True
    while True:
        if m == hi - lo:
            if not complete:
                path.append(_mth(leaf_hashes, lo, hi))
            break
        k = _split(hi - lo)
        if m <= k:
            path.append(_mth(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            path.append(_mth(leaf_hashes, lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    return list(reversed(path))


def _check(h: bytes, what: str) -> None:
    if not isinstance(h, bytes) or len(h) != 32:
        raise ProofError(f"{what} is not a 32-byte hash")


def verify_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], expected_root: bytes) -> None:
    """RFC 9162 §2.1.3.2; raises ProofError unless ``leaf`` (a leaf hash) is at ``index``."""
    _check(leaf, "leaf hash")
    _check(expected_root, "root")
    for p in path:
        _check(p, "proof hash")
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    if r != expected_root:
        raise ProofError("inclusion proof does not lead to the root")


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: list[bytes]) -> None:
    """RFC 9162 §2.1.4.2; raises ProofError unless the old tree is a prefix of the new one."""
    _check(old_root, "old root")
    _check(new_root, "new root")
    for p in path:
        _check(p, "proof hash")
    if old_size > new_size or old_size < 0:
        raise ProofError(f"old size {old_size} is larger than new size {new_size}")
    if old_size == new_size:
        if path or old_root != new_root:
            raise ProofError("equal sizes need an empty proof and equal roots")
        return
    if old_size == 0:
        if path or old_root != EMPTY_ROOT:
            raise ProofError("an empty old tree needs an empty proof")
        return
    if not path:
        raise ProofError("consistency proof is empty")
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself a node of the path
        path = [old_root, *path]
    fn, sn = old_size - 1, new_size - 1
    while fn % 2 == 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn % 2 == 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if fr != old_root:
        raise ProofError("consistency proof does not lead to the old root")
    if sr != new_root:
        raise ProofError("consistency proof does not lead to the new root")
