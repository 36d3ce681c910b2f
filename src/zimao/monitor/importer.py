"""Statistics import — 统计数据导入 (Excel .xlsx or CSV).

upload → ``validate_job`` (background; progress on the ImportJob row; every row and column
checked, every problem named in Chinese and English) → preview → ``commit_job`` (background; all
rows in one transaction: a file with any bad row changes nothing).

Columns (header row; Chinese or English names; order free):

=====================  =========================  ===========================================
column                 中文                        content
=====================  =========================  ===========================================
indicator (required)   指标代码                    an indicator code, e.g. ``tiers.high_tech``
period (required)      统计期                      2022-05, 2022-01..2022-06, 2022-Q2, 2022-H1,
                                                  2022, ..2022-06-30 (累计), 2022-06-30 (时点)
value (required)       数值                        a number in the indicator's unit
dimension              维度                        e.g. an industry key for ``industry.output``
qualifier              限定                        over/超过, about/约, nearly/近
published_yoy          公布同比                    a growth rate (%) the source published
section                出处                        where the source states it, e.g. 一、（二）
note                   备注                        free text
=====================  =========================  ===========================================
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from zimao.core import audit
from zimao.core.errors import Problem
from zimao.monitor import periods
from zimao.monitor.models import ImportJob, Indicator, IndicatorValue, Rollup

COLUMNS = {
    "indicator": ("指标代码", "indicator"),
    "period": ("统计期", "period"),
    "value": ("数值", "value"),
    "dimension": ("维度", "dimension"),
    "qualifier": ("限定", "qualifier"),
    "published_yoy": ("公布同比", "published growth"),
    "section": ("出处", "section"),
    "note": ("备注", "note"),
}
REQUIRED = ("indicator", "period", "value")
ALIASES = {
    "indicator": {"indicator", "indicator_code", "code", "指标代码", "指标", "代码"},
    "period": {"period", "统计期", "期间", "时期", "统计期间"},
    "value": {"value", "数值", "值", "数据"},
    "dimension": {"dimension", "维度", "分组"},
    "qualifier": {"qualifier", "限定", "限定词"},
    "published_yoy": {"published_yoy", "yoy", "公布同比", "同比", "同比增长"},
    "section": {"section", "出处", "章节"},
    "note": {"note", "备注", "说明"},
}
QUALIFIERS = {
    "": "",
    "over": "over",
    "超过": "over",
    "多": "over",
    "about": "about",
    "约": "about",
    "nearly": "nearly",
    "近": "nearly",
}
PREVIEW_ROWS = 50
MAX_LISTED_ERRORS = 200
PROGRESS_EVERY = 100


class FileProblem(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(problem.en)


def _header_key(cell) -> str | None:
    text = str(cell or "").strip().lower().replace(" ", "_")
    for key, names in ALIASES.items():
        if text in names:
            return key
    # "指标代码 indicator" or "指标代码/indicator"
    for part in str(cell or "").replace("/", " ").replace("（", " ").replace("(", " ").split():
        part = part.strip("）)").lower()
        for key, names in ALIASES.items():
            if part in names:
                return key
    return None


def read_rows(content: bytes, filename: str = ""):
    """Yield (row_number, [cells]) of a workbook's first sheet or a CSV; row 1 is the header.

    Returns (total_rows, iterator). Raises ``FileProblem`` for an unreadable file."""
    if content[:4] == b"PK\x03\x04":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:
            raise FileProblem(
                Problem(
                    "file",
                    "unreadable",
                    "无法读取该 Excel 文件，请另存为 .xlsx 后重试。",
                    "The Excel file could not be read; save it as .xlsx and try again.",
                )
            ) from None
        ws = wb.worksheets[0]
        total = max(0, (ws.max_row or 1) - 1)

        def gen():
            for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
                yield n, list(row)
            wb.close()

        return total, gen()
    if content[:4] == b"\xd0\xcf\x11\xe0":
        raise FileProblem(
            Problem(
                "file",
                "xls",
                "不支持旧版 .xls 格式，请另存为 .xlsx 或 CSV。",
                "Old .xls files are not supported; save as .xlsx or CSV.",
            )
        )
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK by default
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileProblem(
            Problem(
                "file",
                "encoding",
                "无法识别文件编码，请使用 UTF-8 或 GBK 编码的 CSV。",
                "Unknown text encoding; use a UTF-8 or GBK CSV.",
            )
        )
    if "\x00" in text:
        raise FileProblem(
            Problem("file", "binary", "文件不是 CSV 或 Excel 表格。", "The file is not a CSV or Excel sheet.")
        )
    lines = list(csv.reader(io.StringIO(text)))
    return max(0, len(lines) - 1), ((n, row) for n, row in enumerate(lines, start=1))


def _problem(row: int, column: str, code: str, zh: str, en: str) -> Problem:
    col_zh, col_en = COLUMNS.get(column, (column, column))
    return Problem(f"row {row}.{column}", code, f"第{row}行「{col_zh}」列：{zh}", f"Row {row}, column '{col_en}': {en}")


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _period(cell):
    if isinstance(cell, datetime):
        cell = cell.date()
    if isinstance(cell, date):
        # Excel turns a typed "2022-05" into 1 May 2022: the first of a month means that month.
        return periods.Period.month(cell.year, cell.month) if cell.day == 1 else periods.Period.snapshot(cell)
    if isinstance(cell, (int, float)) and float(cell).is_integer() and 1900 <= int(cell) <= 2200:
        return periods.Period.year(int(cell))
    return periods.parse(_text(cell))


def _decimal(cell) -> Decimal:
    if isinstance(cell, bool):
        raise InvalidOperation
    if isinstance(cell, (int, float)):
        d = Decimal(str(cell))
    else:
        text = _text(cell).replace(",", "").replace("，", "")
        if text.endswith("%"):
            text = text[:-1]
        d = Decimal(text)
    if not d.is_finite():
        raise InvalidOperation
    return d


class Validator:
    """Checks rows one by one; keeps the normalised rows and the problems."""

    def __init__(self):
        self.indicators = {i.code: i for i in Indicator.objects.all()}
        self.problems: list[Problem] = []
        self.rows: list[dict] = []
        self.columns: dict[str, int] = {}
        self.seen: dict[tuple, int] = {}
        self.computed_months: dict[str, set] = {}

    def header(self, cells) -> bool:
        for idx, cell in enumerate(cells):
            key = _header_key(cell)
            if key and key not in self.columns:
                self.columns[key] = idx
        missing = [c for c in REQUIRED if c not in self.columns]
        for c in missing:
            zh, en = COLUMNS[c]
            self.problems.append(
                Problem(
                    f"header.{c}",
                    "missing_column",
                    f"第1行（表头）：缺少「{zh}」列",
                    f"Row 1 (header): the '{en}' column is missing",
                )
            )
        return not missing

    def _cell(self, cells, key):
        idx = self.columns.get(key)
        return cells[idx] if idx is not None and idx < len(cells) else None

    def row(self, n: int, cells) -> None:
        if all(c is None or str(c).strip() == "" for c in cells):
            return  # blank lines are not data
        bad = False
        code = _text(self._cell(cells, "indicator"))
        ind = self.indicators.get(code)
        if not code:
            self.problems.append(_problem(n, "indicator", "required", "必填", "required"))
            bad = True
        elif ind is None:
            self.problems.append(
                _problem(n, "indicator", "unknown", f"未知的指标代码“{code}”", f"unknown indicator code '{code}'")
            )
            bad = True
        raw_period = self._cell(cells, "period")
        period = None
        if raw_period is None or _text(raw_period) == "":
            self.problems.append(_problem(n, "period", "required", "必填", "required"))
            bad = True
        else:
            try:
                period = _period(raw_period)
            except periods.PeriodError as exc:
                self.problems.append(_problem(n, "period", "invalid", exc.zh, exc.en))
                bad = True
        raw_value = self._cell(cells, "value")
        value = None
        if raw_value is None or _text(raw_value) == "":
            self.problems.append(_problem(n, "value", "required", "必填", "required"))
            bad = True
        else:
            try:
                value = _decimal(raw_value)
                if abs(value) >= Decimal("1e15"):
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                self.problems.append(
                    _problem(
                        n,
                        "value",
                        "not_a_number",
                        f"应为数字，实为“{_text(raw_value)}”",
                        f"must be a number, got '{_text(raw_value)}'",
                    )
                )
                bad = True
        dimension = _text(self._cell(cells, "dimension"))
        if ind is not None and dimension and ind.dimension_labels and dimension not in ind.dimension_labels:
            allowed = ", ".join(ind.dimension_labels)
            self.problems.append(
                _problem(
                    n,
                    "dimension",
                    "unknown",
                    f"该指标没有维度“{dimension}”（可用：{allowed}）",
                    f"this indicator has no dimension '{dimension}' (allowed: {allowed})",
                )
            )
            bad = True
        qualifier_raw = _text(self._cell(cells, "qualifier")).lower()
        if qualifier_raw not in QUALIFIERS:
            self.problems.append(
                _problem(
                    n,
                    "qualifier",
                    "invalid",
                    f"应为 超过/约/近（over/about/nearly），实为“{qualifier_raw}”",
                    f"must be over, about or nearly, got '{qualifier_raw}'",
                )
            )
            bad = True
        yoy = None
        raw_yoy = self._cell(cells, "published_yoy")
        if raw_yoy is not None and _text(raw_yoy) != "":
            try:
                yoy = _decimal(raw_yoy)
                if abs(yoy) >= Decimal("1e6"):
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                self.problems.append(
                    _problem(
                        n,
                        "published_yoy",
                        "not_a_number",
                        f"应为百分数，实为“{_text(raw_yoy)}”",
                        f"must be a percentage, got '{_text(raw_yoy)}'",
                    )
                )
                bad = True
        section = _text(self._cell(cells, "section"))[:40]
        note = _text(self._cell(cells, "note"))[:300]
        if bad:
            return
        if ind.source == "computed" and ind.stream and period.kind != "snapshot":
            months = self.computed_months.get(ind.stream)
            if months is None:
                months = self.computed_months[ind.stream] = set(
                    Rollup.objects.filter(stream=ind.stream, count__gt=0).values_list("period", flat=True)
                )
            covered = period.month_keys()
            clash = (
                months.intersection(covered)
                if covered is not None
                else {m for m in months if m <= period.end.strftime("%Y-%m")}
            )
            if clash:
                self.problems.append(
                    _problem(
                        n,
                        "period",
                        "computed",
                        "该期间已由平台根据办件自动计算，不能导入覆盖",
                        "the platform already computes this period from its own cases; it cannot be overwritten",
                    )
                )
                return
        key = (code, dimension, period.key)
        if key in self.seen:
            first = self.seen[key]
            self.problems.append(
                _problem(
                    n,
                    "period",
                    "duplicate",
                    f"与第{first}行重复（同一指标、维度和统计期）",
                    f"duplicates row {first} (same indicator, dimension and period)",
                )
            )
            return
        self.seen[key] = n
        self.rows.append(
            {
                "row": n,
                "indicator": code,
                "dimension": dimension,
                "period": period.key,
                "value": str(value),
                "qualifier": QUALIFIERS[qualifier_raw],
                "published_yoy": None if yoy is None else str(yoy),
                "section": section,
                "note": note,
            }
        )


def validate_job(job_id: int) -> str:
    """Read and check every row, writing progress as it goes; leave the job at preview or invalid."""
    job = ImportJob.objects.get(pk=job_id)
    ImportJob.objects.filter(pk=job.pk).update(status="validating", processed_rows=0)
    validator = Validator()
    try:
        if len(job.content) > getattr(settings, "UPLOAD_MAX_BYTES", 10 * 1024 * 1024):
            raise FileProblem(Problem("file", "too_large", "文件过大。", "The file is too large."))
        total, rows = read_rows(bytes(job.content), job.filename)
        ImportJob.objects.filter(pk=job.pk).update(total_rows=total)
        header_ok = False
        for n, cells in rows:
            if n == 1:
                header_ok = validator.header(cells)
                if not header_ok:
                    break
                continue
            validator.row(n, cells)
            if (n - 1) % PROGRESS_EVERY == 0:
                ImportJob.objects.filter(pk=job.pk).update(processed_rows=n - 1)
        if header_ok and not validator.rows and not validator.problems:
            validator.problems.append(Problem("file", "empty", "文件中没有数据行。", "The file has no data rows."))
        if total == 0 and not validator.problems:
            validator.problems.append(Problem("file", "empty", "文件中没有数据行。", "The file has no data rows."))
    except FileProblem as exc:
        validator.problems.append(exc.problem)
        total = 0
    problems = validator.problems
    if problems:
        ImportJob.objects.filter(pk=job.pk).update(
            status="invalid",
            processed_rows=total,
            error_count=len(problems),
            errors=[p.as_dict() for p in problems[:MAX_LISTED_ERRORS]],
            rows=[],
            summary={},
        )
        return "invalid"
    summary = _summarise(validator.rows)
    ImportJob.objects.filter(pk=job.pk).update(
        status="preview", processed_rows=total, errors=[], error_count=0, rows=validator.rows, summary=summary
    )
    return "preview"


def _summarise(rows: list[dict]) -> dict:
    """What committing would do: new, changed and unchanged values, and a preview of the rows."""
    indicators = {i.code: i for i in Indicator.objects.filter(code__in={r["indicator"] for r in rows})}
    existing = {
        (v.indicator.code, v.dimension, v.period_key): v
        for v in IndicatorValue.objects.filter(indicator__in=indicators.values()).select_related("indicator")
    }
    new = changed = unchanged = 0
    preview = []
    per_indicator: dict[str, int] = {}
    for r in rows:
        old = existing.get((r["indicator"], r["dimension"], r["period"]))
        if old is None:
            new += 1
            change = "new"
        elif Decimal(old.value) != Decimal(r["value"]) or old.qualifier != r["qualifier"]:
            changed += 1
            change = "changed"
        else:
            unchanged += 1
            change = "same"
        per_indicator[r["indicator"]] = per_indicator.get(r["indicator"], 0) + 1
        if len(preview) < PREVIEW_ROWS:
            ind = indicators[r["indicator"]]
            p = periods.parse(r["period"])
            preview.append(
                {
                    **r,
                    "name_zh": ind.name_zh,
                    "name_en": ind.name_en,
                    "unit_zh": ind.unit_zh,
                    "unit_en": ind.unit_en,
                    "period_zh": p.label("zh-hans"),
                    "period_en": p.label("en"),
                    "old": None if old is None else str(old.value.normalize()),
                    "change": change,
                }
            )
    return {
        "rows": len(rows),
        "new": new,
        "changed": changed,
        "unchanged": unchanged,
        "preview": preview,
        "indicators": per_indicator,
    }


def commit_job(job_id: int, actor=None) -> str:
    """Write every validated row in one transaction (all or nothing) and audit it."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status not in ("committing", "preview"):
        return job.status
    try:
        with transaction.atomic():
            indicators = {i.code: i for i in Indicator.objects.filter(code__in={r["indicator"] for r in job.rows})}
            written = 0
            for r in job.rows:
                ind = indicators.get(r["indicator"])
                if ind is None:
                    raise LookupError(f"row {r['row']}: indicator {r['indicator']} no longer exists")
                p = periods.parse(r["period"])
                IndicatorValue.objects.update_or_create(
                    indicator=ind,
                    dimension=r["dimension"],
                    period_key=p.key,
                    defaults={
                        "period_kind": p.kind,
                        "period_start": p.start,
                        "period_end": p.end,
                        "value": Decimal(r["value"]),
                        "qualifier": r["qualifier"],
                        "published_yoy": None if r["published_yoy"] is None else Decimal(r["published_yoy"]),
                        "section": r["section"],
                        "source_note": r["note"] or f"import #{job.pk} {job.filename}"[:300],
                        "import_job": job,
                    },
                )
                written += 1
            audit.record(
                actor or job.created_by,
                "monitor.import.commit",
                job,
                after={
                    "file": job.filename,
                    "rows": written,
                    "summary": {k: v for k, v in job.summary.items() if k != "preview"},
                },
            )
            ImportJob.objects.filter(pk=job.pk).update(
                status="committed", committed_at=timezone.now(), processed_rows=job.total_rows
            )
    except Exception as exc:
        problem = Problem(
            "file", "commit_failed", f"写入失败，未做任何更改：{exc}", f"Writing failed and nothing was changed: {exc}"
        )
        ImportJob.objects.filter(pk=job.pk).update(status="failed", errors=[problem.as_dict()], error_count=1)
        return "failed"
    return "committed"


def template_workbook() -> bytes:
    """An empty import sheet with the header row and one example."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "统计数据 statistics"
    ws.append([f"{zh} {en}" for zh, en in COLUMNS.values()])
    ws.append(["tiers.high_tech", "2022-06-30", 375, "", "", "", "一、（三）", "示例 example"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
