"""Background work of the core (Django's tasks API; the database backend stores the queue, so a
task enqueued in a transaction exists exactly when the transaction commits)."""

from django_tasks import task


@task()
def deliver_event(event_id: int) -> bool:
    """Hand one announced event to its subscribers (``zimao.core.events.deliver``)."""
    from zimao.core.events import deliver

    return deliver(event_id)


@task()
def drain_events() -> dict:
    from zimao.core.events import drain

    return drain()


@task()
def checkpoint_audit() -> int:
    """Seal new audit events under a signed tree head; the new tree size (0: nothing new)."""
    from zimao.core import audit

    head = audit.checkpoint()
    return head.tree_size if head else 0


@task()
def deliver_events(event_ids: list[int]) -> int:
    """Hand the events one transaction announced to their subscribers, one after another (one
    queued task per transaction, not one per event); how many were delivered."""
    from zimao.core.events import deliver

    return sum(bool(deliver(pk)) for pk in event_ids)
