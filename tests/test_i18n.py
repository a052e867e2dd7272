"""The label catalogue: both languages, the same placeholders, every key the code asks for."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from redengine.core import i18n
from redengine.core.i18n import LABELS, LANGUAGES, list_join, other_language, period_text, t

REPO = Path(__file__).resolve().parent.parent
CODE = [*REPO.glob("redengine/*.py"), *REPO.glob("pages/*.py"), REPO / "app.py"]


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


@pytest.mark.parametrize("key", sorted(LABELS))
def test_every_label_has_both_languages_with_the_same_placeholders(key):
    labels = LABELS[key]
    assert len(labels) == len(LANGUAGES) and all(isinstance(label, str) for label in labels)
    assert placeholders(labels[0]) == placeholders(labels[1]), key


def test_every_label_the_code_asks_for_by_name_is_in_the_catalogue():
    asked = {key for path in CODE for key in re.findall(r"\bt\(\s*\"(\w+)\"\s*[,)]", path.read_text(encoding="utf-8"))}
    assert asked, "the pattern should find the code's labels"
    assert sorted(asked - set(LABELS)) == []


def test_no_code_outside_the_catalogue_asks_which_language_is_chosen():
    asking = re.compile(r"""lang\s*[!=]=\s*["'](zh|en)["']""")
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for path in CODE
        if path.name != "i18n.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if asking.search(line)
    ]
    assert offenders == []


def test_every_language_has_its_list_separator_period_rules_money_scales_and_menu_name():
    for lang in LANGUAGES:
        assert lang in i18n.PERIOD_RULES and lang in i18n.MONEY_SCALES and lang in i18n.LANGUAGE_NAMES
    assert list_join(["江岸", "武昌"], "zh") == "江岸、武昌"
    assert list_join(["Jiang'an", "Wuchang"], "en") == "Jiang'an, Wuchang"
    assert {other_language(lang) for lang in LANGUAGES} == set(LANGUAGES)


@pytest.mark.parametrize(
    "label, zh",
    [
        ("2018 Q1", "2018年第一季度"),
        ("2019 H2", "2019年下半年"),
        ("as of 2020-06-30", "截至2020年6月30日"),
        ("cumulative to end-2021", "累计至2021年底"),
        ("2017–2021", "2017–2021年"),
        ("a period no rule knows", "a period no rule knows"),
    ],
)
def test_periods_read_in_chinese_and_stay_as_stored_in_english(label, zh):
    assert period_text(label, "zh") == zh
    assert period_text(label, "en") == label


def test_an_unknown_language_is_an_error_not_a_silent_default():
    with pytest.raises(ValueError):
        t("app_title", "fr")
