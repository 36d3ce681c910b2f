"""Identity document types (证件类型): each type's numbers, good and bad — check characters where
the type has one (GB 11643), shapes where it has none — and the masks the pages show."""

from __future__ import annotations

from datetime import date

import pytest

from zimao.core.identifiers import (
    ID_DOCUMENT_TYPES,
    ID_FOREIGN_PERMANENT,
    ID_HM_PERMIT,
    ID_HMT_RESIDENCE,
    ID_PASSPORT,
    ID_RESIDENT,
    ID_TW_PERMIT,
    id_check_char,
    validate_id_document,
)
from zimao.core.protected import mask_document_number

TODAY = date(2026, 12, 5)


def with_check(first17: str) -> str:
    return first17 + id_check_char(first17)


def wrong_check(first17: str) -> str:
    right = id_check_char(first17)
    return first17 + ("1" if right != "1" else "2")


def codes(doc_type, value) -> list[str]:
    return [p.code for p in validate_id_document(doc_type, value, today=TODAY).problems]


HK_PERMIT = with_check("81000019900101001")  # 港澳台居民居住证, Hong Kong
MACAO_PERMIT = with_check("82000019850615002")
TAIWAN_PERMIT = with_check("83000020000229003")
FOREIGN = with_check("91184019800101001")  # 2023 card: 18 characters, starts with 9


@pytest.mark.parametrize(
    "doc_type,value,normalised",
    [
        (ID_RESIDENT, "11010519491231002x", "11010519491231002X"),
        (ID_RESIDENT, "", ""),  # the resident card's number stays as its own check says (required)
        (ID_HMT_RESIDENCE, HK_PERMIT, HK_PERMIT),
        (ID_HMT_RESIDENCE, MACAO_PERMIT, MACAO_PERMIT),
        (ID_HMT_RESIDENCE, TAIWAN_PERMIT, TAIWAN_PERMIT),
        (ID_FOREIGN_PERMANENT, FOREIGN, FOREIGN),
        (ID_FOREIGN_PERMANENT, "usa110078030110", "USA110078030110"),  # the older 15-character card
        (ID_HM_PERMIT, "h1234567 8", "H12345678"),
        (ID_HM_PERMIT, "M12345678", "M12345678"),
        (ID_HM_PERMIT, "H1234567801", "H1234567801"),  # older 11-character form
        (ID_HM_PERMIT, "H123456789", "H123456789"),  # older 10-character form
        (ID_TW_PERMIT, "12345678", "12345678"),
        (ID_TW_PERMIT, "1234567890", "1234567890"),  # older booklet
        (ID_TW_PERMIT, "1234567(B)", "1234567B"),  # older booklet with its letter in brackets
        (ID_PASSPORT, "e1234567８", "E12345678"),  # full-width digit from an IME
        (ID_PASSPORT, "AB123", "AB123"),
        (ID_PASSPORT, "X" * 20, "X" * 20),
    ],
)
def test_good_numbers_of_each_type(doc_type, value, normalised):
    result = validate_id_document(doc_type, value, today=TODAY)
    assert result.value == normalised
    if value:
        assert result.valid, [p.en for p in result.problems]


@pytest.mark.parametrize(
    "doc_type,value,code",
    [
        (ID_RESIDENT, "110105194912310021", "check_character"),
        (ID_RESIDENT, HK_PERMIT, "document_type"),  # no resident card has 81/82/83: say which type it is
        (ID_HMT_RESIDENCE, "", "required"),
        (ID_HMT_RESIDENCE, wrong_check("81000019900101001"), "check_character"),
        (ID_HMT_RESIDENCE, with_check("44052419900101001"), "area"),  # a mainland number is not a permit
        (ID_HMT_RESIDENCE, with_check("71000019900101001"), "area"),  # Taiwan's permits use 830000
        (ID_HMT_RESIDENCE, with_check("81000019901301001"), "birth_date"),
        (ID_HMT_RESIDENCE, HK_PERMIT[:17], "length"),
        (ID_FOREIGN_PERMANENT, "", "required"),
        (ID_FOREIGN_PERMANENT, wrong_check("91184019800101001"), "check_character"),
        (ID_FOREIGN_PERMANENT, with_check("11184019800101001"), "prefix"),
        (ID_FOREIGN_PERMANENT, "9118401980010100", "length"),
        (ID_FOREIGN_PERMANENT, "9118401980010A001", "length"),
        (ID_FOREIGN_PERMANENT, "9118401980010A0011", "illegal_character"),
        (ID_HM_PERMIT, "", "required"),
        (ID_HM_PERMIT, "A12345678", "format"),
        (ID_HM_PERMIT, "H1234567", "format"),
        (ID_HM_PERMIT, "H12345678901", "format"),
        (ID_TW_PERMIT, "1234567", "format"),
        (ID_TW_PERMIT, "12345678901", "format"),
        (ID_TW_PERMIT, "T1234567", "format"),
        (ID_PASSPORT, "", "required"),
        (ID_PASSPORT, "E123", "format"),
        (ID_PASSPORT, "X" * 21, "format"),
        (ID_PASSPORT, "E1234_567", "format"),
    ],
)
def test_bad_numbers_of_each_type(doc_type, value, code):
    assert code in codes(doc_type, value)


def test_every_problem_names_the_number_field_in_both_languages_without_repeating_the_number():
    for doc_type in ID_DOCUMENT_TYPES:
        for value in ("", "!!bad!!", "H12345678901234567890"):
            for p in validate_id_document(doc_type, value, today=TODAY, field_name="id_number").problems:
                assert p.field == "id_number" and p.zh and p.en
                assert "!!BAD!!" not in p.zh + p.en and "H12345678901234567890" not in p.zh + p.en


def test_the_residence_permit_speaks_of_itself_not_of_a_resident_number():
    result = validate_id_document(ID_HMT_RESIDENCE, wrong_check("81000019900101001"), today=TODAY)
    assert "居住证号码" in result.problems[0].zh and "公民身份号码" not in result.problems[0].zh
    result = validate_id_document(ID_HMT_RESIDENCE, "123", today=TODAY)
    assert result.problems[0].en.startswith("A residence permit number")
    assert validate_id_document(ID_HMT_RESIDENCE, MACAO_PERMIT).details["area_en"] == "Macao"


def test_the_english_names_keep_their_capitals_mid_sentence():
    en = validate_id_document(ID_HM_PERMIT, "").problems[0].en
    assert en == "Enter the number of the mainland travel permit for Hong Kong and Macao residents."


def test_an_unknown_type_is_refused_on_the_type_field():
    result = validate_id_document("driving_licence", "12345678")
    assert [(p.field, p.code) for p in result.problems] == [("id_type", "invalid")]
    assert validate_id_document("", "11010519491231002X").valid  # no type: the resident card, as before


@pytest.mark.parametrize(
    "value,masked",
    [
        ("11010519491231002X", "1101**********002X"),
        ("USA110078030110", "USA1*******0110"),
        ("H12345678", "H******78"),
        ("H1234567801", "H********01"),
        ("12345678", "1*****78"),
        ("E1234", "E**34"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_masks_hide_most_of_every_number(value, masked):
    assert mask_document_number(value) == masked
