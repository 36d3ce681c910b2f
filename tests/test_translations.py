"""zh-Hans catalogues agree: Django merges every app's catalogue into one, so the same English
text translated two ways in two apps shows one app's words on the other's pages (the dashboard's
"Value" column read 货值, "goods value", from trade's catalogue). Text that means different things
carries a context (``{% translate "Value" context "goods" %}``, ``pgettext``)."""

import gettext
from pathlib import Path

from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent / "src" / "zimao"


def _catalogues() -> dict[str, dict]:
    found = {}
    for mo in sorted(ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.mo")):
        with mo.open("rb") as fh:
            found[str(mo.relative_to(ROOT))] = gettext.GNUTranslations(fh)._catalog
    return found


def test_no_text_is_translated_two_ways_across_apps():
    catalogues = _catalogues()
    assert len(catalogues) >= 5, "expected the project's and each app's catalogue"
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for where, catalogue in catalogues.items():
        for msgid, msgstr in catalogue.items():
            if not msgid or not msgstr:
                continue  # the header
            if msgid in seen and seen[msgid][0] != msgstr:
                clashes.append(f"{msgid!r}: {seen[msgid][0]!r} ({seen[msgid][1]}) vs {msgstr!r} ({where})")
            seen.setdefault(msgid, (msgstr, where))
    assert not clashes, "\n".join(clashes)


def test_words_that_mean_different_things_keep_their_meaning():
    with translation.override("zh-hans"):
        assert translation.pgettext("goods", "Value") == "货值"
        assert translation.gettext("Value") == "数值"
        assert translation.pgettext("innovation", "Outcome") == "成果"
        assert translation.pgettext("post-check", "Done") == "已核查"
        assert translation.gettext("Done") == "已办"
        assert translation.pgettext("certificate", "Refuse") == "不予签证"
        assert translation.gettext("Refuse") == "不予许可"
        assert translation.gettext("Change") == "修改"
        assert translation.pgettext("difference", "Change") == "变化"
