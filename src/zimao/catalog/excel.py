"""The catalogue as an Excel workbook (事项清单导入导出), the way officials exchange item lists.

``export_workbook`` writes one row per service item (code, name, department, legal basis,
limits, guide…, and the structured parts — materials, form, process — as JSON cells so a round
trip loses nothing), plus the departments on their own sheet. The attributes apps registered
with the catalogue (``catalog.extensions``: e.g. permits' reform mode, validity, conditions,
bundle) are columns of their own, checked by their kind, and an app's sheets (e.g. the
business-scope activities) are written and read beside them.

``import_workbook`` reads such a workbook back. Every cell is checked first and every problem is
reported with its sheet, row and column; if there is any problem nothing is changed, and the
load itself runs in one transaction (a process that fails validation rolls everything back).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from zimao.catalog import extensions, plugins, process
from zimao.catalog.models import Department, ServiceItem
from zimao.core.errors import BusinessError

ITEMS_SHEET = "事项清单 Items"
DEPARTMENTS_SHEET = "部门 Departments"
EXCEL_CELL_LIMIT = 32767  # characters Excel keeps in one cell

# (key, Chinese header, kind, width). Kinds: text, int, int?, bool, choice, dept, list, json[], json{}
# The catalogue's own columns; ``item_columns()`` adds the attributes apps registered.
BASE_COLUMNS = [
    ("code", "事项编码", "code", 16),
    ("name_zh", "事项名称", "text!", 36),
    ("name_en", "英文名称", "text!", 36),
    ("department", "实施部门", "dept", 12),
    ("legal_basis", "设定依据", "text", 50),
    ("legal_limit_days", "法定时限（工作日）", "int", 10),
    ("promised_limit_days", "承诺时限（工作日）", "int", 10),
    ("guide_zh", "办事指南", "text", 40),
    ("guide_en", "办事指南（英文）", "text", 30),
    ("rectification_days", "差评整改时限（工作日）", "int", 10),
    ("published", "是否公布", "bool", 8),
    ("checks", "提交检查", "list", 20),
    ("materials", "申请材料（JSON）", "json[]", 30),
    ("form", "申请表（JSON）", "json{}", 30),
    ("process", "办理流程（JSON）", "json{}?", 30),
]
BASE_REQUIRED = {"code", "name_zh", "name_en", "department", "legal_limit_days", "promised_limit_days"}
DEPARTMENT_COLUMNS = [("code", "部门编码"), ("name_zh", "部门名称"), ("name_en", "英文名称"), ("is_window", "综合窗口")]
ATTRIBUTE_KINDS = {"text": "text", "choice": "choice", "int?": "int?", "list": "list", "object": "json{}"}


def item_columns() -> list[tuple]:
    """The items sheet's columns: the catalogue's, each registered attribute after the column it
    names (at the end when it names none)."""
    columns = list(BASE_COLUMNS)
    for ext in extensions.registered():
        for name, attr in ext.attributes.items():
            column = (name, attr.column or attr.label_zh, ATTRIBUTE_KINDS[attr.kind], attr.width)
            keys = [c[0] for c in columns]
            at = keys.index(attr.after) + 1 if attr.after in keys else len(columns)
            columns.insert(at, column)
    return columns


def required_headers() -> set[str]:
    return BASE_REQUIRED | {
        name for ext in extensions.registered() for name, a in ext.attributes.items() if a.required_column
    }


def choice_cell(attr: extensions.Attribute, value: str) -> str:
    """A choice as the list writes it, Chinese first with its code: 实行告知承诺（commitment）."""
    if not value:
        return ""
    return f"{attr.choice_words(value)[0]}（{value}）"


def choice_aliases(attr: extensions.Attribute) -> dict[str, str]:
    """What a cell may say for each choice: the code, the Chinese, both, or the full label."""
    out = {"": "", "无": "", "none": ""}
    for value, zh, en in attr.choices:
        out.update({value: value, zh: value, choice_cell(attr, value): value, f"{zh} {en}": value})
    return out


CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
TRUE_WORDS = {"1", "true", "yes", "是", "y", "公布"}
FALSE_WORDS = {"0", "false", "no", "否", "n", "不公布"}


@dataclass(frozen=True)
class CellProblem:
    """One refusal, located: ``sheet!{column}{row}``, with the reason in both languages."""

    sheet: str
    row: int | None
    column: str | None
    key: str
    zh: str
    en: str

    @property
    def where_zh(self) -> str:
        if self.key == "file":
            return f"文件“{self.sheet}”"
        if self.row is None:
            return f"工作表“{self.sheet}”"
        return f"工作表“{self.sheet}”第 {self.row} 行" + (f" {self.column} 列（{self.key}）" if self.column else "")

    @property
    def where_en(self) -> str:
        if self.key == "file":
            return f"file '{self.sheet}'"
        if self.row is None:
            return f"sheet '{self.sheet}'"
        return f"sheet '{self.sheet}' row {self.row}" + (f", column {self.column} ({self.key})" if self.column else "")

    def __str__(self) -> str:
        return f"{self.where_zh}：{self.zh} / {self.where_en}: {self.en}"


class ImportErrors(Exception):
    def __init__(self, problems: list[CellProblem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


# ---------------------------------------------------------------- export


def _cell_json(value) -> str:
    if value in (None, {}, []):
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


def _attribute_cell(attr: extensions.Attribute, value):
    if attr.kind == "choice":
        return choice_cell(attr, value)
    if attr.kind == "list":
        return "，".join(value)
    if attr.kind == "object":
        return _cell_json(value)
    return value


def _item_values(item: ServiceItem, proc) -> dict:
    attributes = {
        name: _attribute_cell(attr, value)
        for ext in extensions.registered()
        for name, attr in ext.attributes.items()
        for value in [extensions.values(item, ext.app_label)[name]]
    }
    return {
        **attributes,
        "code": item.code,
        "name_zh": item.name_zh,
        "name_en": item.name_en,
        "department": item.department.code,
        "legal_basis": item.legal_basis,
        "legal_limit_days": item.legal_limit_days,
        "promised_limit_days": item.promised_limit_days,
        "guide_zh": item.guide_zh,
        "guide_en": item.guide_en,
        "rectification_days": item.rectification_days,
        "published": "是" if item.published else "否",
        "checks": "，".join(item.checks),
        "materials": _cell_json(item.materials),
        "form": _cell_json(item.form),
        "process": _cell_json(proc.definition) if proc else "",
    }


def _header(ws, columns):
    fill = PatternFill("solid", fgColor="DDE7F0")
    for i, (key, zh, *_rest) in enumerate(columns, 1):
        cell = ws.cell(row=1, column=i, value=f"{zh}\n{key}")
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "B2"
    ws.row_dimensions[1].height = 32


def export_workbook(path_or_stream, services=None) -> int:
    """Write the catalogue; returns the number of service-item rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = ITEMS_SHEET
    ITEM_COLUMNS = item_columns()
    _header(ws, ITEM_COLUMNS)
    services = services if services is not None else ServiceItem.objects.select_related("department").order_by("code")
    rows = 0
    for item in services:
        proc = item.processes.filter(published=True).order_by("-version").first()
        values = _item_values(item, proc)
        rows += 1
        for col, (key, _zh, _kind, _w) in enumerate(ITEM_COLUMNS, 1):
            value = values[key]
            if isinstance(value, str) and len(value) > EXCEL_CELL_LIMIT:
                raise BusinessError.of(
                    key,
                    "too_long",
                    f"{item.code} 的 {key} 超过 Excel 单元格长度上限",
                    f"{item.code}: {key} is longer than an Excel cell holds",
                )
            ws.cell(row=rows + 1, column=col, value=value).alignment = Alignment(wrap_text=False, vertical="top")
    for col, (_k, _zh, _kind, width) in enumerate(ITEM_COLUMNS, 1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.auto_filter.ref = f"A1:{get_column_letter(len(ITEM_COLUMNS))}{rows + 1}"

    dep = wb.create_sheet(DEPARTMENTS_SHEET)
    _header(dep, DEPARTMENT_COLUMNS)
    for r, d in enumerate(Department.objects.order_by("code"), 2):
        for c, value in enumerate((d.code, d.name_zh, d.name_en, "是" if d.is_window else "否"), 1):
            dep.cell(row=r, column=c, value=value)
    sheets = [dep]
    for spec in (sheet for ext in extensions.registered() for sheet in ext.sheets):
        extra = wb.create_sheet(spec.title)
        _header(extra, spec.columns)
        for r, values in enumerate(spec.rows(), 2):
            for c, value in enumerate(values, 1):
                extra.cell(row=r, column=c, value=value)
        sheets.append(extra)
    for sheet in sheets:
        for col, width in zip("ABCD", (16, 30, 40, 14), strict=False):
            sheet.column_dimensions[col].width = width
    wb.save(path_or_stream)
    return rows


# ---------------------------------------------------------------- import: reading


def _header_key(text, columns) -> str | None:
    """A header cell is "中文\\nkey"; the key alone or the Chinese alone also match."""
    if text is None:
        return None
    text = str(text).strip()
    keys = {c[0] for c in columns}
    for token in reversed(re.split(r"\s+", text)):
        if token in keys:
            return token
    by_zh = {c[1]: c[0] for c in columns}
    return by_zh.get(text.split("\n")[0].strip())


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _split_list(value) -> list[str]:
    if _blank(value):
        return []
    text = str(value).strip()
    if text.startswith("["):
        parsed = json.loads(text)
        if not isinstance(parsed, list):
            raise ValueError
        return [str(v) for v in parsed]
    return [v.strip() for v in re.split(r"[,，、;；\n]", text) if v.strip()]


def _read_sheet(ws, columns, problems, sheet):
    """Rows as ``[(row number, {key: (column letter, raw value)})]``; unknown headers are problems."""
    header = [cell.value for cell in next(ws.iter_rows(min_row=1, max_row=1))] if ws.max_row >= 1 else []
    mapping = {}
    for i, text in enumerate(header, 1):
        if _blank(text):
            continue
        key = _header_key(text, columns)
        if key is None:
            problems.append(
                CellProblem(
                    sheet,
                    1,
                    get_column_letter(i),
                    str(text),
                    f"无法识别的表头“{text}”",
                    f"unknown column header {text!r}",
                )
            )
        elif key in mapping.values():
            problems.append(
                CellProblem(sheet, 1, get_column_letter(i), key, f"表头“{key}”重复", f"column {key!r} appears twice")
            )
        else:
            mapping[i] = key
    rows = []
    for r, values in enumerate(ws.iter_rows(min_row=2, values_only=True), 2):
        if all(_blank(v) for v in values):
            continue
        rows.append(
            (
                r,
                {
                    key: (get_column_letter(i), values[i - 1] if i - 1 < len(values) else None)
                    for i, key in mapping.items()
                },
            )
        )
    return mapping, rows


def read_workbook(path) -> tuple[dict, list[CellProblem]]:
    """Parse and check a workbook; returns catalogue data for ``load_catalogue`` and the problems."""
    problems: list[CellProblem] = []
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        return {}, [
            CellProblem(
                str(Path(str(path)).name),
                None,
                None,
                "file",
                f"无法读取该 Excel 文件（{type(exc).__name__}）",
                f"the file cannot be read as an Excel workbook ({type(exc).__name__})",
            )
        ]
    if ITEMS_SHEET not in wb.sheetnames:
        return {}, [
            CellProblem(
                ITEMS_SHEET, None, None, "sheet", f"缺少工作表“{ITEMS_SHEET}”", f"the sheet {ITEMS_SHEET!r} is missing"
            )
        ]
    data: dict = {"departments": [], "services": []}
    for ext in extensions.registered():
        for section in ext.sections:
            data.setdefault(section, [])

    if DEPARTMENTS_SHEET in wb.sheetnames:
        _m, rows = _read_sheet(wb[DEPARTMENTS_SHEET], DEPARTMENT_COLUMNS, problems, DEPARTMENTS_SHEET)
        for r, cells in rows:
            row = {k: (str(v).strip() if not _blank(v) else "") for k, (_c, v) in cells.items()}
            for key in ("code", "name_zh", "name_en"):
                if not row.get(key):
                    col = cells.get(key, (None,))[0]
                    problems.append(CellProblem(DEPARTMENTS_SHEET, r, col, key, "必填", "is required"))
            if row.get("code") and not CODE_RE.match(row["code"]):
                problems.append(
                    CellProblem(
                        DEPARTMENTS_SHEET,
                        r,
                        cells["code"][0],
                        "code",
                        "编码只能含字母、数字、点、横线和下划线",
                        "a code has letters, digits, dots, dashes and underscores only",
                    )
                )
            data["departments"].append(
                {
                    "code": row.get("code", ""),
                    "name_zh": row.get("name_zh", ""),
                    "name_en": row.get("name_en", ""),
                    "is_window": row.get("is_window", "").lower() in TRUE_WORDS,
                }
            )
    for spec in (sheet for ext in extensions.registered() for sheet in ext.sheets):
        if spec.title not in wb.sheetnames:
            continue
        _m, rows = _read_sheet(wb[spec.title], spec.columns, problems, spec.title)
        for r, cells in rows:
            row = {k: (str(v).strip() if not _blank(v) else "") for k, (_c, v) in cells.items()}
            for key in spec.required:
                if not row.get(key):
                    problems.append(CellProblem(spec.title, r, cells.get(key, (None,))[0], key, "必填", "is required"))
            data[spec.section].append({key: row.get(key, "") for key, _zh in spec.columns})

    ITEM_COLUMNS = item_columns()
    REQUIRED_HEADERS = required_headers()
    mapping, rows = _read_sheet(wb[ITEMS_SHEET], ITEM_COLUMNS, problems, ITEMS_SHEET)
    missing = REQUIRED_HEADERS - set(mapping.values())
    for key in sorted(missing):
        problems.append(
            CellProblem(ITEMS_SHEET, 1, None, key, f"缺少必需的列“{key}”", f"the required column {key!r} is missing")
        )
    if missing:
        return data, problems

    departments = set(Department.objects.values_list("code", flat=True)) | {d["code"] for d in data["departments"]}
    item_codes = set(ServiceItem.objects.values_list("code", flat=True))
    seen: dict[str, int] = {}
    kinds = {c[0]: c[2] for c in ITEM_COLUMNS}
    file_codes = {str(cells["code"][1]).strip() for _r, cells in rows if not _blank(cells["code"][1])}
    context = {"item_codes": item_codes | file_codes, "data": data}

    for r, cells in rows:
        row: dict = {}

        def bad(key, zh, en, _r=r, _cells=cells):
            problems.append(CellProblem(ITEMS_SHEET, _r, _cells.get(key, (None,))[0], key, zh, en))

        for key, (_col, raw) in cells.items():
            kind = kinds[key]
            try:
                if kind == "code":
                    value = "" if _blank(raw) else str(raw).strip()
                    if not value:
                        bad(key, "事项编码必填", "the item code is required")
                    elif not CODE_RE.match(value):
                        bad(
                            key,
                            "编码只能含字母、数字、点、横线和下划线，最长40位",
                            "letters, digits, dots, dashes and underscores, at most 40",
                        )
                    elif value in seen:
                        bad(key, f"事项编码与第 {seen[value]} 行重复", f"the same code as row {seen[value]}")
                    seen.setdefault(value, r)
                    row[key] = value
                elif kind == "text!":
                    value = "" if _blank(raw) else str(raw).strip()
                    if not value:
                        bad(key, "必填", "is required")
                    elif len(value) > 200:
                        bad(key, "不能超过200个字", "at most 200 characters")
                    row[key] = value
                elif kind == "text":
                    row[key] = "" if _blank(raw) else str(raw).strip()
                elif kind in ("int", "int?"):
                    if _blank(raw):
                        if kind == "int" and key in REQUIRED_HEADERS:
                            bad(key, "必填，应为不小于0的整数", "is required: a whole number of 0 or more")
                        row[key] = None if kind == "int?" else 10
                        continue
                    number = float(str(raw).strip())
                    if number != int(number) or number < 0 or (kind == "int?" and number < 1):
                        raise ValueError
                    row[key] = int(number)
                elif kind == "bool":
                    text = "" if _blank(raw) else str(raw).strip().lower()
                    if text in TRUE_WORDS or text == "":
                        row[key] = True
                    elif text in FALSE_WORDS:
                        row[key] = False
                    else:
                        bad(key, "应为“是”或“否”", "must be yes or no")
                elif kind == "choice":
                    attr = extensions.owner(key)[1]
                    aliases = choice_aliases(attr)
                    text = "" if _blank(raw) else str(raw).strip()
                    if text not in aliases:
                        bad(
                            key,
                            f"{attr.label_zh}应为："
                            + "、".join(f"{zh}（{v}）" for v, zh, _en in attr.choices)
                            + "，或留空",
                            f"{attr.label_en.lower()} must be "
                            + ", ".join(v for v, _zh, _en in attr.choices)
                            + " (or blank)",
                        )
                    row[key] = aliases.get(text, "")
                elif kind == "dept":
                    text = "" if _blank(raw) else str(raw).strip()
                    if text not in departments:
                        bad(
                            key,
                            f"部门“{text}”不存在（见“{DEPARTMENTS_SHEET}”工作表）",
                            f"department {text!r} does not exist",
                        )
                    row[key] = text
                elif kind == "list":
                    row[key] = _split_list(raw)
                elif kind.startswith("json"):
                    if _blank(raw):
                        row[key] = None if kind.endswith("?") else ([] if kind.startswith("json[]") else {})
                        continue
                    value = json.loads(str(raw))
                    want = list if kind.startswith("json[]") else dict
                    if not isinstance(value, want):
                        bad(
                            key,
                            "应为 JSON " + ("数组" if want is list else "对象"),
                            "must be a JSON " + ("array" if want is list else "object"),
                        )
                        continue
                    row[key] = value
            except (ValueError, TypeError):
                if kind.startswith("json") or kind == "list":
                    bad(key, "不是有效的 JSON 或列表", "is not valid JSON or a list")
                else:
                    bad(
                        key,
                        "应为不小于0的整数" if kind == "int" else "应为不小于1的整数，或留空表示长期",
                        "must be a whole number of 0 or more"
                        if kind == "int"
                        else "must be a whole number of 1 or more, or blank for long-term",
                    )
        # Checks across cells of the row.
        if (
            isinstance(row.get("legal_limit_days"), int)
            and isinstance(row.get("promised_limit_days"), int)
            and row["promised_limit_days"] > row["legal_limit_days"]
        ):
            bad(
                "promised_limit_days",
                "承诺时限不能长于法定时限",
                "the promised limit cannot be longer than the legal limit",
            )
        for name in row.get("checks") or []:
            if name not in plugins.checks:
                bad("checks", f"未注册的提交检查 {name}", f"check {name!r} is not registered")
        for i, m in enumerate(row.get("materials") or []):
            if not isinstance(m, dict) or not m.get("key") or not m.get("name_zh"):
                bad("materials", f"第 {i + 1} 项材料缺少 key 或 name_zh", f"material {i + 1} needs a key and name_zh")
        form = row.get("form")
        if isinstance(form, dict) and form and not isinstance(form.get("sections"), list):
            bad("form", "申请表应含 sections 数组", "the form needs a sections array")
        routed = None
        for ext in extensions.registered():
            for key, zh, en in ext.check_row(row, context) if ext.check_row else []:
                bad(key, zh, en)
            routed = routed or (ext.route_row(row) if ext.route_row else None)
        if routed:
            section, entry = routed
            data[section].append(entry)
            continue
        if isinstance(row.get("process"), dict):
            for p in process.validate_definition(row["process"], departments):
                bad("process", f"{p.field}：{p.zh}", f"{p.field}: {p.en}")
        if row.get("process") is None:
            row.pop("process", None)
        data["services"].append(row)
    return data, problems


# ---------------------------------------------------------------- import: loading


def import_workbook(path, actor=None, *, dry_run: bool = False) -> dict:
    """Load a workbook into the catalogue, all or nothing. Raises ``ImportErrors``."""
    from zimao.catalog.services import load_catalogue

    data, problems = read_workbook(path)
    if problems:
        raise ImportErrors(problems)
    try:
        with transaction.atomic():
            counts = load_catalogue(data, actor)
            if dry_run:
                transaction.set_rollback(True)
    except BusinessError as exc:
        raise ImportErrors([CellProblem(ITEMS_SHEET, None, None, p.field, p.zh, p.en) for p in exc.problems]) from None
    return counts
