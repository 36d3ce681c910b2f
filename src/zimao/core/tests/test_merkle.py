"""RFC 9162 Merkle hashing and proofs: the RFC 6962 vectors, and brute force against the definitions."""

import hashlib

import pytest

from zimao.core import merkle

LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
HASHES = [merkle.leaf_hash(d) for d in LEAVES]


def mth(hashes):
    """MTH straight from the RFC's recursive definition (the oracle)."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return merkle.node_hash(mth(hashes[:k]), mth(hashes[k:]))


@pytest.mark.parametrize("n", range(9))
def test_roots_match_the_rfc6962_vectors(n):
    assert merkle.root(HASHES[:n]).hex() == ROOTS[n]


def test_spot_values_and_known_proofs():
    assert HASHES[5].hex() == "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"
    m = lambda a, b: mth(HASHES[a:b])  # noqa: E731
    assert m(6, 8).hex() == "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"
    assert merkle.inclusion_proof(5, HASHES) == [HASHES[4], m(6, 8), m(0, 4)]
    assert merkle.consistency_proof(6, HASHES) == [m(4, 6), m(6, 8), m(0, 4)]
    assert merkle.consistency_proof(1, HASHES) == [HASHES[1], m(2, 4), m(4, 8)]


def test_every_proof_up_to_40_leaves_verifies_and_tampering_fails():
    hashes = [merkle.leaf_hash(str(i).encode()) for i in range(40)]
    for n in range(1, 41):
        r = merkle.root(hashes[:n])
        assert r == mth(hashes[:n])
        for i in range(n):
            path = merkle.inclusion_proof(i, hashes[:n])
            merkle.verify_inclusion(hashes[i], i, n, path, r)
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion(hashes[(i + 1) % 40], i, n, path, r)
            if path:
                with pytest.raises(merkle.ProofError):
                    merkle.verify_inclusion(hashes[i], i, n, path[:-1], r)
        for m in range(1, n + 1):
            old = merkle.root(hashes[:m])
            proof = merkle.consistency_proof(m, hashes[:n])
            merkle.verify_consistency(m, n, old, r, proof)
            if m < n:
                with pytest.raises(merkle.ProofError):  # a rewritten history is not consistent
                    merkle.verify_consistency(m, n, merkle.leaf_hash(b"forged"), r, proof)
                forged = merkle.root([merkle.leaf_hash(b"x"), *hashes[1:n]])
                with pytest.raises(merkle.ProofError):
                    merkle.verify_consistency(m, n, old, forged, proof)


def test_bad_inputs_are_refused():
    r = merkle.root(HASHES)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(HASHES[0], 8, 8, [], r)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(b"short", 0, 8, [], r)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(8, 4, r, r, [])
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(4, 8, merkle.root(HASHES[:4]), r, [])
    merkle.verify_consistency(0, 8, merkle.EMPTY_ROOT, r, [])
    with pytest.raises(merkle.ProofError):
        merkle.inclusion_proof(3, HASHES[:3])


def test_frontier_gives_the_root_at_every_size():
    f = merkle.Frontier()
    for n, h in enumerate(HASHES, start=1):
        f.append(h)
        assert f.root().hex() == ROOTS[n]


def test_a_frontier_goes_on_from_its_saved_state():
    f = merkle.Frontier()
    for h in HASHES[:5]:
        f.append(h)
    resumed = merkle.Frontier.from_state(f.state())
    for h in HASHES[5:]:
        resumed.append(h)
    assert resumed.size == 8 and resumed.root().hex() == ROOTS[8]
