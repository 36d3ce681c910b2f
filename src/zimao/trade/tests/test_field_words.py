"""Trade forms and the origin explanation name fields in words, never by their keys (issue 14
item 8): 出口商名称 / Exporter name, 第1项货物 HS编码 / Goods item 1, HS code, 第1项原材料 / Material 1."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from zimao.core.errors import BusinessError
from zimao.trade.origin import determine
from zimao.trade.origin.model import BomError, load_bom
from zimao.trade.tests.origin_helpers import make_bom, mat
from zimao.trade.tests.test_trade_api import client_for, post
from zimao.trade.tests.test_window import declaration
from zimao.trade.tests.trade_helpers import application
from zimao.trade.window import services as window

# A key as code writes it: snake_case, a list position, or a dotted path.
RAW_KEY = re.compile(r"[a-z]+_[a-z_]+|[a-z]+\[\d+\]|[a-z]+\.[a-z_]{2,}")


def assert_in_words(texts):
    raw = [t for t in texts if RAW_KEY.search(t)]
    assert not raw, raw


def test_the_certificate_application_form_names_its_fields(trade):
    from zimao.trade.validation import clean_application

    data = application(trade.exporter.uscc)
    data["exporter"]["name"] = ""
    data["goods"][0]["fob_value"] = ""
    data["transport"]["port_of_discharge"] = ""
    data["invoices"][0]["date"] = "not a date"
    with pytest.raises(BusinessError) as exc:
        clean_application(trade.applicant, data)
    by_field = {p.field: p for p in exc.value.problems}
    assert by_field["exporter.name"].zh == "出口商名称：此项必填"
    assert by_field["exporter.name"].en == "Exporter name: is required"
    assert by_field["transport.port_of_discharge"].zh.startswith("卸货港：")
    assert by_field["invoices[0].date"].en.startswith("Invoice 1, date: ")
    assert_in_words([p.zh for p in exc.value.problems] + [p.en for p in exc.value.problems])


def test_the_single_window_declaration_names_goods_items(trade):
    data = declaration(trade.exporter.uscc)
    data["goods"].append({"hs": "12", "description": "", "quantity": "x", "unit": "PCS", "value": "1"})
    with pytest.raises(BusinessError) as exc:
        window.declare(trade.applicant, data)
    by_field = {p.field: p for p in exc.value.problems}
    assert by_field["goods[1].hs"].zh.startswith("第2项货物 HS编码：")
    assert by_field["goods[1].hs"].en.startswith("Goods item 2, HS code: ")
    assert_in_words([p.zh for p in exc.value.problems] + [p.en for p in exc.value.problems])


def test_the_api_s_schema_errors_name_fields_in_words(trade):
    data = application(trade.exporter.uscc)
    del data["exporter"]["name"]
    data["goods"][0]["fob_value"] = "1,000"
    response = post(client_for(trade.applicant), "certificates", data)
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert errors["exporter.name"]["message_zh"] == "出口商名称：此项必填"
    assert errors["goods.0.fob_value"]["message_zh"].startswith("第1项货物 离岸价（FOB）：")
    assert errors["goods.0.fob_value"]["message_en"].startswith("Goods item 1, FOB value: ")
    assert Client  # the API answers the same words to any client


def test_the_bill_of_materials_names_materials_and_build_up_costs():
    bom = make_bom([mat(value="abc")])
    bom["build_up"] = {"profit": "x"}
    with pytest.raises(BomError) as exc:
        load_bom(bom)
    messages = {field: (zh, en) for field, zh, en in exc.value.errors}
    assert messages["materials[0].value"][0].startswith("第1项原材料 价值：")
    assert messages["materials[0].value"][1].startswith("Material 1, value: ")
    assert messages["build_up.profit"][0].startswith("累加法成本 利润：")
    assert_in_words([t for pair in messages.values() for t in pair])


def test_the_origin_explanation_names_materials_and_costs_in_words():
    for bom in (make_bom([mat(value="60.00")], rule="RVC40"), make_bom([mat(value="60.00")], rule="RVC40")):
        result = determine(bom).as_dict()
        lines = result["explanation"] + result["explanation_zh"]
        assert_in_words(lines)
        assert any("Material 1 “part”" in line for line in result["explanation"])
        assert any("第1项原材料“part”" in line for line in result["explanation_zh"])
    bom = make_bom([mat(value="60.00")], rule="RVC40")
    bom["build_up"] = {"direct_labour": "10.00"}
    result = determine(bom).as_dict()
    assert any("利润" in line and "按零计" in line for line in result["explanation_zh"])
    assert_in_words(result["explanation"] + result["explanation_zh"])
