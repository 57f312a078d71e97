"""The charts: disbursement pace, funds over the years, credit, assets and households.

Each chart draws the frame its export writes (:meth:`DashboardStore.shown`), so a download
holds exactly the numbers plotted.  Plots update in place (``hv.DynamicMap`` over a
``param.depends`` method) when the store publishes a new frame or switches language.
"""

from __future__ import annotations

import datetime as dt

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh.models import DatetimeTickFormatter, NumeralTickFormatter

from fundwatch.data import rules as policy
from fundwatch.data.masking import is_suppressed

from . import frames, i18n, theme
from .cards import StoreView, card, heading, note
from .i18n import t
from .present import Shown

# Tick formats.  Functions, not shared instances: a Bokeh model belongs to one document (session).
def _percent() -> NumeralTickFormatter:
    return NumeralTickFormatter(format="0%")


def _amount() -> NumeralTickFormatter:
    return NumeralTickFormatter(format="0,0.[00]")


def _months(lang: str) -> DatetimeTickFormatter:
    if lang == "zh":
        return DatetimeTickFormatter(months="%-m月", days="%-m月%-d日")
    return DatetimeTickFormatter(months="%b", days="%-d %b")


def _rule_param(rule: str, name: str):
    return {r.id: r for r in policy.resolve_rules()}[rule].params[name]


def base_opts(height: int = 280) -> dict:
    """What every chart shares: responsive width, no toolbar, hover only, CJK-capable fonts."""
    return {"responsive": True, "height": height, "toolbar": None, "default_tools": [], "tools": ["hover"],
            "fontsize": {"xticks": "9pt", "yticks": "9pt", "xlabel": "10pt", "ylabel": "10pt", "legend": "9pt"},
            "fontscale": 1.0}


def _legend(columns: int) -> dict:
    """A legend above the plot, ``columns`` entries a row."""
    return {"legend_position": "top",
            "legend_opts": {"orientation": "horizontal", "ncols": columns, "label_text_font_size": "9pt",
                            "glyph_width": 12, "glyph_height": 12, "spacing": 4, "padding": 2, "margin": 0}}


def _plot_pane(dmap: hv.DynamicMap, height: int) -> pn.pane.HoloViews:
    # linked_axes=False: charts that happen to share a dimension name (value, year) keep their own ranges
    return pn.pane.HoloViews(dmap, sizing_mode="stretch_width", height=height, margin=0, linked_axes=False)


def _long(shown: Shown, series_vocab: str, lang: str) -> pd.DataFrame:
    """A wide money table (year + one column per code) as long rows for stacked bars."""
    wide = shown.frame
    codes = [c for c in wide.columns if c != "year"]
    out = wide.melt(id_vars="year", value_vars=codes, var_name="code", value_name="amount")
    out["series"] = [i18n.term(series_vocab, code, lang) for code in out["code"]]
    out["year"] = out["year"].astype(str)
    out["shown"] = [f"{v:,.2f} {shown.unit}" for v in out["amount"]]
    return _placeholder(out[["year", "series", "amount", "shown"]])


def heights(values) -> list[float]:
    """Counts as bar heights: a suppressed count (``"<5"``) is not drawn (height 0), so no bar
    shows how small it is; its label says ``<5``."""
    return [0.0 if is_suppressed(v) else float(v) for v in values]


def _placeholder(data: pd.DataFrame) -> pd.DataFrame:
    """``data``, or one empty bar when it has no rows: a bar chart keeps its categorical axis
    (and can show the next region's bars in place) only if it never draws nothing."""
    if len(data):
        return data
    return pd.DataFrame({c: [0.0 if pd.api.types.is_numeric_dtype(data[c]) else ""] for c in data.columns})


class DisbursementCurve(StoreView):
    """Cumulative disbursement of the year's poverty funds against the F1 milestones
    (seeds/000 item 13: 50% by 31 March, 80% by 30 June)."""

    plot_height = param.Integer(default=300, doc="Plot height in pixels.")

    def __init__(self, **params):
        super().__init__(**params)
        body = _plot_pane(hv.DynamicMap(self._plot), height=self.plot_height)
        self._layout = card(self, "pace", self._title, body)

    @param.depends("store.year", "store.lang")
    def _title(self) -> str:
        return heading(t("panel.pace", self.store.lang, year=self.store.year))

    @param.depends("store.pace", "store.lang")
    def _plot(self) -> hv.Overlay:
        lang, pace, year = self.store.lang, self.store.pace, self.store.year
        data = pd.DataFrame({"date": pd.to_datetime(pace["date"]).astype("datetime64[ns]"),
                             "rate": pace["rate"].astype("float64")})
        data["when"] = [i18n.date(d.date(), lang) for d in data["date"]]
        data["shown"] = [i18n.pct(r) for r in data["rate"]]
        data["cumulative"] = [i18n.money(v, lang) for v in pace["cumulative"]]
        vdims = [hv.Dimension("rate", label=t("col.rate", lang)), "when", "shown", "cumulative"]
        kdim = hv.Dimension("date", label=t("col.date", lang))
        tips = [(t("col.date", lang), "@when"), (t("col.rate", lang), "@shown"),
                (t("col.cumulative", lang), "@cumulative")]
        line = hv.Curve(data, kdim, vdims).opts(color=theme.BLUE, line_width=3, tools=[])
        dots = hv.Scatter(data, kdim, vdims).opts(color=theme.BLUE, size=7, hover_tooltips=tips)
        first, last = np.datetime64(dt.date(year, 1, 1), "ns"), np.datetime64(dt.date(year, 12, 31), "ns")
        top = max(1.05, float(data["rate"].max()) + 0.08) if len(data) else 1.05
        return (self._milestones(pace, year, lang, first, last) * line * dots).opts(
            **base_opts(self.plot_height), xlim=(first, last), ylim=(0, top),
            yformatter=_percent(), xformatter=_months(lang),
            ylabel=t("chart.rate_axis", lang), xlabel="", show_grid=True, show_legend=False)

    @staticmethod
    def _milestones(pace: pd.DataFrame, year: int, lang: str, first, last) -> hv.Overlay:
        """Dashed lines at each required share, labelled at their right end, and a diamond on
        the due date: green when it was met, red when missed, grey while still ahead."""
        rate_on = dict(zip(pace["date"], pace["rate"], strict=True))
        rows = []
        for m in frames.milestones(year):
            reached = rate_on.get(m.due)
            color = theme.GREY if reached is None else theme.GREEN if reached >= m.target else theme.RED
            rows.append((np.datetime64(m.due, "ns"), m.target, color,
                         t("chart.milestone", lang, date=i18n.month_day(m.due, lang), target=i18n.pct(m.target, 0))))
        data = pd.DataFrame(rows, columns=["date", "target", "color", "label"])
        lines = hv.Segments(pd.DataFrame({"x0": first, "y0": data["target"], "x1": last, "y1": data["target"]}),
                            ["x0", "y0", "x1", "y1"]).opts(color=theme.GREY, line_dash="dashed", line_width=1, tools=[])
        marks = hv.Scatter(data, "date", ["target", "color", "label"]).opts(
            color="color", marker="diamond", size=16, line_color="#ffffff", hover_tooltips=[("", "@label")])
        at_end = data.assign(date=last)  # written along each line's right end, clear of the curve
        labels = hv.Labels(at_end, ["date", "target"], "label").opts(
            text_font_size="9pt", text_color=theme.MUTED, text_align="right", text_baseline="bottom", yoffset=0.01)
        return lines * marks * labels


class FundsTrend(StoreView):
    """Allocations 2016-2026 stacked by source level (``by="source_level"``) or programme."""

    by = param.Selector(default="source_level", objects=["source_level", "programme"], doc="What the bars stack.")
    plot_height = param.Integer(default=300, doc="Plot height in pixels.")

    def __init__(self, **params):
        super().__init__(**params)
        self._kind = "funds" if self.by == "source_level" else "funds_programme"
        body = _plot_pane(hv.DynamicMap(self._bars), height=self.plot_height)
        self._layout = card(self, self._kind, self._title, body, note=self._note)

    @param.depends("store.lang")
    def _title(self) -> str:
        key = "panel.funds_level" if self.by == "source_level" else "panel.funds_programme"
        return heading(t(key, self.store.lang))

    @param.depends("store.lang", "store.county", "store.township", "store.village")
    def _note(self) -> str:
        if self.store.level in ("township", "village"):
            return note(t("panel.county_level_note", self.store.lang, county=self.store.name_of(self.store.county)))
        return ""

    @param.depends("store.funds", "store.lang")
    def _bars(self) -> hv.Bars:
        lang = self.store.lang
        shown = self.store.shown(self._kind)
        data = _long(shown, self.by, lang)
        return hv.Bars(data, ["year", "series"], ["amount", "shown"]).opts(
            **base_opts(self.plot_height), stacked=True, cmap=list(theme.SERIES), line_color=None,
            ylabel=t("chart.amount_axis", lang, unit=shown.unit), xlabel="", show_grid=True, yformatter=_amount(),
            **_legend(4 if self.by == "source_level" else 2),
            hover_tooltips=[(t("col.year", lang), "@year"), ("", "@series"), (t("col.amount", lang), "@shown")])


class LeverageChart(StoreView):
    """Loans outstanding over the risk fund against the 1:8 line (seeds/000 item 7)."""

    plot_height = param.Integer(default=420, doc="Plot height in pixels.")

    def __init__(self, **params):
        super().__init__(**params)
        self._limit = float(_rule_param("L1", "max_leverage"))
        self._idle = float(_rule_param("L1", "idle_below"))
        body = _plot_pane(hv.DynamicMap(self._bars), height=self.plot_height)
        self._layout = card(self, "leverage", self._title, body)

    @param.depends("store.lang")
    def _title(self) -> str:
        return heading(t("panel.leverage", self.store.lang))

    @param.depends("store.leverage", "store.lang")
    def _bars(self) -> hv.Overlay:
        lang = self.store.lang
        shown = self.store.shown("leverage")
        data = shown.frame.copy()
        data["leverage"] = data["leverage"].fillna(0.0)
        data["color"] = [theme.RED if v > self._limit else theme.ORANGE if v < self._idle else theme.BLUE
                         for v in data["leverage"]]
        data["shown"] = [i18n.times(v, lang) for v in data["leverage"]]
        data["outstanding_shown"] = [f"{v:,.2f} {shown.unit}" for v in data["outstanding"]]
        data["fund_shown"] = [f"{v:,.2f} {shown.unit}" for v in data["risk_fund"]]
        data = _placeholder(data.iloc[::-1])  # first row at the top once the axes are inverted
        name = shown.titles["name"]
        line = hv.HLine(self._limit).opts(color=theme.RED, line_dash="dashed", line_width=2)  # inverted: vertical
        bars = hv.Bars(data, hv.Dimension("name", label=name),
                       [hv.Dimension("leverage", label=t("col.leverage", lang)), "color", "shown",
                        "outstanding_shown", "fund_shown"]).opts(
            **base_opts(self.plot_height), invert_axes=True, color="color", line_color=None,
            xlabel="", ylabel=t("chart.leverage_axis", lang), show_grid=True,
            ylim=(0, max(self._limit * 1.25, float(data["leverage"].max()) * 1.1)),
            hover_tooltips=[(name, "@name"), (t("col.leverage", lang), "@shown"),
                            (t("col.outstanding", lang), "@outstanding_shown"),
                            (t("col.risk_fund", lang), "@fund_shown")])
        return bars * line


class OverdueChart(StoreView):
    """The overdue-and-default share of loans outstanding by borrower type or bank (rule L2)."""

    by = param.Selector(default="borrower_type", objects=["borrower_type", "bank"], doc="Grouping of the bars.")
    plot_height = param.Integer(default=260, doc="Plot height in pixels.")

    def __init__(self, **params):
        super().__init__(**params)
        self._kind = "loans" if self.by == "borrower_type" else "loans_bank"
        self._limit = float(_rule_param("L2", "max_bad_ratio")) * 100
        frame = self.store.param.loans_by_type if self.by == "borrower_type" else self.store.param.loans_by_bank
        body = _plot_pane(hv.DynamicMap(param.bind(self._bars, frame, self.store.param.lang)), height=self.plot_height)
        self._layout = card(self, self._kind, self._title, body, note=self._note)

    @param.depends("store.lang")
    def _title(self) -> str:
        return heading(t("panel.overdue_type" if self.by == "borrower_type" else "panel.overdue_bank", self.store.lang))

    @param.depends("store.lang", "store.township", "store.village")
    def _note(self) -> str:
        if self.store.level == "township":
            return note(t("panel.loans_note", self.store.lang, county=self.store.name_of(self.store.county)))
        return ""

    def _bars(self, _frame: pd.DataFrame, lang: str) -> hv.Overlay:
        shown = self.store.shown(self._kind)
        data = shown.frame.copy()
        key = "borrower_type" if self.by == "borrower_type" else "bank"
        data["overdue_rate"] = data["overdue_rate"].fillna(0.0)
        data["color"] = [theme.RED if v > self._limit else theme.BLUE for v in data["overdue_rate"]]
        data["shown"] = [f"{v:.1f}%" for v in data["overdue_rate"]]
        data["outstanding_shown"] = [f"{v:,.2f} {shown.unit}" for v in data["outstanding"]]
        data = _placeholder(data.iloc[::-1])
        line = hv.HLine(self._limit).opts(color=theme.RED, line_dash="dashed", line_width=1.5)  # inverted: vertical
        bars = hv.Bars(data, hv.Dimension(key, label=shown.titles[key]),
                       [hv.Dimension("overdue_rate", label=t("col.overdue_rate", lang)), "color", "shown",
                        "outstanding_shown"]).opts(
            **base_opts(self.plot_height), invert_axes=True, color="color", line_color=None, xlabel="",
            ylabel=f"{t('chart.overdue_axis', lang)} (%)", show_grid=True,
            ylim=(0, max(self._limit * 2, float(data["overdue_rate"].max()) * 1.1)),
            hover_tooltips=[("", f"@{{{key}}}"), (t("col.overdue_rate", lang), "@shown"),
                            (t("col.outstanding", lang), "@outstanding_shown")])
        return bars * line



class _TitledChart(StoreView):
    """A chart in a card titled by the message ``TITLE``, exporting the frame ``KIND``; subclasses
    draw it in ``_bars`` (a ``param.depends`` method, so the plot updates in place)."""

    KIND = ""
    TITLE = ""
    plot_height = param.Integer(default=260, doc="Plot height in pixels.")

    def __init__(self, **params):
        super().__init__(**params)
        body = _plot_pane(hv.DynamicMap(self._bars), height=self.plot_height)
        self._layout = card(self, self.KIND, self._title, body, note=self._note)

    @param.depends("store.lang")
    def _title(self) -> str:
        return heading(t(self.TITLE, self.store.lang))

    @param.depends("store.lang")
    def _note(self) -> str:
        """A note under the title ('' for none)."""
        return ""

    def _bars(self) -> hv.Element:
        raise NotImplementedError


class AssetMixChart(_TitledChart):
    """Asset value by class (public-welfare, operating, household; seeds/003 八)."""

    KIND, TITLE = "assets", "panel.asset_mix"

    @param.depends("store.assets", "store.lang")
    def _bars(self) -> hv.Bars:
        lang = self.store.lang
        shown = self.store.shown("assets")
        data = shown.frame.copy()
        data["shown"] = [f"{v:,.2f} {shown.unit}" for v in data["value"]]
        data["count"] = [i18n.items(n, lang) for n in data["assets"]]
        data["color"] = list(theme.SERIES[:len(data)])
        data = _placeholder(data)
        return hv.Bars(data, hv.Dimension("asset_class", label=shown.titles["asset_class"]),
                       [hv.Dimension("value", label=t("col.value", lang)), "shown", "count", "color"]).opts(
            **base_opts(self.plot_height), color="color", line_color=None, xlabel="",
            ylabel=t("chart.amount_axis", lang, unit=shown.unit), show_grid=True, yformatter=_amount(),
            hover_tooltips=[("", "@asset_class"), (t("col.value", lang), "@shown"), (t("col.assets", lang), "@count")])


class CustodyChart(_TitledChart):
    """Custody gaps stacked by asset class: no custodian (rule A1), no owner (A2), idle or
    damaged (A4)."""

    KIND, TITLE = "assets", "panel.custody"
    GAPS = ("no_custodian", "no_owner", "idle_or_damaged")

    @param.depends("store.assets", "store.lang")
    def _bars(self) -> hv.Bars:
        lang = self.store.lang
        shown = self.store.shown("assets")
        data = shown.frame.melt(id_vars="asset_class", value_vars=list(self.GAPS), var_name="gap", value_name="count")
        data["gap"] = [t(f"col.{g}", lang) for g in data["gap"]]
        data = _placeholder(data[["gap", "asset_class", "count"]])
        return hv.Bars(data, ["gap", hv.Dimension("asset_class", label=shown.titles["asset_class"])],
                       hv.Dimension("count", label=t("col.assets", lang))).opts(
            **base_opts(self.plot_height), stacked=True, cmap=list(theme.SERIES), line_color=None, xlabel="",
            ylabel=t("chart.assets_axis", lang), show_grid=True, **_legend(3),
            hover_tooltips=[("", "@gap"), ("", "@asset_class"), (t("col.assets", lang), "@count")])


class HouseholdChart(_TitledChart):
    """Monitored households by category, stacked by status (seeds/003 二).

    Under small-count suppression a cell of 1 to 4 households arrives as ``"<5"``: it is not drawn
    (its bar has no height), its hover text reads ``<5``, and the note under the title names it."""

    KIND, TITLE = "households", "panel.households"
    STATUS_COLORS = {"pending": theme.ORANGE, "monitored": theme.BLUE, "eliminated": theme.GREEN}

    def _cells(self) -> list[tuple[str, str, object]]:
        """(category, status, count) for every category and status; a count is an int or "<5"."""
        raw = self.store.households
        counts = {(c, s): n for c, s, n in zip(raw["category"], raw["status"], raw["households"], strict=True)}
        return [(c, s, counts.get((c, s), 0)) for c in i18n.VOCABS["category"] for s in self.STATUS_COLORS]

    @param.depends("store.households", "store.lang")
    def _bars(self) -> hv.Bars:
        lang = self.store.lang
        data = pd.DataFrame(self._cells(), columns=["category", "status", "count"])
        data["households"] = heights(data["count"])  # "<5": not drawn
        data["category"] = [i18n.term("category", c, lang) for c in data["category"]]
        data["status"] = [i18n.term("household_status", s, lang) for s in data["status"]]
        data["shown"] = [i18n.households(n, lang) for n in data["count"]]
        data = data.drop(columns="count")
        return hv.Bars(data, [hv.Dimension("category", label=t("col.category", lang)), "status"],
                       [hv.Dimension("households", label=t("col.households", lang)), "shown"]).opts(
            **base_opts(self.plot_height), stacked=True, cmap=list(self.STATUS_COLORS.values()), line_color=None,
            xlabel="", ylabel=t("chart.count_axis", lang), show_grid=True, **_legend(3),
            hover_tooltips=[("", "@category"), ("", "@status"), (t("col.households", lang), "@shown")])

    @param.depends("store.households", "store.lang")
    def _note(self) -> str:
        lang = self.store.lang
        hidden = [f"{i18n.term('category', c, lang)}·{i18n.term('household_status', s, lang)}"
                  for c, s, n in self._cells() if is_suppressed(n)]
        return note(t("note.small_counts", lang, cells="、".join(hidden) if lang == "zh" else "; ".join(hidden))
                    ) if hidden else ""
