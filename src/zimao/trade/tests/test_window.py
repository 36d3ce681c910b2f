"""The trade single window — 单一窗口: one declaration fanned out to the agencies, outages retried
with backoff until the answer arrives, rejections shown, nothing lost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zimao.core import audit
from zimao.core.errors import BusinessError
from zimao.trade.models import AgencySubmission, TradeDeclaration
from zimao.trade.window import services as window
from zimao.trade.window.registry import AdapterRegistry, AgencyAdapter, AgencyUnavailable, Dispatch, registry
from zimao.trade.window.sandbox import SandboxAgency, profile_for

pytestmark = pytest.mark.django_db

CALM = {"outage_rate": 0, "reject_rate": 0, "min_delay": 0, "max_delay": 0, "fail_first": 0}


def declaration(uscc: str, **extra) -> dict:
    data = {
        "trader_uscc": uscc,
        "direction": "export",
        "destination_country": "JP",
        "consignee": {"name": "Osaka Furniture K.K.", "address": "1-1 Umeda, Osaka"},
        "transport": {
            "mode": "sea",
            "departure_date": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
            "vessel": "COSCO HARMONY V.012E",
            "port_of_loading": "Qingdao",
            "port_of_discharge": "Osaka",
        },
        "currency": "USD",
        "invoice": {"number": "ZM-2026-001", "date": timezone.localdate().isoformat()},
        "goods": [
            {"hs": "9403600000", "description": "Oak chairs", "quantity": "500", "unit": "PCS", "value": "50000.00"}
        ],
    }
    data.update(extra)
    return data


def sandbox(settings, **agencies):
    settings.ZIMAO_TRADE_SANDBOX = {"seed": 7, "default": dict(CALM), **agencies}


def subs(decl) -> dict[str, AgencySubmission]:
    return {s.agency: s for s in AgencySubmission.objects.filter(declaration=decl)}


def test_one_declaration_reaches_every_agency(trade, settings):
    sandbox(settings)
    decl = window.declare(trade.applicant, declaration(trade.exporter.uscc))
    assert decl.number.startswith("SWLY") and decl.agencies == ["customs", "commerce", "tax"]
    rows = subs(decl)
    assert {a: s.status for a, s in rows.items()} == {"customs": "accepted", "commerce": "accepted", "tax": "accepted"}
    assert rows["customs"].payload["goods"][0]["hs"] == "9403600000"
    assert "consignee" not in rows["tax"].payload and rows["tax"].payload["invoice"]["number"] == "ZM-2026-001"
    status = window.declaration_status(decl)
    assert status["status"] == "accepted" and status["final"] and status["label_zh"] == "全部部门已通过"
    assert [a["agency"] for a in status["agencies"]] == ["customs", "commerce", "tax"]
    assert rows["customs"].reference.startswith("H") and len(rows["customs"].reference) == 16


def test_customs_is_always_included(trade, settings):
    sandbox(settings)
    decl = window.declare(trade.applicant, declaration(trade.exporter.uscc, agencies=["tax"]))
    assert decl.agencies == ["customs", "tax"]


def test_outage_is_retried_with_backoff_until_the_answer_arrives(trade, settings):
    sandbox(settings, customs={"fail_first": 3, "min_delay": 60, "max_delay": 60})
    start = timezone.now()
    decl = window.declare(trade.applicant, declaration(trade.exporter.uscc))
    customs = subs(decl)["customs"]
    assert customs.status == "queued" and customs.attempts == 1 and customs.failures == 1
    assert "unavailable" in customs.last_error
    assert window.declaration_status(decl)["status"] == "delayed"
    words = window.declaration_status(decl)["agencies"][0]
    assert words["tag"] == "warn" and "自动重试" in words["label_zh"]

    # Not due yet: nothing happens.
    assert window.retry_due(now=start + dt.timedelta(seconds=5))["due"] == 0
    # Backoff doubles: 30 s, then 60 s, then 120 s.
    gaps = []
    now = start
    for _ in range(2):
        customs.refresh_from_db()
        gaps.append(customs.next_attempt_at - now)
        now = customs.next_attempt_at
        window.retry_due(now=now)
    customs.refresh_from_db()
    assert customs.attempts == 3 and customs.failures == 3
    assert [round(g.total_seconds()) for g in gaps][1] == 60
    assert round((customs.next_attempt_at - now).total_seconds()) == 120

    # Fourth call gets through; the answer is ready 60 s after acknowledgement.
    now = customs.next_attempt_at
    counts = window.retry_due(now=now)
    customs.refresh_from_db()
    assert counts["sent"] == 1 and customs.status == "sent" and customs.reference and customs.failures == 0
    assert customs.next_attempt_at == now + dt.timedelta(seconds=60)
    assert window.declaration_status(decl)["status"] == "in_progress"
    window.retry_due(now=now + dt.timedelta(seconds=10))  # not due: the agency is still deciding
    customs.refresh_from_db()
    assert customs.status == "sent"
    window.retry_due(now=now + dt.timedelta(seconds=61))
    customs.refresh_from_db()
    assert customs.status == "accepted" and customs.answer["message_en"].startswith("Customs accepted")
    assert window.declaration_status(decl)["status"] == "accepted"
    outcomes = [h["outcome"] for h in customs.history]
    assert outcomes == ["unavailable", "unavailable", "unavailable", "acknowledged", "accepted"]
    actions = [e.action for e in audit.history("trade.agencysubmission", customs.pk)]
    assert actions == ["trade.submission.sent", "trade.submission.accepted"]


def test_rejection_is_shown_with_the_agencys_reason(trade, settings):
    sandbox(settings, tax={"reject_rate": 1})
    decl = window.declare(trade.applicant, declaration(trade.exporter.uscc))
    status = window.declaration_status(decl)
    assert status["status"] == "rejected" and status["tag"] == "bad"
    tax = next(a for a in status["agencies"] if a["agency"] == "tax")
    assert tax["status"] == "rejected" and tax["message_zh"] and tax["message_en"]
    assert {a["agency"]: a["status"] for a in status["agencies"]}["customs"] == "accepted"


def test_nothing_is_lost_when_an_agency_stays_down(trade, settings):
    sandbox(settings, commerce={"outage_rate": 1})
    decl = window.declare(trade.applicant, declaration(trade.exporter.uscc))
    now = timezone.now()
    for _ in range(12):
        now += dt.timedelta(hours=2)
        window.retry_due(now=now)
    commerce = subs(decl)["commerce"]
    assert commerce.status == "queued" and commerce.attempts == 13
    # The backoff is capped at an hour: the agency is tried again soon after it comes back.
    assert commerce.next_attempt_at - now == window.BACKOFF_CAP
    settings.ZIMAO_TRADE_SANDBOX["commerce"] = {}
    window.retry_due(now=now + dt.timedelta(hours=1))
    assert subs(decl)["commerce"].status == "accepted"


def test_rows_are_delivered_even_if_the_task_queue_loses_them(trade, settings):
    """The outbox row is the truth: a task that never runs (lost queue, no worker) delays nothing
    beyond the next ``zimao trade retry``."""
    sandbox(settings)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    decl = window.declare(trade.applicant, declaration(trade.exporter.uscc))
    assert {s.status for s in subs(decl).values()} == {"queued"}
    assert window.declaration_status(decl)["status"] == "in_progress"
    counts = window.retry_due()
    assert counts["due"] == 3 and counts["accepted"] == 3
    assert window.declaration_status(decl)["status"] == "accepted"


def test_idempotent_declaration(trade, settings):
    sandbox(settings)
    a = window.declare(trade.applicant, declaration(trade.exporter.uscc), idempotency_key="k")
    b = window.declare(trade.applicant, declaration(trade.exporter.uscc), idempotency_key="k")
    assert a.pk == b.pk and TradeDeclaration.objects.count() == 1 and AgencySubmission.objects.count() == 3


def test_claimed_row_is_left_alone_until_its_lease_expires(trade, settings):
    sandbox(settings, customs={"fail_first": 1})
    decl = window.declare(trade.applicant, declaration(trade.exporter.uscc))
    customs = subs(decl)["customs"]
    # Simulate a worker that claimed the row (lease) and then vanished.
    now = timezone.now() + dt.timedelta(minutes=5)
    AgencySubmission.objects.filter(pk=customs.pk).update(
        next_attempt_at=now + window.LEASE, attempts=customs.attempts + 1
    )
    assert window.retry_due(now=now)["due"] == 0
    window.retry_due(now=now + window.LEASE)
    assert subs(decl)["customs"].status == "accepted"


def test_an_adapter_bug_is_treated_like_an_outage(trade, settings, monkeypatch):
    sandbox(settings)
    monkeypatch.setattr(SandboxAgency, "send", lambda self, d: 1 / 0)
    decl = window.declare(trade.applicant, declaration(trade.exporter.uscc))
    customs = subs(decl)["customs"]
    assert customs.status == "queued" and "ZeroDivisionError" in customs.last_error


def test_sandbox_is_deterministic_under_a_seed(settings):
    settings.ZIMAO_TRADE_SANDBOX = {
        "seed": 11,
        "default": {"outage_rate": 0.5, "reject_rate": 0.5, "min_delay": 1, "max_delay": 100},
    }
    now = timezone.now()

    def play():
        out = []
        for n in range(20):
            d = Dispatch(agency="customs", message_id=f"M{n}", declaration_number="X", payload={}, attempt=1, now=now)
            try:
                r = SandboxAgency().send(d)
                out.append((r.reference, r.answer_after))
            except AgencyUnavailable:
                out.append("down")
        return out

    first = play()
    assert first == play()
    assert "down" in first and any(x != "down" for x in first)
    settings.ZIMAO_TRADE_SANDBOX = {"seed": 12, "default": settings.ZIMAO_TRADE_SANDBOX["default"]}
    assert play() != first
    assert profile_for("customs").max_delay == 100


def test_adapter_registry_is_pluggable(trade, settings):
    reg = AdapterRegistry()

    @reg.register("always-yes", "总是通过", "Always yes")
    class Yes(AgencyAdapter):
        def send(self, d):
            from zimao.trade.window.registry import Answer, Receipt

            return Receipt(reference="Y1", answer=Answer(accepted=True, reference="Y1"))

    assert "always-yes" in reg and reg.get("always-yes").label_en == "Always yes"
    with pytest.raises(ValueError):
        reg.register("always-yes")(type("Other", (AgencyAdapter,), {}))
    with pytest.raises(KeyError):
        reg.get("nope")
    # Configure the global registry per agency: customs through another adapter.
    registry.register("always-yes", "总是通过", "Always yes")(Yes)
    try:
        settings.ZIMAO_TRADE_ADAPTERS = {"customs": "always-yes"}
        sandbox(settings, commerce={"outage_rate": 1})
        decl = window.declare(trade.applicant, declaration(trade.exporter.uscc))
    finally:
        registry._adapters.pop("always-yes")
    rows = subs(decl)
    assert rows["customs"].adapter == "always-yes" and rows["customs"].reference == "Y1"
    assert rows["commerce"].adapter == "sandbox" and rows["commerce"].status == "queued"


def test_declaration_errors_name_fields_and_company(trade, settings):
    sandbox(settings)
    with pytest.raises(BusinessError) as exc:
        window.declare(trade.applicant2, declaration(trade.exporter.uscc, goods=[{"hs": "94", "value": "x"}]))
    fields = {p.field for p in exc.value.problems}
    assert {"trader_uscc", "goods[0].hs", "goods[0].value", "goods[0].description"} <= fields
    with pytest.raises(BusinessError) as exc:
        window.declare(trade.applicant, declaration(trade.exporter.uscc, certificate_number="R2026LYP0000019"))
    assert {p.code for p in exc.value.problems} == {"unknown_certificate"}


def test_only_the_trader_and_officials_see_a_declaration(trade, settings):
    sandbox(settings)
    decl = window.declare(trade.applicant, declaration(trade.exporter.uscc))
    assert window.get_declaration(trade.applicant, decl.number) == decl
    assert window.get_declaration(trade.customs, decl.number) == decl
    with pytest.raises(BusinessError) as exc:
        window.get_declaration(trade.applicant2, decl.number)
    assert exc.value.status == 404


def test_retry_command(trade, settings, capsys):
    from django.core.management import call_command

    sandbox(settings, tax={"fail_first": 1})
    decl = window.declare(trade.applicant, declaration(trade.exporter.uscc))
    AgencySubmission.objects.filter(declaration=decl, agency="tax").update(next_attempt_at=timezone.now())
    call_command("trade", "retry")
    assert '"accepted": 1' in capsys.readouterr().out
    assert window.declaration_status(decl)["status"] == "accepted"
