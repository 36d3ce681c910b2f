"""Approved exporters and their declarations of origin — 经核准出口商与原产地声明 (RCEP Arts. 3.18,
3.21): customs authorises, suspends or withdraws; an approved exporter completes signed
declarations of origin."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from zimao.core import audit, idempotency, sequences, signing
from zimao.core.errors import BusinessError, Conflict, Problem, forbidden, not_found
from zimao.trade.access import competent_officer, exporter_usccs, is_trade_official
from zimao.trade.certificates import document as docs
from zimao.trade.certificates.document import EXPORTING_PARTY
from zimao.trade.models import ApprovedExporter, OriginDeclaration
from zimao.trade.validation import MAX_GOODS, Problems, currency_code, goods_original, json_safe, party_block


def authorise_exporter(
    user, *, uscc: str, name_en: str, address_en: str, hs_chapters: list[str], expires_on=None
) -> ApprovedExporter:
    """Grant approved-exporter status — 认定经核准出口商 (Art. 3.21.3): an authorisation code,
    the goods covered (HS chapters), dates; by the competent authority (customs) only."""
    from zimao.registry.services import entity_by_uscc

    if competent_officer(user) is None:
        raise forbidden("approved_exporter")
    p = Problems()
    entity = entity_by_uscc(uscc or "")
    if entity is None:
        p.add("uscc", "unknown_entity", "该企业未在本区登记", "no company with this USCC is registered here")
    name_en = p.text(name_en, "name_en", english=True)
    address_en = p.text(address_en, "address_en", limit=300, english=True)
    chapters = sorted({str(c).strip().zfill(2) for c in (hs_chapters or []) if str(c).strip()})
    if not chapters or any(not (c.isdigit() and len(c) == 2 and 1 <= int(c) <= 97) for c in chapters):
        p.add(
            "hs_chapters",
            "invalid",
            "请列明授权货物的 HS 章（两位数字）",
            "list the HS chapters (2 digits) the authorisation covers",
        )
    expires = p.date(expires_on, "expires_on", required=False)
    p.raise_if_any()
    today = timezone.localdate()
    with transaction.atomic():
        if ApprovedExporter.objects.filter(uscc=entity.uscc).exists():
            raise Conflict(
                Problem(
                    "uscc", "already_approved", "该企业已是经核准出口商", "This company is already an approved exporter"
                )
            )
        code = f"{EXPORTING_PARTY}{settings.ZONE_CODE}AE{sequences.next_value('trade.approved_exporter'):05d}"
        exporter = ApprovedExporter.objects.create(
            code=code,
            uscc=entity.uscc,
            name=entity.name,
            name_en=name_en,
            address_en=address_en,
            hs_chapters=chapters,
            granted_on=today,
            expires_on=expires,
            granted_by=user,
        )
        audit.record(
            user,
            "approved_exporter.grant",
            exporter,
            after={"code": code, "uscc": entity.uscc, "hs_chapters": chapters, "expires_on": expires},
        )
    return exporter


def set_exporter_status(user, code: str, status: str, reason: str) -> ApprovedExporter:
    """Suspend, withdraw or reinstate an authorisation — 暂停、撤销或恢复 (Art. 3.21.7)."""
    if competent_officer(user) is None:
        raise forbidden("approved_exporter")
    if status not in ApprovedExporter.Status.values:
        raise BusinessError.of("status", "invalid", "状态不正确", "unknown status", status=422)
    reason = (reason or "").strip()
    if not reason:
        raise BusinessError.of("reason", "required", "请填写原因", "Give the reason", status=422)
    with transaction.atomic():
        exporter = ApprovedExporter.objects.select_for_update().filter(code=code).first()
        if exporter is None:
            raise not_found("approved_exporter")
        if exporter.status == ApprovedExporter.Status.WITHDRAWN:
            raise Conflict(Problem("status", "withdrawn", "授权已撤销，不能更改", "The authorisation was withdrawn"))
        before = {"status": exporter.status}
        exporter.status, exporter.status_reason = status, reason
        exporter.save(update_fields=["status", "status_reason"])
        audit.record(
            user, "approved_exporter.status", exporter, before=before, after={"status": status, "reason": reason}
        )
    return exporter


def approved_exporter_for(user) -> ApprovedExporter | None:
    usccs = exporter_usccs(user)
    return ApprovedExporter.objects.filter(uscc__in=usccs).first() if usccs else None


def complete_declaration(user, data: dict, *, idempotency_key: str = "") -> OriginDeclaration:
    """An approved exporter completes a declaration of origin — 出具原产地声明 (Art. 3.18.1(a),
    Annex 3B part 2): authorisation code, unique reference, goods with determinations, signed."""
    idempotency_key = (idempotency_key or "").strip()[:64]
    fingerprint = idempotency.fingerprint(data if isinstance(data, dict) else {}) if idempotency_key else ""
    if idempotency_key:
        existing = OriginDeclaration.objects.filter(completed_by=user, idempotency_key=idempotency_key).first()
        if existing:
            idempotency.same_request(existing.idempotency_fingerprint, fingerprint)
            return existing
    today = timezone.localdate()
    p = Problems()
    data = data if isinstance(data, dict) else {}
    exporter = ApprovedExporter.objects.filter(code=str(data.get("authorisation_code") or "").strip().upper()).first()
    if exporter is None or exporter.uscc not in exporter_usccs(user):
        raise forbidden("authorisation_code")
    if exporter.status != ApprovedExporter.Status.ACTIVE or (exporter.expires_on and exporter.expires_on < today):
        raise Conflict(
            Problem(
                "authorisation_code",
                "not_active",
                "经核准出口商授权已暂停、撤销或过期",
                "The approved exporter authorisation is suspended, withdrawn or expired",
            )
        )
    importer = party_block(p, data.get("importer"), "importer", country=True)
    producer = data.get("producer")
    producer = (
        None
        if producer in (None, {}, "")
        else {
            "name": p.text((producer or {}).get("name"), "producer.name", english=True),
            "address": p.text((producer or {}).get("address"), "producer.address", limit=300, english=True),
        }
    )
    currency = currency_code(p, data.get("currency"))
    signatory = p.text(data.get("signatory"), "signatory", limit=100, english=True)
    goods = data.get("goods")
    if not isinstance(goods, list) or not goods or len(goods) > MAX_GOODS:
        p.add("goods", "required", f"列明 1 至 {MAX_GOODS} 项货物", f"list 1 to {MAX_GOODS} goods")
        goods = []
    items = goods_original(p, user, goods, today)
    for i, g in enumerate(items):
        # Art. 3.21.4(b): only goods the authorisation covers.
        if g["hs"][:2] not in exporter.hs_chapters:
            p.add(
                f"goods[{i}]",
                "not_authorised",
                f"授权不涵盖第 {g['hs'][:2]} 章货物（第3.21条第4款(b)项）",
                f"the authorisation does not cover HS chapter {g['hs'][:2]} (Art. 3.21.4(b))",
            )
    p.raise_if_any()
    fob_total = sum((g["fob_value"] for g in items), Decimal(0))
    with transaction.atomic():
        base = f"{exporter.code}D{today:%y}{sequences.next_value(f'trade.doo.{exporter.code}'):06d}"
        reference = base + docs.mod37_36_check(base)
        content = json_safe(
            {
                "form": "RCEP declaration of origin",
                "reference": reference,
                "authorisation_code": exporter.code,
                "exporter": {"name": exporter.name_en, "address": exporter.address_en, "country": EXPORTING_PARTY},
                "producer": producer,
                "importer": importer,
                "goods": [
                    {
                        "item": i,
                        "description": g["description"],
                        "hs": g["hs"],
                        "hs_version": g["hs_version"],
                        "criterion": g["criterion"],
                        "rcep_country": g["rcep_country"],
                        "quantity": g["quantity"],
                        "unit": g["unit"],
                        "fob": g["fob_value"] if "RVC" in g["criterion"] else None,
                    }
                    for i, g in enumerate(items, start=1)
                ],
                "certification": (
                    "The undersigned, as approved exporter under authorisation code "
                    f"{exporter.code}, declares that the goods specified in this Declaration of Origin "
                    "are originating and meet all the relevant requirements of Chapter 3 (Rules of Origin) "
                    "of the Regional Comprehensive Economic Partnership Agreement."
                ),
                "signatory": signatory,
                "completed_on": today.isoformat(),
                "determinations": [
                    {"item": i, "criterion": g["criterion"], "rule": g["determination"].get("rule")}
                    for i, g in enumerate(items, start=1)
                ],
            }
        )
        dec = OriginDeclaration(
            reference=reference,
            exporter=exporter,
            completed_by=user,
            importing_country=importer["country"],
            currency=currency,
            fob_total=fob_total,
            completed_on=today,
            valid_until=docs.one_year_validity(today),
            completed_at=timezone.now().replace(microsecond=0),
            content=content,
            idempotency_key=idempotency_key,
            idempotency_fingerprint=fingerprint,
        )
        dec.jws, dec.kid = signing.sign_content(docs.declaration_payload(dec))
        dec.save()
        audit.record(
            user,
            "doo.complete",
            dec,
            after={
                "reference": reference,
                "authorisation_code": exporter.code,
                "importing_country": dec.importing_country,
            },
        )
    return dec


def declarations_for(user):
    if is_trade_official(user):
        return OriginDeclaration.objects.select_related("exporter")
    return OriginDeclaration.objects.select_related("exporter").filter(exporter__uscc__in=exporter_usccs(user))
