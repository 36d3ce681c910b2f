"""What the dashboard hears — 监测订阅: the events other apps announce (``zimao.core.events``),
counted into the rollups. Registered in ``MonitorConfig.ready``; nobody imports monitor to tell
it anything.

* fact topics named like the streams (``market.new_entities``, ``registry.establishments``,
  ``permits.issued``, ``trade.rcep_certificates``, ``bonded.declarations``): the payload is an
  ``events.Fact`` counted as it is;
* the engine's ``case.finished`` → ``cases.completed`` (withdrawn cases aside) and, for a case
  handled for another zone, ``cases.cross_zone``; ``case.rated`` → ``cases.ratings``, and
  ``case.rating_removed`` (申诉复核) rebuilds ``cases.ratings`` from the ratings that count.

Every count is keyed (``event_key``): an event handed over twice is counted once.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.dateparse import parse_datetime

from zimao.core import events
from zimao.monitor import catalogue, rollups, sources

# The streams the engine's own events feed; every other stream is a fact topic of its own name.
ENGINE_STREAMS = {catalogue.CASES_COMPLETED, catalogue.CASES_CROSS_ZONE, catalogue.RATINGS}


def count_fact(event: events.Announcement) -> None:
    stream = event.topic
    fact = events.Fact.from_payload(event.payload)
    duration = catalogue.STREAMS[stream] == "duration"
    if duration and fact.seconds is None:
        raise ValueError(f"{stream!r} counts durations: the fact needs `seconds`")
    rollups.apply_event(
        stream,
        at=fact.at,
        event_key=fact.event_key,
        value=Decimal(fact.seconds if duration else fact.value),
        dimension=fact.dimension,
        ref=fact.ref,
        label=fact.label,
        duration=duration,
    )


def count_finished_case(event: events.Announcement) -> None:
    p = event.payload
    if p["status"] == "withdrawn":
        return
    at = parse_datetime(p["at"])
    rollups.apply_event(
        catalogue.CASES_COMPLETED,
        at=at,
        event_key=f"case:{p['number']}",
        value=Decimal(1),
        dimension=p["service"],
        ref=p["number"],
        label=p.get("service_name", ""),
    )
    if p.get("origin_zone"):
        rollups.apply_event(
            catalogue.CASES_CROSS_ZONE,
            at=at,
            event_key=f"cross:{p['number']}",
            value=Decimal(1),
            dimension=p["origin_zone"],
            ref=p["number"],
            label=p.get("service_name", ""),
        )


def count_rating(event: events.Announcement) -> None:
    p = event.payload
    rollups.apply_event(
        catalogue.RATINGS,
        at=parse_datetime(p["at"]),
        event_key=f"rating:{p['number']}",
        value=Decimal(1),
        dimension=str(p["level"]),
        ref=p["number"],
        label=p.get("service_name", ""),
    )


def recount_ratings(event: events.Announcement) -> None:
    """A rating removed on review (申诉复核) no longer counts: the rating figures are rebuilt
    from the ratings that do (``rating_facts``)."""
    from zimao.monitor.services import rebuild

    rebuild(catalogue.RATINGS)


def rating_facts():
    """Every rating that counts, under the keys ``count_rating`` uses — the ratings stream's
    rebuild source (monitor reads the engine; the engine never reads monitor)."""
    from zimao.cases.ratings import counted_ratings

    for r in counted_ratings().iterator():
        yield events.Fact(
            at=r.created_at,
            event_key=f"rating:{r.case.number}",
            dimension=str(r.level),
            ref=r.case.number,
            label=r.case.service.name_zh,
        )


def register() -> None:
    for stream in catalogue.STREAMS:
        if stream not in ENGINE_STREAMS:
            events.subscribe(stream, name="monitor.count_fact")(count_fact)
    events.subscribe("case.finished", name="monitor.count_finished_case")(count_finished_case)
    events.subscribe("case.rated", name="monitor.count_rating")(count_rating)
    events.subscribe("case.rating_removed", name="monitor.recount_ratings")(recount_ratings)
    sources.register(catalogue.RATINGS)(rating_facts)
