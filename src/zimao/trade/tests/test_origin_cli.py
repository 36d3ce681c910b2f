"""``zimao origin`` — the command-line contract (exit 0 originating, 1 not, 2 invalid; JSON on stdout)."""

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command

from zimao.core.fieldnames import field_label
from zimao.trade.origin.psr import SHIPPED_PSR

from .origin_helpers import make_bom, mat

# The example of the issue, verbatim.
CONTRACT_EXAMPLE = {
    "hs_version": "HS2012",
    "product": {
        "hs": "940360",
        "fob": "100.00",
        "currency": "USD",
        "country": "CN",
        "weight_kg": "12.5",
        "operations": ["assembly", "painting"],
    },
    "rule": "CTH or RVC40",
    "build_up": {"direct_labour": "10.00", "direct_overhead": "5.00", "profit": "8.00", "other_cost": "2.00"},
    "materials": [
        {
            "description": "oak boards",
            "hs": "440791",
            "country": "TH",
            "originating": True,
            "value": "20.00",
            "weight_kg": "10",
        },
        {"description": "hinges", "hs": "830210", "country": "DE", "originating": False, "value": "5.00"},
    ],
}


@pytest.fixture(autouse=True)
def local_psr(monkeypatch, tmp_path):
    """Each test gets its own (absent) override file, so a developer's var/ never leaks in."""
    path = tmp_path / "override" / "rcep_psr.csv"
    monkeypatch.setenv("ZIMAO_PSR_PATH", str(path))
    return path


def run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("origin", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def write(tmp_path, data, name="bom.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def has_chinese(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# -- check


def test_contract_example_is_originating(tmp_path):
    code, out, _ = run("check", write(tmp_path, CONTRACT_EXAMPLE))
    assert code == 0
    data = json.loads(out)
    assert data["originating"] is True
    assert data["criterion"] == ["CTC"]
    assert data["rule"] == "CTH or RVC40"
    assert data["rvc"] == {**data["rvc"], "build_down": "95.00", "build_up": "45.00"}
    assert data["explanation"] and data["to_qualify"] == []


def test_not_originating_exits_1_with_what_would_qualify(tmp_path):
    bom = make_bom([mat("legs", hs="940390", value="65.00")], operations=["assembly"])
    code, out, _ = run("check", write(tmp_path, bom))
    assert code == 1
    data = json.loads(out)
    assert data["originating"] is False and data["criterion"] == []
    assert {h["kind"] for h in data["to_qualify"]} >= {"ctc", "rvc", "source_from_party"}


def test_rule_absent_uses_the_psr_table(tmp_path):
    bom = make_bom([mat(hs="830210")], rule=None)
    code, out, _ = run("check", write(tmp_path, bom), "--date", "2025-01-01")
    assert code == 0
    data = json.loads(out)
    assert data["rule"] == "CTH or RVC40" and data["rule_source"]["hs_prefix"] == "94"


def test_explicit_psr_file(tmp_path):
    psr = write(tmp_path, "hs_prefix,rule,hs_version,source,valid_from,valid_to\n94,CC,HS2012,test,,\n", "psr.csv")
    bom = make_bom([mat(hs="940390", value="50.00")], rule=None, operations=["assembly"])
    code, out, _ = run("check", write(tmp_path, bom), "--psr", psr)
    assert code == 1 and json.loads(out)["rule"] == "CC"


@pytest.mark.parametrize(
    "bad, field, en_fragment",
    [
        ("{not json", "BOM", "Not valid JSON"),
        ('{"hs_version": "HS2012", "hs_version": "HS2017"}', "BOM", "duplicate key"),
        (json.dumps(make_bom(hs="12")), "product.hs", "6-digit HS subheading"),
        (json.dumps({**make_bom(), "materials": [mat(value="abc")]}), "materials[0].value", "must be a number"),
        (json.dumps({**make_bom(), "materails": []}), "materails", "unknown field"),
    ],
)
def test_invalid_input_exits_2_naming_the_field_in_both_languages(tmp_path, bad, field, en_fragment):
    code, out, err = run("check", write(tmp_path, bad))
    assert code == 2
    error = json.loads(out)["error"]
    assert error["field"] == field
    # The message names the field in words (第1项原材料 价值 / Material 1, value), not by its path.
    words_zh, words_en = field_label(field) if field != "BOM" else ("BOM", "BOM")
    assert error["message_zh"].startswith(words_zh) and has_chinese(error["message_zh"])
    assert error["message_en"].startswith(words_en) and en_fragment in error["message_en"]
    assert error["errors"][0]["field"] == field
    assert en_fragment in err and has_chinese(err)


def test_missing_file_exits_2(tmp_path):
    code, out, _ = run("check", str(tmp_path / "nope.json"))
    assert code == 2 and json.loads(out)["error"]["field"] == "BOM"


def test_no_rule_anywhere_exits_2(tmp_path):
    bom = make_bom([mat(hs="830210")], rule=None, hs="010121")
    code, out, _ = run("check", write(tmp_path, bom))
    error = json.loads(out)["error"]
    assert code == 2 and error["field"] == "rule" and error["code"] == "no_rule"


def test_other_hs_edition_exits_2(tmp_path):
    bom = make_bom([mat(hs="830210")], rule=None)
    bom["hs_version"] = "HS2022"
    code, out, _ = run("check", write(tmp_path, bom))
    assert code == 2 and json.loads(out)["error"]["field"] == "hs_version"


def test_bad_date_option_exits_2(tmp_path):
    code, out, _ = run("check", write(tmp_path, CONTRACT_EXAMPLE), "--date", "tomorrow")
    assert code == 2 and json.loads(out)["error"]["field"] == "--date"


def test_json_numbers_are_read_as_decimals(tmp_path):
    text = json.dumps(CONTRACT_EXAMPLE).replace('"100.00"', "100.10")
    code, out, _ = run("check", write(tmp_path, text))
    assert code == 0 and json.loads(out)["product"]["fob"] == "100.10"


# -- import-psr


PSR_OK = (
    "# official schedule (test)\n"
    "hs_prefix,rule,hs_version,source,valid_from,valid_to\n"
    "94,RVC40,HS2022,test schedule,2023-01-01,\n"
    "94,CTH or RVC40,HS2012,test schedule,,\n"
)


def test_import_writes_the_override_and_the_engine_uses_it(tmp_path, local_psr):
    code, out, _ = run("import-psr", write(tmp_path, PSR_OK, "psr.csv"))
    assert code == 0
    data = json.loads(out)
    assert data["imported"] == 2 and data["hs_versions"] == {"HS2012": 1, "HS2022": 1}
    assert data["path"] == str(local_psr) and local_psr.read_text() == PSR_OK
    bom = make_bom([mat(hs="940390", value="50.00")], rule=None, operations=["assembly"])
    bom["hs_version"] = "HS2022"
    code, out, _ = run("check", write(tmp_path, bom), "--date", "2024-05-01")
    assert code == 0 and json.loads(out)["rule"] == "RVC40"


def test_bad_file_changes_nothing_and_names_rows_and_columns(tmp_path, local_psr):
    local_psr.parent.mkdir(parents=True)
    local_psr.write_text(PSR_OK)
    bad = PSR_OK + "85.38,CTH or,HS2012,s,,\n87.03,RVC40,HS2012,,,\n"
    code, out, err = run("import-psr", write(tmp_path, bad, "bad.csv"))
    assert code == 2
    errors = json.loads(out)["error"]["errors"]
    assert [e["field"].split("bad.csv ")[1] for e in errors] == ["line 5, column rule", "line 6, column source"]
    assert all(has_chinese(e["message_zh"]) for e in errors)
    assert local_psr.read_text() == PSR_OK
    assert "column rule" in err


def test_check_only_writes_nothing(tmp_path, local_psr):
    code, out, _ = run("import-psr", write(tmp_path, PSR_OK, "psr.csv"), "--check")
    assert code == 0 and json.loads(out)["valid_rows"] == 2
    assert not local_psr.exists()


def test_the_shipped_table_imports_cleanly(tmp_path, local_psr):
    code, _, _ = run("import-psr", str(SHIPPED_PSR), "--check")
    assert code == 0


def test_empty_or_missing_file_exits_2(tmp_path):
    assert run("import-psr", write(tmp_path, "hs_prefix,rule,hs_version,source,valid_from,valid_to\n", "e.csv"))[0] == 2
    assert run("import-psr", str(tmp_path / "missing.csv"))[0] == 2


# -- the real command line: exit codes reach the shell, stdin works


@pytest.mark.parametrize(
    "bom, expected",
    [
        (CONTRACT_EXAMPLE, 0),
        (make_bom([mat("legs", hs="940390", value="65.00")], operations=["assembly"]), 1),
        ({"hs_version": "HS2012"}, 2),
    ],
)
def test_exit_codes_through_the_zimao_command(tmp_path, bom, expected):
    env = {**os.environ, "ZIMAO_DATA_DIR": str(tmp_path), "ZIMAO_PSR_PATH": str(tmp_path / "none.csv")}
    proc = subprocess.run(
        [sys.executable, "-m", "zimao", "origin", "check", "-"],
        input=json.dumps(bom),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert proc.returncode == expected, proc.stderr
    data = json.loads(proc.stdout)
    assert ("error" in data) == (expected == 2)
