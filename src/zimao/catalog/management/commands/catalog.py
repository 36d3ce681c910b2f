"""``zimao catalog export FILE.xlsx`` / ``zimao catalog import FILE.xlsx`` — 事项清单导入导出.

Import checks every cell first and names each problem by sheet, row and column; a file with any
problem changes nothing (exit status 1).
"""

from django.core.management.base import BaseCommand, CommandError

from zimao.catalog import excel


class Command(BaseCommand):
    help = "Export or import the service catalogue as Excel. 事项清单导出/导入（Excel）。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        out = sub.add_parser("export", help="write one row per service item 导出")
        out.add_argument("file")
        inp = sub.add_parser("import", help="load a workbook, all or nothing 导入")
        inp.add_argument("file")
        inp.add_argument("--dry-run", action="store_true", help="check and load, then roll back 只检查不保存")

    def handle(self, *args, **options):
        path = options["file"]
        if options["action"] == "export":
            if not path.lower().endswith(".xlsx"):
                raise CommandError("文件名应以 .xlsx 结尾 / the file name must end in .xlsx")
            rows = excel.export_workbook(path)
            self.stdout.write(f"已导出 {rows} 个事项 / exported {rows} service items → {path}")
            return
        try:
            counts = excel.import_workbook(path, actor="system:catalog-import", dry_run=options["dry_run"])
        except excel.ImportErrors as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"导入失败，共 {len(exc.problems)} 处错误，未做任何修改 / import refused: "
                f"{len(exc.problems)} problem(s), nothing was changed"
            ) from None
        verb = "检查通过（未保存） / checked, not saved" if options["dry_run"] else "已导入 / imported"
        summary = ", ".join(f"{k} +{v}" for k, v in counts.items())
        self.stdout.write(f"{verb}: {summary}")
