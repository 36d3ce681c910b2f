"""``zimao trade`` — the trade single window and certificates of origin on the command line.

``zimao trade retry`` re-sends every agency submission that is due (an agency was down, or its
answer is awaited). Run it from cron or a systemd timer (e.g. every minute), or ``--enqueue`` it
for the background worker; the database task worker also retries deferred rows by itself.

``zimao trade stats --from 2026-01-01 --to 2026-12-31 [--period month|quarter|year]`` prints the
certificate statistics (certificates and FOB value by destination and period) as JSON.
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Trade single window and certificates of origin (国际贸易单一窗口与原产地证书): `retry` re-sends due "
        "agency submissions; `stats` prints certificate statistics."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{retry,stats}")
        retry = sub.add_parser("retry", help="re-send due agency submissions (重发到期报文)")
        retry.add_argument("--enqueue", action="store_true", help="hand the work to the background worker")
        retry.add_argument("--limit", type=int, default=500)
        stats = sub.add_parser("stats", help="certificates and FOB by destination and period (证书统计)")
        stats.add_argument("--from", dest="start", required=True, help="YYYY-MM-DD")
        stats.add_argument("--to", dest="end", required=True, help="YYYY-MM-DD")
        stats.add_argument("--period", choices=["month", "quarter", "year"], default="month")

    def handle(self, *args, **options):
        if options["action"] == "retry":
            if options["enqueue"]:
                from zimao.trade.window.tasks import retry_due_task

                self.stdout.write(f"enqueued {retry_due_task.enqueue().id}")
                return
            from zimao.trade.window.services import retry_due

            self.stdout.write(json.dumps(retry_due(limit=options["limit"]), ensure_ascii=False))
            return
        from zimao.trade.services import certificate_statistics

        try:
            start, end = dt.date.fromisoformat(options["start"]), dt.date.fromisoformat(options["end"])
        except ValueError:
            raise CommandError("dates are written YYYY-MM-DD / 日期格式应为 YYYY-MM-DD") from None
        rows = certificate_statistics(start, end, period=options["period"])
        self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
