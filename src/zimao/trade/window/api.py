"""Single-window API — 单一窗口接口: one declaration fanned out to every agency, one status."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Header, Path, Query, Router, Schema, Status
from pydantic import Field

from zimao.trade.certificates.api import IDEMPOTENCY_KEY, TradeInvoiceIn, TradePartyIn
from zimao.trade.schemas import DATE, DECIMAL, ERRORS, Strict
from zimao.trade.window import services as window

router = Router()  # tagged "trade" by the trade router it is added to (zimao.trade.api)


# ---------------------------------------------------------------------------------------------
# The single window — 单一窗口申报


class SwGoodsIn(Strict):
    hs: str = Field(max_length=12, description="6-, 8- or 10-digit commodity code")
    description: str = Field(max_length=300)
    quantity: str = Field(pattern=DECIMAL)
    unit: str = Field(max_length=20)
    value: str = Field(pattern=DECIMAL)
    gross_weight_kg: str | None = Field(default=None, pattern=DECIMAL)


class SwTransportIn(Strict):
    mode: Literal["sea", "air", "rail", "road"] = "sea"
    departure_date: str = Field(pattern=DATE)
    vessel: str = Field(max_length=100)
    port_of_loading: str = Field(max_length=100)
    port_of_discharge: str = Field(max_length=100)


class SwDeclarationIn(Strict):
    """A single-window declaration 单一窗口申报: declared once, sent to every agency it concerns."""

    trader_uscc: str = Field(
        max_length=18,
        description="the declaring company's unified social credit code 统一社会信用代码",
        examples=["91410300MA44Q7XW4B"],
    )
    direction: Literal["export", "import"] = Field(
        default="export", description="export 出口 or import 进口", examples=["export"]
    )
    destination_country: str = Field(
        min_length=2, max_length=2, description="country of destination 目的国 (ISO 3166 alpha-2)", examples=["JP"]
    )
    consignee: TradePartyIn = Field(
        description="consignee 收货人", examples=[{"name": "Osaka Furniture K.K.", "address": "1-1 Umeda, Osaka"}]
    )
    transport: SwTransportIn = Field(
        description="transport 运输信息",
        examples=[
            {
                "mode": "sea",
                "departure_date": "2026-12-08",
                "vessel": "COSCO HARMONY V.012E",
                "port_of_loading": "Qingdao",
                "port_of_discharge": "Osaka",
            }
        ],
    )
    currency: str = Field(min_length=3, max_length=3, description="currency 币种 (ISO 4217)", examples=["USD"])
    invoice: TradeInvoiceIn = Field(
        description="commercial invoice 商业发票", examples=[{"number": "ZM-2026-001", "date": "2026-12-05"}]
    )
    goods: list[SwGoodsIn] = Field(
        min_length=1,
        max_length=50,
        description="goods 货物, 1 to 50 items",
        examples=[
            [{"hs": "9403600000", "description": "Oak chairs", "quantity": "500", "unit": "PCS", "value": "50000.00"}]
        ],
    )
    certificate_number: str = Field(
        default="",
        max_length=40,
        description="certificate of origin number 原产地证书编号, if one covers the goods",
        examples=["R2026LYP000001F"],
    )
    agencies: list[Literal["customs", "commerce", "tax"]] | None = Field(
        default=None,
        description="agencies to declare to 受理部门: customs 海关, commerce 商务, tax 税务; "
        "a required one is always included (none: all of them)",
        examples=[["customs", "commerce", "tax"]],
    )
    bonded_zone: bool = Field(
        default=False,
        strict=True,
        examples=[False],
        description="综合保税区申报 a declaration of goods into or out of the bonded zone "
        "(true/false); once customs accepts it, the zone dashboard counts it",
    )


class AgencyStatusOut(Schema):
    agency: str
    agency_zh: str
    agency_en: str
    status: str
    label_zh: str
    label_en: str
    reference: str
    attempts: int
    next_attempt_at: dt.datetime | None = None
    message_zh: str = ""
    message_en: str = ""
    answered_at: dt.datetime | None = None


class SwDeclarationOut(Schema):
    number: str
    trader_uscc: str
    trader_name: str
    submitted_at: dt.datetime
    status: str
    label_zh: str
    label_en: str
    agencies: list[AgencyStatusOut]
    data: dict


def _sw(decl) -> dict:
    status = window.declaration_status(decl)
    return {
        "number": decl.number,
        "trader_uscc": decl.trader_uscc,
        "trader_name": decl.trader_name,
        "submitted_at": decl.submitted_at,
        "status": status["status"],
        "label_zh": status["label_zh"],
        "label_en": status["label_en"],
        "agencies": status["agencies"],
        "data": decl.data,
    }


@router.post(
    "declarations",
    response={200: SwDeclarationOut, 201: SwDeclarationOut, **ERRORS},
    summary="Declare once to every agency 单一窗口申报",
    operation_id="submitTradeDeclaration",
)
def declare(
    request: HttpRequest,
    payload: SwDeclarationIn,
    idempotency_key: str = Header("", alias="Idempotency-Key", description=IDEMPOTENCY_KEY),
):
    """One declaration, fanned out to customs, commerce and tax; answers arrive later (follow
    ``GET declarations/{number}``). An agency that is down is retried with backoff."""
    from zimao.trade.models import TradeDeclaration

    before = (
        TradeDeclaration.objects.filter(trader=request.user, idempotency_key=idempotency_key).exists()
        if idempotency_key
        else False
    )
    decl = window.declare(request.user, payload.model_dump(), idempotency_key=idempotency_key)
    return Status(200 if before else 201, _sw(decl))


@router.get(
    "declarations",
    response={200: list[SwDeclarationOut], **ERRORS},
    summary="My declarations 我的申报",
    operation_id="listTradeDeclarations",
)
def declarations(
    request: HttpRequest, limit: Annotated[int, Query(description="at most this many, newest first (1–200)")] = 50
):
    return [
        _sw(d) for d in window.declarations_of(request.user).prefetch_related("submissions")[: max(1, min(limit, 200))]
    ]


@router.get(
    "declarations/{number}",
    response={200: SwDeclarationOut, **ERRORS},
    summary="Declaration status 申报状态",
    operation_id="getTradeDeclaration",
)
def declaration_detail(
    request: HttpRequest,
    number: Annotated[
        str, Path(description="declaration number 申报编号 (SW…), as returned by submitTradeDeclaration")
    ],
):
    return _sw(window.get_declaration(request.user, number))
