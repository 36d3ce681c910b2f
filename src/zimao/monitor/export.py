"""Excel export — 导出Excel: every dashboard view as a workbook (openpyxl).

Each sheet carries the same figures the page shows, with period, source and the section of the
source report, so a spreadsheet handed on keeps its provenance.
"""

from __future__ import annotations

import io
from datetime import datetime

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet(wb, title: str, header: list[str], rows: list[list]):
    from openpyxl.styles import Font

    ws = wb.create_sheet(title[:31])
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([_cell(v) for v in row])
    for _idx, col in enumerate(ws.columns, start=1):
        width = max((len(str(c.value)) if c.value is not None else 0) for c in col)
        ws.column_dimensions[col[0].column_letter].width = min(60, max(10, width * 1.6))
    ws.freeze_panes = "A2"
    return ws


def _cell(v):
    if isinstance(v, datetime):
        return timezone.localtime(v).replace(tzinfo=None) if timezone.is_aware(v) else v
    if isinstance(v, (list, tuple)):
        return "、".join(str(x) for x in v)
    return v


def workbook(sheets: list[tuple[str, list[str], list[list]]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, header, rows in sheets:
        _sheet(wb, title, header, rows)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def response(sheets, filename: str) -> HttpResponse:
    resp = HttpResponse(workbook(sheets), content_type=XLSX)
    resp["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


def _target_text(t: dict | None) -> str:
    if not t:
        return ""
    return f"{t['comparison_text']} {t['display']}" + (f" ({t['deadline']})" if t["deadline"] else "")


def indicator_rows(rows: list[dict]) -> tuple[str, list[str], list[list]]:
    header = [
        _("Code"),
        _("Indicator"),
        _("Value"),
        _("Shown as"),
        _("Unit"),
        _("Period"),
        _("Growth year on year (%)"),
        _("Growth source"),
        _("Target"),
        _("Target met"),
        _("Source"),
        _("Section"),
        _("Published"),
    ]
    out = []
    for r in rows:
        f = r["latest"] or {}
        t = r["target"]
        out.append(
            [
                r["code"],
                r["name"],
                f.get("value"),
                f.get("display"),
                r["unit"],
                f.get("period_label"),
                f.get("yoy"),
                f.get("yoy_source"),
                _target_text(t),
                None if not t else t["met"],
                f.get("source") or r["source"],
                f.get("section"),
                r["published"],
            ]
        )
    return (_("Indicators"), header, out)


def industry_rows(data: dict) -> tuple[str, list[str], list[list]]:
    header = [
        _("Industry"),
        "3+1",
        _("Value"),
        _("Unit"),
        _("Period"),
        _("Growth year on year (%)"),
        _("Growth source"),
        _("Key enterprises"),
        _("Section"),
    ]
    rows = [
        [
            r["name"],
            r["role"],
            r["value"],
            data.get("unit"),
            data.get("period_label"),
            r["yoy"],
            r["yoy_source"],
            r["enterprises"],
            r["section"],
        ]
        for r in data["rows"]
    ]
    return (_("Industry output"), header, rows)


def series_rows(ind, points: list[dict]) -> tuple[str, list[str], list[list]]:
    header = [
        _("Period"),
        _("Value"),
        _("Shown as"),
        _("Unit"),
        _("Dimension"),
        _("Growth year on year (%)"),
        _("Growth source"),
        _("Source"),
        _("Section"),
        _("Note"),
    ]
    rows = [
        [
            p["period_label"],
            p["value"],
            p["display"],
            ind.unit(),
            p["dimension_label"],
            p["yoy"],
            p["yoy_source"],
            p["source"],
            p["section"],
            p["note"],
        ]
        for p in points
    ]
    return (_("Series"), header, rows)
