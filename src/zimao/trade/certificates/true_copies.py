"""Certified true copies — 经核准的证书副本 (RCEP Art. 3.17.9): after theft, loss or destruction of
the original, the exporter asks and the issuing body issues a copy signed over the original's
signed content."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from zimao.core import audit, signing
from zimao.core.errors import BusinessError, Conflict, Problem, not_found
from zimao.trade.access import exporter_usccs
from zimao.trade.certificates import document as docs
from zimao.trade.certificates.services import (
    S,
    application_reference,
    get_certificate,
    require_issuer,
    status_conflict,
)
from zimao.trade.models import TrueCopy


def request_true_copy(user, number: str, reason: str) -> TrueCopy:
    """The exporter asks for a certified true copy after theft, loss or destruction of the original."""
    reason = (reason or "").strip()
    cert = get_certificate(user, number)
    if cert.applicant_id != user.id and cert.exporter_uscc not in exporter_usccs(user):
        raise not_found("certificate")
    if not reason:
        raise BusinessError.of(
            "reason",
            "required",
            "请说明原件被盗、遗失或损毁的情况",
            "Say how the original was stolen, lost or destroyed",
            status=422,
        )
    if cert.status != S.ISSUED:
        raise status_conflict(cert)
    if docs.add_years(cert.issued_on, 1) < timezone.localdate():
        raise Conflict(
            Problem(
                "number",
                "too_late",
                "原证书签发已超过一年，不能再出具副本（第3.17条第9款(a)项）",
                "More than one year after the original was issued, no true copy can be issued (Art. 3.17.9(a))",
            )
        )
    with transaction.atomic():
        copy = TrueCopy.objects.create(
            reference=application_reference("CTC"),
            certificate=cert,
            requested_by=user,
            reason=reason[:2000],
            requested_at=timezone.now(),
        )
        audit.record(user, "coo.true_copy.request", copy, after={"number": cert.number, "reference": copy.reference})
    return copy


def _locked_copy(reference: str) -> TrueCopy:
    copy = (
        TrueCopy.objects.select_for_update(of=("self",))
        .select_related("certificate")
        .filter(reference=(reference or "").strip().upper())
        .first()
    )
    if copy is None:
        raise not_found("true_copy")
    return copy


def issue_true_copy(reference: str, user) -> TrueCopy:
    """Issue the copy — 签发副本: same number and date as the original, endorsed "CERTIFIED TRUE
    COPY", based on the original application, signed over the original's signed content."""
    with transaction.atomic():
        copy = _locked_copy(reference)
        cert = copy.certificate
        require_issuer(user, cert)
        if copy.status != TrueCopy.Status.REQUESTED:
            raise Conflict(
                Problem("status", "already_decided", "该副本申请已处理", "This request has already been decided")
            )
        if cert.status != S.ISSUED:
            raise status_conflict(cert)
        if docs.add_years(cert.issued_on, 1) < timezone.localdate():
            raise Conflict(
                Problem(
                    "number",
                    "too_late",
                    "原证书签发已超过一年（第3.17条第9款(a)项）",
                    "More than one year after the original was issued (Art. 3.17.9(a))",
                )
            )
        copy.status = TrueCopy.Status.ISSUED
        copy.issued_at = timezone.now().replace(microsecond=0)
        copy.decided_at = copy.issued_at
        copy.decided_by = user
        copy.jws, copy.kid = signing.sign_content(docs.true_copy_payload(copy))
        copy.save()
        # On the engine: the copy is also a follow-up output of the case, in the licence store.
        from zimao.trade.certificates import case_service

        output = case_service.true_copy_output(copy, user)
        audit.record(
            user,
            "coo.true_copy.issue",
            copy,
            after={"number": cert.number, "kid": copy.kid, "credential": (output or {}).get("identifier", "")},
        )
    return copy


def refuse_true_copy(reference: str, user, reason: str) -> TrueCopy:
    reason = (reason or "").strip()
    if not reason:
        raise BusinessError.of("reason", "required", "请说明理由", "Give the reason", status=422)
    with transaction.atomic():
        copy = _locked_copy(reference)
        require_issuer(user, copy.certificate)
        if copy.status != TrueCopy.Status.REQUESTED:
            raise Conflict(
                Problem("status", "already_decided", "该副本申请已处理", "This request has already been decided")
            )
        copy.status = TrueCopy.Status.REFUSED
        copy.refusal_reason = reason
        copy.decided_at = timezone.now()
        copy.decided_by = user
        copy.save()
        audit.record(user, "coo.true_copy.refuse", copy, after={"reason": reason})
    return copy
