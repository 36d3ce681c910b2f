"""Concurrent movements on one bonded-book item: no lost update, never negative.

Two customs officers accept, at the same instant, two lists that each take 60 of the 100 units
on hand: exactly one is accepted, the other is refused for want of stock, and the item's stock,
reservation and postings agree. Likewise two gate keepers passing the same vehicle post once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reliability.test_concurrency import race
from zimao.core.errors import BusinessError

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bz(real_db, settings):
    from zimao.bonded.tests.conftest import build

    return build(settings)


def _stocked(bz, qty="100"):
    from zimao.bonded import services as bonded

    lst, _ = bonded.declare(
        bz.operator,
        bz.book.number,
        {"movement": "import_abroad", "internal_no": "IN", "lines": [{"item_seq": bz.pellets.seq, "quantity": qty}]},
    )
    bonded.review(bz.customs, lst.number, "accept")
    note = bonded.apply_release(bz.operator, bz.book.number, plate="豫C1", list_numbers=[lst.number])
    bonded.pass_gate(bz.gate, note.token)


@pytest.mark.parametrize("round_", range(3))
def test_two_acceptances_that_together_exceed_the_stock_accept_one(bz, round_):
    from zimao.bonded import services as bonded
    from zimao.bonded.models import BookItem

    _stocked(bz)
    lists = [
        bonded.declare(
            bz.operator,
            bz.book.number,
            {
                "movement": "export_abroad",
                "internal_no": f"OUT-{n}",
                "lines": [{"item_seq": bz.pellets.seq, "quantity": "60"}],
            },
        )[0]
        for n in range(2)
    ]
    results = race(*(lambda x=x: bonded.review(bz.customs, x.number, "accept") for x in lists))
    refused = [r for r in results if isinstance(r, BusinessError)]
    assert len(refused) == 1 and refused[0].status == 409, results
    assert not [r for r in results if isinstance(r, BaseException) and not isinstance(r, BusinessError)], results
    item = BookItem.objects.get(pk=bz.pellets.pk)
    assert (item.on_hand, item.reserved) == (Decimal(100), Decimal(60))


def test_two_gate_scans_of_one_vehicle_post_once(bz):
    from zimao.bonded import services as bonded
    from zimao.bonded.models import BookItem, Posting

    lst, _ = bonded.declare(
        bz.operator,
        bz.book.number,
        {"movement": "import_abroad", "internal_no": "IN", "lines": [{"item_seq": bz.pellets.seq, "quantity": "100"}]},
    )
    bonded.review(bz.customs, lst.number, "accept")
    note = bonded.apply_release(bz.operator, bz.book.number, plate="豫C1", list_numbers=[lst.number])
    results = race(lambda: bonded.pass_gate(bz.gate, note.token), lambda: bonded.pass_gate(bz.gate, note.token))
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert Posting.objects.filter(inventory_list=lst).count() == 1
    assert BookItem.objects.get(pk=bz.pellets.pk).on_hand == Decimal(100)
