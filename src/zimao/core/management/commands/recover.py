"""``zimao recover``: after a crash, put work a dead worker had claimed back in the queue.

Run it while no worker is running (before ``zimao db_worker`` / ``zimao serve`` starts again):
every task still marked RUNNING was orphaned. With workers running, pass ``--older-than`` (the
periodic ``zimao sweep`` does that with a 10-minute timeout). See ``zimao.core.recovery``.
"""

import json
from datetime import timedelta

from django.core.management.base import BaseCommand

from zimao.core.recovery import requeue_orphaned_tasks


class Command(BaseCommand):
    help = "Requeue tasks left RUNNING by a dead worker (故障恢复：重新排队中断的后台任务)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=float,
            default=None,
            metavar="SECONDS",
            help="only tasks running longer than this (safe while workers run); default: all",
        )

    def handle(self, *args, older_than=None, **options):
        ids = requeue_orphaned_tasks(None if older_than is None else timedelta(seconds=older_than))
        self.stdout.write(json.dumps({"requeued": len(ids)}))
