"""The RCEP origin engine — RCEP 原产地判定引擎 (Chapter 3 Section A, Annex 3A).

``determine`` applies, in this order:

1. Art. 3.2 — the good must be produced in a Party (生产须在缔约方境内);
2. Art. 3.2(a)/3.3 — wholly obtained or produced (WO, 完全获得);
3. Art. 3.2(b) — produced exclusively from originating materials (PE, 完全由原产材料生产);
4. Art. 3.2(c)/Annex 3A — the product-specific rule (产品特定原产地规则), any alternative sufficing
   (headnote 4): CC/CTH/CTSH with exclusions (税则归类改变), RVC by build-down and build-up
   (区域价值成分, Art. 3.5), CR (化学反应);

with accumulation (累积, Art. 3.4), minimal operations (微小加工, Art. 3.6), de minimis (微小含量,
Art. 3.7), packing and accessories (包装、附件, Arts. 3.8–3.9), indirect materials (间接材料, Art. 3.10)
and materials of undetermined origin (原产资格不明, Art. 3.5.4) applied where the articles say.

It is pure Python: ``Decimal`` money, no database, no network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from zimao.core.fieldnames import field_label

from .explain import (
    Line,
    Ref,
    art,
    at_least_percent,
    at_most_percent,
    exact_sum,
    headnote,
    line,
    money,
    money_ceil,
    money_floor,
    pct,
    percent,
)
from .model import (
    MINIMAL_OPERATIONS,
    PARTIES,
    UNKNOWN_COUNTRY,
    WHOLLY_OBTAINED,
    BillOfMaterials,
    Material,
    fmt_hs,
    load_bom,
    party_name,
    party_name_zh,
)
from .psr import (
    Correlation,
    PsrError,
    PsrFileError,
    PsrTable,
    ResolvedRule,
    active_table,
    resolve_rule,
    shipped_correlation,
)
from .rules import LEVEL_DIGITS, Alternative, Rule, Test, format_code
from .trials import Trials

DE_MINIMIS_PERCENT = Decimal(10)  # Art. 3.7.1: "does not exceed 10 per cent"
TEXTILE_CHAPTERS = range(50, 64)  # Art. 3.7.1(b): Chapters 50 through 63
_LEVEL_ZH = {"chapter": "章", "heading": "品目", "subheading": "子目"}
_CTC_HEADNOTE = {"CC": "7(b)", "CTH": "7(c)", "CTSH": "7(d)"}
# At most this many single-material "source it from a Party" trials (``_switch_hints``).
SWITCH_TRIALS = 25


# ---------------------------------------------------------------------------------------------
# Results — 判定结果


@dataclass
class OriginResult:
    """The outcome of an origin determination — 原产地判定结果, explained line by line."""

    originating: bool
    criterion: list[str]
    rule: str | None
    rule_source: dict | None
    hs_version: str
    on: date
    product: dict
    rvc: dict
    alternatives: list[dict]
    materials: list[dict]
    explanation: list[Line]
    to_qualify: list[dict]
    warnings: list[Line] = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON-ready (money and percentages as strings)."""
        return {
            "originating": self.originating,
            "criterion": list(self.criterion),
            "rule": self.rule,
            "rule_source": self.rule_source,
            "hs_version": self.hs_version,
            "date": self.on.isoformat(),
            "product": self.product,
            "rvc": self.rvc,
            "alternatives": self.alternatives,
            "materials": self.materials,
            "explanation": [ln.render_en() for ln in self.explanation],
            "explanation_zh": [ln.render_zh() for ln in self.explanation],
            "to_qualify": self.to_qualify,
            "warnings": [{"en": w.render_en(), "zh": w.render_zh()} for w in self.warnings],
        }


@dataclass
class Outcome:
    """One criterion or test as evaluated in one scenario."""

    label: str
    passed: bool
    codes: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    hints: list[dict] = field(default_factory=list)
    uses_de_minimis: bool = False


@dataclass(frozen=True)
class Scenario:
    """A bill seen with or without accumulation (Art. 3.4) — 是否适用累积."""

    bom: BillOfMaterials
    accumulate: bool = True

    @property
    def product(self):
        return self.bom.product

    def originating(self, m: Material) -> bool:
        if m.role == "indirect":
            return True  # Art. 3.10.1: "without regard to where it is produced"
        if m.originating is not True:
            return False  # Art. 3.5.4: undetermined origin is non-originating
        return self.accumulate or m.country == self.product.country

    # Materials taken into account by each test (Arts. 3.8–3.10 decide which).
    def direct(self) -> list[Material]:
        """Materials of the good for WO and PE (transport packing, retail packaging, indirect left out)."""
        return [m for m in self.bom.materials if m.role in ("material", "accessory")]

    def for_ctc(self) -> list[Material]:
        """Materials whose CTC is examined: Art. 3.9.1 accessories and Art. 3.8 packaging are disregarded."""
        return [
            m for m in self.bom.materials if m.role == "material" or (m.role == "accessory" and not m.accessory_relief)
        ]

    def for_rvc(self) -> list[Material]:
        """Materials counted in RVC: Art. 3.8.3 retail packaging and Art. 3.9.2 accessories are counted."""
        return [m for m in self.bom.materials if m.role in ("material", "accessory", "retail_packaging")]

    def indirect(self) -> list[Material]:
        return [m for m in self.bom.materials if m.role == "indirect"]


# ---------------------------------------------------------------------------------------------
# Minimal operations — 微小加工及处理 (Art. 3.6)


@dataclass(frozen=True)
class Operations:
    declared: bool
    minimal_only: bool
    minimal: tuple[tuple[str, str], ...] = ()
    beyond: tuple[str, ...] = ()


def classify_operations(ops: tuple[str, ...] | None) -> Operations:
    if ops is None:
        return Operations(declared=False, minimal_only=False)
    minimal = tuple((o, MINIMAL_OPERATIONS[o]) for o in ops if o in MINIMAL_OPERATIONS)
    beyond = tuple(o for o in ops if o not in MINIMAL_OPERATIONS)
    # An empty list declares that nothing was done to the materials: that is no working at all.
    return Operations(declared=True, minimal_only=not beyond, minimal=minimal, beyond=beyond)


def _ops_lines(ops: Operations) -> tuple[list[Line], list[Line]]:
    if not ops.declared:
        w = line(
            art("3.6"),
            "no operations were declared, so whether production went beyond minimal operations "
            "was not checked (nothing is assumed); declare the operations carried out to have it checked",
            "未申报加工工序，未审查是否超出微小加工及处理（不作任何推定）；请填写加工工序",
        )
        return [w], [w]
    if ops.minimal_only:
        subs = sorted({s for _, s in ops.minimal})
        words = ", ".join(o for o, _ in ops.minimal) or "none"
        sub_refs = tuple(art("3.6", s) for s in subs) + ((art("3.6", "(k)"),) if len(subs) > 1 else ())
        return [
            line(
                sub_refs or (art("3.6"),),
                f"the declared operations ({words}) are all minimal operations (each in its simple form); "
                "they cannot confer origin on a good made from non-originating materials",
                f"所申报工序（{words}）均属微小加工及处理（简单形式），不能使以非原产材料生产的货物获得原产资格",
            )
        ], []
    return [
        line(
            art("3.6"),
            f"operations beyond minimal operations were declared ({', '.join(ops.beyond)}), so "
            "Art. 3.6 does not bar origin",
            f"申报了超出微小加工及处理的工序（{'、'.join(ops.beyond)}），第3.6条不排除原产资格",
        )
    ], []


def _barred(scn: Scenario, ops: Operations) -> list[Material]:
    """Non-originating materials on which only minimal operations were undertaken (empty if not barred)."""
    if not ops.minimal_only:
        return []
    return [m for m in scn.direct() if not scn.originating(m)]


# ---------------------------------------------------------------------------------------------
# Material roles — 材料角色


def _material_line(m: Material, scn: Scenario) -> tuple[Line, dict]:
    country = m.country
    where = f"{fmt_hs(m.hs)}, {party_name(country) if country != UNKNOWN_COUNTRY else 'country unknown'}"
    where_zh = f"{fmt_hs(m.hs)}，{party_name_zh(country)}"
    value = money(m.value)  # once per material, for both languages
    head, head_zh = f"{m.label} ({where}, value {value})", f"{m.label_zh}（{where_zh}，价值 {value}）"
    info = {
        "index": m.index,
        "description": m.description,
        "hs": m.hs,
        "country": country,
        "role": m.role,
        "value": str(m.value),
    }
    product = scn.product
    if m.role == "packing":
        info["treated_as"] = "disregarded"
        return line(
            art("3.8", "1"),
            f"{head}: packing for transportation — not taken into account at all",
            f"{head_zh}：运输用包装材料及容器——不予考虑",
        ), info
    if m.role == "indirect":
        info["treated_as"] = "originating"
        return line(
            art("3.10", "1"),
            f"{head}: indirect material — treated as originating wherever produced; "
            "its value counts as originating in the build-up formula",
            f"{head_zh}：间接材料——不论产地均视为原产材料，在累加法中计入原产材料价值",
        ), info
    refs: list[Ref] = []
    if m.originating is True:
        if country == product.country:
            info["treated_as"] = "originating"
            refs.append(art("3.2"))
            status, status_zh = (
                f"originating, with proof of RCEP origin, in {party_name(country)}",
                f"具有 RCEP 原产地证明，原产于{party_name_zh(country)}",
            )
        else:
            info["treated_as"] = "originating (accumulated)"
            refs.append(art("3.4", "1"))
            status = (
                f"originating in {party_name(country)}, an RCEP Party — counted as originating in "
                f"{party_name(product.country)} where the good is produced (accumulation)"
            )
            status_zh = (
                f"原产于缔约方{party_name_zh(country)}——视为原产于货物生产地{party_name_zh(product.country)}（累积）"
            )
    elif m.originating is False:
        info["treated_as"] = "non-originating"
        refs.append(art("3.1", "(k)"))
        status, status_zh = "non-originating", "非原产材料"
    else:
        info["treated_as"] = "non-originating (undetermined origin)"
        refs.append(art("3.5", "4"))
        stated = "origin undetermined" if m.origin_stated else "origin not stated"
        status = f"{stated} — treated as non-originating"
        status_zh = ("原产资格不明" if m.origin_stated else "未说明原产资格") + "——视为非原产材料"
    if m.role == "retail_packaging":
        refs.append(art("3.8", "2"))
        refs.append(art("3.8", "3"))
        status += "; retail packaging: disregarded for WO, PE and the tariff-change test, counted in RVC"
        status_zh += "；零售包装：在完全获得、完全原产材料和税则归类改变标准中不予考虑，在区域价值成分中计入"
    elif m.role == "accessory":
        if m.accessory_relief:
            refs.extend([art("3.9", "1"), art("3.9", "2")])
            status += (
                "; accessory presented with the good, not invoiced separately and customary: disregarded "
                "for the tariff-change test, counted in RVC"
            )
            status_zh += (
                "；与货物一同报验、未单独开票且数量价值合理的附件：在税则归类改变标准中不予考虑，在区域价值成分中计入"
            )
        else:
            refs.append(art("3.9", "1"))
            why = "invoiced separately" if m.invoiced_separately else "not customary in quantity or value"
            why_zh = "单独开具发票" if m.invoiced_separately else "数量或价值不合惯例"
            status += (
                f"; accessory {why}: the conditions of Art. 3.9 are not met, so it is treated as an ordinary "
                "material (tested for tariff change and counted in RVC)"
            )
            status_zh += f"；附件{why_zh}，不符合第3.9条条件，按普通材料处理（须满足税则归类改变并计入区域价值成分）"
    if m.deductions and not scn.originating(m):
        refs.append(art("3.5", "5"))
        status += f"; {money(m.deductions)} of Art. 3.5.5 costs deducted, so {money(m.vnm_value)} counts in VNM"
        status_zh += f"；按第3.5条第5款扣减 {money(m.deductions)}，计入非原产材料价值 {money(m.vnm_value)}"
    return line(tuple(refs), f"{head}: {status}", f"{head_zh}：{status_zh}"), info


# ---------------------------------------------------------------------------------------------
# WO and PE — 完全获得；完全由原产材料生产


def check_wo(scn: Scenario) -> Outcome:
    product = scn.product
    claim = product.wholly_obtained
    if not claim:
        return Outcome(
            "WO",
            False,
            lines=[
                line(
                    art("3.3"),
                    "no wholly-obtained claim (the product's “wholly obtained” answer) was made",
                    "未申明完全获得（产品的“完全获得”一项）",
                )
            ],
        )
    en, zh = WHOLLY_OBTAINED[claim]
    offending = [m for m in scn.direct() if not (m.originating is True and m.country == product.country)]
    if offending:
        names = ", ".join(m.label for m in offending)
        names_zh = "、".join(m.label_zh for m in offending)
        return Outcome(
            "WO",
            False,
            lines=[
                line(
                    (art("3.3", f"({claim})"), art("3.3", "(j)")),
                    f"claimed as {en}, but {names} is not an originating material of {party_name(product.country)}; "
                    "a wholly obtained good contains only goods wholly obtained in the same Party",
                    f"申明为{zh}，但{names_zh}不是{party_name_zh(product.country)}的原产材料；完全获得货物只能含同一缔约方完全获得的货物",
                )
            ],
        )
    extra = ""
    extra_zh = ""
    if scn.direct():
        extra = " (the materials listed are declared to be themselves wholly obtained there, Art. 3.3(j))"
        extra_zh = "（所列材料须同样在该缔约方完全获得，第3.3条(j)项）"
    return Outcome(
        "WO",
        True,
        ["WO"],
        lines=[
            line(
                (art("3.2", "(a)"), art("3.3", f"({claim})")),
                f"wholly obtained or produced in {party_name(product.country)}: {en}{extra}",
                f"在{party_name_zh(product.country)}完全获得或生产：{zh}{extra_zh}",
            )
        ],
    )


def check_pe(scn: Scenario) -> Outcome:
    direct = scn.direct()
    nonorig = [m for m in direct if not scn.originating(m)]
    if not direct:
        return Outcome(
            "PE",
            False,
            lines=[
                line(
                    art("3.2", "(b)"),
                    "no materials are listed, so production exclusively from originating materials cannot be shown",
                    "未列明材料，无法证明完全由原产材料生产",
                )
            ],
        )
    if nonorig:
        names = ", ".join(m.label for m in nonorig)
        names_zh = "、".join(m.label_zh for m in nonorig)
        return Outcome(
            "PE",
            False,
            lines=[
                line(
                    art("3.2", "(b)"),
                    f"not produced exclusively from originating materials: {names} "
                    f"{'is' if len(nonorig) == 1 else 'are'} non-originating or of undetermined origin",
                    f"并非完全由原产材料生产：{names_zh}为非原产或原产资格不明的材料",
                )
            ],
        )
    refs = [art("3.2", "(b)")]
    if any(m.role == "retail_packaging" for m in scn.bom.materials):
        refs.append(art("3.8", "2(b)"))
    return Outcome(
        "PE",
        True,
        ["PE"],
        lines=[
            line(
                tuple(refs),
                "every material is originating in one or more RCEP Parties (retail packaging and transport packing aside)",
                "全部材料均原产于一个或多个 RCEP 缔约方（零售包装及运输包装除外）",
            )
        ],
    )


# ---------------------------------------------------------------------------------------------
# Tariff change — 税则归类改变 (Annex 3A headnotes 5–7, Art. 3.7)


def check_ctc(scn: Scenario, test: Test) -> Outcome:
    product = scn.product
    level = test.level
    n = LEVEL_DIGITS[level]
    hn = headnote(_CTC_HEADNOTE[test.kind])
    target = format_code(level, product.hs[:n])
    lines: list[Line] = []
    failing: list[tuple[Material, str, str, tuple[Ref, ...]]] = []
    examined = [m for m in scn.for_ctc() if not scn.originating(m)]
    skipped = [m for m in scn.for_ctc() if scn.originating(m) and m.role != "indirect"]
    if skipped:
        lines.append(
            line(
                headnote("5"),
                f"{test}: {', '.join(m.label for m in skipped)} "
                f"{'is' if len(skipped) == 1 else 'are'} originating; a tariff change is required only of "
                "non-originating materials",
                f"{test}：{'、'.join(m.label_zh for m in skipped)}为原产材料；税则归类改变仅适用于非原产材料",
            )
        )
    for m in scn.bom.materials:
        if m.role == "retail_packaging":
            lines.append(
                line(
                    art("3.8", "2(c)"),
                    f"{test}: {m.label} (retail packaging) is disregarded",
                    f"{test}：{m.label_zh}（零售包装）不予考虑",
                )
            )
        elif m.role == "accessory" and m.accessory_relief:
            lines.append(
                line(
                    art("3.9", "1"),
                    f"{test}: {m.label} (accessory) is disregarded",
                    f"{test}：{m.label_zh}（附件）不予考虑",
                )
            )
    if not examined:
        lines.append(
            line(
                (hn, headnote("5")),
                f"{test}: there are no non-originating materials to examine, so the tariff-change requirement is met",
                f"{test}：没有须审查的非原产材料，满足税则归类改变要求",
            )
        )
        return Outcome(str(test), True, ["CTC"], lines)
    for m in examined:
        if m.hs is None:
            failing.append(
                (
                    m,
                    "its HS code is not given, so a change of classification cannot be shown",
                    "未提供税则号，无法证明归类改变",
                    (hn,),
                )
            )
            continue
        source = format_code(level, m.hs[:n])
        if m.hs[:n] == product.hs[:n]:
            failing.append(
                (m, f"it is in the same {level} {source} as the good", f"与货物同属{_LEVEL_ZH[level]} {source}", (hn,))
            )
            continue
        excluded = next((e for e in test.exclusions if e.covers(m.hs)), None)
        if excluded is not None:
            failing.append(
                (
                    m,
                    f"the rule excludes a change from {excluded}",
                    f"规则排除自{excluded.zh()}的改变",
                    (hn, headnote("6")),
                )
            )
            continue
        lines.append(
            line(
                hn,
                f"{test}: {m.label} changes from {level} {source} to {target} — met",
                f"{test}：{m.label_zh}由{_LEVEL_ZH[level]} {source} 改变为 {target}——满足",
            )
        )
    for m, why, why_zh, refs in failing:
        lines.append(
            line(
                refs,
                f"{test}: {m.label} does not undergo the change — {why}",
                f"{test}：{m.label_zh}未发生所要求的归类改变——{why_zh}",
            )
        )
    if not failing:
        return Outcome(str(test), True, ["CTC"], lines)

    # Art. 3.7 de minimis: only for the tariff-change test, judged on the Art. 3.5.3 value (not the
    # Art. 3.5.5 net value), and the same value stays in VNM for any RVC (Art. 3.7.2).
    fob = product.fob
    value = exact_sum(m.value for m, *_ in failing)
    value_ok = at_most_percent(value, fob, DE_MINIMIS_PERCENT)
    limit = fob * DE_MINIMIS_PERCENT / 100
    lines.append(
        line(
            art("3.7", "1(a)"),
            f"de minimis by value: non-originating materials without the change total {money(value)} = "
            f"{pct(percent(value, fob))}% of FOB {money(fob)}; the limit is 10% ({money(limit)}) — "
            f"{'within it' if value_ok else 'exceeded'}",
            f"按价值计的微小含量：未发生归类改变的非原产材料合计 {money(value)}，占离岸价格 {money(fob)} 的 "
            f"{pct(percent(value, fob))}%；上限为10%（{money(limit)}）——{'未超过' if value_ok else '已超过'}",
        )
    )
    weight_ok = False
    weight_data = None
    if int(product.chapter) in TEXTILE_CHAPTERS:
        missing = [m for m, *_ in failing if m.weight_kg is None]
        if product.weight_kg is None or missing:
            if product.weight_kg is None:
                what, what_zh = "the product's weight (kg)", "产品重量（千克）"
            else:
                what = ", ".join(f"the weight (kg) of {m.label}" for m in missing)
                what_zh = "、".join(f"{m.label_zh}的重量（千克）" for m in missing)
            lines.append(
                line(
                    art("3.7", "1(b)"),
                    f"de minimis by weight (Chapters 50–63) cannot be applied: {what} not given",
                    f"按重量计的微小含量（第50至63章）无法适用：未提供{what_zh}",
                )
            )
        else:
            weight = exact_sum(m.weight_kg for m, *_ in failing)
            weight_ok = at_most_percent(weight, product.weight_kg, DE_MINIMIS_PERCENT)
            weight_data = (weight, product.weight_kg)
            lines.append(
                line(
                    art("3.7", "1(b)"),
                    f"de minimis by weight: those materials weigh {weight} kg = "
                    f"{pct(percent(weight, product.weight_kg))}% of the good's {product.weight_kg} kg; the limit is 10% — "
                    f"{'within it' if weight_ok else 'exceeded'}",
                    f"按重量计的微小含量：上述材料重 {weight} 千克，占货物重量 {product.weight_kg} 千克的 "
                    f"{pct(percent(weight, product.weight_kg))}%；上限为10%——{'未超过' if weight_ok else '已超过'}",
                )
            )
    if value_ok or weight_ok:
        lines.append(
            line(
                (art("3.7", "1"), art("3.7", "2")),
                f"{test} is met under de minimis; the value of those materials still counts as non-originating in any RVC",
                f"依微小含量规定满足{test}；上述材料价值在区域价值成分计算中仍计为非原产材料价值",
            )
        )
        return Outcome(str(test), True, ["CTC", "DMI"], lines, uses_de_minimis=True)

    hint = {
        "kind": "ctc",
        "test": str(test),
        "articles": [hn.en(), "Art. 3.7"],
        "materials": [
            {
                "index": m.index,
                "description": m.description,
                "hs": m.hs,
                "country": m.country,
                "value": str(m.value),
                "reason": why,
            }
            for m, why, *_ in failing
        ],
        "de_minimis_limit": money_floor(limit),
        "de_minimis_value": money(value),
        "reduce_by": money_ceil(value - limit),
        "en": (
            f"{test}: {', '.join(m.label for m, *_ in failing)} must undergo the change (or be sourced "
            f"originating), or their total value must fall to at most {money_floor(limit)} (10% of FOB; now "
            f"{money(value)}, {money_ceil(value - limit)} too much) to use de minimis (Art. 3.7)"
        ),
        "zh": (
            f"{test}：{'、'.join(m.label_zh for m, *_ in failing)}须发生归类改变（或改用原产材料），或其合计价值降至 "
            f"{money_floor(limit)} 以下（离岸价格的10%；现为 {money(value)}，超出 {money_ceil(value - limit)}）以适用微小含量（第3.7条）"
        ),
    }
    if weight_data:
        w, total = weight_data
        w_limit = total * DE_MINIMIS_PERCENT / 100
        hint["de_minimis_weight_limit_kg"] = str(w_limit)
        hint["de_minimis_weight_kg"] = str(w)
    return Outcome(str(test), False, ["CTC"], lines, [hint])


# ---------------------------------------------------------------------------------------------
# Regional value content — 区域价值成分 (Art. 3.5)


@dataclass(frozen=True)
class RvcFigures:
    fob: Decimal
    vnm: Decimal
    vom: Decimal
    costs: Decimal | None
    build_down: Decimal
    build_up: Decimal | None


def rvc_figures(scn: Scenario) -> RvcFigures:
    """VNM, VOM and both formulas of Art. 3.5.1, unrounded."""
    fob = scn.product.fob
    mats = scn.for_rvc()
    vnm = exact_sum(m.vnm_value for m in mats if not scn.originating(m))
    vom = exact_sum([m.value for m in mats if scn.originating(m)] + [m.value for m in scn.indirect()])
    bu = scn.bom.build_up
    costs = bu.total if bu is not None else None
    return RvcFigures(
        fob, vnm, vom, costs, percent(fob - vnm, fob), percent(vom + costs, fob) if costs is not None else None
    )


def check_rvc(scn: Scenario, test: Test) -> Outcome:
    thr = test.threshold
    f = rvc_figures(scn)
    lines: list[Line] = []
    hn = headnote("7(a)")
    down_ok = at_least_percent(f.fob - f.vnm, f.fob, thr)
    lines.append(
        line(
            (art("3.5", "1(a)"), hn),
            f"build-down RVC = (FOB − VNM) / FOB × 100 = ({money(f.fob)} − {money(f.vnm)}) / {money(f.fob)} × 100 = "
            f"{pct(f.build_down)}% — {'no less than' if down_ok else 'below'} {thr}%",
            f"扣减法区域价值成分 = (离岸价格 − 非原产材料价值) / 离岸价格 × 100 = ({money(f.fob)} − {money(f.vnm)}) / "
            f"{money(f.fob)} × 100 = {pct(f.build_down)}%——{'不低于' if down_ok else '低于'}{thr}%",
        )
    )
    lines.extend(_rounding_note(f.build_down, down_ok, thr))
    up_ok = False
    if f.build_up is not None:
        bu = scn.bom.build_up
        up_ok = at_least_percent(f.vom + f.costs, f.fob, thr)
        lines.append(
            line(
                (art("3.5", "1(b)"), hn),
                f"build-up RVC = (VOM + direct labour + direct overhead + profit + other cost) / FOB × 100 = "
                f"({money(f.vom)} + {money(bu.direct_labour)} + {money(bu.direct_overhead)} + {money(bu.profit)} + "
                f"{money(bu.other_cost)}) / {money(f.fob)} × 100 = {pct(f.build_up)}% — "
                f"{'no less than' if up_ok else 'below'} {thr}%",
                f"累加法区域价值成分 = (原产材料价值 + 直接人工成本 + 直接经营费用 + 利润 + 其他成本) / 离岸价格 × 100 = "
                f"({money(f.vom)} + {money(bu.direct_labour)} + {money(bu.direct_overhead)} + {money(bu.profit)} + "
                f"{money(bu.other_cost)}) / {money(f.fob)} × 100 = {pct(f.build_up)}%——{'不低于' if up_ok else '低于'}{thr}%",
            )
        )
        lines.extend(_rounding_note(f.build_up, up_ok, thr))
        if bu.missing:
            lines.append(
                line(
                    art("3.5", "1(b)"),
                    f"build-up costs not given count as zero: {', '.join(field_label(k)[1].lower() for k in bu.missing)}",
                    f"未填写的累加法成本项按零计：{'、'.join(field_label(k)[0] for k in bu.missing)}",
                )
            )
    else:
        lines.append(
            line(
                art("3.5", "1(b)"),
                "build-up RVC not computed: no build-up costs (direct labour, direct overheads, profit, other "
                "costs) were given",
                "未提供累加法成本（直接人工成本、直接经营费用、利润、其他成本），未计算累加法区域价值成分",
            )
        )
    if down_ok or up_ok:
        used = "build-down" if down_ok else "build-up"
        lines.append(
            line(
                (art("3.5", "1"), hn),
                f"{test} is met ({used}); the exporter may use either formula",
                f"满足{test}（{'扣减法' if down_ok else '累加法'}）；出口商可选用任一公式",
            )
        )
        return Outcome(str(test), True, ["RVC"], lines)
    return Outcome(str(test), False, ["RVC"], lines, [_rvc_hint(scn, test, f)])


def _rounding_note(value: Decimal, ok: bool, thr: Decimal) -> list[Line]:
    if not ok and Decimal(pct(value)) >= thr:
        return [
            line(
                headnote("7(a)"),
                f"{value.normalize():f}% rounds to {pct(value)}% for display but is below {thr}%; "
                "the comparison uses the unrounded value",
                f"{value.normalize():f}% 显示时四舍五入为 {pct(value)}%，但低于{thr}%；比较以未取整数值为准",
            )
        ]
    return []


def _rvc_hint(scn: Scenario, test: Test, f: RvcFigures) -> dict:
    thr = test.threshold
    max_vnm = f.fob * (100 - thr) / 100
    reduce = f.vnm - Decimal(money_floor(max_vnm))
    # Largest non-originating materials first: the fewest switches that close the gap.
    candidates, picked = [], Decimal(0)
    for m in sorted((m for m in scn.for_rvc() if not scn.originating(m)), key=lambda m: (-m.vnm_value, m.index)):
        if at_least_percent(f.fob - (f.vnm - picked), f.fob, thr):
            break
        candidates.append(m)
        picked += m.vnm_value
    hint = {
        "kind": "rvc",
        "test": str(test),
        "articles": ["Art. 3.5.1", "Art. 3.4.1"],
        "max_non_originating_value": money_floor(max_vnm),
        "non_originating_value": money(f.vnm),
        "reduce_by": money_ceil(reduce),
        "source_from_party": [m.index for m in candidates],
        "en": (
            f"{test} by build-down: non-originating value must be at most {money_floor(max_vnm)} "
            f"({100 - thr}% of FOB {money(f.fob)}); it is {money(f.vnm)}, so reduce it by {money_ceil(reduce)} — "
            f"e.g. by sourcing {', '.join(m.label for m in candidates)} originating from an RCEP Party (Art. 3.4)"
        ),
        "zh": (
            f"{test}（扣减法）：非原产材料价值不得超过 {money_floor(max_vnm)}（离岸价格 {money(f.fob)} 的 {100 - thr}%）；"
            f"现为 {money(f.vnm)}，须减少 {money_ceil(reduce)}——例如改从 RCEP 缔约方采购原产的"
            f"{'、'.join(m.label_zh for m in candidates)}（第3.4条）"
        ),
    }
    if f.build_up is not None:
        need = f.fob * thr / 100 - f.costs
        hint["min_originating_value_build_up"] = money_ceil(max(need, Decimal(0)))
        hint["originating_value"] = money(f.vom)
        hint["en"] += (
            f"; by build-up, originating materials must be worth at least "
            f"{money_ceil(max(need, Decimal(0)))} (now {money(f.vom)})"
        )
        hint["zh"] += f"；按累加法，原产材料价值须不少于 {money_ceil(max(need, Decimal(0)))}（现为 {money(f.vom)}）"
    return hint


# ---------------------------------------------------------------------------------------------
# CR and WO as a product-specific rule


def check_cr(scn: Scenario, test: Test) -> Outcome:
    product = scn.product
    hn = headnote("7(f)")
    if product.chemical_reaction is True:
        return Outcome(
            "CR",
            True,
            ["CR"],
            [
                line(
                    hn,
                    f"a chemical reaction (a new molecular structure; not dissolving, solvent removal or water of "
                    f"crystallisation) is declared to have occurred in {party_name(product.country)}",
                    f"申明化学反应（形成新分子结构，不含溶解、去除溶剂或结晶水的增减）发生在{party_name_zh(product.country)}",
                )
            ],
        )
    stated = "declared not to have" if product.chemical_reaction is False else "not declared to have"
    stated_zh = "申明未" if product.chemical_reaction is False else "未申明"
    return Outcome(
        "CR",
        False,
        ["CR"],
        [
            line(
                hn,
                f"CR: a chemical reaction is {stated} occurred in a Party (the product's “chemical reaction” answer)",
                f"CR：{stated_zh}在缔约方发生化学反应（产品的“化学反应”一项）",
            )
        ],
        [
            {
                "kind": "chemical_reaction",
                "articles": [hn.en()],
                "en": "CR: the good qualifies if it is the product of a chemical reaction that occurred in a Party "
                "(declare that a chemical reaction occurred, with evidence)",
                "zh": "CR：如货物系在缔约方发生的化学反应的产物即可满足（申明发生了化学反应，并以证据支持）",
            }
        ],
    )


def check_test(scn: Scenario, test: Test) -> Outcome:
    if test.is_ctc:
        return check_ctc(scn, test)
    if test.kind == "RVC":
        return check_rvc(scn, test)
    if test.kind == "CR":
        return check_cr(scn, test)
    out = check_wo(scn)
    out.lines = [
        line(
            headnote("7(e)"),
            "the rule WO is met only by a wholly obtained good (or, headnote 7(e), one "
            "produced exclusively from originating materials)",
            "WO 规则仅由完全获得货物满足（依注释7(e)，完全由原产材料生产的货物亦可）",
        )
    ] + out.lines
    return out


def check_alternative(scn: Scenario, alt: Alternative, ops: Operations) -> Outcome:
    outcomes = [check_test(scn, t) for t in alt.tests]
    lines = [ln for o in outcomes for ln in o.lines]
    hints = [h for o in outcomes for h in o.hints if not o.passed]
    codes: list[str] = []
    for o in outcomes:
        for c in o.codes:
            if c not in codes and c != "DMI":
                codes.append(c)
    passed = all(o.passed for o in outcomes)
    dmi = any(o.uses_de_minimis for o in outcomes)
    barred = _barred(scn, ops)
    if barred:
        # "Notwithstanding any provisions of this Chapter" — Art. 3.6 overrides every PSR test.
        names = ", ".join(m.label for m in barred)
        names_zh = "、".join(m.label_zh for m in barred)
        lines.append(
            line(
                art("3.6"),
                f"{alt}: only minimal operations were undertaken on the non-originating "
                f"materials ({names}), which cannot confer origin whatever the test shows",
                f"{alt}：对非原产材料（{names_zh}）仅进行了微小加工及处理，无论上述标准结果如何均不能授予原产资格",
            )
        )
        passed = False
        hints.append(
            {
                "kind": "minimal_operations",
                "articles": ["Art. 3.6"],
                "operations": [o for o, _ in ops.minimal],
                "en": "working or processing beyond the minimal operations of Art. 3.6 (e.g. assembly, "
                "moulding, weaving) must be undertaken on the non-originating materials, or they must be "
                "sourced originating",
                "zh": "须对非原产材料进行超出第3.6条微小加工及处理的加工（如装配、成型、织造），或改用原产材料",
            }
        )
    # DMI is reported apart from the main codes: it is a supplementary claim (Form RCEP box 10).
    return Outcome(str(alt), passed, codes, lines, hints, uses_de_minimis=dmi and passed)


# ---------------------------------------------------------------------------------------------
# Determination — 判定


@dataclass
class _Evaluation:
    wo: Outcome
    pe: Outcome
    pe_acu: bool
    alternatives: list[tuple[Alternative, Outcome, bool]]  # (alternative, outcome, accumulation needed)
    chosen: tuple[str, list[str]] | None  # (label, criterion codes)


def _evaluate(bom: BillOfMaterials, rule: Rule | None, ops: Operations) -> _Evaluation:
    scn = Scenario(bom, accumulate=True)
    plain = Scenario(bom, accumulate=False)
    wo = check_wo(scn)
    pe = check_pe(scn)
    pe_acu = pe.passed and not check_pe(plain).passed
    alts = []
    if rule is not None:
        for alt in rule.alternatives:
            out = check_alternative(scn, alt, ops)
            acu = out.passed and not check_alternative(plain, alt, ops).passed
            alts.append((alt, out, acu))
    chosen = None
    if wo.passed:
        chosen = ("WO", ["WO"])
    elif pe.passed:
        chosen = ("PE", ["PE", "ACU"] if pe_acu else ["PE"])
    else:
        passing = [(a, o, acu) for a, o, acu in alts if o.passed]
        if passing:
            # Any passing alternative may be used (headnote 4); prefer the one needing the fewest
            # supplementary claims (ACU/DMI), then the order the Annex writes them in.
            a, o, acu = min(passing, key=lambda item: int(item[2]) + int(item[1].uses_de_minimis))
            chosen = (str(a), _codes(o, acu))
    return _Evaluation(wo, pe, pe_acu, alts, chosen)


def _codes(out: Outcome, acu: bool) -> list[str]:
    """Box-10 codes: the main criteria, then ACU and DMI, which only ever accompany another."""
    return list(out.codes) + (["ACU"] if acu else []) + (["DMI"] if out.uses_de_minimis else [])


def _resolve_table(psr) -> PsrTable:
    if psr is None:
        return active_table()
    if isinstance(psr, PsrTable):
        return psr
    return PsrTable.from_path(psr)


def determine(bom, psr=None, *, correlation: Correlation | None = None, on: date | None = None) -> OriginResult:
    """Determine whether a good originates under RCEP — 判定货物是否具有 RCEP 原产资格.

    ``bom`` is the JSON contract (``dict``) or a ``BillOfMaterials``; ``psr`` a ``PsrTable`` or a
    path (default: the local override, else the shipped table), read only when the bill states no
    ``rule`` and the good is neither WO nor PE. ``on`` (default: the bill's ``date``, else today)
    selects PSR rows by validity. Raises ``BomError`` / ``PsrError`` (both ``OriginError``) on
    input that cannot be judged.
    """
    bom = load_bom(bom)
    when = on or bom.date or date.today()
    product = bom.product
    ops = classify_operations(product.operations)
    scn = Scenario(bom)
    explanation: list[Line] = [
        line(
            art("3.13", "1"),
            f"good {fmt_hs(product.hs)} ({bom.hs_version}){' “' + product.description + '”' if product.description else ''}, "
            f"FOB {money(product.fob)} {product.currency}, produced in {party_name(product.country)}",
            f"货物 {fmt_hs(product.hs)}（{bom.hs_version}）{product.description}，离岸价格 {money(product.fob)} "
            f"{product.currency}，生产地 {party_name_zh(product.country)}",
        )
    ]
    warnings: list[Line] = []
    material_info = []
    for m in bom.materials:
        ln, info = _material_line(m, scn)
        explanation.append(ln)
        material_info.append(info)
    figures = rvc_figures(scn)
    product_out = {"hs": product.hs, "fob": str(product.fob), "currency": product.currency, "country": product.country}

    def result(originating, criterion, resolved: ResolvedRule | None, alternatives, to_qualify, figs=figures):
        thresholds = resolved.rule.rvc_thresholds if resolved else []
        rvc = {
            "build_down": pct(figs.build_down),
            "build_up": pct(figs.build_up) if figs.build_up is not None else None,
            "threshold": str(min(thresholds)) if thresholds else None,
            "fob": money(figs.fob),
            "vnm": money(figs.vnm),
            "vom": money(figs.vom),
            "build_up_costs": money(figs.costs) if figs.costs is not None else None,
        }
        return OriginResult(
            originating=originating,
            criterion=criterion,
            rule=str(resolved.rule) if resolved else None,
            rule_source=resolved.describe() if resolved else None,
            hs_version=bom.hs_version,
            on=when,
            product=product_out,
            rvc=rvc,
            alternatives=alternatives,
            materials=material_info,
            explanation=explanation,
            to_qualify=to_qualify,
            warnings=warnings,
        )

    if product.country not in PARTIES:
        explanation.append(
            line(
                art("3.2"),
                f"{party_name(product.country)} is not an RCEP Party; only a good produced "
                "in a Party can be originating",
                f"{product.country} 不是 RCEP 缔约方；只有在缔约方生产的货物才可能具有原产资格",
            )
        )
        return result(
            False,
            [],
            None,
            [],
            [
                {
                    "kind": "produce_in_party",
                    "articles": ["Art. 3.2"],
                    "en": f"production must take place in one of the RCEP Parties ({', '.join(PARTIES)})",
                    "zh": f"须在 RCEP 缔约方（{'、'.join(PARTIES)}）境内生产",
                }
            ],
        )

    ops_lines, ops_warn = _ops_lines(ops)
    explanation.extend(ops_lines)
    warnings.extend(ops_warn)

    table = None

    def resolve(strict: bool) -> ResolvedRule | None:
        nonlocal table
        try:
            if bom.rule is None and table is None:
                table = _resolve_table(psr)
            return resolve_rule(bom, table, correlation if correlation is not None else shipped_correlation(), when)
        except (PsrError, PsrFileError) as exc:
            if strict:
                raise
            if isinstance(exc, PsrFileError):
                # The rule is only informative here (WO/PE decided), but a broken table must not pass unnoticed.
                w = line(
                    headnote("2"),
                    f"the PSR table could not be read ({exc.errors[0][2]}); not needed for WO/PE",
                    f"无法读取规则表（{exc.errors[0][1]}）；完全获得或完全原产材料无须适用该表",
                )
                warnings.append(w)
            return None

    first = _evaluate(bom, None, ops)
    if first.chosen is not None:
        # WO and PE apply to every tariff line (headnote 2); no product-specific rule is needed.
        explanation.extend(first.wo.lines if first.wo.passed or product.wholly_obtained else [])
        explanation.extend(first.pe.lines if not first.wo.passed else [])
        resolved = resolve(strict=False)
        label, codes = first.chosen
        if "ACU" in codes:
            explanation.append(
                line(
                    art("3.4", "1"),
                    "the materials of other Parties were needed: accumulation applied (ACU)",
                    "须计入其他缔约方的原产材料：适用累积（ACU）",
                )
            )
        explanation.append(
            line(
                (headnote("2"), Ref("", kind="form")),
                f"ORIGINATING under {label}; origin criterion {' + '.join(codes)}",
                f"具有原产资格（{label}）；原产地标准 {' + '.join(codes)}",
            )
        )
        if resolved is None:
            explanation.append(line(headnote("2"), "no product-specific rule was needed", "无须适用产品特定原产地规则"))
        return result(True, codes, resolved, [], [])

    explanation.extend(first.wo.lines if product.wholly_obtained else [])
    explanation.extend(first.pe.lines)
    resolved = resolve(strict=True)
    rule = resolved.rule
    if resolved.entry is None:
        explanation.append(
            line(
                headnote("3"),
                f"rule “{rule}” as stated in the bill of materials ({resolved.hs_version})",
                f"适用清单中写明的规则“{rule}”（{resolved.hs_version}）",
            )
        )
    else:
        e = resolved.entry
        explanation.append(
            line(
                Ref("3A", f"{fmt_hs(e.hs_prefix)} ({e.hs_version})", kind="psr"),
                f"rule “{rule}” for {e.level} {fmt_hs(e.hs_prefix)} — source: {e.source}",
                f"适用{_LEVEL_ZH[e.level]} {fmt_hs(e.hs_prefix)} 的规则“{rule}”——来源：{e.source}",
            )
        )
    for src_code, dst_code, why in resolved.transposed:
        explanation.append(
            line(
                headnote("9"),
                f"code {fmt_hs(src_code)} ({resolved.from_version}) read as "
                f"{fmt_hs(dst_code)} ({resolved.hs_version}) per the correlation table — {why}",
                f"税号 {fmt_hs(src_code)}（{resolved.from_version}）按对照表视为 {fmt_hs(dst_code)}"
                f"（{resolved.hs_version}）——{why}",
            )
        )
    work = resolved.bom
    ev = _evaluate(work, rule, ops)
    alternatives = []
    for i, (alt, out, acu) in enumerate(ev.alternatives, start=1):
        explanation.append(
            line(
                headnote("4"),
                f"alternative {i} of {len(ev.alternatives)}: {alt}",
                f"第{i}项（共{len(ev.alternatives)}项）可选规则：{alt}",
            )
        )
        explanation.extend(out.lines)
        verdict = "met" if out.passed else "not met"
        explanation.append(
            line(
                headnote("4"),
                f"alternative {i} ({alt}) is {verdict}" + (" — only with accumulation (Art. 3.4)" if acu else ""),
                f"第{i}项可选规则（{alt}）{'满足' if out.passed else '不满足'}"
                + ("——须适用累积（第3.4条）" if acu else ""),
            )
        )
        alternatives.append(
            {
                "rule": str(alt),
                "passed": out.passed,
                "criterion": _codes(out, acu) if out.passed else list(out.codes),
                "accumulation_needed": acu,
                "de_minimis_used": out.uses_de_minimis,
            }
        )
    figures_work = rvc_figures(Scenario(work))
    if ev.chosen is not None:
        label, codes = ev.chosen
        explanation.append(
            line(
                (art("3.2", "(c)"), Ref("", kind="form")),
                f"ORIGINATING under {label}; origin criterion {' + '.join(codes)}",
                f"具有原产资格（{label}）；原产地标准 {' + '.join(codes)}",
            )
        )
        return result(True, codes, resolved, alternatives, [], figures_work)

    explanation.append(
        line(
            (art("3.2"), headnote("4")),
            "NOT ORIGINATING: the good is not WO, not PE, and meets no alternative of the product-specific rule",
            "不具有原产资格：非完全获得、非完全由原产材料生产，且不满足产品特定原产地规则的任何一项",
        )
    )
    to_qualify = [h for _a, out, _acu in ev.alternatives for h in out.hints]
    to_qualify = _dedupe(to_qualify)
    switches = _switch_hints(work, rule, ops)
    to_qualify.extend(switches)
    pe_route = _pe_hint(Scenario(work))
    if not (len(pe_route["materials"]) == 1 and any(h["material"] in pe_route["materials"] for h in switches)):
        to_qualify.append(pe_route)  # unless it merely repeats a single-material switch
    return result(False, [], resolved, alternatives, to_qualify, figures_work)


def _pe_hint(scn: Scenario) -> dict:
    """The route that never depends on the rule: every material originating (Art. 3.2(b), headnote 2)."""
    missing = [m for m in scn.direct() if not scn.originating(m)]
    names = ", ".join(m.label for m in missing)
    return {
        "kind": "all_originating",
        "articles": ["Art. 3.2(b)", "Art. 3.4.1"],
        "materials": [m.index for m in missing],
        "en": f"whatever the rule, the good qualifies as PE if every material is originating: source {names} "
        "originating from RCEP Parties, with proof of origin",
        "zh": f"无论适用何种规则，如全部材料均为原产材料，货物即可按 PE 获得原产资格：请从 RCEP 缔约方采购原产的"
        f"{'、'.join(m.label_zh for m in missing)}（附原产地证明）",
    }


def _dedupe(hints: list[dict]) -> list[dict]:
    seen, out = set(), []
    for h in hints:
        key = (h["kind"], h.get("test"), h["en"])
        if key not in seen:
            seen.add(key)
            out.append(h)
    return out


def _switch_hints(bom: BillOfMaterials, rule: Rule, ops: Operations) -> list[dict]:
    """Which single non-originating material, sourced originating from a Party (Art. 3.4), would suffice."""
    scn = Scenario(bom)
    hints = []
    candidates = [m for m in bom.materials if m.role not in ("packing", "indirect") and not scn.originating(m)]
    if len(candidates) > SWITCH_TRIALS:
        # The hints stay short and the same as before trials became incremental: the largest
        # values are the ones that can close an RVC gap; the ctc and all_originating hints still
        # name every material at fault.
        keep = {m.index for m in sorted(candidates, key=lambda m: (-m.value, m.index))[:SWITCH_TRIALS]}
        candidates = [m for m in candidates if m.index in keep]
    # Verdicts only, adjusted for the one material that changes: the explanation of a trial
    # nobody reads is never written (see trials.py).
    trials = Trials(bom, rule, ops)
    for m in candidates:
        chosen = trials.chosen_if_sourced(m)
        if chosen is None:
            continue
        label, codes = chosen
        if m.country in PARTIES and m.originating is None:
            en = (
                f"{m.label} comes from {party_name(m.country)}, an RCEP Party: with proof of its RCEP origin from the "
                f"supplier it counts as originating (Art. 3.4), and the good would qualify under {label}"
            )
            zh = (
                f"{m.label_zh}来自缔约方{party_name_zh(m.country)}：如供应商提供其 RCEP 原产地证明，即可视为原产材料（第3.4条），"
                f"货物将满足{label}"
            )
        else:
            en = (
                f"sourcing {m.label} originating from an RCEP Party (with proof of origin; Art. 3.4) would make the "
                f"good qualify under {label}"
            )
            zh = f"如改从 RCEP 缔约方采购原产的{m.label_zh}（附原产地证明；第3.4条），货物将满足{label}"
        hints.append(
            {
                "kind": "source_from_party",
                "material": m.index,
                "description": m.description,
                "criterion": codes,
                "articles": ["Art. 3.4.1"],
                "en": en,
                "zh": zh,
            }
        )
    return hints
