"""What the bonded zone announces for the zone dashboard, inside the posting's transaction: the
``bonded.movements`` fact topic (``zimao.core.events``; the dashboard subscribes).

A trade movement (一线进出境, 二线进出区) is counted once its goods have posted, at its value in US
dollars at the customs rate of the posting's month. A posting whose month has no rate yet is not
counted as 0: it waits (``services.missing_rates`` shows it, the bonded pages warn) and
``zimao bonded revalue`` counts it once the rate is entered.
"""

from __future__ import annotations

from django.utils import timezone

from zimao.core import events

MOVEMENTS = "bonded.movements"  # the fact topic (the dashboard's stream of the same name)
BOOKS_ACTIVE = "bonded.books_active"  # a book with goods moving in a month (warehouse use)


def _list_fact(lst, rows) -> dict | None:
    """One fact per trade list, at the sum of its postings' USD values — none while a value waits
    for its month's rate."""
    values = [row.value_usd for row in rows]
    if not values or any(v is None for v in values):
        return None
    return {
        "event_key": f"bonded-list:{lst.number}",
        "value": sum(values),
        "dimension": lst.movement,
        "ref": lst.number,
        "label": lst.book.enterprise.name,
    }


def _book_fact(book, at) -> dict:
    month = f"{timezone.localtime(at):%Y-%m}"
    return {
        "event_key": f"bonded-book:{book.number}:{month}",
        "dimension": book.kind,
        "ref": book.number,
        "label": book.enterprise.name,
    }


def list_posted(lst, rows) -> None:
    """Inside the posting's transaction: the book was in use this month; a trade list counts."""
    if not rows:
        return
    books = {row.item.book_id: row.item.book for row in rows}  # a transfer moves goods on two books
    for book in books.values():
        events.announce_fact(BOOKS_ACTIVE, rows[0].at, **_book_fact(book, rows[0].at))
    from zimao.bonded.services import TRADE_MOVEMENTS

    fact = _list_fact(lst, rows) if lst.movement in TRADE_MOVEMENTS else None
    if fact:
        events.announce_fact(MOVEMENTS, rows[0].at, **fact)


def posting_valued(row) -> None:
    """A posting valued late (its month's rate entered): its list counts once all its lines are valued."""
    lst = row.inventory_list
    rows = list(lst.postings.all())
    fact = _list_fact(lst, rows)
    if fact:
        events.announce_fact(MOVEMENTS, rows[0].at, **fact)


def monitor_events():
    """Every fully valued trade list from scratch — the topic's history (``events.register_history``)."""
    from zimao.bonded.models import InventoryList
    from zimao.bonded.services import TRADE_MOVEMENTS
    from zimao.core.events import Fact

    lists = (
        InventoryList.objects.filter(posting=InventoryList.Posting.POSTED, movement__in=list(TRADE_MOVEMENTS))
        .select_related("book__enterprise")
        .prefetch_related("postings")
        .order_by("posted_at", "id")
    )
    for lst in lists.iterator(chunk_size=500):
        rows = list(lst.postings.all())
        fact = _list_fact(lst, rows)
        if fact:
            yield Fact(at=rows[0].at, **fact)


def book_events():
    """Every (book, month) with a posting, from scratch — the warehouse-use topic's history."""
    from zimao.bonded.models import Posting
    from zimao.core.events import Fact

    seen = set()
    for row in Posting.objects.select_related("item__book__enterprise").order_by("at", "id").iterator():
        fact = _book_fact(row.item.book, row.at)
        if fact["event_key"] not in seen:
            seen.add(fact["event_key"])
            yield Fact(at=row.at, **fact)
