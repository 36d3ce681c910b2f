"""Product-specific rules as data — 产品特定原产地规则表: shipped rows, lookup, HS editions, validation."""

from datetime import date

import pytest

from zimao.trade.origin import (
    Correlation,
    PsrError,
    PsrFileError,
    PsrTable,
    active_table,
    determine,
    override_path,
    parse_rule,
    shipped_table,
)
from zimao.trade.origin.psr import SHIPPED_CORRELATION, CorrelationRow

from .origin_helpers import assert_cited, make_bom, mat

HEADER = "hs_prefix,rule,hs_version,source,valid_from,valid_to\n"
TODAY = date(2025, 6, 1)


def table(*rows: str) -> PsrTable:
    return PsrTable.from_csv(HEADER + "".join(r + "\n" for r in rows))


# -- the shipped table


def test_shipped_table_holds_only_the_confirmed_rows():
    t = shipped_table()
    rows = {(e.hs_prefix, str(e.rule), e.hs_version) for e in t.entries}
    assert rows == {
        ("94", "CTH or RVC40", "HS2012"),
        ("8538", "CTH or RVC40", "HS2012"),
        ("8703", "RVC40", "HS2012"),
        ("2007", "CC", "HS2012"),
    }
    for e in t.entries:
        assert e.source.startswith("RCEP Annex 3A, Product-Specific Rules, HS 2012")


@pytest.mark.parametrize(
    "hs, rule", [("940360", "CTH or RVC40"), ("853890", "CTH or RVC40"), ("870323", "RVC40"), ("200799", "CC")]
)
def test_shipped_lookup(hs, rule):
    assert str(shipped_table().lookup(hs, "HS2012", TODAY).rule) == rule


def test_shipped_correlation_is_empty():
    assert len(Correlation.from_path(SHIPPED_CORRELATION)) == 0


def test_rule_absent_uses_the_table_and_cites_the_row():
    result = determine(make_bom([mat(hs="830210")], rule=None), shipped_table(), on=TODAY)
    assert result.originating and result.rule == "CTH or RVC40"
    assert result.rule_source["origin"] == "psr" and result.rule_source["hs_prefix"] == "94"
    assert any(
        ln.startswith("Annex 3A PSR 94 (HS2012)") and "source: RCEP Annex 3A" in ln
        for ln in result.as_dict()["explanation"]
    )
    assert_cited(result)


def test_a_rule_in_the_bill_never_reads_the_table(tmp_path):
    result = determine(make_bom([mat(hs="830210")]), tmp_path / "missing.csv")
    assert result.originating


# -- lookup


def test_most_specific_prefix_wins():
    t = table("94,CC,HS2012,s,,", "94.03,CTH,HS2012,s,,", "9403.60,CTSH,HS2012,s,,")
    assert str(t.lookup("940360", "HS2012", TODAY).rule) == "CTSH"
    assert str(t.lookup("940390", "HS2012", TODAY).rule) == "CTH"
    assert str(t.lookup("940190", "HS2012", TODAY).rule) == "CC"
    assert t.lookup("950300", "HS2012", TODAY) is None


def test_validity_dates_select_the_row():
    t = table("94,CTH,HS2012,s,,2022-12-31", "94,RVC40,HS2012,s,2023-01-01,")
    assert str(t.lookup("940360", "HS2012", date(2022, 12, 31)).rule) == "CTH"
    assert str(t.lookup("940360", "HS2012", date(2023, 1, 1)).rule) == "RVC40"


def test_the_bills_date_selects_rows():
    t = table("94,CTH,HS2012,s,,2022-12-31", "94,RVC40,HS2012,s,2023-01-01,")
    bom = make_bom([mat(hs="830210")], rule=None)
    bom["date"] = "2022-06-01"
    assert determine(bom, t).rule == "CTH"
    assert determine(bom, t, on=date(2024, 1, 1)).rule == "RVC40"


def test_overlapping_rows_are_refused():
    with pytest.raises(PsrFileError) as info:
        table("94,CTH,HS2012,s,,", "94,RVC40,HS2012,s,2023-01-01,")
    assert "line 3" in info.value.errors[0][2] and "overlaps line 2" in info.value.errors[0][2]


def test_from_rows_for_inline_tables():
    t = PsrTable.from_rows([{"hs_prefix": "9403", "rule": "RVC40", "hs_version": "HS2012", "source": "test"}])
    assert t.entries[0].rule == parse_rule("RVC40")


# -- HS editions are never compared silently


def test_other_edition_is_refused_with_a_clear_error():
    bom = make_bom([mat(hs="830210")], rule=None)
    bom["hs_version"] = "HS2022"
    with pytest.raises(PsrError) as info:
        determine(bom, shipped_table(), on=TODAY)
    field, zh, en = info.value.errors[0]
    assert field == "hs_version"
    assert "HS2012" in en and "not compared" in en and "HS2012" in zh


def corr(*pairs, source="WCO correlation HS2022–HS2012 (test)"):
    return Correlation([CorrelationRow("HS2022", a, "HS2012", b, source) for a, b in pairs])


def test_correlation_maps_every_code_into_the_rules_edition():
    bom = make_bom([mat(hs="830210")], rule=None)
    bom["hs_version"] = "HS2022"
    result = determine(bom, shipped_table(), correlation=corr(("940360", "940360"), ("830210", "830210")), on=TODAY)
    assert result.originating and result.rule == "CTH or RVC40"
    assert result.rule_source["transposed_from"] == "HS2022" and result.rule_source["hs_version"] == "HS2012"
    assert any("headnote 9" in ln and "WCO correlation" in ln for ln in result.as_dict()["explanation"])


def test_correlation_must_cover_the_materials_too():
    bom = make_bom([mat(hs="830210")], rule=None)
    bom["hs_version"] = "HS2022"
    with pytest.raises(PsrError) as info:
        determine(bom, shipped_table(), correlation=corr(("940360", "940360")), on=TODAY)
    assert [f for f, _, _ in info.value.errors] == ["hs_version", "materials[0].hs"]


def test_correlation_split_is_not_guessed():
    bom = make_bom([mat(hs="830210")], rule=None)
    bom["hs_version"] = "HS2022"
    c = corr(("940360", "940360"), ("830210", "830210"), ("830210", "830220"))
    with pytest.raises(PsrError) as info:
        determine(bom, shipped_table(), correlation=c, on=TODAY)
    assert "splits" in info.value.errors[-1][2]


def test_correlation_file_is_validated():
    with pytest.raises(PsrFileError) as info:
        Correlation.from_csv("from_version,from_code,to_version,to_code,source\nHS2022,9403,HS2012,940360,\n")
    fields = [f for f, _, _ in info.value.errors]
    assert fields == ["correlation line 2, column from_code", "correlation line 2, column source"]


# -- file validation: every bad row, named by line and column


def test_every_bad_row_and_column_is_reported():
    text = (
        "# comment\n# another\n"
        + HEADER
        + "94,CTH or RVC40,HS2012,ok,,\n"
        + "9,CTH,HS2012,s,,\n"
        + "85.38,CTH or,HS2012,s,,\n"
        + "87.03,RVC40,HS2099,,2023-13-01,\n"
        + "20.07,CC,HS2012,s,2024-01-01,2023-01-01\n"
        + "21,CC,HS2012,s\n"
    )
    with pytest.raises(PsrFileError) as info:
        PsrTable.from_csv(text, name="psr.csv")
    fields = [f for f, _, _ in info.value.errors]
    assert fields == [
        "psr.csv line 5, column hs_prefix",
        "psr.csv line 6, column rule",
        "psr.csv line 7, column hs_version",
        "psr.csv line 7, column source",
        "psr.csv line 7, column valid_from",
        "psr.csv line 8, column valid_to",
        "psr.csv line 9",
    ]
    for _f, zh, en in info.value.errors:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh) and en


def test_header_is_checked():
    with pytest.raises(PsrFileError) as info:
        PsrTable.from_csv("hs,rule,version\n94,CTH,HS2012\n")
    assert "missing column" in info.value.errors[0][2]
    with pytest.raises(PsrFileError):
        PsrTable.from_csv("# only a comment\n")


# -- where the table lives


def test_override_path_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ZIMAO_PSR_PATH", str(tmp_path / "psr.csv"))
    assert override_path() == tmp_path / "psr.csv"


def test_default_override_path_is_under_data_dir(monkeypatch, settings):
    monkeypatch.delenv("ZIMAO_PSR_PATH", raising=False)
    assert override_path() == settings.DATA_DIR / "rcep_psr.csv"


def test_override_is_read_in_preference_to_the_shipped_table(monkeypatch, tmp_path):
    path = tmp_path / "psr.csv"
    monkeypatch.setenv("ZIMAO_PSR_PATH", str(path))
    assert len(active_table()) == len(shipped_table())
    path.write_text(HEADER + "94,RVC40,HS2012,test,,\n")
    assert [str(e.rule) for e in active_table().entries] == ["RVC40"]
    result = determine(make_bom([mat(hs="830210")], rule=None))
    assert result.rule == "RVC40"
