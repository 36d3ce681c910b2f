"""E-licence API — 电子证照接口: public verification and keys, and the user's own licences."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpResponse
from ninja import Path, Router, Schema

from zimao.core import signing
from zimao.core.errors import COMMON_ERRORS, ErrorItem, ErrorOut
from zimao.licences import services

prefix = "/licences/"
router = Router(tags=["licences"])

# Public operations take no credentials: the only refusals are a malformed request.
PUBLIC_ERRORS = {400: ErrorOut, 422: ErrorOut}


class CredentialBriefOut(Schema):
    identifier: str
    kind: str
    title_zh: str
    title_en: str
    status: str
    label_zh: str
    label_en: str
    valid_from: dt.date
    valid_until: dt.date | None = None
    verify_url: str


class CredentialOut(CredentialBriefOut):
    holder_uscc: str
    holder_name: str
    issuer_name: str
    issued_at: dt.datetime
    status_reason: str = ""
    subject: dict


class MyCredentialOut(CredentialOut):
    case_number: str | None = None
    kid: str
    jws: str
    revoked_at: dt.datetime | None = None


class HolderOut(Schema):
    uscc: str
    name: str


class VerificationOut(Schema):
    """核验结果. ``genuine``: issued by this store and the signature holds; ``current``: genuine and
    in force today. ``status`` is one of valid, expired, not_yet_valid, revoked, suspended,
    not_genuine.

    Asked with a unified social credit code instead (``lookup`` is "holder"): ``credentials`` are
    the licences issued here to that company; ``found`` says whether there is any, ``genuine``
    whether any of them verifies, ``current`` whether any is in force; ``status`` is holder_found,
    not_issued (none issued here — which says nothing against the company) or invalid_code."""

    lookup: str = "licence"
    identifier: str
    format_valid: bool
    found: bool
    genuine: bool
    current: bool
    status: str
    label_zh: str
    label_en: str
    reason: str | None = None
    reason_zh: str = ""
    reason_en: str = ""
    problems: list[ErrorItem] = []
    holder: HolderOut | None = None
    credential: CredentialOut | None = None
    credentials: list[CredentialBriefOut] = []


class JwksOut(Schema):
    keys: list[dict]


def _brief(cred, status: str) -> dict:
    return services.credential_summary(cred, masked=True) | services.status_label(status)


def _verification_data(result: services.VerificationResult) -> dict:
    data = {
        "identifier": result.identifier,
        "format_valid": result.format_ok,
        "found": result.found,
        "genuine": result.genuine,
        "current": result.current,
        "status": result.status,
        "label_zh": result.label["label_zh"],
        "label_en": result.label["label_en"],
        "reason": result.reason,
        "reason_zh": result.reason_zh,
        "reason_en": result.reason_en,
        "problems": [p.as_dict() for p in result.problems],
    }
    if result.genuine:
        cred = result.credential
        data["holder"] = {"uscc": cred.holder_uscc, "name": cred.holder_name}
        data["credential"] = _brief(cred, result.status)
        data["credentials"] = [_brief(c, s) for c, s in result.holder_credentials]
    return data


def _holder_data(lookup: services.HolderLookup) -> dict:
    data = {
        "lookup": "holder",
        "identifier": lookup.uscc,
        "format_valid": lookup.format_ok,
        "found": lookup.found,
        "genuine": lookup.genuine,
        "current": lookup.current,
        "status": lookup.status,
        "label_zh": lookup.label["label_zh"],
        "label_en": lookup.label["label_en"],
        "problems": [p.as_dict() for p in lookup.problems],
        "credentials": [_brief(c, s) for c, s in lookup.credentials],
    }
    if lookup.holder_name:
        data["holder"] = {"uscc": lookup.uscc, "name": lookup.holder_name}
    return data


def _render_verification(request, result: services.VerificationResult) -> bytes:
    """The JSON ninja would send for ``VerificationOut`` (validated and rendered the same way)."""
    from zimao.api import api

    dumped = VerificationOut.model_validate(_verification_data(result)).model_dump()
    content = api.renderer.render(request, dumped, response_status=200)
    return content.encode() if isinstance(content, str) else content


@router.get(
    "/verify/{identifier}",
    auth=None,
    response={200: VerificationOut, **PUBLIC_ERRORS},
    summary="Verify a licence 核验电子证照",
    operation_id="verifyLicence",
)
def verify(
    request,
    identifier: Annotated[
        str,
        Path(
            description="the licence identifier 证照标识, as printed and in the QR code, or a company's "
            "unified social credit code 统一社会信用代码 for every licence issued to it here"
        ),
    ],
):
    """Public: is this licence genuine and current? Personal values are masked. Every outcome,
    including "not genuine", is a 200 answer whose ``genuine`` says so. A unified social credit
    code lists the company's licences issued here (``lookup`` "holder")."""
    from zimao.api import api

    if services.looks_like_uscc(identifier):
        return VerificationOut.model_validate(_holder_data(services.lookup_holder(identifier)))

    result = services.verify(identifier)
    # Serialising the holder's 20-odd credentials costs far more than verifying them: the JSON is
    # kept with the holder's cached answer and goes when a change bumps the holder's version.
    body = services.cached_rendering(
        result, ("api", request.build_absolute_uri("/")), lambda: _render_verification(request, result)
    )
    return HttpResponse(body, content_type=api.get_content_type())


@router.get(
    "/mine",
    response={200: list[MyCredentialOut], **COMMON_ERRORS},
    summary="My licences 我的电子证照",
    operation_id="listMyLicences",
)
def mine(request):
    """The licences of the companies the current user applied for, with their signed JWS."""
    return [services.credential_summary(c) for c in services.credentials_of_user(request.user)]


@router.get(
    "/jwks",
    auth=None,
    response={200: JwksOut, **PUBLIC_ERRORS},
    summary="Signing public keys 签名公钥 (JWKS)",
    operation_id="getSigningKeys",
)
def jwks(request):
    """Public keys (active and retired) for verifying licence signatures offline."""
    return signing.jwks()
