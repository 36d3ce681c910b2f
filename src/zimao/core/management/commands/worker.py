"""``zimao worker``: the background task worker (django-tasks' ``db_worker``) holding a lease.

The lease (``zimao.core.recovery.LeaseKeeper``) is renewed by a heartbeat thread while the worker
lives, so no other node's recovery takes a task this worker is running; the same thread requeues
the tasks of workers whose lease has expired (a node that died). ``zimao serve`` runs this.
"""

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from zimao.core.recovery import LeaseKeeper


class Command(DbWorkerCommand):
    help = "Run the background task worker with a renewed lease (后台任务进程，持有租约)."

    def handle(self, *args, worker_id: str, **options):
        lease = LeaseKeeper(worker_id)
        lease.start()
        try:
            super().handle(*args, worker_id=worker_id, **options)
        finally:
            lease.stop()
