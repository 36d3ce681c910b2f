"""Approved-exporter API — 经核准出口商接口: authorisations by customs and the approved
exporters' declarations of origin."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Header, Path, Query, Router, Schema, Status
from pydantic import Field

from zimao.trade import services
from zimao.trade.certificates import document as docs
from zimao.trade.certificates.api import GOODS_EXAMPLE, IDEMPOTENCY_KEY, CertificateGoodsIn, ImporterIn, ProducerIn
from zimao.trade.models import ApprovedExporter, OriginDeclaration
from zimao.trade.schemas import DATE, ERRORS, Strict, plain

router = Router()  # tagged "trade" by the trade router it is added to (zimao.trade.api)


# ---------------------------------------------------------------------------------------------
# Approved exporters and declarations of origin — 经核准出口商与原产地声明


class ApprovedExporterIn(Strict):
    """Authorising a company as an approved exporter 经核准出口商认定 (Art. 3.21)."""

    uscc: str = Field(
        max_length=18,
        description="the company's unified social credit code 统一社会信用代码",
        examples=["91410300MA44Q7XW4B"],
    )
    name_en: str = Field(
        max_length=200,
        description="company name in English 英文名称",
        examples=["Zhimao Import & Export Co., Ltd."],
    )
    address_en: str = Field(
        max_length=300,
        description="address in English 英文地址",
        examples=["No. 1 Example Road, Pilot Free Trade Zone, China"],
    )
    hs_chapters: list[str] = Field(
        min_length=1,
        max_length=97,
        description="the HS chapters the authorisation covers 授权涵盖的HS章 (two digits each)",
        examples=[["94", "44"]],
    )
    expires_on: str | None = Field(
        default=None,
        pattern=DATE,
        description="last day of the authorisation 有效期至 (none: open-ended)",
        examples=["2029-12-31"],
    )


class ApprovedExporterOut(Schema):
    code: str
    uscc: str
    name: str
    name_en: str
    address_en: str
    hs_chapters: list[str]
    granted_on: dt.date
    expires_on: dt.date | None = None
    status: str


class ExporterStatusIn(Strict):
    """A new status for an approved exporter 经核准出口商状态变更, and why."""

    status: Literal["active", "suspended", "withdrawn"] = Field(
        description="active 有效 (reinstate), suspended 暂停 or withdrawn 撤销", examples=["suspended"]
    )
    reason: str = Field(
        min_length=1,
        max_length=1000,
        description="the reason 理由",
        examples=["Origin verification pending 原产地核查中"],
    )


def _exporter(e: ApprovedExporter) -> dict:
    return {
        k: getattr(e, k)
        for k in ("code", "uscc", "name", "name_en", "address_en", "hs_chapters", "granted_on", "expires_on", "status")
    }


@router.post(
    "approved-exporters",
    response={201: ApprovedExporterOut, **ERRORS},
    summary="Authorise an approved exporter 认定经核准出口商",
    operation_id="authoriseApprovedExporter",
)
def approved_exporter_create(request: HttpRequest, payload: ApprovedExporterIn):
    """Customs (the competent authority) only (Art. 3.21)."""
    return Status(201, _exporter(services.authorise_exporter(request.user, **payload.model_dump())))


@router.get(
    "approved-exporters",
    response={200: list[ApprovedExporterOut], **ERRORS},
    summary="Approved exporters 经核准出口商",
    operation_id="listApprovedExporters",
)
def approved_exporter_list(request: HttpRequest):
    """Officials see all; a company sees its own authorisation."""
    if services.is_trade_official(request.user):
        return [_exporter(e) for e in ApprovedExporter.objects.all()[:500]]
    own = services.approved_exporter_for(request.user)
    return [_exporter(own)] if own else []


@router.post(
    "approved-exporters/{code}/status",
    response={200: ApprovedExporterOut, **ERRORS},
    summary="Suspend, withdraw or reinstate 暂停/撤销/恢复",
    operation_id="setApprovedExporterStatus",
)
def approved_exporter_status(
    request: HttpRequest,
    code: Annotated[str, Path(description="authorisation code 经核准出口商编号, e.g. CNLYAE00001")],
    payload: ExporterStatusIn,
):
    return _exporter(services.set_exporter_status(request.user, code, payload.status, payload.reason))


class OriginDeclarationIn(Strict):
    """A declaration of origin 原产地声明 by an approved exporter (Annex 3B part 2)."""

    authorisation_code: str = Field(
        max_length=40, description="your authorisation code 经核准出口商编号", examples=["CNLYAE00001"]
    )
    importer: ImporterIn = Field(
        description="importer or consignee 进口商",
        examples=[{"name": "Osaka Furniture K.K.", "address": "1-1 Umeda, Kita-ku, Osaka, Japan", "country": "JP"}],
    )
    producer: ProducerIn | None = Field(
        default=None, description="producer 生产商, if known", examples=[{"same_as_exporter": True}]
    )
    currency: str = Field(
        min_length=3, max_length=3, description="currency of the FOB values 币种 (ISO 4217)", examples=["USD"]
    )
    signatory: str = Field(
        max_length=100, description="the exporter's authorised signatory 签署人", examples=["Li Ming"]
    )
    goods: list[CertificateGoodsIn] = Field(
        min_length=1,
        max_length=20,
        description="goods 货物, 1 to 20 items, each with a bill of materials or an origin check",
        examples=[GOODS_EXAMPLE],
    )


class OriginDeclarationOut(Schema):
    reference: str
    authorisation_code: str
    importing_country: str
    completed_on: dt.date
    valid_until: dt.date
    status: str
    content: dict
    verify_url: str
    kid: str
    jws: str


def _declaration(dec: OriginDeclaration) -> dict:
    return {
        "reference": dec.reference,
        "authorisation_code": dec.exporter.code,
        "importing_country": dec.importing_country,
        "completed_on": dec.completed_on,
        "valid_until": dec.valid_until,
        "status": dec.status,
        "content": dec.content,
        "verify_url": docs.verify_url(dec.reference),
        "kid": dec.kid,
        "jws": dec.jws,
    }


@router.post(
    "declarations-of-origin",
    response={200: OriginDeclarationOut, 201: OriginDeclarationOut, **ERRORS},
    summary="Complete a declaration of origin 出具原产地声明",
    operation_id="completeDeclarationOfOrigin",
)
def declaration_of_origin(
    request: HttpRequest,
    payload: OriginDeclarationIn,
    idempotency_key: str = Header("", alias="Idempotency-Key", description=IDEMPOTENCY_KEY),
):
    """An approved exporter declares origin itself (Art. 3.18.1(a), Annex 3B part 2)."""
    data = payload.model_dump()
    data["producer"] = plain(payload.producer)
    data["goods"] = [{k: v for k, v in g.items() if v is not None} for g in data["goods"]]
    before = (
        OriginDeclaration.objects.filter(completed_by=request.user, idempotency_key=idempotency_key).exists()
        if idempotency_key
        else False
    )
    dec = services.complete_declaration(request.user, data, idempotency_key=idempotency_key)
    return Status(200 if before else 201, _declaration(dec))


@router.get(
    "declarations-of-origin",
    response={200: list[OriginDeclarationOut], **ERRORS},
    summary="Declarations of origin 原产地声明",
    operation_id="listDeclarationsOfOrigin",
)
def declarations_of_origin(
    request: HttpRequest, limit: Annotated[int, Query(description="at most this many, newest first (1–200)")] = 50
):
    return [_declaration(d) for d in services.declarations_for(request.user)[: max(1, min(limit, 200))]]
