"""Excel import and export of the catalogue (事项清单): a round trip changes nothing; every
problem is named by row and column; a bad file changes nothing at all."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from zimao.catalog import excel
from zimao.catalog.models import ProcessDefinition, ServiceItem
from zimao.permits import catalogue

pytestmark = pytest.mark.django_db


def exported(tmp_path):
    path = tmp_path / "catalogue.xlsx"
    call_command("catalog", "export", str(path), stdout=io.StringIO())
    return path


def column(ws, key):
    for cell in ws[1]:
        if cell.value and str(cell.value).endswith(key):
            return cell.column_letter
    raise KeyError(key)


def row_of(ws, code):
    for row in ws.iter_rows(min_row=2):
        if row[0].value == code:
            return row[0].row
    raise KeyError(code)


def test_export_writes_one_row_per_item_with_the_list_columns(tmp_path, permit_zone):
    ws = load_workbook(exported(tmp_path))[excel.ITEMS_SHEET]
    assert ws.max_row - 1 == ServiceItem.objects.count()
    r = row_of(ws, "ZZ-PM")
    get = lambda key: ws[f"{column(ws, key)}{r}"].value  # noqa: E731
    assert get("name_zh") == "从事拍卖业务许可" and get("department") == "COMMERCE"
    assert get("reform_mode") == "实行告知承诺（commitment）" and "《拍卖管理办法》" in get("legal_basis")
    assert get("legal_limit_days") == 30 and get("promised_limit_days") == 0
    assert "拍卖师" in get("conditions_zh")


def test_a_round_trip_changes_nothing(tmp_path, permit_zone):
    path = exported(tmp_path)
    versions = ProcessDefinition.objects.count()
    counts = excel.import_workbook(path)
    assert not any(counts.values())
    assert ProcessDefinition.objects.count() == versions


def test_an_edited_cell_is_imported(tmp_path, permit_zone):
    path = exported(tmp_path)
    wb = load_workbook(path)
    ws = wb[excel.ITEMS_SHEET]
    r = row_of(ws, "ZZ-LXS")
    ws[f"{column(ws, 'promised_limit_days')}{r}"] = 0
    ws[f"{column(ws, 'validity_months')}{r}"] = 72
    ws[f"{column(ws, 'reform_mode')}{r}"] = "实行告知承诺"  # the Chinese name of the mode is accepted
    wb.save(path)
    excel.import_workbook(path)
    assert catalogue.facts(ServiceItem.objects.get(code="ZZ-LXS")).validity_months == 72


def test_errors_are_reported_by_row_and_column_and_nothing_changes(tmp_path, permit_zone):
    path = exported(tmp_path)
    wb = load_workbook(path)
    ws = wb[excel.ITEMS_SHEET]
    pm, lxs, spjy = row_of(ws, "ZZ-PM"), row_of(ws, "ZZ-LXS"), row_of(ws, "ZZ-SPJY")
    ws[f"{column(ws, 'name_zh')}{pm}"] = "改过的名称"  # a good change that must not survive
    ws[f"{column(ws, 'reform_mode')}{lxs}"] = "随便审批"
    ws[f"{column(ws, 'legal_limit_days')}{spjy}"] = "二十"
    ws[f"{column(ws, 'department')}{spjy}"] = "NOWHERE"
    ws[f"{column(ws, 'process')}{pm}"] = "{not json"
    wb.save(path)
    with pytest.raises(excel.ImportErrors) as exc:
        excel.import_workbook(path)
    found = {(p.row, p.key) for p in exc.value.problems}
    assert {(lxs, "reform_mode"), (spjy, "legal_limit_days"), (spjy, "department"), (pm, "process")} <= found
    where = {p.key: p for p in exc.value.problems}
    assert where["reform_mode"].column == column(ws, "reform_mode")
    assert f"第 {lxs} 行" in str(where["reform_mode"]) and f"row {lxs}" in str(where["reform_mode"])
    assert ServiceItem.objects.get(code="ZZ-PM").name_zh == "从事拍卖业务许可"


def test_a_process_that_fails_validation_is_named_and_rolls_back(tmp_path, permit_zone):
    path = exported(tmp_path)
    wb = load_workbook(path)
    ws = wb[excel.ITEMS_SHEET]
    r = row_of(ws, "ZZ-YPLS")
    cell = f"{column(ws, 'process')}{r}"
    ws[cell] = ws[cell].value.replace('"department": "AMR"', '"department": "MARS"')
    wb.save(path)
    with pytest.raises(excel.ImportErrors) as exc:
        excel.import_workbook(path)
    assert any(p.row == r and p.key == "process" and "MARS" in p.en for p in exc.value.problems)


def test_duplicate_codes_missing_columns_and_other_files(tmp_path, permit_zone):
    path = exported(tmp_path)
    wb = load_workbook(path)
    ws = wb[excel.ITEMS_SHEET]
    ws[f"A{row_of(ws, 'ZZ-LXS')}"] = "ZZ-PM"
    wb.save(path)
    with pytest.raises(excel.ImportErrors) as exc:
        excel.import_workbook(path)
    assert any(p.key == "code" and "重复" in p.zh for p in exc.value.problems)

    ws.delete_cols(5)  # reform_mode
    wb.save(path)
    with pytest.raises(excel.ImportErrors) as exc:
        excel.import_workbook(path)
    assert [p.key for p in exc.value.problems] == ["reform_mode"]

    not_excel = tmp_path / "notes.xlsx"
    not_excel.write_text("just text")
    with pytest.raises(excel.ImportErrors) as exc:
        excel.import_workbook(not_excel)
    assert exc.value.problems[0].key == "file"


def test_the_command_reports_problems_and_exits_non_zero(tmp_path, permit_zone):
    path = exported(tmp_path)
    wb = load_workbook(path)
    ws = wb[excel.ITEMS_SHEET]
    ws[f"{column(ws, 'promised_limit_days')}{row_of(ws, 'ZZ-PM')}"] = 99
    wb.save(path)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("catalog", "import", str(path), stderr=err, stdout=io.StringIO())
    assert "promised_limit_days" in err.getvalue() and "承诺时限不能长于法定时限" in err.getvalue()
    out = io.StringIO()
    call_command("catalog", "import", str(exported(tmp_path)), "--dry-run", stdout=out)
    assert "checked" in out.getvalue()


def test_a_new_item_comes_in_from_excel(tmp_path, permit_zone):
    path = exported(tmp_path)
    wb = load_workbook(path)
    ws = wb[excel.ITEMS_SHEET]
    src = row_of(ws, "ZZ-DWTZ")
    new = ws.max_row + 1
    for cell in ws[src]:
        ws.cell(row=new, column=cell.column, value=cell.value)
    ws[f"A{new}"] = "ZZ-NEW-CXL"
    ws[f"{column(ws, 'name_zh')}{new}"] = "新取消事项"
    wb.save(path)
    counts = excel.import_workbook(path)
    assert counts["services"] == 1
    assert catalogue.reform_mode(ServiceItem.objects.get(code="ZZ-NEW-CXL")) == "cancelled"
