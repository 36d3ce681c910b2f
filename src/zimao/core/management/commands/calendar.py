"""``zimao calendar seed|status|import|due``: the business calendar — 工作日历.

* ``seed`` copies ``chinesecalendar``'s holiday arrangements (2004–2026 in 1.11) into the
  calendar tables; safe to run again (rows an administrator entered are kept).
* ``status`` lists the years whose arrangement is entered and exits 1 if this year's or next
  year's is missing, so a deployment check notices before deadlines become provisional; for
  each missing year it lists the statutory holidays and days in lieu assumed meanwhile.
* ``import FILE [--source S]`` enters a year's official arrangement from a CSV file
  (``date,kind,name`` — kind 休/holiday or 班/workday) and recomputes every deadline and timer
  that depended on it. A bad file changes nothing and names each bad line.
* ``due START DAYS [--json]`` prints the date DAYS working days after START and whether it is
  provisional.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q

from zimao.core import calendar as business_calendar


class Command(BaseCommand):
    help = "Business calendar: seed, status, import a year's arrangement, count a due date (工作日历)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("seed", help="copy chinesecalendar's arrangements (从 chinesecalendar 导入)")
        sub.add_parser("status", help="years entered and provisional years (已录入年度与暂定年度)")
        imp = sub.add_parser("import", help="enter a year's official arrangement from a CSV file (录入年度安排)")
        imp.add_argument("file")
        imp.add_argument("--source", default="", help="the notice, e.g. 国办发明电〔2026〕X号")
        due = sub.add_parser("due", help="the date N working days after START (计算期限)")
        due.add_argument("start", help="YYYY-MM-DD")
        due.add_argument("days", help="working days")
        due.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, action, **options):
        if action == "seed":
            self._seed()
        elif action == "import":
            self._import(options["file"], options["source"])
        elif action == "due":
            self._due(options["start"], options["days"], options["as_json"])
        else:
            self._status()

    def _import(self, path, source):
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"无法读取文件 {path} / cannot read {path}: {exc}") from exc
        try:
            year, days = business_calendar.parse_arrangement(text)
        except business_calendar.ArrangementError as exc:
            raise CommandError(
                f"文件有误，未作任何更改 / the file is wrong, nothing was changed:\n{exc.bilingual()}"
            ) from exc
        report = business_calendar.enter_arrangement(
            year, days, source or f"imported from {Path(path).name}", actor="cli:calendar-import"
        )
        totals = {k: sum(s.get(k, 0) for s in report.recomputed) for k in ("cases", "tasks", "timers")}
        self.stdout.write(
            f"已录入{year}年节假日安排（{report.stored}个非常规日），重算办件{totals['cases']}件、任务{totals['tasks']}个、"
            f"计时器{totals['timers']}个。\nEntered {year}'s arrangement ({report.stored} non-standard days); recomputed "
            f"{totals['cases']} cases, {totals['tasks']} tasks, {totals['timers']} timers."
        )

    def _due(self, start, days, as_json):
        try:
            start_date = dt.date.fromisoformat(start)
        except ValueError as exc:
            raise CommandError(f"START：日期应为YYYY-MM-DD / START: the date must be YYYY-MM-DD ({start!r})") from exc
        try:
            count = int(days)
        except ValueError as exc:
            raise CommandError(
                f"DAYS：应为整数个工作日 / DAYS: must be a whole number of working days ({days!r})"
            ) from exc
        if abs(count) > 3650:
            raise CommandError("DAYS：不能超过3650个工作日 / DAYS: at most 3650 working days")
        due = business_calendar.add_working_days(start_date, count)
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "start": start_date.isoformat(),
                        "days": count,
                        "due": due.date.isoformat(),
                        "provisional": due.provisional,
                        "provisional_years": list(due.provisional_years),
                    }
                )
            )
            return
        note = ""
        if due.provisional:
            years = "、".join(map(str, due.provisional_years))
            note = (
                f"（暂定：{years}年节假日安排未录入，按法定节假日及补假计算）"
                f" (provisional: {years} not entered; statutory holidays and days in lieu assumed)"
            )
        self.stdout.write(
            f"{start_date} 后第{count}个工作日 / {count} working days after {start_date}: {due.date}{note}"
        )

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
                holidays=Count("id", filter=Q(is_workday=False)), workdays=Count("id", filter=Q(is_workday=True))
            )
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
        for year in business_calendar.missing_years():
            self.stdout.write(
                f"{year}年暂定（按法定节假日及补假）/ {year} provisional (statutory holidays and days in lieu):"
            )
            for day in business_calendar.provisional_days(year):
                self.stdout.write(f"  {day.date} {day.label}")
        warnings = business_calendar.calendar_warnings()
        if warnings:
            raise CommandError("\n".join(warnings))
        self.stdout.write("今年和明年的安排均已录入 / this year's and next year's arrangements are entered.")
