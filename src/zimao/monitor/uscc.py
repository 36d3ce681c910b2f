"""Demo USCCs — 统一社会信用代码 (GB 32100-2015) for the demo's key enterprises.

The registry app will own identifiers (``core.identifiers.issue_uscc``); until then the demo
needs codes that *validate* but can never be mistaken for a real company's. Every code made here
is marked ``uscc_is_demo`` on the enterprise row and shown as "演示代码 demo code".

Layout: 1 registration authority (9 = market regulator) · 1 entity type (1 = enterprise) ·
6 division (the demo zone's, 410300) · 9 organisation code (GB 11714: 8 body + 1 check) · 1 check.
"""

from __future__ import annotations

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
_VALUE = {c: i for i, c in enumerate(CHARSET)}
_WEIGHTS_32100 = [pow(3, i, 31) for i in range(17)]  # 3^(i-1) mod 31 for positions 1..17
_WEIGHTS_11714 = [3, 7, 9, 10, 5, 8, 4, 2]

DEMO_PREFIX = "91410300MA"  # 9 market regulator, 1 enterprise, 410300 (demo zone), "MA" body start


def org_code_check(body: str) -> str:
    """GB 11714 check character for an 8-character organisation-code body.

    Letters count as their alphabet position + 9 (A=10 … Z=35); c = 11 − (Σ mod 11),
    10 → "X", 11 → "0".
    """
    if len(body) != 8:
        raise ValueError("organisation-code body must be 8 characters")
    total = 0
    for ch, w in zip(body, _WEIGHTS_11714, strict=False):
        if ch.isdigit():
            v = int(ch)
        elif "A" <= ch <= "Z":
            v = ord(ch) - ord("A") + 10
        else:
            raise ValueError(f"invalid organisation-code character {ch!r}")
        total += v * w
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def uscc_check(first17: str) -> str:
    """GB 32100 check character: C18 = (31 − Σ(value × 3^(i−1) mod 31) mod 31) mod 31."""
    if len(first17) != 17:
        raise ValueError("need the first 17 characters")
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS_32100, strict=False))
    return CHARSET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """Both check characters right (position 18 and the organisation code's position 17)."""
    code = (code or "").strip().upper()
    if len(code) != 18 or any(c not in _VALUE for c in code):
        return False
    try:
        org_ok = org_code_check(code[8:16]) == code[16]
    except ValueError:
        return False
    return org_ok and uscc_check(code[:17]) == code[17]


def demo_uscc(counter: int, prefix: str = DEMO_PREFIX) -> str:
    """A valid USCC ``prefix`` + counter digits, for demo enterprises only (never a real one's).

    The organisation-code body is positions 9–16: "MA" from the prefix plus six counter digits.
    """
    digits = 16 - len(prefix)
    if not 0 <= counter < 10**digits:
        raise ValueError("counter out of range")
    body16 = f"{prefix}{counter:0{digits}d}"
    org_body = body16[8:16]
    first17 = body16 + org_code_check(org_body)
    return first17 + uscc_check(first17)
