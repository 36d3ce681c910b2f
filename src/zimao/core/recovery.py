"""Recovery after a crash — 故障恢复: work a dead worker had claimed goes back to the queue.

django-tasks-db marks a task RUNNING when a worker claims it and SUCCESSFUL/FAILED when it ends.
A worker killed in between (SIGKILL, out of memory, power) leaves the row RUNNING forever: its
transaction was rolled back, so the work is undone — and, without this, never redone.

zimao's tasks are idempotent (the engine re-reads the case under a row lock and does only what
is left; monitor events are keyed), so running an orphaned task again is safe. Two ways in:

- ``zimao recover`` — run when no worker is alive (e.g. before starting the worker after a
  crash or a reboot): every RUNNING task is an orphan and goes back to READY;
- ``zimao sweep`` (cron) — requeues tasks RUNNING for longer than a task ever takes
  (``task_timeout``), which is safe with several workers on several machines.

Leases (租约): ``zimao worker`` (what ``zimao serve`` runs) holds a ``WorkerLease`` renewed by a
heartbeat thread every ``LEASE_SECONDS / 3``. A task RUNNING under a live lease is never
requeued, whatever the caller asked: a second ``zimao serve`` started beside a live orphan cannot
steal its work. A task whose worker's lease has expired is an orphan at once; one claimed by a
worker that never held a lease (a bare ``db_worker``) falls back to the age rule above. Every
``zimao worker`` also requeues expired leases' tasks as it renews its own, so when one node of
several dies, the others pick its work up within ``LEASE_SECONDS``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from django.db import close_old_connections, connection
from django.utils import timezone

logger = logging.getLogger(__name__)

DEFAULT_TASK_TIMEOUT = timedelta(minutes=10)
# How long a worker's lease lasts without renewal. Long enough to ride out a busy SQLite write
# lock (busy_timeout is 20 s); short enough that a dead node's work moves on within a minute.
LEASE_SECONDS = float(os.environ.get("ZIMAO_WORKER_LEASE_SECONDS", "30"))


def _live_and_dead_workers() -> tuple[set[str], set[str]]:
    from zimao.core.models import WorkerLease

    now = timezone.now()
    live, dead = set(), set()
    for worker_id, expires_at in WorkerLease.objects.values_list("worker_id", "expires_at"):
        (live if expires_at > now else dead).add(worker_id)
    return live, dead


def requeue_orphaned_tasks(
    older_than: timedelta | None = DEFAULT_TASK_TIMEOUT, actor: str = "system:recovery"
) -> list[str]:
    """Put tasks claimed by a dead worker back in the queue; returns their ids.

    Never a task whose worker holds a live lease. A task whose worker's lease expired is taken
    whatever its age; one claimed by a worker that never held a lease is taken when it started
    before ``older_than`` ago — ``older_than=None`` takes every such task (only when no leaseless
    worker is running).
    """
    from django_tasks_db.models import DBTaskResult

    from zimao.core import audit

    live, dead = _live_and_dead_workers()
    cutoff = None if older_than is None else timezone.now() - older_than
    requeued = []
    rows = DBTaskResult.objects.filter(status="RUNNING").values_list("id", "task_path", "worker_ids", "started_at")
    for pk, path, worker_ids, started_at in rows:
        worker = worker_ids[-1] if worker_ids else None
        if worker in live:
            continue
        if worker not in dead and cutoff is not None and started_at is not None and started_at >= cutoff:
            continue
        # Conditional: a worker that finishes it meanwhile wins, and the row is left alone; so
        # does one that claimed it again since we read it (started_at moved on).
        if DBTaskResult.objects.filter(id=pk, status="RUNNING", started_at=started_at).update(
            status="READY", started_at=None
        ):
            requeued.append(str(pk))
            logger.warning("requeued task %s (%s) left running by a dead worker %s", pk, path, worker)
    if requeued:
        audit.record(
            actor,
            "tasks.requeued",
            object_type="django_tasks_database.dbtaskresult",
            object_id="*",
            after={"tasks": requeued, "older_than_seconds": None if older_than is None else older_than.total_seconds()},
        )
    return requeued


class LeaseKeeper:
    """Hold a worker's lease while it runs — 续租: renew every ``LEASE_SECONDS / 3`` from a thread
    with its own database connection, requeue expired leases' tasks on the way, and give the
    lease back on a clean stop (a killed worker's lease simply expires)."""

    def __init__(self, worker_id: str, lease_seconds: float = LEASE_SECONDS, sweep: bool = True):
        self.worker_id, self.lease_seconds, self.sweep = worker_id, lease_seconds, sweep
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def renew(self) -> None:
        from zimao.core.models import WorkerLease

        now = timezone.now()
        WorkerLease.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={
                "host": socket.gethostname()[:255],
                "pid": os.getpid(),
                "renewed_at": now,
                "expires_at": now + timedelta(seconds=self.lease_seconds),
            },
        )

    def _beat(self) -> None:
        from zimao.core.models import WorkerLease

        try:
            while not self._stop.wait(self.lease_seconds / 3):
                try:
                    close_old_connections()
                    self.renew()
                    if self.sweep:
                        requeue_orphaned_tasks(DEFAULT_TASK_TIMEOUT, actor="system:worker")
                        # Dead leases are kept a day (to know whose tasks are orphans), then go.
                        WorkerLease.objects.filter(expires_at__lt=timezone.now() - timedelta(days=1)).delete()
                except Exception:  # a failed beat is retried at the next one; the lease has slack
                    logger.exception("worker lease %s: renewal failed", self.worker_id)
        finally:
            connection.close()

    def start(self) -> None:
        self.renew()  # before the first claim: no task of ours is ever without a lease
        self._thread = threading.Thread(target=self._beat, name=f"lease-{self.worker_id}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        from zimao.core.models import WorkerLease

        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.lease_seconds)
        WorkerLease.objects.filter(worker_id=self.worker_id).delete()
