"""The "what would qualify" trials compute verdicts only, incrementally (issue 11 item 4) — and
reach exactly the verdict the full determination reaches (property test)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from zimao.trade.origin import PARTIES, determine, engine, load_bom, parse_rule
from zimao.trade.origin.trials import Trials

from .test_origin_properties import SETTINGS, boms
from .test_origin_scaling import failing_bill


def _full_trial(bom, rule, ops, m):
    """The trial as the engine ran it before: the whole bill re-evaluated, explanation and all."""
    country = m.country if m.country in PARTIES else bom.product.country
    trial = replace(
        bom,
        materials=tuple(
            replace(x, originating=True, country=country, deductions=Decimal(0)) if x.index == m.index else x
            for x in bom.materials
        ),
    )
    return engine._evaluate(trial, rule, ops).chosen


@SETTINGS
@given(boms(), st.data())
def test_incremental_verdicts_equal_full_evaluations(bom, data):
    parsed = load_bom(bom)
    rule = parse_rule(bom["rule"])
    ops = engine.classify_operations(parsed.product.operations)
    trials = Trials(parsed, rule, ops)
    assert trials.chosen(trials._tallies, trials._wo_offending) == engine._evaluate(parsed, rule, ops).chosen
    for m in parsed.materials:
        if m.role in ("packing", "indirect"):
            continue
        assert trials.chosen_if_sourced(m) == _full_trial(parsed, rule, ops, m), (m, bom)


@SETTINGS
@given(st.lists(boms(), min_size=2, max_size=4))
def test_incremental_verdicts_on_longer_bills(bills):
    """Several random bills run together into one longer bill (more materials per test)."""
    bom = dict(bills[0], materials=[m for b in bills for m in b["materials"]])
    parsed = load_bom(bom)
    rule = parse_rule(bom["rule"])
    ops = engine.classify_operations(parsed.product.operations)
    trials = Trials(parsed, rule, ops)
    for m in parsed.materials:
        if m.role not in ("packing", "indirect"):
            assert trials.chosen_if_sourced(m) == _full_trial(parsed, rule, ops, m)


def test_trials_write_no_explanation(monkeypatch):
    """A failing bill of 400: the explanation is written for the answer shown, not per trial."""
    calls = {"evaluate": 0, "line": 0}
    real_evaluate, real_line = engine._evaluate, engine.line

    def counting_evaluate(*a, **kw):
        calls["evaluate"] += 1
        return real_evaluate(*a, **kw)

    def counting_line(*a, **kw):
        calls["line"] += 1
        return real_line(*a, **kw)

    monkeypatch.setattr(engine, "_evaluate", counting_evaluate)
    monkeypatch.setattr(engine, "line", counting_line)
    small = determine(failing_bill(40))
    small_lines = calls["line"]
    calls.update(evaluate=0, line=0)
    result = determine(failing_bill(400))
    assert calls["evaluate"] == 2  # the bill without and with its rule; no evaluation per trial
    assert not result.originating and result.to_qualify
    # Lines grow with the bill (one per material and test), not with bill × trials.
    assert calls["line"] < 12 * small_lines, (small_lines, calls["line"])
    assert small.to_qualify
