"""The bonded zone's rules — 账册、核注清单、核放单: every movement backed by an accepted list, stock
never negative, declarations idempotent, mistakes reversed by a new list, goods released at the
gate only with accepted documents."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zimao.bonded import services as bonded
from zimao.bonded.models import InventoryList, Posting
from zimao.core.errors import BusinessError

pytestmark = pytest.mark.django_db
D = Decimal


def declare(bz, movement="import_abroad", lines=None, internal_no="IN-1", book=None, user=None, **extra):
    data = {
        "movement": movement,
        "internal_no": internal_no,
        "lines": lines if lines is not None else [{"item_seq": bz.pellets.seq, "quantity": "20000"}],
        **extra,
    }
    lst, _ = bonded.declare(user or bz.operator, (book or bz.book).number, data)
    return lst


def through_gate(bz, *lists, plate="豫C12345"):
    note = bonded.apply_release(bz.operator, lists[0].book.number, plate=plate, list_numbers=[x.number for x in lists])
    note, problems = bonded.pass_gate(bz.gate, note.token)
    return note, problems


def stock(item):
    item.refresh_from_db()
    return item.on_hand, item.reserved, item.incoming


def test_goods_in_from_abroad_post_only_when_they_pass_the_gate(bz):
    lst = declare(bz)
    assert lst.number.startswith("QD4101") and lst.number[8] == "I" and len(lst.number) == 18
    assert stock(bz.pellets) == (0, 0, 0)  # declared: nothing moves yet
    bonded.review(bz.customs, lst.number, "accept")
    assert stock(bz.pellets) == (0, 0, D(20000))  # 预增: expected at the gate
    note, problems = through_gate(bz, lst)
    assert problems == [] and note.status == "passed"
    assert stock(bz.pellets) == (D(20000), 0, 0)
    lst.refresh_from_db()
    assert lst.posting == "posted"
    post = Posting.objects.get(inventory_list=lst)
    assert (post.delta, post.balance, post.value_usd) == (D(20000), D(20000), D("24000.00"))


def test_goods_out_are_reserved_at_acceptance_so_no_two_lists_take_the_same_goods(bz):
    lst = declare(bz)
    bonded.review(bz.customs, lst.number, "accept")
    through_gate(bz, lst)
    out1 = declare(bz, "export_abroad", [{"item_seq": bz.pellets.seq, "quantity": "15000"}], internal_no="OUT-1")
    out2 = declare(bz, "export_abroad", [{"item_seq": bz.pellets.seq, "quantity": "6000"}], internal_no="OUT-2")
    bonded.review(bz.customs, out1.number, "accept")
    assert stock(bz.pellets) == (D(20000), D(15000), 0)
    with pytest.raises(BusinessError) as err:
        bonded.review(bz.customs, out2.number, "accept")
    assert err.value.status == 409
    problem = err.value.problems[0]
    assert problem.code == "insufficient" and "5000" in problem.zh and "available" in problem.en
    out2.refresh_from_db()
    assert out2.status == "declared"  # still there for customs to return, nothing lost
    through_gate(bz, out1)
    assert stock(bz.pellets) == (D(5000), 0, 0)


def test_a_repeated_declaration_is_the_same_list_and_a_reused_number_with_other_content_is_refused(bz):
    first = declare(bz)
    again, created = bonded.declare(
        bz.operator,
        bz.book.number,
        {
            "movement": "import_abroad",
            "internal_no": "IN-1",
            "lines": [{"item_seq": bz.pellets.seq, "quantity": "20000"}],
        },
    )
    assert (again.pk, created) == (first.pk, False)
    with pytest.raises(BusinessError) as err:
        declare(bz, lines=[{"item_seq": bz.pellets.seq, "quantity": "20001"}])
    assert err.value.status == 422 and err.value.problems[0].field == "internal_no"
    assert InventoryList.objects.count() == 1


def test_decisions_are_idempotent_and_a_contrary_one_is_refused(bz):
    lst = declare(bz)
    bonded.review(bz.customs, lst.number, "accept")
    bonded.review(bz.customs, lst.number, "accept")  # a double click
    assert stock(bz.pellets) == (0, 0, D(20000))
    with pytest.raises(BusinessError) as err:
        bonded.review(bz.customs, lst.number, "return", "wrong")
    assert err.value.status == 409


def test_returned_lists_never_move_stock_and_need_a_reason(bz):
    lst = declare(bz)
    with pytest.raises(BusinessError) as err:
        bonded.review(bz.customs, lst.number, "return")
    assert err.value.problems[0].field == "reason"
    bonded.review(bz.customs, lst.number, "return", "商品编码与实货不符")
    assert stock(bz.pellets) == (0, 0, 0)
    note = bonded.apply_release(bz.operator, bz.book.number, plate="豫C1", list_numbers=[lst.number])
    note, problems = bonded.pass_gate(bz.gate, note.token)
    assert note.status == "held" and problems[0].code == "not_accepted"
    assert stock(bz.pellets) == (0, 0, 0)


def test_a_vehicle_with_a_list_not_yet_accepted_is_held_and_passes_once_it_is(bz):
    lst = declare(bz)
    note = bonded.apply_release(bz.operator, bz.book.number, plate="豫C2", list_numbers=[lst.number])
    held, problems = bonded.pass_gate(bz.gate, note.token)
    assert held.status == "held" and "not been accepted" in problems[0].en
    assert held.gate_records.get().passed is False
    bonded.review(bz.customs, lst.number, "accept")
    passed, problems = bonded.pass_gate(bz.gate, note.token)
    assert passed.status == "passed" and problems == []
    again, _ = bonded.pass_gate(bz.gate, note.token)  # scanned twice: posted once
    assert Posting.objects.filter(inventory_list=lst).count() == 1 and stock(bz.pellets)[0] == D(20000)


def test_a_domestic_sale_needs_a_released_customs_declaration(bz):
    from zimao.trade.window import services as window

    lst = declare(bz)
    bonded.review(bz.customs, lst.number, "accept")
    through_gate(bz, lst)
    with pytest.raises(BusinessError) as err:
        declare(bz, "domestic_out", [{"item_seq": bz.pellets.seq, "quantity": "3000"}], internal_no="DOM-1")
    assert err.value.problems[0].field == "declaration_number"
    with pytest.raises(BusinessError) as err:
        declare(
            bz,
            "domestic_out",
            [{"item_seq": bz.pellets.seq, "quantity": "3000"}],
            internal_no="DOM-1",
            declaration_number="SWNOSUCH",
        )
    assert err.value.problems[0].code == "unknown"
    assert not window.declaration_released("SWNOSUCH")


def test_a_transfer_moves_goods_from_one_book_to_another_at_acceptance(bz):
    lst = declare(bz)
    bonded.review(bz.customs, lst.number, "accept")
    through_gate(bz, lst)
    move = declare(
        bz,
        "transfer",
        [{"item_seq": bz.pellets.seq, "quantity": "4000", "counterpart_item_seq": bz.other_pellets.seq}],
        internal_no="TR-1",
        counterpart_book=bz.other_book.number,
    )
    bonded.review(bz.customs, move.number, "accept")
    assert stock(bz.pellets)[0] == D(16000) and stock(bz.other_pellets)[0] == D(4000)
    with pytest.raises(BusinessError) as err:  # the receiving line must be the same goods
        declare(
            bz,
            "transfer",
            [{"item_seq": bz.pellets.seq, "quantity": "1", "counterpart_item_seq": 99}],
            internal_no="TR-2",
            counterpart_book=bz.other_book.number,
        )
    assert err.value.problems[0].field == "lines[0].counterpart_item_seq"


def test_processing_consumes_materials_by_the_declared_norm(bz):
    # 单耗 = 0.95 ÷ (1 − 0.05) = 1.000 kg of pellets per box (the reference's worked example).
    bonded.set_norm(bz.customs, product=bz.box, material=bz.material, net="0.95", tangible_loss="0.05")
    lst = declare(bz, lines=[{"item_seq": bz.material.seq, "quantity": "20000"}], book=bz.plant, internal_no="P-IN")
    bonded.review(bz.customs, lst.number, "accept")
    through_gate(bz, lst)
    run = declare(bz, "processing", [{"item_seq": bz.box.seq, "quantity": "15000"}], book=bz.plant, internal_no="P-1")
    bonded.review(bz.customs, run.number, "accept")
    assert stock(bz.box)[0] == D(15000) and stock(bz.material)[0] == D(5000)
    too_many = declare(
        bz, "processing", [{"item_seq": bz.box.seq, "quantity": "6000"}], book=bz.plant, internal_no="P-2"
    )
    with pytest.raises(BusinessError):  # 6,000 boxes need 6,000 kg; 5,000 are there
        bonded.review(bz.customs, too_many.number, "accept")
    assert stock(bz.material)[0] == D(5000)


def test_a_stocktake_adjustment_needs_a_reason_and_cannot_make_stock_negative(bz):
    lst = declare(bz)
    bonded.review(bz.customs, lst.number, "accept")
    through_gate(bz, lst)
    with pytest.raises(BusinessError) as err:
        declare(bz, "adjustment", [{"item_seq": bz.pellets.seq, "quantity": "20", "sign": -1}], internal_no="ADJ-1")
    assert err.value.problems[0].field == "reason"
    short = declare(
        bz,
        "adjustment",
        [{"item_seq": bz.pellets.seq, "quantity": "20", "sign": -1}],
        internal_no="ADJ-1",
        reason="盘点短少20千克",
    )
    bonded.review(bz.customs, short.number, "accept")
    assert stock(bz.pellets)[0] == D(19980)
    huge = declare(
        bz,
        "adjustment",
        [{"item_seq": bz.pellets.seq, "quantity": "20000", "sign": -1}],
        internal_no="ADJ-2",
        reason="错误",
    )
    with pytest.raises(BusinessError):
        bonded.review(bz.customs, huge.number, "accept")


def test_a_mistaken_list_is_reversed_by_a_new_one_never_edited(bz):
    lst = declare(bz)
    bonded.review(bz.customs, lst.number, "accept")
    through_gate(bz, lst)
    rev, created = bonded.reverse(bz.operator, lst.number, internal_no="REV-1", reason="重复申报")
    again, created_again = bonded.reverse(bz.operator, lst.number, internal_no="REV-1", reason="重复申报")
    assert created and not created_again and again.pk == rev.pk
    bonded.review(bz.customs, rev.number, "accept")
    assert stock(bz.pellets)[0] == 0
    deltas = list(Posting.objects.filter(item=bz.pellets).values_list("delta", flat=True))
    assert deltas == [D(20000), D(-20000)]  # the original posting is still there
    with pytest.raises(BusinessError):
        bonded.reverse(bz.operator, lst.number, internal_no="REV-2", reason="again")
    with pytest.raises(BusinessError):
        bonded.reverse(bz.operator, rev.number, internal_no="REV-3", reason="undo the undo")


def test_each_sees_only_what_is_theirs(bz):
    lst = declare(bz)
    with pytest.raises(BusinessError) as err:  # another enterprise's operator
        bonded.get_book_for(bz.other_operator, bz.book.number)
    assert err.value.status == 404
    with pytest.raises(BusinessError):
        bonded.declare(
            bz.other_operator, bz.book.number, {"movement": "import_abroad", "internal_no": "X", "lines": []}
        )
    with pytest.raises(BusinessError) as err:  # an operator cannot decide their own list
        bonded.review(bz.operator, lst.number, "accept")
    assert err.value.status == 403
    with pytest.raises(BusinessError):  # the gate keeper reads no books
        bonded.get_book_for(bz.gate, bz.book.number)
    with pytest.raises(BusinessError):  # and an operator cannot play the gate
        bonded.pass_gate(
            bz.operator, bonded.apply_release(bz.operator, bz.book.number, plate="A", list_numbers=[lst.number]).token
        )
    assert bonded.get_book_for(bz.customs, bz.book.number) == bz.book


def test_bad_lines_name_the_field_in_both_languages(bz):
    with pytest.raises(BusinessError) as err:
        declare(
            bz,
            lines=[
                {"item_seq": 999, "quantity": "1"},
                {"item_seq": bz.pellets.seq, "quantity": "-5"},
                {"item_seq": bz.wine.seq, "quantity": "1.123456"},
            ],
        )
    fields = {p.field: p for p in err.value.problems}
    assert set(fields) == {"lines[0].item_seq", "lines[1].quantity", "lines[2].quantity"}
    assert all(p.zh and p.en for p in fields.values())


def test_reconciliation_balances_item_by_item_and_traces_every_line(bz):
    lst = declare(bz)
    bonded.review(bz.customs, lst.number, "accept")
    through_gate(bz, lst)
    out = declare(bz, "export_abroad", [{"item_seq": bz.pellets.seq, "quantity": "13000"}], internal_no="OUT")
    bonded.review(bz.customs, out.number, "accept")
    through_gate(bz, out)
    adj = declare(
        bz, "adjustment", [{"item_seq": bz.pellets.seq, "quantity": "20", "sign": -1}], internal_no="A", reason="盘亏"
    )
    bonded.review(bz.customs, adj.number, "accept")
    from django.utils import timezone

    today = timezone.localdate()
    rows = {r.item.seq: r for r in bonded.reconcile(bz.customs, bz.book.number, today, today)}
    r = rows[bz.pellets.seq]
    assert (r.opening, r.moves["in"], r.moves["out"], r.moves["adjustment"], r.closing) == (
        0,
        D(20000),
        D(-13000),
        D(-20),
        D(6980),
    )
    assert r.balanced and [p.inventory_list.number for p in r.postings] == [lst.number, out.number, adj.number]
    assert bonded.discrepancies(bz.customs) == []
