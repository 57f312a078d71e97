"""The charts: disbursement pace, funds over the years, credit, assets and households.

Every chart is a plain Bokeh figure built once per session (:class:`ChartView`), drawn from
``ColumnDataSource`` objects.  When the store publishes new frames or switches language the
chart replaces its sources' data, its ranges, axis labels and tooltips in place: nothing is
rebuilt, so a county change only sends new numbers to the browser.  The store publishes a load
in one batch under one document hold, so every chart of a page updates in the same message.

Each chart draws the frame its export writes (:meth:`DashboardStore.shown`), so a download holds
exactly the numbers plotted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh.models import (
    ColumnDataSource, DatetimeTickFormatter, FactorRange, HBar, HoverTool, Legend, LegendItem, NumeralTickFormatter,
    Range1d, Span, VBar,
)
from bokeh.core.properties import field
from bokeh.plotting import figure

from fundwatch.data import rules as policy
from fundwatch.data.masking import is_suppressed

from . import frames, i18n, theme
from .cards import StoreView, card, heading, note
from .i18n import t
from .present import Shown


# -- building blocks: a figure, its legend, a plot pane, bars --------------------------------------
# Bokeh models are made per chart, never shared: a model belongs to one document (session).

def _percent() -> NumeralTickFormatter:
    return NumeralTickFormatter(format="0%")


def _amount() -> NumeralTickFormatter:
    return NumeralTickFormatter(format="0,0.[00]")


def month_format(lang: str) -> dict[str, list[str]]:
    """The month ticks of a date axis in ``lang`` (properties of a ``DatetimeTickFormatter``)."""
    if lang == "zh":
        return {"months": "%-m月", "days": "%-m月%-d日"}
    return {"months": "%b", "days": "%-d %b"}


def _rule_param(rule: str, name: str):
    return {r.id: r for r in policy.resolve_rules()}[rule].params[name]


def new_figure(height: int, *, x_range=None, y_range=None, x_axis_type: str = "auto", width: int | None = None):
    """A figure as every chart has it: full width (or ``width``), no toolbar, hover only (tools
    are added per renderer), a grid, 9pt ticks and 10pt axis labels."""
    sizing = {"width": width} if width else {"sizing_mode": "stretch_width"}
    fig = figure(height=height, title=None, x_range=x_range if x_range is not None else Range1d(0, 1),
                 y_range=y_range if y_range is not None else Range1d(0, 1), x_axis_type=x_axis_type,
                 toolbar_location=None, tools="", min_border_left=10, min_border_right=10, **sizing)
    fig.outline_line_color = None
    for axis in (*fig.xaxis, *fig.yaxis):
        axis.major_label_text_font_size = "9pt"
        axis.axis_label_text_font_size = "10pt"
        axis.axis_label_text_font_style = "normal"
    return fig


def hover(fig, renderers: list, tooltips=None) -> HoverTool:
    """A hover tool showing ``tooltips`` over ``renderers`` only."""
    tool = HoverTool(renderers=renderers, tooltips=tooltips or [])
    fig.add_tools(tool)
    return tool


def legend_above(fig, items: list[LegendItem], columns: int) -> Legend:
    """A legend above the plot, ``columns`` entries a row."""
    legend = Legend(items=items, orientation="horizontal", ncols=columns, label_text_font_size="9pt", glyph_width=12,
                    glyph_height=12, spacing=4, padding=2, margin=0, location="top_left", border_line_alpha=0)
    fig.add_layout(legend, "above")
    return legend


def plot_pane(fig, height: int) -> pn.pane.Bokeh:
    return pn.pane.Bokeh(fig, sizing_mode="stretch_width", height=height, margin=0)


def heights(values) -> list[float]:
    """Counts as bar heights: a suppressed count (``"<5"``) is not drawn (height 0), so no bar
    shows how small it is; its label says ``<5``."""
    return [0.0 if is_suppressed(v) else float(v) for v in values]


def _placeholder(data: pd.DataFrame) -> pd.DataFrame:
    """``data``, or one empty bar when it has no rows: a categorical axis always has a factor."""
    if len(data):
        return data
    return pd.DataFrame({c: [0.0 if pd.api.types.is_numeric_dtype(data[c]) else ""] for c in data.columns})


def long_bars(frame: pd.DataFrame, x: str, columns: list[str], label: Callable[[str], str]
              ) -> tuple[list[str], list[str], list]:
    """The bars of a wide frame, one per row and value column, the columns one after another (as
    pandas' ``melt`` orders them): their ``x`` (text), series (``label(column)``) and values."""
    xs = [str(v) for v in frame[x].tolist()]
    return (xs * len(columns), [label(c) for c in columns for _ in xs],
            [v for c in columns for v in frame[c].tolist()])


def _long(shown: Shown, series_vocab: str, lang: str) -> dict[str, list]:
    """A wide money table (year + one column per code) as the columns of long rows for stacked
    bars (:func:`long_bars`)."""
    codes = [c for c in shown.frame.columns if c != "year"]
    years, series, amounts = long_bars(shown.frame, "year", codes, lambda code: i18n.term(series_vocab, code, lang))
    return {"year": years, "series": series, "amount": amounts,
            "shown": [f"{v:,.2f} {shown.unit}" for v in amounts]}


def _columns(data: pd.DataFrame) -> dict[str, list]:
    return {c: data[c].tolist() for c in data.columns}


def _stacked_tops(keys: list[str], heights_: np.ndarray) -> np.ndarray:
    """The top of each bar stacked on the bars of the same key before it (running sums per key,
    taken as pandas' grouped cumulative sum takes them, compensated, so the tops are the same)."""
    tops = np.empty(len(heights_))
    sums: dict[str, tuple[float, float]] = {}
    for i, (key, height) in enumerate(zip(keys, heights_.tolist(), strict=True)):
        total, lost = sums.get(key, (0.0, 0.0))
        y = height - lost
        t_ = total + y
        sums[key] = (t_, (t_ - total) - y)
        tops[i] = t_
    return tops


class Bars:
    """Bars on a categorical axis drawn from one ``ColumnDataSource``: one bar per row of a
    frame, stacked (or set side by side) by a series column, coloured per bar or per series, with
    the series as a legend above the plot.  :meth:`show` replaces the bars in place."""

    def __init__(self, fig, *, horizontal: bool = False, series: str | None = None, legend_columns: int = 0):
        self.fig, self.horizontal, self.series = fig, horizontal, series
        self.source = ColumnDataSource({"x": [], "bottom": [], "top": [], "color": []})
        # add_glyph: the renderer's selection, hover and muted looks are left to the browser ("auto")
        # rather than made as three more models per chart (bars are never selected)
        if horizontal:
            glyph = HBar(y="x", left="bottom", right="top", height=0.8, fill_color="color", line_color=None)
        else:
            glyph = VBar(x="x", bottom="bottom", top="top", width=0.8, fill_color="color", line_color=None)
        self.renderer = fig.add_glyph(self.source, glyph)
        self.hover = hover(fig, [self.renderer])
        self.legend = (legend_above(fig, [LegendItem(label=field(series), renderers=[self.renderer])],
                                    legend_columns) if series and legend_columns else None)

    @property
    def factors(self) -> FactorRange:
        return self.fig.y_range if self.horizontal else self.fig.x_range

    @property
    def values(self) -> Range1d:
        return self.fig.x_range if self.horizontal else self.fig.y_range

    def show(self, data: pd.DataFrame | dict[str, list], x: str, value: str, *, tooltips, colors=theme.SERIES,
             stacked: bool = True, limit: float | None = None) -> None:
        """Draw a bar per row of ``data`` at ``x`` of height ``value`` (every column goes to the
        source, for the tooltips).  Colours come from a ``color`` column, else one of ``colors``
        per series in order of appearance.  Bars of one ``x`` stack unless ``stacked`` is false
        (then they stand side by side).  The value axis runs from 0 to ``limit`` (default: a
        tenth above the highest bar).  ``data`` may be the columns as lists (the views that make
        their rows themselves: no frame made only to be taken apart again)."""
        if isinstance(data, dict):
            cols = {name: list(column) for name, column in data.items()}
            if not cols[x]:  # one empty bar: a categorical axis always has a factor
                cols = {name: [0.0 if name == value else ""] for name in cols}
        else:
            cols = _columns(_placeholder(data))
        heights_ = np.array(cols[value], dtype="float64")
        heights_[np.isnan(heights_)] = 0.0
        keys = [str(key) for key in cols[x]]
        if "color" not in cols:
            if self.series:
                order = {s: i for i, s in enumerate(dict.fromkeys(cols[self.series]))}
                cols["color"] = [colors[order[s] % len(colors)] for s in cols[self.series]]
            else:
                cols["color"] = [colors[0]] * len(keys)
        cols["color"] = [c or theme.GREY for c in cols["color"]]  # the empty placeholder bar
        if self.series and not stacked:  # side by side: nested factors (x, series)
            cols["x"] = list(zip(keys, [str(s) for s in cols[self.series]], strict=True))
            cols["bottom"], cols["top"] = [0.0] * len(keys), heights_.tolist()
        else:
            cols["x"] = keys
            tops = _stacked_tops(keys, heights_) if stacked else heights_
            cols["bottom"], cols["top"] = (tops - heights_).tolist(), tops.tolist()
        self.source.data = cols
        self.factors.factors = list(dict.fromkeys(cols["x"]))
        highest = max(cols["top"], default=0.0)
        self.values.update(start=0, end=limit if limit is not None else (highest * 1.1 if highest > 0 else 1.0))
        self.hover.tooltips = tooltips


class ChartView(StoreView):
    """A chart card.  ``_build`` makes the figure once; ``_draw`` fills it from the store and
    runs at creation and whenever the store publishes one of :attr:`FRAMES` or a language."""

    plot_height = param.Integer(default=260, doc="Plot height in pixels.")

    #: The store outputs the chart draws (besides ``lang``).
    FRAMES: tuple[str, ...] = ()

    def __init__(self, **params):
        super().__init__(**params)
        self._fig = self._build()
        self._draw()
        self.store.param.watch(self._on_store, [*self._frames(), "lang"])
        self._layout = self._card(plot_pane(self._fig, self._fig.height))

    def _frames(self) -> tuple[str, ...]:
        return self.FRAMES

    def _on_store(self, *_events) -> None:
        self._draw()

    def _card(self, body):  # pragma: no cover - every chart has its card
        raise NotImplementedError

    def _build(self):  # pragma: no cover - every chart builds its figure
        raise NotImplementedError

    def _draw(self) -> None:  # pragma: no cover - every chart draws
        raise NotImplementedError


class DisbursementCurve(ChartView):
    """Cumulative disbursement of the year's poverty funds against the F1 milestones
    (seeds/000 item 13: 50% by 31 March, 80% by 30 June)."""

    plot_height = param.Integer(default=300, doc="Plot height in pixels.")
    FRAMES = ("pace",)

    def _card(self, body):
        return card(self, "pace", self._title, body)

    @param.depends("store.year", "store.lang")
    def _title(self) -> str:
        return heading(t("panel.pace", self.store.lang, year=self.store.year))

    def _build(self):
        fig = new_figure(self.plot_height, x_axis_type="datetime")
        self._months = DatetimeTickFormatter()
        fig.xaxis[0].formatter = self._months
        fig.yaxis[0].formatter = _percent()
        self._curve = ColumnDataSource({"date": [], "rate": [], "when": [], "shown": [], "cumulative": []})
        # the milestones: dashed lines at each required share, labelled at their right end (clear
        # of the curve), and a diamond on the due date: green when met, red when missed, grey ahead
        self._marks = ColumnDataSource({"date": [], "target": [], "color": [], "label": [], "start": [], "end": [],
                                        "label_y": []})
        fig.segment(x0="start", y0="target", x1="end", y1="target", source=self._marks, line_color=theme.GREY,
                    line_dash="dashed", line_width=1)
        diamonds = fig.scatter("date", "target", source=self._marks, marker="diamond", size=16, fill_color="color",
                               line_color="#ffffff")
        fig.text(x="end", y="label_y", text="label", source=self._marks, text_font_size="9pt",
                 text_color=theme.MUTED, text_align="right", text_baseline="bottom")
        fig.line("date", "rate", source=self._curve, line_color=theme.BLUE, line_width=3)
        dots = fig.scatter("date", "rate", source=self._curve, color=theme.BLUE, size=7)
        self._hover = hover(fig, [dots])
        hover(fig, [diamonds], [("", "@label")])
        return fig

    def _draw(self) -> None:
        lang, pace, year = self.store.lang, self.store.pace, self.store.year
        dates = pd.to_datetime(pace["date"]).astype("datetime64[ns]")
        rates = pace["rate"].astype("float64")
        self._curve.data = {"date": dates.to_numpy(), "rate": rates.tolist(),
                            "when": [i18n.date(d.date(), lang) for d in dates],
                            "shown": [i18n.pct(r) for r in rates],
                            "cumulative": [i18n.money(v, lang) for v in pace["cumulative"]]}
        first, last = dt.datetime(year, 1, 1), dt.datetime(year, 12, 31)
        rate_on = dict(zip(pace["date"], pace["rate"], strict=True))
        marks = {"date": [], "target": [], "color": [], "label": []}
        for m in frames.milestones(year):
            reached = rate_on.get(m.due)
            marks["date"].append(np.datetime64(m.due, "ns"))
            marks["target"].append(m.target)
            marks["color"].append(theme.GREY if reached is None else theme.GREEN if reached >= m.target else theme.RED)
            marks["label"].append(t("chart.milestone", lang, date=i18n.month_day(m.due, lang),
                                    target=i18n.pct(m.target, 0)))
        count = len(marks["date"])
        self._marks.data = {**marks, "date": np.array(marks["date"], dtype="datetime64[ns]"),
                            "start": [first] * count, "end": [last] * count,
                            "label_y": [v + 0.01 for v in marks["target"]]}
        top = max(1.05, float(rates.max()) + 0.08) if len(rates) else 1.05
        self._fig.x_range.update(start=first, end=last)
        self._fig.y_range.update(start=0, end=top)
        self._months.update(**month_format(lang))
        self._fig.yaxis[0].axis_label = t("chart.rate_axis", lang)
        self._hover.tooltips = [(t("col.date", lang), "@when"), (t("col.rate", lang), "@shown"),
                                (t("col.cumulative", lang), "@cumulative")]


class FundsTrend(ChartView):
    """Allocations 2016-2026 stacked by source level (``by="source_level"``) or programme."""

    by = param.Selector(default="source_level", objects=["source_level", "programme"], doc="What the bars stack.")
    plot_height = param.Integer(default=300, doc="Plot height in pixels.")
    FRAMES = ("funds",)

    @property
    def _kind(self) -> str:
        return "funds" if self.by == "source_level" else "funds_programme"

    def _card(self, body):
        return card(self, self._kind, self._title, body, note=self._note)

    @param.depends("store.lang")
    def _title(self) -> str:
        key = "panel.funds_level" if self.by == "source_level" else "panel.funds_programme"
        return heading(t(key, self.store.lang))

    @param.depends("store.lang", "store.county", "store.township", "store.village")
    def _note(self) -> str:
        if self.store.level in ("township", "village"):
            return note(t("panel.county_level_note", self.store.lang, county=self.store.name_of(self.store.county)))
        return ""

    def _build(self):
        fig = new_figure(self.plot_height, x_range=FactorRange())
        fig.yaxis[0].formatter = _amount()
        self._bars = Bars(fig, series="series", legend_columns=4 if self.by == "source_level" else 2)
        return fig

    def _draw(self) -> None:
        lang = self.store.lang
        shown = self.store.shown(self._kind)
        self._bars.show(_long(shown, self.by, lang), "year", "amount",
                        tooltips=[(t("col.year", lang), "@year"), ("", "@series"), (t("col.amount", lang), "@shown")])
        self._fig.yaxis[0].axis_label = t("chart.amount_axis", lang, unit=shown.unit)


class _RatioBars(ChartView):
    """Horizontal bars of one ratio per row with its limit drawn as a dashed vertical line."""

    LINE_WIDTH = 2.0

    def _build(self):
        fig = new_figure(self.plot_height, y_range=FactorRange())
        self._bars = Bars(fig, horizontal=True)
        fig.add_layout(Span(location=self._limit, dimension="height", line_color=theme.RED, line_dash="dashed",
                            line_width=self.LINE_WIDTH))
        return fig


class LeverageChart(_RatioBars):
    """Loans outstanding over the risk fund against the 1:8 line (seeds/000 item 7)."""

    plot_height = param.Integer(default=420, doc="Plot height in pixels.")
    FRAMES = ("leverage",)

    def __init__(self, **params):
        self._limit = float(_rule_param("L1", "max_leverage"))
        self._idle = float(_rule_param("L1", "idle_below"))
        super().__init__(**params)

    def _card(self, body):
        return card(self, "leverage", self._title, body)

    @param.depends("store.lang")
    def _title(self) -> str:
        return heading(t("panel.leverage", self.store.lang))

    def _draw(self) -> None:
        lang = self.store.lang
        shown = self.store.shown("leverage")
        data = shown.frame.copy()
        data["leverage"] = data["leverage"].astype("float64").fillna(0.0)
        data["color"] = [theme.RED if v > self._limit else theme.ORANGE if v < self._idle else theme.BLUE
                         for v in data["leverage"]]
        data["shown"] = [i18n.times(v, lang) for v in data["leverage"]]
        data["outstanding_shown"] = [f"{v:,.2f} {shown.unit}" for v in data["outstanding"]]
        data["fund_shown"] = [f"{v:,.2f} {shown.unit}" for v in data["risk_fund"]]
        data = data[["name", "leverage", "color", "shown", "outstanding_shown", "fund_shown"]].iloc[::-1]  # first on top
        name = shown.titles["name"]
        highest = float(data["leverage"].max()) if len(data) else 0.0
        self._bars.show(data, "name", "leverage", limit=max(self._limit * 1.25, highest * 1.1),
                        tooltips=[(name, "@name"), (t("col.leverage", lang), "@shown"),
                                  (t("col.outstanding", lang), "@outstanding_shown"),
                                  (t("col.risk_fund", lang), "@fund_shown")])
        self._fig.xaxis[0].axis_label = t("chart.leverage_axis", lang)


class OverdueChart(_RatioBars):
    """The overdue-and-default share of loans outstanding by borrower type or bank (rule L2)."""

    by = param.Selector(default="borrower_type", objects=["borrower_type", "bank"], doc="Grouping of the bars.")
    plot_height = param.Integer(default=260, doc="Plot height in pixels.")
    LINE_WIDTH = 1.5

    def __init__(self, **params):
        self._limit = float(_rule_param("L2", "max_bad_ratio")) * 100
        super().__init__(**params)

    @property
    def _kind(self) -> str:
        return "loans" if self.by == "borrower_type" else "loans_bank"

    def _frames(self) -> tuple[str, ...]:
        return ("loans_by_type",) if self.by == "borrower_type" else ("loans_by_bank",)

    def _card(self, body):
        return card(self, self._kind, self._title, body, note=self._note)

    @param.depends("store.lang")
    def _title(self) -> str:
        return heading(t("panel.overdue_type" if self.by == "borrower_type" else "panel.overdue_bank", self.store.lang))

    @param.depends("store.lang", "store.township", "store.village")
    def _note(self) -> str:
        if self.store.level == "township":
            return note(t("panel.loans_note", self.store.lang, county=self.store.name_of(self.store.county)))
        return ""

    def _draw(self) -> None:
        lang = self.store.lang
        shown = self.store.shown(self._kind)
        key = self.by
        data = shown.frame.copy()
        data["overdue_rate"] = data["overdue_rate"].astype("float64").fillna(0.0)
        data["color"] = [theme.RED if v > self._limit else theme.BLUE for v in data["overdue_rate"]]
        data["shown"] = [f"{v:.1f}%" for v in data["overdue_rate"]]
        data["outstanding_shown"] = [f"{v:,.2f} {shown.unit}" for v in data["outstanding"]]
        data = data[[key, "overdue_rate", "color", "shown", "outstanding_shown"]].iloc[::-1]
        highest = float(data["overdue_rate"].max()) if len(data) else 0.0
        self._bars.show(data, key, "overdue_rate", limit=max(self._limit * 2, highest * 1.1),
                        tooltips=[("", f"@{{{key}}}"), (t("col.overdue_rate", lang), "@shown"),
                                  (t("col.outstanding", lang), "@outstanding_shown")])
        self._fig.xaxis[0].axis_label = f"{t('chart.overdue_axis', lang)} (%)"


class _TitledChart(ChartView):
    """Bars in a card titled by the message ``TITLE``, exporting the frame ``KIND``; subclasses
    fill the bars in ``_draw``."""

    KIND = ""
    TITLE = ""
    SERIES: str | None = None
    LEGEND = 0

    def _card(self, body):
        return card(self, self.KIND, self._title, body, note=self._note)

    @param.depends("store.lang")
    def _title(self) -> str:
        return heading(t(self.TITLE, self.store.lang))

    @param.depends("store.lang")
    def _note(self) -> str:
        """A note under the title ('' for none)."""
        return ""

    def _build(self):
        fig = new_figure(self.plot_height, x_range=FactorRange())
        self._bars = Bars(fig, series=self.SERIES, legend_columns=self.LEGEND)
        return fig


class AssetMixChart(_TitledChart):
    """Asset value by class (public-welfare, operating, household; seeds/003 八)."""

    KIND, TITLE = "assets", "panel.asset_mix"
    FRAMES = ("assets",)

    def _build(self):
        fig = super()._build()
        fig.yaxis[0].formatter = _amount()
        return fig

    def _draw(self) -> None:
        lang = self.store.lang
        shown = self.store.shown("assets")
        data = shown.frame[["asset_class", "value", "assets"]].copy()
        data["shown"] = [f"{v:,.2f} {shown.unit}" for v in data["value"]]
        data["count"] = [i18n.items(n, lang) for n in data["assets"]]
        data["color"] = list(theme.SERIES[:len(data)])
        self._bars.show(data.drop(columns="assets"), "asset_class", "value",
                        tooltips=[("", "@asset_class"), (t("col.value", lang), "@shown"),
                                  (t("col.assets", lang), "@count")])
        self._fig.yaxis[0].axis_label = t("chart.amount_axis", lang, unit=shown.unit)


class CustodyChart(_TitledChart):
    """Custody gaps stacked by asset class: no custodian (rule A1), no owner (A2), idle or
    damaged (A4)."""

    KIND, TITLE = "assets", "panel.custody"
    FRAMES = ("assets",)
    SERIES, LEGEND = "asset_class", 3
    GAPS = ("no_custodian", "no_owner", "idle_or_damaged")

    def _draw(self) -> None:
        lang = self.store.lang
        shown = self.store.shown("assets")
        data = shown.frame.melt(id_vars="asset_class", value_vars=list(self.GAPS), var_name="gap", value_name="count")
        data["gap"] = [t(f"col.{g}", lang) for g in data["gap"]]
        self._bars.show(data[["gap", "asset_class", "count"]], "gap", "count",
                        tooltips=[("", "@gap"), ("", "@asset_class"), (t("col.assets", lang), "@count")])
        self._fig.yaxis[0].axis_label = t("chart.assets_axis", lang)


class HouseholdChart(_TitledChart):
    """Monitored households by category, stacked by status (seeds/003 二).

    Under small-count suppression a cell of 1 to 4 households arrives as ``"<5"``: it is not drawn
    (its bar has no height), its hover text reads ``<5``, and the note under the title names it."""

    KIND, TITLE = "households", "panel.households"
    FRAMES = ("households",)
    SERIES, LEGEND = "status", 3
    STATUS_COLORS = {"pending": theme.ORANGE, "monitored": theme.BLUE, "eliminated": theme.GREEN}

    def _cells(self) -> list[tuple[str, str, object]]:
        """(category, status, count) for every category and status; a count is an int or "<5"."""
        raw = self.store.households
        counts = {(c, s): n for c, s, n in zip(raw["category"], raw["status"], raw["households"], strict=True)}
        return [(c, s, counts.get((c, s), 0)) for c in i18n.VOCABS["category"] for s in self.STATUS_COLORS]

    def _draw(self) -> None:
        lang = self.store.lang
        data = pd.DataFrame(self._cells(), columns=["category", "status", "count"])
        data["households"] = heights(data["count"])  # "<5": not drawn
        data["color"] = [self.STATUS_COLORS[s] for s in data["status"]]
        data["category"] = [i18n.term("category", c, lang) for c in data["category"]]
        data["status"] = [i18n.term("household_status", s, lang) for s in data["status"]]
        data["shown"] = [i18n.households(n, lang) for n in data["count"]]
        self._bars.show(data.drop(columns="count"), "category", "households",
                        tooltips=[("", "@category"), ("", "@status"), (t("col.households", lang), "@shown")])
        self._fig.yaxis[0].axis_label = t("chart.count_axis", lang)

    @param.depends("store.households", "store.lang")
    def _note(self) -> str:
        lang = self.store.lang
        hidden = [f"{i18n.term('category', c, lang)}·{i18n.term('household_status', s, lang)}"
                  for c, s, n in self._cells() if is_suppressed(n)]
        return note(t("note.small_counts", lang, cells="、".join(hidden) if lang == "zh" else "; ".join(hidden))
                    ) if hidden else ""
