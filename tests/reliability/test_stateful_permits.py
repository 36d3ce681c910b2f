"""Stateful API fuzzing of permits — 证照分离有状态模糊测试: random sequences of what a company
and the department's reviewer do through the permits API, each step sometimes sent twice.

- an applicant signs commitments (告知承诺) for a permit, with or without an idempotency key,
  the same key again with the same body (the same case, 200) or with another body (422);
- the department's reviewer records the post-approval check (事后核查): "true" keeps the
  permit, "false" revokes it at once; a second decision is refused (409) and changes nothing;
- anyone verifies the permit through the public API: genuine always, current until revoked,
  never cached; another department's reviewer cannot record the check; a stranger cannot read
  the company's record.

A model follows each permit (open check → kept / revoked) and checks every answer: no 5xx,
every refusal bilingual, a revoked permit never comes back. At the end the audit chain verifies.
Trade (certificates of origin, the single window) is being restructured (issue 10): its chained
fuzzing is to follow on the new structure.
"""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from zimao.core.apiauth import issue_token

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

RUNS = itertools.count()
REACHED: Counter = Counter()
ITEM = "ZZ-PM"  # 拍卖业务许可, under 告知承诺, checked afterwards by commerce (COMMERCE)


def bilingual_refusal(response) -> None:
    assert response.status_code < 500, (response.status_code, response.content[:500])
    if response.status_code >= 400:
        errors = response.json()["errors"]
        assert errors and all(e["field"] and e["message_zh"] and e["message_en"] for e in errors), errors


class PermitApi(RuleBasedStateMachine):
    permits = Bundle("permits")

    def __init__(self):
        super().__init__()
        self.run = next(RUNS)
        self.applicant = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(self.company.applicant)}")
        self.reviewer = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(self.checker)}")
        self.other_reviewer = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(self.zone.reviewer)}")
        self.public = Client()
        self.keys: dict[str, tuple[str, str]] = {}  # idempotency key → (case, signer) it was first sent with
        self.state: dict[str, str] = {}  # credential → "open" | "kept" | "revoked"
        self.check_of: dict[str, int] = {}  # credential → post-check id

    def body(self, signer: str) -> dict:
        return {
            "service": ITEM,
            "uscc": self.company.uscc,
            "signer_name": signer,
            "agree": True,
            "conditions_version": self.conditions,
            "data": {
                "premises": {"address": "洛阳市涧西区天津路8号", "area_m2": "90"},
                "auction": {"auctioneers": 1, "registered_capital": "100"},
            },
        }

    # ------------------------------------------------------------------ rules

    @rule(
        target=permits,
        key=st.sampled_from(["", "c-a", "c-b"]),
        signer=st.sampled_from(["李明", "王芳"]),
        twice=st.booleans(),
    )
    def commit(self, key, signer, twice):
        headers = {"HTTP_IDEMPOTENCY_KEY": f"run{self.run}-{key}"} if key else {}
        response = self.applicant.post(
            "/api/v1/permits/commitments", self.body(signer), content_type="application/json", **headers
        )
        bilingual_refusal(response)
        if key in self.keys:
            case, first_signer = self.keys[key]
            if signer == first_signer:  # the same request again: the same case
                assert response.status_code == 200 and response.json()["case"] == case, response.content[:300]
                REACHED["same key, same body"] += 1
            else:  # the same key for another request (IETF idempotency-key draft)
                assert response.status_code == 422 and response.json()["errors"][0]["code"] == "key_reused"
                REACHED["same key, other body"] += 1
            return next(c for c, n in self.check_of.items() if self.case_of[c] == case)
        assert response.status_code == 201, response.content[:300]
        grant = response.json()
        assert grant["granted"] and grant["status"] == "delivered"
        [cred] = grant["credentials"]
        [check] = grant["post_checks"]
        assert cred["status"] == "valid" and check["outcome"] == "" and check["credential"] == cred["identifier"]
        identifier = cred["identifier"]
        self.state[identifier], self.check_of[identifier] = "open", check["id"]
        self.case_of[identifier] = grant["case"]
        if key:
            self.keys[key] = (grant["case"], signer)
        REACHED["committed"] += 1
        if twice and key:
            again = self.applicant.post(
                "/api/v1/permits/commitments", self.body(signer), content_type="application/json", **headers
            )
            bilingual_refusal(again)
            assert again.status_code == 200 and again.json()["case"] == grant["case"]
        return identifier

    @precondition(lambda self: any(s == "open" for s in self.state.values()))
    @rule(data=st.data(), outcome=st.sampled_from(["true", "false"]), twice=st.booleans(), intruder=st.booleans())
    def record_check(self, data, outcome, twice, intruder):
        identifier = data.draw(st.sampled_from(sorted(c for c, s in self.state.items() if s == "open")), label="permit")
        url = f"/api/v1/permits/post-checks/{self.check_of[identifier]}"
        body = {"outcome": outcome, "findings": "现场核查：承诺属实" if outcome == "true" else "现场核查：场所面积不符"}
        if intruder:  # another department's reviewer: not theirs to decide, and nothing changes
            refused = self.other_reviewer.post(url, body, content_type="application/json")
            bilingual_refusal(refused)
            assert refused.status_code in (403, 404)
            REACHED["intruder refused"] += 1
        response = self.reviewer.post(url, body, content_type="application/json")
        bilingual_refusal(response)
        assert response.status_code == 200 and response.json()["outcome"] == outcome, response.content[:300]
        self.state[identifier] = "kept" if outcome == "true" else "revoked"
        REACHED[f"check {outcome}"] += 1
        if twice:
            other = {"outcome": "false" if outcome == "true" else "true", "findings": "再次核查"}
            again = self.reviewer.post(url, other, content_type="application/json")
            bilingual_refusal(again)
            assert again.status_code == 409, again.content[:300]
            REACHED["second check refused"] += 1
        self.verify(identifier)

    @rule(identifier=permits)
    def verify(self, identifier):
        response = self.public.get(f"/api/v1/licences/verify/{identifier}")
        bilingual_refusal(response)
        assert response.status_code == 200 and "no-store" in response["Cache-Control"]
        result = response.json()
        expected = self.state[identifier]
        assert result["genuine"], result
        assert result["current"] == (expected != "revoked"), (expected, result["status"])
        assert (result["status"] == "revoked") == (expected == "revoked"), (expected, result["status"])
        REACHED[f"verified {expected}"] += 1

    @rule()
    def the_department_lists_open_checks(self):
        response = self.reviewer.get("/api/v1/permits/post-checks", {"view": "open"})
        bilingual_refusal(response)
        listed = {c["credential"] for c in response.json()}
        assert {c for c, s in self.state.items() if s == "open"} <= listed

    @precondition(lambda self: self.state)
    @invariant()
    def a_stranger_sees_nothing_of_the_company(self):
        stranger = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(self.zone.applicant2)}")
        records = stranger.get("/api/v1/permits/companies").json()
        assert self.company.uscc not in {r["uscc"] for r in records}

    def teardown(self):
        for identifier in self.state:
            self.verify(identifier)


def test_random_sequences_of_permit_operations_keep_commitments_checks_and_revocations_straight(
    permit_zone_with_company,
):
    from zimao.core import audit

    run_state_machine_as_test(
        PermitApi,
        settings=settings(
            max_examples=25,
            stateful_step_count=12,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    for reached in (
        "committed",
        "same key, same body",
        "same key, other body",
        "check true",
        "check false",
        "second check refused",
        "intruder refused",
        "verified revoked",
        "verified kept",
        "verified open",
    ):
        assert REACHED[reached], (reached, dict(REACHED))
    assert audit.verify().ok


@pytest.fixture
def permit_zone_with_company(zone):
    from zimao.catalog.models import ServiceItem
    from zimao.catalog.services import load_packaged
    from zimao.permits import catalogue
    from zimao.permits.tests.helpers import reviewer_for, start_company

    load_packaged("permits")
    PermitApi.zone = zone
    PermitApi.company = start_company(zone.applicant, "嘉禾")
    PermitApi.checker = reviewer_for("COMMERCE")
    PermitApi.conditions = catalogue.conditions_version(ServiceItem.objects.get(code=ITEM))
    PermitApi.case_of = {}
    return zone
