"""Builders for origin test bills — 测试用物料清单 (rules are stated inline; no shipped data needed)."""

from __future__ import annotations

import copy
import re

ARTICLE = re.compile(r"^(Art\. 3\.\d+|Annex 3A )")


def mat(description="part", hs="830210", country="DE", originating=False, value="5.00", **extra) -> dict:
    data = {"description": description, "hs": hs, "country": country, "originating": originating, "value": value}
    data.update(extra)
    return data


def make_bom(materials=None, rule="CTH or RVC40", hs="940360", fob="100.00", country="CN", **product_extra) -> dict:
    """A chair-like good of heading 94.03 made in China; pass ``rule=None`` to use the PSR table."""
    bom = {
        "hs_version": "HS2012",
        "product": {"hs": hs, "fob": fob, "currency": "USD", "country": country, **product_extra},
        "materials": copy.deepcopy(materials) if materials is not None else [mat()],
    }
    if rule is not None:
        bom["rule"] = rule
    return bom


def assert_cited(result) -> None:
    """Every explanation line names the provision it rests on, in both languages."""
    data = result.as_dict()
    assert data["explanation"], "a result must explain itself"
    for text in data["explanation"]:
        assert ARTICLE.match(text), text
    for text in data["explanation_zh"]:
        assert text.startswith(("第3.", "附件3A")), text
