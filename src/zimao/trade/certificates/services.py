"""Certificates of origin — 原产地证书 (RCEP Art. 3.17): ``apply`` → the issuing body's review
queue → ``issue`` (unique number, signature, one-year validity, "ISSUED RETROACTIVELY" after
shipment) or ``refuse``; ``withdraw``, ``invalidate``; back-to-back certificates (Art. 3.19)
drawing partial quantities on an original proof; the customs exchange rates that turn FOB values
into yuan for the dashboard; certified true copies (Art. 3.17.9).

Every change is one transaction with its audit event (``zimao.core.audit``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from zimao.catalog.models import Department, Officer
from zimao.core import audit, calendar, sequences, signing
from zimao.core.errors import BusinessError, Conflict, Problem, forbidden, not_found
from zimao.trade.access import can_view, exporter_usccs, exporters_of, is_trade_official, issuing_officer
from zimao.trade.certificates import document as docs
from zimao.trade.certificates.document import EXPORTING_PARTY, country_en
from zimao.trade.certificates.rates import rate_for, set_rate
from zimao.trade.models import BackToBackDraw, Certificate, OriginalProof, TrueCopy
from zimao.trade.validation import Problems, json_safe

S = Certificate.Status

# What an application's status is called — 申请状态.
STATUS_WORDS = {
    "submitted": ("已申请，待签证", "Submitted, waiting for the issuing body"),
    "issued": ("已签发", "Issued"),
    "refused": ("不予签证", "Refused"),
    "withdrawn": ("已撤回", "Withdrawn"),
    "invalidated": ("已作废", "Invalidated"),
}

# The zone's promise (承诺时限): an application is decided within this many working days.
PROMISED_WORKING_DAYS = 1


def place_of_issue() -> str:
    """Where certificates are issued, printed in box 16 (English) — 签证地点: the setting
    ``ZIMAO_TRADE_PLACE`` if set, else the zone profile's place of issue."""
    from zimao.catalog import zone

    return getattr(settings, "ZIMAO_TRADE_PLACE", None) or zone.place_of_issue()


def english_signatory(user, body: Department) -> str:
    """Who certified, as box 16 prints it on the English-only form (Art. 3.17.3(c)): the officer's
    name when it is written in Latin letters, else the body's authorised officer (a login name
    is no name to print)."""
    name = (user.get_full_name() if hasattr(user, "get_full_name") else str(user or "")).strip()
    if name and name.isascii():
        return name
    return f"Authorised officer, {body.name_en}"


# ---------------------------------------------------------------------------------------------
# Applications — 证书申请


def application_reference(prefix: str) -> str:
    today = timezone.localdate()
    n = sequences.next_value(f"trade.{prefix}.{today:%Y%m%d}")
    # Two-digit year: never to be mistaken for (or contain) a case number, LY + 8-digit date + serial.
    return f"{prefix}{settings.ZONE_CODE}{today:%y%m%d}{n:05d}"


def _lock_original(facts: dict) -> OriginalProof:
    """The stored original proof for ``facts`` (created on first presentation), locked."""
    defaults = {
        k: facts[k]
        for k in ("issued_on", "rcep_country", "approved_exporter_code", "hs", "description", "quantity", "unit")
    }
    defaults["criterion"] = ", ".join(facts["criterion"])
    defaults["valid_until"] = docs.one_year_validity(facts["issued_on"])
    try:
        with transaction.atomic():
            OriginalProof.objects.get_or_create(
                country=facts["country"], reference=facts["reference"], item=facts["item"], defaults=defaults
            )
    except IntegrityError:
        pass  # created at the same moment by another application: read it below
    return OriginalProof.objects.select_for_update().get(
        country=facts["country"], reference=facts["reference"], item=facts["item"]
    )


def _drawn(original: OriginalProof, exclude_certificate: int | None = None) -> Decimal:
    qs = BackToBackDraw.objects.filter(original=original, certificate__status__in=[S.SUBMITTED, S.ISSUED])
    if exclude_certificate:
        qs = qs.exclude(certificate_id=exclude_certificate)
    return qs.aggregate(total=Sum("quantity"))["total"] or Decimal(0)


def _draw_originals(p: Problems, cert: Certificate | None, goods: list[dict]) -> list[tuple[OriginalProof, Decimal]]:
    """Check each partial quantity against what is left of its original (Art. 3.19.1(e))."""
    draws = []
    wanted: dict[int, Decimal] = defaultdict(Decimal)
    for i, g in enumerate(goods):
        facts = g["original"]
        original = _lock_original(facts)
        for key in ("issued_on", "rcep_country", "hs", "quantity", "unit"):
            if getattr(original, key) != facts[key]:
                p.add(
                    f"goods[{i}].original.{key}",
                    "original_mismatch",
                    "与此前提交的同一份原始证明的内容不一致",
                    "differs from the same original proof presented before",
                )
        wanted[original.pk] += g["quantity"]
        left = original.quantity - _drawn(original, cert.pk if cert else None) - (wanted[original.pk] - g["quantity"])
        if g["quantity"] > left:
            p.add(
                f"goods[{i}].quantity",
                "exceeds_original",
                f"超过原始证明尚未使用的数量 {left.normalize():f} {original.unit}（第3.19条第1款(e)项）",
                f"exceeds what is left of the original proof, {left.normalize():f} {original.unit} (Art. 3.19.1(e))",
            )
        draws.append((original, g["quantity"]))
    return draws


def apply(user, data: dict, *, kind: str = Certificate.Kind.ORIGINAL, idempotency_key: str = "") -> Certificate:
    """Apply for a certificate of origin — 申请原产地证书 (Art. 3.17.1–2).

    One path with the exporter's pages and the trade API: the application is a case of the
    catalogue service RCEP-CO (``case_service.apply_through_engine``), so its review task, clock,
    withdrawal and refusal come from the engine. Idempotent per key: a repeated request returns
    the application already made.
    """
    return case_service().apply_through_engine(user, data, kind=kind, idempotency_key=idempotency_key)


def record_application(
    user,
    cleaned: dict,
    *,
    idempotency_key: str = "",
    idempotency_fingerprint: str = "",
    case_number: str = "",
    today: dt.date | None = None,
) -> Certificate:
    """Record a checked application (``clean_application``) for the issuing body, holding the
    partial quantities a back-to-back certificate draws on its originals (Art. 3.19.1(e)) —
    登记申请并预留数量. Inside the caller's transaction; 409 when a quantity is no longer left."""
    today = today or timezone.localdate()
    kind = cleaned["kind"]
    exporter = next(e for e in exporters_of(user) if e.uscc == cleaned["exporter"]["uscc"])
    fob_total = sum((g["fob_value"] for g in cleaned["goods"]), Decimal(0))
    p = Problems()
    draws = _draw_originals(p, None, cleaned["goods"]) if kind == Certificate.Kind.BACK_TO_BACK else []
    p.raise_if_any(status=409 if any(x.code == "exceeds_original" for x in p.items) else 422)
    cert = Certificate.objects.create(
        reference=application_reference("COA"),
        kind=kind,
        applicant=user,
        exporter_uscc=exporter.uscc,
        exporter_name=exporter.name,
        issuing_body=cleaned["issuing_body"],
        importing_country=cleaned["importer"]["country"],
        currency=cleaned["currency"],
        fob_total=fob_total,
        departure_date=cleaned["transport"]["departure_date"],
        data=json_safe(cleaned),
        idempotency_key=idempotency_key,
        idempotency_fingerprint=idempotency_fingerprint,
        submitted_at=timezone.now(),
        case_number=case_number,
        due_date=calendar.add_working_days(today, PROMISED_WORKING_DAYS).date,
    )
    for original, quantity in draws:
        BackToBackDraw.objects.create(certificate=cert, original=original, quantity=quantity)
    audit.record(
        user,
        "coo.apply",
        cert,
        after={
            "reference": cert.reference,
            "kind": kind,
            "exporter": exporter.uscc,
            "issuing_body": cert.issuing_body,
            "importing_country": cert.importing_country,
            "goods": len(cleaned["goods"]),
            "idempotency_key": idempotency_key,
            "case": case_number,
        },
    )
    return cert


def release_application(case_number: str, status: str, actor, *, reason: str = "") -> None:
    """A case that ends without a certificate (withdrawn, refused, not accepted) frees the
    quantities its application held — 释放预留数量 — and closes the application; a refusal keeps
    the engine's reason as the certificate's (不予签证理由)."""
    with transaction.atomic():
        for cert in Certificate.objects.select_for_update().filter(case_number=case_number, status=S.SUBMITTED):
            cert.status = status
            cert.decided_at = timezone.now()
            if status == S.REFUSED and reason:
                cert.refusal_reason = reason
            cert.save(update_fields=["status", "decided_at", "refusal_reason", "updated_at"])
            cert.draws.all().delete()
            after = {"status": status, **({"reason": reason} if status == S.REFUSED and reason else {})}
            audit.record(actor, f"coo.{status}", cert, before={"status": S.SUBMITTED}, after=after)


def certificates_for(user, *, status: str = ""):
    """What the user may list — 我的证书 / 签证审核列表: an exporter's own, an official's all."""
    qs = Certificate.objects.all()
    if not is_trade_official(user):
        qs = qs.filter(exporter_uscc__in=exporter_usccs(user)) | qs.filter(applicant=user)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-submitted_at", "-id")


def review_queue(user):
    """Applications waiting for this issuing body — 待签证 (oldest first, due date shown)."""
    officer = issuing_officer(user)
    if officer is None:
        return Certificate.objects.none()
    return Certificate.objects.filter(issuing_body=officer.department.code, status=S.SUBMITTED).order_by(
        "due_date", "submitted_at", "id"
    )


def true_copies_queue(user):
    officer = issuing_officer(user)
    if officer is None:
        return TrueCopy.objects.none()
    return (
        TrueCopy.objects.filter(certificate__issuing_body=officer.department.code, status=TrueCopy.Status.REQUESTED)
        .select_related("certificate")
        .order_by("requested_at")
    )


def get_certificate(user, key: str) -> Certificate:
    """By application reference or certificate number; someone else's looks like a missing one."""
    key = (key or "").strip().upper()
    cert = Certificate.objects.filter(reference=key).first() or Certificate.objects.filter(number=key).first()
    if cert is None or not can_view(user, cert):
        raise not_found("certificate")
    return cert


def _on_engine(reference: str) -> Certificate | None:
    """The application if it is a case of the catalogue service RCEP-CO: decided through the engine."""
    return Certificate.objects.filter(reference=(reference or "").strip().upper()).exclude(case_number="").first()


def case_service():
    """The bridge to the case engine (imported late: it registers plugins that import this module)."""
    from zimao.trade.certificates import case_service as bridge

    return bridge


def _locked(reference: str) -> Certificate:
    cert = Certificate.objects.select_for_update().filter(reference=(reference or "").strip().upper()).first()
    if cert is None:
        raise not_found("certificate")
    return cert


def status_conflict(cert: Certificate) -> Conflict:
    words = STATUS_WORDS.get(cert.status, (cert.status, cert.status))
    return Conflict(
        Problem(
            "status",
            "invalid_transition",
            f"该申请当前状态为“{words[0]}”，不能执行此操作",
            f"The application is {words[1].lower()}; this cannot be done now",
        )
    )


def withdraw(user, reference: str, reason: str = "") -> Certificate:
    """The applicant withdraws an application not yet decided — 撤回申请."""
    engine_cert = _on_engine(reference)
    if engine_cert is not None:
        if engine_cert.applicant_id != user.id:
            raise not_found("certificate")
        if engine_cert.status != S.SUBMITTED:
            raise status_conflict(engine_cert)
        return case_service().withdraw_through_engine(engine_cert, user, reason)
    with transaction.atomic():
        cert = _locked(reference)
        if cert.applicant_id != user.id:
            raise not_found("certificate")
        if cert.status != S.SUBMITTED:
            raise status_conflict(cert)
        cert.status = S.WITHDRAWN
        cert.decided_at = timezone.now()
        cert.refusal_reason = (reason or "").strip()[:500]
        cert.save()
        # A withdrawn back-to-back application frees the quantity it held.
        cert.draws.all().delete()
        audit.record(user, "coo.withdraw", cert, before={"status": S.SUBMITTED}, after={"status": S.WITHDRAWN})
    return cert


def require_issuer(user, cert: Certificate) -> Officer:
    officer = issuing_officer(user, cert.issuing_body)
    if officer is None:
        # Only the issuing body the application went to may decide it (Art. 3.17.1).
        raise forbidden("certificate")
    return officer


def refuse(reference: str, user, reason: str) -> Certificate:
    """The issuing body refuses to certify — 不予签证 — giving its reason."""
    reason = (reason or "").strip()
    if not reason:
        raise BusinessError.of(
            "reason", "required", "不予签证时必须说明理由", "Give the reason for refusing", status=422
        )
    if len(reason) > 2000:
        raise BusinessError.of(
            "reason", "too_long", "理由不能超过2000字", "The reason must be at most 2000 characters", status=422
        )
    engine_cert = _on_engine(reference)
    if engine_cert is not None:
        require_issuer(user, engine_cert)
        if engine_cert.status != S.SUBMITTED:
            raise status_conflict(engine_cert)
        return case_service().decide_through_engine(engine_cert, user, "refuse", reason=reason)
    with transaction.atomic():
        cert = _locked(reference)
        require_issuer(user, cert)
        if cert.status != S.SUBMITTED:
            raise status_conflict(cert)
        cert.status = S.REFUSED
        cert.refusal_reason = reason
        cert.decided_at = timezone.now()
        cert.decided_by = user
        cert.save()
        cert.draws.all().delete()
        audit.record(
            user, "coo.refuse", cert, before={"status": S.SUBMITTED}, after={"status": S.REFUSED, "reason": reason}
        )
    return cert


# -- exchange rates — 汇率: ``zimao.trade.certificates.rates``


# -- issuing — 签发


def _content(
    cert: Certificate,
    number: str,
    issued_on: dt.date,
    valid_until: dt.date,
    retroactive: bool,
    reason: str,
    signatory: str,
    body: Department,
) -> dict:
    """The Form RCEP content — 证书内容 (Annex 3B part 1), fixed at issue and signed."""
    data = cert.data
    invoices = [f"{inv['number']} ({inv['date']})" for inv in data["invoices"]]
    goods, originals = [], []
    for i, g in enumerate(data["goods"], start=1):
        rvc = "RVC" in g["criterion"]
        entry = {
            "item": i,
            "marks": g["marks"],
            "packages": g["packages"],
            "description": g["description"],
            "hs": g["hs"],
            "hs_version": g.get("hs_version", ""),
            "criterion": g["criterion"],
            "rcep_country": g["rcep_country"],
            "quantity": g["quantity"],
            "unit": g["unit"],
            "gross_weight_kg": g.get("gross_weight_kg"),
            # Box 12 / Annex 3B 1(k): the FOB value only where the RVC criterion is used.
            "fob": g["fob_value"] if rvc else None,
            "invoices": invoices,
        }
        if g.get("original"):
            o = g["original"]
            entry["original"] = {
                k: o[k] for k in ("country", "reference", "item", "issued_on", "rcep_country", "approved_exporter_code")
            }
            originals.append(entry["original"])
        goods.append(entry)
    remarks = []
    if retroactive:
        remarks.append(f"{docs.RETROACTIVE_WORDS}: {reason}")
    for o in originals:
        # Annex 3B 1(m): the original's number, date, first exporting Party's RCEP country of
        # origin and, if any, its approved exporter code.
        text = (
            f"{docs.BACK_TO_BACK_WORDS}: original proof of origin No. {o['reference']} issued on {o['issued_on']} "
            f"in {country_en(o['country'])}, RCEP country of origin {country_en(o['rcep_country'])}"
        )
        if o.get("approved_exporter_code"):
            text += f", approved exporter {o['approved_exporter_code']}"
        remarks.append(text)
    third = data.get("third_party_invoicing")
    if third:
        remarks.append(f"{docs.THIRD_PARTY_WORDS}: invoice issued by {third['name']}, {country_en(third['country'])}")
    if data.get("remarks"):
        remarks.append(data["remarks"])
    producer = data.get("producer")
    if producer and producer.get("same_as_exporter"):
        producer = {"name": "SAME AS EXPORTER", "address": ""}
    return {
        "form": "RCEP",
        "number": number,
        "issued_in": EXPORTING_PARTY,
        "issued_on": issued_on.isoformat(),
        "valid_until": valid_until.isoformat(),
        "exporter": {**{k: data["exporter"][k] for k in ("name", "address")}, "country": EXPORTING_PARTY},
        "importer": data["importer"],
        "producer": producer,
        "transport": data["transport"],
        "goods": goods,
        "remarks": remarks,
        "flags": {
            "issued_retroactively": retroactive,
            "back_to_back": bool(originals),
            "third_party_invoicing": bool(third),
        },
        "declaration": {
            "importing_country": data["importer"]["country"],
            "place": data["declaration"]["place"],
            "date": cert.submitted_at.astimezone(timezone.get_current_timezone()).date().isoformat(),
            "signatory": data["declaration"]["signatory"],
        },
        "certification": {
            "issuing_body": body.code,
            "issuing_body_name": body.name_en,
            "place": place_of_issue(),
            "date": issued_on.isoformat(),
            "signatory": signatory,
        },
    }


def issue(
    reference: str, user, *, retroactive_reason: str = "", cny_rate=None, today: dt.date | None = None
) -> Certificate:
    """Issue the certificate — 签发原产地证书 (Art. 3.17): a unique number, the issuing body's
    electronic signature, validity of one year (Art. 3.16), "ISSUED RETROACTIVELY"
    when issued after the departure date (Art. 3.17.8). ``today`` counts only for an application
    made before applications became cases (desk-only rows); a case is decided on the engine's day."""
    today = today or timezone.localdate()
    engine_cert = _on_engine(reference)
    if engine_cert is not None:
        require_issuer(user, engine_cert)
        if engine_cert.status != S.SUBMITTED:
            raise status_conflict(engine_cert)
        fields = {
            k: v for k, v in (("cny_rate", cny_rate), ("retroactive_reason", retroactive_reason)) if v not in (None, "")
        }
        return case_service().decide_through_engine(engine_cert, user, "approve", fields=fields)
    with transaction.atomic():
        cert = _locked(reference)
        officer = require_issuer(user, cert)
        return issue_locked(
            cert, user, officer.department, retroactive_reason=retroactive_reason, cny_rate=cny_rate, today=today
        )


def issue_locked(
    cert: Certificate,
    actor,
    body: Department,
    *,
    retroactive_reason: str = "",
    cny_rate=None,
    today: dt.date | None = None,
) -> Certificate:
    """Issue a certificate already locked and decided for by ``body`` — the one issuing path, for
    the issuing body's desk and for the case engine's review task (``actor`` a user or a name)."""
    today = today or timezone.localdate()
    user = actor if hasattr(actor, "get_full_name") else None
    if cert.status != S.SUBMITTED:
        raise status_conflict(cert)
    p = Problems()
    retroactive = cert.departure_date < today
    reason = (retroactive_reason or "").strip() or cert.data.get("retroactive_reason", "")
    # Box 14 prints the reason: in English, like the whole form (Art. 3.17.3(c)).
    reason = p.text(reason, "retroactive_reason", required=False, limit=500, english=True)
    if retroactive and docs.add_years(cert.departure_date, 1) < today:
        raise Conflict(
            Problem(
                "transport.departure_date",
                "too_late",
                "出运已超过一年，不能补发证书（第3.17条第8款）",
                "More than one year after shipment: the certificate cannot be issued (Art. 3.17.8)",
            )
        )
    if retroactive and not reason:
        p.add(
            "retroactive_reason",
            "required",
            "货物已出运，补发证书须说明原因（第3.17条第8款）",
            "the goods have left: give the reason for issuing retroactively (Art. 3.17.8)",
        )
    valid_until = docs.one_year_validity(today)
    if cert.kind == Certificate.Kind.BACK_TO_BACK:
        draws = list(cert.draws.select_related("original"))
        for i, d in enumerate(draws):
            if d.original.valid_until < today:
                p.add(
                    f"goods[{i}].original",
                    "original_expired",
                    "原始原产地证明已过有效期（第3.19条第1款(a)项）",
                    "the original proof of origin is no longer valid (Art. 3.19.1(a))",
                )
        p.raise_if_any(status=409)
        # Art. 3.19.1(b): never valid longer than the original proof it rests on.
        valid_until = min([valid_until] + [d.original.valid_until for d in draws])
    rate = rate_for(cert.currency, today)
    if rate is None and cny_rate not in (None, ""):
        rate = set_rate(
            cert.currency, today, cny_rate, f"entered by {audit.actor_name(actor)} when issuing {cert.reference}", actor
        ).cny_per_unit
    if rate is None:
        p.add(
            "cny_rate",
            "no_exchange_rate",
            f"尚未录入 {today:%Y-%m} 的 {cert.currency} 海关计征汇率，请填写（用于统计离岸价人民币值）",
            f"no customs rate of {cert.currency} for {today:%Y-%m} is entered yet; give it (it converts the FOB "
            "value to yuan for the statistics)",
        )
    p.raise_if_any()
    serial = sequences.next_value(f"trade.coo.{today.year}")
    number = docs.certificate_number(cert.issuing_body, today.year, serial)
    signatory = english_signatory(actor, body)
    cert.number = number
    cert.issued_on = today
    cert.valid_until = valid_until
    cert.retroactive = retroactive
    cert.issued_at = timezone.now().replace(microsecond=0)
    cert.cny_rate = rate
    cert.fob_cny = (cert.fob_total * rate).quantize(Decimal("0.01"))
    cert.content = json_safe(_content(cert, number, today, valid_until, retroactive, reason, signatory, body))
    cert.jws, cert.kid = signing.sign_content(docs.certificate_payload(cert))
    cert.status = S.ISSUED
    cert.decided_at = cert.issued_at
    cert.decided_by = user
    cert.save()
    audit.record(
        actor,
        "coo.issue",
        cert,
        before={"status": S.SUBMITTED},
        after={
            "status": S.ISSUED,
            "number": number,
            "valid_until": valid_until,
            "retroactive": retroactive,
            "kid": cert.kid,
            "fob_cny": cert.fob_cny,
        },
    )
    _tell_monitor(cert)
    return cert


def invalidate(number: str, user, reason: str) -> Certificate:
    """Invalidate an issued certificate — 作废 (Art. 3.17.5(a)), e.g. before a corrected one is
    issued; verification shows it as invalidated at once."""
    reason = (reason or "").strip()
    if not reason:
        raise BusinessError.of("reason", "required", "请填写作废原因", "Give the reason", status=422)
    with transaction.atomic():
        cert = Certificate.objects.select_for_update().filter(number=(number or "").strip().upper()).first()
        if cert is None:
            raise not_found("certificate")
        require_issuer(user, cert)
        if cert.status != S.ISSUED:
            raise status_conflict(cert)
        cert.status = S.INVALIDATED
        cert.invalidated_at = timezone.now()
        cert.invalidation_reason = reason
        cert.save()
        if cert.credential_identifier:
            # One invalidation: the credential in the licence store is revoked with it.
            from zimao.licences import services as licences

            if licences.get_credential(cert.credential_identifier).status != "revoked":
                licences.revoke(cert.credential_identifier, reason, user)
            case_service().revoke_true_copies(cert, reason, user)
        audit.record(
            user, "coo.invalidate", cert, before={"status": S.ISSUED}, after={"status": S.INVALIDATED, "reason": reason}
        )
    return cert


def tell_monitor(code: str, at, **kw) -> None:
    """Report one event to the dashboard — 上报监测 — inside the caller's transaction (the monitor's
    task row is an outbox: it commits or rolls back with the change). Nothing when the monitor
    app is not on this node; ``code`` is a ``zimao.monitor.catalogue`` stream code."""
    try:
        from zimao.core.events import announce_fact as report
    except ImportError:  # the monitor app is optional for a trade-only node
        return
    report(code, at, **kw)


def _tell_monitor(cert: Certificate) -> None:
    """One event per certificate, in the issue's transaction: counted, and its FOB in yuan summed,
    by destination."""
    tell_monitor(
        "trade.rcep_certificates",
        cert.issued_at,
        value=cert.fob_cny or Decimal(0),
        dimension=cert.importing_country,
        event_key=f"coo:{cert.number}",
        ref=cert.number,
        label=cert.exporter_name,
    )


def monitor_events():
    """Every certificate event from scratch — for ``zimao.monitor`` rebuilds (sources.register)."""
    from zimao.core.events import Fact as Event

    for cert in Certificate.objects.filter(status=S.ISSUED).order_by("issued_at", "id").iterator():
        yield Event(
            at=cert.issued_at,
            event_key=f"coo:{cert.number}",
            value=cert.fob_cny or Decimal(0),
            dimension=cert.importing_country,
            ref=cert.number,
            label=cert.exporter_name,
        )
