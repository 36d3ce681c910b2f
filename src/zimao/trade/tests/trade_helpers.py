"""Builders for certificate-of-origin tests — 原产地证书测试数据."""

from __future__ import annotations

import copy
import datetime as dt

from django.utils import timezone


def chair_bom(**product) -> dict:
    """A wooden chair of 9403.60 made in China: CTH met (oak from Thailand, hinges from Germany)."""
    bom = {
        "hs_version": "HS2012",
        "rule": "CTH or RVC40",
        "product": {
            "hs": "940360",
            "fob": "100.00",
            "currency": "USD",
            "country": "CN",
            "description": "Oak chair",
            "operations": ["assembly", "painting"],
        },
        "materials": [
            {"description": "oak boards", "hs": "440791", "country": "TH", "originating": True, "value": "20.00"},
            {"description": "hinges", "hs": "830210", "country": "DE", "originating": False, "value": "5.00"},
        ],
    }
    bom["product"].update(product)
    return bom


def failing_bom() -> dict:
    """Legs of heading 94.03 worth 65 in a chair of 100: neither CTH nor RVC40."""
    return {
        "hs_version": "HS2012",
        "rule": "CTH or RVC40",
        "product": {"hs": "940360", "fob": "100.00", "currency": "USD", "country": "CN", "operations": ["assembly"]},
        "materials": [{"description": "legs", "hs": "940390", "country": "DE", "originating": False, "value": "65.00"}],
    }


def application(uscc: str, *, departure: dt.date | None = None, goods=None, **overrides) -> dict:
    departure = departure or timezone.localdate() + dt.timedelta(days=3)
    data = {
        "exporter": {
            "uscc": uscc,
            "name": "Luoyang Zhimao Import & Export Co., Ltd.",
            "address": "No. 1 Tianjin Road, Jianxi District, Luoyang, Henan, China",
        },
        "producer": {"same_as_exporter": True},
        "importer": {"name": "Osaka Furniture K.K.", "address": "1-1 Umeda, Kita-ku, Osaka, Japan", "country": "JP"},
        "transport": {
            "departure_date": departure.isoformat(),
            "vessel": "COSCO HARMONY V.012E",
            "port_of_loading": "Qingdao",
            "port_of_discharge": "Osaka",
        },
        "invoices": [{"number": "ZM-2026-001", "date": timezone.localdate().isoformat()}],
        "issuing_body": "CCPIT",
        "currency": "USD",
        "goods": goods
        if goods is not None
        else [
            {
                "bom": chair_bom(),
                "description": "Oak chairs",
                "marks": "ZM/OSAKA",
                "packages": "50 CARTONS",
                "quantity": "500",
                "unit": "PCS",
                "gross_weight_kg": "1200",
                "fob_value": "50000.00",
            }
        ],
        "declaration": {"place": "Luoyang", "signatory": "Li Ming"},
    }
    for key, value in overrides.items():
        data[key] = value
    return copy.deepcopy(data)


def original_proof(**overrides) -> dict:
    """An original proof of origin issued in Thailand for goods re-exported through China."""
    data = {
        "country": "TH",
        "reference": "TH2026-0001234",
        "item": 1,
        "issued_on": (timezone.localdate() - dt.timedelta(days=30)).isoformat(),
        "rcep_country": "TH",
        "approved_exporter_code": "",
        "hs": "400122",
        "description": "Technically specified natural rubber",
        "criterion": "WO",
        "quantity": "1000",
        "unit": "KG",
    }
    data.update(overrides)
    return data


def back_to_back_goods(taken="300", **original) -> list[dict]:
    """One good re-exported unchanged: ``taken`` KG of the Thai original's 1,000 KG."""
    return [
        {
            "original": original_proof(**original),
            "description": "Technically specified natural rubber",
            "packages": "12 PALLETS",
            "quantity": taken,
            "unit": "KG",
            "fob_value": "900.00",
        }
    ]
