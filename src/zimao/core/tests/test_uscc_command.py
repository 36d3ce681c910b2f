"""``zimao uscc``: checks codes given on the command line, in a file or on standard input, explains
each invalid one in Chinese and English, and exits 1 if any is invalid."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

GOOD = ["914403001922038216", "91110108551385082Q", "91440300100012316L"]
BAD = "91350100M000100Y4Z"


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("uscc", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_valid_codes_exit_0_and_say_valid():
    out = run(*GOOD)
    assert out.count("有效 valid") == 3
    assert "440300 深圳市" in out and "110108 海淀区" in out
    assert "3 checked, 3 valid, 0 invalid" in out


def test_an_invalid_code_exits_1_with_reasons_in_both_languages():
    out = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("uscc", GOOD[0], BAD, stdout=out)
    assert exc.value.returncode == 1
    assert "2 checked, 1 valid, 1 invalid" in str(exc.value)
    text = out.getvalue()
    assert f"{BAD}  无效 invalid" in text
    assert "应为“3”" in text and "should be '3'" in text


def test_file_with_comments_blank_lines_and_bom(tmp_path):
    path = tmp_path / "enterprises.txt"
    path.write_text("\ufeff# 企业名单\n" + GOOD[0] + "\n\n  " + GOOD[1].lower() + "  \n", encoding="utf-8")
    out = run("--file", str(path))
    assert out.count("有效 valid") == 2 and "2 checked" in out


def test_file_with_bad_codes_and_only_invalid(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text("\n".join([*GOOD, BAD, "9144O300100012316L"]), encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("uscc", "--file", str(path), "--only-invalid", stdout=out)
    assert "5 checked, 3 valid, 2 invalid" in str(exc.value)
    text = out.getvalue()
    assert "有效 valid" not in text
    assert "第5位“O”" in text and "Character 5 ('O')" in text


def test_standard_input(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(GOOD[2] + "\n"))
    assert "1 checked, 1 valid" in run("--file", "-")


def test_missing_file_and_no_codes():
    with pytest.raises(CommandError, match="cannot read"):
        run("--file", "/nonexistent/codes.txt")
    with pytest.raises(CommandError, match="give codes"):
        run()


@pytest.fixture
def zimao_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(ZIMAO_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="zimao.settings", PYTHONIOENCODING="utf-8")
    return env


def test_exit_codes_from_a_real_process(zimao_env):
    ok = subprocess.run([sys.executable, "-m", "zimao", "uscc", *GOOD], env=zimao_env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count("有效 valid") == 3

    bad = subprocess.run(
        [sys.executable, "-m", "zimao", "uscc", GOOD[0], BAD], env=zimao_env, capture_output=True, text=True
    )
    assert bad.returncode == 1
    assert "should be '3'" in bad.stdout
    assert "1 invalid" in bad.stderr


def test_stdin_from_a_real_process(zimao_env):
    proc = subprocess.run(
        [sys.executable, "-m", "zimao", "uscc", "--file", "-"],
        env=zimao_env,
        input=f"{GOOD[0]}\n{BAD}\n",
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert "2 checked, 1 valid, 1 invalid" in proc.stderr
