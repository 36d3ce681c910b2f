"""E-licence identifiers — 电子证照标识 (GB/T 36904-2018).

An identifier reads::

    1.2.156.3005.2.{licence type code}.{issuing authority USCC}.{serial}.{version}.{check}

- ``1.2.156.3005.2`` — the fixed OID arc for Chinese e-licences (电子证照对象标识符前缀);
- licence type code — 证照类型代码: the defining authority's USCC (证照定义机构代码, 18 characters)
  followed by a 3-digit sequence, e.g. ``11100000000013338W011``;
- issuing authority USCC — 颁发机构代码 (18 characters);
- serial — 证照流水号, assigned by the issuing authority (digits or capitals; lengths seen in use
  range from 10 to 20);
- version — 版本号, 3 digits (``001`` for the first issue);
- check — 校验位: ISO/IEC 7064 MOD 37,36 over the type code, issuer code, serial and version
  concatenated without dots. The OID prefix is *not* part of the checked string: computing over
  it as well gives ``7`` for the published example, whose check is ``U``.

ISO/IEC 7064 MOD 37,36 is the *hybrid* system for the 36-character alphabet ``0-9A-Z``: the
check character is itself one of those 36 characters (the ``*`` supplementary character exists
only in the pure system MOD 37-2, which this is not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zimao.core.errors import Problem

PREFIX = "1.2.156.3005.2"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# GB 32100-2015 characters (no I, O, S, V, Z): the two embedded codes must use this set.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

_USCC_RE = re.compile(r"^[0-9A-HJ-NP-RTUW-Y]{18}$")
_TYPE_RE = re.compile(r"^[0-9A-HJ-NP-RTUW-Y]{18}[0-9]{3}$")
_SERIAL_RE = re.compile(r"^[0-9A-Z]{1,40}$")
_VERSION_RE = re.compile(r"^[0-9]{3}$")


def mod37_36_check(data: str) -> str:
    """The ISO/IEC 7064 MOD 37,36 check character of ``data`` (0-9, A-Z; upper case).

    Hybrid system with M = 36: start with P = M; for every character, S = (P + value) mod M
    (0 is read as M), P = 2·S mod (M + 1); the check character c makes (P + c) mod M = 1.
    """
    modulus = len(ALPHABET)
    product = modulus
    for char in data:
        value = ALPHABET.find(char)
        if value < 0:
            raise ValueError(f"character {char!r} is outside 0-9A-Z")
        total = (product + value) % modulus or modulus
        product = (total * 2) % (modulus + 1)
    return ALPHABET[(modulus + 1 - product) % modulus]


def mod37_36_valid(data_with_check: str) -> bool:
    """True when the last character of ``data_with_check`` is the MOD 37,36 check of the rest."""
    if len(data_with_check) < 2:
        return False
    try:
        return mod37_36_check(data_with_check[:-1]) == data_with_check[-1]
    except ValueError:
        return False


def uscc_check_ok(code: str) -> bool:
    """GB 32100-2015 check character (position 18) — weights 3^(i-1) mod 31.

    Kept here (rather than importing the registry's full USCC validator) so this module stays a
    leaf: the organisation-code check inside positions 9–17 is the USCC module's business.
    """
    if not _USCC_RE.match(code):
        return False
    total = sum(USCC_ALPHABET.index(ch) * pow(3, i, 31) for i, ch in enumerate(code[:17]))
    return USCC_ALPHABET[(31 - total % 31) % 31] == code[17]


@dataclass(frozen=True)
class ElicenceId:
    """A parsed identifier — 解析后的电子证照标识."""

    type_code: str
    issuer_uscc: str
    serial: str
    version: str
    check: str

    @property
    def defining_authority_uscc(self) -> str:
        """证照定义机构代码 — the first 18 characters of the type code."""
        return self.type_code[:18]

    @property
    def body(self) -> str:
        """The checked string: the four fields concatenated without dots."""
        return f"{self.type_code}{self.issuer_uscc}{self.serial}{self.version}"

    def __str__(self) -> str:
        return f"{PREFIX}.{self.type_code}.{self.issuer_uscc}.{self.serial}.{self.version}.{self.check}"


def _field_problems(type_code: str, issuer_uscc: str, serial: str, version: str) -> list[Problem]:
    problems = []
    if not _TYPE_RE.match(type_code):
        problems.append(
            Problem(
                "type_code",
                "invalid_type_code",
                "证照类型代码应为18位定义机构统一社会信用代码加3位数字顺序码。",
                "The licence type code must be the defining authority's 18-character "
                "USCC followed by a 3-digit sequence.",
            )
        )
    elif not uscc_check_ok(type_code[:18]):
        problems.append(
            Problem(
                "type_code",
                "invalid_defining_authority",
                "证照类型代码中的定义机构代码校验位不正确。",
                "The defining authority's code inside the licence type code fails its check.",
            )
        )
    if not _USCC_RE.match(issuer_uscc):
        problems.append(
            Problem(
                "issuer_uscc",
                "invalid_issuer",
                "颁发机构代码应为18位统一社会信用代码。",
                "The issuing authority code must be an 18-character unified social credit code.",
            )
        )
    elif not uscc_check_ok(issuer_uscc):
        problems.append(
            Problem(
                "issuer_uscc",
                "invalid_issuer_check",
                "颁发机构代码的校验位不正确。",
                "The issuing authority code fails its check character.",
            )
        )
    if not _SERIAL_RE.match(serial):
        problems.append(
            Problem(
                "serial",
                "invalid_serial",
                "证照流水号应为1至40位数字或大写字母。",
                "The serial must be 1 to 40 digits or capital letters.",
            )
        )
    if not _VERSION_RE.match(version):
        problems.append(Problem("version", "invalid_version", "版本号应为3位数字。", "The version must be 3 digits."))
    return problems


def make_identifier(type_code: str, issuer_uscc: str, serial: str | int, version: str | int = "001") -> str:
    """Build an identifier with its check character — 生成电子证照标识.

    Raises ``ValueError`` (naming every wrong field, in Chinese and English) rather than
    producing an identifier no other system would accept.
    """
    type_code = str(type_code).strip().upper()
    issuer_uscc = str(issuer_uscc).strip().upper()
    serial = str(serial).strip().upper()
    version = f"{version:03d}" if isinstance(version, int) else str(version).strip()
    problems = _field_problems(type_code, issuer_uscc, serial, version)
    if problems:
        raise ValueError("; ".join(f"{p.field}: {p.en} / {p.zh}" for p in problems))
    body = f"{type_code}{issuer_uscc}{serial}{version}"
    return f"{PREFIX}.{type_code}.{issuer_uscc}.{serial}.{version}.{mod37_36_check(body)}"


def _split(value: str) -> tuple[ElicenceId | None, list[Problem]]:
    text = (value or "").strip()
    if not text.startswith(PREFIX + "."):
        return None, [
            Problem(
                "identifier",
                "invalid_prefix",
                f"电子证照标识应以 {PREFIX} 开头。",
                f"An e-licence identifier starts with {PREFIX}.",
            )
        ]
    fields = text[len(PREFIX) + 1 :].split(".")
    if len(fields) != 5:
        return None, [
            Problem(
                "identifier",
                "invalid_structure",
                "电子证照标识应包含证照类型代码、颁发机构代码、流水号、版本号和校验位五段。",
                "An e-licence identifier has five fields after the prefix: type code, "
                "issuing authority, serial, version and check character.",
            )
        ]
    return ElicenceId(*fields), []


def validate_identifier(value: str) -> tuple[bool, list[Problem]]:
    """Check structure, each field and the MOD 37,36 check character — 校验电子证照标识.

    Returns ``(True, [])`` or ``(False, problems)``; problems are bilingual. Lower-case input is
    not accepted: the check is defined over upper-case characters and the identifier is printed
    upper-case, so a lower-case one has been retyped and should be retyped again.
    """
    parsed, problems = _split(value)
    if parsed is None:
        return False, problems
    problems = _field_problems(parsed.type_code, parsed.issuer_uscc, parsed.serial, parsed.version)
    if not problems:
        if len(parsed.check) != 1 or parsed.check not in ALPHABET:
            problems.append(
                Problem(
                    "check",
                    "invalid_check_character",
                    "校验位应为一位数字或大写字母。",
                    "The check character must be one digit or capital letter.",
                )
            )
        elif mod37_36_check(parsed.body) != parsed.check:
            problems.append(
                Problem(
                    "check",
                    "check_mismatch",
                    "校验位不符：标识可能被抄错或篡改。",
                    "The check character does not match: the identifier was mistyped or altered.",
                )
            )
    return not problems, problems


def parse_identifier(value: str) -> ElicenceId:
    """Parse and validate an identifier — 解析电子证照标识; raises ``ValueError`` if invalid."""
    ok, problems = validate_identifier(value)
    if not ok:
        raise ValueError("; ".join(f"{p.field}: {p.en} / {p.zh}" for p in problems))
    parsed, _ = _split(value)
    assert parsed is not None
    return parsed
