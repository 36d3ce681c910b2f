"""Trade API — 国际贸易接口 at /api/v1/trade/: origin checks, certificates of origin (apply, list,
detail, issue, refuse, true copies), public verification, approved exporters and their
declarations of origin, statistics, and single-window declarations.

Every operation declares its error responses (``ErrorOut``: bilingual, naming the field).
Money and quantities are written as strings (``"50000.00"``), never as JSON numbers, so nothing
passes through binary floats.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Header, Router, Schema, Status
from pydantic import ConfigDict, Field

from zimao.core.errors import COMMON_ERRORS, BusinessError, ErrorOut, forbidden
from zimao.trade import certificates as docs
from zimao.trade import services
from zimao.trade.models import ApprovedExporter, Certificate, OriginDeclaration, TrueCopy
from zimao.trade.window import services as window

prefix = "/trade/"
router = Router(tags=["trade 国际贸易"])

ERRORS = {**COMMON_ERRORS, 409: ErrorOut}
# Public operations take no credentials: the only refusals are a malformed request.
PUBLIC_ERRORS = {400: ErrorOut, 422: ErrorOut}

DECIMAL = r"^\d{1,15}(\.\d{1,6})?$"
DATE = r"^\d{4}-\d{2}-\d{2}$"


class Strict(Schema):
    """Unknown fields are refused: a misspelt key must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------------------------------
# Origin check — 原产地预判


class OriginCheckIn(Strict):
    bom: dict = Field(description="bill of materials (docs/origin.md): hs_version, product, materials, rule…")
    save: bool = Field(default=True, description="keep the check so it can be attached to an application")


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


@router.post("origin/check", response={200: OriginCheckOut, **ERRORS}, summary="Check a product's origin 原产地预判")
def origin_check(request: HttpRequest, payload: OriginCheckIn):
    """Determine whether a good is originating under RCEP, with an explanation citing the articles,
    what would make it qualify (``to_qualify``), and its RCEP country of origin (Art. 2.6)."""
    return services.check_origin(request.user, payload.bom, save=payload.save)


# ---------------------------------------------------------------------------------------------
# Certificates — 原产地证书


class PartyIn(Strict):
    name: str = Field(max_length=200, description="in English (Art. 3.17.3(c))")
    address: str = Field(max_length=300)


class ExporterIn(PartyIn):
    uscc: str = Field(max_length=18, description="a registered company you act for")


class ImporterIn(PartyIn):
    country: str = Field(min_length=2, max_length=2, description="an RCEP Party other than China")


class ProducerIn(Strict):
    name: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=300)
    same_as_exporter: bool = False


class TransportIn(Strict):
    departure_date: str = Field(pattern=DATE)
    vessel: str = Field(max_length=100, description="vessel name or aircraft flight number")
    port_of_loading: str = Field(default="", max_length=100)
    port_of_discharge: str = Field(max_length=100)


class InvoiceIn(Strict):
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


class GoodsIn(Strict):
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
    rcep_country: str | None = Field(default=None, min_length=2, max_length=2,
                                     description="only to state a country other than the computed one")
    rcep_country_basis: str = Field(default="", max_length=300)


class ApplicationIn(Strict):
    kind: Literal["original", "back_to_back"] = "original"
    exporter: ExporterIn
    producer: ProducerIn | None = None
    importer: ImporterIn
    transport: TransportIn
    invoices: list[InvoiceIn] = Field(max_length=10)
    third_party_invoicing: ThirdPartyIn | None = None
    issuing_body: Literal["CCPIT", "CUSTOMS"] = "CCPIT"
    currency: str = Field(min_length=3, max_length=3)
    goods: list[GoodsIn] = Field(min_length=1, max_length=20)
    remarks: str = Field(default="", max_length=500)
    retroactive_reason: str = Field(default="", max_length=500)
    declaration: DeclarationBox


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
    return {"reference": cert.reference, "number": cert.number, "kind": cert.kind, "status": cert.status,
            "status_zh": zh, "status_en": en, "exporter_uscc": cert.exporter_uscc, "exporter_name": cert.exporter_name,
            "importing_country": cert.importing_country, "issuing_body": cert.issuing_body, "currency": cert.currency,
            "fob_total": str(cert.fob_total), "submitted_at": cert.submitted_at, "due_date": cert.due_date,
            "issued_on": cert.issued_on, "valid_until": cert.valid_until, "retroactive": cert.retroactive}


def _copy(copy: TrueCopy) -> dict:
    return {"reference": copy.reference, "number": copy.certificate.number, "status": copy.status, "reason": copy.reason,
            "requested_at": copy.requested_at, "issued_at": copy.issued_at, "refusal_reason": copy.refusal_reason}


def _full(cert: Certificate) -> dict:
    from django.urls import reverse

    out = _brief(cert) | {
        "data": cert.data, "content": cert.content, "refusal_reason": cert.refusal_reason,
        "invalidation_reason": cert.invalidation_reason, "fob_cny": str(cert.fob_cny) if cert.fob_cny is not None else None,
        "kid": cert.kid, "jws": cert.jws,
        "true_copies": [_copy(t) for t in cert.true_copies.order_by("requested_at")],
    }
    if cert.number:
        out["verify_url"] = docs.verify_url(cert.number)
        out["pdf_url"] = reverse("trade:certificate_pdf", args=[cert.reference])
    return out


def _plain(value):
    """Schemas → the plain dicts the services read (None where a block is absent)."""
    if value is None:
        return None
    return value.model_dump() if hasattr(value, "model_dump") else value


@router.post("certificates", response={200: CertificateOut, 201: CertificateOut, **ERRORS},
             summary="Apply for a certificate of origin 申请原产地证书")
def apply(request: HttpRequest, payload: ApplicationIn, idempotency_key: str = Header("", alias="Idempotency-Key")):
    """Apply (Art. 3.17.1–2, Annex 3B): each good's bill of materials is determined by the origin
    engine, and the application goes to the chosen issuing body. Send an ``Idempotency-Key``
    header: repeating the request returns the same application (200) instead of a second (201)."""
    data = payload.model_dump(exclude={"kind"})
    for key in ("producer", "third_party_invoicing"):
        data[key] = _plain(getattr(payload, key))
    data["goods"] = [{k: v for k, v in g.items() if v is not None} for g in data["goods"]]
    before = services.Certificate.objects.filter(applicant=request.user, idempotency_key=idempotency_key).exists() \
        if idempotency_key else False
    cert = services.apply(request.user, data, kind=payload.kind, idempotency_key=idempotency_key)
    return Status(200 if before else 201, _full(cert))


@router.get("certificates", response={200: list[CertificateBriefOut], **ERRORS},
            summary="My certificates (or, for an issuing body, all) 我的原产地证书")
def certificate_list(request: HttpRequest, status: Literal["", "submitted", "issued", "refused", "withdrawn",
                                                            "invalidated"] = "", limit: int = 50):
    return [_brief(c) for c in services.certificates_for(request.user, status=status)[: max(1, min(limit, 200))]]


@router.get("certificates/queue", response={200: list[CertificateBriefOut], **ERRORS},
            summary="Issuing body's review queue 待签证")
def certificate_queue(request: HttpRequest):
    if services.issuing_officer(request.user) is None:
        raise forbidden("queue")
    return [_brief(c) for c in services.review_queue(request.user)[:200]]


@router.get("certificates/{key}", response={200: CertificateOut, **ERRORS}, summary="A certificate 证书详情")
def certificate_detail(request: HttpRequest, key: str):
    """By application reference (COA…) or certificate number (R…)."""
    return _full(services.get_certificate(request.user, key))


class IssueIn(Strict):
    retroactive_reason: str = Field(default="", max_length=500)
    cny_rate: str | None = Field(default=None, pattern=DECIMAL, description="customs rate of the month, if not entered")


class ReasonIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class OptionalReasonIn(Strict):
    reason: str = Field(default="", max_length=2000)


@router.post("certificates/{reference}/issue", response={200: CertificateOut, **ERRORS}, summary="Issue 签发")
def issue(request: HttpRequest, reference: str, payload: IssueIn):
    """The issuing body issues (reviewers of that department only)."""
    return _full(services.issue(reference, request.user, retroactive_reason=payload.retroactive_reason,
                                cny_rate=payload.cny_rate))


@router.post("certificates/{reference}/refuse", response={200: CertificateOut, **ERRORS}, summary="Refuse 不予签证")
def refuse(request: HttpRequest, reference: str, payload: ReasonIn):
    return _full(services.refuse(reference, request.user, payload.reason))


@router.post("certificates/{reference}/withdraw", response={200: CertificateOut, **ERRORS}, summary="Withdraw 撤回")
def withdraw(request: HttpRequest, reference: str, payload: OptionalReasonIn):
    return _full(services.withdraw(request.user, reference, payload.reason))


@router.post("certificates/{number}/invalidate", response={200: CertificateOut, **ERRORS}, summary="Invalidate 作废")
def invalidate(request: HttpRequest, number: str, payload: ReasonIn):
    return _full(services.invalidate(number, request.user, payload.reason))


@router.post("certificates/{number}/true-copies", response={201: TrueCopyOut, **ERRORS},
             summary="Ask for a certified true copy 申请副本")
def true_copy(request: HttpRequest, number: str, payload: ReasonIn):
    """After theft, loss or destruction of the original (Art. 3.17.9)."""
    return Status(201, _copy(services.request_true_copy(request.user, number, payload.reason)))


@router.post("true-copies/{reference}/issue", response={200: TrueCopyOut, **ERRORS}, summary="Issue a true copy 签发副本")
def true_copy_issue(request: HttpRequest, reference: str):
    return _copy(services.issue_true_copy(reference, request.user))


@router.post("true-copies/{reference}/refuse", response={200: TrueCopyOut, **ERRORS}, summary="Refuse a true copy")
def true_copy_refuse(request: HttpRequest, reference: str, payload: ReasonIn):
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


@router.get("verify/{number}", auth=None, response={200: CertificateVerificationOut, **PUBLIC_ERRORS},
            summary="Verify a certificate or declaration of origin 核验原产地证明")
def verify(request: HttpRequest, number: str):
    """Public: every outcome, including "not genuine", is a 200 answer whose ``genuine`` says so."""
    result = services.verify(number)
    facts = result.facts()
    return {"number": result.number, "format_valid": result.format_ok, "found": result.found, "genuine": result.genuine,
            **{k: v for k, v in result.label.items() if k != "tag"}, "reason": result.reason, "kind": result.kind,
            **{k: v for k, v in facts.items() if k not in ("kind", "number", "exporter_country")}}


# ---------------------------------------------------------------------------------------------
# Approved exporters and declarations of origin — 经核准出口商与原产地声明


class ApprovedExporterIn(Strict):
    uscc: str = Field(max_length=18)
    name_en: str = Field(max_length=200)
    address_en: str = Field(max_length=300)
    hs_chapters: list[str] = Field(min_length=1, max_length=97)
    expires_on: str | None = Field(default=None, pattern=DATE)


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
    status: Literal["active", "suspended", "withdrawn"]
    reason: str = Field(min_length=1, max_length=1000)


def _exporter(e: ApprovedExporter) -> dict:
    return {k: getattr(e, k) for k in ("code", "uscc", "name", "name_en", "address_en", "hs_chapters", "granted_on",
                                       "expires_on", "status")}


@router.post("approved-exporters", response={201: ApprovedExporterOut, **ERRORS},
             summary="Authorise an approved exporter 认定经核准出口商")
def approved_exporter_create(request: HttpRequest, payload: ApprovedExporterIn):
    """Customs (the competent authority) only (Art. 3.21)."""
    return Status(201, _exporter(services.authorise_exporter(request.user, **payload.model_dump())))


@router.get("approved-exporters", response={200: list[ApprovedExporterOut], **ERRORS},
            summary="Approved exporters 经核准出口商")
def approved_exporter_list(request: HttpRequest):
    """Officials see all; a company sees its own authorisation."""
    if services.is_trade_official(request.user):
        return [_exporter(e) for e in ApprovedExporter.objects.all()[:500]]
    own = services.approved_exporter_for(request.user)
    return [_exporter(own)] if own else []


@router.post("approved-exporters/{code}/status", response={200: ApprovedExporterOut, **ERRORS},
             summary="Suspend, withdraw or reinstate 暂停/撤销/恢复")
def approved_exporter_status(request: HttpRequest, code: str, payload: ExporterStatusIn):
    return _exporter(services.set_exporter_status(request.user, code, payload.status, payload.reason))


class OriginDeclarationIn(Strict):
    authorisation_code: str = Field(max_length=40)
    importer: ImporterIn
    producer: ProducerIn | None = None
    currency: str = Field(min_length=3, max_length=3)
    signatory: str = Field(max_length=100)
    goods: list[GoodsIn] = Field(min_length=1, max_length=20)


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
    return {"reference": dec.reference, "authorisation_code": dec.exporter.code, "importing_country": dec.importing_country,
            "completed_on": dec.completed_on, "valid_until": dec.valid_until, "status": dec.status, "content": dec.content,
            "verify_url": docs.verify_url(dec.reference), "kid": dec.kid, "jws": dec.jws}


@router.post("declarations-of-origin", response={200: OriginDeclarationOut, 201: OriginDeclarationOut, **ERRORS},
             summary="Complete a declaration of origin 出具原产地声明")
def declaration_of_origin(request: HttpRequest, payload: OriginDeclarationIn,
                          idempotency_key: str = Header("", alias="Idempotency-Key")):
    """An approved exporter declares origin itself (Art. 3.18.1(a), Annex 3B part 2)."""
    data = payload.model_dump()
    data["producer"] = _plain(payload.producer)
    data["goods"] = [{k: v for k, v in g.items() if v is not None} for g in data["goods"]]
    before = OriginDeclaration.objects.filter(completed_by=request.user, idempotency_key=idempotency_key).exists() \
        if idempotency_key else False
    dec = services.complete_declaration(request.user, data, idempotency_key=idempotency_key)
    return Status(200 if before else 201, _declaration(dec))


@router.get("declarations-of-origin", response={200: list[OriginDeclarationOut], **ERRORS},
            summary="Declarations of origin 原产地声明")
def declarations_of_origin(request: HttpRequest, limit: int = 50):
    return [_declaration(d) for d in services.declarations_for(request.user)[: max(1, min(limit, 200))]]


# ---------------------------------------------------------------------------------------------
# Statistics — 统计


class StatisticsRowOut(Schema):
    period: str
    country: str
    country_en: str
    country_zh: str
    certificates: int
    fob_cny: str
    fob: dict[str, str]


@router.get("statistics", response={200: list[StatisticsRowOut], **ERRORS},
            summary="Certificates and FOB by destination and period 证书统计")
def statistics(request: HttpRequest, start: dt.date, end: dt.date,
               period: Literal["month", "quarter", "year"] = "month"):
    """For officials (issuing bodies, customs, zone administrators)."""
    if not services.is_trade_official(request.user):
        raise forbidden("statistics")
    if end < start:
        raise BusinessError.of("end", "before_start", "结束日期早于开始日期", "end is before start", status=422)
    return services.certificate_statistics(start, end, period=period)


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
    trader_uscc: str = Field(max_length=18)
    direction: Literal["export", "import"] = "export"
    destination_country: str = Field(min_length=2, max_length=2)
    consignee: PartyIn
    transport: SwTransportIn
    currency: str = Field(min_length=3, max_length=3)
    invoice: InvoiceIn
    goods: list[SwGoodsIn] = Field(min_length=1, max_length=50)
    certificate_number: str = Field(default="", max_length=40)
    agencies: list[Literal["customs", "commerce", "tax"]] | None = None
    bonded_zone: bool = Field(default=False, strict=True,
                              description="综合保税区申报 a declaration of goods into or out of the bonded zone "
                                          "(true/false); once customs accepts it, the zone dashboard counts it")


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
    return {"number": decl.number, "trader_uscc": decl.trader_uscc, "trader_name": decl.trader_name,
            "submitted_at": decl.submitted_at, "status": status["status"], "label_zh": status["label_zh"],
            "label_en": status["label_en"], "agencies": status["agencies"], "data": decl.data}


@router.post("declarations", response={200: SwDeclarationOut, 201: SwDeclarationOut, **ERRORS},
             summary="Declare once to every agency 单一窗口申报")
def declare(request: HttpRequest, payload: SwDeclarationIn, idempotency_key: str = Header("", alias="Idempotency-Key")):
    """One declaration, fanned out to customs, commerce and tax; answers arrive later (follow
    ``GET declarations/{number}``). An agency that is down is retried with backoff."""
    from zimao.trade.models import TradeDeclaration

    before = TradeDeclaration.objects.filter(trader=request.user, idempotency_key=idempotency_key).exists() \
        if idempotency_key else False
    decl = window.declare(request.user, payload.model_dump(), idempotency_key=idempotency_key)
    return Status(200 if before else 201, _sw(decl))


@router.get("declarations", response={200: list[SwDeclarationOut], **ERRORS}, summary="My declarations 我的申报")
def declarations(request: HttpRequest, limit: int = 50):
    return [_sw(d) for d in window.declarations_of(request.user).prefetch_related("submissions")[: max(1, min(limit, 200))]]


@router.get("declarations/{number}", response={200: SwDeclarationOut, **ERRORS}, summary="Declaration status 申报状态")
def declaration_detail(request: HttpRequest, number: str):
    return _sw(window.get_declaration(request.user, number))
