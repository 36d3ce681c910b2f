"""The certificate of origin as a catalogue service on the case engine — 原产地证书（RCEP-CO）.

The catalogue entry ``RCEP-CO`` (``catalog/data/trade.json``) is data: its form (a bill of goods
as a ``table`` field), its submission check, its review task (routed to 贸促会 or 海关 by the
issuing body the exporter chose), its effects and its output. This module supplies the named
plugins the entry refers to (``zimao.catalog.plugins``), registered when the trade app loads:

* check ``trade.certificate_of_origin``: the origin engine runs on every good before a case exists;
  a good that is not originating is refused with the engine's explanation and what would qualify;
* effect ``trade.record_application`` (on submit): the application is recorded for the issuing body
  and a back-to-back certificate holds the quantities it draws on its originals;
* effect ``trade.release_application`` (on close): a withdrawn, refused or rejected case frees them;
* effect ``trade.issue_certificate`` (on the reviewer's approval): the one issuing path
  (``services.issue_locked``) with the decision-time fields ``cny_rate`` and ``retroactive_reason``;
* output ``rcep_certificate_of_origin``: a credential in the licence store, rendered as Form RCEP;
  revoking it invalidates the certificate (``verification.verify`` shows it at once).
"""

from __future__ import annotations

import dataclasses

from django.contrib.auth import get_user_model
from django.db import transaction

from zimao.catalog.models import Department
from zimao.catalog.plugins import checks, effects, outputs
from zimao.core.errors import BusinessError
from zimao.trade.certificates import services
from zimao.trade.models import Certificate
from zimao.trade.validation import clean_application

SERVICE_CODE = "RCEP-CO"
CREDENTIAL_KIND = "rcep_certificate_of_origin"
# Its 证照类型代码 sequence under the zone's own code (1xx–3xx are the permits').
CREDENTIAL_TYPE_SEQ = "400"
# A certified true copy (副本, Art. 3.17.9): a follow-up output of the same case.
TRUE_COPY_KIND = "rcep_certificate_true_copy"
TRUE_COPY_TYPE_SEQ = "401"
# The reviewer's decision-time fields (``decision_fields`` of the catalogue's review task).
DECISION_FIELDS = {"cny_rate", "retroactive_reason"}
# How a case that ends without a certificate closes its application.
CLOSED_AS = {
    "withdrawn": Certificate.Status.WITHDRAWN,
    "refused": Certificate.Status.REFUSED,
    "rejected": Certificate.Status.REFUSED,
}


def application_from_case(data: dict) -> tuple[dict, str]:
    """The case form's sections → the application the certificate service checks, and its kind."""
    section = lambda key: data.get(key) or {}  # noqa: E731
    certificate = section("certificate")
    producer = section("producer")
    third = section("third_party")
    application = {
        "exporter": section("exporter"),
        "importer": section("importer"),
        "producer": (
            {"same_as_exporter": True}
            if producer.get("same_as_exporter")
            else {k: producer.get(k) for k in ("name", "address")}
            if producer.get("name")
            else None
        ),
        "transport": section("transport"),
        "invoices": section("invoices").get("items") or [],
        "goods": section("goods").get("items") or [],
        "third_party_invoicing": {k: third.get(k) for k in ("name", "country")} if third.get("name") else None,
        "issuing_body": certificate.get("issuing_body"),
        "currency": certificate.get("currency"),
        "remarks": certificate.get("remarks"),
        "retroactive_reason": certificate.get("retroactive_reason"),
        "declaration": section("declaration"),
    }
    return application, certificate.get("kind") or Certificate.Kind.ORIGINAL


def case_data_from_application(application: dict, kind: str = Certificate.Kind.ORIGINAL) -> dict:
    """The other way: an application in the certificate service's shape → the RCEP-CO form."""
    producer = application.get("producer") or {}
    return {
        "certificate": {
            "kind": kind,
            "issuing_body": application.get("issuing_body") or "",
            "currency": application.get("currency") or "",
            "remarks": application.get("remarks") or "",
            "retroactive_reason": application.get("retroactive_reason") or "",
        },
        "exporter": application.get("exporter") or {},
        "producer": {"same_as_exporter": True}
        if producer.get("same_as_exporter")
        else {k: producer.get(k) or "" for k in ("name", "address")},
        "importer": application.get("importer") or {},
        "transport": application.get("transport") or {},
        "invoices": {"items": application.get("invoices") or []},
        "goods": {
            "items": [{k: v for k, v in g.items() if v not in (None, "")} for g in application.get("goods") or []]
        },
        "third_party": application.get("third_party_invoicing") or {},
        "declaration": application.get("declaration") or {},
    }


def apply_through_engine(
    user,
    application: dict,
    *,
    kind: str = Certificate.Kind.ORIGINAL,
    idempotency_key: str = "",
    with_created: bool = False,
):
    """Apply as a case of RCEP-CO — 通过办件引擎申请 (the exporter's pages and the trade API).
    With ``with_created``, ``(certificate, created)``: a repeated idempotency key is not a new one."""
    from zimao.cases import services as cases

    if kind not in Certificate.Kind.values:
        raise BusinessError.of("kind", "invalid", "证书种类不正确", "unknown certificate kind", status=422)
    try:
        submission = cases.submit(
            user, SERVICE_CODE, case_data_from_application(application, kind), idempotency_key=idempotency_key
        )
    except BusinessError as exc:
        raise _renamed(exc, _service_path) from None  # named as the trade pages and API name them
    cert = Certificate.objects.get(case_number=submission.case.number)
    return (cert, submission.created) if with_created else cert


def decide_through_engine(
    cert: Certificate, user, outcome: str, *, reason: str = "", fields: dict | None = None
) -> Certificate:
    """The issuing body's desk deciding an engine certificate: the decision is the case task's
    (``cases.decide``), so the case, its clock and its outputs follow; problems keep the desk's names."""
    from zimao.cases import services as cases

    task = cases.open_task_of(cert.case_number)
    if task is None:
        raise services.status_conflict(cert)
    try:
        cases.decide(task.pk, user, outcome, reason, fields)
    except BusinessError as exc:
        raise type(exc)(
            *[dataclasses.replace(p, field=p.field.removeprefix("fields.")) for p in exc.problems], status=exc.status
        ) from None
    return Certificate.objects.get(pk=cert.pk)


def withdraw_through_engine(cert: Certificate, user, reason: str = "") -> Certificate:
    from zimao.cases import services as cases

    cases.withdraw(cert.case_number, user, reason)
    return Certificate.objects.get(pk=cert.pk)


# Where the certificate service's field names sit in the RCEP-CO form (the rest are the same).
FORM_PATHS = {
    "remarks": "certificate.remarks",
    "retroactive_reason": "certificate.retroactive_reason",
    "currency": "certificate.currency",
    "issuing_body": "certificate.issuing_body",
}


def _form_path(name: str) -> str:
    if name.startswith("third_party_invoicing."):
        return "third_party." + name.removeprefix("third_party_invoicing.")
    return FORM_PATHS.get(name, name)


def _service_path(name: str) -> str:
    if name.startswith("third_party."):
        return "third_party_invoicing." + name.removeprefix("third_party.")
    return {v: k for k, v in FORM_PATHS.items()}.get(name, name)


def _renamed(exc: BusinessError, rename) -> BusinessError:
    return type(exc)(*[dataclasses.replace(p, field=rename(p.field)) for p in exc.problems], status=exc.status)


def _applicant(user_id):
    return get_user_model().objects.get(pk=user_id)


@checks.register("trade.certificate_of_origin", "货物具有原产资格", "Every good is originating under RCEP")
def check_certificate_of_origin(data: dict, applicant=None) -> list:
    """Before a case exists: the origin engine on every good, the exporter acting for the company,
    English text, the Art. 3.17.8 limits — every problem named, in Chinese and English."""
    application, kind = application_from_case(data)
    try:
        clean_application(applicant, application, kind=kind)
    except BusinessError as exc:
        return _renamed(exc, _form_path).problems  # named as the form names them
    return []


@effects.register(
    "trade.record_application", "登记证书申请并预留数量", "Record the application and hold back-to-back quantities"
)
def record_application(ctx) -> dict:
    user = _applicant(ctx.applicant_id)
    application, kind = application_from_case(ctx.data)
    cleaned = clean_application(user, application, kind=kind)  # determined afresh, inside the submission
    cert = services.record_application(user, cleaned, case_number=ctx.number)
    return {"certificate_reference": cert.reference}


@effects.register("trade.release_application", "释放预留数量", "Free the quantities the application held")
def release_application(ctx) -> dict:
    services.release_application(
        ctx.number, CLOSED_AS.get(ctx.status, Certificate.Status.WITHDRAWN), ctx.actor, reason=ctx.reason
    )
    return {}


@effects.register("trade.issue_certificate", "签发原产地证书", "Issue the certificate of origin")
def issue_certificate(ctx) -> dict:
    decision = (ctx.results.get("decision") or {}).get(ctx.task_key) or {}
    with transaction.atomic():
        cert = Certificate.objects.select_for_update().get(case_number=ctx.number)
        if cert.status == Certificate.Status.ISSUED:
            return {"certificate_number": cert.number}  # a retried run never issues twice
        actor = get_user_model().objects.filter(username=ctx.actor).first() or ctx.actor
        try:
            cert = services.issue_locked(
                cert,
                actor,
                Department.objects.get(code=cert.issuing_body),
                retroactive_reason=decision.get("retroactive_reason") or "",
                cny_rate=decision.get("cny_rate"),
            )
        except BusinessError as exc:
            # What the reviewer must give is a decision-time field: name it as the engine does.
            raise type(exc)(
                *[
                    dataclasses.replace(p, field=f"fields.{p.field}") if p.field in DECISION_FIELDS else p
                    for p in exc.problems
                ],
                status=exc.status,
            ) from None
    return {"certificate_number": cert.number}


@outputs.register(CREDENTIAL_KIND, "原产地证书", "Certificate of origin (Form RCEP)")
def certificate_output(ctx) -> list[dict]:
    from zimao.licences import services as licences

    cert = Certificate.objects.get(case_number=ctx.number)
    c = cert.content
    cred = licences.issue_credential(
        kind=CREDENTIAL_KIND,
        title_zh="原产地证书（RCEP）",
        title_en="Certificate of Origin (Form RCEP)",
        holder_uscc=cert.exporter_uscc,
        holder_name=cert.exporter_name,
        case_number=ctx.number,
        actor=ctx.actor,
        valid_from=cert.issued_on,
        valid_until=cert.valid_until,
        subject={
            "number": cert.number,
            "importing_country": cert.importing_country,
            "issuing_body": c["certification"]["issuing_body_name"],
            "goods": [
                {
                    "hs": g["hs"],
                    "description": g["description"],
                    "quantity": g["quantity"],
                    "unit": g["unit"],
                    "criterion": g["criterion"],
                }
                for g in c["goods"]
            ],
            "issued_retroactively": c["flags"]["issued_retroactively"],
            "back_to_back": c["flags"]["back_to_back"],
        },
    )
    if cert.credential_identifier != cred.identifier:
        cert.credential_identifier = cred.identifier
        cert.save(update_fields=["credential_identifier", "updated_at"])
    return [
        {
            "identifier": cred.identifier,
            "kind": CREDENTIAL_KIND,
            "title_zh": "原产地证书（RCEP）",
            "title_en": "Certificate of Origin (Form RCEP)",
            "certificate_number": cert.number,
        }
    ]


def register_credential_kind() -> None:
    """The 证照类型代码 of certificates of origin in the licence store (from ``TradeConfig.ready``)."""
    from zimao.licences import services as licences

    licences.register_kind(CREDENTIAL_KIND, CREDENTIAL_TYPE_SEQ)
    licences.register_kind(TRUE_COPY_KIND, TRUE_COPY_TYPE_SEQ)
    for key, labels in (
        ("true_copy_of", ("原件电子证照", "Copy of the credential")),
        ("reference", ("副本申请编号", "Request reference")),
    ):
        licences.FIELD_LABELS.setdefault(key, labels)


def true_copy_output(copy, actor) -> dict | None:
    """A certified true copy of a certificate issued on the engine, as a credential in the licence
    store and a follow-up output of its case (same number and date as the original; one per case:
    a second copy is the same credential). Inside the caller's transaction; ``None`` for a
    certificate recorded before applications became cases."""
    from zimao.cases import services as cases
    from zimao.licences import services as licences

    cert = copy.certificate
    if not cert.case_number or not cert.credential_identifier:
        return None
    cred = licences.issue_credential(
        kind=TRUE_COPY_KIND,
        title_zh="原产地证书（RCEP）经核准的副本",
        title_en="Certificate of Origin (Form RCEP), certified true copy",
        holder_uscc=cert.exporter_uscc,
        holder_name=cert.exporter_name,
        case_number=cert.case_number,
        actor=actor,
        valid_from=cert.issued_on,
        valid_until=cert.valid_until,
        subject={"number": cert.number, "true_copy_of": cert.credential_identifier, "reference": copy.reference},
    )
    output = {
        "identifier": cred.identifier,
        "kind": TRUE_COPY_KIND,
        "title_zh": "原产地证书（RCEP）经核准的副本",
        "title_en": "Certificate of Origin (Form RCEP), certified true copy",
        "certificate_number": cert.number,
    }
    cases.add_follow_up_output(cert.case_number, TRUE_COPY_KIND, output, actor)
    return output


def revoke_true_copies(cert: Certificate, reason: str, actor) -> None:
    """The original invalidated, its true copies go with it (revoked in the licence store)."""
    from zimao.licences import services as licences

    if not cert.case_number:
        return
    for cred in licences.credentials_of_case(cert.case_number, TRUE_COPY_KIND):
        if cred.status != "revoked":
            licences.revoke(cred.identifier, reason, actor)
