"""Permits over REST — 准营接口: the item list (事项清单), the business-scope advisor, applying under
告知承诺 in one call, noting an activity whose approval was abolished, a company's credentials
and the department's post-approval checks.

Filings, optimised approvals and bundles are applied for through ``POST /api/v1/cases`` like
every other service: they are catalogue data.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Header, Path, Query, Router, Schema, Status
from pydantic import Field

from zimao.catalog import services as catalog
from zimao.core.errors import COMMON_ERRORS, ErrorOut
from zimao.licences.api import CredentialBriefOut
from zimao.permits import catalogue
from zimao.permits import services as permits

prefix = "/permits/"
router = Router(tags=["permits"])

ERRORS = {**COMMON_ERRORS, 409: ErrorOut}
PUBLIC_ERRORS = {400: ErrorOut, 404: ErrorOut, 422: ErrorOut}
IDEMPOTENCY_KEY = (
    "any unique string (≤ 64 characters) per intended application 幂等键: repeating the request with the "
    "same key returns the first result (200) instead of applying twice"
)


class PermitItemOut(Schema):
    code: str
    name_zh: str
    name_en: str
    department: str
    department_zh: str
    department_en: str
    reform_mode: str
    reform_mode_zh: str
    reform_mode_en: str
    legal_basis: str
    legal_limit_days: int
    promised_limit_days: int
    validity_months: int | None = None
    activities: list[str]
    materials: list
    conditions_zh: str
    conditions_en: str
    conditions_version: str | None = None
    covers: list[str] = []
    merged_into: str | None = None
    industry: bool = False
    bundles: list[str] = []


class PermitActivityOut(Schema):
    key: str
    name_zh: str
    name_en: str


class PermitBundleOut(Schema):
    code: str
    name_zh: str
    name_en: str
    members: list[str]
    promised_limit_days: int


class PermitAdviceOut(Schema):
    activities: list[PermitActivityOut]
    unknown: list[str]
    items: list[PermitItemOut]
    industry_permits: list[PermitItemOut]
    bundles: list[PermitBundleOut]


class PermitCommitmentIn(Schema):
    """An application under 告知承诺: the company commits that the published conditions are met."""

    service: str = Field(min_length=1, max_length=40, description="the item's code 事项编码", examples=["ZZ-PM"])
    uscc: str = Field(
        min_length=18,
        max_length=18,
        description="the company (统一社会信用代码), registered in your name",
        examples=["91410300MA44Q7XW4B"],
    )
    signer_name: str = Field(
        min_length=1, max_length=30, description="who signs the commitment 承诺人", examples=["李明"]
    )
    agree: bool = Field(
        description="I have read the published conditions and commit that they are met 同意承诺", examples=[True]
    )
    data: dict = Field(
        default_factory=dict, description="the item's own form sections, {section: {field: value}}", examples=[{}]
    )
    conditions_version: str = Field(
        default="",
        max_length=64,
        description="the version of the conditions read (from getPermitItem); refused if they changed",
        examples=["3f1c9a0e"],
    )


class PermitCredentialOut(CredentialBriefOut):
    """A permit in a company's record: the licence store's brief, and why it was revoked or suspended."""

    status_reason: str = ""


class PermitPostCheckOut(Schema):
    id: int
    case: str
    item: str
    department: str
    holder_uscc: str
    due_date: dt.date
    outcome: str
    findings: str
    credential: str


class PermitGrantOut(Schema):
    case: str
    status: str
    granted: bool
    credentials: list[PermitCredentialOut]
    post_checks: list[PermitPostCheckOut]


class PermitNoteIn(Schema):
    """Noting an activity whose approval was abolished (直接取消审批) on a company's record."""

    service: str = Field(
        min_length=1, max_length=40, description="the abolished item's code 事项编码", examples=["ZZ-QX01"]
    )
    uscc: str = Field(
        min_length=18,
        max_length=18,
        description="the company (统一社会信用代码), registered in your name",
        examples=["91410300MA44Q7XW4B"],
    )


class PermitNoteOut(Schema):
    holder_uscc: str
    item: str
    activities: list[str]
    noted_at: dt.datetime


class PermitCompanyOut(Schema):
    uscc: str
    name: str
    credentials: list[PermitCredentialOut]
    credit_records: list[dict]
    activity_notes: list[PermitNoteOut]


class PermitCheckIn(Schema):
    """The department's post-approval check of a commitment — 事后核查结论."""

    outcome: Literal["true", "false"] = Field(
        description="true: the commitment stands 属实; false: revoke and record 不属实", examples=["true"]
    )
    findings: str = Field(
        min_length=1, max_length=2000, description="what was found 核查情况", examples=["现场核查，条件符合承诺"]
    )


def item_out(item) -> dict:
    f = catalogue.facts(item)
    zh, en = catalogue.mode_words(f.reform_mode)
    cfg = f.permit
    return {
        "code": item.code,
        "name_zh": item.name_zh,
        "name_en": item.name_en,
        "department": item.department.code,
        "department_zh": item.department.name_zh,
        "department_en": item.department.name_en,
        "reform_mode": f.reform_mode,
        "reform_mode_zh": zh,
        "reform_mode_en": en,
        "legal_basis": item.legal_basis,
        "legal_limit_days": item.legal_limit_days,
        "promised_limit_days": item.promised_limit_days,
        "validity_months": f.validity_months,
        "activities": f.activities,
        "materials": item.materials,
        "conditions_zh": f.conditions_zh,
        "conditions_en": f.conditions_en,
        "conditions_version": catalogue.conditions_version(item) if catalogue.commitment_items(item) else None,
        "covers": list(cfg.get("covers", [])),
        "merged_into": cfg.get("merged_into"),
        "industry": bool(cfg.get("industry")),
        "bundles": [b.code for b in catalogue.bundles_with(item.code)],
    }


def credential_out(cred) -> dict:
    from zimao.licences import services as licences

    return {
        **licences.credential_summary(cred, masked=True),
        "status_reason": cred.status_reason if cred.status != "valid" else "",
    }


def check_out(check) -> dict:
    c = check.commitment
    return {
        "id": check.pk,
        "case": c.case_number,
        "item": c.item_code,
        "department": check.department.code,
        "holder_uscc": c.holder_uscc,
        "due_date": check.due_date,
        "outcome": check.outcome,
        "findings": check.findings,
        "credential": c.credential_identifier,
    }


@router.get(
    "items",
    auth=None,
    response={200: list[PermitItemOut], **PUBLIC_ERRORS},
    summary="Permit catalogue 事项清单",
    operation_id="listPermitItems",
)
def items(
    request: HttpRequest,
    reform_mode: Annotated[
        Literal["", "cancelled", "filing", "commitment", "optimised"],
        Query(description="only items under this reform mode 改革方式; empty: all"),
    ] = "",
    department: Annotated[str, Query(description="only this department's items 部门编码; empty: all")] = "",
):
    """Every published permit item with its legal basis, department, reform mode, limits, validity,
    the activities that need it and, for 告知承诺, the published conditions and their version."""
    out = catalogue.permit_items()
    if reform_mode:
        out = [i for i in out if catalogue.reform_mode(i) == reform_mode]
    if department:
        out = [i for i in out if i.department.code == department]
    return [item_out(i) for i in out]


@router.get(
    "items/{code}",
    auth=None,
    response={200: PermitItemOut, **PUBLIC_ERRORS},
    summary="One permit item 事项详情",
    operation_id="getPermitItem",
)
def item(request: HttpRequest, code: Annotated[str, Path(description="the item's code 事项编码")]):
    from zimao.core.errors import not_found

    service = catalog.get_service(code)
    if not catalogue.is_permit_item(service):
        raise not_found("service")
    return item_out(service)


@router.get(
    "advice",
    auth=None,
    response={200: PermitAdviceOut, **PUBLIC_ERRORS},
    summary="Which permits do I need? 准营指引",
    operation_id="advisePermits",
)
def advice(
    request: HttpRequest,
    activities: Annotated[
        list[str], Query(description="business-scope activities 经营范围, repeat the parameter")
    ] = [],  # noqa: B006 — read only
):
    """Business-scope activities (经营范围) → the permits they need, by mode; the themed bundles
    (一件事一次办) and industry permits (一业一证) that serve them."""
    result = permits.advise(activities)
    return {
        "activities": result.activities,
        "unknown": result.unknown,
        "items": [item_out(i) for i in result.items],
        "industry_permits": [item_out(i) for i in result.industry_permits],
        "bundles": [
            {
                "code": b.code,
                "name_zh": b.name_zh,
                "name_en": b.name_en,
                "members": [m["code"] for m in catalogue.facts(b).bundle.get("members", [])],
                "promised_limit_days": b.promised_limit_days,
            }
            for b in result.bundles
        ],
    }


@router.post(
    "commitments",
    response={200: PermitGrantOut, 201: PermitGrantOut, **ERRORS},
    summary="Apply under 告知承诺 (one visit)",
    operation_id="applyWithCommitment",
)
def commit(
    request: HttpRequest,
    payload: PermitCommitmentIn,
    idempotency_key: str = Header("", alias="Idempotency-Key", description=IDEMPOTENCY_KEY),
):
    """实行告知承诺: sign the commitment against the published conditions; the permit is granted in
    the same call and the department's post-approval check is scheduled. Repeating the request with
    the same ``Idempotency-Key`` returns the same case (200)."""
    from zimao.permits.models import PostCheck

    before = bool(idempotency_key) and _case_exists(request.user, idempotency_key)
    grant = permits.apply_with_commitment(
        request.user,
        payload.service,
        uscc=payload.uscc.strip().upper(),
        signer_name=payload.signer_name,
        agree=payload.agree,
        data=payload.data,
        conditions_hash=payload.conditions_version,
        idempotency_key=idempotency_key,
        channel="api",
    )
    checks = PostCheck.objects.filter(commitment__case_number=grant.case.number).select_related(
        "commitment", "department"
    )
    body = {
        "case": grant.case.number,
        "status": grant.case.status,
        "granted": grant.granted,
        "credentials": [credential_out(c) for c in grant.credentials],
        "post_checks": [check_out(c) for c in checks],
    }
    return Status(200 if before else 201, body)


def _case_exists(user, key: str) -> bool:
    from zimao.cases.models import Case

    return Case.objects.filter(applicant=user, idempotency_key=key.strip()[:64]).exists()


@router.post(
    "activity-notes",
    response={201: PermitNoteOut, **ERRORS},
    summary="Note an activity (直接取消审批)",
    operation_id="noteActivity",
)
def note(request: HttpRequest, payload: PermitNoteIn):
    """No case for an abolished approval: the activity is noted on the company's record."""
    n = permits.note_activity(request.user, payload.uscc.strip().upper(), payload.service)
    return Status(
        201, {"holder_uscc": n.holder_uscc, "item": n.item_code, "activities": n.activities, "noted_at": n.noted_at}
    )


@router.get(
    "companies",
    response={200: list[PermitCompanyOut], **ERRORS},
    summary="My companies' licences 多证集成",
    operation_id="listMyCompanies",
)
def companies(request: HttpRequest):
    """Every credential each of my companies holds, with its status today."""
    return [
        {
            "uscc": r.entity.uscc,
            "name": r.entity.name,
            "credentials": [credential_out(c) for c, _label in r.credentials],
            "credit_records": [
                {
                    "kind": c.kind,
                    "item": c.item_code,
                    "case": c.case_number,
                    "recorded_at": c.recorded_at.isoformat(),
                    "details_zh": c.details_zh,
                    "details_en": c.details_en,
                }
                for c in r.credit_records
            ],
            "activity_notes": [
                {"holder_uscc": n.holder_uscc, "item": n.item_code, "activities": n.activities, "noted_at": n.noted_at}
                for n in r.activity_notes
            ],
        }
        for r in permits.company_records(request.user)
    ]


@router.get(
    "post-checks",
    response={200: list[PermitPostCheckOut], **ERRORS},
    summary="My department's post-approval checks 事后核查",
    operation_id="listPostChecks",
)
def post_checks(
    request: HttpRequest,
    view: Annotated[Literal["open", "done"], Query(description="open 待核查 or done 已核查")] = "open",
):
    return [check_out(c) for c in permits.post_checks_for(request.user, view=view)]


@router.post(
    "post-checks/{check_id}",
    response={200: PermitPostCheckOut, **ERRORS},
    summary="Record a check 核查结论",
    operation_id="recordPostCheck",
)
def record_check(
    request: HttpRequest,
    check_id: Annotated[int, Path(description="post-check id, as listed by listPostChecks")],
    payload: PermitCheckIn,
):
    """``false`` revokes the permit at once and records it against the company."""
    permits.record_post_check(check_id, request.user, payload.outcome, payload.findings)
    return check_out(permits.get_check_for(request.user, check_id))
