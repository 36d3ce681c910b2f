"""Verdicts only, incrementally — 仅求结论的增量试算 ("what would qualify" trials).

When a good is not originating, the engine asks, material by material, "would sourcing this one
originating from a Party (Art. 3.4) make the good qualify?". Each trial used to re-run the whole
determination with every explanation line (for a bill of 1,000 materials, the tariff-change test
alone wrote ~200k labels per trial). A trial needs the verdict only: which criterion the good
would meet, with which box-10 codes.

``Trials`` counts, once per bill and per scenario (with and without accumulation), what each
verdict depends on — the non-originating materials of the good, those failing each tariff-change
test with their value and weight, VNM and VOM — and answers each trial by adjusting those counts
for the one material that changes. The rules are the engine's own (``engine.check_*``); the
property test ``test_origin_trials`` holds the two to the same verdict on random bills.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal, localcontext

from .explain import EXACT_PRECISION, at_least_percent, at_most_percent
from .model import PARTIES, BillOfMaterials, Material
from .rules import LEVEL_DIGITS, Alternative, Rule, Test


@dataclass
class _Tally:
    """What the verdicts depend on, in one scenario (``accumulate`` or not)."""

    accumulate: bool
    nonorig_direct: int
    ctc_value: dict[int, Decimal]  # per test (its position in the rule): value failing the change
    ctc_weight: dict[int, Decimal]  # ... and their weight (where given)
    ctc_count: dict[int, int]  # ... how many fail it
    ctc_unweighed: dict[int, int]  # ... of which without a weight
    vnm: Decimal
    vom: Decimal


@dataclass(frozen=True)
class _Verdict:
    passed: bool
    codes: tuple[str, ...]
    dmi: bool = False


class Trials:
    """The verdicts of ``bom`` under ``rule`` with one material sourced originating — 单项改源试算."""

    def __init__(self, bom: BillOfMaterials, rule: Rule, ops):
        self.bom, self.rule, self.ops = bom, rule, ops
        self.product = bom.product
        self.tests: list[tuple[int, Test]] = []
        for alt in rule.alternatives:
            for t in alt.tests:
                self.tests.append((id(t), t))
        self._ctc_tests = [(key, t) for key, t in self.tests if t.is_ctc]
        self._fails: dict[int, set[int]] = {
            key: {m.index for m in bom.materials if self._fails_change(m, t)} for key, t in self._ctc_tests
        }
        pc = self.product.country
        self._direct = [m for m in bom.materials if m.role in ("material", "accessory")]
        self._wo_offending = sum(1 for m in self._direct if not (m.originating is True and m.country == pc))
        self._tallies = {acc: self._tally(acc) for acc in (True, False)}

    # --- the facts of one material ------------------------------------------------------------

    def _originating(self, m: Material, accumulate: bool) -> bool:
        # As engine.Scenario.originating.
        if m.role == "indirect":
            return True
        if m.originating is not True:
            return False
        return accumulate or m.country == self.product.country

    @staticmethod
    def _in_ctc(m: Material) -> bool:
        return m.role == "material" or (m.role == "accessory" and not m.accessory_relief)

    @staticmethod
    def _in_rvc(m: Material) -> bool:
        return m.role in ("material", "accessory", "retail_packaging")

    def _fails_change(self, m: Material, test: Test) -> bool:
        """Would ``m``, if non-originating, fail ``test``'s change of classification (engine.check_ctc)?"""
        if not self._in_ctc(m):
            return False
        if m.hs is None:
            return True
        n = LEVEL_DIGITS[test.level]
        if m.hs[:n] == self.product.hs[:n]:
            return True
        return any(e.covers(m.hs) for e in test.exclusions)

    # --- counting -----------------------------------------------------------------------------

    def _tally(self, accumulate: bool) -> _Tally:
        with localcontext() as ctx:
            ctx.prec = EXACT_PRECISION
            t = _Tally(accumulate, 0, {}, {}, {}, {}, Decimal(0), Decimal(0))
            for key, _test in self._ctc_tests:
                t.ctc_value[key], t.ctc_weight[key], t.ctc_count[key], t.ctc_unweighed[key] = (
                    Decimal(0),
                    Decimal(0),
                    0,
                    0,
                )
            for m in self.bom.materials:
                self._add(t, m, self._originating(m, accumulate), +1)
                if m.role == "indirect":
                    t.vom += m.value  # Art. 3.10: counted as originating in build-up
            return t

    def _add(self, t: _Tally, m: Material, originating: bool, sign: int) -> None:
        """Add (``sign`` +1) or take away (-1) what ``m`` contributes to ``t``."""
        if m.role in ("material", "accessory") and not originating:
            t.nonorig_direct += sign
        if not originating:
            for key, _test in self._ctc_tests:
                if m.index in self._fails[key]:
                    t.ctc_value[key] += sign * m.value
                    t.ctc_count[key] += sign
                    if m.weight_kg is None:
                        t.ctc_unweighed[key] += sign
                    else:
                        t.ctc_weight[key] += sign * m.weight_kg
        if self._in_rvc(m):
            if originating:
                t.vom += sign * m.value
            else:
                t.vnm += sign * m.vnm_value

    def _with(self, m: Material) -> tuple[Material, dict[bool, _Tally], int]:
        """The tallies with ``m`` sourced originating, as ``engine._switch_hints`` changes it."""
        country = m.country if m.country in PARTIES else self.product.country
        new = replace(m, originating=True, country=country, deductions=Decimal(0))
        tallies = {}
        with localcontext() as ctx:
            ctx.prec = EXACT_PRECISION
            for acc, base in self._tallies.items():
                t = replace(
                    base,
                    ctc_value=dict(base.ctc_value),
                    ctc_weight=dict(base.ctc_weight),
                    ctc_count=dict(base.ctc_count),
                    ctc_unweighed=dict(base.ctc_unweighed),
                )
                self._add(t, m, self._originating(m, acc), -1)
                self._add(t, new, self._originating(new, acc), +1)
                tallies[acc] = t
        offending = self._wo_offending
        if m.role in ("material", "accessory"):
            pc = self.product.country
            offending += int(country != pc) - int(not (m.originating is True and m.country == pc))
        return new, tallies, offending

    # --- verdicts (the rules of engine.check_*) -------------------------------------------------

    def _test(self, key: int, test: Test, t: _Tally, wo_offending: int) -> _Verdict:
        product = self.product
        if test.is_ctc:
            if t.ctc_count[key] == 0:
                return _Verdict(True, ("CTC",))
            value_ok = at_most_percent(t.ctc_value[key], product.fob, Decimal(10))
            weight_ok = (
                int(product.chapter) in range(50, 64)
                and product.weight_kg is not None
                and t.ctc_unweighed[key] == 0
                and at_most_percent(t.ctc_weight[key], product.weight_kg, Decimal(10))
            )
            if value_ok or weight_ok:
                return _Verdict(True, ("CTC", "DMI"), dmi=True)
            return _Verdict(False, ("CTC",))
        if test.kind == "RVC":
            fob, thr = product.fob, test.threshold
            with localcontext() as ctx:
                ctx.prec = EXACT_PRECISION
                down = at_least_percent(fob - t.vnm, fob, thr)
                bu = self.bom.build_up
                up = bu is not None and at_least_percent(t.vom + bu.total, fob, thr)
            return _Verdict(down or up, ("RVC",))
        if test.kind == "CR":
            return _Verdict(product.chemical_reaction is True, ("CR",))
        wo = self._wo(wo_offending)
        return _Verdict(wo, ("WO",) if wo else ())

    def _wo(self, offending: int) -> bool:
        return bool(self.product.wholly_obtained) and offending == 0

    def _alternative(self, alt: Alternative, t: _Tally, wo_offending: int) -> _Verdict:
        verdicts = [self._test(id(test), test, t, wo_offending) for test in alt.tests]
        codes: list[str] = []
        for v in verdicts:
            for c in v.codes:
                if c not in codes and c != "DMI":
                    codes.append(c)
        barred = self.ops.minimal_only and t.nonorig_direct > 0  # Art. 3.6
        passed = all(v.passed for v in verdicts) and not barred
        return _Verdict(passed, tuple(codes), dmi=passed and any(v.dmi for v in verdicts))

    def chosen(self, tallies: dict[bool, _Tally], wo_offending: int) -> tuple[str, list[str]] | None:
        """(label, box-10 codes) of the criterion met, as ``engine._evaluate(...).chosen``; None if none."""
        if self._wo(wo_offending):
            return ("WO", ["WO"])
        acc, plain = tallies[True], tallies[False]
        direct = bool(self._direct)
        if direct and acc.nonorig_direct == 0:
            return ("PE", ["PE"] if plain.nonorig_direct == 0 else ["PE", "ACU"])
        passing = []
        for alt in self.rule.alternatives:
            out = self._alternative(alt, acc, wo_offending)
            if out.passed:
                needs_acu = not self._alternative(alt, plain, wo_offending).passed
                passing.append((alt, out, needs_acu))
        if not passing:
            return None
        alt, out, acu = min(passing, key=lambda item: int(item[2]) + int(item[1].dmi))
        return (str(alt), list(out.codes) + (["ACU"] if acu else []) + (["DMI"] if out.dmi else []))

    def chosen_if_sourced(self, m: Material) -> tuple[str, list[str]] | None:
        """The criterion the good would meet with ``m`` sourced originating from a Party; None if none."""
        _new, tallies, offending = self._with(m)
        return self.chosen(tallies, offending)
