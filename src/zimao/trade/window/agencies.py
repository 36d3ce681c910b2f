"""The agencies a declaration goes to — 各部门及其报文.

Each agency receives only what it needs from the one declaration (数据一次录入、分别发送): the
message is built here, so an adapter only transports it. ``department`` is the catalogue
department that stands for the agency in this zone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def _customs(data: dict) -> dict:
    # 出口货物报关单: everything about the consignment.
    return {
        k: data.get(k)
        for k in (
            "trader",
            "direction",
            "destination_country",
            "consignee",
            "transport",
            "currency",
            "goods",
            "invoice",
            "certificate_number",
            "bonded_zone",
        )
    }


def _commerce(data: dict) -> dict:
    # 对外贸易经营者与出口许可核查: who exports what to where.
    return {
        "trader": data.get("trader"),
        "direction": data.get("direction"),
        "destination_country": data.get("destination_country"),
        "currency": data.get("currency"),
        "goods": [
            {k: g.get(k) for k in ("hs", "description", "quantity", "unit", "value")} for g in data.get("goods", [])
        ],
    }


def _tax(data: dict) -> dict:
    # 出口退（免）税申报: the invoice and the values.
    return {
        "trader": data.get("trader"),
        "invoice": data.get("invoice"),
        "currency": data.get("currency"),
        "departure_date": (data.get("transport") or {}).get("departure_date"),
        "goods": [{k: g.get(k) for k in ("hs", "description", "value")} for g in data.get("goods", [])],
    }


@dataclass(frozen=True)
class Agency:
    code: str
    name_zh: str
    name_en: str
    department: str
    purpose_zh: str
    purpose_en: str
    build: Callable[[dict], dict]
    required: bool = False


AGENCIES: dict[str, Agency] = {
    "customs": Agency(
        "customs", "海关", "Customs", "CUSTOMS", "出口货物报关", "export goods declaration", _customs, required=True
    ),
    "commerce": Agency(
        "commerce",
        "商务",
        "Commerce",
        "COMMERCE",
        "对外贸易经营与出口许可核查",
        "foreign-trade operator and export licence check",
        _commerce,
    ),
    "tax": Agency("tax", "税务", "Taxation", "TAX", "出口退（免）税申报", "export tax rebate filing", _tax),
}
