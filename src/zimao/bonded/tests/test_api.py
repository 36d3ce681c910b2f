"""The bonded zone through the API as an enterprise's WMS, customs and the gate meet it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from zimao.bonded.models import InventoryList
from zimao.core.apiauth import issue_token

pytestmark = pytest.mark.django_db
API = "/api/v1/bonded"


def client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(user)}")


def test_a_warehouse_day_through_the_api(bz):
    wms, customs, gate = client(bz.operator), client(bz.customs), client(bz.gate)
    body = {
        "movement": "import_abroad",
        "internal_no": "WMS-1",
        "lines": [{"item_seq": bz.pellets.seq, "quantity": "20000"}],
    }
    r = wms.post(f"{API}/books/{bz.book.number}/lists", body, content_type="application/json")
    assert r.status_code == 201, r.content
    number = r.json()["number"]
    again = wms.post(f"{API}/books/{bz.book.number}/lists", body, content_type="application/json")
    assert again.status_code == 200 and again.json()["number"] == number  # a retry of the WMS
    other = wms.post(
        f"{API}/books/{bz.book.number}/lists",
        {**body, "lines": [{"item_seq": bz.pellets.seq, "quantity": "1"}]},
        content_type="application/json",
    )
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "internal_no"

    assert [x["number"] for x in customs.get(f"{API}/lists").json()] == [number]
    assert (
        wms.post(f"{API}/lists/{number}/review", {"outcome": "accept"}, content_type="application/json").status_code
        == 403
    )
    r = customs.post(f"{API}/lists/{number}/review", {"outcome": "accept"}, content_type="application/json")
    assert r.json()["status"] == "accepted" and r.json()["posting"] == "reserved"

    r = wms.post(
        f"{API}/books/{bz.book.number}/release-notes",
        {"plate": "豫C12345", "lists": [number]},
        content_type="application/json",
    )
    assert r.status_code == 201
    token = r.json()["token"]
    assert wms.post(f"{API}/gate/{token}").status_code == 403  # only the gate passes vehicles
    r = gate.post(f"{API}/gate/{token}")
    assert r.json() == {
        "number": r.json()["number"],
        "plate": "豫C12345",
        "status": "passed",
        "passed": True,
        "reasons": [],
    }

    stock = {i["seq"]: i for i in wms.get(f"{API}/books/{bz.book.number}").json()["items"]}
    assert stock[bz.pellets.seq]["on_hand"] == "20000.00000"
    today = timezone.localdate().isoformat()
    rec = customs.get(f"{API}/books/{bz.book.number}/reconciliation", {"start": today, "end": today}).json()
    row = next(r for r in rec if r["item_seq"] == bz.pellets.seq)
    assert row["balanced"] and row["lists"] == [number]


def test_others_see_nothing_of_a_book_and_bad_input_names_the_field(bz):
    assert client(bz.other_operator).get(f"{API}/books/{bz.book.number}").status_code == 404
    assert client(bz.gate).get(f"{API}/books").json() == []
    r = client(bz.operator).post(
        f"{API}/books/{bz.book.number}/lists",
        {"movement": "import_abroad", "internal_no": "X", "lines": [{"item_seq": 1, "quantity": "-1"}]},
        content_type="application/json",
    )
    assert r.status_code == 422 and "quantity" in r.json()["errors"][0]["field"]
    assert r.json()["errors"][0]["message_zh"] and r.json()["errors"][0]["message_en"]
    assert Client().get(f"{API}/books").status_code in (401, 403)
    assert InventoryList.objects.count() == 0
    r = client(bz.customs).get(
        f"{API}/books/{bz.book.number}/reconciliation", {"start": "0001-01-01", "end": "2026-01-01"}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "start"
