"""Capital numerals (PBOC rules) and document dates."""

import datetime as dt
from decimal import Decimal

import pytest

from zimao.core.wording import amount_in_words, date_zh


@pytest.mark.parametrize(
    "amount, words",
    [
        (5_000_000, "伍佰万元整"),
        (1_000_000, "壹佰万元整"),
        (100_000, "壹拾万元整"),  # 壹 before 拾 is kept
        (20_000_000, "贰仟万元整"),
        (10_500_000, "壹仟零伍拾万元整"),  # zeros inside a group: one 零
        (1_010_101, "壹佰零壹万零壹佰零壹元整"),  # a group under 1000 after another: 零 bridges
        (100_010_000, "壹亿零壹万元整"),
        (100_000_001, "壹亿零壹元整"),  # an all-zero group adds nothing but one 零
        (107_000, "壹拾万柒仟元整"),  # a zero only at the 万 place takes no 零 (one choice)
        (10, "壹拾元整"),
        (0, "零元整"),
        (Decimal("1.50"), "壹元伍角"),
        (Decimal("10.05"), "壹拾元零伍分"),
        (Decimal("0.05"), "伍分"),
        (Decimal("123456789.45"), "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元肆角伍分"),
        (10**12, "壹万亿元整"),
    ],
)
def test_amount_in_words(amount, words):
    assert amount_in_words(amount) == words


def test_amount_in_words_refuses_what_it_cannot_write():
    with pytest.raises(ValueError):
        amount_in_words(-1)
    with pytest.raises(ValueError):
        amount_in_words(10**16)


def test_dates_are_zero_padded():
    assert date_zh(dt.date(2026, 12, 5)) == "2026年12月05日"
    assert date_zh("2023-03-06") == "2023年03月06日"
    assert date_zh(dt.datetime(2026, 1, 9, 23, 0)) == "2026年01月09日"
