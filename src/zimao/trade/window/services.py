"""The single window's services — 单一窗口服务: declare once, deliver to every agency, collect.

``declare`` stores the declaration and one outbox row per agency in one transaction, and queues
a task per row. ``process`` does one step of one row — send it, or ask for the answer — in three
parts, so no database lock is held while an agency is called:

1. claim (short transaction): lock the row, check it is due, count the attempt and push
   ``next_attempt_at`` out by a lease, so no other worker takes it meanwhile;
2. call the adapter, outside any transaction;
3. record (short transaction): the acknowledgement, the answer, or the failure with its backoff.

A worker that dies between 1 and 3 leaves a row whose lease expires: it is simply due again.
The agency sees the same ``message_id`` on every try, so a message delivered twice counts once.
``retry_due`` (``zimao trade retry``, or the ``retry_due_task``) re-sends every due row.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import asdict
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from zimao.core import audit, idempotency, sequences
from zimao.core.errors import BusinessError, not_found
from zimao.trade.models import AgencySubmission, Certificate, TradeDeclaration
from zimao.trade.window import sandbox  # noqa: F401 — registers the sandbox adapter
from zimao.trade.window.agencies import AGENCIES
from zimao.trade.window.registry import AgencyUnavailable, Answer, Dispatch, Pending, Receipt, registry

log = logging.getLogger(__name__)
Sub = AgencySubmission.Status

# How long a claimed row is left alone before another worker may take it (a worker died mid-call).
LEASE = dt.timedelta(minutes=2)
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=1)
POLL_MIN = dt.timedelta(seconds=5)
HISTORY_KEEP = 50


def backoff(failures: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, … capped at 1 h: an agency that is down is not hammered, and one that
    comes back is reached within the hour at worst."""
    if failures <= 0:
        return dt.timedelta(0)
    return min(BACKOFF_BASE * (2 ** (failures - 1)), BACKOFF_CAP)


# ---------------------------------------------------------------------------------------------
# Declaring — 申报


def _clean(user, data) -> tuple[dict, list[str]]:
    from zimao.trade.access import exporters_of
    from zimao.trade.validation import Problems, as_object, currency_code

    p = Problems()
    data = data if isinstance(data, dict) else {}
    uscc = str(data.get("trader_uscc") or "").strip().upper()
    trader = next((e for e in exporters_of(user) if e.uscc == uscc), None)
    if trader is None:
        p.add(
            "trader_uscc",
            "not_your_company",
            "您不是该企业的经办人，或该企业未在本区登记",
            "you do not act for this company, or it is not registered in this zone",
        )
    direction = data.get("direction") or "export"
    if direction not in ("export", "import"):
        p.add("direction", "invalid", "应为 export 或 import", "must be export or import")
    country = p.country(data.get("destination_country"), "destination_country", party=False)
    consignee = as_object(p, data.get("consignee"), "consignee")
    transport = as_object(p, data.get("transport"), "transport")
    mode = transport.get("mode") or "sea"
    if mode not in ("sea", "air", "rail", "road"):
        p.add("transport.mode", "invalid", "运输方式应为 sea、air、rail 或 road", "must be sea, air, rail or road")
    cleaned = {
        "trader": {"uscc": uscc, "name": trader.name if trader else ""},
        "direction": direction,
        "destination_country": country,
        "consignee": {
            "name": p.text(consignee.get("name"), "consignee.name"),
            "address": p.text(consignee.get("address"), "consignee.address", limit=300),
        },
        "transport": {
            "mode": mode,
            "departure_date": p.date(transport.get("departure_date"), "transport.departure_date"),
            "vessel": p.text(transport.get("vessel"), "transport.vessel", limit=100),
            "port_of_loading": p.text(transport.get("port_of_loading"), "transport.port_of_loading", limit=100),
            "port_of_discharge": p.text(transport.get("port_of_discharge"), "transport.port_of_discharge", limit=100),
        },
        "currency": currency_code(p, data.get("currency")),
        "goods": [],
    }
    invoice = as_object(p, data.get("invoice"), "invoice")
    cleaned["invoice"] = {
        "number": p.text(invoice.get("number"), "invoice.number", limit=60),
        "date": p.date(invoice.get("date"), "invoice.date"),
    }
    goods = data.get("goods")
    if not isinstance(goods, list) or not 1 <= len(goods) <= 50:
        p.add("goods", "required", "列明 1 至 50 项货物", "list 1 to 50 goods")
        goods = []
    for i, g in enumerate(goods):
        g = as_object(p, g, f"goods[{i}]")
        hs = re.sub(r"[\s.]", "", str(g.get("hs") or ""))
        if not re.fullmatch(r"\d{6}(\d{2}(\d{2})?)?", hs):
            p.add(
                f"goods[{i}].hs", "invalid_hs", "应为6、8或10位商品编码", "must be a 6-, 8- or 10-digit commodity code"
            )
        cleaned["goods"].append(
            {
                "hs": hs,
                "description": p.text(g.get("description"), f"goods[{i}].description", limit=300),
                "quantity": p.decimal(g.get("quantity"), f"goods[{i}].quantity", places=3),
                "unit": p.text(g.get("unit"), f"goods[{i}].unit", limit=20),
                "value": p.decimal(g.get("value"), f"goods[{i}].value"),
                "gross_weight_kg": p.decimal(
                    g.get("gross_weight_kg"), f"goods[{i}].gross_weight_kg", required=False, places=3
                ),
            }
        )
    number = str(data.get("certificate_number") or "").strip().upper()
    if number:
        cert = Certificate.objects.filter(number=number, status=Certificate.Status.ISSUED).first()
        if cert is None or (trader is not None and cert.exporter_uscc != trader.uscc):
            p.add(
                "certificate_number",
                "unknown_certificate",
                "找不到本企业已签发的这份原产地证书",
                "no issued certificate of origin of this company has this number",
            )
    cleaned["certificate_number"] = number
    # 综合保税区申报: goods declared into or out of the comprehensive bonded zone (customs counts it
    # for the zone's dashboard once cleared). Optional; a JSON boolean, nothing else.
    bonded = data.get("bonded_zone")
    if bonded is not None and not isinstance(bonded, bool):
        p.add(
            "bonded_zone",
            "invalid",
            "“综合保税区申报”应为 true 或 false",
            "the bonded-zone declaration flag must be true or false",
        )
    cleaned["bonded_zone"] = bonded is True
    agencies = data.get("agencies")
    if agencies is None:
        agencies = list(AGENCIES)
    if not isinstance(agencies, list) or any(a not in AGENCIES for a in agencies):
        p.add(
            "agencies",
            "invalid",
            f"部门应为 {'、'.join(AGENCIES)} 之一",
            f"agencies must be among {', '.join(AGENCIES)}",
        )
        agencies = []
    agencies = [a for a in AGENCIES if a in agencies or AGENCIES[a].required]
    p.raise_if_any()
    return audit.jsonable(cleaned), agencies


def _number() -> str:
    today = timezone.localdate()
    n = sequences.next_value(f"trade.sw.{today:%Y%m%d}")
    # Two-digit year: never to be mistaken for (or contain) a case number, LY + 8-digit date + serial.
    return f"SW{settings.ZONE_CODE}{today:%y%m%d}{n:05d}"


def declare(user, data: dict, *, idempotency_key: str = "") -> TradeDeclaration:
    """Declare once — 一次申报 — to every agency concerned; returns at once, the answers come later."""
    idempotency_key = (idempotency_key or "").strip()[:64]
    fingerprint = idempotency.fingerprint(data) if idempotency_key else ""
    if idempotency_key:
        existing = TradeDeclaration.objects.filter(trader=user, idempotency_key=idempotency_key).first()
        if existing:
            idempotency.same_request(existing.idempotency_fingerprint, fingerprint)
            return existing
    cleaned, agencies = _clean(user, data)
    now = timezone.now()
    try:
        with transaction.atomic():
            decl = TradeDeclaration.objects.create(
                number=_number(),
                trader=user,
                trader_uscc=cleaned["trader"]["uscc"],
                trader_name=cleaned["trader"]["name"],
                direction=cleaned["direction"],
                destination_country=cleaned["destination_country"],
                data=cleaned,
                agencies=agencies,
                idempotency_key=idempotency_key,
                idempotency_fingerprint=fingerprint,
                submitted_at=now,
            )
            subs = [
                AgencySubmission.objects.create(
                    declaration=decl,
                    agency=a,
                    adapter=registry.key_for(a),
                    message_id=f"{decl.number}-{a}",
                    payload=AGENCIES[a].build(cleaned),
                    next_attempt_at=now,
                )
                for a in agencies
            ]
            audit.record(
                user,
                "trade.declare",
                decl,
                after={"number": decl.number, "agencies": agencies, "idempotency_key": idempotency_key},
            )
            # Queued in the same transaction: with the database task backend the task rows commit
            # with the outbox rows; and if a task were lost, ``retry_due`` still finds the row.
            for sub in subs:
                schedule(sub.pk)
    except IntegrityError:
        existing = TradeDeclaration.objects.filter(trader=user, idempotency_key=idempotency_key).first()
        if existing and idempotency_key:
            idempotency.same_request(existing.idempotency_fingerprint, fingerprint)
            return existing
        raise
    decl.refresh_from_db()
    return decl


def schedule(submission_id: int, at: dt.datetime | None = None) -> None:
    """Queue one step of a row; deferred to ``at`` when the task backend can defer."""
    from zimao.trade.window.tasks import process_submission

    task = process_submission
    if at is not None:
        if not getattr(task.get_backend(), "supports_defer", False):
            return  # ``zimao trade retry`` (cron) picks the row up when it is due
        task = task.using(run_after=at)
    task.enqueue(submission_id)


# ---------------------------------------------------------------------------------------------
# Delivering — 发送与收取答复


def _history(sub: AgencySubmission, now: dt.datetime, action: str, outcome: str, detail: str = "") -> None:
    entry = {"at": now.isoformat(), "attempt": sub.attempts, "action": action, "outcome": outcome}
    if detail:
        entry["detail"] = detail[:500]
    sub.history = (list(sub.history or []) + [entry])[-HISTORY_KEEP:]


def process(submission_id: int, now: dt.datetime | None = None) -> AgencySubmission | None:
    """One step for one outbox row — 处理一条报文: send it or ask for the answer, if it is due."""
    now = now or timezone.now()
    with transaction.atomic():
        sub = (
            AgencySubmission.objects.select_for_update(of=("self",))
            .select_related("declaration")
            .filter(pk=submission_id)
            .first()
        )
        if sub is None or sub.status in (Sub.ACCEPTED, Sub.REJECTED) or sub.next_attempt_at > now:
            return sub
        sub.attempts += 1
        sub.next_attempt_at = now + LEASE
        sub.save(update_fields=["attempts", "next_attempt_at", "updated_at"])
        action = "send" if sub.status == Sub.QUEUED else "poll"
        dispatch = Dispatch(
            agency=sub.agency,
            message_id=sub.message_id,
            declaration_number=sub.declaration.number,
            payload=sub.payload,
            attempt=sub.attempts,
            now=now,
            reference=sub.reference,
            sent_at=sub.sent_at,
        )
        adapter_key = sub.adapter
    error, outcome = "", None
    try:
        adapter = registry.get(adapter_key)
        outcome = adapter.send(dispatch) if action == "send" else adapter.poll(dispatch)
    except AgencyUnavailable as exc:
        error = str(exc) or "agency unavailable"
    except Exception as exc:
        log.exception("agency adapter %s failed on %s", adapter_key, dispatch.message_id)
        error = f"adapter error: {exc!r}"
    with transaction.atomic():
        sub = (
            AgencySubmission.objects.select_for_update(of=("self",)).select_related("declaration").get(pk=submission_id)
        )
        if sub.status in (Sub.ACCEPTED, Sub.REJECTED):
            return sub  # another worker recorded the answer meanwhile
        if error:
            sub.failures += 1
            sub.last_error = error[:1000]
            sub.next_attempt_at = now + backoff(sub.failures)
            _history(sub, now, action, "unavailable", error)
            sub.save()
        else:
            sub.failures = 0
            sub.last_error = ""
            if isinstance(outcome, Receipt):
                sub.status = Sub.SENT
                sub.reference = outcome.reference
                sub.sent_at = now
                _history(sub, now, action, "acknowledged", outcome.reference)
                audit.record(
                    "system:single-window",
                    "trade.submission.sent",
                    sub,
                    after={"agency": sub.agency, "reference": outcome.reference, "attempts": sub.attempts},
                )
                if outcome.answer is not None:
                    _answered(sub, outcome.answer, now)
                else:
                    sub.next_attempt_at = max(outcome.answer_after or now, now + POLL_MIN)
            elif isinstance(outcome, Answer):
                _answered(sub, outcome, now)
            else:
                retry = outcome.retry_after if isinstance(outcome, Pending) else None
                sub.next_attempt_at = max(retry or now, now + POLL_MIN)
                _history(sub, now, action, "pending")
            sub.save()
    if sub.status in (Sub.QUEUED, Sub.SENT):
        schedule(sub.pk, at=sub.next_attempt_at)
    return sub


def _answered(sub: AgencySubmission, answer: Answer, now: dt.datetime) -> None:
    sub.status = Sub.ACCEPTED if answer.accepted else Sub.REJECTED
    sub.answer = audit.jsonable(asdict(answer))
    sub.answered_at = now
    sub.reference = answer.reference or sub.reference
    _history(sub, now, "answer", sub.status, answer.message_en)
    audit.record(
        "system:single-window",
        f"trade.submission.{sub.status}",
        sub,
        after={
            "agency": sub.agency,
            "reference": sub.reference,
            "message_en": answer.message_en,
            "message_zh": answer.message_zh,
        },
    )
    if sub.status == Sub.ACCEPTED and sub.agency == CUSTOMS and is_bonded(sub.declaration):
        # Customs accepted = the declaration cleared: the dashboard counts it in this transaction.
        from zimao.trade.certificates.services import tell_monitor

        tell_monitor(BONDED_DECLARATIONS, now, **bonded_event(sub.declaration, now))


def due(now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    now = now or timezone.now()
    return list(
        AgencySubmission.objects.filter(status__in=[Sub.QUEUED, Sub.SENT], next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def retry_due(now: dt.datetime | None = None, limit: int = 500) -> dict:
    """Re-send or poll every due row — 重发到期报文 (``zimao trade retry``). Returns counts."""
    now = now or timezone.now()
    counts = {"due": 0, "accepted": 0, "rejected": 0, "sent": 0, "waiting": 0}
    for pk in due(now, limit):
        counts["due"] += 1
        sub = process(pk, now)
        if sub is None:
            continue
        if sub.status in (Sub.ACCEPTED, Sub.REJECTED):
            counts[sub.status] += 1
        elif sub.status == Sub.SENT and sub.failures == 0:
            counts["sent"] += 1
        else:
            counts["waiting"] += 1
    return counts


# ---------------------------------------------------------------------------------------------
# Reading — 查询与汇总状态

OVERALL = {
    "accepted": ("全部部门已通过", "Accepted by every agency", "ok"),
    "rejected": ("有部门退回", "Rejected by an agency", "bad"),
    "delayed": (
        "办理中：部分部门系统暂时无法连接，系统将自动重试",
        "In progress: an agency cannot be reached now; we keep retrying",
        "warn",
    ),
    "in_progress": ("办理中", "In progress", "info"),
}


def submission_words(sub: AgencySubmission) -> dict:
    """Plain status words for one agency — 部门状态."""
    when = timezone.localtime(sub.next_attempt_at)
    if sub.status == Sub.ACCEPTED:
        zh, en, tag = "已通过", "Accepted", "ok"
    elif sub.status == Sub.REJECTED:
        zh, en, tag = "已退回", "Rejected", "bad"
    elif sub.failures:
        zh, en, tag = (
            f"暂时无法连接，{when:%H:%M} 自动重试（第 {sub.attempts} 次尝试）",
            f"Cannot be reached now; retrying at {when:%H:%M} (attempt {sub.attempts})",
            "warn",
        )
    elif sub.status == Sub.SENT:
        zh, en, tag = "已送达，等待答复", "Delivered, waiting for the answer", "info"
    else:
        zh, en, tag = "等待发送", "Waiting to be sent", "muted"
    agency = AGENCIES.get(sub.agency)
    answer = sub.answer or {}
    return {
        "agency": sub.agency,
        "agency_zh": agency.name_zh if agency else sub.agency,
        "agency_en": agency.name_en if agency else sub.agency,
        "purpose_zh": agency.purpose_zh if agency else "",
        "purpose_en": agency.purpose_en if agency else "",
        "status": sub.status,
        "label_zh": zh,
        "label_en": en,
        "tag": tag,
        "reference": sub.reference,
        "attempts": sub.attempts,
        "next_attempt_at": sub.next_attempt_at if sub.status in (Sub.QUEUED, Sub.SENT) else None,
        "message_zh": answer.get("message_zh", ""),
        "message_en": answer.get("message_en", ""),
        "answered_at": sub.answered_at,
        "last_error": sub.last_error,
    }


def declaration_status(decl: TradeDeclaration) -> dict:
    """One status for the declaration, and each agency's — 汇总状态."""
    subs = list(decl.submissions.all())
    statuses = {s.status for s in subs}
    if Sub.REJECTED in statuses:
        key = "rejected"
    elif subs and statuses == {Sub.ACCEPTED}:
        key = "accepted"
    elif any(s.failures for s in subs if s.status in (Sub.QUEUED, Sub.SENT)):
        key = "delayed"
    else:
        key = "in_progress"
    zh, en, tag = OVERALL[key]
    return {
        "status": key,
        "label_zh": zh,
        "label_en": en,
        "tag": tag,
        "final": key in ("accepted", "rejected") and not any(s.status in (Sub.QUEUED, Sub.SENT) for s in subs),
        "agencies": [
            submission_words(s)
            for s in sorted(subs, key=lambda s: list(AGENCIES).index(s.agency) if s.agency in AGENCIES else 99)
        ],
    }


def declarations_of(user):
    from zimao.trade.access import is_trade_official

    qs = TradeDeclaration.objects.all()
    if not is_trade_official(user):
        qs = qs.filter(trader=user)
    return qs.order_by("-submitted_at", "-id")


def get_declaration(user, number: str) -> TradeDeclaration:
    decl = declarations_of(user).filter(number=(number or "").strip().upper()).first()
    if decl is None:
        raise not_found("declaration")
    return decl


def declaration_released(number: str) -> bool:
    """Whether customs has accepted (released — 放行) the declaration with this number: what the
    bonded zone's gate asks before goods cross the second line (二线)."""
    return AgencySubmission.objects.filter(
        declaration__number=(number or "").strip().upper(), agency=CUSTOMS, status=Sub.ACCEPTED
    ).exists()


def total_value(decl: TradeDeclaration) -> Decimal:
    return sum((Decimal(g["value"]) for g in decl.data.get("goods", []) if g.get("value")), Decimal(0))


# ---------------------------------------------------------------------------------------------
# The dashboard — 综保区报关票数与进出口额 (zimao.monitor stream ``bonded.declarations``)

CUSTOMS = "customs"
BONDED_DECLARATIONS = "bonded.declarations"  # = zimao.monitor.catalogue.BONDED_DECLARATIONS
CENT = Decimal("0.01")


def is_bonded(decl: TradeDeclaration) -> bool:
    """A 综合保税区 declaration (``bonded_zone`` in the declared data)."""
    return (decl.data or {}).get("bonded_zone") is True


def usd_value(decl: TradeDeclaration, on: dt.date) -> Decimal | None:
    """The goods' total value in US dollars at the customs monthly rates of ``on``'s month
    (value × CNY per unit of the currency ÷ CNY per USD); None when a rate is not entered."""
    from zimao.trade.certificates.rates import rate_for

    total = total_value(decl)
    currency = (decl.data or {}).get("currency") or "USD"
    if currency == "USD":
        return total.quantize(CENT)
    rate, usd = rate_for(currency, on), rate_for("USD", on)
    if rate is None or usd is None or not usd:
        return None
    return (total * rate / usd).quantize(CENT)


def bonded_event(decl: TradeDeclaration, cleared_at: dt.datetime) -> dict:
    """The event of a cleared bonded declaration: counted by direction, its value in USD summed.

    A missing rate does not hold the count back: the declaration is counted with value 0 and a
    warning is logged; ``monitor.services.rebuild("bonded.declarations")`` after the rate is
    entered corrects the sum."""
    on = timezone.localtime(cleared_at).date()
    value = usd_value(decl, on)
    if value is None:
        log.warning(
            "bonded declaration %s: no customs rate of %s or USD for %s; counted with value 0 — rebuild "
            "bonded.declarations after entering the rate",
            decl.number,
            decl.data.get("currency"),
            f"{on:%Y-%m}",
        )
        value = Decimal(0)
    return {
        "event_key": f"bonded:{decl.number}",
        "value": value,
        "dimension": decl.direction,
        "ref": decl.number,
        "label": decl.trader_name,
    }


def monitor_events():
    """Every cleared bonded declaration from scratch — for ``zimao.monitor`` rebuilds: the customs
    submissions accepted, at the moment of the answer, under the live events' keys."""
    from zimao.core.events import Fact as Event

    subs = (
        AgencySubmission.objects.filter(agency=CUSTOMS, status=Sub.ACCEPTED, answered_at__isnull=False)
        .select_related("declaration")
        .order_by("answered_at", "id")
    )
    for sub in subs.iterator():
        if is_bonded(sub.declaration):
            yield Event(at=sub.answered_at, **bonded_event(sub.declaration, sub.answered_at))


__all__ = [
    "BusinessError",
    "declare",
    "process",
    "retry_due",
    "declaration_status",
    "declarations_of",
    "get_declaration",
    "backoff",
    "due",
    "schedule",
]
