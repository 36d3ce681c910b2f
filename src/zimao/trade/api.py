"""Trade API — 国际贸易接口 at /api/v1/trade/: origin checks, certificates of origin (apply, list,
detail, issue, refuse, true copies), public verification, approved exporters and their
declarations of origin, statistics, and single-window declarations.

Every operation declares its error responses (``ErrorOut``: bilingual, naming the field).
Money and quantities are written as strings (``"50000.00"``), never as JSON numbers, so nothing
passes through binary floats.
"""

from __future__ import annotations

from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from zimao.core.dates import ApiDate
from zimao.core.errors import BusinessError, forbidden
from zimao.trade import services
from zimao.trade.certificates.api import router as certificates_router
from zimao.trade.exporters.api import router as exporters_router
from zimao.trade.schemas import ERRORS, TAGS, Strict
from zimao.trade.window.api import router as window_router

prefix = "/trade/"
router = Router(tags=TAGS)


# ---------------------------------------------------------------------------------------------
# Origin check — 原产地预判


class OriginCheckIn(Strict):
    """An RCEP origin check of one good — 原产地预判: the bill of materials and its rule."""

    bom: dict = Field(
        description="bill of materials (docs/origin.md): hs_version, product, materials, rule…",
        examples=[
            {
                "hs_version": "HS2012",
                "rule": "CTH or RVC40",
                "product": {
                    "hs": "940360",
                    "fob": "100.00",
                    "currency": "USD",
                    "country": "CN",
                    "operations": ["assembly"],
                },
                "materials": [
                    {
                        "description": "oak boards",
                        "hs": "440791",
                        "country": "TH",
                        "originating": True,
                        "value": "20.00",
                    }
                ],
            }
        ],
    )
    save: bool = Field(
        default=True, description="keep the check so it can be attached to an application", examples=[True]
    )


class RcepCountryOut(Schema):
    country: str
    basis: str
    en: str
    zh: str


class OriginCheckOut(Schema):
    originating: bool
    criterion: list[str]
    rule: str | None = None
    rule_source: dict | None = None
    hs_version: str
    date: str
    product: dict
    rvc: dict
    alternatives: list[dict]
    materials: list[dict]
    explanation: list[str]
    explanation_zh: list[str]
    to_qualify: list[dict]
    warnings: list[dict]
    rcep_country: RcepCountryOut | None = None
    check_id: int | None = None


@router.post(
    "origin/check",
    response={200: OriginCheckOut, **ERRORS},
    summary="Check a product's origin 原产地预判",
    operation_id="checkOrigin",
)
def origin_check(request: HttpRequest, payload: OriginCheckIn):
    """Determine whether a good is originating under RCEP, with an explanation citing the articles,
    what would make it qualify (``to_qualify``), and its RCEP country of origin (Art. 2.6)."""
    return services.check_origin(request.user, payload.bom, save=payload.save)


# ---------------------------------------------------------------------------------------------
# Statistics — 统计


class CertificateStatisticsRowOut(Schema):
    period: str
    country: str
    country_en: str
    country_zh: str
    certificates: int
    fob_cny: str
    fob: dict[str, str]


@router.get(
    "statistics",
    response={200: list[CertificateStatisticsRowOut], **ERRORS},
    summary="Certificates and FOB by destination and period 证书统计",
    operation_id="listCertificateStatistics",
)
def statistics(
    request: HttpRequest,
    start: Annotated[ApiDate, Query(description="first day 开始日期", examples=["2026-01-01"])],
    end: Annotated[ApiDate, Query(description="last day 截止日期", examples=["2026-12-31"])],
    period: Annotated[
        Literal["month", "quarter", "year"], Query(description="group by month, quarter or year 统计周期")
    ] = "month",
):
    """For officials (issuing bodies, customs, zone administrators)."""
    if not services.is_trade_official(request.user):
        raise forbidden("statistics")
    if end < start:
        raise BusinessError.of("end", "before_start", "结束日期早于开始日期", "end is before start", status=422)
    return services.certificate_statistics(start, end, period=period)


# Each sub-area's operations, under the one /api/v1/trade/ prefix and tag.
router.add_router("", certificates_router)
router.add_router("", exporters_router)
router.add_router("", window_router)
