"""Property: whatever the enterprise, customs and the gate do — in any order, valid or not,
repeated or not — every book balances, stock is never negative, and stock equals the sum of
the postings of accepted lists (each posting traceable to its list)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zimao.bonded import services as bonded
from zimao.bonded.models import BookItem, InventoryList, Posting
from zimao.core.errors import BusinessError

pytestmark = pytest.mark.django_db

MOVEMENTS = ["import_abroad", "export_abroad", "adjustment", "transfer"]
op = st.one_of(
    st.tuples(
        st.just("declare"),
        st.sampled_from(MOVEMENTS),
        st.integers(0, 1),
        st.integers(1, 400),
        st.sampled_from([1, -1]),
        st.integers(0, 5),
    ),
    st.tuples(st.just("review"), st.integers(0, 9), st.sampled_from(["accept", "return"])),
    st.tuples(st.just("gate"), st.integers(0, 9)),
    st.tuples(st.just("reverse"), st.integers(0, 9)),
)


def _check(bz) -> None:
    for item in BookItem.objects.all():
        posted = item.postings.aggregate(s=Sum("delta"))["s"] or Decimal(0)
        assert item.on_hand == posted >= 0, item
        assert 0 <= item.reserved <= item.on_hand
        assert item.incoming >= 0
    for post in Posting.objects.select_related("inventory_list"):
        assert post.inventory_list.status == "accepted" and post.inventory_list.posting == "posted"
    reserved = {}
    for lst in InventoryList.objects.filter(posting="reserved"):
        for item, delta in bonded._effects(lst):
            if delta < 0:
                reserved[item.pk] = reserved.get(item.pk, 0) - delta
    for item in BookItem.objects.all():
        assert item.reserved == reserved.get(item.pk, 0)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(ops=st.lists(op, min_size=1, max_size=25))
def test_any_sequence_keeps_every_book_balanced_and_replays_change_nothing(bz, ops):
    items = [bz.pellets, bz.wine]
    with transaction.atomic():
        declared: list[str] = []
        for n, step in enumerate(ops):
            try:
                for _attempt in range(2):  # every operation is also repeated, as a double click would
                    if step[0] == "declare":
                        _, movement, which, qty, sign, key = step
                        line = {"item_seq": items[which].seq, "quantity": str(qty)}
                        extra = {}
                        if movement == "adjustment":
                            line["sign"], extra["reason"] = sign, "盘点"
                        if movement == "transfer":
                            if which:
                                break  # only pellets have a receiving line in the other book
                            line["counterpart_item_seq"] = bz.other_pellets.seq
                            extra["counterpart_book"] = bz.other_book.number
                        lst, _ = bonded.declare(
                            bz.operator,
                            bz.book.number,
                            {"movement": movement, "internal_no": f"K{key}-{n}", "lines": [line], **extra},
                        )
                        if lst.number not in declared:
                            declared.append(lst.number)
                    elif step[0] == "review" and declared:
                        bonded.review(bz.customs, declared[step[1] % len(declared)], step[2], "退单原因")
                    elif step[0] == "gate" and declared:
                        number = declared[step[1] % len(declared)]
                        note = bonded.apply_release(bz.operator, bz.book.number, plate="豫C1", list_numbers=[number])
                        bonded.pass_gate(bz.gate, note.token)
                    elif step[0] == "reverse" and declared:
                        number = declared[step[1] % len(declared)]
                        rev, _ = bonded.reverse(bz.operator, number, internal_no=f"R-{number}", reason="冲正")
                        bonded.review(bz.customs, rev.number, "accept")
            except BusinessError as exc:
                assert exc.status in (403, 404, 409, 422) and all(p.zh and p.en for p in exc.problems)
            _check(bz)
        transaction.set_rollback(True)
