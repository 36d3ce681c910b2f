"""Background work of the core app (Django's tasks API, queue stored in the database)."""

from django_tasks import task


@task()
def checkpoint_audit() -> int:
    """Seal new audit events under a signed tree head; the new tree size (0: nothing new)."""
    from zimao.core import audit

    head = audit.checkpoint()
    return head.tree_size if head else 0
