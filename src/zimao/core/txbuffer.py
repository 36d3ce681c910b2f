"""Per-transaction write buffers: collect rows inside a block, write them together when it ends.

Used by the audit trail (``audit.buffered()``) and the outbox (``events.buffered()``): inside the
block a writer ``add``s what it would have inserted; when the block ends — inside the caller's
transaction, so before it commits — everything still standing is handed to the buffer's
``write`` at once (one INSERT). What was added in a savepoint that rolled back is dropped with it:
each entry leaves a no-op marker in ``transaction.on_commit``, and Django discards the markers of
a rolled-back savepoint. Nested blocks share the outermost one; outside a transaction there is
no block (``add`` answers False and the caller writes at once).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import contextmanager

from django.db import connection, transaction


class TransactionBuffer:
    def __init__(self, write: Callable[[list], None]):
        self._write = write
        self._local = threading.local()

    @contextmanager
    def block(self):
        """Use it inside the transaction (``with transaction.atomic(), buffer.block():``)."""
        if getattr(self._local, "entries", None) is not None or not connection.in_atomic_block:
            yield
            return
        entries = self._local.entries = []
        try:
            yield
            self._local.entries = None
            survivors = {id(func) for _, func, _ in connection.run_on_commit}
            self._write([item for item, marker in entries if id(marker) in survivors])
        finally:
            self._local.entries = None

    def add(self, item) -> bool:
        """Keep ``item`` for the end of the block; False when no block is open."""
        entries = getattr(self._local, "entries", None)
        if entries is None:
            return False

        def marker():
            return None

        transaction.on_commit(marker)
        entries.append((item, marker))
        return True
