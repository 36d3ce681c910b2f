"""Field names people read (issue 14 item 8): an error names ``goods[0].hs`` as 第1项货物 HS编码 /
Goods item 1, HS code — wherever the path comes from (our validators or pydantic's locations)."""

from zimao.core import fieldnames
from zimao.core.errors import field_problem, problems_from_validation


def test_paths_become_words_in_both_languages(monkeypatch):
    monkeypatch.setattr(fieldnames, "_FIELD_LABELS", dict(fieldnames._FIELD_LABELS))
    monkeypatch.setattr(fieldnames, "_ITEM_LABELS", dict(fieldnames._ITEM_LABELS))
    fieldnames.register_field_labels(
        {
            "shipper": ("托运人", "Shipper"),
            "shipper.name": ("托运人名称", "Shipper name"),
            "hs": ("HS编码", "HS code"),
            "parts[].value": ("价值", "Value"),
        },
        {"goods": ("第{n}项货物", "Goods item {n}"), "parts": ("第{n}个零件", "Part {n}")},
    )
    label = fieldnames.field_label
    assert label("shipper.name") == ("托运人名称", "Shipper name")
    assert label("shipper.uscc") == ("托运人 统一社会信用代码", "Shipper, unified social credit code")
    assert label("goods[0].hs") == ("第1项货物 HS编码", "Goods item 1, HS code")
    assert label("goods.0.hs") == label("goods[0].hs")  # pydantic's locations
    assert label("parts[2].value") == ("第3个零件 价值", "Part 3, value")
    assert label("goods[1]") == ("第2项货物", "Goods item 2")
    assert label("") == ("请求", "Request")
    assert label("mystery_key") == ("mystery_key", "mystery_key")  # unknown: as it is, never invented


def test_pydantic_errors_and_field_problems_carry_the_words():
    [p] = problems_from_validation([{"loc": ("body", "payload", "name"), "type": "missing", "msg": "Field required"}])
    assert p.field == "name" and p.zh == "名称：此项必填" and p.en == "Name: Field required"
    p = field_problem("quantity", "required", "此项必填", "is required")
    assert (p.field, p.zh, p.en) == ("quantity", "数量：此项必填", "Quantity: is required")
