"""The views of the transition page: the period timeline, headline figures, the household charts
and the identification clock, the continuity charts, the asset charts and the household list.

Each chart draws the frame its export writes (``TransitionStore.shown``) on a Bokeh figure built
once per session (see :mod:`.charts`), and updates its sources in place when the store publishes
that frame or switches language.  A household count suppressed for the viewer (``"<5"``) is
never drawn to size: its bar has no height and its hover text reads ``<5``.
"""

from __future__ import annotations

import datetime as dt
import html
import math

import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh.models import (
    BoxAnnotation, ColorBar, ColumnDataSource, DatetimeTickFormatter, FactorRange, Label, LegendItem,
    LinearColorMapper, Range1d, Span,
)
from bokeh.core.properties import value
from bokeh.transform import transform

from . import i18n, theme
from .cards import StoreView, card, heading, note
from .charts import (
    Bars, ChartView, _amount, _percent, heights, hover, legend_above, long_bars, month_format, new_figure,
)
from .i18n import t
from .kpis import _card
from .present import Shown
from .tables import RecordTable, tabulator
from .transition import LIST_SORTS, PHASES, TransitionList, TransitionStore, bin_label, income_bins, phase_of
from fundwatch.data.masking import is_suppressed
from fundwatch.data.reads.transition import INCOME_BIN_CAP

STATE_COLORS = {"overdue": "#fde2e1", "due_soon": "#ffe8cc", "on_track": ""}
SERIES_COLORS = {"ex_poverty": theme.RED, "others": theme.BLUE, "selected": theme.GOLD}


class TransitionChart(ChartView):
    """A chart card: ``kind`` names the export and the title; ``frame`` the store output drawn."""

    kind = param.String(doc="The table kind shown and exported (see TransitionStore.shown).")
    frame = param.String(doc="The store parameter whose change redraws the chart.")
    plot_height = param.Integer(default=260, doc="Plot height in pixels.")

    def _frames(self) -> tuple[str, ...]:
        return (self.frame,)

    def _card(self, body):
        return card(self, self.kind, self._title, body, note=self._note)

    @param.depends("store.lang", "store.year")
    def _title(self) -> str:
        return heading(self.store.title(self.kind))

    @param.depends("store.lang", "store.year")
    def _note(self) -> str:
        return ""

    def _draw(self) -> None:
        self.plot(self.store.shown(self.kind), self.store.lang)

    def plot(self, shown: Shown, lang: str) -> None:  # pragma: no cover - every subclass draws
        raise NotImplementedError


class _BarChart(TransitionChart):
    """Bars of a category stacked by a series (see :class:`.charts.Bars`)."""

    LEGEND = 3
    STACKED = True

    def _build(self):
        fig = new_figure(self.plot_height, x_range=FactorRange())
        self._bars = Bars(fig, series="series" if self.LEGEND else None, legend_columns=self.LEGEND)
        return fig

    def _stacked(self, xs: list, series: list, values: list, x_label: str, y_label: str, colors=theme.SERIES,
                 limit: float | None = None) -> None:
        """Bars at ``xs`` of ``values`` stacked (or side by side) by ``series``, all lists of the
        bars in order; a suppressed count is labelled, not drawn."""
        shown = [v if is_suppressed(v) else f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}" for v in values]
        self._bars.show({"x": xs, "series": series, "value": heights(values), "shown": shown}, "x", "value",
                        colors=colors, stacked=self.STACKED, limit=limit,
                        tooltips=[(x_label, "@{x}"), ("", "@series"), (y_label, "@shown")])
        self._fig.yaxis[0].axis_label = y_label


def _series_title(shown: Shown):
    """A column's title without its unit, as a series is named in a legend."""
    return lambda column: shown.titles[column].split("（")[0].split(" (")[0]


class MonitoringMix(_BarChart):
    """Households under monitoring by category, stacked by cause (seeds/003 二(一))."""

    LEGEND = 4

    def plot(self, shown, lang):
        frame = shown.frame
        self._stacked(frame["category"].tolist(), frame["cause"].tolist(), frame["households"].tolist(),
                      t("col.category", lang), t("tr.axis.households", lang))


class MonitoringFlow(TransitionChart):
    """Households entering (found) and leaving (risk eliminated) monitoring per month, and the
    number under monitoring at each month's end."""

    LINES = (("under_monitoring", "tr.series.under", theme.NAVY, 2.5), ("entered", "tr.series.entered", theme.ORANGE, 1.5),
             ("left", "tr.series.left", theme.GREEN, 1.5))

    def _build(self):
        fig = new_figure(self.plot_height, x_axis_type="datetime")
        self._months = DatetimeTickFormatter()
        fig.xaxis[0].formatter = self._months
        self._lines = {}
        items = []
        for column, _key, color, width in self.LINES:
            source = ColumnDataSource({"month": [], "households": [], "when": []})
            line = fig.line("month", "households", source=source, line_color=color, line_width=width)
            self._lines[column] = (source, hover(fig, [line]), LegendItem(label="", renderers=[line]))
            items.append(self._lines[column][2])
        legend_above(fig, items, 3)
        return fig

    def plot(self, shown, lang):
        raw = self.store.flow
        dates = pd.to_datetime(raw["month"]).astype("datetime64[ns]") if len(raw) else pd.Series([], dtype="datetime64[ns]")
        when = [i18n.date(d.date(), lang)[:-3] if lang == "en" else f"{d.year}年{d.month}月" for d in dates]
        top = 0.0
        for column, key, _color, _width in self.LINES:
            counts = [math.nan if is_suppressed(v) else float(v) for v in raw[column]]  # "<5": a gap in the line
            top = max([top, *(v for v in counts if not math.isnan(v))])
            source, tool, item = self._lines[column]
            source.data = {"month": dates.to_numpy(), "households": counts, "when": when}
            tool.tooltips = [("", "@when"), (t(key, lang), "@households{0,0}")]
            item.label = value(t(key, lang))  # a text, not a column name
        if len(dates):
            self._fig.x_range.update(start=dates.min().to_pydatetime(), end=dates.max().to_pydatetime())
        self._fig.y_range.update(start=0, end=top * 1.05 if top else 1.0)
        self._months.update(**month_format(lang))
        self._fig.yaxis[0].axis_label = t("tr.axis.households", lang)


class CaseAges(_BarChart):
    """Households under monitoring by time since they were found, pending or monitored."""

    LEGEND = 2

    def plot(self, shown, lang):
        self._stacked(*long_bars(shown.frame, "age", ["pending", "monitored"], _series_title(shown)),
                      t("tr.col.age", lang), t("tr.axis.households", lang), colors=(theme.ORANGE, theme.BLUE))


class IdentificationClock(TransitionChart):
    """The share of cases identified and entered within 15 working days, per county and month
    (seeds/003 二(一)), as a heat map: green on time, red late; blank where nothing was decided."""

    def _build(self):
        fig = new_figure(self.plot_height, x_range=FactorRange(), y_range=FactorRange())
        fig.grid.visible = False
        self._cells = ColumnDataSource({"month": [], "name": [], "share": [], "cases": []})
        mapper = LinearColorMapper(palette=["#c92a2a", "#f08c00", "#ffd43b", "#8ce99a", "#2f9e44"], low=0, high=100)
        rects = fig.rect(x="month", y="name", width=1, height=1, source=self._cells,
                         fill_color=transform("share", mapper), line_color="#ffffff", line_width=1)
        self._hover = hover(fig, [rects])
        fig.add_layout(ColorBar(color_mapper=mapper, width=10, major_label_text_font_size="9pt", padding=4), "right")
        return fig

    def plot(self, shown, lang):
        data = shown.frame
        data = data[data["share"].notna()] if len(data) else data
        months = [i18n.month(m, lang) for m in range(1, 13)]
        self._cells.data = {"month": [i18n.month(int(m), lang) for m in data["month"]],
                            "name": [str(n) for n in data["name"]],
                            "share": [float(v) for v in data["share"]],
                            "cases": [f"{int(a)}/{int(a + b)}" for a, b in zip(data["on_time"], data["late"], strict=True)]}
        names = list(dict.fromkeys(str(n) for n in shown.frame["name"])) if len(shown.frame) else []
        self._fig.x_range.factors = months
        self._fig.y_range.factors = names[::-1] or [""]  # the first county at the top
        self._hover.tooltips = [("", "@name"), ("", "@month"), (t("tr.col.share", lang), "@share{0.0}%"),
                                (t("tr.col.on_time", lang), "@cases")]

    @param.depends("store.lang", "store.year")
    def _note(self) -> str:
        return note(t("tr.note.clock", self.store.lang))


class IncomeAlert(TransitionChart):
    """Households by income over the alert line (1.2 x the dibao standard of their county and
    income year, seeds/003 二(一)), monitored or not, with the line drawn at 1.0."""

    SERIES = (("monitored", theme.ORANGE), ("unmonitored", theme.BLUE))

    def _build(self):
        fig = new_figure(self.plot_height, x_range=Range1d(0, INCOME_BIN_CAP / 10 + 0.1))
        self._rects = ColumnDataSource({"x0": [], "y0": [], "x1": [], "y1": [], "color": [], "series": [],
                                        "range": [], "households": []})
        quads = fig.quad(left="x0", bottom="y0", right="x1", top="y1", source=self._rects, fill_color="color",
                         line_color="#ffffff")
        self._hover = hover(fig, [quads])
        fig.add_layout(Span(location=1.0, dimension="height", line_color=theme.RED, line_dash="dashed", line_width=2))
        self._line_label = Label(x=1.02, y=0, text="", text_color=theme.RED, text_align="left", text_font_size="9pt")
        fig.add_layout(self._line_label)
        # the legend's squares: empty renderers in the series' colours
        self._items = [LegendItem(label="", renderers=[fig.scatter([], [], marker="square", size=9, color=color)])
                       for _, color in self.SERIES]
        legend_above(fig, self._items, 2)
        return fig

    def plot(self, shown, lang):
        bins = income_bins(self.store.income)
        rects = []
        for row in bins.itertuples():
            x0 = row.bin / 10
            below = 0 if is_suppressed(row.monitored) else row.monitored  # "<5" is not drawn
            for (series, color), count, base in zip(self.SERIES, (row.monitored, row.unmonitored), (0, below),
                                                    strict=True):
                if count and not is_suppressed(count):
                    rects.append((x0, base, x0 + 0.1, base + count, color, t(f"tr.series.{series}", lang),
                                  bin_label(row.bin), int(count)))
        self._rects.data = {name: [rect[i] for rect in rects] for i, name in enumerate(self._rects.data)}
        top = float(max([rect[3] for rect in rects] + [1]))
        self._fig.y_range.update(start=0, end=top * 1.05)
        self._line_label.update(y=top * 0.95, text=t("tr.line.alert", lang))
        for item, (series, _) in zip(self._items, self.SERIES, strict=True):
            item.label = value(t(f"tr.series.{series}", lang))
        self._hover.tooltips = [("", "@series"), (t("tr.col.bin", lang), "@range"),
                                (t("col.households", lang), "@households")]
        self._fig.xaxis[0].axis_label = t("tr.axis.ratio", lang)
        self._fig.yaxis[0].axis_label = t("tr.axis.households", lang)

    @param.depends("store.lang", "store.year", "store.alert_lines")
    def _note(self) -> str:
        lang, lines = self.store.lang, self.store.alert_lines
        parts = [t("tr.note.alert_line", lang, county=self.store.name_of(str(r.county_code)), year=self.store.year,
                   line=i18n.money(r.alert_line, lang)) for r in lines.itertuples()][:3]
        return note(t("tr.note.income", lang, lines="；".join(parts) if lang == "zh" else "; ".join(parts)))


class MeasureMix(_BarChart):
    """Assistance measures by type (seeds/003 二(二))."""

    LEGEND = 0

    def _build(self):
        fig = super()._build()
        fig.xaxis[0].major_label_orientation = math.radians(30)
        return fig

    def plot(self, shown, lang):
        data = shown.frame[["kind"]].assign(
            measures=heights(shown.frame["measures"]), shown=[i18n.count(n) for n in shown.frame["measures"]],
            color=list(theme.SERIES * 2)[:len(shown.frame)])
        self._bars.show(data, "kind", "measures", tooltips=[("", "@kind"), (shown.titles["measures"], "@shown")])
        self._fig.yaxis[0].axis_label = shown.titles["measures"]


class MeasureWait(_BarChart):
    """Households by the days from identification to their first assistance measure."""

    LEGEND = 0
    COLORS = (theme.GREEN, theme.GREEN, theme.BLUE, theme.ORANGE, theme.RED, theme.GREY)

    def plot(self, shown, lang):
        data = shown.frame.assign(households=heights(shown.frame["households"]),
                                  shown=[i18n.count(n) for n in shown.frame["households"]],
                                  color=list(self.COLORS[:len(shown.frame)]))
        self._bars.show(data[["wait", "households", "shown", "color"]], "wait", "households",
                        tooltips=[("", "@wait"), (shown.titles["households"], "@shown")])
        self._fig.yaxis[0].axis_label = t("tr.axis.households", lang)


class ContinuityChart(TransitionChart):
    """Ex-poverty counties against the others year by year (per county), with the selected
    county, the transition period shaded and the 2021-2023 integration years marked."""

    percent = param.Boolean(default=False, doc="The values are shares (drawn in %).")
    GROUPS = ("ex_poverty", "others", "selected")

    def _build(self):
        fig = new_figure(self.plot_height, x_range=Range1d(2018.6, 2026.4))
        fig.add_layout(BoxAnnotation(left=2020.5, right=2025.5, fill_color=theme.BLUE, fill_alpha=0.06,
                                     line_alpha=0))
        if self.kind == "tr_integration":
            fig.add_layout(BoxAnnotation(left=2020.5, right=2023.5, fill_color=theme.GOLD, fill_alpha=0.12,
                                         line_alpha=0))
        fig.xaxis[0].ticker = list(range(2019, 2027))
        fig.yaxis[0].formatter = _percent() if self.percent else _amount()
        self._series = {}
        items = []
        for group in self.GROUPS:
            color = SERIES_COLORS[group]
            source = ColumnDataSource({"year": [], "value": [], "shown": []})
            line = fig.line("year", "value", source=source, line_color=color, line_width=2.5,
                            line_dash="dashed" if group == "selected" else "solid")
            dots = fig.scatter("year", "value", source=source, color=color, size=6)
            item = LegendItem(label="", renderers=[line, dots])
            self._series[group] = (source, hover(fig, [dots]), item)
            items.append(item)
        legend_above(fig, items, 3)
        return fig

    def plot(self, shown, lang):
        frame = shown.frame
        keys = {}
        for key in (c for c in frame.columns if c != "year"):
            group = key.rsplit("_", 1)[-1] if not key.endswith("ex_poverty") else "ex_poverty"
            keys.setdefault(group if group in self._series else "others", key)
        top = 0.0
        for group, (source, tool, item) in self._series.items():
            key = keys.get(group)
            if key is None:
                source.data = {"year": [], "value": [], "shown": []}
                item.update(label=value(""), visible=False)
                continue
            values = frame[key].to_numpy(dtype="float64", na_value=np.nan)
            shown_ = [("" if math.isnan(v) else f"{v:.1f}%" if self.percent else f"{v:,.2f} {shown.unit}")
                      for v in values.tolist()]
            values = (values / 100 if self.percent else values).tolist()
            top = max([top, *(v for v in values if not math.isnan(v))])
            source.data = {"year": frame["year"].to_numpy(dtype="int64").tolist(), "value": values, "shown": shown_}
            label = _series_title(shown)(key)
            item.update(label=value(label), visible=True)
            tool.tooltips = [("", label), (t("col.year", lang), "@year"), ("", "@shown")]
        self._fig.y_range.update(start=0, end=1.05 if self.percent else (top * 1.1 if top else 1.0))
        self._fig.yaxis[0].axis_label = (t("tr.axis.share", lang) if self.percent
                                         else t("chart.amount_axis", lang, unit=shown.unit))


class VillageTypes(_BarChart):
    """Poor villages before 2021, key assistance and consolidation villages after (seeds/003 七)."""

    def plot(self, shown, lang):
        columns = ["poor_village", "key_assistance_village", "consolidation_village"]
        self._stacked(*long_bars(shown.frame, "year", columns, _series_title(shown)), t("col.year", lang),
                      t("tr.axis.villages", lang), colors=(theme.GREY, theme.RED, theme.GREEN))


class AssetsFormed(_BarChart):
    """Assets formed per year, stacked by class (seeds/003 八)."""

    def plot(self, shown, lang):
        frame = shown.frame
        self._stacked([str(y) for y in frame["year"].tolist()], frame["asset_class"].tolist(),
                      frame["assets"].tolist(), t("col.year", lang), t("tr.axis.assets", lang))


class CustodyCoverage(_BarChart):
    """Custody (public-welfare assets with a custodian, rule A1) and ownership coverage (rule A2),
    side by side per asset class."""

    LEGEND = 2
    STACKED = False

    def plot(self, shown, lang):
        xs, series, values = long_bars(shown.frame, "asset_class", ["custody", "ownership"],
                                   lambda column: t(f"tr.series.{column}", lang))
        self._stacked(xs, series, [0.0 if math.isnan(v) else v for v in values], t("col.asset_class", lang),
                      t("tr.axis.share", lang) + " (%)", limit=105)


class AssetIncome(_BarChart):
    """Operating-asset (or PV station) income per year, stacked by who received it (seeds/003 八)."""

    def _build(self):
        fig = super()._build()
        fig.yaxis[0].formatter = _amount()
        return fig

    def plot(self, shown, lang):
        self._stacked(*long_bars(shown.frame, "year", ["to_collective", "to_households", "to_other"],
                             lambda column: t(f"tr.series.{column}", lang)), t("col.year", lang),
                      t("chart.amount_axis", lang, unit=shown.unit), colors=(theme.BLUE, theme.GREEN, theme.GREY))


class PeriodTimeline(StoreView):
    """The phases of the period on one bar with the as-of date marked (seeds/003 一, 十九)."""

    FIRST, LAST = dt.date(2016, 1, 1), dt.date(2027, 12, 31)
    COLORS = {"tr.phase.campaign": "#dee2e6", "tr.phase.integration": "#ffe8a1", "tr.phase.transition": "#cfe2ff",
              "tr.phase.normal": "#d3f9d8"}

    def __init__(self, **params):
        super().__init__(**params)
        self._layout = card(self, None, self._title, theme.html(self._html, sizing_mode="stretch_width", margin=0))

    @param.depends("store.lang")
    def _title(self) -> str:
        return heading(t("tr.timeline", self.store.lang))

    def _x(self, day: dt.date) -> float:
        day = min(max(day, self.FIRST), self.LAST)
        return 100 * (day - self.FIRST).days / (self.LAST - self.FIRST).days

    @param.depends("store.as_of", "store.lang")
    def _html(self) -> str:
        lang, as_of = self.store.lang, self.store.as_of
        current = phase_of(as_of)
        blocks = []
        for key, first, last in PHASES:
            left, right = self._x(first), self._x(last or self.LAST)
            weight = "700" if key == current else "400"
            blocks.append(f'<div class="fw-phase" style="left:{left:.2f}%;width:{right - left:.2f}%;'
                          f'background:{self.COLORS[key]};font-weight:{weight}">{html.escape(t(key, lang))}</div>')
        marker = (f'<div class="fw-asof" style="left:{self._x(as_of):.2f}%"></div>'
                  f'<div class="fw-asof-label" style="left:{self._x(as_of):.2f}%">'
                  f'{html.escape(i18n.date(as_of, lang))}</div>')
        if as_of < dt.date(2021, 1, 1):
            text = t("tr.timeline.before", lang, date=i18n.date(as_of, lang))
        elif as_of <= dt.date(2025, 12, 31):
            text = t("tr.timeline.during", lang, date=i18n.date(as_of, lang), year=as_of.year - 2020,
                     days=(dt.date(2025, 12, 31) - as_of).days)
        else:
            text = t("tr.timeline.after", lang, date=i18n.date(as_of, lang))
        style = ("<style>.fw-timeline{position:relative;height:64px;margin:22px 0 4px 0;}"
                 ".fw-phase{position:absolute;top:0;height:40px;font-size:11px;line-height:1.25;padding:3px 4px;"
                 "box-sizing:border-box;overflow:hidden;border-right:2px solid #fff;color:#1d2939;}"
                 ".fw-asof{position:absolute;top:-6px;height:52px;border-left:3px solid #c92a2a;}"
                 ".fw-asof-label{position:absolute;top:-22px;transform:translateX(-50%);font-size:12px;"
                 "color:#c92a2a;white-space:nowrap;}</style>")
        return (f'{style}<div class="fw-timeline" data-phase="{html.escape(current)}">{"".join(blocks)}{marker}</div>'
                f'<p class="fw-note fw-period-text">{html.escape(text)}</p>')


class TransitionKpis(StoreView):
    """Headline figures: under monitoring, overdue cases, on-time share, eliminations, assets."""

    def __init__(self, **params):
        super().__init__(**params)
        self._layout = pn.pane.HTML(self._html, sizing_mode="stretch_width", margin=(4, 6),
                                    stylesheets=[theme.KPI_CSS])

    @param.depends("store.headline", "store.lang", "store.year")
    def _html(self) -> str:
        h, lang, year = self.store.headline, self.store.lang, self.store.year
        if not h:
            return '<div class="fw-kpis"></div>'
        cards = [
            _card(t("tr.kpi.monitored", lang), i18n.households(h["under_monitoring"], lang),
                  [t("tr.kpi.monitored.sub", lang, pending=i18n.count(h["pending"]), members=i18n.count(h["members"]))]),
            _card(t("tr.kpi.overdue", lang), i18n.households(h["overdue"], lang),
                  [t("tr.kpi.overdue.sub", lang, soon=i18n.count(h["due_soon"]))],
                  tone="" if h["overdue"] is None else "bad" if h["overdue"] else "good"),
            _card(t("tr.kpi.on_time", lang, year=year), i18n.pct(h["on_time_share"]),
                  [t("tr.kpi.on_time.sub", lang, decided=i18n.count(h["decided"]), late=i18n.count(h["late"]))],
                  tone="warn" if h["late"] else ""),
            _card(t("tr.kpi.eliminated", lang, year=year), i18n.households(h["eliminated"], lang),
                  [t("tr.kpi.eliminated.sub", lang, entered=i18n.count(h["entered"]))]),
            _card(t("tr.kpi.assets", lang), i18n.items(h["idle_or_damaged"], lang),
                  [t("tr.kpi.assets.sub", lang, custody=i18n.pct(h["custody"]), owned=i18n.pct(h["ownership"]))],
                  tone="warn" if h["idle_or_damaged"] else ""),
        ]
        return '<div class="fw-kpis">' + "".join(cards) + "</div>"


class OpenCases(StoreView):
    """Cases not yet entered into the system with their due dates and working days overdue,
    red when overdue and orange when due within 3 working days."""

    table = param.ClassSelector(class_=Shown, doc="The open cases as shown.")

    def __init__(self, **params):
        super().__init__(**params)
        self._table = tabulator(self.param.table, pagination="local", page_size=10)
        self._table.style.apply(self._colours, axis=None)
        self._layout = card(self, "tr_open", self._title, self._table, note=self._note)

    @param.depends("store.open_cases", "store.lang", watch=True, on_init=True)
    def _sync_table(self) -> None:
        self.table = self.store.shown("tr_open")

    def _colours(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The cells' CSS, a whole row coloured by its case's state; one call for the whole table
        (styled row by row, pandas made a Series of every row: 14 of 178 ms of a profiled change)."""
        keys = self.table.keys if self.table is not None else ()
        css = [f"background-color: {STATE_COLORS[keys[i]]}" if 0 <= i < len(keys) and STATE_COLORS.get(keys[i])
               else "" for i in rows.index]
        cells = np.repeat(np.array(css, dtype=object)[:, None], len(rows.columns), axis=1)
        return pd.DataFrame(cells, index=rows.index, columns=rows.columns)

    @param.depends("table")
    def _title(self) -> str:
        return heading(self.table.title)

    @param.depends("store.open_cases", "store.lang", "store.as_of")
    def _note(self) -> str:
        lang = self.store.lang
        cases = self.store.open_cases
        provisional = bool(cases["provisional"].any()) if "provisional" in cases and len(cases) else False
        return note(t("tr.note.open", lang, date=i18n.date(self.store.as_of, lang),
                      provisional=t("tr.note.provisional", lang) if provisional else "") + " "
                    + t("tr.note.masked", lang))


class TransitionHouseholds(RecordTable):
    """The region's monitored households, a page at a time; header clicks sort on the server
    (most overdue first by default); the download holds every page."""

    records = param.ClassSelector(class_=TransitionList, doc="The paged list shown (default: the store's).")

    def __init__(self, **params):
        if params.get("records") is None and params.get("store") is not None:
            params["records"] = params["store"].household_list
        super().__init__(**params)

    @param.depends("store.lang")
    def _note(self) -> str:
        return note(t("tr.note.masked", self.store.lang))

    def _sort_key(self, sorters: list[dict]) -> str:
        if not sorters or sorters[0]["field"] not in LIST_SORTS:
            return "-workdays_overdue"
        first = sorters[0]
        return ("-" if first["dir"] == "desc" else "") + LIST_SORTS[first["field"]]


def chart(store: TransitionStore, cls: type[TransitionChart], kind: str, frame: str, **params) -> TransitionChart:
    """A chart of the page (shorthand for the dashboard)."""
    return cls(store=store, kind=kind, frame=frame, **params)


__all__ = [
    "AssetIncome", "AssetsFormed", "CaseAges", "ContinuityChart", "CustodyCoverage", "IdentificationClock",
    "IncomeAlert", "MeasureMix", "MeasureWait", "MonitoringFlow", "MonitoringMix", "OpenCases", "PeriodTimeline",
    "TransitionChart", "TransitionHouseholds", "TransitionKpis", "VillageTypes", "chart",
]
