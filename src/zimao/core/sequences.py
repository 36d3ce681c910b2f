"""Named counters that never hand out a committed value twice (case numbers, code bodies, serials)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from zimao.core.models import Sequence


def next_value(name: str) -> int:
    """The next value of counter ``name`` (starting at 1).

    A value is handed out once among committed transactions: if the caller's transaction rolls
    back, the value was never issued and may be handed out again. The increment is one UPDATE inside the caller's transaction, so concurrent callers queue on
    the row lock (PostgreSQL) or the write lock (SQLite) and each gets a distinct value.
    """
    from zimao.core.audit import lock_chain

    with transaction.atomic():
        lock_chain()  # lock order: the audit chain head, then counters (see audit.lock_chain)
        Sequence.objects.get_or_create(name=name)
        Sequence.objects.filter(name=name).update(value=F("value") + 1)
        return Sequence.objects.get(name=name).value
