"""Reference data kept in memory — 参考数据缓存: rows nearly every case reads and almost nothing
writes (the catalogue's service items and process versions, the departments, the zone profile,
the signing keys' material), so a case does not read them again each time.

An entry is what ``get(key, load, models)`` returned from ``load()``, kept for the models its
value was read from. It is correct:

- in this process, at once: a save or delete of one of those models (``post_save`` /
  ``post_delete``, connected by ``watch`` when the apps are ready) drops every entry read from it;
  writes that send no signal (``QuerySet.update``, bulk writes, a restore) call ``invalidate`` or
  ``clear`` themselves;
- across transactions: a write inside a transaction also marks that transaction (its connection)
  as having written the model; until the transaction ends, its reads of entries from that model
  go to the database and are not kept (they may see rows that are rolled back). When it commits
  the cache is cleared again (``on_commit``: other threads may have kept the old rows meanwhile);
  when it rolls back, the next read on that connection notices and clears it too. Reads in
  transactions that wrote nothing cached are kept: at READ COMMITTED (PostgreSQL's default, what
  zimao runs) and with SQLite's IMMEDIATE transactions they see only committed rows. A value read
  while an invalidation happened is never kept (``_generation``);
- across processes (gunicorn workers, nodes): an entry lives ``REFERENCE_CACHE_SECONDS``
  (``ZIMAO_REFERENCE_CACHE_SECONDS``, default 5; 0 turns the cache off), so another process's
  change is seen within that many seconds.

Values are shared by every thread of the process: never change one in place (callers that hand
out model instances copy them, e.g. ``catalog.services.get_service``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.conf import settings
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")

# key → (monotonic expiry, model labels the value was read from, value)
_entries: dict[Hashable, tuple[float, frozenset[str], object]] = {}
_lock = threading.Lock()
_generation = 0  # moves on every invalidation: a value read across one is not kept
_watched: set[str] = set()
_labels_of: dict[tuple, frozenset[str]] = {}
# On a connection whose transaction wrote a cached model: (that transaction's outermost atomic
# block, the labels it wrote). Transaction state lives on the connection, one per thread.
_WRITTEN = "_zimao_refcache_written"


def seconds() -> float:
    """How long an entry lives (``REFERENCE_CACHE_SECONDS``); 0 or less: nothing is cached."""
    return float(getattr(settings, "REFERENCE_CACHE_SECONDS", 5))


def get(key: Hashable, load: Callable[[], T], models: tuple) -> T:
    """The cached value of ``key``, else ``load()`` (kept for ``seconds()`` unless it may be
    uncommitted or stale). ``models``: every model ``load`` reads; they must be ``watch``-ed."""
    ttl = seconds()
    if ttl <= 0:
        return load()
    labels = _labels_of.get(models)
    if labels is None:
        labels = _labels_of[models] = frozenset(m._meta.label for m in models)
        if not labels <= _watched:
            raise RuntimeError(f"refcache: {sorted(labels - _watched)} not watched (call refcache.watch)")
    connection = connections[DEFAULT_DB_ALIAS]
    if _WRITTEN in connection.__dict__ and labels & _written(connection):
        return load()  # this transaction changed what the value is read from
    now = time.monotonic()
    entry = _entries.get(key)
    if entry is not None and entry[0] > now:
        return entry[2]  # type: ignore[return-value]
    generation = _generation
    value = load()
    with _lock:
        if generation == _generation:
            _entries[key] = (now + ttl, labels, value)
    return value


def invalidate(*models) -> None:
    """Drop what was read from ``models`` — call after writes that send no signal (``update``)."""
    labels = {m._meta.label for m in models}
    connection = connections[DEFAULT_DB_ALIAS]
    block = _transaction_of(connection)
    if block is not None:
        if _WRITTEN in connection.__dict__:
            _written(connection)  # an earlier transaction's mark, if it has ended, goes first
        written = connection.__dict__.get(_WRITTEN)
        if written is not None and written[0] is block:
            written[1].update(labels)
        else:
            connection.__dict__[_WRITTEN] = (block, set(labels))
        # Registered at every write: a savepoint rolled back takes its callbacks with it.
        transaction.on_commit(_committed)
    _drop(labels)


def clear() -> None:
    """Forget every entry (tests, after a restore, when settings change)."""
    global _generation
    with _lock:
        _generation += 1
        _entries.clear()


def watch(*models) -> None:
    """Invalidate on every save and delete of ``models`` (idempotent; from ``AppConfig.ready``,
    so a write is noticed even before this process has cached anything)."""
    for model in models:
        label = model._meta.label
        if label in _watched:
            continue
        post_save.connect(_on_change, sender=model, dispatch_uid=f"zimao.refcache.save.{label}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"zimao.refcache.delete.{label}")
        _watched.add(label)


# --------------------------------------------------------------------------------- internals


def _on_change(sender, **kwargs) -> None:
    invalidate(sender)


def _drop(labels: set[str]) -> None:
    global _generation
    with _lock:
        _generation += 1
        for key in [k for k, (_, deps, _) in _entries.items() if deps & labels]:
            del _entries[key]


def _transaction_of(connection):
    """The outermost atomic block of the connection's own transaction; None in autocommit and
    when only a test case's blocks are open (its writes are as good as committed to the test, and
    the test's rollback is followed by ``clear``, see the root conftest)."""
    for block in connection.atomic_blocks:
        if not getattr(block, "_from_testcase", False):
            return block
    return None


def _written(connection) -> set[str] | frozenset[str]:
    """The labels the connection's open transaction wrote; once that transaction has ended
    (committed or rolled back), nothing, and what was read from them is dropped again (in case
    another thread kept an old row meanwhile and no ``on_commit`` ran, as in a test case)."""
    block, labels = connection.__dict__[_WRITTEN]
    if any(b is block for b in connection.atomic_blocks):
        return labels
    del connection.__dict__[_WRITTEN]
    _drop(labels)
    return frozenset()


def _committed() -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    connection.__dict__.pop(_WRITTEN, None)
    clear()


def _setting_changed(**kwargs) -> None:
    clear()  # e.g. a test's ZIMAO_ZONE_PROFILE or REFERENCE_CACHE_SECONDS


setting_changed.connect(_setting_changed, dispatch_uid="zimao.refcache.setting_changed")
