"""Stateful API fuzzing of the bonded zone — 综合保税区有状态模糊测试: random sequences of what an
enterprise's WMS, customs and the gate keeper do through the bonded API, each step sometimes sent
twice.

- the WMS declares 核注清单 (in from abroad, out to abroad, stocktake adjustments) with its own
  list number as the idempotency key: the same number and content again is the same list (200),
  other content under the same number is refused (422); another enterprise cannot declare on
  the book;
- customs accepts or returns a declared list: the same decision again is harmless, a contrary
  one is refused (409); a list that would take more than is available is refused (409) and stays
  declared; the WMS cannot review;
- a vehicle's release note (核放单) is scanned at the gate: held while a list is not accepted, passed
  once it is — its lists post then, and a second scan changes nothing;
- a posted list is reversed (冲正) by a new list that customs reviews like any other; a second
  reversal is refused.

A model keeps each list's lifecycle and each item's stock (on hand, reserved for the gate, coming
in) and checks every answer against it: no 5xx, every refusal bilingual, nothing moves outside the
lifecycle, nothing happens twice; stock is never negative and equals the sum of its postings; at
the end the audit chain verifies.
"""

from __future__ import annotations

import itertools
from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.test import Client
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from reliability.stateful import bilingual_refusal, client, machine_settings

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

API = "/api/v1/bonded"
RUNS = itertools.count()
REACHED: Counter = Counter()
GATE = {"import_abroad", "export_abroad"}  # the movements of this machine that pass the gate


class BondedApi(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        from zimao.bonded.models import BookItem

        self.run = next(RUNS)
        self.wms, self.customs, self.gate = client(self.bz.operator), client(self.bz.customs), client(self.bz.gate)
        self.intruder = client(self.bz.other_operator)
        self.items = {i.seq: i.pk for i in (self.bz.pellets, self.bz.wine)}
        self.stock = {  # seq → [on_hand, reserved, incoming], as the database has them now
            seq: [i.on_hand, i.reserved, i.incoming]
            for seq, i in ((s, BookItem.objects.get(pk=pk)) for s, pk in self.items.items())
        }
        self.keys: dict[str, tuple[str, tuple]] = {}  # internal number → (list, what it declared)
        self.lists: dict[str, dict] = {}  # list → {"status", "posting", "effects": {seq: delta}, "movement"}
        self.reversed: set[str] = set()

    def post(self, who: Client, path: str, body: dict | None = None):
        response = who.post(f"{API}/{path}", body or {}, content_type="application/json")
        bilingual_refusal(response)
        return response

    def available(self, seq) -> Decimal:
        on_hand, reserved, _ = self.stock[seq]
        return on_hand - reserved

    def pick(self, data, status: str, posting: str | None = None, *, any_state: bool = False) -> str | None:
        fits = sorted(
            n for n, x in self.lists.items() if x["status"] == status and (posting is None or x["posting"] == posting)
        )
        pool = sorted(self.lists) if any_state or not fits else fits
        return data.draw(st.sampled_from(pool), label="list") if pool else None

    # ------------------------------------------------------------------ the enterprise declares

    @rule(
        movement=st.sampled_from(["import_abroad", "export_abroad", "adjustment"]),
        seq=st.sampled_from([1, 2]),
        quantity=st.sampled_from(["5", "40", "300", "2000"]),
        sign=st.sampled_from([1, -1]),
        number=st.sampled_from(["", "", "n-a", "n-b"]),
        twice=st.booleans(),
        intruder=st.sampled_from([False, False, False, True]),
    )
    def declare(self, movement, seq, quantity, sign, number, twice, intruder):
        seq = sorted(self.items)[seq - 1]
        line = {"item_seq": seq, "quantity": quantity} | ({"sign": sign} if movement == "adjustment" else {})
        internal_no = f"run{self.run}-{number or len(self.lists) + len(self.keys) + 100}-{movement[:3]}"
        if number:
            internal_no = f"run{self.run}-{number}"
        body = {"movement": movement, "internal_no": internal_no, "lines": [line]}
        if movement == "adjustment":
            body["reason"] = "盘点差异 stocktake difference"
        what = (movement, seq, quantity, sign if movement == "adjustment" else None)
        if intruder:  # another enterprise's operator: not its book, and nothing is declared
            refused = self.post(self.intruder, f"books/{self.bz.book.number}/lists", body)
            assert refused.status_code in (403, 404), refused.content[:300]
            REACHED["intruder refused"] += 1
        for _ in range(2 if twice else 1):
            response = self.post(self.wms, f"books/{self.bz.book.number}/lists", body)
            if internal_no in self.keys:
                existing, first = self.keys[internal_no]
                if what == first:
                    assert response.status_code == 200 and response.json()["number"] == existing
                    REACHED["same number, same content"] += 1
                else:
                    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "internal_no"
                    REACHED["same number, other content"] += 1
                continue
            assert response.status_code == 201, response.content[:300]
            out = response.json()
            assert out["status"] == "declared" and out["posting"] == "none" and out["number"] not in self.lists
            delta = Decimal(quantity) * (sign if movement == "adjustment" else -1 if movement == "export_abroad" else 1)
            self.lists[out["number"]] = {
                "status": "declared",
                "posting": "none",
                "movement": movement,
                "effects": {seq: delta},
            }
            self.keys[internal_no] = (out["number"], what)
            REACHED["declared"] += 1

    # ------------------------------------------------------------------ customs

    @precondition(lambda self: any(x["status"] == "declared" for x in self.lists.values()))
    @rule(
        data=st.data(),
        outcome=st.sampled_from(["accept", "accept", "return"]),
        any_state=st.sampled_from([False, False, True]),
        twice=st.booleans(),
        wms_tries=st.sampled_from([False, False, False, True]),
        contrary=st.sampled_from([False, False, True]),
    )
    def review(self, data, outcome, any_state, twice, wms_tries, contrary):
        number = self.pick(data, "declared", any_state=any_state)
        body = {"outcome": outcome, "reason": "商品编码与实货不符" if outcome == "return" else ""}
        if wms_tries:
            refused = self.post(self.wms, f"lists/{number}/review", body)
            assert refused.status_code == 403, refused.content[:300]
            REACHED["wms cannot review"] += 1
        for _ in range(2 if twice else 1):
            self.expect_review(number, outcome, self.post(self.customs, f"lists/{number}/review", body))
        if contrary:  # customs changes its mind: refused once decided
            other = {"outcome": "return", "reason": "改判"} if outcome == "accept" else {"outcome": "accept"}
            self.expect_review(number, other["outcome"], self.post(self.customs, f"lists/{number}/review", other))

    def expect_review(self, number, outcome, response) -> None:
        lst = self.lists[number]
        target = "accepted" if outcome == "accept" else "returned"
        if lst["status"] == target:  # the same decision again: harmless, nothing changes
            assert response.status_code == 200 and response.json()["status"] == target
            REACHED["same decision again"] += 1
            return
        if lst["status"] != "declared":
            assert response.status_code == 409, (lst, outcome, response.content[:300])
            REACHED["contrary decision refused"] += 1
            return
        if target == "accepted" and any(d < 0 and self.available(s) + d < 0 for s, d in lst["effects"].items()):
            assert response.status_code == 409 and response.json()["errors"][0]["code"] == "insufficient"
            REACHED["insufficient refused"] += 1
            return
        assert response.status_code == 200, (lst, outcome, response.content[:300])
        out = response.json()
        lst["status"] = target
        if target == "accepted":
            if lst["movement"] in GATE:  # reserved for the gate: stock moves when the vehicle passes
                for seq, delta in lst["effects"].items():
                    self.stock[seq][1 if delta < 0 else 2] += abs(delta)
                lst["posting"] = "reserved"
            else:
                for seq, delta in lst["effects"].items():
                    self.stock[seq][0] += delta
                lst["posting"] = "posted"
        assert out["status"] == target and out["posting"] == lst["posting"], (lst, out)
        REACHED[f"{lst['movement']} {target}"] += 1

    # ------------------------------------------------------------------ the gate

    @precondition(lambda self: any(x["movement"] in GATE and x["posting"] != "posted" for x in self.lists.values()))
    @rule(data=st.data(), any_state=st.sampled_from([False, False, False, True]), twice=st.booleans())
    def through_the_gate(self, data, any_state, twice):
        waiting = [n for n, x in self.lists.items() if x["movement"] in GATE and x["posting"] != "posted"]
        ready = [n for n in waiting if self.lists[n]["posting"] == "reserved"]
        number = data.draw(st.sampled_from(sorted(waiting if any_state or not ready else ready)), label="list")
        lst = self.lists[number]
        note = self.post(
            self.wms, f"books/{self.bz.book.number}/release-notes", {"plate": "豫C12345", "lists": [number]}
        )
        assert note.status_code == 201, note.content[:300]
        token = note.json()["token"]
        for _ in range(2 if twice else 1):
            response = self.gate.post(f"{API}/gate/{token}")
            bilingual_refusal(response)
            out = response.json()
            assert response.status_code == 200
            if lst["status"] != "accepted" and lst["posting"] != "posted":
                assert not out["passed"] and out["status"] == "held" and out["reasons"], out
                assert all(r["message_zh"] and r["message_en"] for r in out["reasons"])
                REACHED["held at the gate"] += 1
                continue
            assert out["passed"] and out["status"] == "passed", out
            if lst["posting"] == "reserved":
                for seq, delta in lst["effects"].items():
                    self.stock[seq][0] += delta
                    self.stock[seq][1 if delta < 0 else 2] -= abs(delta)
                lst["posting"] = "posted"
                REACHED["passed the gate"] += 1
            else:
                REACHED["second scan changes nothing"] += 1
        again = self.post(
            self.wms, f"books/{self.bz.book.number}/release-notes", {"plate": "豫C12345", "lists": [number]}
        )
        if lst["posting"] == "posted":  # its goods passed: no second vehicle for them
            assert again.status_code == 422, again.content[:300]
            REACHED["no second release note"] += 1

    # ------------------------------------------------------------------ reversals

    @precondition(lambda self: any(x["posting"] == "posted" for x in self.lists.values()))
    @rule(data=st.data(), any_state=st.sampled_from([False, False, True]), twice=st.booleans())
    def reverse(self, data, any_state, twice):
        number = self.pick(data, "accepted", "posted", any_state=any_state)
        lst = self.lists[number]
        body = {"internal_no": f"run{self.run}-rev-{number}", "reason": "重复申报 declared twice"}
        for _ in range(2 if twice else 1):
            response = self.post(self.wms, f"lists/{number}/reversal", body)
            if lst["movement"] == "reversal" or lst["posting"] != "posted":
                assert response.status_code == 422, (lst, response.content[:300])
                REACHED["reversal out of turn refused"] += 1
                continue
            if number in self.reversed:  # the same reversal again: the same list
                assert response.status_code == 200, response.content[:300]
                assert response.json()["reverses"] == number
                REACHED["same reversal again"] += 1
                continue
            assert response.status_code == 201, response.content[:300]
            out = response.json()
            assert out["status"] == "declared" and out["reverses"] == number
            self.reversed.add(number)
            self.lists[out["number"]] = {
                "status": "declared",
                "posting": "none",
                "movement": "reversal",
                "effects": {seq: -delta for seq, delta in lst["effects"].items()},
            }
            REACHED["reversed"] += 1
        if number in self.reversed:
            other = self.post(self.wms, f"lists/{number}/reversal", {**body, "internal_no": f"{body['internal_no']}-2"})
            assert other.status_code == 409 and other.json()["errors"][0]["code"] == "already_reversed"
            REACHED["second reversal refused"] += 1

    # ------------------------------------------------------------------ invariants

    @invariant()
    def stock_is_what_the_model_says_and_never_negative(self):
        from zimao.bonded.models import BookItem

        for seq, pk in self.items.items():
            item = BookItem.objects.get(pk=pk)
            on_hand, reserved, incoming = self.stock[seq]
            assert (item.on_hand, item.reserved, item.incoming) == (on_hand, reserved, incoming), (seq, self.stock)
            posted = item.postings.aggregate(s=Sum("delta"))["s"] or Decimal(0)
            assert item.on_hand == posted >= 0 and 0 <= item.reserved <= item.on_hand and item.incoming >= 0

    def teardown(self):
        book = self.wms.get(f"{API}/books/{self.bz.book.number}").json()
        for row in book["items"]:
            if row["seq"] in self.stock:
                assert Decimal(row["on_hand"]) == self.stock[row["seq"]][0]
                assert Decimal(row["available"]) == self.available(row["seq"]) >= 0
        for number, lst in self.lists.items():
            out = self.wms.get(f"{API}/lists/{number}").json()
            assert (out["status"], out["posting"]) == (lst["status"], lst["posting"]), (number, lst, out)


SETTINGS = machine_settings(max_examples=8, steps=20)


def test_random_sequences_of_bonded_operations_keep_every_list_in_its_lifecycle_and_stock_true(bonded_zone):
    from zimao.core import audit

    run_state_machine_as_test(BondedApi, settings=SETTINGS)
    for reached in (
        "declared",
        "same number, same content",
        "same number, other content",
        "intruder refused",
        "wms cannot review",
        "import_abroad accepted",
        "export_abroad accepted",
        "adjustment accepted",
        "reversal accepted",
        "insufficient refused",
        "same decision again",
        "contrary decision refused",
        "held at the gate",
        "passed the gate",
        "second scan changes nothing",
        "no second release note",
        "reversed",
        "same reversal again",
        "second reversal refused",
        "reversal out of turn refused",
    ):
        assert REACHED[reached], (reached, sorted(REACHED.items()))
    assert audit.verify().ok


@pytest.fixture
def bonded_zone(db, settings):
    from zimao.bonded.tests.conftest import build

    bz = build(settings)
    # Opening stock, received the ordinary way (declared, accepted, through the gate), so that
    # goods can leave from the first step on.
    wms, customs, gate = client(bz.operator), client(bz.customs), client(bz.gate)
    lines = [{"item_seq": i.seq, "quantity": "500"} for i in (bz.pellets, bz.wine)]
    body = {"movement": "import_abroad", "internal_no": "OPENING-1", "lines": lines}
    number = wms.post(f"{API}/books/{bz.book.number}/lists", body, content_type="application/json").json()["number"]
    customs.post(f"{API}/lists/{number}/review", {"outcome": "accept"}, content_type="application/json")
    release = {"plate": "豫C00001", "lists": [number]}
    token = wms.post(f"{API}/books/{bz.book.number}/release-notes", release, content_type="application/json")
    assert gate.post(f"{API}/gate/{token.json()['token']}").json()["passed"]
    BondedApi.bz = bz
    return bz
