"""``zimao calendar seed|status``: the business calendar — 工作日历.

* ``seed`` copies ``chinesecalendar``'s holiday arrangements (2004–2026 in 1.11) into the
  calendar tables; safe to run again (rows an administrator entered are kept).
* ``status`` lists the years whose arrangement is entered and exits 1 if this year's or next
  year's is missing, so a deployment check notices before deadlines become provisional.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q

from zimao.core import calendar as business_calendar


class Command(BaseCommand):
    help = "Business calendar: seed from chinesecalendar, or show status (工作日历：导入或查看状态)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["seed", "status"])

    def handle(self, *args, action, **options):
        if action == "seed":
            self._seed()
        else:
            self._status()

    def _seed(self):
        report = business_calendar.seed_from_package()
        span = f"{report.years[0]}–{report.years[-1]}" if report.years else "—"
        self.stdout.write(
            f"已导入 chinesecalendar {business_calendar.package_version()} 的 {span} 年节假日安排："
            f"新增{report.created}天，更新{report.updated}天，删除{report.deleted}天，保留管理员录入{report.kept_admin}天。\n"
            f"Seeded {span} from chinesecalendar {business_calendar.package_version()}: {report.created} days added, "
            f"{report.updated} updated, {report.deleted} removed, {report.kept_admin} administrator entries kept."
        )

    def _status(self):
        from zimao.core.models import CalendarDay, CalendarYear

        counts = {
            row["date__year"]: row
            for row in CalendarDay.objects.values("date__year").annotate(
                holidays=Count("id", filter=Q(is_workday=False)), workdays=Count("id", filter=Q(is_workday=True)))
        }
        years = list(CalendarYear.objects.order_by("year"))
        self.stdout.write("已录入节假日安排的年份 / years with a holiday arrangement:")
        for y in years:
            c = counts.get(y.year, {"holidays": 0, "workdays": 0})
            self.stdout.write(
                f"  {y.year}  放假{c['holidays']}天 {c['holidays']} weekday holidays, "
                f"调休上班{c['workdays']}天 {c['workdays']} make-up workdays  ({y.source or '—'})"
            )
        if not years:
            self.stdout.write("  （无 none）")
        warnings = business_calendar.calendar_warnings()
        if warnings:
            raise CommandError("\n".join(warnings))
        self.stdout.write("今年和明年的安排均已录入 / this year's and next year's arrangements are entered.")
