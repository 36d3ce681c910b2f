"""``zimao indicators [--json] [--published] [--until YYYY-MM-DD]`` — every indicator with its
latest value, unit, period, target and source (指标一览): the figures the dashboard shows."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from zimao.monitor import readout
from zimao.monitor.models import Indicator


class Command(BaseCommand):
    help = "List indicators with their latest value, unit, period, target and source (指标一览)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--published", action="store_true", help="only indicators on the public dashboard")
        parser.add_argument("--until", help="latest value up to this date (YYYY-MM-DD)")
        parser.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])

    def handle(self, *args, **opts):
        until = None
        if opts["until"]:
            try:
                until = date.fromisoformat(opts["until"])
            except ValueError:
                raise CommandError("--until: 应为日期 YYYY-MM-DD / must be a date YYYY-MM-DD") from None
        qs = Indicator.objects.all()
        if opts["published"]:
            qs = qs.filter(published=True)
        with translation.override(opts["language"]):
            with readout.snapshot():
                rows = [readout.indicator_dict(ind, until=until, language=opts["language"]) for ind in qs]
        if opts["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for r in rows:
            latest = r["latest"] or {}
            target = r["target"]
            line = f"{r['code']:<42} {latest.get('display', '—'):>12} {r['unit']:<8} {latest.get('period', ''):<18} {r['source']}"
            if target:
                line += f"  target {target['comparison_text']} {target['display']} by {target['deadline'] or '—'}"
            self.stdout.write(line)
