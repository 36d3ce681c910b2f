"""``zimao intake sweep``: delete counter intakes (前台综合受理) never confirmed within
``ZIMAO_INTAKE_RETENTION_HOURS`` (24 h), with the scans uploaded for them; audited
``intake.expired``. Run it from cron next to ``zimao sweep`` (e.g. every hour)."""

import json

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Counter intakes: delete abandoned ones (清理未确认的窗口受理). "

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("sweep", help="delete intakes never confirmed within the retention period (清理过期受理)")

    def handle(self, *args, action, **options):
        from zimao.web.intake import sweep_abandoned

        self.stdout.write(json.dumps({"intakes_deleted": sweep_abandoned()}))
