"""What permits announce for the zone dashboard — 准营数据上报: the ``permits.issued`` fact topic
(``zimao.core.events``; the dashboard subscribes), one fact per

- permit or filing receipt issued (outputs ``permit`` / ``filing_receipt``): dimension = the
  item's reform mode (filing / commitment / optimised), ``event_key`` ``permit:<identifier>``;
- activity noted under an approval-cancelled item (直接取消审批, no permit): dimension
  ``cancelled``, ``event_key`` ``activity:<uscc>:<item code>`` (one per company and item).

Live facts are announced inside the transaction of the change (an outbox row that commits or
rolls back with it); ``monitor_events`` is the topic's history — the same facts, under the same
keys, from the licence store and the activity notes — for a subscriber that rebuilds.
"""

from __future__ import annotations

import logging

from zimao.core import events
from zimao.permits.models import ReformMode

log = logging.getLogger(__name__)


PERMITS_ISSUED = "permits.issued"  # the fact topic (the dashboard's stream of the same name)


def _report(at, **kw) -> None:
    events.announce_fact(PERMITS_ISSUED, at, **kw)


def permit_key(identifier: str) -> str:
    return f"permit:{identifier}"


def activity_key(uscc: str, item_code: str) -> str:
    return f"activity:{uscc}:{item_code}"


def permit_label(cred) -> str:
    return f"{cred.holder_name} {cred.title_zh}".strip()


def permit_issued(item, cred) -> None:
    """A permit or filing receipt was issued for ``item`` (called again for the same credential on
    a retried run: the event key counts it once)."""
    from zimao.permits import catalogue

    _report(
        cred.issued_at,
        event_key=permit_key(cred.identifier),
        dimension=catalogue.reform_mode(item),
        ref=cred.identifier,
        label=permit_label(cred),
    )


def activity_noted(note, holder_name: str, item) -> None:
    """直接取消审批: a company noted the activity instead of applying."""
    _report(
        note.noted_at,
        event_key=activity_key(note.holder_uscc, note.item_code),
        dimension=ReformMode.CANCELLED.value,
        ref=note.holder_uscc,
        label=f"{holder_name} {item.name_zh}".strip(),
    )


# ---------------------------------------------------------------- rebuild source


def _mode_from_words(subject: dict) -> str:
    """The reform mode printed on the permit at issue (``subject.reform_mode``, "<zh> <en>"):
    what the live event counted even if the catalogue item changed mode since."""
    from zimao.permits import catalogue

    words = str((subject or {}).get("reform_mode") or "")
    for mode, (zh, _en) in catalogue.MODE_WORDS.items():
        if zh and words.startswith(zh):
            return mode.value
    return ""


def _kind_modes() -> dict[str, str]:
    """Credential kind → reform mode of every permit item, published or not (``credential_kind``)."""
    from zimao.permits import catalogue
    from zimao.permits.plugins import credential_kind

    return {credential_kind(item): catalogue.reform_mode(item) for item in catalogue.permit_items(published_only=False)}


def monitor_events():
    """Every ``permits.issued`` fact from scratch — the topic's history (``events.register_history``).

    A permit is a credential that ``permits.plugins.issue_permit`` signed: its kind is a permit
    item's ``credential_kind`` and its subject names the permit item and the reform mode. Revoked
    or expired permits still count: the figure is permits *issued* in the period, as live.
    """
    from django.db.models import Q

    from zimao.catalog.models import ServiceItem
    from zimao.core.events import Fact as Event
    from zimao.licences.models import Credential
    from zimao.permits.models import ActivityNote
    from zimao.registry import services as registry

    kinds = _kind_modes()
    creds = (
        Credential.objects.filter(Q(kind__in=list(kinds)) | Q(subject__has_key="permit_item"))
        .filter(case_number__isnull=False)
        .order_by("issued_at", "id")
    )
    for cred in creds.iterator():
        mode = _mode_from_words(cred.subject) or kinds.get(cred.kind, "")
        if not mode:
            log.warning("permit credential %s: reform mode unknown, not counted", cred.identifier)
            continue
        yield Event(
            at=cred.issued_at,
            event_key=permit_key(cred.identifier),
            dimension=mode,
            ref=cred.identifier,
            label=permit_label(cred),
        )

    names: dict[str, str] = {}
    items = dict(
        ServiceItem.objects.filter(code__in=ActivityNote.objects.values("item_code")).values_list("code", "name_zh")
    )
    for note in ActivityNote.objects.order_by("noted_at", "id").iterator():
        if note.holder_uscc not in names:
            entity = registry.entity_by_uscc(note.holder_uscc)
            names[note.holder_uscc] = entity.name if entity else ""
        yield Event(
            at=note.noted_at,
            event_key=activity_key(note.holder_uscc, note.item_code),
            dimension=ReformMode.CANCELLED.value,
            ref=note.holder_uscc,
            label=f"{names[note.holder_uscc]} {items.get(note.item_code, note.item_code)}".strip(),
        )
