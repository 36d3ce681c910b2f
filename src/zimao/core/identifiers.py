"""Identifiers zimao checks and issues, implemented from the standards (not from a library that
gets a corner wrong).

* unified social credit code — 统一社会信用代码 (GB 32100-2015), with its embedded
  organisation code — 组织机构代码 (GB 11714);
* resident identity number — 公民身份号码 (GB 11643-1999).

Every check returns a ``ValidationResult`` listing *all* reasons a value is wrong as bilingual
``Problem``s naming the field, so a form, the API and ``zimao uscc`` can tell a person exactly
what to fix ("position 18 should be 3"), never just "invalid".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from zimao.core import divisions
from zimao.core.errors import BusinessError, Problem
from zimao.core.protected import mask_document_number, mask_id_number

# --------------------------------------------------------------------------------------------
# Unified social credit code — 统一社会信用代码 (GB 32100-2015)
# --------------------------------------------------------------------------------------------

#: The 31 characters a USCC may use: digits and capitals without I, O, S, V, Z (too easily
#: confused with 1, 0, 5, U, 2).
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_CHARSET)}
# The excluded letters and what a person most likely meant by them.
_LOOKALIKE = {"O": "0", "I": "1", "S": "5", "Z": "2", "V": "U"}
#: Weight of positions 1–17: 3^(i−1) mod 31.
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
assert USCC_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

#: Organisation code — 组织机构代码 (GB 11714): weights of its 8 body characters.
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

#: Registration authority — 登记管理部门 (position 1) and entity type — 机构类别 (position 2):
#: GB 32100-2015 Table 1 and the authorities added after it (2, 3, 4, 6, 7, 8, A, N).
#: Authority 9 (工商, now market regulation 市场监管) issues to enterprises.
USCC_AUTHORITIES: dict[str, tuple[str, str, dict[str, tuple[str, str]]]] = {
    "1": (
        "机构编制",
        "institutional establishment",
        {
            "1": ("机关", "government organ"),
            "2": ("事业单位", "public institution"),
            "3": ("中央编办直接管理机构编制的群众团体", "mass organisation under the central establishment office"),
            "9": ("其他", "other"),
        },
    ),
    "2": (
        "外交",
        "foreign affairs",
        {"1": ("外国常驻新闻机构", "resident foreign news agency"), "9": ("其他", "other")},
    ),
    "3": (
        "司法行政",
        "justice administration",
        {
            "1": ("律师执业机构", "law firm"),
            "2": ("公证处", "notary office"),
            "3": ("基层法律服务所", "grassroots legal service office"),
            "4": ("司法鉴定机构", "judicial appraisal institution"),
            "5": ("仲裁委员会", "arbitration commission"),
            "9": ("其他", "other"),
        },
    ),
    "4": ("文化", "culture", {"1": ("外国在华文化中心", "foreign cultural centre in China"), "9": ("其他", "other")}),
    "5": (
        "民政",
        "civil affairs",
        {
            "1": ("社会团体", "social organisation"),
            "2": ("民办非企业单位", "private non-enterprise unit"),
            "3": ("基金会", "foundation"),
            "9": ("其他", "other"),
        },
    ),
    "6": (
        "旅游",
        "tourism",
        {
            "1": ("外国旅游部门常驻代表机构", "resident office of a foreign tourism authority"),
            "2": (
                "港澳台地区旅游部门常驻内地（大陆）代表机构",
                "resident office of a Hong Kong, Macao or Taiwan tourism authority",
            ),
            "9": ("其他", "other"),
        },
    ),
    "7": (
        "宗教",
        "religious affairs",
        {
            "1": ("宗教活动场所", "place of religious activity"),
            "2": ("宗教院校", "religious school"),
            "9": ("其他", "other"),
        },
    ),
    "8": ("工会", "trade unions", {"1": ("基层工会", "grassroots trade union"), "9": ("其他", "other")}),
    "9": (
        "工商",
        "market regulation",
        {
            "1": ("企业", "enterprise"),
            "2": ("个体工商户", "individual business"),
            "3": ("农民专业合作社", "farmers' cooperative"),
        },
    ),
    "A": (
        "中央军委改革和编制办公室",
        "Central Military Commission reform and establishment office",
        {"1": ("军队事业单位", "military public institution"), "9": ("其他", "other")},
    ),
    "N": (
        "农业",
        "agriculture",
        {
            "1": ("组级集体经济组织", "group-level collective economic organisation"),
            "2": ("村级集体经济组织", "village-level collective economic organisation"),
            "3": ("乡镇级集体经济组织", "township-level collective economic organisation"),
            "9": ("其他", "other"),
        },
    ),
    "Y": ("其他", "other", {"1": ("其他", "other")}),
}

#: Issued organisation-code bodies start with "MA" (the block used for codes assigned together
#: with a USCC); the remaining 6 characters encode a never-reused counter.
ISSUE_PREFIX = "MA"
ISSUE_SEQUENCE = "uscc-orgcode"
_ISSUE_BODY_DIGITS = 8 - len(ISSUE_PREFIX)


@dataclass
class ValidationResult:
    """The outcome of checking one identifier.

    ``problems`` make it invalid; ``warnings`` do not (e.g. an area code missing from the
    division table). ``details`` holds what the code says (division, birth date, sex…).
    """

    value: str = field(repr=False)  # the normalised input (may be personal data: kept out of repr)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    details: dict = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.problems

    def raise_if_invalid(self) -> None:
        """Refuse the request with every problem at once (bilingual, naming the field)."""
        if self.problems:
            raise BusinessError(*self.problems)


def normalise(value: str | None) -> str:
    """Trim, fold full-width characters (Ａ１ from a Chinese IME or Word → A1), drop invisible
    format characters (a byte-order mark or zero-width space pasted from Excel) and upper-case."""
    text = unicodedata.normalize("NFKC", value or "")
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip().upper()


def uscc_check_char(first17: str) -> str:
    """The USCC check character (position 18) for the first 17 characters.

    ``C18 = (31 − Σ value·weight mod 31) mod 31``, written as the character with that index.
    """
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def _org_value(ch: str) -> int:
    # GB 11714: digits are themselves; a letter is its alphabet position + 9 (A=10 … Z=35).
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def org_code_check_char(body: str) -> str:
    """The organisation code — 组织机构代码 — check character (GB 11714) for an 8-character body.

    ``c = 11 − (Σ value·weight mod 11)``; c = 10 is written ``X``, c = 11 is written ``0``.
    """
    c = 11 - sum(_org_value(ch) * w for ch, w in zip(body, ORG_CODE_WEIGHTS, strict=True)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def _p(field_name: str, code: str, zh: str, en: str) -> Problem:
    return Problem(field_name, code, zh, en)


def validate_uscc(code: str | None, field_name: str = "uscc") -> ValidationResult:
    """Check a unified social credit code — 统一社会信用代码 — against GB 32100-2015.

    Reports every reason it fails: length, each illegal character with its position, unknown
    registration authority or entity type, unknown division, a failing organisation-code check
    (position 17) and a wrong check character (position 18, saying what it should be).

    Divisions: a code whose division was abolished is still valid (codes are never reissued), so
    the division is checked against every division ever recorded. A county-level code missing
    from the table whose prefecture exists gives a warning, not an error: the table lags behind
    the Ministry's yearly changes.
    """
    value = normalise(code)
    result = ValidationResult(value)
    problems = result.problems
    if not value:
        problems.append(_p(field_name, "required", "请填写统一社会信用代码。", "Enter the unified social credit code."))
        return result
    if len(value) != 18:
        problems.append(
            _p(
                field_name,
                "length",
                f"统一社会信用代码应为18位，现为{len(value)}位。",
                f"A unified social credit code has 18 characters; this one has {len(value)}.",
            )
        )
    bad = [(i, ch) for i, ch in enumerate(value, start=1) if ch not in _USCC_VALUE]
    # An illegal check character (the often-copied "…Y4Z") is reported with what it should be,
    # once the 17 characters it is computed from are all legal.
    check_is_only_bad = len(value) == 18 and [pos for pos, _ in bad] == [18]
    for pos, ch in bad:
        if check_is_only_bad:
            expected = uscc_check_char(value[:17])
            problems.append(
                _p(
                    field_name,
                    "check_character",
                    f"第18位校验码“{ch}”不是允许的字符，应为“{expected}”。",
                    f"The check character (position 18) '{ch}' is not an allowed character; it should be '{expected}'.",
                )
            )
            continue
        hint_zh = f"，是否应为“{_LOOKALIKE[ch]}”？" if ch in _LOOKALIKE else "。"
        hint_en = f" (did you mean '{_LOOKALIKE[ch]}'?)" if ch in _LOOKALIKE else ""
        problems.append(
            _p(
                field_name,
                "illegal_character",
                f"第{pos}位“{ch}”不是统一社会信用代码允许的字符（只用数字和除 I、O、S、V、Z 以外的大写字母）{hint_zh}",
                f"Character {pos} ('{ch}') is not allowed: a unified social credit code uses digits and "
                f"capital letters except I, O, S, V and Z{hint_en}.",
            )
        )
    if len(value) != 18 or (bad and not check_is_only_bad):
        return result  # the structural checks below need 17 legal characters

    authority, entity_type, division, org_body, org_check, check = (
        value[0],
        value[1],
        value[2:8],
        value[8:16],
        value[16],
        value[17],
    )
    result.details.update(division=division, organisation_code=f"{org_body}-{org_check}")

    auth = USCC_AUTHORITIES.get(authority)
    if auth is None:
        problems.append(
            _p(
                field_name,
                "authority",
                f"第1位登记管理部门代码“{authority}”不存在。",
                f"Position 1, the registration authority '{authority}', does not exist.",
            )
        )
    else:
        result.details.update(authority=authority, authority_zh=auth[0], authority_en=auth[1])
        kind = auth[2].get(entity_type)
        if kind is None:
            problems.append(
                _p(
                    field_name,
                    "entity_type",
                    f"第2位机构类别代码“{entity_type}”在登记管理部门“{auth[0]}”（{authority}）下不存在。",
                    f"Position 2, entity type '{entity_type}', is not defined for registration "
                    f"authority {authority} ({auth[1]}).",
                )
            )
        else:
            result.details.update(entity_type=entity_type, entity_type_zh=kind[0], entity_type_en=kind[1])

    _check_uscc_division(division, field_name, result)

    expected_org = org_code_check_char(org_body)
    if org_check != expected_org:
        problems.append(
            _p(
                field_name,
                "organisation_code_check",
                f"第9–17位组织机构代码“{org_body}-{org_check}”校验不通过：第17位应为“{expected_org}”，现为“{org_check}”。",
                f"The organisation code in positions 9–17 ({org_body}-{org_check}) fails its check: "
                f"position 17 should be '{expected_org}', not '{org_check}'.",
            )
        )
    expected = uscc_check_char(value[:17])
    if check != expected and not check_is_only_bad:
        problems.append(
            _p(
                field_name,
                "check_character",
                f"第18位校验码应为“{expected}”，现为“{check}”。",
                f"The check character (position 18) should be '{expected}', not '{check}'.",
            )
        )
    return result


def _check_uscc_division(division: str, field_name: str, result: ValidationResult) -> None:
    if not division.isdigit():
        result.problems.append(
            _p(
                field_name,
                "division",
                f"第3–8位行政区划代码“{division}”应为6位数字。",
                f"Positions 3–8, the administrative division '{division}', must be 6 digits.",
            )
        )
        return
    found = divisions.lookup(division)
    if found is not None:
        result.details.update(division_zh=found.name_zh, division_en=found.name_en)
        return
    prefecture = divisions.lookup(division[:4] + "00")
    grouped = division[2:4] == "90" and any(
        d.code.startswith(division[:4]) for d in divisions.children(division[:2] + "0000")
    )
    if division[4:] != "00" and (prefecture is not None or grouped):
        parent = prefecture.name_zh if prefecture else divisions.name(division[:2] + "0000")
        result.warnings.append(
            _p(
                field_name,
                "division_unknown",
                f"第3–8位行政区划代码“{division}”不在区划表中（所属{parent}存在），请核对。",
                f"Positions 3–8, division '{division}', is not in the division table "
                f"(its parent {parent} is); please check it.",
            )
        )
        return
    result.problems.append(
        _p(
            field_name,
            "division",
            f"第3–8位行政区划代码“{division}”不存在（GB/T 2260）。",
            f"Positions 3–8, the administrative division '{division}', does not exist (GB/T 2260).",
        )
    )


def is_valid_uscc(code: str | None) -> bool:
    return validate_uscc(code).valid


def _encode_counter(n: int) -> str:
    """``n`` in base 31 over the USCC characters, left-padded to 6 places."""
    if n < 0 or n >= 31**_ISSUE_BODY_DIGITS:
        raise BusinessError.of(
            "uscc", "exhausted", "组织机构代码号段已用尽。", "The organisation-code block is exhausted.", status=409
        )
    out = []
    for _ in range(_ISSUE_BODY_DIGITS):
        n, r = divmod(n, 31)
        out.append(USCC_CHARSET[r])
    return "".join(reversed(out))


def issue_uscc(division: str, authority: str = "9", entity_type: str = "1") -> str:
    """A fresh unified social credit code — 统一社会信用代码 — never handed out before.

    Positions 1–2 authority and entity type (default 9·1, an enterprise registered by market
    regulation), 3–8 the registering authority's current division (GB/T 2260), 9–16 the
    organisation-code body "MA" + 6 characters encoding the counter ``uscc-orgcode`` (never
    reused, even after deregistration or a rolled-back transaction), 17 its GB 11714 check, 18
    the USCC check.

    Raises ``BusinessError`` (bilingual) for an unknown authority/type or a division that is not
    valid today.
    """
    from zimao.core.sequences import next_value

    authority, entity_type, division = normalise(authority), normalise(entity_type), (division or "").strip()
    auth = USCC_AUTHORITIES.get(authority)
    if auth is None:
        raise BusinessError.of(
            "authority",
            "authority",
            f"登记管理部门代码“{authority}”不存在。",
            f"Registration authority '{authority}' does not exist.",
        )
    if entity_type not in auth[2]:
        raise BusinessError.of(
            "entity_type",
            "entity_type",
            f"机构类别代码“{entity_type}”在登记管理部门“{auth[0]}”下不存在。",
            f"Entity type '{entity_type}' is not defined for registration authority {authority} ({auth[1]}).",
        )
    if not (
        len(division) == 6 and division.isdigit() and divisions.is_valid_division(division, on=timezone.localdate())
    ):
        raise BusinessError.of(
            "division",
            "division",
            f"行政区划代码“{division}”不是现行有效的行政区划（GB/T 2260）。",
            f"'{division}' is not a current administrative division (GB/T 2260).",
        )
    body = ISSUE_PREFIX + _encode_counter(next_value(ISSUE_SEQUENCE))
    first17 = authority + entity_type + division + body + org_code_check_char(body)
    return first17 + uscc_check_char(first17)


def validate_organisation_code(code: str | None, field_name: str = "organisation_code") -> ValidationResult:
    """Check a stand-alone organisation code — 组织机构代码 (GB 11714), ``XXXXXXXX-X`` or 9 characters."""
    value = normalise(code).replace("-", "")
    result = ValidationResult(value)
    if len(value) != 9:
        result.problems.append(
            _p(
                field_name,
                "length",
                f"组织机构代码应为9位，现为{len(value)}位。",
                f"An organisation code has 9 characters; this one has {len(value)}.",
            )
        )
        return result
    for pos, ch in enumerate(value[:8], start=1):
        if not (ch.isdigit() or "A" <= ch <= "Z"):
            result.problems.append(
                _p(
                    field_name,
                    "illegal_character",
                    f"第{pos}位“{ch}”不是数字或大写字母。",
                    f"Character {pos} ('{ch}') is not a digit or capital letter.",
                )
            )
    if result.problems:
        return result
    expected = org_code_check_char(value[:8])
    if value[8] != expected:
        result.problems.append(
            _p(
                field_name,
                "check_character",
                f"第9位校验码应为“{expected}”，现为“{value[8]}”。",
                f"The check character (position 9) should be '{expected}', not '{value[8]}'.",
            )
        )
    return result


# --------------------------------------------------------------------------------------------
# Resident identity number — 公民身份号码 (GB 11643-1999)
# --------------------------------------------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"


def id_check_char(first17: str) -> str:
    """The check character of a resident identity number: ``"10X98765432"[Σ digit·weight mod 11]``."""
    return ID_CHECK_CHARS[sum(int(ch) * w for ch, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str | None, today: date | None = None, field_name: str = "id_number") -> ValidationResult:
    """Check a resident identity number — 公民身份号码 (GB 11643-1999).

    17 digits (area 6, birth date YYYYMMDD 8, sequence 3 — odd for men) and a check character.
    Errors: length, characters, check character, an impossible or future birth date. An area
    code missing from the division table is only a warning: numbers keep the area code of the
    place they were first issued, and tables go stale (the standard's own sample
    ``440524188001010014`` has one). Messages never repeat the number (it is personal data);
    ``details["masked"]`` is the form to show.
    """
    number = normalise(value)
    result = ValidationResult(number)
    result.details["masked"] = mask_id_number(number)
    problems = result.problems
    if not number:
        problems.append(_p(field_name, "required", "请填写公民身份号码。", "Enter the identity number."))
        return result
    if len(number) != 18:
        if len(number) == 15 and number.isdigit():
            problems.append(
                _p(
                    field_name,
                    "length",
                    "这是已停止使用的15位旧号码，请填写18位公民身份号码。",
                    "This is an old 15-digit number, no longer in use; enter the 18-character number.",
                )
            )
        else:
            problems.append(
                _p(
                    field_name,
                    "length",
                    f"公民身份号码应为18位，现为{len(number)}位。",
                    f"An identity number has 18 characters; this one has {len(number)}.",
                )
            )
        return result
    bad = [(i, ch) for i, ch in enumerate(number, start=1) if not (ch.isdigit() or (i == 18 and ch == "X"))]
    for pos, ch in bad:
        problems.append(
            _p(
                field_name,
                "illegal_character",
                f"第{pos}位“{ch}”不合法：前17位应为数字，第18位为数字或 X。",
                f"Character {pos} ('{ch}') is not allowed: the first 17 are digits, the 18th a digit or X.",
            )
        )
    if bad:
        return result

    expected = id_check_char(number[:17])
    if number[17] != expected:
        problems.append(
            _p(
                field_name,
                "check_character",
                # Never say which character would be right: that would help make up a valid
                # identity number for somebody else (personal data; USCCs are public, IDs are not).
                "第18位校验码与前17位不符，请核对身份证号码。",
                "The check character (position 18) does not match the first 17 digits: check the number.",
            )
        )

    today = today or timezone.localdate()
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        problems.append(
            _p(
                field_name,
                "birth_date",
                f"第7–14位出生日期“{number[6:14]}”不是有效日期。",
                f"Positions 7–14, the birth date '{number[6:14]}', is not a real date.",
            )
        )
    else:
        result.details["birth_date"] = birth
        if birth > today:
            problems.append(
                _p(
                    field_name,
                    "birth_date",
                    "第7–14位出生日期晚于今天。",
                    "Positions 7–14, the birth date, is in the future.",
                )
            )

    male = int(number[16]) % 2 == 1  # the sequence's last digit (position 17): odd for men
    result.details.update(sex="M" if male else "F", sex_zh="男" if male else "女", sex_en="male" if male else "female")

    area = divisions.lookup(number[:6])
    if area is None:
        result.warnings.append(
            _p(
                field_name,
                "area_unknown",
                f"第1–6位地址码“{number[:6]}”不在行政区划表中（可能是已撤销的旧区划），请核对。",
                f"Positions 1–6, area code '{number[:6]}', is not in the division table "
                f"(it may be a former division); please check it.",
            )
        )
    else:
        result.details.update(area=area.code, area_zh=area.name_zh, area_en=area.name_en)
    return result


def is_valid_id_number(value: str | None) -> bool:
    return validate_id_number(value).valid


# --------------------------------------------------------------------------------------------
# Identity documents — 证件类型: what a person registers and is found by at the window
# --------------------------------------------------------------------------------------------

ID_RESIDENT = "resident"  # 居民身份证 (GB 11643)
ID_HMT_RESIDENCE = "hmt_residence"  # 港澳台居民居住证
ID_FOREIGN_PERMANENT = "foreign_permanent"  # 外国人永久居留身份证
ID_HM_PERMIT = "hm_permit"  # 港澳居民来往内地通行证
ID_TW_PERMIT = "tw_permit"  # 台湾居民来往大陆通行证
ID_PASSPORT = "passport"  # 护照

#: Each document type: (Chinese name, English name). The order is the order people are offered.
ID_DOCUMENT_TYPES: dict[str, tuple[str, str]] = {
    ID_RESIDENT: ("居民身份证", "Resident identity card"),
    ID_HMT_RESIDENCE: ("港澳台居民居住证", "Residence permit for Hong Kong, Macao and Taiwan residents"),
    ID_FOREIGN_PERMANENT: ("外国人永久居留身份证", "Foreign permanent resident ID card"),
    ID_HM_PERMIT: ("港澳居民来往内地通行证", "Mainland travel permit for Hong Kong and Macao residents"),
    ID_TW_PERMIT: ("台湾居民来往大陆通行证", "Mainland travel permit for Taiwan residents"),
    ID_PASSPORT: ("护照", "Passport"),
}

#: A residence permit's address code (positions 1–6) says where its holder comes from.
HMT_AREA_CODES = {"810000": ("香港", "Hong Kong"), "820000": ("澳门", "Macao"), "830000": ("台湾", "Taiwan")}

_HM_PERMIT = re.compile(r"[HM]\d{8,10}")
# 8 digits on the card since 2015; older booklets carry 7–10 digits, some with a letter after them.
_TW_PERMIT = re.compile(r"\d{8,10}|\d{7,9}[A-Z]")
_PASSPORT = re.compile(r"[A-Z0-9]{5,20}")
_OLD_FOREIGN_PERMANENT = re.compile(r"[A-Z]{3}\d{12}")


def normalise_document_number(value: str | None) -> str:
    """``normalise``, and the spaces, hyphens and brackets people copy from a permit or passport
    (``H1234567(8)``, ``1234 5678``) dropped: they are not part of the number."""
    return re.sub(r"[\s\-()（）]", "", normalise(value))


def id_document_label(doc_type: str, lang: str = "zh") -> str:
    zh, en = ID_DOCUMENT_TYPES.get(doc_type, ("", ""))
    return en if lang == "en" else zh


def validate_id_document(
    doc_type: str | None,
    value: str | None,
    today: date | None = None,
    field_name: str = "id_number",
    type_field: str = "id_type",
) -> ValidationResult:
    """Check an identity document number of the given type (``ID_DOCUMENT_TYPES``).

    The resident identity card is ``validate_id_number``. The residence permit for Hong Kong,
    Macao and Taiwan residents has the same 18-character layout and GB 11643 check character,
    with address code 810000, 820000 or 830000. The 2023 foreign permanent resident ID card has
    18 characters starting with 9 and a GB 11643-style check character; the rest of its layout is
    not confirmed here, so only those are checked (its older 15-character form, three letters and
    12 digits, is accepted on its shape). The travel permits and passports are checked on their
    shape only, leniently where older forms are still in people's hands (docs/window.md).
    """
    doc_type = (doc_type or "").strip() or ID_RESIDENT
    if doc_type not in ID_DOCUMENT_TYPES:
        result = ValidationResult(normalise_document_number(value))
        result.problems.append(_p(type_field, "invalid", "请选择证件类型。", "Choose the type of identity document."))
        return result
    zh_name, en_name = ID_DOCUMENT_TYPES[doc_type]
    en_name = en_name[0].lower() + en_name[1:]  # mid-sentence; "Hong Kong" keeps its capitals
    if doc_type == ID_RESIDENT:
        result = validate_id_number(value, today=today, field_name=field_name)
        if result.valid and result.value[:2] in ("81", "82", "83"):
            # No resident identity card carries these address codes: it is a residence permit.
            result.problems.append(
                _p(
                    field_name,
                    "document_type",
                    "这是港澳台居民居住证号码，请将证件类型选为“港澳台居民居住证”。",
                    "This is the number of a residence permit for Hong Kong, Macao or Taiwan residents: "
                    "choose that document type.",
                )
            )
        return result
    number = normalise_document_number(value)
    result = ValidationResult(number)
    result.details["masked"] = mask_document_number(number)
    problems = result.problems
    if not number:
        problems.append(_p(field_name, "required", f"请填写{zh_name}号码。", f"Enter the number of the {en_name}."))
        return result
    if doc_type == ID_HMT_RESIDENCE:
        checked = validate_id_number(number, today=today, field_name=field_name)
        for p in checked.problems:  # the resident number's wording, naming the permit
            zh = p.zh.replace("公民身份号码", "居住证号码").replace("身份证号码", "居住证号码")
            en = p.en.replace("An identity number", "A residence permit number")
            problems.append(_p(field_name, p.code, zh, en))
        if checked.valid:
            area = HMT_AREA_CODES.get(number[:6])
            if area is None:
                problems.append(
                    _p(
                        field_name,
                        "area",
                        "港澳台居民居住证号码的第1–6位应为810000（香港）、820000（澳门）或830000（台湾）。",
                        "Positions 1–6 of a residence permit number are 810000 (Hong Kong), 820000 (Macao) "
                        "or 830000 (Taiwan).",
                    )
                )
            else:
                result.details.update(area_zh=area[0], area_en=area[1], birth_date=checked.details.get("birth_date"))
        return result
    if doc_type == ID_FOREIGN_PERMANENT:
        if _OLD_FOREIGN_PERMANENT.fullmatch(number):
            return result  # the 15-character card issued before 2023: its shape only
        if len(number) != 18:
            problems.append(
                _p(
                    field_name,
                    "length",
                    f"外国人永久居留身份证号码应为18位，现为{len(number)}位。",
                    f"A foreign permanent resident ID number has 18 characters; this one has {len(number)}.",
                )
            )
        elif not (number[:17].isdigit() and (number[17].isdigit() or number[17] == "X")):
            problems.append(
                _p(
                    field_name,
                    "illegal_character",
                    "前17位应为数字，第18位为数字或 X。",
                    "The first 17 characters are digits, the 18th a digit or X.",
                )
            )
        elif number[0] != "9":
            problems.append(
                _p(
                    field_name,
                    "prefix",
                    "外国人永久居留身份证号码以9开头。",
                    "A foreign permanent resident ID number starts with 9.",
                )
            )
        elif number[17] != id_check_char(number[:17]):
            problems.append(
                _p(
                    field_name,
                    "check_character",
                    "第18位校验码与前17位不符，请核对证件号码。",
                    "The check character (position 18) does not match the first 17 digits: check the number.",
                )
            )
        return result
    pattern, zh_shape, en_shape = {
        ID_HM_PERMIT: (_HM_PERMIT, "应为字母 H 或 M 后接8位数字", "is the letter H or M followed by 8 digits"),
        ID_TW_PERMIT: (_TW_PERMIT, "应为8位数字", "has 8 digits"),
        ID_PASSPORT: (_PASSPORT, "应为5–20位字母或数字", "has 5–20 letters or digits"),
    }[doc_type]
    if not pattern.fullmatch(number):
        problems.append(
            _p(field_name, "format", f"{zh_name}号码{zh_shape}。", f"The number of a {en_name} {en_shape}.")
        )
    return result
