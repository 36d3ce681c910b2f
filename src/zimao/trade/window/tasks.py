"""Background work of the single window (Django's tasks API via django-tasks)."""

from django_tasks import task


@task()
def process_submission(submission_id: int) -> str:
    """One send or poll of one agency submission — 发送或收取一条报文."""
    from zimao.trade.window.services import process

    sub = process(submission_id)
    return sub.status if sub is not None else "missing"


@task()
def retry_due_task() -> dict:
    """Every due submission — 重发到期报文 (what ``zimao trade retry --enqueue`` queues)."""
    from zimao.trade.window.services import retry_due

    return retry_due()
