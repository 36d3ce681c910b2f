"""Explanation lines and number formatting — 说明条目与数字格式.

Every line of an origin result (原产地判定结果) names the provision it rests on, in English and
Chinese, so an officer can check the reasoning against the treaty text without reading code.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext

CENT = Decimal("0.01")

# Money here is never divided except in percentages, so a generous precision makes every
# product and sum exact; only display rounds.
EXACT_PRECISION = 80


@dataclass(frozen=True)
class Ref:
    """A citation — 条款引用: an RCEP article (with paragraph/subparagraph) or an Annex 3A headnote.

    ``Ref("3.5", "1(a)")`` reads "Art. 3.5.1(a)" / "第3.5条第1款(a)项";
    ``Ref("3.3", "(a)")`` reads "Art. 3.3(a)" / "第3.3条(a)项";
    ``Ref("3A", "7(a)", kind="headnote")`` reads "Annex 3A headnote 7(a)" / "附件3A注释第7(a)项";
    ``Ref("3A", "94", kind="psr")`` reads "Annex 3A PSR 94" / "附件3A产品特定原产地规则 94".
    """

    article: str
    para: str = ""
    kind: str = "article"

    def en(self) -> str:
        if self.kind == "headnote":
            return f"Annex {self.article} headnote {self.para}".strip()
        if self.kind == "psr":
            return f"Annex {self.article} PSR {self.para}".strip()
        if self.kind == "form":
            return "Form RCEP box 10"
        if not self.para:
            return f"Art. {self.article}"
        if self.para.startswith("("):
            return f"Art. {self.article}{self.para}"
        return f"Art. {self.article}.{self.para}"

    def zh(self) -> str:
        if self.kind == "headnote":
            return f"附件{self.article}注释第{self.para}项"
        if self.kind == "psr":
            return f"附件{self.article}产品特定原产地规则 {self.para}".strip()
        if self.kind == "form":
            return "RCEP原产地证书第10栏"
        if not self.para:
            return f"第{self.article}条"
        if self.para.startswith("("):
            return f"第{self.article}条{self.para}项"
        number, _, rest = self.para.partition("(")
        tail = f"({rest}项" if rest else ""
        return f"第{self.article}条第{number}款{tail}"


def art(article: str, para: str = "") -> Ref:
    return Ref(article, para)


def headnote(para: str) -> Ref:
    return Ref("3A", para, kind="headnote")


@dataclass(frozen=True)
class Line:
    """One explanation line — 说明条目: the provisions cited and the same sentence in two languages."""

    refs: tuple[Ref, ...]
    en: str
    zh: str

    def render_en(self) -> str:
        return f"{' / '.join(r.en() for r in self.refs)}: {self.en}"

    def render_zh(self) -> str:
        return f"{'、'.join(r.zh() for r in self.refs)}：{self.zh}"

    def as_dict(self) -> dict:
        return {"articles": [r.en() for r in self.refs], "en": self.render_en(), "zh": self.render_zh()}


def line(refs: Ref | tuple[Ref, ...] | list[Ref], en: str, zh: str) -> Line:
    if isinstance(refs, Ref):
        refs = (refs,)
    if not refs:
        raise ValueError("an explanation line must cite at least one provision")
    return Line(tuple(refs), en, zh)


def money(value: Decimal) -> str:
    """Amounts shown to the cent, half-up — 金额保留两位小数（四舍五入）; display only."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def money_floor(value: Decimal) -> str:
    """Round down to the cent: a ceiling on non-originating value must itself still pass."""
    return str(value.quantize(CENT, rounding=ROUND_FLOOR))


def money_ceil(value: Decimal) -> str:
    """Round up to the cent: a floor on originating value must itself still pass."""
    return str(value.quantize(CENT, rounding=ROUND_CEILING))


def percent(numerator: Decimal, denominator: Decimal) -> Decimal:
    """The unrounded percentage ``numerator / denominator × 100`` (denominator > 0)."""
    with localcontext() as ctx:
        ctx.prec = EXACT_PRECISION
        return numerator * 100 / denominator


def pct(value: Decimal) -> str:
    """A percentage shown rounded half-up to 2 decimals — 百分比四舍五入保留两位小数."""
    with localcontext() as ctx:
        ctx.prec = EXACT_PRECISION
        return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def at_least_percent(numerator: Decimal, denominator: Decimal, threshold: Decimal) -> bool:
    """``numerator / denominator × 100 >= threshold`` decided exactly, without dividing.

    "No less than 40 per cent" (Annex 3A headnote 7(a)) is compared on unrounded values, so
    cross-multiplying avoids any rounding of the quotient (denominator must be positive).
    """
    with localcontext() as ctx:
        ctx.prec = EXACT_PRECISION
        return numerator * 100 >= threshold * denominator


def at_most_percent(numerator: Decimal, denominator: Decimal, threshold: Decimal) -> bool:
    """``numerator / denominator × 100 <= threshold`` decided exactly ("does not exceed", Art. 3.7)."""
    with localcontext() as ctx:
        ctx.prec = EXACT_PRECISION
        return numerator * 100 <= threshold * denominator


def exact_sum(values) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = EXACT_PRECISION
        total = Decimal(0)
        for v in values:
            total += v
        return total
