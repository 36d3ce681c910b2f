"""The portal's generic forms draw a ``table`` field (a bill of goods) and a ``json`` cell: the
RCEP-CO form's goods and invoices are filled on the generic apply pages, row by row."""

from django.http import QueryDict
from django.urls import reverse

from zimao.catalog import services as catalog
from zimao.portal import forms

GOODS = {
    "key": "items",
    "type": "table",
    "label_zh": "货物",
    "label_en": "Goods",
    "required": True,
    "max_rows": 3,
    "columns": [
        {"key": "description", "type": "text", "label_zh": "品名", "label_en": "Description", "required": True},
        {"key": "quantity", "type": "decimal", "label_zh": "数量", "label_en": "Quantity"},
        {"key": "bom", "type": "json", "label_zh": "物料清单", "label_en": "Bill of materials"},
    ],
}
SECTION = {"key": "goods", "fields": [GOODS]}


def test_rows_are_read_in_order_and_blank_rows_left_out():
    post = QueryDict(mutable=True)
    post.update({"items[0].description": "Chairs", "items[0].quantity": " 5 ", "items[2].description": "Tables"})
    post.update({"items[2].bom": '{"materials": []}', "items[1].description": "  "})
    values, typed = forms.read_post(SECTION, post, {})
    assert values["items"] == [
        {"description": "Chairs", "quantity": "5"},
        {"description": "Tables", "bom": '{"materials": []}'},
    ]
    assert typed["items"] == values["items"]


def test_a_table_is_drawn_with_its_answers_and_spare_rows_up_to_the_limit():
    from django.utils import translation

    saved = {"items": [{"description": "Chairs", "quantity": "5", "bom": {"materials": [1]}}]}
    with translation.override("zh-hans"):
        (field,) = forms.bound_fields(SECTION, saved=saved)
    assert field["widget"] == "table" and [c["label"] for c in field["columns"]] == ["品名", "数量", "物料清单"]
    assert len(field["rows"]) == 3  # one answered, two spare, at most max_rows
    first = {c["name"]: c for c in field["rows"][0]["cells"]}
    assert first["items[0].description"]["value"] == "Chairs"
    assert first["items[0].bom"]["widget"] == "textarea" and first["items[0].bom"]["value"] == '{"materials": [1]}'
    assert (
        first["items[0].quantity"]["inputmode"] == "decimal"
        and first["items[0].quantity"]["id"] == "f-items-0-quantity"
    )
    assert forms.summary_data({"sections": [SECTION]}, {"goods": saved})["goods"]["items"].startswith("1. Chairs · 5")


def test_the_generic_apply_page_fills_the_certificates_goods(trade, client):
    service = catalog.get_service("RCEP-CO")
    section = next(s for s in service.form["sections"] if s["key"] == "goods")
    columns = [c["key"] for c in section["fields"][0]["columns"]]
    client.force_login(trade.applicant)
    url = reverse("web:apply_section", args=["RCEP-CO", "goods"])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert all(f'name="items[0].{c}"' in html for c in columns) and 'aria-labelledby="f-items-description-head' in html

    row = {"description": "Oak chairs", "packages": "10 cartons", "quantity": "500", "unit": "PCS"}
    wrong = client.post(url, {f"items[0].{k}": v for k, v in {**row, "fob_value": "lots"}.items()})
    assert wrong.status_code != 302 and "第 1 行" in wrong.content.decode()
    assert 'value="Oak chairs"' in wrong.content.decode()  # what was typed comes back

    done = client.post(url, {f"items[0].{k}": v for k, v in {**row, "fob_value": "50000"}.items()})
    assert done.status_code == 302
    again = client.get(url).content.decode()
    assert 'value="Oak chairs"' in again and 'name="items[1].description"' in again
