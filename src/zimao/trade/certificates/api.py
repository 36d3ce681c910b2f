"""Certificate-of-origin API — 原产地证书接口: apply, list, detail, issue, refuse, withdraw,
invalidate, certified true copies, and public verification."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Header, Path, Query, Router, Schema, Status
from pydantic import Field

from zimao.core.errors import forbidden
from zimao.trade import services
from zimao.trade.certificates import case_service
from zimao.trade.certificates import document as docs
from zimao.trade.models import Certificate, TrueCopy
from zimao.trade.schemas import DATE, DECIMAL, ERRORS, PUBLIC_ERRORS, Strict, plain

router = Router()  # tagged "trade" by the trade router it is added to (zimao.trade.api)

IDEMPOTENCY_KEY = (
    "any unique string (≤ 64 characters) per intended submission 幂等键: repeating the request with the "
    "same key returns the first result (200) instead of doing it twice"
)
# One good as the examples show it: a wooden chair of 9403.60 made in China, with its bill of materials.
GOODS_EXAMPLE = [
    {
        "bom": {
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
        },
        "description": "Oak chairs",
        "marks": "ZM/OSAKA",
        "packages": "50 CARTONS",
        "quantity": "500",
        "unit": "PCS",
        "gross_weight_kg": "1200",
        "fob_value": "50000.00",
    }
]
ApplicationReference = Annotated[
    str, Path(description="application reference 申请编号 (COA…), as returned by applyCertificateOfOrigin")
]
CertificateNumber = Annotated[str, Path(description="certificate number 证书编号 (R…), e.g. R2026LYP000001F")]
TrueCopyReference = Annotated[
    str, Path(description="true-copy request reference 副本申请编号 (CTC…), as returned by requestCertifiedTrueCopy")
]


# ---------------------------------------------------------------------------------------------
# Certificates — 原产地证书


class TradePartyIn(Strict):
    name: str = Field(max_length=200, description="in English (Art. 3.17.3(c))")
    address: str = Field(max_length=300)


class ExporterIn(TradePartyIn):
    uscc: str = Field(max_length=18, description="a registered company you act for")


class ImporterIn(TradePartyIn):
    country: str = Field(min_length=2, max_length=2, description="an RCEP Party other than China")


class ProducerIn(Strict):
    name: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=300)
    same_as_exporter: bool = False


class CertificateTransportIn(Strict):
    departure_date: str = Field(pattern=DATE)
    vessel: str = Field(max_length=100, description="vessel name or aircraft flight number")
    port_of_loading: str = Field(default="", max_length=100)
    port_of_discharge: str = Field(max_length=100)


class TradeInvoiceIn(Strict):
    number: str = Field(max_length=60)
    date: str = Field(pattern=DATE)


class ThirdPartyIn(Strict):
    name: str = Field(max_length=200)
    country: str = Field(min_length=2, max_length=2)


class DeclarationBox(Strict):
    place: str = Field(max_length=100)
    signatory: str = Field(max_length=100, description="the exporter's authorised signatory (box 15)")


class OriginalIn(Strict):
    """The original proof of origin of another Party (Art. 3.19, Annex 3B 1(m))."""

    country: str = Field(min_length=2, max_length=2, description="first exporting Party")
    reference: str = Field(max_length=60)
    item: int = Field(default=1, ge=1, le=999)
    issued_on: str = Field(pattern=DATE)
    rcep_country: str = Field(min_length=2, max_length=2)
    approved_exporter_code: str = Field(default="", max_length=60)
    hs: str = Field(max_length=10)
    description: str = Field(max_length=300)
    criterion: str = Field(max_length=40, description="e.g. WO, CTC, RVC")
    quantity: str = Field(pattern=DECIMAL, description="total quantity of the original")
    unit: str = Field(max_length=20)


class CertificateGoodsIn(Strict):
    bom: dict | None = Field(default=None, description="bill of materials; or check_id")
    check_id: int | None = Field(default=None, ge=1, le=2**62, description="an origin check of yours")
    original: OriginalIn | None = Field(default=None, description="back-to-back only")
    description: str = Field(default="", max_length=300)
    marks: str = Field(default="", max_length=200)
    packages: str = Field(max_length=100, description='number and kind of packages, e.g. "50 CARTONS"')
    quantity: str = Field(pattern=DECIMAL)
    unit: str = Field(max_length=20)
    gross_weight_kg: str | None = Field(default=None, pattern=DECIMAL)
    fob_value: str = Field(pattern=DECIMAL, description="FOB value of this good in the shipment")
    rcep_country: str | None = Field(
        default=None, min_length=2, max_length=2, description="only to state a country other than the computed one"
    )
    rcep_country_basis: str = Field(default="", max_length=300)


class CertificateApplicationIn(Strict):
    """An application for an RCEP certificate of origin 原产地证书申请 (Annex 3B): the parties, the
    shipment and, for each good, a bill of materials (or an origin check) for the origin engine."""

    kind: Literal["original", "back_to_back"] = Field(
        default="original",
        description="original 原产地证书, or back_to_back 背对背证书 for goods re-exported on another Party's proof",
        examples=["original"],
    )
    exporter: ExporterIn = Field(
        description="exporter 出口商 (box 1)",
        examples=[
            {
                "uscc": "91410300MA44Q7XW4B",
                "name": "Zhimao Import & Export Co., Ltd.",
                "address": "No. 1 Example Road, Pilot Free Trade Zone, China",
            }
        ],
    )
    producer: ProducerIn | None = Field(
        default=None, description="producer 生产商 (box 2), if known", examples=[{"same_as_exporter": True}]
    )
    importer: ImporterIn = Field(
        description="importer or consignee 进口商 (box 3)",
        examples=[{"name": "Osaka Furniture K.K.", "address": "1-1 Umeda, Kita-ku, Osaka, Japan", "country": "JP"}],
    )
    transport: CertificateTransportIn = Field(
        description="means of transport and route 运输方式及路线 (box 4)",
        examples=[
            {
                "departure_date": "2026-12-08",
                "vessel": "COSCO HARMONY V.012E",
                "port_of_loading": "Qingdao",
                "port_of_discharge": "Osaka",
            }
        ],
    )
    invoices: list[TradeInvoiceIn] = Field(
        max_length=10,
        description="invoices 发票 (box 12), at most 10",
        examples=[[{"number": "ZM-2026-001", "date": "2026-12-05"}]],
    )
    third_party_invoicing: ThirdPartyIn | None = Field(
        default=None,
        description="third-party invoicing 第三方发票 (box 13): the invoicing operator, if any",
        examples=[{"name": "Pacific Trading Pte. Ltd.", "country": "SG"}],
    )
    issuing_body: Literal["CCPIT", "CUSTOMS"] = Field(
        default="CCPIT", description="issuing body 签证机构: CCPIT 贸促会 or CUSTOMS 海关", examples=["CCPIT"]
    )
    currency: str = Field(
        min_length=3, max_length=3, description="currency of the FOB values 币种 (ISO 4217)", examples=["USD"]
    )
    goods: list[CertificateGoodsIn] = Field(
        min_length=1,
        max_length=20,
        description="goods 货物 (boxes 5–11), 1 to 20 items",
        examples=[GOODS_EXAMPLE],
    )
    remarks: str = Field(default="", max_length=500, description="remarks 备注 (box 14)", examples=[""])
    retroactive_reason: str = Field(
        default="",
        max_length=500,
        description="why it is asked after shipment 补发理由 (Art. 3.17.6), if it is",
        examples=[""],
    )
    declaration: DeclarationBox = Field(
        description="the exporter's declaration 出口商声明 (box 15)",
        examples=[{"place": "Zhengzhou", "signatory": "Li Ming"}],
    )


class CertificateBriefOut(Schema):
    reference: str
    number: str | None = None
    kind: str
    status: str
    status_zh: str
    status_en: str
    exporter_uscc: str
    exporter_name: str
    importing_country: str
    issuing_body: str
    currency: str
    fob_total: str
    submitted_at: dt.datetime
    due_date: dt.date | None = None
    issued_on: dt.date | None = None
    valid_until: dt.date | None = None
    retroactive: bool


class TrueCopyOut(Schema):
    reference: str
    number: str | None = None
    status: str
    reason: str
    requested_at: dt.datetime
    issued_at: dt.datetime | None = None
    refusal_reason: str = ""


class CertificateOut(CertificateBriefOut):
    data: dict
    content: dict | None = None
    refusal_reason: str = ""
    invalidation_reason: str = ""
    fob_cny: str | None = None
    kid: str = ""
    jws: str = ""
    verify_url: str | None = None
    pdf_url: str | None = None
    true_copies: list[TrueCopyOut] = []


def _brief(cert: Certificate) -> dict:
    zh, en = services.STATUS_WORDS[cert.status]
    return {
        "reference": cert.reference,
        "number": cert.number,
        "kind": cert.kind,
        "status": cert.status,
        "status_zh": zh,
        "status_en": en,
        "exporter_uscc": cert.exporter_uscc,
        "exporter_name": cert.exporter_name,
        "importing_country": cert.importing_country,
        "issuing_body": cert.issuing_body,
        "currency": cert.currency,
        "fob_total": str(cert.fob_total),
        "submitted_at": cert.submitted_at,
        "due_date": cert.due_date,
        "issued_on": cert.issued_on,
        "valid_until": cert.valid_until,
        "retroactive": cert.retroactive,
    }


def _copy(copy: TrueCopy) -> dict:
    return {
        "reference": copy.reference,
        "number": copy.certificate.number,
        "status": copy.status,
        "reason": copy.reason,
        "requested_at": copy.requested_at,
        "issued_at": copy.issued_at,
        "refusal_reason": copy.refusal_reason,
    }


def _full(cert: Certificate) -> dict:
    from django.urls import reverse

    out = _brief(cert) | {
        "data": cert.data,
        "content": cert.content,
        "refusal_reason": cert.refusal_reason,
        "invalidation_reason": cert.invalidation_reason,
        "fob_cny": str(cert.fob_cny) if cert.fob_cny is not None else None,
        "kid": cert.kid,
        "jws": cert.jws,
        "true_copies": [_copy(t) for t in cert.true_copies.order_by("requested_at")],
    }
    if cert.number:
        out["verify_url"] = docs.verify_url(cert.number)
        out["pdf_url"] = reverse("trade:certificate_pdf", args=[cert.reference])
    return out


@router.post(
    "certificates",
    response={200: CertificateOut, 201: CertificateOut, **ERRORS},
    summary="Apply for a certificate of origin 申请原产地证书",
    operation_id="applyCertificateOfOrigin",
)
def apply(
    request: HttpRequest,
    payload: CertificateApplicationIn,
    idempotency_key: str = Header("", alias="Idempotency-Key", description=IDEMPOTENCY_KEY),
):
    """Apply (Art. 3.17.1–2, Annex 3B): each good's bill of materials is determined by the origin
    engine, and the application goes to the chosen issuing body. Send an ``Idempotency-Key``
    header: repeating the request returns the same application (200) instead of a second (201)."""
    data = payload.model_dump(exclude={"kind"})
    for key in ("producer", "third_party_invoicing"):
        data[key] = plain(getattr(payload, key))
    data["goods"] = [{k: v for k, v in g.items() if v is not None} for g in data["goods"]]
    # A case of the catalogue service RCEP-CO (the same as POST /api/v1/cases with its form).
    cert, created = case_service.apply_through_engine(
        request.user, data, kind=payload.kind, idempotency_key=idempotency_key, with_created=True
    )
    return Status(201 if created else 200, _full(cert))


@router.get(
    "certificates",
    response={200: list[CertificateBriefOut], **ERRORS},
    summary="My certificates (or, for an issuing body, all) 我的原产地证书",
    operation_id="listCertificatesOfOrigin",
)
def certificate_list(
    request: HttpRequest,
    status: Annotated[
        Literal["", "submitted", "issued", "refused", "withdrawn", "invalidated"],
        Query(description="only certificates in this status 状态 (empty: all)"),
    ] = "",
    limit: Annotated[int, Query(description="at most this many, newest first (1–200)")] = 50,
):
    return [_brief(c) for c in services.certificates_for(request.user, status=status)[: max(1, min(limit, 200))]]


@router.get(
    "certificates/queue",
    response={200: list[CertificateBriefOut], **ERRORS},
    summary="Issuing body's review queue 待签证",
    operation_id="listCertificateReviewQueue",
)
def certificate_queue(request: HttpRequest):
    if services.issuing_officer(request.user) is None:
        raise forbidden("queue")
    return [_brief(c) for c in services.review_queue(request.user)[:200]]


@router.get(
    "certificates/{key}",
    response={200: CertificateOut, **ERRORS},
    summary="A certificate 证书详情",
    operation_id="getCertificateOfOrigin",
)
def certificate_detail(
    request: HttpRequest,
    key: Annotated[str, Path(description="application reference 申请编号 (COA…) or certificate number 证书编号 (R…)")],
):
    """By application reference (COA…) or certificate number (R…)."""
    return _full(services.get_certificate(request.user, key))


class CertificateIssueIn(Strict):
    """Issuing a certificate 签发: the issuing body's own entries."""

    retroactive_reason: str = Field(
        default="",
        max_length=500,
        description="why it is issued retroactively 补发理由 (Art. 3.17.6), if it is",
        examples=[""],
    )
    cny_rate: str | None = Field(
        default=None,
        pattern=DECIMAL,
        description="customs rate of the month, if not entered 海关月度汇率 (CNY per unit of the currency)",
        examples=["7.1234"],
    )


class TradeReasonIn(Strict):
    """A reason 理由, required."""

    reason: str = Field(
        min_length=1,
        max_length=2000,
        description="the reason 理由, in plain words",
        examples=["The original certificate was lost in transit 正本在运输途中遗失"],
    )


class TradeOptionalReasonIn(Strict):
    """A reason 理由, optional."""

    reason: str = Field(
        default="",
        max_length=2000,
        description="the reason 理由, if any",
        examples=["Shipment cancelled by the buyer 买方取消订单"],
    )


@router.post(
    "certificates/{reference}/issue",
    response={200: CertificateOut, **ERRORS},
    summary="Issue 签发",
    operation_id="issueCertificateOfOrigin",
)
def issue(request: HttpRequest, reference: ApplicationReference, payload: CertificateIssueIn):
    """The issuing body issues (reviewers of that department only)."""
    return _full(
        services.issue(
            reference, request.user, retroactive_reason=payload.retroactive_reason, cny_rate=payload.cny_rate
        )
    )


@router.post(
    "certificates/{reference}/refuse",
    response={200: CertificateOut, **ERRORS},
    summary="Refuse 不予签证",
    operation_id="refuseCertificateOfOrigin",
)
def refuse(request: HttpRequest, reference: ApplicationReference, payload: TradeReasonIn):
    return _full(services.refuse(reference, request.user, payload.reason))


@router.post(
    "certificates/{reference}/withdraw",
    response={200: CertificateOut, **ERRORS},
    summary="Withdraw 撤回",
    operation_id="withdrawCertificateApplication",
)
def withdraw(request: HttpRequest, reference: ApplicationReference, payload: TradeOptionalReasonIn):
    return _full(services.withdraw(request.user, reference, payload.reason))


@router.post(
    "certificates/{number}/invalidate",
    response={200: CertificateOut, **ERRORS},
    summary="Invalidate 作废",
    operation_id="invalidateCertificateOfOrigin",
)
def invalidate(request: HttpRequest, number: CertificateNumber, payload: TradeReasonIn):
    return _full(services.invalidate(number, request.user, payload.reason))


@router.post(
    "certificates/{number}/true-copies",
    response={201: TrueCopyOut, **ERRORS},
    summary="Ask for a certified true copy 申请副本",
    operation_id="requestCertifiedTrueCopy",
)
def true_copy(request: HttpRequest, number: CertificateNumber, payload: TradeReasonIn):
    """After theft, loss or destruction of the original (Art. 3.17.9)."""
    return Status(201, _copy(services.request_true_copy(request.user, number, payload.reason)))


@router.post(
    "true-copies/{reference}/issue",
    response={200: TrueCopyOut, **ERRORS},
    summary="Issue a true copy 签发副本",
    operation_id="issueCertifiedTrueCopy",
)
def true_copy_issue(request: HttpRequest, reference: TrueCopyReference):
    return _copy(services.issue_true_copy(reference, request.user))


@router.post(
    "true-copies/{reference}/refuse",
    response={200: TrueCopyOut, **ERRORS},
    summary="Refuse a true copy",
    operation_id="refuseCertifiedTrueCopy",
)
def true_copy_refuse(request: HttpRequest, reference: TrueCopyReference, payload: TradeReasonIn):
    return _copy(services.refuse_true_copy(reference, request.user, payload.reason))


# ---------------------------------------------------------------------------------------------
# Public verification — 公开核验


class VerifiedGoodsOut(Schema):
    item: int
    hs: str
    description: str
    quantity: str
    unit: str
    criterion: list[str]
    rcep_country: str


class CertificateVerificationOut(Schema):
    """``genuine``: issued here and the signature holds; ``status``: valid, expired,
    invalidated, withdrawn or not_genuine. Shows what Art. 3.17.7 requires and nothing more."""

    number: str
    format_valid: bool
    found: bool
    genuine: bool
    status: str
    label_zh: str
    label_en: str
    reason: str | None = None
    kind: str = ""
    issued_on: str | None = None
    valid_until: str | None = None
    exporter: str | None = None
    importing_country: str | None = None
    issuing_body: str | None = None
    authorisation_code: str | None = None
    issued_retroactively: bool = False
    back_to_back: bool = False
    true_copies: list[dt.datetime] = []
    goods: list[VerifiedGoodsOut] = []


@router.get(
    "verify/{number}",
    auth=None,
    response={200: CertificateVerificationOut, **PUBLIC_ERRORS},
    summary="Verify a certificate or declaration of origin 核验原产地证明",
    operation_id="verifyCertificateOfOrigin",
)
def verify(
    request: HttpRequest,
    number: Annotated[
        str,
        Path(
            description="certificate number 证书编号 (R…) or declaration of origin reference 原产地声明编号",
            examples=["R2026LYP000001F"],
        ),
    ],
):
    """Public: every outcome, including "not genuine", is a 200 answer whose ``genuine`` says so."""
    result = services.verify(number)
    facts = result.facts()
    return {
        "number": result.number,
        "format_valid": result.format_ok,
        "found": result.found,
        "genuine": result.genuine,
        **{k: v for k, v in result.label.items() if k != "tag"},
        "reason": result.reason,
        "kind": result.kind,
        **{k: v for k, v in facts.items() if k not in ("kind", "number", "exporter_country")},
    }
