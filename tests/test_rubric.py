"""The assessment rubric (issue 5): hand-worked scores for every item kind and cap, validation of
rubric files, the two shipped Chaoyang rubrics, measures shared with the policy rules, manual
entry with its audit row, and ``fundwatch score`` -- on SQLite and PostgreSQL.

The hand-built database (``hand`` fixture) has three counties with allocations worked out below;
its expected scores on ``chaoyang-2020-sector`` are computed by hand in the comments.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from itertools import count

import pytest
import yaml
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from fundwatch.data import models as m
from fundwatch.data.rubric import (
    MEASURE_INFO, ItemInput, RubricError, ScoreInputError, ScoreRepository, ValuesError, install_rubric,
    load_rubric, measure, parse_rubric, rank_units, read_rubric_file, read_values, resolve_rubric,
    rubric_from_db, score_unit, scorecard_frame, scores_frame, sync_rubric, unit_scores,
)
from fundwatch.data.rubric import loader as rubric_loader
from fundwatch.data.rules import evaluate, get_rule
from fundwatch.data.scope import Scope

D = dt.date
P = Decimal
ALL = Scope.all()
YUDU, XINGGUO, HUICHANG = "360731", "360732", "360733"
SECTOR, VILLAGE = "chaoyang-2020-sector", "chaoyang-2020-village"


# ---------------------------------------------------------------------------------------------
# A rubric with every kind, worked by hand
# ---------------------------------------------------------------------------------------------

KINDS_RUBRIC = {
    "name": "test-kinds",
    "title_zh": "测试", "title_en": "Test", "year": 2020, "basis": "tests", "max_points": 100,
    "bonus_cap": 20,
    "items": [
        {"code": "a", "title_zh": "甲", "title_en": "A", "kind": "group", "max_points": 60, "items": [
            {"code": "a_manual", "title_zh": "人工", "title_en": "Manual", "kind": "manual", "max_points": 10},
            {"code": "a_ratio", "title_zh": "比例", "title_en": "Ratio", "kind": "ratio", "max_points": 20,
             "params": {"target": 0.20}},
            {"code": "a_most", "title_zh": "不超过", "title_en": "At most", "kind": "ratio", "max_points": 10,
             "params": {"target": 8, "direction": "at_most", "unit": "times"}},
            {"code": "a_deduct", "title_zh": "扣分", "title_en": "Deduction", "kind": "deduction", "max_points": 20,
             "params": {"per": 2}},
        ]},
        {"code": "b", "title_zh": "乙", "title_en": "B", "kind": "manual", "max_points": 40},
        # bonus items worth 5 + 2 + 10 + 8 = 25, capped at 20
        {"code": "c_step", "title_zh": "阶梯", "title_en": "Step", "kind": "step", "max_points": 5, "bonus": True,
         "params": {"threshold": 0.20, "step": 0.10, "per_step": 1}},
        {"code": "c_comm", "title_zh": "表彰", "title_en": "Commendations", "kind": "group", "max_points": 2,
         "bonus": True, "params": {"cap": True}, "items": [
             {"code": "c_prov", "title_zh": "省级", "title_en": "Provincial", "kind": "per_occurrence",
              "max_points": 2, "params": {"per": 0.5}},
             {"code": "c_nat", "title_zh": "国家级", "title_en": "National", "kind": "per_occurrence",
              "max_points": 2, "params": {"per": 1}},
         ]},
        {"code": "c_funds", "title_zh": "资金", "title_en": "Funds", "kind": "manual", "max_points": 10,
         "bonus": True},
        {"code": "c_extra", "title_zh": "创新", "title_en": "Innovation", "kind": "manual", "max_points": 8,
         "bonus": True},
        {"code": "veto", "title_zh": "一票否决", "title_en": "Veto", "kind": "veto"},
    ],
}


@pytest.fixture(scope="module")
def kinds():
    return parse_rubric(copy.deepcopy(KINDS_RUBRIC), "test-kinds")


def points(rubric, code, value):
    return score_unit(rubric, {code: value}).item(code).points


@pytest.mark.parametrize(("value", "expected"), [
    ("0.20", "20"),         # at the target: full points
    ("0.35", "20"),         # above: still full, never more
    ("0.15", "15"),         # 20 x 0.15 / 0.20
    ("0.123", "12.30"),     # 20 x 0.123 / 0.20
    ("0.12345", "12.35"),   # 12.345 rounded half-up to hundredths
    ("0.12344", "12.34"),
    ("0", "0"),
    ("-0.05", "0"),         # shrinking input earns nothing
])
def test_ratio_at_below_and_above_target(kinds, value, expected):
    assert points(kinds, "a_ratio", value) == P(expected)


@pytest.mark.parametrize(("value", "expected"), [
    ("6", "10"), ("8", "10"),   # within 8 times: full
    ("10", "8"),                # 10 x 8 / 10
    ("12", "6.67"),             # 10 x 8 / 12 = 6.666.. -> 6.67
])
def test_ratio_at_most(kinds, value, expected):
    assert points(kinds, "a_most", value) == P(expected)


@pytest.mark.parametrize(("value", "expected"), [
    ("0.20", "0"), ("0.2999", "0"),   # no full step above 20%
    ("0.30", "1"),                    # exactly one step of 10%
    ("0.43", "2"),
    ("0.70", "5"),                    # five steps: the cap
    ("0.95", "5"),                    # seven steps, capped at 5
    (0.30000000000000004, "1"),       # a float is taken as Decimal(str(round(x, 6))): exactly 0.3
])
def test_step_one_point_per_ten_percent_capped_at_five(kinds, value, expected):
    assert points(kinds, "c_step", value) == P(expected)


def test_step_cap_is_explained(kinds):
    item = score_unit(kinds, {"c_step": "0.95"}).item("c_step")
    assert item.raw_points == 7 and item.points == 5 and item.capped
    assert "封顶5分" in item.note_zh and "capped at 5" in item.note_en


def test_per_occurrence_half_point_provincial_one_national_capped_at_two(kinds):
    score = score_unit(kinds, {"c_prov": 3})
    assert score.item("c_prov").points == P("1.5")
    # five provincial commendations: 2.5 points, the item's own cap gives 2
    over = score_unit(kinds, {"c_prov": 5})
    assert over.item("c_prov").raw_points == P("2.5") and over.item("c_prov").points == 2
    assert "5次×0.5分=2.5分，封顶2分" in over.item("c_prov").note_zh
    # two of each: 1 + 2 = 3, the group caps it at 2
    both = score_unit(kinds, {"c_prov": 2, "c_nat": 2})
    assert both.item("c_prov").points == 1 and both.item("c_nat").points == 2
    group = both.item("c_comm")
    assert group.raw_points == 3 and group.points == 2 and group.capped and group.lost == 0
    assert both.bonus == 2
    # one of each: 1.5, under the cap
    assert score_unit(kinds, {"c_prov": 1, "c_nat": 1}).item("c_comm").points == P("1.5")


@pytest.mark.parametrize(("count_", "expected"), [(0, "20"), (3, "14"), (10, "0"), (15, "0")])
def test_deduction_until_none_is_left(kinds, count_, expected):
    item = score_unit(kinds, {"a_deduct": count_}).item("a_deduct")
    assert item.points == P(expected)
    assert item.lost == 20 - P(expected)
    if count_ == 15:  # 30 points to deduct from 20: 扣完为止, never negative
        assert item.raw_points == -10 and item.capped and "扣完为止" in item.note_zh


def test_group_sums_its_items_and_caps(kinds):
    score = score_unit(kinds, {"a_manual": "7.5", "a_ratio": "0.10", "a_most": "16", "a_deduct": 1})
    # 7.5 + 10 + 5 + 18 = 40.5
    assert score.item("a").points == P("40.5")
    assert score.item("a").lost == P("19.5")
    assert score.base == P("40.5") and score.total == P("40.5")


def test_bonus_items_adding_to_more_than_twenty_are_capped(kinds):
    # step 0.75 -> 5; commendations 3 + 1 -> 1.5 + 1 = 2.5 -> 2; funds 9; innovation 6.5: 22.5 -> 20
    inputs = {"b": 40, "c_step": "0.75", "c_prov": 3, "c_nat": 1, "c_funds": 9, "c_extra": "6.5"}
    score = score_unit(kinds, inputs)
    assert score.bonus_raw == P("22.5") and score.bonus == 20
    assert score.base == 40 and score.total == 60
    # the total is the sum of the items after caps, with the bonus cap
    roots = [score.item(item.code) for item in kinds.roots]
    assert score.total == sum(r.points for r in roots if not r.is_bonus) + min(
        sum(r.points for r in roots if r.is_bonus), kinds.bonus_cap)


def test_veto_sets_the_total_to_zero_and_says_why(kinds):
    inputs = {"b": 40, "c_funds": 10, "veto": ItemInput(1, evidence="审计发现挪用扶贫资金")}
    score = score_unit(kinds, inputs, unit_code="X")
    assert score.vetoed and score.total == 0
    assert score.base == 40 and score.bonus == 10  # what was earned stays visible
    assert score.veto_reason_zh == "一票否决：审计发现挪用扶贫资金"
    assert score.veto_reason_en == "Veto: 审计发现挪用扶贫资金"
    assert score.item("veto").triggered and score.item("veto").points == 0
    not_vetoed = score_unit(kinds, {**inputs, "veto": 0})
    assert not not_vetoed.vetoed and not_vetoed.total == 50 and not_vetoed.veto_reason_zh is None


def test_missing_items_score_zero_and_are_listed(kinds):
    score = score_unit(kinds, {"b": 12})
    assert score.total == 12
    assert score.missing == ("a_manual", "a_ratio", "a_most", "a_deduct", "c_step", "c_prov", "c_nat", "c_funds",
                             "c_extra")
    assert score.item("a_manual").source == "missing" and "尚未评分" in score.item("a_manual").note_zh
    assert score.item("b").source == "manual"
    assert score.item("a").source == "group"


@pytest.mark.parametrize(("code", "value", "message"), [
    ("b", 41, "item b: points 41 exceed the item's maximum 40"),
    ("b", -1, "item b: points must be at least 0, got -1"),
    ("b", "1.234", "item b: points must have at most two decimals, got 1.234"),
    ("b", "many", "item b: expected a number, got 'many'"),
    ("c_prov", "1.5", "item c_prov: expected a count (a whole number >= 0), got '1.5'"),
    ("a_deduct", -2, "item a_deduct: expected a count"),
    ("veto", 2, "item veto: a veto is 1 (applies) or 0 (does not), got 2"),
    ("a", 10, "item a: is a group: its points are the sum of its items, not an input"),
    ("nope", 1, "item nope: is not an item of rubric test-kinds"),
])
def test_inputs_an_item_cannot_take(kinds, code, value, message):
    with pytest.raises(ScoreInputError) as err:
        score_unit(kinds, {code: value})
    assert message in str(err.value)


def test_rank_units_shares_ranks_and_puts_a_vetoed_unit_last(kinds):
    scores = [
        score_unit(kinds, {"b": 30}, unit_code="u1"),
        score_unit(kinds, {"b": 35}, unit_code="u2"),
        score_unit(kinds, {"b": 30}, unit_code="u3"),
        score_unit(kinds, {"b": 40, "veto": 1}, unit_code="u4"),
        score_unit(kinds, {}, unit_code="u5"),
    ]
    ranked = rank_units(scores)
    assert [(s.unit_code, s.rank, s.total) for s in ranked] == [
        ("u2", 1, 35), ("u1", 2, 30), ("u3", 2, 30), ("u5", 4, 0), ("u4", 5, 0)]


def test_points_are_exact_decimals(kinds):
    # 0.1 + 0.2 in binary floating point is not 0.3; here the points add exactly
    score = score_unit(kinds, {"a_manual": "0.1", "b": "0.2"})
    assert score.total == P("0.3")
    assert all(isinstance(i.points, Decimal) for i in score.items)


# ---------------------------------------------------------------------------------------------
# Validation of rubric files
# ---------------------------------------------------------------------------------------------


def _write(tmp_path, data, name="bad.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _item(data, code):
    def walk(items):
        for item in items:
            if item["code"] == code:
                return item
            found = walk(item.get("items", []))
            if found:
                return found
        return None
    return walk(data["items"])


def _mutate(change):
    data = copy.deepcopy(KINDS_RUBRIC)
    change(data)
    return data


BAD_RUBRICS = [
    ("unknown top key", lambda d: d.update(bonus=5), "unknown key 'bonus'"),
    ("no name", lambda d: d.pop("name"), "'name' is missing"),
    ("bad name", lambda d: d.update(name="Test Kinds"), "name 'Test Kinds' must be lower-case"),
    ("bad year", lambda d: d.update(year="2020"), "'year' must be a year such as 2020"),
    ("no items", lambda d: d.update(items=[]), "'items' must be a non-empty list"),
    ("group sum", lambda d: _item(d, "a_manual").update(max_points=5),
     "item a: children add up to 55, not the group's maximum 60 (set cap: true"),
    ("cap not needed", lambda d: _item(d, "c_prov").update(max_points=1) or _item(d, "c_nat").update(max_points=1),
     "item c_comm: cap: true but its children add up to only 2, not more than its maximum 2"),
    ("top sum", lambda d: _item(d, "b").update(max_points=30),
     "top-level items (bonus items aside) add up to 90, not the rubric's max_points 100"),
    ("bonus cap too high", lambda d: d.update(bonus_cap=30),
     "bonus_cap 30 is more than the bonus items can give (25)"),
    ("bonus without cap", lambda d: d.pop("bonus_cap"), "bonus items (worth up to 25) need a 'bonus_cap'"),
    ("cap without bonus", lambda d: d.update(items=[i for i in d["items"] if not i.get("bonus")]),
     "'bonus_cap' is set but no top-level item has bonus: true"),
    ("duplicate code", lambda d: _item(d, "c_extra").update(code="b"), "item b: duplicate code"),
    ("bad code", lambda d: _item(d, "b").update(code="B-1"), "item code 'B-1' at the top level must start with"),
    ("unknown kind", lambda d: _item(d, "b").update(kind="bonus"), "item b: unknown kind 'bonus' (kinds: group,"),
    ("unknown item key", lambda d: _item(d, "b").update(points=3), "item b: unknown key 'points'"),
    ("no title", lambda d: _item(d, "b").pop("title_zh"), "item b: 'title_zh' is missing"),
    ("unknown param", lambda d: _item(d, "a_ratio")["params"].update(cap=3),
     "item a_ratio: unknown parameter 'cap' for kind ratio (parameters: target, direction, unit)"),
    ("missing param", lambda d: _item(d, "c_step")["params"].pop("step"),
     "item c_step: parameter 'step' is missing (kind step needs: threshold, step, per_step)"),
    ("param type", lambda d: _item(d, "a_ratio")["params"].update(target="high"),
     "item a_ratio: parameter 'target' must be a number, got 'high'"),
    ("param not positive", lambda d: _item(d, "c_step")["params"].update(step=0),
     "item c_step: parameter 'step' must be more than 0, got 0"),
    ("param choice", lambda d: _item(d, "a_most")["params"].update(direction="down"),
     "item a_most: parameter 'direction' must be one of at_least, at_most, got 'down'"),
    ("cap not bool", lambda d: _item(d, "c_comm")["params"].update(cap="yes"),
     "item c_comm: parameter 'cap' must be true or false, got 'yes'"),
    ("three decimals", lambda d: _item(d, "c_prov")["params"].update(per=0.125),
     "item c_prov: parameter 'per' must have at most two decimals, got 0.125"),
    ("max decimals", lambda d: _item(d, "b").update(max_points=39.999),
     "item b: 'max_points' must have at most two decimals"),
    ("step above max", lambda d: _item(d, "c_step")["params"].update(per_step=6),
     "item c_step: per_step 6 is more than the item's maximum 5"),
    ("per above max", lambda d: _item(d, "a_deduct")["params"].update(per=25),
     "item a_deduct: per 25 is more than the item's maximum 20"),
    ("child above parent", lambda d: _item(d, "c_prov").update(max_points=3),
     "item c_prov: max_points 3 is more than its group c_comm allows (2)"),
    ("veto points", lambda d: _item(d, "veto").update(max_points=5),
     "item veto: a veto item is worth no points: max_points must be 0, got 5"),
    ("veto in group", lambda d: _item(d, "a")["items"].append(
        {"code": "v2", "title_zh": "否", "title_en": "V", "kind": "veto"}),
     "item v2: a veto item applies to the whole score: put it at the top level"),
    ("computed no measure", lambda d: _item(d, "a_ratio").update(source="computed"),
     "item a_ratio: source: computed needs a 'measure'"),
    ("unknown measure", lambda d: _item(d, "a_ratio").update(source="computed", measure="happiness"),
     "item a_ratio: unknown measure 'happiness' (measures: fund_input_growth,"),
    ("computed manual", lambda d: _item(d, "b").update(source="computed", measure="leverage"),
     "item b: kind manual cannot be computed from the data"),
    ("measure not computed", lambda d: _item(d, "a_ratio").update(measure="leverage"),
     "item a_ratio: 'measure' is only for source: computed"),
    ("bad source", lambda d: _item(d, "b").update(source="guess"),
     "item b: 'source' must be one of manual, computed, got 'guess'"),
    ("empty group", lambda d: _item(d, "a").update(items=[]), "item a: a group needs a non-empty list of 'items'"),
    ("leaf with items", lambda d: _item(d, "b").update(items=[]), "item b: only a group has 'items'"),
    ("bonus on child", lambda d: _item(d, "a_manual").update(bonus=True),
     "item a_manual: 'bonus' is set on top-level items only"),
    ("group source", lambda d: _item(d, "a").update(source="manual"), "item a: a group has no source or measure"),
]


@pytest.mark.parametrize(("change", "message"), [(c, msg) for _, c, msg in BAD_RUBRICS],
                         ids=[name for name, _, _ in BAD_RUBRICS])
def test_a_bad_rubric_file_names_the_file_the_item_and_the_problem(tmp_path, change, message):
    path = _write(tmp_path, _mutate(change))
    with pytest.raises(RubricError) as err:
        read_rubric_file(path)
    text = str(err.value)
    assert text.startswith(f"{path}: "), text
    assert message in text, text


def test_the_unmodified_test_rubric_is_valid(tmp_path):
    rubric = read_rubric_file(_write(tmp_path, KINDS_RUBRIC, "ok.yaml"))
    assert rubric.name == "test-kinds" and rubric.bonus_cap == 20


def test_files_that_are_not_rubrics(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nitems: [\n", encoding="utf-8")
    with pytest.raises(RubricError, match=r"broken.yaml: not valid YAML: .*\(line \d+, column \d+\)"):
        read_rubric_file(broken)
    twice = tmp_path / "twice.yaml"
    twice.write_text("name: a\nname: b\n", encoding="utf-8")
    with pytest.raises(RubricError, match="duplicate key 'name'"):
        read_rubric_file(twice)
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(RubricError, match="a rubric must be a mapping, got list"):
        read_rubric_file(listed)
    with pytest.raises(RubricError, match="no such file"):
        read_rubric_file(tmp_path / "nowhere.yaml")
    with pytest.raises(RubricError, match=r"a rubric file ends in \.yaml, \.yml, \.toml"):
        read_rubric_file(tmp_path / "rubric.txt")
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("name = \n", encoding="utf-8")
    with pytest.raises(RubricError, match="not valid TOML"):
        read_rubric_file(bad_toml)


def test_a_toml_rubric_equals_its_yaml_twin(tmp_path):
    toml = tmp_path / "t.toml"
    toml.write_text("""
name = "test-toml"
title_zh = "测试"
title_en = "Test"
year = 2020
basis = "tests"
max_points = 10
[[items]]
code = "a"
title_zh = "甲"
title_en = "A"
kind = "per_occurrence"
max_points = 10
params = { per = 2.5 }
""", encoding="utf-8")
    rubric = read_rubric_file(toml)
    twin = parse_rubric({"name": "test-toml", "title_zh": "测试", "title_en": "Test", "year": 2020, "basis": "tests",
                         "max_points": 10, "items": [{"code": "a", "title_zh": "甲", "title_en": "A",
                                                      "kind": "per_occurrence", "max_points": 10,
                                                      "params": {"per": 2.5}}]})
    assert rubric.fingerprint() == twin.fingerprint()
    assert score_unit(rubric, {"a": 3}).total == P("7.5")


def test_load_rubric_by_name_from_the_rubric_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(rubric_loader, "RUBRIC_DIR", tmp_path)
    _write(tmp_path, KINDS_RUBRIC, "test-kinds.yaml")
    assert load_rubric("test-kinds").name == "test-kinds"
    _write(tmp_path, KINDS_RUBRIC, "other-name.yaml")
    with pytest.raises(RubricError, match="the file is named other-name but its 'name' is test-kinds"):
        load_rubric("other-name")
    with pytest.raises(RubricError, match=r"nonesuch: no rubric of that name \(shipped rubrics: other-name, "
                                          r"test-kinds; or give a file path\)"):
        load_rubric("nonesuch")


# ---------------------------------------------------------------------------------------------
# The shipped Chaoyang rubrics (seeds/004 attachment 2)
# ---------------------------------------------------------------------------------------------


def test_sector_rubric_follows_the_seed():
    rubric = load_rubric(SECTOR)
    assert rubric.max_points == 100 and rubric.bonus_cap == 20 and rubric.units == "county"
    roots = {r.code: r for r in rubric.roots}
    assert [(r.code, r.max_points, r.is_bonus) for r in rubric.roots] == [
        ("targets", 80, False), ("daily", 20, False), ("bonus", 20, True), ("veto", 0, False)]
    assert sum(r.max_points for r in roots.values() if not r.is_bonus) == 100
    assert roots["targets"].title_zh == "年度目标任务完成情况"
    assert roots["daily"].title_zh == "日常工作责任落实情况"
    assert sum(i.max_points for i in rubric.children("targets")) == 80
    assert sum(i.max_points for i in rubric.children("daily")) == 20
    bonus = {i.code: i for i in rubric.children("bonus")}
    assert {c: i.max_points for c, i in bonus.items()} == {
        "over_target": 5, "superior_funds": 10, "commendations": 2, "innovation": 3}
    step = bonus["over_target"]
    assert step.kind == "step" and step.params["step"] == P("0.1") and step.params["per_step"] == 1
    assert bonus["commendations"].is_cap
    rates = {i.code: (i.kind, i.params["per"], i.max_points) for i in rubric.children("commendations")}
    assert rates == {"commend_provincial": ("per_occurrence", P("0.5"), 2),
                     "commend_national": ("per_occurrence", P("1"), 2)}
    assert roots["veto"].kind == "veto"


def test_sector_rubric_targets_are_the_seed_targets_the_rules_check():
    rubric = load_rubric(SECTOR)
    f3 = get_rule("F3").defaults
    computed = {i.code: (i.measure, i.params.get("target")) for i in rubric.items if i.is_computed}
    assert computed == {
        "input_growth": ("fund_input_growth", P(str(f3["input_growth_min"]))),          # 二（一） 20%
        "superior_growth": ("superior_funds_growth", P(str(f3["superior_growth_min"]))),  # 二（二） 20%
        "integration": ("integration_ratio", P(str(f3["integration_min"]))),            # 二（三） 35%
        "disbursement": ("disbursement_pace", P(str(get_rule("F1").defaults["year_end_min"]))),
        "over_target": ("fund_input_growth", None),
    }
    assert rubric.item("over_target").params["threshold"] == P(str(f3["input_growth_min"]))


def test_village_rubric_follows_the_seed():
    rubric = load_rubric(VILLAGE)
    assert rubric.max_points == 100 and rubric.bonus_cap is None
    assert [(r.code, r.title_zh, r.max_points) for r in rubric.roots] == [
        ("village", "驻村扶贫", 40), ("township", "包乡和结对帮扶", 60),
        ("veto", "一票否决（发现问题情节严重、造成不良影响）", 0)]
    assert [(i.title_zh, i.max_points) for i in rubric.children("village")] == [
        ("基层组织建设", 5), ("重点任务落实", 20), ("日常驻村工作", 5), ("派出单位保障", 5), ("市扶贫开发领导小组评价", 5)]
    assert [(i.title_zh, i.max_points) for i in rubric.children("township")] == [
        ("工作部署", 10), ("日常工作", 10), ("总体成效", 30), ("市扶贫开发领导小组评价", 10)]
    assert all(i.source == "manual" for i in rubric.leaves)


@pytest.mark.parametrize("name", [SECTOR, VILLAGE])
def test_shipped_rubrics_cite_the_seed_for_every_item(name):
    rubric = load_rubric(name)
    assert rubric.basis.startswith("seeds/004_698f178d961839ed.txt 附件2")
    assert all(item.basis and item.title_zh and item.title_en for item in rubric.items)
    full = score_unit(rubric, {i.code: (i.max_points if i.kind == "manual" else 0) for i in rubric.leaves
                               if not i.is_computed and i.kind in ("manual", "veto")})
    assert full.base == 100 - sum(i.max_points for i in rubric.leaves if i.is_computed and not i.is_bonus)


# ---------------------------------------------------------------------------------------------
# The hand-built database
# ---------------------------------------------------------------------------------------------


class Rows:
    def __init__(self, engine):
        self.engine = engine
        self.n = count(1)

    def add(self, model, **values):
        with self.engine.begin() as conn:
            result = conn.execute(insert(model.__table__).values(**values))
            key = result.inserted_primary_key
        return key[0] if key else None

    def allocation(self, county, year, level, amount, integrable=False, integrated=False):
        return self.add(m.Allocation, year=year, county_code=county, programme="special", source_level=level,
                        amount_fen=amount, document_no=f"测〔{year}〕{next(self.n)}号", issued_on=D(year, 1, 10),
                        integrable=integrable, integrated=integrated, published_on=D(year, 1, 10))

    def project(self, county):
        n = next(self.n)
        return self.add(m.Project, code=f"P{n}", name=f"项目{n}", county_code=county, category="industry",
                        budget_fen=1_000_000, status="in_progress", start_year=2020, in_pool=True)

    def paid(self, county, amount, level="central", on=D(2020, 6, 30)):
        return self.add(m.Disbursement, project_id=self.project(county), county_code=county, source_level=level,
                        programme="special", paid_on=on, year=on.year, ym=on.year * 100 + on.month,
                        amount_fen=amount, voucher_no=f"V{next(self.n)}")


def build_hand(engine) -> None:
    """Three counties, amounts in fen (1 yuan = 100 fen); expected 2020 sector scores:

    于都 360731: local 100M -> 123M (+23%: 12); superior 200M -> 230M (+15%: 12 x .15/.2 = 9);
        integrated 70M of 230M integrable (30.43%: 12 x .3043/.35 = 10.43); paid 300M of 353M
        (84.99%: 12 x .8499/.95 = 10.74); over target: 0.  Total 42.17.
    兴国 360732: local 100M -> 150M (+50%: 12; 3 full steps of 10% above 20%: bonus 3);
        superior 100M -> 125M (+25%: 12); integrated 50M of 125M (40%: 12); paid 275M of 275M (12).
        Total 48 + 3 = 51.
    会昌 360733: nothing in 2019 (no growth: 0 and 0), no integrable funds (0); 10M allocated,
        5M paid (50%: 12 x .5/.95 = 6.32).  Total 6.32.
    """
    r = Rows(engine)
    r.add(m.Region, code="360700", name="赣州市", level="city")
    for code, name in ((YUDU, "于都县"), (XINGGUO, "兴国县"), (HUICHANG, "会昌县")):
        r.add(m.Region, code=code, name=name, level="county", parent_code="360700", county_code=code)
    M = 1_000_000
    # 于都
    r.allocation(YUDU, 2019, "city", 60 * M)
    r.allocation(YUDU, 2019, "county", 40 * M)
    r.allocation(YUDU, 2020, "city", 80 * M)
    r.allocation(YUDU, 2020, "county", 43 * M)
    r.allocation(YUDU, 2019, "central", 200 * M)
    r.allocation(YUDU, 2020, "central", 70 * M, integrable=True, integrated=True)
    r.allocation(YUDU, 2020, "central", 160 * M, integrable=True)
    r.paid(YUDU, 300 * M)
    # 兴国
    r.allocation(XINGGUO, 2019, "city", 100 * M)
    r.allocation(XINGGUO, 2020, "city", 150 * M)
    r.allocation(XINGGUO, 2019, "provincial", 100 * M)
    r.allocation(XINGGUO, 2020, "provincial", 50 * M, integrable=True, integrated=True)
    r.allocation(XINGGUO, 2020, "provincial", 75 * M, integrable=True)
    r.paid(XINGGUO, 275 * M, level="provincial")
    # 会昌
    r.allocation(HUICHANG, 2020, "city", 10 * M)
    r.paid(HUICHANG, 5 * M, level="city")


@pytest.fixture
def hand(blank_engine):
    build_hand(blank_engine)
    return blank_engine


EXPECTED_2020 = {YUDU: P("42.17"), XINGGUO: P("51"), HUICHANG: P("6.32")}


def _totals(frame):
    return {row.unit_code: row.total for row in frame.itertuples()}


def test_computed_items_are_measured_from_the_data(hand):
    frame = scores_frame(hand, ALL, SECTOR, 2020)
    assert list(frame["unit_code"]) == [XINGGUO, YUDU, HUICHANG]
    assert list(frame["rank"]) == [1, 2, 3]
    assert _totals(frame) == EXPECTED_2020
    yudu = frame.set_index("unit_code").loc[YUDU]
    assert (yudu["item_input_growth"], yudu["item_superior_growth"], yudu["item_integration"],
            yudu["item_disbursement"], yudu["item_over_target"]) == (12, 9, P("10.43"), P("10.74"), 0)
    xingguo = frame.set_index("unit_code").loc[XINGGUO]
    assert xingguo["base"] == 48 and xingguo["bonus"] == 3 and xingguo["item_over_target"] == 3
    assert frame.set_index("unit_code").loc[HUICHANG, "item_disbursement"] == P("6.32")


def test_measures_by_hand(hand):
    found = measure(hand, ALL, 2020, ["fund_input_growth", "superior_funds_growth", "integration_ratio",
                                      "disbursement_pace"])
    assert found["fund_input_growth"][YUDU].value == P("0.23")
    assert found["fund_input_growth"][XINGGUO].value == P("0.5")
    assert found["fund_input_growth"][HUICHANG].value is None  # nothing last year
    assert "无法计算增长" in found["fund_input_growth"][HUICHANG].note_zh
    assert found["superior_funds_growth"][YUDU].value == P("0.15")
    assert HUICHANG not in found["superior_funds_growth"]
    assert found["integration_ratio"][YUDU].value == P(70) / P(230)
    assert found["integration_ratio"][XINGGUO].value == P("0.4")
    assert found["integration_ratio"][HUICHANG].value is None
    assert found["disbursement_pace"][YUDU].value == P(300) / P(353)
    assert found["disbursement_pace"][HUICHANG].value == P("0.5")


def test_scorecard_explains_every_item(hand):
    card = scorecard_frame(hand, ALL, SECTOR, 2020, YUDU).set_index("code")
    rubric = load_rubric(SECTOR)
    assert list(card.index) == [item.code for item in rubric.items]
    growth = card.loc["superior_growth"]
    assert (growth["points"], growth["max_points"], growth["lost"], growth["source"]) == (9, 12, 3, "computed")
    assert growth["value"] == P("0.15")
    assert "增长15.00%" in growth["note_zh"] and "target of 20%" in growth["note_en"]
    assert card.loc["supervision", "source"] == "missing"
    assert card.loc["targets", "points"] == sum(card.loc[i.code, "points"] for i in rubric.children("targets"))
    assert scorecard_frame(hand, Scope.county(XINGGUO), SECTOR, 2020, YUDU).empty  # outside the scope
    assert scorecard_frame(hand, ALL, SECTOR, 2020, "999999").empty


def test_scores_follow_the_scope(hand):
    frame = scores_frame(hand, Scope.county(YUDU), SECTOR, 2020)
    assert list(frame["unit_code"]) == [YUDU] and frame["total"].iloc[0] == EXPECTED_2020[YUDU]
    assert scores_frame(hand, Scope.nothing(), SECTOR, 2020).empty
    with pytest.raises(TypeError):
        scores_frame(hand, None, SECTOR, 2020)


def test_measures_agree_with_the_rules(hand):
    """One source of truth: where rule F3 reports a county, the measure has the same value."""
    findings = evaluate(hand, ALL, 2020, rules=["F3"])
    found = measure(hand, ALL, 2020)
    names = {"local": "fund_input_growth", "superior": "superior_funds_growth", "integration": "integration_ratio"}
    assert len(findings) == 2  # 于都: superior growth 15%, integration 30.4%
    for row in findings.itertuples():
        value = found[names[row.detail["check"]]][row.region_code].value
        assert float(value) == pytest.approx(row.value, abs=1e-12)


def test_every_measure_against_its_rule(blank_engine):
    """Leverage (L1), asset custody (A1) and household deadlines (H2), built to trip each rule once."""
    r = Rows(blank_engine)
    r.add(m.Region, code="360700", name="赣州市", level="city")
    for code, name in ((YUDU, "于都县"), (XINGGUO, "兴国县")):
        r.add(m.Region, code=code, name=name, level="county", parent_code="360700", county_code=code)
        r.add(m.Region, code=code + "100", name=name + "一镇", level="township", parent_code=code, county_code=code)
        r.add(m.Region, code=code + "100201", name=name + "一村", level="village", parent_code=code + "100",
              county_code=code)
    for county, lent in ((YUDU, 9_000_000), (XINGGUO, 7_500_000)):
        r.add(m.RiskFundDeposit, county_code=county, programme="industry_credit", bank="赣州银行",
              deposited_on=D(2021, 1, 5), amount_fen=1_000_000, document_no=None)
        n = next(r.n)
        r.add(m.Loan, contract_no=f"C{n}", programme="industry_credit", bank="赣州银行", borrower_type="poor_household",
              borrower_name="借款人", borrower_id_no=None, county_code=county, village_code=county + "100201",
              amount_fen=lent, rate_pct=4.35, issued_on=D(2021, 2, 1), maturity_on=D(2024, 2, 1), repaid_on=None,
              industry="navel_orange", status="current", guarantee_fee_fen=0, guarantee_bearer="city_county",
              guarantee_city_fen=0, guarantee_county_fen=0)
    for custodian in ("村委会", "村委会", "  "):
        n = next(r.n)
        r.add(m.Asset, code=f"A{n}", name=f"资产{n}", project_id=None, county_code=YUDU, village_code=YUDU + "100201",
              asset_class="public_welfare", subtype="road", value_fen=500_000, formed_on=D(2020, 5, 1),
              owner="collective", custodian=custodian, status="in_use")
    for found_on, entered in ((D(2021, 3, 1), D(2021, 3, 10)), (D(2021, 3, 1), D(2021, 5, 6)),
                              (D(2021, 12, 20), None)):
        n = next(r.n)
        r.add(m.Household, code=f"H{n}", county_code=YUDU, township_code=YUDU + "100", village_code=YUDU + "100201",
              head_name="户主", head_id_no="360731199001011234", members=3, income_year=2021,
              income_per_capita_fen=1_000_000, found_on=found_on, channel="cadre_visit", category="marginal",
              identified_on=found_on, entered_on=entered)
    found = measure(blank_engine, ALL, 2021, ["leverage", "asset_custody", "household_deadlines"])
    assert found["leverage"][YUDU].value == 9 and found["leverage"][XINGGUO].value == P("7.5")
    assert found["asset_custody"][YUDU].value == P(2) / P(3)   # the blank custodian does not count
    assert found["household_deadlines"][YUDU].value == P("0.5")  # one on time, one late, one not yet due
    findings = evaluate(blank_engine, ALL, 2021, rules=["L1", "A1", "H2"])
    by_rule = {row.rule: row for row in findings.itertuples()}
    assert set(by_rule) == {"L1", "A1", "H2"}
    assert by_rule["L1"].region_code == YUDU and by_rule["L1"].value == 9.0
    assert by_rule["A1"].value == 3 - found["asset_custody"][YUDU].numerator
    assert by_rule["H2"].value == found["household_deadlines"][YUDU].denominator - \
        found["household_deadlines"][YUDU].numerator

    # and a rubric file scoring on them, without code changes
    rubric = parse_rubric({
        "name": "test-measures", "title_zh": "测", "title_en": "T", "year": 2021, "basis": "tests", "max_points": 30,
        "items": [
            {"code": "lev", "title_zh": "放大", "title_en": "Leverage", "kind": "ratio", "max_points": 10,
             "source": "computed", "measure": "leverage", "params": {"target": 8, "direction": "at_most"}},
            {"code": "cust", "title_zh": "管护", "title_en": "Custody", "kind": "ratio", "max_points": 10,
             "source": "computed", "measure": "asset_custody", "params": {"target": 1}},
            {"code": "hh", "title_zh": "时限", "title_en": "Deadlines", "kind": "ratio", "max_points": 10,
             "source": "computed", "measure": "household_deadlines", "params": {"target": 1}},
        ]})
    _, scores = unit_scores(blank_engine, ALL, rubric, 2021)
    yudu = next(s for s in scores if s.unit_code == YUDU)
    # leverage 9 > 8: 10 x 8/9 = 8.89; custody 2/3: 6.67; deadlines 1/2: 5
    assert [yudu.item(c).points for c in ("lev", "cust", "hh")] == [P("8.89"), P("6.67"), P("5")]
    assert yudu.total == P("20.56")
    assert "9倍" in yudu.item("lev").note_zh


# ---------------------------------------------------------------------------------------------
# Storage: sync, manual entry, audit
# ---------------------------------------------------------------------------------------------


def _audit_rows(engine, action=None):
    t = m.AuditEntry.__table__
    stmt = select(t).order_by(t.c.id)
    if action:
        stmt = stmt.where(t.c.action == action)
    with engine.connect() as conn:
        return conn.execute(stmt).all()


def test_sync_rubric_round_trips_and_is_idempotent(blank_engine):
    rubric = load_rubric(SECTOR)
    with Session(blank_engine) as s, s.begin():
        row = sync_rubric(s, rubric, actor="tester")
        assert row.id is not None
    with Session(blank_engine) as s:
        stored = rubric_from_db(s, SECTOR)
    assert stored.fingerprint() == rubric.fingerprint()
    assert [i.code for i in stored.items] == [i.code for i in rubric.items]
    assert stored.item("commendations").is_cap and stored.item("over_target").params["step"] == P("0.1")
    assert len(_audit_rows(blank_engine, "rubric_sync")) == 1
    with Session(blank_engine) as s, s.begin():
        sync_rubric(s, rubric, actor="tester")  # unchanged: nothing written
    assert len(_audit_rows(blank_engine, "rubric_sync")) == 1
    with blank_engine.connect() as conn:
        items = conn.execute(select(func.count()).select_from(m.RubricItem.__table__)).scalar_one()
    assert items == len(rubric.items)
    resolved = resolve_rubric(blank_engine, SECTOR)
    assert resolved.from_db and not resolved.differs_from_file


def test_save_manual_changes_total_and_rank_and_writes_one_audit_row(hand):
    install_rubric(hand, SECTOR, actor="setup")
    before = scores_frame(hand, ALL, SECTOR, 2020).set_index("unit_code")
    assert before.loc[YUDU, "rank"] == 2 and before.loc[XINGGUO, "rank"] == 1
    audit_before = len(_audit_rows(hand))

    with Session(hand) as s, s.begin():
        edit = ScoreRepository(s).save_manual(SECTOR, YUDU, 2020, "supervision", "9.5",
                                              "第三方检查报告（2020年6月）.pdf", "张审核", "admin")
    assert (edit.old_points, edit.new_points) == (None, P("9.5"))
    after = scores_frame(hand, ALL, SECTOR, 2020).set_index("unit_code")
    assert after.loc[YUDU, "total"] == P("51.67")  # 42.17 + 9.5
    assert after.loc[YUDU, "rank"] == 1 and after.loc[XINGGUO, "rank"] == 2
    assert after.loc[YUDU, "item_supervision"] == P("9.5") and after.loc[YUDU, "item_targets"] == P("51.67")
    rows = _audit_rows(hand)
    assert len(rows) == audit_before + 1
    entry = rows[-1]
    assert (entry.action, entry.actor, entry.county_code) == ("score_edit", "admin", YUDU)
    assert entry.detail["old_points"] is None and entry.detail["new_points"] == "9.50"
    assert entry.detail["item"] == "supervision" and entry.detail["assessor"] == "张审核"

    card = scorecard_frame(hand, ALL, SECTOR, 2020, YUDU).set_index("code")
    assert card.loc["supervision", "source"] == "manual"
    assert card.loc["supervision", "evidence"] == "第三方检查报告（2020年6月）.pdf"
    assert card.loc["supervision", "assessor"] == "张审核"

    with Session(hand) as s, s.begin():
        ScoreRepository(s).save_manual(SECTOR, YUDU, 2020, "supervision", 2, "复核后调整", "李复核", "admin")
    rows = _audit_rows(hand, "score_edit")
    assert len(rows) == 2 and (rows[-1].detail["old_points"], rows[-1].detail["new_points"]) == ("9.50", "2.00")
    final = scores_frame(hand, ALL, SECTOR, 2020).set_index("unit_code")
    assert final.loc[YUDU, "total"] == P("44.17") and final.loc[YUDU, "rank"] == 2
    with hand.connect() as conn:
        assert conn.execute(select(func.count()).select_from(m.Score.__table__)).scalar_one() == 1


def test_bad_manual_entries_write_nothing(hand):
    install_rubric(hand, SECTOR)
    audit_before = len(_audit_rows(hand))
    cases = [
        (dict(item="innovation", points=4), "points 4 exceed the item's maximum 3"),
        (dict(item="innovation", points="0.555"), "at most two decimals"),
        (dict(item="input_growth", points=5), "item input_growth is computed from the data (fund_input_growth)"),
        (dict(item="targets", points=5), "item targets is kind group: use save_value"),
        (dict(item="commend_national", points=1), "item commend_national is kind per_occurrence: use save_value"),
        (dict(item="nope", points=1), "rubric chaoyang-2020-sector has no item 'nope'"),
        (dict(item="innovation", points=1, unit="999999"), "no county-level unit '999999' in the database"),
        (dict(item="innovation", points=1, evidence=" "), "evidence is required"),
        (dict(item="innovation", points=1, assessor=""), "assessor is required"),
    ]
    for change, message in cases:
        args = dict(unit=YUDU, item="innovation", points=1, evidence="证据", assessor="张审核")
        args.update(change)
        with pytest.raises(ValueError) as err, Session(hand) as s, s.begin():
            ScoreRepository(s).save_manual(SECTOR, args["unit"], 2020, args["item"], args["points"],
                                           args["evidence"], args["assessor"], "admin")
        assert message in str(err.value)
    with pytest.raises(PermissionError), Session(hand) as s, s.begin():
        ScoreRepository(s, scope=Scope.county(XINGGUO)).save_manual(SECTOR, YUDU, 2020, "innovation", 1, "证据",
                                                                     "张审核", "admin")
    assert len(_audit_rows(hand)) == audit_before
    assert _totals(scores_frame(hand, ALL, SECTOR, 2020)) == EXPECTED_2020


def test_counts_and_veto_are_saved_as_values(hand):
    with Session(hand) as s, s.begin():
        repo = ScoreRepository(s)
        # the first save stores the rubric (one rubric_sync row) and the score (one score_edit row)
        edit = repo.save_value(SECTOR, XINGGUO, 2020, "commend_provincial", 5, "省级表彰文件5份", "张审核", "admin")
        repo.save_value(SECTOR, XINGGUO, 2020, "commend_national", 1, "国家级表彰文件", "张审核", "admin")
        repo.save_manual(SECTOR, XINGGUO, 2020, "innovation", 3, "创新案例", "张审核", "admin")
        repo.save_manual(SECTOR, XINGGUO, 2020, "superior_funds", 10, "争取资金明细", "张审核", "admin")
    assert (edit.new_value, edit.new_points) == (5, 2)  # 5 x 0.5 = 2.5, capped at 2
    frame = scores_frame(hand, ALL, SECTOR, 2020).set_index("unit_code")
    # bonus: over target 3 + superior funds 10 + commendations min(2 + 1, 2) + innovation 3 = 18
    assert frame.loc[XINGGUO, "bonus"] == 18 and frame.loc[XINGGUO, "total"] == 66
    assert frame.loc[XINGGUO, "item_commendations"] == 2
    with Session(hand) as s, s.begin():
        ScoreRepository(s).save_value(SECTOR, XINGGUO, 2020, "veto", True, "审计发现挪用扶贫资金", "市扶贫办", "admin")
    frame = scores_frame(hand, ALL, SECTOR, 2020).set_index("unit_code")
    assert frame.loc[XINGGUO, "vetoed"] and frame.loc[XINGGUO, "total"] == 0 and frame.loc[XINGGUO, "rank"] == 3
    assert "审计发现挪用扶贫资金" in frame.loc[XINGGUO, "veto_reason_zh"]
    with Session(hand) as s, s.begin():
        ScoreRepository(s).clear(SECTOR, XINGGUO, 2020, "veto", "admin", "复议撤销")
    frame = scores_frame(hand, ALL, SECTOR, 2020).set_index("unit_code")
    assert not frame.loc[XINGGUO, "vetoed"] and frame.loc[XINGGUO, "total"] == 66
    assert [r.action for r in _audit_rows(hand)] == ["rubric_sync"] + ["score_edit"] * 6


def test_sync_refuses_a_definition_stored_scores_no_longer_fit(hand, tmp_path):
    with Session(hand) as s, s.begin():
        ScoreRepository(s).save_manual(SECTOR, YUDU, 2020, "innovation", 3, "创新案例", "张审核", "admin")
    data = yaml.safe_load((rubric_loader.RUBRIC_DIR / f"{SECTOR}.yaml").read_text(encoding="utf-8"))
    bonus = next(i for i in data["items"] if i["code"] == "bonus")
    innovation = next(i for i in bonus["items"] if i["code"] == "innovation")
    innovation["max_points"] = 2
    next(i for i in bonus["items"] if i["code"] == "superior_funds")["max_points"] = 11
    edited = read_rubric_file(_write(tmp_path, data, "edited.yaml"))
    with pytest.raises(RubricError, match=r"item innovation: a stored score \(unit 360731, 2020\) no longer fits: "
                                          r"points 3 exceed the item's maximum 2"), Session(hand) as s, s.begin():
        sync_rubric(s, edited)
    # a definition the database does not hold is refused for entry until it is synced
    with pytest.raises(RubricError, match="the database holds a different version of this rubric"), \
            Session(hand) as s, s.begin():
        ScoreRepository(s).save_manual(edited, YUDU, 2020, "innovation", 1, "证据", "张审核", "admin")


# ---------------------------------------------------------------------------------------------
# The demo database, both backends
# ---------------------------------------------------------------------------------------------

_DEMO_TOTALS: dict[str, dict] = {}


@pytest.mark.parametrize("name", [SECTOR, VILLAGE])
def test_demo_scores_add_up_and_agree_across_backends(demo_engine, name):
    rubric, scores = unit_scores(demo_engine, ALL, name, 2020)
    assert len(scores) == 20  # the county-level units, functional zones included
    assert [s.rank for s in scores] == sorted(s.rank for s in scores)
    for s in scores:
        for item in rubric.items:
            if item.is_group:
                kids = sum(s.item(k.code).points for k in rubric.children(item.code))
                assert s.item(item.code).points == min(kids, item.max_points)
        roots = [s.item(r.code) for r in rubric.roots]
        base = sum(r.points for r in roots if not r.is_bonus)
        bonus = sum(r.points for r in roots if r.is_bonus)
        assert s.base == base and s.bonus == min(bonus, rubric.bonus_cap or bonus)
        assert s.total == (0 if s.vetoed else s.base + s.bonus)
    totals = {s.unit_code: (s.rank, s.total, tuple(s.points().items())) for s in scores}
    backend = demo_engine.dialect.name
    _DEMO_TOTALS.setdefault(name, {})[backend] = totals
    others = [v for k, v in _DEMO_TOTALS[name].items() if k != backend]
    for other in others:  # whichever backend runs second compares with the first
        assert other == totals


def test_demo_measures_agree_with_rule_f3(demo_engine):
    findings = evaluate(demo_engine, ALL, 2019, rules=["F3"])
    found = measure(demo_engine, ALL, 2019)
    names = {"local": "fund_input_growth", "superior": "superior_funds_growth", "integration": "integration_ratio"}
    assert len(findings) > 0
    for row in findings.itertuples():
        assert float(found[names[row.detail["check"]]][row.region_code].value) == pytest.approx(row.value,
                                                                                                   abs=1e-12)
        assert row.value < 0.2


# ---------------------------------------------------------------------------------------------
# fundwatch score
# ---------------------------------------------------------------------------------------------


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def run_score(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fundwatch.dashboards.cli", "score", *args],
                          capture_output=True, text=True, timeout=300)


def _namespace(engine, **kw):
    base = dict(db=_url(engine), rubric=SECTOR, year=None, values=None, format="json", lang="zh", sync=False)
    base.update(kw)
    return argparse.Namespace(**base)


def test_cli_json_ranks_units_with_their_items(hand):
    result = run_score("--rubric", SECTOR, "--year", "2020", "--db", _url(hand), "--format", "json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert [r["unit_code"] for r in records] == [XINGGUO, YUDU, HUICHANG]
    first = records[0]
    rubric = load_rubric(SECTOR)
    assert list(first) == ["unit_code", "unit_name", "rank", "total", "base", "bonus", "vetoed", "veto_reason",
                           *(f"item_{i.code}" for i in rubric.items)]
    assert (first["unit_name"], first["rank"], first["total"], first["base"], first["bonus"]) == (
        "兴国县", 1, 51.0, 48.0, 3.0)
    assert {r["unit_code"]: P(str(r["total"])) for r in records} == EXPECTED_2020
    for r in records:  # the total is the sum of the top-level items after caps
        assert r["total"] == pytest.approx(r["item_targets"] + r["item_daily"] + min(r["item_bonus"], 20))
    table = run_score("--rubric", SECTOR, "--db", _url(hand))  # --year defaults to the rubric's 2020
    assert table.returncode == 0, table.stderr
    assert "兴国县" in table.stdout and "51.00" in table.stdout and "年度目标任务完成情况(80)" in table.stdout


def test_cli_values_file_with_a_veto_and_commendations_over_the_cap(hand, tmp_path, capsys):
    from fundwatch.dashboards.cli_score import cmd_score

    values = tmp_path / "values.csv"
    values.write_text(
        "\ufeffunit,item,value,evidence\n"
        f"{HUICHANG},commend_provincial,7,省级表彰7次\n"   # 3.5 -> capped at 2
        f"{HUICHANG},commend_national,2,\n"               # 2 -> with the provincial 4, group caps at 2
        f"{HUICHANG},superior_funds,10,争取资金\n"
        f"{HUICHANG},innovation,3,\n"
        f"{HUICHANG},over_target,0.85,\n"                 # replaces the measured value: 6 steps -> 5
        f"{HUICHANG},supervision,12,检查报告\n"
        f"{XINGGUO},veto,是,审计发现挪用扶贫资金\n",
        encoding="utf-8")
    assert cmd_score(_namespace(hand, values=str(values))) == 0
    records = {r["unit_code"]: r for r in json.loads(capsys.readouterr().out)}
    huichang = records[HUICHANG]
    # bonus: 5 + 10 + 2 + 3 = 20 (the cap); base 6.32 + 12
    assert (huichang["item_commend_provincial"], huichang["item_commend_national"], huichang["item_commendations"],
            huichang["item_over_target"], huichang["bonus"], huichang["total"]) == (2.0, 2.0, 2.0, 5.0, 20.0, 38.32)
    assert huichang["rank"] == 2
    xingguo = records[XINGGUO]
    assert xingguo["vetoed"] and xingguo["total"] == 0.0 and xingguo["rank"] == 3
    assert xingguo["veto_reason"] == "一票否决（发现问题情节严重、造成不良影响）：审计发现挪用扶贫资金"
    assert records[YUDU]["rank"] == 1

    assert cmd_score(_namespace(hand, values=str(values), format="table", lang="en")) == 0
    out = capsys.readouterr().out
    assert "vetoed: Veto (a serious problem with bad effects found): 审计发现挪用扶贫资金" in out


@pytest.mark.parametrize(("content", "message"), [
    ("unit,item,value\n360733,innovation,4\n", "values.csv:2: item innovation: points 4 exceed the item's maximum 3"),
    ("unit,item\n360733,innovation\n", "values.csv:1: the header needs the columns unit, item, value"),
    ("unit,item,value,remark\n", "values.csv:1: unknown column 'remark'"),
    ("unit,item,value\n360733,nope,1\n", "values.csv:2: rubric chaoyang-2020-sector has no item 'nope'"),
    ("unit,item,value\n360733,commend_national,1.5\n", "values.csv:2: item commend_national: expected a count"),
    ("unit,item,value\n360733,veto,maybe\n", "values.csv:2: item veto: a veto is 1/0, yes/no or 是/否"),
    ("unit,item,value\n360733,targets,5\n", "values.csv:2: item targets: is a group"),
    ("unit,item,value\n360733,innovation,1\n360733,innovation,2\n",
     "values.csv:3: unit 360733 item innovation is given twice"),
    ("unit,item,value\n360733,innovation,\n", "values.csv:2: item innovation: a value is required"),
])
def test_cli_bad_values_file_is_a_one_line_error(hand, tmp_path, content, message):
    values = tmp_path / "values.csv"
    values.write_text(content, encoding="utf-8")
    with pytest.raises(ValuesError) as err:
        read_values(values, load_rubric(SECTOR))
    assert message in str(err.value)


def test_cli_errors_are_one_line(hand, tmp_path):
    values = tmp_path / "values.csv"
    values.write_text("unit,item,value\n360733,innovation,4\n", encoding="utf-8")
    for args, message in (
        (("--values", str(values)), "values.csv:2: item innovation: points 4 exceed the item's maximum 3"),
        (("--rubric", "nonesuch"), "nonesuch: no rubric of that name"),
        (("--rubric", str(tmp_path / "missing.yaml")), "missing.yaml: no such file"),
    ):
        argv = ["--rubric", SECTOR, "--db", _url(hand), *args]
        result = run_score(*argv)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("fundwatch: error: ") and message in lines[0], result.stderr
    unknown_unit = tmp_path / "unit.csv"
    unknown_unit.write_text("unit,item,value\n999999,innovation,1\n", encoding="utf-8")
    from fundwatch.dashboards.cli_score import cmd_score
    with pytest.raises(ValueError, match="unit '999999' is not a county-level unit"):
        cmd_score(_namespace(hand, values=str(unknown_unit)))


def test_cli_rubric_file_and_sync(hand, tmp_path, capsys):
    from fundwatch.dashboards.cli_score import cmd_score

    path = _write(tmp_path, KINDS_RUBRIC, "kinds.yaml")
    assert cmd_score(_namespace(hand, rubric=str(path), year=2020)) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == 3 and all(r["total"] == 0 for r in records) and {r["rank"] for r in records} == {1}
    assert cmd_score(_namespace(hand, rubric=VILLAGE, sync=True)) == 0
    captured = capsys.readouterr()
    assert "rubric chaoyang-2020-village stored in the database" in captured.err
    assert [a.action for a in _audit_rows(hand)] == ["rubric_sync"]
    assert cmd_score(_namespace(hand, rubric=VILLAGE, sync=True)) == 0
    assert "already up to date" in capsys.readouterr().err
    assert len(_audit_rows(hand)) == 1


def test_add_parser_plugs_into_a_parser(hand, capsys):
    from fundwatch.dashboards.cli_score import add_parser

    parser = argparse.ArgumentParser(prog="fundwatch")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["score", "--rubric", SECTOR, "--year", "2020", "--db", _url(hand), "--format", "json"])
    assert args.handler(args) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3


def test_measure_info_covers_every_measure():
    from fundwatch.data.rubric import MEASURES

    assert set(MEASURES) == set(MEASURE_INFO)
    assert {info.rule for info in MEASURE_INFO.values()} == {"F1", "F3", "L1", "A1", "H2"}
