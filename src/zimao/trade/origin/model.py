"""Bill of materials — 物料清单: the input of an origin determination, validated.

``load_bom`` turns the JSON contract (see docs/origin.md) into frozen dataclasses holding
``Decimal`` money. It refuses anything it cannot read unambiguously and names every bad field
in Chinese and English (``BomError.errors`` is a list of ``(field, zh, en)``), because an origin
claim built on a guessed value is worse than no claim.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from zimao.core.fieldnames import field_label
from zimao.trade import labels  # noqa: F401 — registers the BOM's field words

# The 15 RCEP Parties — RCEP 十五个缔约方 (ISO 3166-1 alpha-2).
PARTIES: dict[str, tuple[str, str]] = {
    "AU": ("Australia", "澳大利亚"),
    "BN": ("Brunei Darussalam", "文莱"),
    "KH": ("Cambodia", "柬埔寨"),
    "CN": ("China", "中国"),
    "ID": ("Indonesia", "印度尼西亚"),
    "JP": ("Japan", "日本"),
    "LA": ("Lao PDR", "老挝"),
    "MY": ("Malaysia", "马来西亚"),
    "MM": ("Myanmar", "缅甸"),
    "NZ": ("New Zealand", "新西兰"),
    "PH": ("Philippines", "菲律宾"),
    "SG": ("Singapore", "新加坡"),
    "KR": ("Republic of Korea", "韩国"),
    "TH": ("Thailand", "泰国"),
    "VN": ("Viet Nam", "越南"),
}

UNKNOWN_COUNTRY = "unknown"

# Harmonized System editions a code may be written in — 协调制度版本.
HS_VERSIONS = ("HS1992", "HS1996", "HS2002", "HS2007", "HS2012", "HS2017", "HS2022")

# Art. 3.6 minimal operations — 微小加工及处理: the word the input uses → subparagraph.
# Each word stands for the *simple* form named in the article (footnote 3: no special skills or
# specially made machines); a producer doing more than that must name the operation otherwise.
MINIMAL_OPERATIONS: dict[str, str] = {
    "preserving": "(a)",
    "packaging": "(b)",
    "sifting": "(c)",
    "screening": "(c)",
    "sorting": "(c)",
    "classifying": "(c)",
    "sharpening": "(c)",
    "cutting": "(c)",
    "slitting": "(c)",
    "grinding": "(c)",
    "bending": "(c)",
    "coiling": "(c)",
    "uncoiling": "(c)",
    "labelling": "(d)",
    "diluting": "(e)",
    "disassembling": "(f)",
    "slaughtering": "(g)",
    "painting": "(h)",
    "polishing": "(h)",
    "peeling": "(i)",
    "stoning": "(i)",
    "shelling": "(i)",
    "mixing": "(j)",
}

# Art. 3.3 subparagraphs — 完全获得或者生产的货物.
WHOLLY_OBTAINED: dict[str, tuple[str, str]] = {
    "a": (
        "plants and plant goods grown and harvested, picked, or gathered there",
        "在该缔约方种植并收获、采摘或采集的植物及植物产品",
    ),
    "b": ("live animals born and raised there", "在该缔约方出生并饲养的活动物"),
    "c": ("goods obtained from live animals raised there", "从在该缔约方饲养的活动物获得的货物"),
    "d": (
        "goods obtained by hunting, trapping, fishing, farming, aquaculture, gathering, or capturing there",
        "在该缔约方狩猎、诱捕、捕捞、耕种、水产养殖、采集或捕获获得的货物",
    ),
    "e": (
        "minerals and other naturally occurring substances extracted or taken there",
        "从该缔约方土壤、水域、海床或海床底土提取或得到的矿物及其他天然生成物质",
    ),
    "f": (
        "goods of sea-fishing and other marine life taken outside the territorial sea by vessels of that Party",
        "该缔约方船只在领海以外水域获得的海洋渔获及其他海洋生物",
    ),
    "g": (
        "goods of sea-fishing taken from the high seas by vessels of that Party",
        "该缔约方船只在公海获得的海洋渔获及其他海洋生物",
    ),
    "h": (
        "goods processed or made on board factory ships of that Party from goods in (f) or (g)",
        "在该缔约方加工船上仅以(f)或(g)项货物加工或制造的货物",
    ),
    "i": (
        "waste and scrap, or used goods, fit only for disposal, recovery of raw materials or recycling",
        "仅适用于处置、回收原材料或再利用的废碎料或旧货",
    ),
    "j": (
        "goods obtained or produced there solely from goods in (a) through (i) or their derivatives",
        "仅由(a)至(i)项所列货物或其衍生物在该缔约方获得或生产的货物",
    ),
}

# Material roles — 材料角色. Each role is treated by the article named beside it.
ROLES: dict[str, tuple[str, str, str]] = {
    "material": ("3.2", "material used in production", "用于生产的材料"),
    "packing": (
        "3.8",
        "packing material or container for transportation (Art. 3.8.1)",
        "运输用包装材料及容器（第3.8条第1款）",
    ),
    "retail_packaging": (
        "3.8",
        "packaging for retail sale, classified with the good (Art. 3.8.2)",
        "零售用包装材料及容器（第3.8条第2款）",
    ),
    "accessory": (
        "3.9",
        "accessory, spare part, tool or instructional material presented with the good",
        "与货物一同报验的附件、备件、工具及说明材料",
    ),
    "indirect": (
        "3.10",
        "indirect material (fuel, tools, moulds, lubricants, …)",
        "间接材料（燃料、工具、模具、润滑剂等）",
    ),
}

_TOP_KEYS = {"hs_version", "product", "rule", "build_up", "materials", "date"}
_PRODUCT_KEYS = {
    "hs",
    "fob",
    "currency",
    "country",
    "weight_kg",
    "operations",
    "description",
    "wholly_obtained",
    "chemical_reaction",
}
_MATERIAL_KEYS = {
    "description",
    "hs",
    "hs_version",
    "country",
    "originating",
    "value",
    "weight_kg",
    "role",
    "deductions",
    "invoiced_separately",
    "customary",
    "currency",
}
_BUILD_UP_KEYS = ("direct_labour", "direct_overhead", "profit", "other_cost")


class OriginError(Exception):
    """An origin request zimao refuses — 原产地判定请求无效; ``errors`` is ``[(field, zh, en), …]``."""

    code = "invalid_input"

    def __init__(self, errors: list[tuple[str, str, str]]):
        if not errors:
            raise ValueError("OriginError needs at least one (field, zh, en)")
        self.errors = list(errors)
        super().__init__("; ".join(f"{f}: {en}" for f, _zh, en in self.errors))

    def as_dict(self) -> dict:
        """The ``{"error": {...}}`` shape the command line prints (field named in zh and en)."""
        first = self.errors[0]
        return {
            "error": {
                "code": self.code,
                "field": first[0],
                "message_zh": first[1],
                "message_en": first[2],
                "errors": [{"field": f, "message_zh": zh, "message_en": en} for f, zh, en in self.errors],
            }
        }

    def as_problems(self):
        """The same errors as ``zimao.core.errors.Problem`` for the API (imported lazily: it needs Django)."""
        from zimao.core.errors import Problem

        return [Problem(f, self.code, zh, en) for f, zh, en in self.errors]


class BomError(OriginError):
    """The bill of materials is invalid — 物料清单无效."""


# ---------------------------------------------------------------------------------------------
# HS codes — 税则号列


def normalise_hs6(text: str) -> str | None:
    """``"9403.60"`` / ``"940360"`` → ``"940360"``; ``None`` when it is not a 6-digit HS subheading."""
    if not isinstance(text, str):
        return None
    digits = re.sub(r"[\s.]", "", text)
    if not re.fullmatch(r"\d{6}", digits):
        return None
    if not valid_chapter(digits[:2]):
        return None
    return digits


def valid_chapter(two: str) -> bool:
    # HS chapters run 01–97 and chapter 77 is reserved for future use.
    return two.isdigit() and len(two) == 2 and 1 <= int(two) <= 97 and two != "77"


def normalise_hs_version(text) -> str | None:
    if not isinstance(text, str):
        return None
    compact = re.sub(r"[\s_-]", "", text).upper()
    if re.fullmatch(r"\d{4}", compact):
        compact = "HS" + compact
    return compact if compact in HS_VERSIONS else None


def fmt_hs(code: str | None) -> str:
    """``"940360"`` → ``"9403.60"``; ``"8538"`` → ``"85.38"`` (the Annex's way of writing codes)."""
    if not code:
        return "?"
    if len(code) == 6:
        return f"{code[:4]}.{code[4:]}"
    if len(code) == 4:
        return f"{code[:2]}.{code[2:]}"
    return code


def party_name(code: str) -> str:
    return f"{code} ({PARTIES[code][0]})" if code in PARTIES else code


def party_name_zh(code: str) -> str:
    return PARTIES[code][1] if code in PARTIES else ("来源不明" if code == UNKNOWN_COUNTRY else code)


# ---------------------------------------------------------------------------------------------
# The bill of materials


@dataclass(frozen=True)
class BuildUp:
    """Costs of the build-up formula — 累加法成本 (Art. 3.5.1(b)); missing items count as zero."""

    direct_labour: Decimal = Decimal(0)
    direct_overhead: Decimal = Decimal(0)
    profit: Decimal = Decimal(0)
    other_cost: Decimal = Decimal(0)
    missing: tuple[str, ...] = ()

    @property
    def total(self) -> Decimal:
        return self.direct_labour + self.direct_overhead + self.profit + self.other_cost


@dataclass(frozen=True)
class Product:
    """The good whose origin is determined — 待判定货物."""

    hs: str
    fob: Decimal
    currency: str
    country: str
    weight_kg: Decimal | None = None
    operations: tuple[str, ...] | None = None
    description: str = ""
    wholly_obtained: str | None = None
    chemical_reaction: bool | None = None

    @property
    def chapter(self) -> str:
        return self.hs[:2]


@dataclass(frozen=True)
class Material:
    """One material of the bill — 材料. ``originating`` is True only with proof of RCEP origin.

    ``None`` means the origin is undetermined — 原产资格不明, treated as non-originating (Art. 3.5.4).
    """

    index: int
    description: str
    hs: str | None
    country: str
    originating: bool | None
    value: Decimal
    weight_kg: Decimal | None = None
    role: str = "material"
    deductions: Decimal = Decimal(0)
    invoiced_separately: bool | None = None
    customary: bool | None = None
    origin_stated: bool = True

    @property
    def label(self) -> str:
        """The material as people name it (not its machine path ``materials[0]``)."""
        return f"Material {self.index + 1} “{self.description}”"

    @property
    def label_zh(self) -> str:
        return f"第{self.index + 1}项原材料“{self.description}”"

    @property
    def vnm_value(self) -> Decimal:
        """Value counted in VNM: Art. 3.5.3 value less the Art. 3.5.5 deductions."""
        return self.value - self.deductions

    @property
    def accessory_relief(self) -> bool:
        """Whether Art. 3.9's conditions hold: not invoiced separately and customary in quantity and value."""
        return self.role == "accessory" and self.invoiced_separately is not True and self.customary is not False


@dataclass(frozen=True)
class BillOfMaterials:
    """A validated bill of materials — 已校验的物料清单. Every code is in ``hs_version``."""

    hs_version: str
    product: Product
    materials: tuple[Material, ...] = ()
    rule: str | None = None
    build_up: BuildUp | None = None
    date: date | None = None
    extra: dict = field(default_factory=dict, compare=False)


# ---------------------------------------------------------------------------------------------
# Loading and validation — 读取与校验


def _reject_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def parse_json(text: str | bytes) -> dict:
    """JSON with numbers read as ``Decimal`` (money must never pass through binary floats)."""
    try:
        return json.loads(text, parse_float=Decimal, object_pairs_hook=_reject_duplicates)
    except ValueError as exc:
        raise BomError([("BOM", f"BOM：不是有效的 JSON（{exc}）", f"BOM: Not valid JSON ({exc})")]) from None


class _Collector:
    def __init__(self):
        self.errors: list[tuple[str, str, str]] = []

    def add(self, path: str, zh: str, en: str) -> None:
        label_zh, label_en = field_label(path)
        self.errors.append((path, f"{label_zh}：{zh}", f"{label_en}: {en}"))

    def obj(self, value, path: str, allowed: set[str] | tuple[str, ...]) -> dict | None:
        if not isinstance(value, dict):
            self.add(path, "应为对象", "must be an object")
            return None
        for key in value:
            if key not in allowed:
                self.add(
                    f"{path}.{key}" if path != "BOM" else key,
                    "不允许的字段（拼写是否有误？）",
                    "unknown field (misspelt?)",
                )
        return value

    def decimal(self, raw, path: str, *, positive: bool = False, required: bool = True) -> Decimal | None:
        if raw is None:
            if required:
                self.add(path, "此项必填", "is required")
            return None
        if isinstance(raw, bool) or isinstance(raw, float):
            # A float has already lost cents (0.1 + 0.2 ≠ 0.3); ask for a string instead.
            self.add(path, '金额须以字符串书写，如 "12.50"', 'write amounts as strings, e.g. "12.50"')
            return None
        if isinstance(raw, (int, Decimal)):
            value = Decimal(raw)
        elif isinstance(raw, str):
            try:
                value = Decimal(raw.strip())
            except InvalidOperation:
                self.add(path, "应为数字", "must be a number")
                return None
        else:
            self.add(path, "应为数字", "must be a number")
            return None
        if not value.is_finite():
            self.add(path, "应为有限数字", "must be a finite number")
            return None
        if positive and value <= 0:
            self.add(path, "应大于零", "must be greater than zero")
            return None
        if value < 0:
            self.add(path, "不得为负数", "must not be negative")
            return None
        return value

    def text(self, raw, path: str, *, required: bool = True) -> str | None:
        if raw is None:
            if required:
                self.add(path, "此项必填", "is required")
            return None
        if not isinstance(raw, str) or not raw.strip():
            self.add(path, "应为非空文本", "must be non-empty text")
            return None
        return raw.strip()

    def boolean(self, raw, path: str, *, allow_null: bool = True) -> bool | None:
        if raw is None and allow_null:
            return None
        if not isinstance(raw, bool):
            self.add(
                path,
                "应为 true 或 false" + ("（未知时为 null）" if allow_null else ""),
                "must be true or false" + (" (null when unknown)" if allow_null else ""),
            )
            return None
        return raw

    def hs(self, raw, path: str) -> str | None:
        code = normalise_hs6(raw) if isinstance(raw, str) else None
        if code is None:
            self.add(path, '应为6位税则号列（子目），如 "940360"', 'must be a 6-digit HS subheading such as "940360"')
        return code

    def country(self, raw, path: str, *, allow_unknown: bool) -> str | None:
        if not isinstance(raw, str):
            self.add(
                path,
                "应为两位国家代码（ISO 3166）" + ('或 "unknown"' if allow_unknown else ""),
                "must be a 2-letter ISO 3166 country code" + (' or "unknown"' if allow_unknown else ""),
            )
            return None
        value = raw.strip()
        if allow_unknown and value.lower() == UNKNOWN_COUNTRY:
            return UNKNOWN_COUNTRY
        if not re.fullmatch(r"[A-Za-z]{2}", value):
            self.add(
                path,
                "应为两位国家代码（ISO 3166）" + ('或 "unknown"' if allow_unknown else ""),
                "must be a 2-letter ISO 3166 country code" + (' or "unknown"' if allow_unknown else ""),
            )
            return None
        return value.upper()


def load_bom(data) -> BillOfMaterials:
    """Validate a bill of materials — 校验物料清单 — and return it; raise ``BomError`` listing every problem.

    ``data`` is the JSON contract as a ``dict`` (or its JSON text); a ``BillOfMaterials`` is
    returned unchanged.
    """
    if isinstance(data, BillOfMaterials):
        return data
    if isinstance(data, (str, bytes)):
        data = parse_json(data)
    c = _Collector()
    top = c.obj(data, "BOM", _TOP_KEYS)
    if top is None:
        raise BomError(c.errors)

    hs_version = normalise_hs_version(top.get("hs_version"))
    if top.get("hs_version") is None:
        c.add("hs_version", "此项必填（协调制度版本，如 HS2012）", "is required (the HS edition, e.g. HS2012)")
    elif hs_version is None:
        c.add("hs_version", f"取值应为 {' / '.join(HS_VERSIONS)} 之一", f"must be one of {', '.join(HS_VERSIONS)}")

    when = None
    if top.get("date") is not None:
        try:
            when = date.fromisoformat(str(top["date"]))
        except ValueError:
            c.add("date", "应为日期（YYYY-MM-DD）", "must be a date (YYYY-MM-DD)")

    rule = top.get("rule")
    if rule is not None:
        rule = c.text(rule, "rule")
        if rule is not None:
            # Imported here: rules.py is pure and does not import this module.
            from .rules import RuleSyntaxError, parse_rule

            try:
                parse_rule(rule)
            except RuleSyntaxError as exc:
                c.add("rule", f"规则无法解析：{exc.zh}", f"cannot parse the rule: {exc.en}")

    product = _load_product(c, top.get("product"))
    build_up = _load_build_up(c, top.get("build_up")) if "build_up" in top and top["build_up"] is not None else None
    materials = _load_materials(c, top.get("materials"), hs_version, product)

    if product is not None and not product.wholly_obtained and materials is not None:
        if not any(m.role == "material" for m in materials):
            c.add(
                "materials",
                "至少列明一项生产所用材料（用途为“材料”），完全获得货物除外（产品的“完全获得”一项）",
                "list at least one material used in production (role: material), unless the good is wholly "
                "obtained (the product's “wholly obtained” answer)",
            )

    if c.errors:
        raise BomError(c.errors)
    return BillOfMaterials(
        hs_version=hs_version, product=product, materials=tuple(materials), rule=rule, build_up=build_up, date=when
    )


def _load_product(c: _Collector, raw) -> Product | None:
    p = c.obj(raw, "product", _PRODUCT_KEYS) if raw is not None else None
    if raw is None:
        c.add("product", "此项必填", "is required")
    if p is None:
        return None
    hs = c.hs(p.get("hs"), "product.hs")
    fob = c.decimal(p.get("fob"), "product.fob", positive=True)
    currency = p.get("currency")
    if not (isinstance(currency, str) and re.fullmatch(r"[A-Za-z]{3}", currency.strip())):
        c.add(
            "product.currency",
            '应为三位货币代码（ISO 4217），如 "USD"',
            'must be a 3-letter ISO 4217 code such as "USD"',
        )
        currency = None
    else:
        currency = currency.strip().upper()
    country = c.country(p.get("country"), "product.country", allow_unknown=False)
    weight = c.decimal(p.get("weight_kg"), "product.weight_kg", positive=True, required=False)
    operations = None
    if p.get("operations") is not None:
        ops = p["operations"]
        if not isinstance(ops, list) or not all(isinstance(o, str) and o.strip() for o in ops):
            c.add("product.operations", "应为由非空文本组成的列表", "must be a list of non-empty strings")
        else:
            operations = tuple(o.strip().lower() for o in ops)
    wo = p.get("wholly_obtained")
    if wo is not None and wo is not False:
        letter = re.fullmatch(r"(?:3\.3)?\s*\(?([a-jA-J])\)?", wo.strip()) if isinstance(wo, str) else None
        if letter is None:
            c.add(
                "product.wholly_obtained",
                '应为第3.3条的项号 a 至 j（如 "a"）',
                'must name the subparagraph of Art. 3.3, "a" through "j" (e.g. "a")',
            )
            wo = None
        else:
            wo = letter.group(1).lower()
    else:
        wo = None
    chemical = c.boolean(p.get("chemical_reaction"), "product.chemical_reaction")
    description = p.get("description") if isinstance(p.get("description"), str) else ""
    if None in (hs, fob, currency, country):
        return None
    return Product(
        hs=hs,
        fob=fob,
        currency=currency,
        country=country,
        weight_kg=weight,
        operations=operations,
        description=description,
        wholly_obtained=wo,
        chemical_reaction=chemical,
    )


def _load_build_up(c: _Collector, raw) -> BuildUp | None:
    b = c.obj(raw, "build_up", set(_BUILD_UP_KEYS))
    if b is None:
        return None
    values = {}
    missing = []
    for key in _BUILD_UP_KEYS:
        if b.get(key) is None:
            missing.append(key)
            values[key] = Decimal(0)
        else:
            v = c.decimal(b[key], f"build_up.{key}")
            values[key] = v if v is not None else Decimal(0)
    return BuildUp(**values, missing=tuple(missing))


def _load_materials(c: _Collector, raw, hs_version: str | None, product: Product | None) -> list[Material] | None:
    if raw is None:
        c.add("materials", "此项必填（可为空列表）", "is required (may be an empty list)")
        return None
    if not isinstance(raw, list):
        c.add("materials", "应为列表", "must be a list")
        return None
    out = []
    for i, item in enumerate(raw):
        path = f"materials[{i}]"
        m = c.obj(item, path, _MATERIAL_KEYS)
        if m is None:
            continue
        before = len(c.errors)
        description = c.text(m.get("description"), f"{path}.description")
        role = m.get("role", "material")
        if role not in ROLES:
            c.add(f"{path}.role", f"应为 {' / '.join(ROLES)} 之一", f"must be one of {', '.join(ROLES)}")
            role = "material"
        hs = None
        if m.get("hs") is not None:
            hs = c.hs(m.get("hs"), f"{path}.hs")
        if m.get("hs_version") is not None:
            mv = normalise_hs_version(m["hs_version"])
            if mv is None:
                c.add(
                    f"{path}.hs_version",
                    f"取值应为 {' / '.join(HS_VERSIONS)} 之一",
                    f"must be one of {', '.join(HS_VERSIONS)}",
                )
            elif hs_version is not None and mv != hs_version:
                # Comparing codes of two HS editions would silently misjudge a change of classification.
                c.add(
                    f"{path}.hs_version",
                    f"与清单的 hs_version（{hs_version}）不同；请先将税号转换为同一版本",
                    f"differs from the bill's hs_version ({hs_version}); transpose the code to one HS edition first",
                )
        if "country" not in m:
            c.add(f"{path}.country", '此项必填（来源不明时填 "unknown"）', 'is required ("unknown" when not known)')
            country = None
        else:
            country = c.country(m.get("country"), f"{path}.country", allow_unknown=True)
        origin_stated = "originating" in m
        originating = c.boolean(m.get("originating"), f"{path}.originating")
        value = c.decimal(m.get("value"), f"{path}.value")
        weight = c.decimal(m.get("weight_kg"), f"{path}.weight_kg", required=False)
        deductions = c.decimal(m.get("deductions"), f"{path}.deductions", required=False) or Decimal(0)
        invoiced = c.boolean(m.get("invoiced_separately"), f"{path}.invoiced_separately")
        customary = c.boolean(m.get("customary"), f"{path}.customary")
        if (
            m.get("currency") is not None
            and product is not None
            and str(m["currency"]).strip().upper() != product.currency
        ):
            c.add(
                f"{path}.currency",
                f"须与货物币种 {product.currency} 相同（本工具不做汇率换算）",
                f"must be the product's currency {product.currency} (no conversion is made)",
            )
        if originating is True and country is not None and country not in PARTIES:
            # Proof of RCEP origin can only come from a Party (Art. 3.2, 3.4).
            c.add(
                f"{path}.originating",
                "只有来自 RCEP 缔约方并具原产地证明的材料才可为 true",
                "can be true only for a material from an RCEP Party with proof of RCEP origin",
            )
        if deductions and originating is True:
            c.add(
                f"{path}.deductions",
                "第3.5条第5款的扣减仅适用于非原产材料或原产资格不明的材料",
                "Art. 3.5.5 deductions apply only to non-originating materials or materials of undetermined origin",
            )
        if value is not None and deductions > value:
            c.add(f"{path}.deductions", "扣减额不得超过材料价值", "must not exceed the material's value")
        if (invoiced is not None or customary is not None) and role != "accessory":
            c.add(
                f"{path}.role",
                "invoiced_separately / customary 仅适用于 role 为 accessory 的材料",
                'invoiced_separately / customary apply only to role "accessory"',
            )
        if len(c.errors) != before:
            continue
        out.append(
            Material(
                index=i,
                description=description,
                hs=hs,
                country=country,
                originating=originating,
                value=value,
                weight_kg=weight,
                role=role,
                deductions=deductions,
                invoiced_separately=invoiced,
                customary=customary,
                origin_stated=origin_stated,
            )
        )
    return out
