"""Periods (统计期) and demo USCCs (GB 32100 / GB 11714)."""

from datetime import date

import pytest

from zimao.monitor import periods, uscc
from zimao.monitor.periods import Period


@pytest.mark.parametrize(
    "text,key,kind,start,end",
    [
        ("2022-05", "2022-05", "month", date(2022, 5, 1), date(2022, 5, 31)),
        ("2022-01..2022-06", "2022-01..2022-06", "range", date(2022, 1, 1), date(2022, 6, 30)),
        ("2022-Q2", "2022-Q2", "quarter", date(2022, 4, 1), date(2022, 6, 30)),
        ("2022-H1", "2022-H1", "half", date(2022, 1, 1), date(2022, 6, 30)),
        ("2022", "2022", "year", date(2022, 1, 1), date(2022, 12, 31)),
        ("..2022-06-30", "..2022-06-30", "cumulative", None, date(2022, 6, 30)),
        ("累计2022-06", "..2022-06-30", "cumulative", None, date(2022, 6, 30)),
        ("2022-06-30", "2022-06-30", "snapshot", date(2022, 6, 30), date(2022, 6, 30)),
        ("2022年1-5月", "2022-01..2022-05", "range", date(2022, 1, 1), date(2022, 5, 31)),
        ("2022年3月", "2022-03", "month", date(2022, 3, 1), date(2022, 3, 31)),
    ],
)
def test_parse(text, key, kind, start, end):
    p = periods.parse(text)
    assert (p.key, p.kind, p.start, p.end) == (key, kind, start, end)
    assert periods.parse(p.key) == p


@pytest.mark.parametrize("text", ["", "2022-13", "2022-06..2022-01", "H1", "2022-02-30", "yesterday"])
def test_parse_rejects_with_bilingual_reason(text):
    with pytest.raises(periods.PeriodError) as exc:
        periods.parse(text)
    assert "统计期" in exc.value.zh and "period" in exc.value.en


def test_year_earlier_and_labels():
    h1 = periods.parse("2022-01..2022-06")
    assert h1.shifted(-1).key == "2021-01..2021-06"
    assert periods.parse("2024-02").shifted(-1).end == date(2023, 2, 28)
    assert periods.parse("..2022-06-30").shifted(-1).key == "..2021-06-30"
    assert h1.label("zh-hans") == "2022年1-6月" and h1.label("en") == "Jan–Jun 2022"
    assert Period.cumulative(date(2022, 6, 30)).label("zh-hans") == "累计（挂牌以来，截至2022年6月）"
    assert h1.month_keys() == [f"2022-0{m}" for m in range(1, 7)]


def test_uscc_check_characters():
    assert uscc.is_valid("91350100M000100Y43")  # a published specimen code
    assert not uscc.is_valid("91350100M000100Y44")
    assert uscc.org_code_check("MA000001") == uscc.demo_uscc(1)[16]


def test_demo_codes_are_valid_and_distinct():
    codes = [uscc.demo_uscc(i) for i in range(1, 200)]
    assert len(set(codes)) == len(codes)
    assert all(c.startswith("91410300MA") and uscc.is_valid(c) for c in codes)
    assert all(ch in uscc.CHARSET for c in codes for ch in c)
