"""RCEP rules of origin — RCEP 原产地规则 (Chapter 3 Section A, Annex 3A).

Public API::

    from zimao.trade.origin import determine, parse_rule, load_bom

    result = determine({"hs_version": "HS2012", "product": {...}, "materials": [...]})
    result.originating          # True / False
    result.criterion            # Form RCEP box-10 codes, e.g. ["CTC", "DMI"]
    result.as_dict()            # the JSON the command line prints

* ``determine(bom, psr=None, *, correlation=None, on=None) -> OriginResult`` — the determination;
* ``parse_rule(text) -> Rule`` — Annex 3A notation such as ``CTH or RVC40``;
* ``load_bom(data) -> BillOfMaterials`` — validation, raising ``BomError`` whose ``errors`` is a
  list of ``(field, zh, en)``;
* ``PsrTable`` / ``active_table()`` / ``shipped_table()`` — product-specific rules as data;
* ``Correlation`` — an explicit HS-edition transposition (empty by default).

Nothing here touches the database; see docs/origin.md for the rules applied and the contract.
"""

from .engine import OriginResult, determine
from .model import (
    MINIMAL_OPERATIONS,
    PARTIES,
    BillOfMaterials,
    BomError,
    BuildUp,
    Material,
    OriginError,
    Product,
    load_bom,
)
from .psr import (
    Correlation,
    PsrEntry,
    PsrError,
    PsrFileError,
    PsrTable,
    active_table,
    override_path,
    shipped_table,
)
from .rules import Alternative, Exclusion, Rule, RuleSyntaxError, Test, parse_rule

__all__ = [
    "Alternative",
    "BillOfMaterials",
    "BomError",
    "BuildUp",
    "Correlation",
    "Exclusion",
    "MINIMAL_OPERATIONS",
    "Material",
    "OriginError",
    "OriginResult",
    "PARTIES",
    "Product",
    "PsrEntry",
    "PsrError",
    "PsrFileError",
    "PsrTable",
    "Rule",
    "RuleSyntaxError",
    "Test",
    "active_table",
    "determine",
    "load_bom",
    "override_path",
    "parse_rule",
    "shipped_table",
]
