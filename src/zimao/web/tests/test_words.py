"""Words on the pages (issue 14 item 11): log-out reads 退出登录 (注销 is a company's
deregistration), and no label is printed twice in a row ("长期 长期", "扫码核验 · 扫码核验" came from
a template printing a translated string and the same Chinese next to it)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from zimao.licences import services as licences

pytestmark = pytest.mark.django_db
PASSWORD = "zimao-demo-2026"

_DROP = re.compile(r"<(script|style|svg)\b.*?</\1>", re.S | re.I)
_BLOCK = re.compile(
    r"</?(?:p|div|td|th|tr|li|ul|ol|dd|dt|dl|h[1-6]|br|table|thead|tbody|section|article|header|footer|nav|"
    r"figure|figcaption|label|button|option|select|form|main|a|input|legend|fieldset|summary|details)\b[^>]*>",
    re.I,
)
_TAG = re.compile(r"<[^>]+>")
# A phrase of two or more Chinese characters (or an English phrase of two or more words) printed
# twice in a row, with at most a space, a middle dot or a slash between.
_REPEAT_ZH = re.compile(r"(?<![\u4e00-\u9fff])([\u4e00-\u9fff]{2,})\s*[·/|]?\s*\1(?![\u4e00-\u9fff])")
_REPEAT_EN = re.compile(r"\b([A-Za-z]+(?: [A-Za-z]+)+)\s*[·/|]\s*\1\b")


def repeated_phrases(html: str) -> list[str]:
    """Phrases printed twice in a row within one line of a rendered page (a cell, an item, a
    heading): each block element is a line of its own, so two table rows both saying 长期 are not
    a repeat."""
    text = _TAG.sub("", _BLOCK.sub("\n", _DROP.sub(" ", html)))
    found = []
    for line in unescape(text).splitlines():
        line = " ".join(line.split())
        found += [m.group(0) for m in _REPEAT_ZH.finditer(line)] + [m.group(0) for m in _REPEAT_EN.finditer(line)]
    return found


def test_the_scanner_finds_a_repeat_and_nothing_else():
    assert repeated_phrases("<td>2026-01-01 – 长期 长期</td>") == ["长期 长期"]
    assert repeated_phrases("<figcaption>扫码核验 · 扫码核验<br>x</figcaption>") == ["扫码核验 · 扫码核验"]
    assert repeated_phrases("<td>长期</td><td>长期</td>") == []
    assert repeated_phrases("<p>营业执照 · Business licence</p><p>核验 · 核验码</p>") == []
    assert repeated_phrases("<p>Scan to verify · Scan to verify</p>") == ["Scan to verify · Scan to verify"]


@pytest.fixture
def licence(zone):
    return licences.issue_credential(
        kind="business_licence",
        title_zh="营业执照",
        title_en="Business licence",
        holder_uscc="91110108551385082Q",
        holder_name="示例科技有限公司",
        subject={"name": "示例科技有限公司", "applicant_user_id": zone.applicant.pk},
        actor="system:test",
    )


PUBLIC = ["/", "/services/", "/services/QYKB-001/", "/login/", "/register/", "/verify/", "/permits/", "/coo/verify/"]
BY_USER = {
    "applicant": ["/cases/", "/apply/QYKB-001/", "/permits/companies/", "/trade/"],
    "reviewer": ["/workbench/", "/workbench/?view=done"],
    "clerk": ["/window/"],
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_page_prints_a_label_twice(client, zone, licence, language):
    client.cookies["django_language"] = language
    pages = [*PUBLIC, f"/verify/{licence.identifier}/", f"/verify/{licence.holder_uscc}/"]
    seen = {}
    for path in pages:
        seen[path] = client.get(path).content.decode()
    for username, paths in BY_USER.items():
        client.force_login(getattr(zone, username))
        for path in paths:
            seen[f"{username}:{path}"] = client.get(path).content.decode()
    client.force_login(zone.applicant)
    seen["licence"] = client.get(f"/licences/{licence.identifier}/").content.decode()
    repeats = {where: found for where, html in seen.items() if (found := repeated_phrases(html))}
    assert not repeats, repeats


def test_log_out_is_退出登录_and_never_注销(client, zone, django_user_model):
    client.cookies["django_language"] = "zh-hans"
    client.force_login(zone.applicant)
    page = client.get("/cases/").content.decode()
    assert "退出登录" in page and "注销" not in page
    admin = django_user_model.objects.create_superuser("root", password="pw-root-1")
    client.force_login(admin)
    page = client.get("/admin/").content.decode()
    assert "退出登录" in page and "注销" not in page  # Django's own catalogue says 注销; ours wins


def test_no_table_caption_repeats_the_heading_just_above_it():
    """A screen reader reads a heading and then a caption saying the same again: a table under its
    own heading is labelled by it (``aria-labelledby``), not captioned a second time."""
    from pathlib import Path

    import zimao

    pattern = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>|<caption[^>]*>(.*?)</caption>", re.S)
    repeats = []
    for template in Path(zimao.__file__).parent.rglob("templates/**/*.html"):
        last_heading = None
        for heading, caption in pattern.findall(template.read_text(encoding="utf-8")):
            if heading:
                last_heading = heading.strip()
            elif caption.strip() == last_heading:
                repeats.append(f"{template.name}: {caption.strip()}")
    assert repeats == []
