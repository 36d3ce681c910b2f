"""What the bonded zone announces for the zone dashboard, inside the posting's transaction: the
``bonded.movements`` fact topic (``zimao.core.events``; the dashboard subscribes).

A trade movement (一线进出境, 二线进出区) is counted once its goods have posted, at its value in US
dollars at the customs rate of the posting's month. A posting whose month has no rate yet is not
counted as 0: it waits (``services.missing_rates`` shows it, the bonded pages warn) and
``zimao bonded revalue`` counts it once the rate is entered.
"""

from __future__ import annotations

from zimao.core import events

MOVEMENTS = "bonded.movements"  # the fact topic (the dashboard's stream of the same name)


def _event(row) -> dict:
    lst = row.inventory_list
    return {
        "event_key": f"bonded-posting:{row.pk}",
        "value": row.value_usd,
        "dimension": lst.movement,
        "ref": lst.number,
        "label": lst.book.enterprise.name,
    }


def _report(row) -> None:
    events.announce_fact(MOVEMENTS, row.at, **_event(row))


def list_posted(lst, rows) -> None:
    for row in rows:
        if row.value_usd is not None:
            _report(row)


def posting_valued(row) -> None:
    _report(row)


def monitor_events():
    """Every valued trade posting from scratch — the topic's history (``events.register_history``)."""
    from zimao.bonded.models import Posting
    from zimao.bonded.services import TRADE_MOVEMENTS
    from zimao.core.events import Fact as Event

    rows = (
        Posting.objects.filter(value_usd__isnull=False, inventory_list__movement__in=list(TRADE_MOVEMENTS))
        .select_related("inventory_list__book__enterprise")
        .order_by("at", "id")
    )
    for row in rows.iterator():
        yield Event(at=row.at, **_event(row))
