"""Named counters that never hand out a value twice (case numbers, code bodies, serials)."""

from __future__ import annotations

import contextlib
import threading

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connection, connections

from zimao.core.models import Sequence

_own = threading.local()  # per thread: the connection counters are taken on (PostgreSQL)


def next_value(name: str) -> int:
    """The next value of counter ``name`` (starting at 1).

    The increment is one upsert (``INSERT … ON CONFLICT DO UPDATE … RETURNING``): concurrent
    callers queue on the counter's row lock (PostgreSQL) or the write lock (SQLite) and each gets a
    distinct value.

    PostgreSQL (``COUNTERS_OWN_CONNECTION``, on by default): the upsert runs in a transaction of
    its own, on a connection of its own, and commits at once — the row is locked for that one
    statement, never until the caller's transaction commits, so the zone's cases do not queue
    behind each other's engine runs. The price is gaps: a value whose caller then rolls back is
    never handed out again (a case number or a licence serial may be skipped; none is issued twice).

    SQLite, or with the setting off: inside the caller's transaction — the value is issued only if
    the caller commits (no gaps), and the row stays locked until then. On SQLite the write lock is
    the database's anyway; a second connection would only wait for it.
    """
    if connection.vendor == "postgresql" and connection.in_atomic_block and _own_connection_enabled():
        return _on_own_connection(name)
    return _upsert(connection, name)


def _own_connection_enabled() -> bool:
    return getattr(settings, "COUNTERS_OWN_CONNECTION", True)


def _upsert(conn, name: str) -> int:
    table = conn.ops.quote_name(Sequence._meta.db_table)
    with conn.cursor() as cur:  # one statement: atomic on its own, no savepoint needed
        cur.execute(
            f"INSERT INTO {table} (name, value) VALUES (%s, 1) "  # noqa: S608 — table name from the model
            f"ON CONFLICT (name) DO UPDATE SET value = {table}.value + 1 RETURNING value",
            [name],
        )
        return cur.fetchone()[0]


def next_values(names) -> dict[str, int]:
    """The next value of each of several counters in one statement (``next_value`` for each, in
    one multi-row upsert): what a transaction that numbers several documents at once takes, last.
    On PostgreSQL, like ``next_value``, in a transaction of its own."""
    names = sorted(set(names))
    if not names:
        return {}
    if connection.vendor == "postgresql" and connection.in_atomic_block and _own_connection_enabled():
        return _on_own_connection(names)
    return _upsert_many(connection, names)


def _upsert_many(conn, names: list[str]) -> dict[str, int]:
    table = conn.ops.quote_name(Sequence._meta.db_table)
    rows = ", ".join(["(%s, 1)"] * len(names))
    with conn.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (name, value) VALUES {rows} "  # noqa: S608 — table name from the model
            f"ON CONFLICT (name) DO UPDATE SET value = {table}.value + 1 RETURNING name, value",
            names,
        )
        return dict(cur.fetchall())


def _on_own_connection(name):
    """The upsert (one counter's name, or a sorted list of names) in autocommit on this thread's
    counter connection (opened at first use, opened again once if the server dropped it)."""
    for attempt in (1, 2):
        own = getattr(_own, "connection", None)
        if own is None:
            own = _own.connection = connections.create_connection(DEFAULT_DB_ALIAS)
            with own.cursor() as cur:
                # The row is locked until the commit returns: do not wait for the WAL flush. Safe —
                # a value is used only by a transaction that commits later, whose own (synchronous)
                # commit flushes the WAL up to and past this one; a value lost in a crash before that
                # was used by nothing committed, and may be handed out again.
                cur.execute("SET synchronous_commit TO off")
        try:
            return _upsert(own, name) if isinstance(name, str) else _upsert_many(own, name)
        except (OperationalError, InterfaceError):
            close_own_connection()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def close_own_connection() -> None:
    """Close this thread's counter connection (tests, and a dropped connection)."""
    own = getattr(_own, "connection", None)
    _own.connection = None
    if own is not None:
        with contextlib.suppress(Exception):  # closing a broken connection may fail; it is gone anyway
            own.close()
