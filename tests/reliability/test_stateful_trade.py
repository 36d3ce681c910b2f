"""Stateful API fuzzing of trade — 国际贸易有状态模糊测试: random sequences of what an exporter,
the issuing body and the public do through the trade API, each step sometimes sent twice.

- an exporter applies for a certificate of origin (a case of RCEP-CO), with or without an
  idempotency key, the same key again with the same body (the same application, 200) or with
  another body (422); it may withdraw an application still waiting;
- the issuing body issues or refuses a waiting application, invalidates an issued certificate;
  a second decision is refused (409) and changes nothing; the exporter cannot decide;
- the exporter declares once to the single window (单一窗口), keys as above; a stranger can read
  neither its certificates nor its declarations;
- anyone verifies an issued certificate: genuine, valid until invalidated.

A model follows each application (submitted → issued → invalidated, or refused, or withdrawn) and
checks every answer: no 5xx, every refusal bilingual, no move outside the lifecycle. At the end
the audit chain verifies.
"""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from reliability.stateful import bilingual_refusal, client, machine_settings
from zimao.trade.tests.trade_helpers import application

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

API = "/api/v1/trade"
RUNS = itertools.count()
REACHED: Counter = Counter()
# Where an application can go from each state (Art. 3.17); anything else is refused with 409.
MOVES = {"submitted": {"issued", "refused", "withdrawn"}, "issued": {"invalidated"}}


class TradeApi(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.run = next(RUNS)
        self.exporter = client(self.trade.applicant)
        self.desk = client(self.trade.coo)
        self.stranger = client(self.trade.applicant2)
        self.public = Client()
        self.keys: dict[str, tuple[str, str]] = {}  # key → (reference, body variant) first sent
        self.state: dict[str, str] = {}  # reference → lifecycle state
        self.number: dict[str, str] = {}  # reference → certificate number once issued
        self.sw_keys: dict[str, tuple[str, str]] = {}
        self.declarations: set[str] = set()

    def post(self, who: Client, path: str, body: dict, **headers):
        response = who.post(f"{API}/{path}", body, content_type="application/json", **headers)
        bilingual_refusal(response)
        return response

    def pick(self, data, any_state: bool) -> str:
        """Mostly an application still waiting (the live path); sometimes any (moves out of turn)."""
        waiting = sorted(r for r, s in self.state.items() if s == "submitted")
        return data.draw(st.sampled_from(sorted(self.state) if any_state or not waiting else waiting), label="ref")

    def decide(self, reference: str, target: str, response) -> None:
        """Check an answer against the lifecycle and move the model."""
        if target in MOVES.get(self.state[reference], ()):
            assert response.status_code == 200, (self.state[reference], target, response.content[:300])
            assert response.json()["status"] == target
            REACHED[f"{self.state[reference]} → {target}"] += 1
            self.state[reference] = target
        else:
            assert response.status_code == 409, (self.state[reference], target, response.content[:300])
            REACHED["move outside the lifecycle refused"] += 1

    # ------------------------------------------------------------------ certificates

    @rule(key=st.sampled_from(["", "c-a", "c-b"]), variant=st.sampled_from(["A", "B"]), twice=st.booleans())
    def apply(self, key, variant, twice):
        headers = {"HTTP_IDEMPOTENCY_KEY": f"run{self.run}-{key}"} if key else {}
        body = application(self.trade.exporter.uscc, remarks=f"lot {variant}")
        response = self.post(self.exporter, "certificates", body, **headers)
        if key in self.keys:
            reference, first = self.keys[key]
            if variant == first:
                assert response.status_code == 200 and response.json()["reference"] == reference
                REACHED["same key, same body"] += 1
            else:
                assert response.status_code == 422 and response.json()["errors"][0]["code"] == "key_reused"
                REACHED["same key, other body"] += 1
            return
        assert response.status_code == 201, response.content[:300]
        reference = response.json()["reference"]
        assert response.json()["status"] == "submitted" and reference not in self.state
        self.state[reference] = "submitted"
        if key:
            self.keys[key] = (reference, variant)
        REACHED["applied"] += 1
        if twice and key:
            again = self.post(self.exporter, "certificates", body, **headers)
            assert again.status_code == 200 and again.json()["reference"] == reference

    @precondition(lambda self: self.state)
    @rule(data=st.data(), any_state=st.booleans(), twice=st.booleans(), intruder=st.booleans())
    def issue(self, data, any_state, twice, intruder):
        reference = self.pick(data, any_state)
        if intruder:  # the exporter cannot issue its own certificate, whatever the state
            refused = self.post(self.exporter, f"certificates/{reference}/issue", {})
            assert refused.status_code in (403, 404), refused.content[:300]
            REACHED["exporter cannot issue"] += 1
        response = self.post(self.desk, f"certificates/{reference}/issue", {})
        self.decide(reference, "issued", response)
        if response.status_code == 200:
            self.number[reference] = response.json()["number"]
            assert self.number[reference]
        if twice:
            self.decide(reference, "issued", self.post(self.desk, f"certificates/{reference}/issue", {}))

    @precondition(lambda self: self.state)
    @rule(data=st.data(), any_state=st.booleans(), twice=st.booleans())
    def refuse(self, data, any_state, twice):
        reference = self.pick(data, any_state)
        body = {"reason": "Goods not originating as declared 货物不符合原产地规则"}
        for _ in range(2 if twice else 1):
            self.decide(reference, "refused", self.post(self.desk, f"certificates/{reference}/refuse", body))

    @precondition(lambda self: self.state)
    @rule(data=st.data(), any_state=st.booleans(), twice=st.booleans())
    def withdraw(self, data, any_state, twice):
        reference = self.pick(data, any_state)
        for _ in range(2 if twice else 1):
            self.decide(reference, "withdrawn", self.post(self.exporter, f"certificates/{reference}/withdraw", {}))

    @precondition(lambda self: self.number)
    @rule(data=st.data(), twice=st.booleans())
    def invalidate(self, data, twice):
        reference = data.draw(st.sampled_from(sorted(self.number)), label="certificate")
        body = {"reason": "A corrected certificate replaces it 更正后重新签发"}
        for _ in range(2 if twice else 1):
            path = f"certificates/{self.number[reference]}/invalidate"
            self.decide(reference, "invalidated", self.post(self.desk, path, body))
        self.verify_certificate(reference)

    def verify_certificate(self, reference: str) -> None:
        response = self.public.get(f"{API}/verify/{self.number[reference]}")
        bilingual_refusal(response)
        facts = response.json()
        assert response.status_code == 200 and facts["genuine"], facts
        expected = "valid" if self.state[reference] == "issued" else "invalidated"
        assert facts["status"] == expected, (self.state[reference], facts["status"])
        REACHED[f"verified {expected}"] += 1

    @precondition(lambda self: self.number)
    @rule(data=st.data())
    def verify(self, data):
        self.verify_certificate(data.draw(st.sampled_from(sorted(self.number)), label="certificate"))

    # ------------------------------------------------------------------ single window

    @rule(key=st.sampled_from(["", "s-a", "s-b"]), country=st.sampled_from(["JP", "KR"]), twice=st.booleans())
    def declare(self, key, country, twice):
        headers = {"HTTP_IDEMPOTENCY_KEY": f"run{self.run}-{key}"} if key else {}
        today = timezone.localdate().isoformat()
        body = {
            "trader_uscc": self.trade.exporter.uscc,
            "destination_country": country,
            "consignee": {"name": "Harbour Trading Co.", "address": "1 Harbour Road"},
            "transport": {
                "mode": "sea",
                "departure_date": today,
                "vessel": "COSCO HARMONY",
                "port_of_loading": "Qingdao",
                "port_of_discharge": "Busan" if country == "KR" else "Osaka",
            },
            "currency": "USD",
            "invoice": {"number": "ZM-1", "date": today},
            "goods": [{"hs": "940360", "description": "Oak chairs", "quantity": "500", "unit": "PCS", "value": "5000"}],
        }
        for _ in range(2 if twice else 1):
            response = self.post(self.exporter, "declarations", body, **headers)
            if key in self.sw_keys:
                number, first = self.sw_keys[key]
                if country == first:
                    assert response.status_code == 200 and response.json()["number"] == number
                    REACHED["declaration: same key, same body"] += 1
                else:
                    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "key_reused"
                    REACHED["declaration: same key, other body"] += 1
                continue
            assert response.status_code == 201, response.content[:300]
            number = response.json()["number"]
            assert number not in self.declarations
            self.declarations.add(number)
            if key:
                self.sw_keys[key] = (number, country)
            REACHED["declared"] += 1

    # ------------------------------------------------------------------ invariants

    @invariant()
    def the_exporter_sees_its_applications_as_the_model_says(self):
        if not self.state:
            return
        listed = {c["reference"]: c["status"] for c in self.exporter.get(f"{API}/certificates?limit=200").json()}
        for reference, state in self.state.items():
            assert listed.get(reference) == state, (reference, state, listed.get(reference))

    @invariant()
    def a_stranger_sees_nothing_of_the_exporter(self):
        if not (self.state or self.declarations):
            return
        assert not {c["reference"] for c in self.stranger.get(f"{API}/certificates").json()} & set(self.state)
        assert not {d["number"] for d in self.stranger.get(f"{API}/declarations").json()} & self.declarations
        for number in list(self.declarations)[:1]:
            assert self.stranger.get(f"{API}/declarations/{number}").status_code == 404

    def teardown(self):
        for reference in self.number:
            self.verify_certificate(reference)


SETTINGS = machine_settings(max_examples=9, steps=10)


def test_random_sequences_of_trade_operations_keep_every_certificate_in_its_lifecycle(trade_world):
    from zimao.core import audit

    run_state_machine_as_test(TradeApi, settings=SETTINGS)
    for reached in (
        "applied",
        "same key, same body",
        "same key, other body",
        "submitted → issued",
        "submitted → refused",
        "submitted → withdrawn",
        "issued → invalidated",
        "move outside the lifecycle refused",
        "exporter cannot issue",
        "verified valid",
        "verified invalidated",
        "declared",
        "declaration: same key, same body",
        "declaration: same key, other body",
    ):
        assert REACHED[reached], (reached, sorted(REACHED.items()))
    assert audit.verify().ok


@pytest.fixture
def trade_world(zone, settings):
    """The trade fixture of the trade app's tests, with agencies that answer at once."""
    from decimal import Decimal
    from types import SimpleNamespace

    from django.contrib.auth import get_user_model

    from zimao.registry.services import register_demo_entity
    from zimao.trade import demo
    from zimao.trade.models import ExchangeRate
    from zimao.web.demo import DEMO_PASSWORD

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ZIMAO_TRADE_SANDBOX = {
        "seed": 3,
        "default": {"outage_rate": 0, "reject_rate": 0, "min_delay": 0, "max_delay": 0, "fail_first": 0},
    }
    demo.load(password=DEMO_PASSWORD)
    users = {u.username: u for u in get_user_model().objects.all()}
    exporter = register_demo_entity(**demo.DEMO_EXPORTER, established_on=timezone.localdate().replace(year=2019))
    ExchangeRate.objects.create(
        currency="USD", month=timezone.localdate().replace(day=1), cny_per_unit=Decimal("7.1000"), source="test"
    )
    TradeApi.trade = SimpleNamespace(**users, exporter=exporter, coo=users["reviewer_coo"])
    return TradeApi.trade
