"""Bonded-zone pages through the Django test client: each role's pages, forms with field errors,
the Excel reconciliation, and nobody else's books."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from zimao.bonded import services as bonded

pytestmark = pytest.mark.django_db


def as_(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_operator_declares_on_the_book_page_and_errors_name_the_line(bz):
    c = as_(bz.operator)
    page = c.get(f"/bonded/books/{bz.book.number}/")
    assert page.status_code == 200 and "PP-001" in page.content.decode()
    bad = c.post(
        f"/bonded/books/{bz.book.number}/",
        {"movement": "import_abroad", "internal_no": "W1", "item_seq_2": str(bz.pellets.seq), "quantity_2": "-3"},
    )
    html = bad.content.decode()
    assert bad.status_code == 200 and 'href="#f-quantity-2"' in html and 'id="f-quantity-2-error"' in html
    ok = c.post(
        f"/bonded/books/{bz.book.number}/",
        {"movement": "import_abroad", "internal_no": "W1", "item_seq_0": str(bz.pellets.seq), "quantity_0": "500"},
    )
    assert ok.status_code == 302
    number = ok["Location"].rstrip("/").split("/")[-1]
    assert bonded.get_list_for(bz.operator, number).lines.get().quantity == 500


def test_customs_reviews_on_the_list_page_and_the_gate_passes_the_vehicle(bz):
    lst, _ = bonded.declare(
        bz.operator,
        bz.book.number,
        {"movement": "import_abroad", "internal_no": "A", "lines": [{"item_seq": bz.pellets.seq, "quantity": "10"}]},
    )
    assert (
        as_(bz.operator).post(f"/bonded/lists/{lst.number}/", {"action": "review", "outcome": "accept"}).status_code
        == 403
    )
    home = as_(bz.customs).get("/bonded/")
    assert lst.number in home.content.decode()
    r = as_(bz.customs).post(f"/bonded/lists/{lst.number}/", {"action": "review", "outcome": "accept"})
    assert r.status_code == 302
    r = as_(bz.operator).post(f"/bonded/books/{bz.book.number}/release/", {"plate": "豫C9", "lists": [lst.number]})
    note_page = as_(bz.operator).get(r["Location"])
    assert "<svg" in note_page.content.decode()
    note = lst.release_notes.get()
    gate = as_(bz.gate).get(f"/bonded/gate/{note.token}/")
    assert gate.status_code == 200 and "USD" not in gate.content.decode()  # no prices at the gate
    assert as_(bz.operator).get(f"/bonded/gate/{note.token}/").status_code == 403
    as_(bz.gate).post(f"/bonded/gate/{note.token}/")
    note.refresh_from_db()
    assert note.status == "passed"


def test_reconciliation_page_and_excel(bz):
    lst, _ = bonded.declare(
        bz.operator,
        bz.book.number,
        {
            "movement": "adjustment",
            "internal_no": "S",
            "reason": "盘盈",
            "lines": [{"item_seq": bz.pellets.seq, "quantity": "7", "sign": 1}],
        },
    )
    bonded.review(bz.customs, lst.number, "accept")
    today = timezone.localdate().isoformat()
    c = as_(bz.operator)
    page = c.get(f"/bonded/books/{bz.book.number}/reconciliation/", {"start": today, "end": today})
    assert page.status_code == 200 and lst.number in page.content.decode()
    xlsx = c.get(f"/bonded/books/{bz.book.number}/reconciliation.xlsx", {"start": today, "end": today})
    wb = load_workbook(io.BytesIO(xlsx.content))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    pellets = next(r for r in rows[1:] if r[0] == bz.pellets.seq)
    assert pellets[3] == 0 and pellets[-2] == 7 and pellets[-1] == "是 yes"
    assert list(wb.worksheets[1].iter_rows(values_only=True))[1][2] == lst.number
    bad = c.get(f"/bonded/books/{bz.book.number}/reconciliation/", {"start": "not-a-date"})
    assert bad.status_code == 200 and "f-start-error" in bad.content.decode()


def test_nobody_else_sees_a_book(bz):
    assert as_(bz.other_operator).get(f"/bonded/books/{bz.book.number}/").status_code == 404
    assert as_(bz.other_operator).get(f"/bonded/books/{bz.book.number}/reconciliation.xlsx").status_code == 404
    assert as_(bz.gate).get(f"/bonded/books/{bz.book.number}/").status_code == 404
    assert Client().get("/bonded/").status_code == 302
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("nobody", password="x-for-tests")
    assert as_(nobody).get("/bonded/").status_code == 403
