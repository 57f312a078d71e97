"""The assessment (考核, seeds/004 attachment 2) on a page: the store and the views of ``/scoring``.

:class:`ScoringStore` holds the choices (rubric, year, the unit whose scorecard is shown, the unit
or year it is compared with) as parameters and publishes the scored frames: the ranking of every
county-level unit in the viewer's scope, one unit's scorecard and the comparison.  The numbers
come from :func:`fundwatch.data.rubric.unit_scores`, the same function ``fundwatch score`` runs,
so the page and the CLI agree to the hundredth.  :meth:`ScoringStore.save` enters an assessor's
score through :func:`fundwatch.data.rubric.enter_score` (one transaction with its audit row) and
re-scores at once.

The views: :class:`ScoringControls` (the choices), :class:`ScoreRanking` (a click picks the
unit), :class:`RubricScorecard` (every item with points, maximum, source, measured value or
evidence, and where points were lost), :class:`ScoreComparison` and :class:`ScoreEntry` (manual
entry).  Each sits in a :class:`~.cards.DataCard`, so its CSV/XLSX export is what it shows.
Points are exact Decimals shown with two decimals.
"""

from __future__ import annotations

import functools
import html
from decimal import Decimal

import pandas as pd
import panel as pn
import param

from fundwatch.data.rubric import (
    CARD_COLUMNS, SCORE_COLUMNS, Rubric, UnitScore, available_rubrics, enter_score, load_rubric, scorecard_to_frame,
    scores_to_frame, unit_scores,
)
from fundwatch.data.rubric.engine import fmt_value, value_unit
from fundwatch.data.rubric.model import fmt_points

from . import i18n, present, theme
from . import loaders as L
from .cards import StoreView, card, heading, note
from .controls import WIDGET_CSS, Choice
from .i18n import t
from .present import COUNT, POINTS, Col, Shown
from .stores import DashboardStore, RegionCode, _empty
from .tables import tabulator

i18n.extend({
    "zh": {
        "scoring.rubric": "考核办法",
        "scoring.year": "考核年度",
        "scoring.unit": "考核单位",
        "scoring.compare_unit": "对比单位",
        "scoring.compare_year": "对比年度",
        "scoring.no_compare": "不对比",
        "scoring.ranking": "{rubric} · {year}年排名",
        "scoring.card": "{unit} · {year}年评分表",
        "scoring.comparison": "对比：{a} 与 {b}",
        "scoring.comparison.none": "选择对比单位或对比年度，逐项比较得分。",
        "scoring.ranking.hint": "点击一行查看该单位的评分表。总分 = 基础分（封顶{max}分）+ 加分（封顶{bonus}分），一票否决时为0。",
        "scoring.summary": "总分 {total} · 第{rank}名（共{units}个单位） · 基础分 {base} · 加分 {bonus} · 待评项 {missing}",
        "scoring.summary.vetoed": "一票否决：{reason}",
        "scoring.unit_year": "{unit} {year}年",
        "scoring.col.unit": "单位",
        "scoring.col.total": "总分",
        "scoring.col.base": "基础分",
        "scoring.col.bonus": "加分",
        "scoring.col.vetoed": "一票否决",
        "scoring.col.missing": "待评项",
        "scoring.col.item": "考核项目",
        "scoring.col.max": "满分",
        "scoring.col.points": "得分",
        "scoring.col.lost": "失分",
        "scoring.col.source": "来源",
        "scoring.col.value": "实测值/录入值",
        "scoring.col.evidence": "依据",
        "scoring.col.assessor": "评分人",
        "scoring.col.note": "得分说明",
        "scoring.col.diff": "差值",
        "scoring.source.computed": "数据计算",
        "scoring.source.manual": "人工评分",
        "scoring.source.missing": "待评",
        "scoring.source.group": "小计",
        "scoring.entry": "录入评分：{unit} · {year}年",
        "scoring.entry.item": "评审项",
        "scoring.entry.points": "得分（0–{max}分）",
        "scoring.entry.count": "次数",
        "scoring.entry.veto": "是否否决（1=否决，0=不否决）",
        "scoring.entry.evidence": "依据（说明或文件名）",
        "scoring.entry.file": "或选择佐证文件（仅记录文件名）",
        "scoring.entry.assessor": "评分人",
        "scoring.entry.save": "保存评分",
        "scoring.entry.hint": "保存后立即重新计分，并写入审计日志。",
        "scoring.entry.none": "该考核办法没有需要人工录入的项目。",
        "scoring.saved": "已保存：{item} {old} → {new}分；{unit}总分 {total}，第{rank}名。",
        "scoring.error": "未保存：{detail}",
        "scoring.error.number": "请输入数字",
        "scoring.error.range": "得分须在0到{max}分之间",
        "scoring.error.decimals": "得分最多两位小数",
        "scoring.error.count": "次数须为非负整数",
        "scoring.error.veto": "否决项只能填1或0",
        "scoring.error.evidence": "请填写依据",
        "scoring.error.assessor": "请填写评分人",
        "scoring.error.unit": "请先选择考核单位",
        "scoring.filter.rubric": "考核办法",
        "scoring.filter.unit": "考核单位",
        "scoring.filter.compare": "对比",
    },
    "en": {
        "scoring.rubric": "Rubric",
        "scoring.year": "Year assessed",
        "scoring.unit": "Unit",
        "scoring.compare_unit": "Compare with unit",
        "scoring.compare_year": "Compare with year",
        "scoring.no_compare": "No comparison",
        "scoring.ranking": "{rubric} · ranking {year}",
        "scoring.card": "{unit} · scorecard {year}",
        "scoring.comparison": "Comparison: {a} and {b}",
        "scoring.comparison.none": "Choose a unit or a year to compare with, item by item.",
        "scoring.ranking.hint": "Click a row for the unit's scorecard. Total = base (at most {max}) + bonus (at most "
                                "{bonus}); 0 when vetoed.",
        "scoring.summary": "Total {total} · rank {rank} of {units} · base {base} · bonus {bonus} · "
                           "items not scored {missing}",
        "scoring.summary.vetoed": "Vetoed: {reason}",
        "scoring.unit_year": "{unit} {year}",
        "scoring.col.unit": "Unit",
        "scoring.col.total": "Total",
        "scoring.col.base": "Base",
        "scoring.col.bonus": "Bonus",
        "scoring.col.vetoed": "Vetoed",
        "scoring.col.missing": "Not scored",
        "scoring.col.item": "Item",
        "scoring.col.max": "Maximum",
        "scoring.col.points": "Points",
        "scoring.col.lost": "Lost",
        "scoring.col.source": "Source",
        "scoring.col.value": "Measured / entered",
        "scoring.col.evidence": "Evidence",
        "scoring.col.assessor": "Assessor",
        "scoring.col.note": "How the points came about",
        "scoring.col.diff": "Difference",
        "scoring.source.computed": "computed",
        "scoring.source.manual": "assessor",
        "scoring.source.missing": "not scored",
        "scoring.source.group": "subtotal",
        "scoring.entry": "Enter a score: {unit} · {year}",
        "scoring.entry.item": "Item",
        "scoring.entry.points": "Points (0-{max})",
        "scoring.entry.count": "Count",
        "scoring.entry.veto": "Veto (1 = applies, 0 = does not)",
        "scoring.entry.evidence": "Evidence (text or file name)",
        "scoring.entry.file": "Or choose an evidence file (its name is recorded)",
        "scoring.entry.assessor": "Assessor",
        "scoring.entry.save": "Save score",
        "scoring.entry.hint": "Saving re-scores at once and writes an audit row.",
        "scoring.entry.none": "This rubric has no items an assessor enters.",
        "scoring.saved": "Saved: {item} {old} → {new}; {unit} now totals {total}, rank {rank}.",
        "scoring.error": "Not saved: {detail}",
        "scoring.error.number": "enter a number",
        "scoring.error.range": "points lie between 0 and {max}",
        "scoring.error.decimals": "points have at most two decimals",
        "scoring.error.count": "a count is a whole number of 0 or more",
        "scoring.error.veto": "a veto is 1 or 0",
        "scoring.error.evidence": "the evidence is required",
        "scoring.error.assessor": "the assessor is required",
        "scoring.error.unit": "choose a unit first",
        "scoring.filter.rubric": "Rubric",
        "scoring.filter.unit": "Unit",
        "scoring.filter.compare": "Compared with",
    },
})

ENTERED_KINDS = ("manual", "per_occurrence", "deduction", "veto")
COMPARISON_COLUMNS = ("code", "depth", "title_zh", "title_en", "kind", "max_points", "points", "other_points", "diff")
DEFAULT_RUBRIC = "chaoyang-2020-sector"
_RUBRICS = available_rubrics()


@functools.lru_cache(maxsize=16)
def rubric_title(name: str, lang: str) -> str:
    """A shipped rubric's title in ``lang`` (the name itself if it does not load)."""
    try:
        rubric = load_rubric(name)
    except Exception:  # noqa: BLE001 - a broken file is reported when it is scored
        return name
    return rubric.title_en if lang == "en" else rubric.title_zh


def _points(value) -> str:
    return present.points_text(value)


class ScoringStore(DashboardStore):
    """The choices and scored frames of the scoring page (see the module docstring).

    ``year`` defaults to the rubric's own year.  ``unit`` '' (or a unit outside the scope)
    shows the best-ranked unit; ``compare_unit`` '' and ``compare_year`` 0 mean "the same as
    ``unit`` / ``year``": the comparison is shown when at least one of them differs.
    """

    rubric = param.Selector(default=DEFAULT_RUBRIC if DEFAULT_RUBRIC in _RUBRICS else (_RUBRICS or [None])[0],
                            objects=_RUBRICS, doc="The rubric scored (a shipped rubric's name).")
    unit = RegionCode(default="", doc="The unit whose scorecard is shown ('' for the best-ranked one).")
    compare_unit = RegionCode(default="", doc="The unit compared with ``unit`` ('' for the same unit).")
    compare_year = param.Integer(default=0, bounds=(0, L.LAST_YEAR),
                                 doc="The year compared with ``year`` (0 for the same year).")

    ranking = param.DataFrame(default=_empty(*SCORE_COLUMNS), doc="Every unit's totals and item points, ranked.")
    card = param.DataFrame(default=_empty(*CARD_COLUMNS), doc="The scorecard of ``unit``: one row per item.")
    comparison = param.DataFrame(default=_empty(*COMPARISON_COLUMNS),
                                 doc="Per item: points of ``unit`` in ``year`` and of the compared unit/year.")
    revision = param.Integer(default=0, doc="Counts the saves of this session (views refresh on it).")

    _FILTERS = ("engine", "scope", "rubric", "year", "unit", "compare_unit", "compare_year")

    def __init__(self, **params):
        if "year" not in params and "as_of" not in params:
            name = params.get("rubric") or self.param.rubric.default
            try:
                params["year"] = load_rubric(name).year
            except Exception:  # noqa: BLE001 - keep the default year; scoring reports the problem
                pass
        self._memo: dict[tuple[str, int], tuple[Rubric, list[UnitScore]]] = {}
        self.definition: Rubric | None = None
        self.scores: list[UnitScore] = []
        self.other: UnitScore | None = None
        super().__init__(**params)

    # -- scoring ----------------------------------------------------------------------------------

    def _scored(self, year: int) -> tuple[Rubric, list[UnitScore]]:
        key = (self.rubric, year)
        if key not in self._memo:
            self._memo[key] = unit_scores(self.engine, self.scope, self.rubric, year)
        return self._memo[key]

    def _on_filters(self, *events) -> None:
        if any(e.name in ("engine", "scope") for e in events):
            self._memo.clear()
        super()._on_filters(*events)

    def _load(self) -> None:
        """Score the year (and the compared one), then publish the frames in one batch."""
        self._pending = False
        if self.engine is None or self.rubric is None:
            return
        L.note_activity()
        self._loading = True
        try:
            with pn.io.hold(freeze=True):
                definition, scores = self._scored(self.year)
                codes = [s.unit_code for s in scores]
                notice = ""
                unit = self.unit
                if unit and unit not in codes:
                    notice = t("error.unknown_region", self.lang, code=unit,
                               name=scores[0].unit_name if scores else t("app.prefecture", self.lang))
                    unit = ""
                if not unit and scores:
                    unit = scores[0].unit_code
                compare_unit = self.compare_unit if self.compare_unit in codes else ""
                compare_year = self.compare_year if L.FIRST_YEAR <= self.compare_year <= L.LAST_YEAR else 0
                chosen = next((s for s in scores if s.unit_code == unit), None)
                other = None
                if chosen is not None and ((compare_unit and compare_unit != unit)
                                           or (compare_year and compare_year != self.year)):
                    _, other_scores = self._scored(compare_year or self.year)
                    other = next((s for s in other_scores if s.unit_code == (compare_unit or unit)), None)
                self.definition, self.scores, self.other = definition, scores, other
                counties = pd.DataFrame({"code": codes, "name": [s.unit_name for s in scores]}).sort_values("code")
                self.param.update(
                    counties=counties.reset_index(drop=True), notice=notice, unit=unit, compare_unit=compare_unit,
                    compare_year=compare_year, ranking=scores_to_frame(definition, scores),
                    card=scorecard_to_frame(chosen) if chosen is not None else _empty(*CARD_COLUMNS),
                    comparison=_comparison(chosen, other), busy=False,
                )
        finally:
            self._loading = False
            L.note_activity()

    @property
    def chosen(self) -> UnitScore | None:
        """The score of ``unit`` (None before a load or without units)."""
        return next((s for s in self.scores if s.unit_code == self.unit), None)

    def entered_items(self) -> list:
        """The rubric's items an assessor enters (not computed, not groups), in tree order."""
        if self.definition is None:
            return []
        return [i for i in self.definition.leaves if not i.is_computed and i.kind in ENTERED_KINDS]

    # -- manual entry -----------------------------------------------------------------------------

    def check_entry(self, item: str, value: str, evidence: str, assessor: str) -> str:
        """'' when the entry can be saved, else the reason in the store's language."""
        lang = self.lang
        if not self.unit:
            return t("scoring.error.unit", lang)
        spec = self.definition.item(item)
        try:
            number = Decimal(str(value).strip())
            if not number.is_finite():
                raise ValueError
        except Exception:  # noqa: BLE001 - any unreadable number
            return t("scoring.error.number", lang)
        if spec.kind == "manual":
            if number < 0 or number > spec.max_points:
                return t("scoring.error.range", lang, max=fmt_points(spec.max_points))
            if number != number.quantize(Decimal("0.01")):
                return t("scoring.error.decimals", lang)
        elif spec.kind == "veto":
            if number not in (0, 1):
                return t("scoring.error.veto", lang)
        elif number < 0 or number != number.to_integral_value():
            return t("scoring.error.count", lang)
        if not str(evidence or "").strip():
            return t("scoring.error.evidence", lang)
        if not str(assessor or "").strip():
            return t("scoring.error.assessor", lang)
        return ""

    def save(self, item: str, value: str, evidence: str, assessor: str) -> str:
        """Save an assessor's input for ``item`` of ``unit`` in ``year`` (one transaction with its
        audit row), re-score at once and return the confirmation.  :class:`ValueError` (with the
        reason in the store's language) when the entry cannot be saved; :class:`PermissionError`
        for a unit outside the scope."""
        if self.definition is None or not self.definition.has_item(item):
            raise ValueError(t("scoring.error", self.lang, detail=item))
        problem = self.check_entry(item, value, evidence, assessor)
        if problem:
            raise ValueError(t("scoring.error", self.lang, detail=problem))
        spec = self.definition.item(item)
        edit = enter_score(self.engine, self.scope, self.rubric, self.unit, self.year, item, str(value).strip(),
                           evidence, assessor, self.actor)
        self._memo.clear()
        self._load()  # at once, not on the next tick: the confirmation names the new total and rank
        self.revision += 1
        now = self.chosen
        return t("scoring.saved", self.lang, item=spec.title_en if self.lang == "en" else spec.title_zh,
                 old=_points(edit.old_points) or "—", new=_points(edit.new_points), unit=now.unit_name,
                 total=_points(now.total), rank=now.rank)

    # -- what the views show ----------------------------------------------------------------------

    def unit_name(self, code: str) -> str:
        return next((s.unit_name for s in self.scores if s.unit_code == code), code)

    def filters(self) -> list[tuple[str, str]]:
        lang = self.lang
        rows = [(t("scoring.filter.rubric", lang), f"{rubric_title(self.rubric, lang)} ({self.rubric})"),
                (t("filter.year", lang), str(self.year)),
                (t("scoring.filter.unit", lang), self.unit_name(self.unit))]
        if self.other is not None:
            rows.append((t("scoring.filter.compare", lang),
                         t("scoring.unit_year", lang, unit=self.other.unit_name, year=self.compare_year or self.year)))
        rows.append((t("filter.scope", lang), t("scope.all", lang) if self.scope.is_all else self.scope.key))
        return rows

    def shown(self, kind: str) -> Shown:
        lang = self.lang
        if kind == "score_ranking":
            return ranking_shown(self.definition, self.ranking, lang, self.rubric, self.year)
        if kind == "scorecard":
            chosen = self.chosen
            title = t("scoring.card", lang, unit=chosen.unit_name if chosen else "", year=self.year)
            return scorecard_shown(self.definition, self.card, lang, title)
        if kind == "score_comparison":
            a = t("scoring.unit_year", lang, unit=self.unit_name(self.unit), year=self.year)
            b = (t("scoring.unit_year", lang, unit=self.other.unit_name, year=self.compare_year or self.year)
                 if self.other is not None else "")
            return comparison_shown(self.comparison, lang, a, b)
        return super().shown(kind)


def _comparison(a: UnitScore | None, b: UnitScore | None) -> pd.DataFrame:
    if a is None or b is None:
        return _empty(*COMPARISON_COLUMNS)
    rows = [{"code": "total", "depth": 0, "title_zh": "总分", "title_en": "Total", "kind": "total",
             "max_points": None, "points": a.total, "other_points": b.total, "diff": a.total - b.total}]
    for item in a.items:
        other = b.item(item.code)
        rows.append({"code": item.code, "depth": item.depth, "title_zh": item.title_zh, "title_en": item.title_en,
                     "kind": item.kind, "max_points": item.max_points, "points": item.points,
                     "other_points": other.points, "diff": item.points - other.points})
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def _indent(depth: int, text: str) -> str:
    return "\u3000" * int(depth) + text


def ranking_shown(rubric: Rubric | None, frame: pd.DataFrame, lang: str, name: str, year: int) -> Shown:
    """The ranking as shown and exported: rank, unit, total, base, bonus, the top-level items
    (titled with their maximum), veto and the number of items not scored yet."""
    out = frame.assign(vetoed=[t("yes" if v else "no", lang) for v in frame["vetoed"]])
    columns = (Col("rank", "col.rank", COUNT), Col("unit_name", "scoring.col.unit"),
               Col("total", "scoring.col.total", POINTS), Col("base", "scoring.col.base", POINTS),
               Col("bonus", "scoring.col.bonus", POINTS), Col("vetoed", "scoring.col.vetoed"),
               Col("missing", "scoring.col.missing", COUNT))
    title = t("scoring.ranking", lang, rubric=rubric_title(name, lang), year=year)
    shown = present.build("score_ranking", title, out, columns, lang, key="unit_code")
    table, titles, kinds = shown.frame.copy(), dict(shown.titles), dict(shown.kinds)
    items = []
    for root in (r for r in (rubric.roots if rubric is not None else ()) if r.kind != "veto"):
        key = f"item_{root.code}"
        items.append(key)
        table[key] = out[key].map(present.points_text).astype(object).reset_index(drop=True)
        item_title = root.title_en if lang == "en" else root.title_zh
        titles[key] = present._suffix(item_title, _points(root.max_points), lang)
        kinds[key] = POINTS
    order = ["rank", "unit_name", "total", "base", "bonus", *items, "vetoed", "missing"]
    return Shown("score_ranking", title, table[order], {k: titles[k] for k in order}, {k: kinds[k] for k in order},
                 "", (), shown.keys)


def _value_text(rubric: Rubric | None, row) -> str:
    value = row["value"]
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if rubric is None or not rubric.has_item(row["code"]):
        return str(value)
    item = rubric.item(row["code"])
    if item.kind in ("ratio", "step"):
        return fmt_value(Decimal(value), value_unit(item))
    if item.kind == "manual":
        return ""  # the points are the input
    return format(Decimal(value).normalize(), "f")


def scorecard_shown(rubric: Rubric | None, frame: pd.DataFrame, lang: str, title: str) -> Shown:
    """One unit's scorecard as shown and exported: every item with its points and why."""
    out = frame.copy()
    out["item"] = [_indent(d, tz if lang == "zh" else te)
                   for d, tz, te in zip(out["depth"], out["title_zh"], out["title_en"], strict=True)]
    out["source_text"] = [t(f"scoring.source.{s}", lang) for s in out["source"]]
    out["value_text"] = [_value_text(rubric, row) for _, row in out.iterrows()]
    out["note"] = out["note_en" if lang == "en" else "note_zh"]
    out["lost"] = [lost if lost else None for lost in out["lost"]]  # blank where nothing was lost
    columns = (Col("item", "scoring.col.item"), Col("max_points", "scoring.col.max", POINTS),
               Col("points", "scoring.col.points", POINTS), Col("lost", "scoring.col.lost", POINTS),
               Col("source_text", "scoring.col.source"), Col("value_text", "scoring.col.value"),
               Col("evidence", "scoring.col.evidence"), Col("assessor", "scoring.col.assessor"),
               Col("note", "scoring.col.note"))
    return present.build("scorecard", title, out, columns, lang, key="code")


def comparison_shown(frame: pd.DataFrame, lang: str, a: str, b: str) -> Shown:
    """The comparison as shown and exported: per item the points of A and B and A − B."""
    out = frame.copy()
    out["item"] = [_indent(d, tz if lang == "zh" else te)
                   for d, tz, te in zip(out["depth"], out["title_zh"], out["title_en"], strict=True)]
    out["diff"] = [("+" if d > 0 else "") + _points(d) if d else "0.00" for d in out["diff"]]
    columns = (Col("item", "scoring.col.item"), Col("max_points", "scoring.col.max", POINTS),
               Col("points", "scoring.col.points", POINTS), Col("other_points", "scoring.col.points", POINTS),
               Col("diff", "scoring.col.diff"))
    title = t("scoring.comparison", lang, a=a, b=b) if b else t("scoring.comparison.none", lang)
    shown = present.build("score_comparison", title, out, columns, lang, key="code")
    titles = dict(shown.titles)
    titles["points"] = f"{titles['points']}：{a}" if lang == "zh" else f"{titles['points']}: {a}"
    titles["other_points"] = (f"{titles['other_points']}：{b}" if lang == "zh" else f"{titles['other_points']}: {b}")
    titles["diff"] = f"{titles['diff']}（A−B）" if lang == "zh" else f"{titles['diff']} (A − B)"
    kinds = dict(shown.kinds) | {"diff": POINTS}
    return Shown(shown.kind, shown.title, shown.frame, titles, kinds, "", (), shown.keys)


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------

SCORING_CSS = f"""
.fw-score-summary {{ font-size: 15px; color: {theme.INK}; margin: 2px 0 6px 0; font-variant-numeric: tabular-nums; }}
.fw-score-summary b {{ font-size: 22px; color: {theme.NAVY}; }}
.fw-score-veto {{ color: {theme.RED}; font-weight: 600; }}
.fw-score-status {{ font-size: 13px; margin: 4px 0; }}
.fw-score-status.ok {{ color: {theme.GREEN}; }}
.fw-score-status.bad {{ color: {theme.RED}; }}
"""
NO_SORT = {"columnDefaults": {"headerSort": False}}


def _label(key: str, store, **values):
    return pn.bind(lambda lang: t(key, lang, **values), store.param.lang)


class ScoringControls(StoreView):
    """Rubric, year, unit, and the unit or year compared with."""

    def __init__(self, **params):
        super().__init__(**params)
        s = self.store
        common = {"stylesheets": [WIDGET_CSS], "margin": (0, 8, 4, 0)}
        rubric = Choice.from_param(
            s.param.rubric, label=_label("scoring.rubric", s), width=300,
            options=pn.bind(lambda lang: {rubric_title(n, lang): n for n in _RUBRICS}, s.param.lang), **common)
        year = Choice.from_param(
            s.param.year, label=_label("scoring.year", s), width=110,
            options=pn.bind(self._years, s.param.lang, False), **common)
        unit = Choice.from_param(
            s.param.unit, label=_label("scoring.unit", s), width=170,
            options=pn.bind(self._units, s.param.counties, s.param.lang, False), **common)
        compare_unit = Choice.from_param(
            s.param.compare_unit, label=_label("scoring.compare_unit", s), width=170,
            options=pn.bind(self._units, s.param.counties, s.param.lang, True), **common)
        compare_year = Choice.from_param(
            s.param.compare_year, label=_label("scoring.compare_year", s), width=130,
            options=pn.bind(self._years, s.param.lang, True), **common)
        self._layout = pn.FlexBox(rubric, year, unit, compare_unit, compare_year, align_items="flex-end",
                                  margin=(0, 6))

    @staticmethod
    def _years(lang: str, blank: bool) -> dict[str, int]:
        out = {t("scoring.no_compare", lang): 0} if blank else {}
        out.update({(f"{y}年" if lang == "zh" else str(y)): y for y in range(L.FIRST_YEAR, L.LAST_YEAR + 1)})
        return out

    @staticmethod
    def _units(units: pd.DataFrame, lang: str, blank: bool) -> dict[str, str]:
        out = {t("scoring.no_compare", lang): ""} if blank or units.empty else {}
        out.update({str(n): str(c) for c, n in zip(units["code"], units["name"], strict=True)})
        return out


class ScoreRanking(StoreView):
    """Every unit's total, base, bonus and top-level items, best first; a click shows its card."""

    table = param.ClassSelector(class_=Shown, doc="The ranking as shown.")

    def __init__(self, **params):
        super().__init__(**params)
        self._table = tabulator(self.param.table, pagination="local", page_size=20, frozen_columns=["unit_name"],
                                configuration=NO_SORT)
        self._table.on_click(self._on_click)
        self._layout = card(self, "score_ranking", self._title, self._table, note=self._note)

    @param.depends("store.ranking", "store.lang", watch=True, on_init=True)
    def _sync_table(self) -> None:
        self.table = self.store.shown("score_ranking")

    @param.depends("table")
    def _title(self) -> str:
        return heading(self.table.title)

    @param.depends("store.ranking", "store.lang")
    def _note(self) -> str:
        rubric = self.store.definition
        if rubric is None:
            return ""
        return note(t("scoring.ranking.hint", self.store.lang, max=fmt_points(rubric.max_points),
                      bonus=fmt_points(rubric.bonus_cap or 0)))

    def _on_click(self, event) -> None:
        keys = self.table.keys
        if event.row is not None and 0 <= event.row < len(keys):
            self.store.unit = str(keys[event.row])


class RubricScorecard(StoreView):
    """One unit's scorecard: its total and rank, then every item with points, maximum, points
    lost, source (computed with the measured value, or an assessor's score with evidence)."""

    table = param.ClassSelector(class_=Shown, doc="The scorecard as shown.")

    def __init__(self, **params):
        super().__init__(**params)
        self._table = tabulator(self.param.table, configuration=NO_SORT,
                                widths={"item": 300, "note": 380, "evidence": 220})
        summary = theme.html(self._summary, sizing_mode="stretch_width", margin=0, stylesheets=[SCORING_CSS])
        body = pn.Column(summary, self._table, sizing_mode="stretch_width", margin=0)
        self._layout = card(self, "scorecard", self._title, body)

    @param.depends("store.card", "store.lang", watch=True, on_init=True)
    def _sync_table(self) -> None:
        self.table = self.store.shown("scorecard")

    @param.depends("table")
    def _title(self) -> str:
        return heading(self.table.title)

    @param.depends("store.card", "store.lang")
    def _summary(self) -> str:
        s, lang = self.store.chosen, self.store.lang
        if s is None:
            return ""
        text = t("scoring.summary", lang, total=f"<b>{_points(s.total)}</b>", rank=s.rank, units=len(self.store.scores),
                 base=_points(s.base), bonus=_points(s.bonus), missing=len(s.missing))
        veto = ""
        if s.vetoed:
            veto = f'<div class="fw-score-veto">{html.escape(t("scoring.summary.vetoed", lang, reason=s.veto_reason(lang)))}</div>'
        return f'<div class="fw-score-summary">{text}</div>{veto}'


class ScoreComparison(StoreView):
    """Item by item: the unit in the year against another unit or another year."""

    table = param.ClassSelector(class_=Shown, doc="The comparison as shown.")

    def __init__(self, **params):
        super().__init__(**params)
        self._table = tabulator(self.param.table, configuration=NO_SORT, widths={"item": 300},
                                visible=self.store.param.comparison.rx.len() > 0)
        self._layout = card(self, "score_comparison", self._title, self._table)

    @param.depends("store.comparison", "store.lang", watch=True, on_init=True)
    def _sync_table(self) -> None:
        self.table = self.store.shown("score_comparison")

    @param.depends("table")
    def _title(self) -> str:
        return heading(self.table.title)


class ScoreEntry(StoreView):
    """Manual entry for the shown unit and year: an entered item, its points (a count or 1/0 for
    the other entered kinds), evidence as text or a file's name, the assessor; saved with an
    audit row and re-scored at once."""

    item = param.String(default="", doc="Code of the item being entered.")
    value = param.String(default="", doc="Points (or count, or 1/0 for a veto) as typed.")
    evidence = param.String(default="", doc="Evidence: a note or a file name.")
    assessor = param.String(default="", doc="The assessor's name.")
    status = param.String(default="", doc="The outcome of the last save (HTML).")

    def __init__(self, **params):
        super().__init__(**params)
        s = self.store
        common = {"stylesheets": [WIDGET_CSS], "margin": (0, 8, 6, 0)}
        item = Choice.from_param(self.param.item, label=_label("scoring.entry.item", s),
                                 options=pn.bind(self._items, s.param.card, s.param.lang),
                                 sizing_mode="stretch_width", **common)
        value = pn.widgets.TextInput.from_param(self.param.value, label=self._value_label, width=200, **common)
        evidence = pn.widgets.TextAreaInput.from_param(self.param.evidence, label=_label("scoring.entry.evidence", s),
                                                       rows=2, sizing_mode="stretch_width", **common)
        self._file = pn.widgets.FileInput(label=_label("scoring.entry.file", s), **common)
        self._file.param.watch(self._on_file, "filename")
        assessor = pn.widgets.TextInput.from_param(self.param.assessor, label=_label("scoring.entry.assessor", s),
                                                   width=200, **common)
        save = pn.widgets.Button(label=_label("scoring.entry.save", s), color="primary", width=120,
                                 margin=(18, 8, 6, 0), disabled=self.param.item.rx() == "")
        save.on_click(self._on_save)
        status = theme.html(self.param.status, sizing_mode="stretch_width", margin=0, stylesheets=[SCORING_CSS])
        hint = theme.html(pn.bind(lambda lang: note(t("scoring.entry.hint", lang)), s.param.lang), margin=0)
        body = pn.Column(item, pn.FlexBox(value, assessor, save, align_items="flex-end", margin=0), evidence,
                         self._file, hint, status, sizing_mode="stretch_width", margin=0)
        self._layout = card(self, None, self._title, body)

    @param.depends("store.card", "store.lang")
    def _title(self) -> str:
        lang, chosen = self.store.lang, self.store.chosen
        return heading(t("scoring.entry", lang, unit=chosen.unit_name if chosen else "", year=self.store.year))

    def _items(self, _card, lang: str) -> dict[str, str]:
        return {present._suffix(i.title_en if lang == "en" else i.title_zh, _points(i.max_points), lang): i.code
                for i in self.store.entered_items()}

    @param.depends("store.card", watch=True, on_init=True)
    def _sync_item(self) -> None:
        """Keep the chosen item one of the rubric's entered items (the first by default)."""
        codes = [i.code for i in self.store.entered_items()]
        if self.item not in codes:
            self.item = codes[0] if codes else ""

    @param.depends("item", "store.lang")
    def _value_label(self) -> str:
        lang = self.store.lang
        definition = self.store.definition
        if definition is None or not definition.has_item(self.item):
            return t("scoring.col.points", lang)
        spec = definition.item(self.item)
        if spec.kind == "manual":
            return t("scoring.entry.points", lang, max=fmt_points(spec.max_points))
        return t("scoring.entry.veto" if spec.kind == "veto" else "scoring.entry.count", lang)

    @param.depends("item", "store.card", watch=True, on_init=True)
    def _sync_draft(self) -> None:
        """Show what is stored for the item (the form starts from the current entry)."""
        card = self.store.card
        row = card[card["code"] == self.item]
        if row.empty or row.iloc[0]["source"] != "manual":
            self.param.update(value="", evidence="", assessor=self.assessor)
            return
        r = row.iloc[0]
        value = _points(r["points"]) if r["kind"] == "manual" else format(Decimal(r["value"]).normalize(), "f")
        self.param.update(value=value, evidence=r["evidence"] or "", assessor=r["assessor"] or "")

    def _on_file(self, event) -> None:
        if event.new:
            self.evidence = f"{self.evidence.strip()}；{event.new}" if self.evidence.strip() else event.new

    def _on_save(self, _event=None) -> None:
        try:
            message = self.store.save(self.item, self.value, self.evidence, self.assessor)
        except (ValueError, PermissionError) as exc:
            text = str(exc)
            if not text.startswith(t("scoring.error", self.store.lang, detail="")):
                text = t("scoring.error", self.store.lang, detail=text)
            self.status = f'<div class="fw-score-status bad">{html.escape(text)}</div>'
            return
        self.status = f'<div class="fw-score-status ok">{html.escape(message)}</div>'


__all__ = ["COMPARISON_COLUMNS", "RubricScorecard", "ScoreComparison", "ScoreEntry", "ScoreRanking",
           "ScoringControls", "ScoringStore", "comparison_shown", "ranking_shown", "rubric_title", "scorecard_shown"]
