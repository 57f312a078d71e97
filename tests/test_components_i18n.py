"""The message catalogue and the number and date formats of both languages."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from fundwatch.components import i18n
from fundwatch.components.i18n import t

ROOT = Path(__file__).resolve().parents[1]


def test_both_languages_have_the_same_messages_and_fields():
    _import_every_view_module()
    zh, en = i18n.MESSAGES["zh"], i18n.MESSAGES["en"]
    units = {lang: {key for _, key in i18n.MONEY_UNITS[lang]} for lang in i18n.LANGS}  # each its own units
    assert set(zh) - units["zh"] == set(en) - units["en"]
    assert units["zh"] <= set(zh) and units["en"] <= set(en)
    field = re.compile(r"{(\w+)}")
    for key in set(zh) - units["zh"]:  # English may use extra spellings (iso, mon) of the same value, never fewer
        assert set(field.findall(zh[key])) - {"y", "m", "d"} <= set(field.findall(en[key])) | {"m"}, key


def _import_every_view_module() -> None:
    """Page modules add their own catalogues (i18n.extend) when imported."""
    import importlib

    for folder in ("components", "dashboards"):
        for path in (ROOT / folder).glob("*.py"):
            if path.stem != "__init__":
                importlib.import_module(f"fundwatch.{folder}.{path.stem}")


def test_a_page_catalogue_must_be_whole_and_new():
    with pytest.raises(ValueError, match="same keys"):
        i18n.extend({"zh": {"x.only_zh": "甲"}, "en": {}})
    with pytest.raises(ValueError, match="defined twice"):
        i18n.extend({"zh": {"app.title": "甲"}, "en": {"app.title": "A"}})
    assert i18n.MESSAGES["zh"]["app.title"] == "赣州市扶贫资金监管平台"


def test_every_message_the_code_asks_for_exists():
    _import_every_view_module()
    used = set()
    for path in [*ROOT.glob("components/*.py"), *ROOT.glob("dashboards/*.py")]:
        used |= set(re.findall(r"""\bt\(\s*f?["']([a-z_]+\.[a-z_.]+)["']""", path.read_text(encoding="utf-8")))
    assert used, "the pattern finds the calls"
    assert not {key for key in used if "{" not in key} - set(i18n.MESSAGES["zh"])


@pytest.mark.parametrize(("yuan", "zh", "en"), [
    (271.2e8, "271.20亿元", "¥27.12bn"),
    (1.5e8, "1.50亿元", "¥150.00M"),
    (3_562_000, "356.20万元", "¥3.56M"),
    (12_345, "1.23万元", "¥12.35k"),
    (800, "800元", "¥800"),
    (float("nan"), "–", "–"),
])
def test_money_reads_in_wan_and_yi(yuan, zh, en):
    assert i18n.money(yuan, "zh") == zh
    assert i18n.money(yuan, "en") == en


def test_a_column_keeps_wan_until_yi_reads_ten():
    assert i18n.money_unit([1.98e8, 5e7], "zh") == (1e4, "万元")
    assert i18n.money_unit([12e8], "zh") == (1e8, "亿元")
    assert i18n.money_unit([1.98e8], "zh", compact=True) == (1e8, "亿元")
    assert i18n.money_unit([5e8], "en") == (1e6, "¥ M")


def test_dates_and_ratios_follow_the_language():
    day = dt.date(2020, 6, 30)
    assert i18n.date(day, "zh") == "2020年6月30日" and i18n.date(day, "en") == "2020-06-30"
    assert i18n.month_day(dt.date(2020, 3, 31), "zh") == "3月31日"
    assert i18n.month_day(dt.date(2020, 3, 31), "en") == "31 Mar"
    assert i18n.pct(0.5234) == "52.3%" and i18n.times(6.24, "zh") == "6.2倍" and i18n.times(6.24, "en") == "6.2×"
    assert i18n.households(12345, "zh") == "12,345户"


def test_vocabulary_labels_come_from_data():
    assert i18n.term("source_level", "central", "zh") == "中央"
    assert i18n.term("borrower_type", "poor_household", "en") == "Registered poor household"
    assert list(i18n.options("programme", "en"))[0] == "All"
    assert t("heading.overview", "en", place="Ganzhou", year=2020, date="2020-06-30") == "Ganzhou · 2020 · as of 2020-06-30"
    with pytest.raises(ValueError):
        t("app.title", "fr")
