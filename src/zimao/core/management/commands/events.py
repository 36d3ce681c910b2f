"""``zimao events drain``: deliver announced events whose delivery was lost or failed (retried
with a growing pause); ``zimao events status``: how many wait, and the last errors.

``zimao sweep`` drains too; run either from cron or a systemd timer."""

import json

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Deliver undelivered events to their subscribers (事件投递). 投递未送达的事件。"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["drain", "status"])
        parser.add_argument("--limit", type=int, default=500)

    def handle(self, *args, action, limit, **options):
        from zimao.core import events
        from zimao.core.models import OutboxEvent

        if action == "drain":
            self.stdout.write(json.dumps(events.drain(limit=limit)))
            return
        waiting = OutboxEvent.objects.filter(delivered__isnull=True)
        self.stdout.write(
            json.dumps(
                {
                    "waiting": waiting.count(),
                    "failing": [
                        {
                            "id": e.pk,
                            "topic": e.topic,
                            "key": e.key,
                            "attempts": e.attempts,
                            "next_attempt": str(e.next_attempt),
                            "error": e.last_error[:300],
                        }
                        for e in waiting.exclude(last_error="").order_by("id")[:20]
                    ],
                },
                ensure_ascii=False,
            )
        )
