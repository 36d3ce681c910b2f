"""Lists and asides in the reader's language (walkthrough of issue 14): an English page joined a
multi-choice answer with the Chinese 顿号 ("Company seal、Tax registration") and put a code in
full-width brackets ("Jianxi District, Luoyang（410305）"). Chinese pages keep 、 and （）."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from zimao.catalog import forms as engine
from zimao.catalog.services import get_service
from zimao.testing import ESTABLISHMENT, application
from zimao.web import forms as web_forms

pytestmark = pytest.mark.django_db


def rows(language: str) -> dict[str, str]:
    service = get_service(ESTABLISHMENT)
    with translation.override(language):
        groups = web_forms.grouped_summary(service.form, application(), language)
    return {row["label"]: str(row["value"]) for group in groups for row in group["rows"]}


def test_the_check_page_lists_in_english_with_commas_and_ascii_brackets(zone):
    english = rows("en")
    assert english["Steps you want done"].startswith("Company seal, ")
    assert "、" not in english["Steps you want done"]
    assert english["Administrative division"].endswith(" (410305)")
    assert not any(ch in value for value in english.values() for ch in "、（）")


def test_the_check_page_keeps_chinese_punctuation_in_chinese(zone):
    chinese = rows("zh-hans")
    assert "、" in chinese["需要同步办理的事项"]
    assert chinese["行政区划"].endswith("（410305）")


def test_display_joins_a_list_the_readers_way():
    assert engine.display(["a", "b"], "en") == "a, b"
    assert engine.display(["甲", "乙"]) == "甲、乙"


@pytest.mark.parametrize(("language", "expected"), [("en", "A, B · Seal (X1)"), ("zh-hans", "A、B · Seal（X1）")])
def test_the_words_and_aside_filters(language, expected):
    template = Template("{% load zimao_web %}{{ items|words }} · {{ name }}{{ code|aside }}")
    with translation.override(language):
        assert template.render(Context({"items": ["A", "B"], "name": "Seal", "code": "X1"})) == expected


@pytest.mark.parametrize(("language", "expected"), [("en", "a, b, c"), ("zh-hans", "a、b、c")])
def test_the_separator_tag_between_items_of_a_loop(language, expected):
    template = Template(
        "{% load zimao_web %}{% for x in xs %}{{ x }}{% if not forloop.last %}{% separator %}{% endif %}{% endfor %}"
    )
    with translation.override(language):
        assert template.render(Context({"xs": ["a", "b", "c"]})) == expected
