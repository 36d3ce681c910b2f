"""Counting into the rollups — 计数服务: monitor's own way in (demo data, tests, rebuilds).

Other apps never call this: they announce facts (``zimao.core.events``) and monitor's
subscribers (``monitor/subscribers.py``) count them. ``record_event``/``record_duration`` queue
the count as a task in the caller's transaction; pages never scan cases.

Every event has an ``event_key`` unique within its stream (e.g. ``"case:LY2022000123"``):
delivering it twice counts it once, and ``rebuild`` replays under the same keys.

Codes: see ``zimao.monitor.catalogue`` (``NEW_MARKET_ENTITIES``, ``ESTABLISHMENTS``, …).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from zimao.monitor import catalogue, rollups, sources


def _stream(code: str, kind: str) -> str:
    stream = catalogue.stream_of(code)
    if stream is None:
        raise LookupError(f"{code!r} is not a computed indicator stream; known: {sorted(catalogue.STREAMS)}")
    if kind == "duration" and catalogue.STREAMS[stream] != "duration":
        raise ValueError(f"{stream!r} counts events: use record_event, not record_duration")
    if kind == "count" and catalogue.STREAMS[stream] == "duration":
        raise ValueError(f"{stream!r} is a duration stream: use record_duration")
    return stream


def _check(at: datetime, event_key: str) -> None:
    if not isinstance(at, datetime) or timezone.is_naive(at):
        raise ValueError("`at` must be an aware datetime (the instant the event happened)")
    if not event_key or len(event_key) > 200:
        raise ValueError("`event_key` must be a non-empty string of at most 200 characters")


def _decimal(value, name: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"`{name}` must be a number") from None
    if not d.is_finite():
        raise ValueError(f"`{name}` must be finite")
    return d


def record_event(
    indicator_code: str, at: datetime, *, event_key: str, value=1, dimension: str = "", ref: str = "", label: str = ""
):
    """Report one event — 上报事件 — to a counting stream; returns the task result.

    ``value`` is what a *sum* indicator adds (e.g. an RCEP certificate's FOB value in yuan, a
    bonded declaration's value in USD); count indicators ignore it. ``dimension`` breaks the
    figure down (entity type, reform mode, rating level, peer zone…). ``ref`` and ``label``
    (case number, USCC, name) are what the dashboard's drill-down list shows.
    """
    stream = _stream(indicator_code, "count")
    _check(at, event_key)
    value = _decimal(value, "value")
    from zimao.monitor.tasks import apply_event_task

    return apply_event_task.enqueue(
        stream, at.isoformat(), event_key, str(value), dimension or "", ref or "", label or "", False
    )


def record_duration(
    indicator_code: str, at: datetime, seconds, *, event_key: str, dimension: str = "", ref: str = "", label: str = ""
):
    """Report one duration — 上报用时 — e.g. an enterprise establishment that finished at ``at``
    after ``seconds`` from submission. Feeds the count, median, 90th percentile, fastest and
    within-24-hours share of ``catalogue.ESTABLISHMENTS``."""
    stream = _stream(indicator_code, "duration")
    _check(at, event_key)
    seconds = _decimal(seconds, "seconds")
    if seconds < 0:
        raise ValueError("`seconds` must not be negative")
    from zimao.monitor.tasks import apply_event_task

    return apply_event_task.enqueue(
        stream, at.isoformat(), event_key, str(seconds), dimension or "", ref or "", label or "", True
    )


def rebuild(indicator_code: str) -> int:
    """Recompute a stream — 重算 — from the source function its owning app registered
    (``sources.register(code)``): all rows of the stream are replaced in one transaction.
    Returns the number of events counted. Runs synchronously; ``schedule_rebuild`` queues it."""
    stream = _stream_any(indicator_code)
    source = sources.source_for(stream)
    if source is None:
        raise LookupError(f"no source registered for {stream!r}: the owning app calls monitor.sources.register")
    duration = catalogue.STREAMS[stream] == "duration"
    counted = 0
    with transaction.atomic():
        rollups.clear(stream)
        for ev in source():
            _check(ev.at, ev.event_key)
            value = _decimal(ev.seconds if duration else ev.value, "seconds" if duration else "value")
            if rollups.apply_event(
                stream,
                at=ev.at,
                event_key=ev.event_key,
                value=value,
                dimension=ev.dimension or "",
                ref=ev.ref or "",
                label=ev.label or "",
                duration=duration,
            ):
                counted += 1
    return counted


def schedule_rebuild(indicator_code: str):
    """Queue ``rebuild`` as a background task."""
    from zimao.monitor.tasks import rebuild_task

    return rebuild_task.enqueue(_stream_any(indicator_code))


def _stream_any(code: str) -> str:
    stream = catalogue.stream_of(code)
    if stream is None:
        raise LookupError(f"{code!r} is not a computed indicator stream")
    return stream
