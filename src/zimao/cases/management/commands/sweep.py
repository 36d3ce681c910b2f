"""``zimao sweep``: fire due timers — escalate overdue tasks and cases, restart stalled cases,
delete unsent uploads and saved drafts past their retention (``ZIMAO_UNATTACHED_RETENTION_HOURS``,
``ZIMAO_DRAFT_RETENTION_DAYS``) — and deliver announced events still waiting (``zimao events drain``).

Run it from cron or a systemd timer (e.g. every 10 minutes), or ``--enqueue`` it for the worker.
"""

import json

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Escalate overdue tasks and cases (超期督办). 扫描到期计时器。"

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="hand the sweep to the background worker")

    def handle(self, *args, **options):
        if options["enqueue"]:
            from zimao.cases.tasks import sweep_timers

            result = sweep_timers.enqueue()
            self.stdout.write(f"enqueued {result.id}")
            return
        from zimao.cases.services import sweep
        from zimao.core import audit, events

        counts = {**sweep(), "events": events.drain()}
        head = audit.checkpoint()  # seal the audit log as well (审计检查点)
        counts["audit_tree_size"] = head.tree_size if head is not None else None
        self.stdout.write(json.dumps(counts, ensure_ascii=False))
