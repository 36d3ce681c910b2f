"""The dashboard's ``permits.issued`` stream — 许可证发放数: one event per permit or filing
receipt issued, by reform mode, and one per activity noted under an approval-cancelled item;
reported inside the transaction of the issue, counted once, and rebuilt from the same rows."""

from __future__ import annotations

import pytest
from django.db import transaction

from zimao.cases.services import decide
from zimao.catalog.models import ServiceItem
from zimao.licences.models import Credential
from zimao.monitor import services as monitor
from zimao.monitor.catalogue import PERMITS_ISSUED
from zimao.monitor.models import MonitorEvent, Rollup
from zimao.permits import catalogue, indicators
from zimao.permits import services as permits
from zimao.permits.tests.helpers import apply, reviewer_for, sample_data

pytestmark = pytest.mark.django_db


def by_mode() -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in Rollup.objects.filter(stream=PERMITS_ISSUED):
        counts[r.dimension] = counts.get(r.dimension, 0) + r.count
    return {k: v for k, v in counts.items() if v}


def ledger() -> list[tuple]:
    return sorted(
        MonitorEvent.objects.filter(stream=PERMITS_ISSUED).values_list(
            "event_key", "dimension", "period", "at", "ref", "label"
        )
    )


def rollups() -> list[tuple]:
    return sorted(
        Rollup.objects.filter(stream=PERMITS_ISSUED, count__gt=0).values_list("period", "dimension", "count", "total")
    )


def commit(company, code="ZZ-PM"):
    item = ServiceItem.objects.get(code=code)
    return permits.apply_with_commitment(
        company.applicant,
        code,
        uscc=company.uscc,
        signer_name="李明",
        agree=True,
        data=sample_data(item, company.uscc),
        conditions_hash=catalogue.conditions_version(item),
    )


def one_of_each(company, zone):
    """A filing receipt, a commitment permit, an optimised permit and a cancelled-mode note."""
    filing = apply(company.applicant, "ZZ-YLQX2", company.uscc)
    assert filing.status == "delivered"
    grant = commit(company)
    assert grant.granted
    optimised = apply(company.applicant, "ZZ-YPLS", company.uscc)
    decide(optimised.tasks.get(key="ZZ-YPLS").pk, zone.reviewer, "approve", "材料齐全，符合条件")
    optimised.refresh_from_db()
    assert optimised.status == "delivered"
    note = permits.note_activity(company.applicant, company.uscc, "ZZ-PTHY45")
    return filing, grant.case, optimised, note


def test_each_mode_counts_once_under_its_dimension(company, permit_zone):
    # No on_commit callbacks run in these tests: counting here proves the event is recorded
    # inside the transaction of the issue (the outbox), not after it.
    filing, commitment, optimised, note = one_of_each(company, permit_zone)
    assert by_mode() == {"filing": 1, "commitment": 1, "optimised": 1, "cancelled": 1}
    events = {e.dimension: e for e in MonitorEvent.objects.filter(stream=PERMITS_ISSUED)}
    receipt = Credential.objects.get(identifier=filing.outputs[0]["identifier"])
    assert events["filing"].event_key == f"permit:{receipt.identifier}" and events["filing"].ref == receipt.identifier
    assert events["filing"].label == f"{company.name} 第二类医疗器械经营备案凭证"
    assert events["filing"].at == receipt.issued_at
    assert events["commitment"].ref == commitment.outputs[0]["identifier"]
    assert events["optimised"].ref == optimised.outputs[0]["identifier"]
    assert events["cancelled"].event_key == f"activity:{company.uscc}:ZZ-PTHY45"
    assert events["cancelled"].ref == company.uscc and events["cancelled"].at == note.noted_at
    assert events["cancelled"].label.startswith(company.name)


def test_repeated_delivery_and_rebuild_do_not_double_count(company, permit_zone):
    filing, *_ = one_of_each(company, permit_zone)
    before = rollups()
    item = ServiceItem.objects.get(code="ZZ-YLQX2")
    receipt = Credential.objects.get(identifier=filing.outputs[0]["identifier"])
    indicators.permit_issued(item, receipt)  # a retried engine run reports the same credential again
    assert rollups() == before
    assert monitor.rebuild(PERMITS_ISSUED) == 4
    assert monitor.rebuild(PERMITS_ISSUED) == 4
    assert rollups() == before
    indicators.permit_issued(item, receipt)  # a late live delivery after a rebuild
    assert rollups() == before and by_mode() == {"filing": 1, "commitment": 1, "optimised": 1, "cancelled": 1}


def test_rebuild_equals_the_live_figures(company, other_company, permit_zone):
    one_of_each(company, permit_zone)
    apply(other_company.applicant, "ZZ-JDCWX", other_company.uscc)  # another filing, another company
    industry = apply(company.applicant, "ZZ-HYZH-BLD", company.uscc)  # 一业一证: one card for four items
    decide(industry.tasks.get(key="ZZ-HYZH-BLD:TOBACCO").pk, reviewer_for("TOBACCO"), "approve")
    industry.refresh_from_db()
    assert industry.status == "delivered"
    live_rollups, live_ledger = rollups(), ledger()
    assert by_mode() == {"filing": 2, "commitment": 1, "optimised": 2, "cancelled": 1}
    assert monitor.rebuild(PERMITS_ISSUED) == len(live_ledger) == 6
    assert rollups() == live_rollups
    assert ledger() == live_ledger


def test_rebuild_keeps_the_mode_printed_on_the_permit(company, permit_zone):
    """A permit counts under the mode it was issued in, even if the item changes mode later."""
    apply(company.applicant, "ZZ-YLQX2", company.uscc)
    catalogue.update(ServiceItem.objects.get(code="ZZ-YLQX2"), reform_mode="optimised")
    monitor.rebuild(PERMITS_ISSUED)
    assert by_mode() == {"filing": 1}


def test_a_rolled_back_issuance_counts_nothing(company, permit_zone):
    with pytest.raises(RuntimeError), transaction.atomic():
        case = apply(company.applicant, "ZZ-YLQX2", company.uscc)
        assert case.status == "delivered" and by_mode() == {"filing": 1}  # counted in the transaction…
        raise RuntimeError("the issue fails after the permit was signed")
    assert not Credential.objects.filter(kind="filing.device_class2").exists()
    assert by_mode() == {} and not MonitorEvent.objects.filter(stream=PERMITS_ISSUED).exists()  # …and undone with it
    with pytest.raises(RuntimeError), transaction.atomic():
        permits.note_activity(company.applicant, company.uscc, "ZZ-PTHY45")
        raise RuntimeError("the note fails")
    assert by_mode() == {}
    assert monitor.rebuild(PERMITS_ISSUED) == 0


def test_a_cancelled_mode_activity_counts_once_even_if_noted_twice(company, permit_zone):
    permits.note_activity(company.applicant, company.uscc, "ZZ-PTHY45")
    permits.note_activity(company.applicant, company.uscc, "ZZ-PTHY45")
    assert by_mode() == {"cancelled": 1}
    permits.note_activity(company.applicant, company.uscc, "ZZ-DWTZ")  # another cancelled item
    assert by_mode() == {"cancelled": 2}
    live = rollups()
    assert monitor.rebuild(PERMITS_ISSUED) == 2 and rollups() == live


def test_without_a_subscriber_the_facts_are_announced_and_nothing_is_counted(company, permit_zone):
    """A node without the dashboard: permits still announce (the outbox keeps the record), and
    nobody counts them. Permits never know whether anyone listens."""
    from zimao.core import events
    from zimao.core.models import OutboxEvent

    saved = events.snapshot()
    events.restore(([s for s in saved[0] if not s.name.startswith("monitor.")], saved[1]))
    try:
        permits.note_activity(company.applicant, company.uscc, "ZZ-PTHY45")
        apply(company.applicant, "ZZ-YLQX2", company.uscc)
    finally:
        events.restore(saved)
    assert by_mode() == {}
    announced = OutboxEvent.objects.filter(topic=PERMITS_ISSUED)
    assert announced.count() == 2 and not announced.filter(delivered__isnull=True).exists()
