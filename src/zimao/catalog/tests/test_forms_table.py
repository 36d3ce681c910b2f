"""Generic form field types for structured data: ``table`` (rows of columns, e.g. a bill of goods)
and ``json`` (a structured value, e.g. a bill of materials), and decision-time fields."""

from zimao.catalog import forms

FORM = {
    "sections": [
        {
            "key": "goods",
            "fields": [
                {
                    "key": "items",
                    "type": "table",
                    "label_zh": "货物",
                    "label_en": "Goods",
                    "required": True,
                    "max_rows": 2,
                    "columns": [
                        {
                            "key": "description",
                            "type": "text",
                            "label_zh": "品名",
                            "label_en": "Description",
                            "required": True,
                        },
                        {
                            "key": "quantity",
                            "type": "decimal",
                            "label_zh": "数量",
                            "label_en": "Quantity",
                            "min": "0.001",
                        },
                        {"key": "bom", "type": "json", "label_zh": "物料清单", "label_en": "Bill of materials"},
                    ],
                }
            ],
        }
    ]
}


def test_table_rows_are_checked_cell_by_cell():
    cleaned, problems = forms.validate(
        FORM, {"goods": {"items": [{"description": "Chairs", "quantity": "5", "bom": '{"product": {}}'}]}}
    )
    assert problems == [] and cleaned["goods"]["items"] == [
        {"description": "Chairs", "quantity": "5", "bom": {"product": {}}}
    ]


def test_a_wrong_cell_is_named_by_row_and_column_in_both_languages():
    for rows, zh, en in (
        (
            [{"description": "A"}, {"description": "B", "quantity": "x"}],
            "第 2 行“数量”应为数字",
            "row 2: Quantity must be a number",
        ),
        ([{"quantity": "1"}], "第 1 行请填写“品名”", "row 1: enter Description"),
        ([{"description": "A", "colour": "red"}], "第 1 行没有“colour”这一列", "row 1 has no column 'colour'"),
        ([{"description": "A"}] * 3, "应有 1 至 2 行", "must have 1 to 2 rows"),
        ("not rows", "应为若干行的列表", "must be a list of rows"),
        ([{"description": "A", "bom": "{oops"}], "不是有效的 JSON", "is not valid JSON"),
    ):
        _, problems = forms.validate(FORM, {"goods": {"items": rows}})
        assert len(problems) == 1 and problems[0].field == "goods.items"
        assert zh in problems[0].zh and en in problems[0].en, (problems[0].zh, problems[0].en)


def test_decision_fields_are_validated_like_a_form_section():
    fields = [
        {"key": "cny_rate", "type": "decimal", "label_zh": "汇率", "label_en": "Exchange rate", "min": "0.000001"}
    ]
    assert forms.validate_decision(fields, {"cny_rate": "7.1"}) == ({"cny_rate": "7.1"}, [])
    _, problems = forms.validate_decision(fields, {"cny_rate": "x", "other": "1"})
    assert {p.field for p in problems} == {"fields.cny_rate", "fields.other"}
