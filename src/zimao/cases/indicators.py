"""What the case engine reports to the zone dashboard (monitor), inside the transaction of the
change — the monitor's task row is an outbox that commits or rolls back with it. Cases never
read indicators."""

from __future__ import annotations

from django.utils import timezone


def _monitor():
    try:
        from zimao.monitor import services
    except ImportError:  # a node without the dashboard
        return None
    return services


def case_finished(case) -> None:
    monitor = _monitor()
    if monitor is None or case.status == "withdrawn":
        return
    now = timezone.now()
    monitor.record_event("cases.completed", now, event_key=f"case:{case.number}", dimension=case.service.code,
                         ref=case.number, label=case.service.name_zh)
    if case.origin_zone:
        monitor.record_event("cases.cross_zone", now, event_key=f"cross:{case.number}", dimension=case.origin_zone,
                             ref=case.number, label=case.service.name_zh)


def rated(case, level: int) -> None:
    monitor = _monitor()
    if monitor is not None:
        monitor.record_event("cases.ratings", timezone.now(), event_key=f"rating:{case.number}", dimension=str(level),
                             ref=case.number, label=case.service.name_zh)


def rating_removed(case) -> None:
    """A rating removed on review (申诉复核) no longer counts: rebuild the rating figures from the
    ratings that do (``ratings.counted_ratings``, registered as the stream's source)."""
    monitor = _monitor()
    if monitor is not None:
        monitor.schedule_rebuild("cases.ratings")


def rating_events():
    """Every rating that counts, for ``monitor.services.rebuild`` (same event keys as ``rated``)."""
    from zimao.cases.ratings import counted_ratings
    from zimao.monitor import sources

    for r in counted_ratings().iterator():
        yield sources.Event(at=r.created_at, event_key=f"rating:{r.case.number}", dimension=str(r.level),
                            ref=r.case.number, label=r.case.service.name_zh)


def register_sources() -> None:
    try:
        from zimao.monitor import sources
    except ImportError:
        return
    try:
        sources.register("cases.ratings")(rating_events)
    except LookupError:  # a monitor that does not know the stream
        pass
