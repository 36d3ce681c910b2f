"""Events, not imports — 事件发件箱: an app announces what happened; whoever cares subscribes.

The app that makes a change announces it **inside the change's own transaction**::

    from zimao.core import events
    events.announce("case.finished", {"number": case.number, "status": case.status, ...}, key=case.number)

That writes one ``OutboxEvent`` row, which commits or rolls back with the change (an outbox: no
event for a change that did not happen, none lost for one that did, even if the process dies
right after the commit), and queues its delivery. After the commit a worker hands the event to
every subscriber of its topic; an event whose delivery failed stays undelivered and is retried
(``drain``, run by ``zimao events drain`` and by ``zimao sweep``) with a growing pause.

Consumers register in their ``AppConfig.ready`` (cf. Signalen's managers, Open Forms'
registries)::

    @events.subscribe("case.finished")
    def count_finished_case(event: events.Announcement) -> None: ...

A topic is ``<area>.<what happened>``; ``"case.*"`` subscribes to every topic under ``case.``.
A subscriber may be handed the same event more than once (a retry after another subscriber
failed, a worker that died after delivering): it must be idempotent, e.g. keyed by ``event.key``.

*Facts* are the topics the zone dashboard counts (``permits.issued``, ``trade.rcep_certificates``…):
their payload is a ``Fact`` — when, a key unique in the topic, a value, a breakdown dimension and
what a drill-down list shows. The owning app may also register a ``history`` for such a topic:
every fact from scratch, for a consumer that rebuilds its figures (``register_history``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from zimao.core.txbuffer import TransactionBuffer

log = logging.getLogger(__name__)

MAX_PAUSE = timedelta(hours=6)


@dataclass(frozen=True)
class Announcement:
    """An event as a subscriber receives it."""

    id: int
    topic: str
    key: str
    payload: dict
    created: datetime


Handler = Callable[[Announcement], None]


@dataclass(frozen=True)
class Subscription:
    pattern: str
    name: str
    handler: Handler

    def matches(self, topic: str) -> bool:
        if self.pattern.endswith(".*"):
            return topic.startswith(self.pattern[:-1])
        return topic == self.pattern


_subscriptions: list[Subscription] = []
_histories: dict[str, Callable[[], Iterable[Fact]]] = {}


def subscribe(pattern: str, name: str | None = None):
    """Decorator: ``handler(announcement)`` is called for every event of the topic (after commit).
    Registering the same handler name again replaces it (``ready`` may run twice in tests)."""
    if not pattern or pattern.count("*") > 1 or ("*" in pattern and not pattern.endswith(".*")):
        raise ValueError(f"subscribe to a topic or to '<area>.*', not {pattern!r}")

    def decorate(handler: Handler) -> Handler:
        sub = Subscription(pattern, name or f"{handler.__module__}.{handler.__qualname__}", handler)
        _subscriptions[:] = [s for s in _subscriptions if not (s.pattern == pattern and s.name == sub.name)]
        _subscriptions.append(sub)
        return handler

    return decorate


def subscribers_of(topic: str) -> list[Subscription]:
    return [s for s in _subscriptions if s.matches(topic)]


def snapshot() -> tuple[list, dict]:
    """What is registered now (tests that subscribe their own put it back with ``restore``)."""
    return list(_subscriptions), dict(_histories)


def restore(saved: tuple[list, dict]) -> None:
    _subscriptions[:] = saved[0]
    _histories.clear()
    _histories.update(saved[1])


# ---------------------------------------------------------------- announcing


def announce(topic: str, payload: dict | None = None, *, key: str = ""):
    """Record that ``topic`` happened, in the caller's transaction; delivered after commit.

    A repeat with the same topic and non-empty ``key`` (a retried run of the same change) is the
    same event: nothing new is written and the first row is returned.

    Inside ``buffered()`` the row is written (and gets its id) when the block ends, together with
    the block's other announcements — one INSERT and one queued delivery for all of them."""
    from zimao.core.models import OutboxEvent

    if not topic or len(topic) > 64:
        raise ValueError("`topic` must be a non-empty string of at most 64 characters")
    key = key or ""
    if len(key) > 200:
        raise ValueError("`key` must be at most 200 characters")
    event = OutboxEvent(topic=topic, key=key, payload=payload or {}, created=timezone.now())
    if _buffer.add(event):
        return event
    with transaction.atomic(savepoint=False):  # the caller's transaction, or one of its own
        _write([event])
    return event


def buffered():
    """Collect the announcements made in this block and write them together when it ends (inside
    the transaction: ``with transaction.atomic(), events.buffered():``), with one queued delivery
    task for all of them. An announcement made in a savepoint that rolled back is dropped with it."""
    return _buffer.block()


def _write(announced: list) -> None:
    """Insert ``announced`` with one statement (per few thousand rows) — a repeat of a (topic, key) already written is
    skipped by the database (the unique constraint), so no look-up first — and queue one delivery
    for the rows that are new. A repeated event gets the id of the row written first."""
    from zimao.core.models import OutboxEvent
    from zimao.core.tasks import deliver_event, deliver_events

    if not announced:
        return
    first: dict[tuple[str, str], OutboxEvent] = {}
    rows = []
    for event in announced:
        if event.key and (event.topic, event.key) in first:
            continue  # repeated in the same block: the same event
        if event.key:
            first[(event.topic, event.key)] = event
        rows.append(event)
    inserted = _insert_new(rows)
    unkeyed = iter(pk for pk, _, key in inserted if not key)
    new_ids = []
    by_key = {(topic, key): pk for pk, topic, key in inserted if key}
    for event in rows:
        event.pk = by_key.get((event.topic, event.key)) if event.key else next(unkeyed, None)
        if event.pk is not None:
            event._state.adding = False
            new_ids.append(event.pk)
    for event in announced:
        if event.key and event.pk is None:  # repeated in this block: the first one's row
            event.pk = first[(event.topic, event.key)].pk
            event._state.adding = event.pk is None
    repeated = [e for e in announced if e.pk is None and e.key]
    if repeated:  # announced by an earlier transaction: its row
        found = {
            (topic, key): pk
            for pk, topic, key in OutboxEvent.objects.filter(
                topic__in={e.topic for e in repeated}, key__in={e.key for e in repeated}
            ).values_list("pk", "topic", "key")
        }
        for event in repeated:
            event.pk = found.get((event.topic, event.key))
            event._state.adding = event.pk is None
    # The queued delivery commits with the rows; were it lost, ``drain`` still finds them.
    if len(new_ids) == 1:
        deliver_event.enqueue(new_ids[0])
    elif new_ids:
        deliver_events.enqueue(sorted(new_ids))


def _insert_new(events: list) -> list[tuple[int, str, str]]:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id, topic, key`` (SQLite: ``INSERT OR IGNORE``):
    (id, topic, key) of the rows that were new, in id order."""
    from zimao.core import fastsql

    return sorted(fastsql.insert_new(events, ["id", "topic", "key"]))


_buffer = TransactionBuffer(_write)


@dataclass
class Fact:
    """One countable thing that happened — the payload of a fact topic. ``seconds`` makes it a
    duration (e.g. how long an establishment took)."""

    at: datetime
    event_key: str
    value: Decimal | int | float = 1
    dimension: str = ""
    ref: str = ""
    label: str = ""
    seconds: Decimal | int | float | None = None
    extra: dict = field(default_factory=dict)

    def payload(self) -> dict:
        if not isinstance(self.at, datetime) or timezone.is_naive(self.at):
            raise ValueError("`at` must be an aware datetime (the instant the fact happened)")
        data = asdict(self)
        data["at"] = self.at.isoformat()
        data["value"] = str(self.value)
        data["seconds"] = None if self.seconds is None else str(self.seconds)
        return data

    @classmethod
    def from_payload(cls, data: dict) -> Fact:
        return cls(
            at=parse_datetime(data["at"]),
            event_key=data["event_key"],
            value=Decimal(str(data.get("value", 1))),
            dimension=data.get("dimension") or "",
            ref=data.get("ref") or "",
            label=data.get("label") or "",
            seconds=None if data.get("seconds") is None else Decimal(str(data["seconds"])),
            extra=data.get("extra") or {},
        )


def announce_fact(topic: str, at: datetime, *, event_key: str, **fields):
    """``announce`` a fact: ``announce_fact("permits.issued", at, event_key=…, dimension=…)``."""
    if not event_key:
        raise ValueError("a fact needs its `event_key`")
    return announce(topic, Fact(at=at, event_key=event_key, **fields).payload(), key=event_key)


def register_history(topic: str, history: Callable[[], Iterable[Fact]]) -> None:
    """The owning app's ``history()`` yields every fact of ``topic`` from scratch, under the keys
    the live announcements use (for a consumer rebuilding its figures)."""
    _histories[topic] = history


def history_of(topic: str) -> Callable[[], Iterable[Fact]] | None:
    return _histories.get(topic)


# ---------------------------------------------------------------- delivering


def _pause(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** min(attempts, 12)), MAX_PAUSE)


def deliver(event_id: int) -> bool | None:
    """Hand one event to each subscriber of its topic; True when it is (or already was)
    delivered, False when a subscriber failed, None when another worker holds it right now.

    Each subscriber runs in its own savepoint: one that fails leaves nothing half-done, is logged
    and the event stays undelivered for a later attempt (then every subscriber is handed it again)."""
    from zimao.core.models import OutboxEvent

    with transaction.atomic():
        event = OutboxEvent.objects.select_for_update(skip_locked=True).filter(pk=event_id).first()
        if event is None:  # another worker is delivering it right now, or it does not exist
            return None
        if event.delivered:
            return True
        announcement = Announcement(event.pk, event.topic, event.key, event.payload, event.created)
        errors = []
        for sub in subscribers_of(event.topic):
            try:
                with transaction.atomic():
                    sub.handler(announcement)
            except Exception as exc:
                log.exception("event %s (%s): subscriber %s failed", event.pk, event.topic, sub.name)
                errors.append(f"{sub.name}: {type(exc).__name__}: {exc}")
        now = timezone.now()
        event.attempts += 1
        if errors:
            event.last_error = "\n".join(errors)[:4000]
            event.next_attempt = now + _pause(event.attempts)
            event.save(update_fields=["attempts", "last_error", "next_attempt"])
            return False
        event.delivered, event.last_error, event.next_attempt = now, "", None
        event.save(update_fields=["attempts", "delivered", "last_error", "next_attempt"])
        return True


def drain(limit: int = 500, now: datetime | None = None) -> dict:
    """Deliver what is undelivered and due (its queued delivery was lost, or failed before)."""
    from django.db.models import Q

    from zimao.core.models import OutboxEvent

    now = now or timezone.now()
    due = list(
        OutboxEvent.objects.filter(delivered__isnull=True)
        .filter(Q(next_attempt__isnull=True) | Q(next_attempt__lte=now))
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
    counts = {"delivered": 0, "failed": 0, "busy": 0}
    for pk in due:
        outcome = deliver(pk)
        counts["busy" if outcome is None else "delivered" if outcome else "failed"] += 1
    counts["waiting"] = OutboxEvent.objects.filter(delivered__isnull=True).count()
    return counts
