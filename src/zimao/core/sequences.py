"""Named counters that never hand out a committed value twice (case numbers, code bodies, serials)."""

from __future__ import annotations

from django.db import connection

from zimao.core.models import Sequence


def next_value(name: str) -> int:
    """The next value of counter ``name`` (starting at 1).

    A value is handed out once among committed transactions: if the caller's transaction rolls
    back, the value was never issued and may be handed out again. The increment is one upsert
    (``INSERT … ON CONFLICT DO UPDATE … RETURNING``) inside the caller's transaction, so concurrent
    callers queue on the counter's row lock (PostgreSQL) or the write lock (SQLite) and each gets a
    distinct value.

    The row stays locked until the caller commits, and every case of the day shares it: take a
    counter as the *last* write of the transaction, after everything that could wait for another
    lock, so the zone-wide wait is the commit itself. Nothing else zone-wide is taken first (the
    audit trail has no head row any more — see ``zimao.core.audit``).
    """
    table = connection.ops.quote_name(Sequence._meta.db_table)
    with connection.cursor() as cur:  # one statement: atomic on its own, no savepoint needed
        cur.execute(
            f"INSERT INTO {table} (name, value) VALUES (%s, 1) "  # noqa: S608 — table name from the model
            f"ON CONFLICT (name) DO UPDATE SET value = {table}.value + 1 RETURNING value",
            [name],
        )
        return cur.fetchone()[0]


def next_values(names) -> dict[str, int]:
    """The next value of each of several counters in one statement (``next_value`` for each, in
    one multi-row upsert): what a transaction that numbers several documents at once takes, last."""
    names = sorted(set(names))
    if not names:
        return {}
    table = connection.ops.quote_name(Sequence._meta.db_table)
    rows = ", ".join(["(%s, 1)"] * len(names))
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (name, value) VALUES {rows} "  # noqa: S608 — table name from the model
            f"ON CONFLICT (name) DO UPDATE SET value = {table}.value + 1 RETURNING name, value",
            names,
        )
        return dict(cur.fetchall())
