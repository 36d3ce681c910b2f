"""Source registry — 数据源登记: how an owning app lets monitor recompute or drill into a stream.

The app that owns the facts (registry, permits, trade…) never imports monitor: it registers,
once, in its ``AppConfig.ready``, the history of the fact topic it announces::

    from zimao.core import events

    def all_entities():
        for e in Entity.objects.iterator():
            yield events.Fact(at=e.registered_at, event_key=f"entity:{e.pk}",
                              dimension=e.kind, ref=e.uscc, label=e.name)

    events.register_history("market.new_entities", all_entities)

``register`` below is for monitor's own sources and for tests; ``register_drilldown`` (optional;
monitor's own event ledger is the default) lets monitor list a stream's rows its own way.

``services.rebuild(code)`` replays the source; the same ``event_key`` scheme as live events keeps
a replay and late live events from counting twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from zimao.core import events
from zimao.monitor import catalogue

# One fact of a stream; ``seconds`` makes it a duration. The owning apps yield the same type
# from the histories they register with ``zimao.core.events.register_history``.
Event = events.Fact

_sources: dict[str, Callable[[], Iterable[Event]]] = {}
_drilldowns: dict[str, Callable] = {}


def _check(code: str) -> str:
    stream = catalogue.stream_of(code)
    if stream is None:
        raise LookupError(f"{code!r} is not a computed indicator stream: see zimao.monitor.catalogue.STREAMS")
    return stream


def register(code: str):
    """Decorator: ``fn() -> Iterable[Event]`` yields every event of the stream, from scratch."""
    stream = _check(code)

    def decorate(fn):
        _sources[stream] = fn
        return fn

    return decorate


def register_drilldown(code: str):
    """Decorator: ``fn(period_keys: list[str] | None, dimension: str) -> list[dict]`` rows with
    ``at``, ``ref``, ``label`` and optionally ``url``, for the dashboard's drill-down list."""
    stream = _check(code)

    def decorate(fn):
        _drilldowns[stream] = fn
        return fn

    return decorate


def source_for(code: str):
    """What ``services.rebuild`` replays: a source registered here (tests, monitor's own), else
    the history the owning app registered for the topic (``events.register_history``)."""
    stream = _check(code)
    return _sources.get(stream) or events.history_of(stream)


def drilldown_for(code: str):
    stream = catalogue.stream_of(code)
    return _drilldowns.get(stream) if stream else None


def snapshot() -> tuple[dict, dict]:
    """What is registered now (for tests that register their own: ``restore`` puts it back)."""
    return dict(_sources), dict(_drilldowns)


def restore(saved: tuple[dict, dict]) -> None:
    _sources.clear()
    _sources.update(saved[0])
    _drilldowns.clear()
    _drilldowns.update(saved[1])


def unregister(code: str) -> None:
    """For tests (``snapshot``/``restore`` around them keeps the apps' own registrations)."""
    stream = _check(code)
    _sources.pop(stream, None)
    _drilldowns.pop(stream, None)
