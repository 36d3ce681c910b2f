"""The dashboard's bonded-book figures come from the movements: a trade movement counts when its
goods post, at its value in US dollars at the month's customs rate; a month without a rate is a
warning until the rate is entered, never a silent 0."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from zimao.bonded import services as bonded
from zimao.bonded.indicators import BOOKS_ACTIVE, MOVEMENTS
from zimao.monitor import services as monitor
from zimao.monitor.models import Rollup

pytestmark = pytest.mark.django_db


def _in(bz, item, qty, key):
    lst, _ = bonded.declare(
        bz.operator,
        bz.book.number,
        {"movement": "import_abroad", "internal_no": key, "lines": [{"item_seq": item.seq, "quantity": qty}]},
    )
    bonded.review(bz.customs, lst.number, "accept")
    note = bonded.apply_release(bz.operator, bz.book.number, plate="豫C1", list_numbers=[lst.number])
    bonded.pass_gate(bz.gate, note.token)
    return lst


def figures():
    month = f"{timezone.localdate():%Y-%m}"
    return sorted(
        Rollup.objects.filter(stream=MOVEMENTS, period=month, count__gt=0).values_list("dimension", "count", "total")
    )


def test_trade_movements_count_at_their_usd_value_and_a_missing_rate_waits(bz):
    from zimao.trade.models import ExchangeRate

    _in(bz, bz.pellets, "20000", "A")  # 20,000 kg × USD 1.20
    assert figures() == [("import_abroad", 1, Decimal("24000.00"))]
    wine = _in(bz, bz.wine, "100", "B")  # EUR: no rate entered for this month yet
    assert figures() == [("import_abroad", 1, Decimal("24000.00"))]  # not counted as 0
    waiting = bonded.missing_rates()
    assert [w["list"] for w in waiting] == [wine.number] and waiting[0]["currency"] == "EUR"

    ExchangeRate.objects.create(
        currency="EUR", month=timezone.localdate().replace(day=1), cny_per_unit=Decimal("7.8100"), source="test"
    )
    call_command("bonded", "revalue")
    # 100 × EUR 80 = EUR 8,000 → × 7.81 ÷ 7.10 = USD 8,800.00
    assert figures() == [("import_abroad", 2, Decimal("32800.00"))]
    assert bonded.missing_rates() == []
    assert monitor.rebuild(MOVEMENTS) == 2  # the rebuild from postings gives the same figures
    assert figures() == [("import_abroad", 2, Decimal("32800.00"))]


def test_movements_that_cross_no_border_are_not_trade(bz):
    _in(bz, bz.pellets, "100", "A")
    lst, _ = bonded.declare(
        bz.operator,
        bz.book.number,
        {
            "movement": "transfer",
            "internal_no": "T",
            "counterpart_book": bz.other_book.number,
            "lines": [{"item_seq": bz.pellets.seq, "quantity": "50", "counterpart_item_seq": bz.other_pellets.seq}],
        },
    )
    bonded.review(bz.customs, lst.number, "accept")
    assert figures() == [("import_abroad", 1, Decimal("120.00"))]
    assert bonded.warehouse_use() == {"books": 3, "in_use": 2}
    # Warehouse use on the dashboard: both books moved goods this month, each counted once.
    month = f"{timezone.localdate():%Y-%m}"
    books = sorted(
        Rollup.objects.filter(stream=BOOKS_ACTIVE, period=month, count__gt=0).values_list("dimension", "count")
    )
    assert books == [("T", 2)]
    assert monitor.rebuild(BOOKS_ACTIVE) == 2


def test_a_list_of_several_lines_counts_once_at_the_sum_of_its_values(bz):
    lst, _ = bonded.declare(
        bz.operator,
        bz.book.number,
        {
            "movement": "import_abroad",
            "internal_no": "TWO",
            "lines": [{"item_seq": bz.pellets.seq, "quantity": "100"}, {"item_seq": bz.chips.seq, "quantity": "10"}],
        },
    )
    bonded.review(bz.customs, lst.number, "accept")
    note = bonded.apply_release(bz.operator, bz.book.number, plate="豫C1", list_numbers=[lst.number])
    bonded.pass_gate(bz.gate, note.token)
    # 100 kg × USD 1.20 + 10 × USD 3.50
    assert figures() == [("import_abroad", 1, Decimal("155.00"))]
