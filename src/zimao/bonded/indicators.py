"""What the bonded zone tells the zone dashboard (monitor), inside the posting's transaction.

A trade movement (一线进出境, 二线进出区) is counted once its goods have posted, at its value in US
dollars at the customs rate of the posting's month. A posting whose month has no rate yet is not
counted as 0: it waits (``services.missing_rates`` shows it, the bonded pages warn) and
``zimao bonded revalue`` counts it once the rate is entered.
"""

from __future__ import annotations

MOVEMENTS = "bonded.movements"  # = zimao.monitor.catalogue.BONDED_MOVEMENTS


def _event(row) -> dict:
    lst = row.inventory_list
    return {"event_key": f"bonded-posting:{row.pk}", "value": row.value_usd, "dimension": lst.movement,
            "ref": lst.number, "label": lst.book.enterprise.name}


def _report(row) -> None:
    try:
        from zimao.monitor import services as monitor
    except ImportError:  # a node without the dashboard
        return
    monitor.report(MOVEMENTS, row.at, **_event(row))


def list_posted(lst, rows) -> None:
    for row in rows:
        if row.value_usd is not None:
            _report(row)


def posting_valued(row) -> None:
    _report(row)


def monitor_events():
    """Every valued trade posting from scratch — for the dashboard's rebuilds."""
    from zimao.bonded.models import Posting
    from zimao.bonded.services import TRADE_MOVEMENTS
    from zimao.monitor.sources import Event

    rows = (Posting.objects.filter(value_usd__isnull=False, inventory_list__movement__in=list(TRADE_MOVEMENTS))
            .select_related("inventory_list__book__enterprise").order_by("at", "id"))
    for row in rows.iterator():
        yield Event(at=row.at, **_event(row))
