"""The scoring page's store and views (issue 5, items 4 and 5): set the store's parameters and
assert what the ranking, the scorecard and the comparison show; save a manual item through the
store and see the total, the rank and the audit log change -- on SQLite and PostgreSQL.

The shared demo database is read-only here; the saving tests load a demo of their own.
"""

from __future__ import annotations

import argparse
import io
import json
from decimal import Decimal

import openpyxl
import panel as pn
import pytest
from bokeh.document import Document
from dashboard_fixtures import _fresh_caches, demo_copy, demo_db, engine, writable_engine  # noqa: F401
from sqlalchemy import Engine, func, select

from fundwatch.components import EXTENSIONS, export
from fundwatch.components.cards import ExportButtons
from fundwatch.components.scoring import (
    RubricScorecard, ScoreComparison, ScoreEntry, ScoreRanking, ScoringControls, ScoringStore,
)
from fundwatch.dashboards.cli_score import cmd_score
from fundwatch.data import demo
from fundwatch.data import models as m
from fundwatch.data.rubric import load_rubric, unit_scores
from fundwatch.data.scope import Scope


SECTOR, VILLAGE = "chaoyang-2020-sector", "chaoyang-2020-village"
ALL = Scope.all()
YUDU, XINGGUO, RUIJIN = "360731", "360732", "360781"
P = Decimal


@pytest.fixture(scope="module", autouse=True)
def _extensions():
    pn.extension(*EXTENSIONS)


def render(view) -> Document:
    doc = Document()
    doc.add_root(pn.panel(view).get_root(doc))
    return doc


def cli_json(engine: Engine, capsys, rubric: str = SECTOR, year: int = 2020) -> list[dict]:
    args = argparse.Namespace(db=engine.url.render_as_string(hide_password=False), rubric=rubric, year=year,
                              values=None, format="json", lang="zh", sync=False)
    assert cmd_score(args) == 0
    return json.loads(capsys.readouterr().out)


def shown_rows(store: ScoringStore, kind: str) -> list[dict]:
    return store.shown(kind).frame.to_dict("records")


# ---------------------------------------------------------------------------------------------
# Reading: the ranking, the scorecard, the comparison
# ---------------------------------------------------------------------------------------------


def test_the_ranking_is_the_clis_and_adds_up_after_caps(engine, capsys):
    store = ScoringStore(engine=engine, scope=ALL, rubric=SECTOR)
    assert store.year == 2020  # the rubric's year by default
    rubric = load_rubric(SECTOR)
    cli = cli_json(engine, capsys)
    ranking = store.ranking
    assert [r["unit_code"] for r in cli] == list(ranking["unit_code"])
    assert [P(str(r["total"])) for r in cli] == list(ranking["total"])
    assert [r["rank"] for r in cli] == list(ranking["rank"])
    _, scores = unit_scores(engine, ALL, SECTOR, 2020)
    assert {s.unit_code: s.total for s in scores} == dict(zip(ranking["unit_code"], ranking["total"], strict=True))
    for row in ranking.to_dict("records"):
        base = sum(row[f"item_{r.code}"] for r in rubric.roots if not r.is_bonus and r.kind != "veto")
        bonus = min(sum(row[f"item_{r.code}"] for r in rubric.roots if r.is_bonus), rubric.bonus_cap)
        assert row["total"] == (0 if row["vetoed"] else min(base, rubric.max_points) + bonus)
    # the demo's assessors make the units differ
    assert ranking["total"].nunique() >= 10
    # what the table shows: two-decimal strings equal to the CLI's numbers
    shown = shown_rows(store, "score_ranking")
    assert [r["total"] for r in shown] == [f"{r['total']:.2f}" for r in cli]
    assert [r["unit_name"] for r in shown] == [r["unit_name"] for r in cli]
    assert store.shown("score_ranking").titles["item_targets"] == "年度目标任务完成情况（80.00）"


def test_a_veto_ranks_the_unit_last_with_zero(engine):
    store = ScoringStore(engine=engine, scope=ALL, rubric=SECTOR, year=2022, unit=RUIJIN)
    last = store.ranking.iloc[-1]
    assert last["unit_code"] == RUIJIN and last["vetoed"] and last["total"] == 0
    assert store.chosen.vetoed and "津补贴" in store.chosen.veto_reason("zh")
    assert shown_rows(store, "score_ranking")[-1]["vetoed"] == "是"


def test_the_scorecard_shows_every_item_its_source_and_what_was_lost(engine):
    store = ScoringStore(engine=engine, scope=ALL, rubric=SECTOR, year=2020, unit=YUDU)
    rubric = load_rubric(SECTOR)
    card = store.card.set_index("code")
    assert list(card.index) == [i.code for i in rubric.items]
    total = store.ranking.set_index("unit_code").loc[YUDU, "total"]
    assert store.chosen.total == total
    for item in rubric.items:
        row = card.loc[item.code]
        assert row["max_points"] == item.max_points and row["lost"] == item.max_points - row["points"] or \
            item.kind == "veto"
        if item.is_computed:
            assert row["source"] == "computed" and row["value"] is not None
        elif item.kind == "manual":
            assert row["source"] in ("manual", "missing")
            if row["source"] == "manual":
                assert row["evidence"] and row["assessor"]
    shown = {r["item"].strip("\u3000"): r for r in shown_rows(store, "scorecard")}
    integration = shown["整合涉农资金用于扶贫开发比例达到35%以上"]
    assert integration["source_text"] == "数据计算" and integration["value_text"].endswith("%")
    assert integration["points"] == f"{card.loc['integration', 'points']:.2f}"
    supervision = shown["对财政扶贫资金全过程进行监督检查和绩效管理"]
    assert supervision["source_text"] in ("人工评分", "待评")
    if supervision["source_text"] == "人工评分":
        assert supervision["evidence"] == card.loc["supervision", "evidence"]
        assert supervision["lost"] == ("" if card.loc["supervision", "lost"] == 0
                                       else f"{card.loc['supervision', 'lost']:.2f}")
    store.lang = "en"
    assert store.shown("scorecard").titles["note"] == "How the points came about"
    assert store.shown("scorecard").title == "于都县 · scorecard 2020"


def test_a_comparison_of_two_years_and_of_two_units(engine):
    store = ScoringStore(engine=engine, scope=ALL, rubric=SECTOR, year=2020, unit=YUDU)
    assert store.comparison.empty and store.other is None
    store.compare_year = 2019
    _, earlier = unit_scores(engine, ALL, SECTOR, 2019)
    before = next(s for s in earlier if s.unit_code == YUDU)
    cmp = store.comparison.set_index("code")
    assert cmp.loc["total", "points"] == store.chosen.total and cmp.loc["total", "other_points"] == before.total
    for item in before.items:
        assert cmp.loc[item.code, "other_points"] == item.points
        assert cmp.loc[item.code, "diff"] == cmp.loc[item.code, "points"] - item.points
    shown = store.shown("score_comparison")
    assert shown.title == "对比：于都县 2020年 与 于都县 2019年"
    assert shown.titles["other_points"] == "得分：于都县 2019年"

    store.param.update(compare_year=0, compare_unit=XINGGUO)
    other = store.ranking.set_index("unit_code").loc[XINGGUO, "total"]
    assert store.comparison.set_index("code").loc["total", "other_points"] == other
    diff = store.chosen.total - other
    assert shown_rows(store, "score_comparison")[0]["diff"] == ("+" if diff > 0 else "") + f"{diff:.2f}"
    store.compare_unit = YUDU  # the same unit and year: nothing to compare
    assert store.comparison.empty


def test_choices_the_store_corrects_and_the_scope(engine):
    store = ScoringStore(engine=engine, scope=ALL, rubric=VILLAGE, year=2021, unit="999999", compare_year=1999)
    assert store.unit == store.ranking["unit_code"].iloc[0] and store.notice
    assert store.compare_year == 0
    county = ScoringStore(engine=engine, scope=Scope.county(YUDU), rubric=SECTOR, year=2020)
    assert list(county.ranking["unit_code"]) == [YUDU] and county.unit == YUDU
    everyone = ScoringStore(engine=engine, scope=ALL, rubric=SECTOR, year=2020).ranking.set_index("unit_code")
    assert county.ranking["total"].iloc[0] == everyone.loc[YUDU, "total"]
    assert county.ranking["rank"].iloc[0] == 1  # ranked among what the viewer may see


def test_the_views_render_and_follow_the_store(engine):
    store = ScoringStore(engine=engine, scope=ALL, rubric=SECTOR, year=2020)
    ranking, card = ScoreRanking(store=store), RubricScorecard(store=store)
    for view in (ScoringControls(store=store), ranking, card, ScoreComparison(store=store), ScoreEntry(store=store)):
        render(view)
    assert ranking.table.frame["unit_name"].iloc[0] == store.chosen.unit_name
    assert f"<b>{store.chosen.total:.2f}</b>" in card._summary()
    from panel.models.tabulator import CellClickEvent

    row = list(store.ranking["unit_code"]).index(XINGGUO)
    ranking._table._process_event(CellClickEvent(model=None, column="unit_name", row=row))
    assert store.unit == XINGGUO and card.table.title == "兴国县 · 2020年评分表"


def test_exports_hold_what_is_shown_and_the_choices(writable_engine):  # exports write audit rows
    store = ScoringStore(engine=writable_engine, scope=ALL, rubric=SECTOR, year=2020, unit=YUDU, compare_year=2019)
    for kind in ("score_ranking", "scorecard", "score_comparison"):
        buttons = ExportButtons(store=store, kind=kind)
        text = buttons._file("csv").getvalue().decode("utf-8-sig")
        shown = store.shown(kind)
        assert shown.labelled().to_csv(index=False, lineterminator="\r\n") in text
        assert "# 考核办法,市财政局行业扶贫工作考核 (chaoyang-2020-sector)" in text
        assert "# 对比,于都县 2019年" in text
    book = openpyxl.load_workbook(io.BytesIO(ExportButtons(store=store, kind="score_ranking")._file("xlsx").getvalue()))
    rows = list(book.worksheets[0].values)
    assert rows[0][:3] == ("排名", "单位", "总分")
    assert [f"{r[2]:.2f}" for r in rows[1:]] == list(store.shown("score_ranking").frame["total"])
    assert export.filename("scorecard", "csv").startswith("fundwatch-scorecard-")


# ---------------------------------------------------------------------------------------------
# Writing: manual entry through the store, on both backends
# ---------------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)], scope="module")
def writable(request, tmp_path_factory) -> Engine:
    """A demo database of this module's own (saves change it)."""
    from conftest import new_demo_database

    engine = new_demo_database(request.param, "scoring_test", tmp_path_factory)
    yield engine
    engine.dispose()


def _audit(engine: Engine) -> list:
    t = m.AuditEntry.__table__
    with engine.connect() as conn:
        return conn.execute(select(t).where(t.c.action == "score_edit").order_by(t.c.id)).all()


def _score_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(m.Score.__table__)).scalar_one()


def test_the_demo_scores_were_entered_with_evidence_and_audited(writable):
    entries = demo.assessment_entries()
    assert _score_rows(writable) == len(entries)
    audit = _audit(writable)
    assert len(audit) == len(entries) and {a.actor for a in audit} == {"demo"}
    assert entries["evidence"].str.len().min() > 0 and entries["assessor"].str.len().min() > 0
    assert set(entries["year"]) == set(range(2019, 2026))


def test_saving_a_manual_item_changes_total_and_rank_at_once_and_is_audited(writable, capsys):
    store = ScoringStore(engine=writable, scope=ALL, rubric=SECTOR, year=2020, actor="审核员甲")
    last = store.ranking.iloc[-1]
    unit = last["unit_code"]
    store.unit = unit
    before_total, before_rank = store.chosen.total, store.chosen.rank
    audit_before = len(_audit(writable))
    card = store.card.set_index("code")
    # raise the unit's manual items to full marks one at a time until it leads
    gains = [(c, r) for c, r in card.iterrows() if r["kind"] == "manual" and r["lost"] > 0]
    assert gains, "the last unit lost points on some manual item"
    code, row = max(gains, key=lambda g: g[1]["lost"])
    message = store.save(code, f"{row['max_points']:.2f}", "复核：现场检查记录.pdf", "张审核")
    after = store.chosen
    assert after.unit_code == unit and after.total == before_total + row["lost"]
    assert after.rank < before_rank or after.total == store.ranking["total"].iloc[0]
    assert store.ranking.set_index("unit_code").loc[unit, "total"] == after.total
    assert f"{after.total:.2f}" in message and f"第{after.rank}名" in message
    assert store.card.set_index("code").loc[code, "evidence"] == "复核：现场检查记录.pdf"
    assert store.revision == 1
    audit = _audit(writable)
    assert len(audit) == audit_before + 1
    entry = audit[-1]
    assert (entry.actor, entry.county_code) == ("审核员甲", unit)
    assert entry.detail["item"] == code and entry.detail["new_points"] == f"{row['max_points']:.2f}"
    assert entry.detail["assessor"] == "张审核" and entry.detail["year"] == 2020
    # a fresh read (what the CLI runs) sees the same, and so does the CLI itself
    _, fresh = unit_scores(writable, ALL, SECTOR, 2020)
    assert next((s.total, s.rank) for s in fresh if s.unit_code == unit) == (after.total, after.rank)
    if writable.dialect.name == "sqlite":  # the PostgreSQL demo lives in a schema a URL cannot name
        cli = {r["unit_code"]: r for r in cli_json(writable, capsys)}
        assert P(str(cli[unit]["total"])) == after.total and cli[unit]["rank"] == after.rank


def test_the_entry_form_saves_and_refuses_bad_input_without_writing(writable):
    store = ScoringStore(engine=writable, scope=ALL, rubric=SECTOR, year=2021, unit=YUDU)
    form = ScoreEntry(store=store)
    render(form)
    assert form.item == "supervision"  # the first entered item
    rows, audit = _score_rows(writable), len(_audit(writable))
    for value, evidence, assessor, reason in [("13", "x", "y", "得分须在0到12分之间"), ("abc", "x", "y", "请输入数字"),
                                              ("1.555", "x", "y", "得分最多两位小数"), ("5", " ", "y", "请填写依据"),
                                              ("5", "x", "", "请填写评分人")]:
        form.param.update(value=value, evidence=evidence, assessor=assessor)
        form._on_save()
        assert "bad" in form.status and reason in form.status
    form.item = "commend_national"  # choosing an item shows what is stored for it
    form.param.update(value="1.5", evidence="x", assessor="y")
    form._on_save()
    assert "次数须为非负整数" in form.status
    assert (_score_rows(writable), len(_audit(writable))) == (rows, audit)

    total = store.chosen.total
    form.item = "innovation"
    form.param.update(value="3", evidence="", assessor="李四")
    form._file.filename = "创新经验材料.pdf"  # the chosen file's name becomes the evidence
    assert form.evidence == "创新经验材料.pdf"
    form._on_save()
    assert "ok" in form.status and store.card.set_index("code").loc["innovation", "points"] == 3
    assert store.chosen.total >= total and len(_audit(writable)) == audit + 1
    # English messages
    store.lang = "en"
    form.param.update(value="9")
    form._on_save()
    assert "Not saved: points lie between 0 and 3" in form.status


def test_a_county_viewer_cannot_score_another_county(writable):
    store = ScoringStore(engine=writable, scope=Scope.county(YUDU), rubric=SECTOR, year=2020)
    store.unit = XINGGUO  # outside the scope: the store falls back to its own unit
    assert store.unit == YUDU
    from fundwatch.data.rubric import enter_score

    with pytest.raises(PermissionError):
        enter_score(writable, Scope.county(YUDU), SECTOR, XINGGUO, 2020, "innovation", "1", "x", "y", "z")
