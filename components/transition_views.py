"""The views of the transition page: the period timeline, headline figures, the household charts
and the identification clock, the continuity charts, the asset charts and the household list.

Each chart draws the frame its export writes (``TransitionStore.shown``) and updates in place
(``hv.DynamicMap`` over a function bound to the store's frame and language).  A household count
suppressed for the viewer (``"<5"``) is never drawn to size: its bar has no height and its hover
text reads ``<5``.
"""

from __future__ import annotations

import datetime as dt
import html
import math

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param

from . import i18n, theme
from .cards import StoreView, card, heading, note
from .charts import _amount, _legend, _percent, _placeholder, _plot_pane, base_opts, heights
from .i18n import t
from .kpis import _card
from .present import Shown
from .tables import RecordTable, tabulator
from .transition import LIST_SORTS, PHASES, TransitionList, TransitionStore, bin_label, income_bins, phase_of
from fundwatch.data.masking import is_suppressed
from fundwatch.data.reads.transition import INCOME_BIN_CAP

STATE_COLORS = {"overdue": "#fde2e1", "due_soon": "#ffe8cc", "on_track": ""}
SERIES_COLORS = {"ex_poverty": theme.RED, "others": theme.BLUE, "selected": theme.GOLD}


class TransitionChart(StoreView):
    """A chart card: ``kind`` names the export and the title; ``frame`` the store output drawn."""

    kind = param.String(doc="The table kind shown and exported (see TransitionStore.shown).")
    frame = param.String(doc="The store parameter whose change redraws the chart.")
    plot_height = param.Integer(default=260, doc="Plot height in pixels.")

    def __init__(self, **params):
        super().__init__(**params)
        dmap = hv.DynamicMap(pn.bind(self._draw, self.store.param[self.frame], self.store.param.lang,
                                     self.store.param.county))
        self._layout = card(self, self.kind, self._title, _plot_pane(dmap, self.plot_height), note=self._note)

    @param.depends("store.lang", "store.year", "store.county")
    def _title(self) -> str:
        return heading(self.store.shown(self.kind).title)

    @param.depends("store.lang", "store.year")
    def _note(self) -> str:
        return ""

    def _draw(self, _frame, lang: str, _county) -> hv.Element:
        return self.plot(self.store.shown(self.kind), lang)

    def plot(self, shown: Shown, lang: str) -> hv.Element:  # pragma: no cover - every subclass draws
        raise NotImplementedError


def _stacked(data: pd.DataFrame, x: str, series: str, value: str, x_label: str, y_label: str, height: int,
             columns: int = 3, colors=theme.SERIES, yformatter=None) -> hv.Bars:
    data = _placeholder(data[[x, series, value]].assign(
        shown=[v if is_suppressed(v) else f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}" for v in data[value]],
        **{value: heights(data[value])}))
    opts = dict(**base_opts(height), stacked=True, cmap=list(colors), line_color=None, xlabel="", ylabel=y_label,
                show_grid=True, **_legend(columns),
                hover_tooltips=[(x_label, f"@{{{x}}}"), ("", f"@{{{series}}}"), (y_label, "@shown")])
    if yformatter is not None:
        opts["yformatter"] = yformatter
    return hv.Bars(data, [hv.Dimension(x, label=x_label), series], [hv.Dimension(value, label=y_label), "shown"]
                   ).opts(**opts)


def _melt(shown: Shown, x: str, columns: list[str]) -> pd.DataFrame:
    data = shown.frame.melt(id_vars=x, value_vars=columns, var_name="code", value_name="value")
    data["series"] = [shown.titles[c].split("（")[0].split(" (")[0] for c in data["code"]]
    data[x] = data[x].astype(str)
    return data


class MonitoringMix(TransitionChart):
    """Households under monitoring by category, stacked by cause (seeds/003 二(一))."""

    def plot(self, shown, lang):
        data = shown.frame.rename(columns={"category": "x", "cause": "s", "households": "v"})
        return _stacked(data, "x", "s", "v", t("col.category", lang), t("tr.axis.households", lang), self.plot_height, 4)


class MonitoringFlow(TransitionChart):
    """Households entering (found) and leaving (risk eliminated) monitoring per month, and the
    number under monitoring at each month's end."""

    def plot(self, shown, lang):
        raw = self.store.flow
        dates = pd.to_datetime(raw["month"]).astype("datetime64[ns]") if len(raw) else pd.Series([], dtype="datetime64[ns]")
        layers = []
        for column, key, color in (("under_monitoring", "tr.series.under", theme.NAVY),
                                   ("entered", "tr.series.entered", theme.ORANGE),
                                   ("left", "tr.series.left", theme.GREEN)):
            counts = [float("nan") if is_suppressed(v) else v for v in raw[column]]  # "<5": a gap in the line
            data = pd.DataFrame({"month": dates, "households": pd.Series(counts, dtype="float64") if len(raw) else []})
            data["when"] = [i18n.date(d.date(), lang)[:-3] if lang == "en" else f"{d.year}年{d.month}月" for d in data["month"]]
            layers.append(hv.Curve(data, hv.Dimension("month", label=t("col.month", lang)),
                                   [hv.Dimension("households", label=t("tr.axis.households", lang)), "when"],
                                   label=t(key, lang)).opts(
                color=color, line_width=2.5 if column == "under_monitoring" else 1.5,
                hover_tooltips=[("", "@when"), (t(key, lang), "@households{0,0}")]))
        return hv.Overlay(layers).opts(**base_opts(self.plot_height), show_grid=True, xlabel="",
                                       ylabel=t("tr.axis.households", lang), **_legend(3))


class CaseAges(TransitionChart):
    """Households under monitoring by time since they were found, pending or monitored."""

    def plot(self, shown, lang):
        data = _melt(shown, "age", ["pending", "monitored"])
        return _stacked(data.rename(columns={"age": "x"}), "x", "series", "value", t("tr.col.age", lang),
                        t("tr.axis.households", lang), self.plot_height, 2, colors=(theme.ORANGE, theme.BLUE))


class IdentificationClock(TransitionChart):
    """The share of cases identified and entered within 15 working days, per county and month
    (seeds/003 二(一)), as a heat map: green on time, red late; blank where nothing was decided."""

    def plot(self, shown, lang):
        data = shown.frame.copy()
        data = data[data["share"].notna()] if len(data) else data
        data["month"] = [i18n.month(int(m), lang) for m in data["month"]]
        data["cases"] = [f"{int(a)}/{int(a + b)}" for a, b in zip(data["on_time"], data["late"], strict=True)]
        if data.empty:
            data = pd.DataFrame({"month": [i18n.month(1, lang)], "name": [""], "share": [np.nan], "cases": [""]})
        months = [i18n.month(m, lang) for m in range(1, 13)]
        return hv.HeatMap(data, [hv.Dimension("month", label=t("col.month", lang)),
                                 hv.Dimension("name", label=t("col.county", lang))],
                          [hv.Dimension("share", label=t("tr.col.share", lang)), "cases"]).redim.values(
            month=months).opts(
            **base_opts(self.plot_height), cmap=["#c92a2a", "#f08c00", "#ffd43b", "#8ce99a", "#2f9e44"], clim=(0, 100),
            colorbar=True, xlabel="", ylabel="", line_color="#ffffff", line_width=1,
            hover_tooltips=[("", "@name"), ("", "@month"), (t("tr.col.share", lang), "@share{0.0}%"),
                            (t("tr.col.on_time", lang), "@cases")])

    @param.depends("store.lang", "store.year")
    def _note(self) -> str:
        return note(t("tr.note.clock", self.store.lang))


class IncomeAlert(TransitionChart):
    """Households by income over the alert line (1.2 x the dibao standard of their county and
    income year, seeds/003 二(一)), monitored or not, with the line drawn at 1.0."""

    def plot(self, shown, lang):
        bins = income_bins(self.store.income)
        rects = []
        for row in bins.itertuples():
            x0 = row.bin / 10
            below = 0 if is_suppressed(row.monitored) else row.monitored  # "<5" is not drawn
            for series, count, base, color in (("monitored", row.monitored, 0, theme.ORANGE),
                                               ("unmonitored", row.unmonitored, below, theme.BLUE)):
                if count and not is_suppressed(count):
                    rects.append((x0, base, x0 + 0.1, base + count, color, t(f"tr.series.{series}", lang),
                                  bin_label(row.bin), int(count)))
        data = pd.DataFrame(rects, columns=["x0", "y0", "x1", "y1", "color", "series", "range", "households"])
        if data.empty:
            data = pd.DataFrame([(0.0, 0.0, 0.1, 0.0, theme.GREY, "", "", 0)], columns=data.columns)
        bars = hv.Rectangles(data, ["x0", "y0", "x1", "y1"], ["color", "series", "range", "households"]).opts(
            color="color", line_color="#ffffff",
            hover_tooltips=[("", "@series"), (t("tr.col.bin", lang), "@range"), (t("col.households", lang), "@households")])
        line = hv.VLine(1.0).opts(color=theme.RED, line_dash="dashed", line_width=2)
        label = hv.Text(1.02, float(max(data["y1"].max(), 1)) * 0.95, t("tr.line.alert", lang)).opts(
            text_color=theme.RED, text_align="left", text_font_size="9pt")
        legend = [hv.Scatter([], label=t(f"tr.series.{s}", lang)).opts(color=c, marker="square", size=9)
                  for s, c in (("monitored", theme.ORANGE), ("unmonitored", theme.BLUE))]
        return (bars * line * label * hv.Overlay(legend)).opts(
            **base_opts(self.plot_height), xlim=(0, INCOME_BIN_CAP / 10 + 0.1), xlabel=t("tr.axis.ratio", lang),
            ylabel=t("tr.axis.households", lang), show_grid=True, **_legend(2))

    @param.depends("store.lang", "store.year", "store.alert_lines")
    def _note(self) -> str:
        lang, lines = self.store.lang, self.store.alert_lines
        parts = [t("tr.note.alert_line", lang, county=self.store.name_of(str(r.county_code)), year=self.store.year,
                   line=i18n.money(r.alert_line, lang)) for r in lines.itertuples()][:3]
        return note(t("tr.note.income", lang, lines="；".join(parts) if lang == "zh" else "; ".join(parts)))


class MeasureMix(TransitionChart):
    """Assistance measures by type (seeds/003 二(二))."""

    def plot(self, shown, lang):
        data = _placeholder(shown.frame[["kind"]].assign(
            measures=heights(shown.frame["measures"]), shown=[i18n.count(n) for n in shown.frame["measures"]],
            color=list(theme.SERIES * 2)[:len(shown.frame)]))
        return hv.Bars(data, hv.Dimension("kind", label=shown.titles["kind"]),
                       [hv.Dimension("measures", label=shown.titles["measures"]), "shown", "color"]).opts(
            **base_opts(self.plot_height), color="color", line_color=None, xlabel="", ylabel=shown.titles["measures"],
            show_grid=True, xrotation=30, hover_tooltips=[("", "@kind"), (shown.titles["measures"], "@shown")])


class MeasureWait(TransitionChart):
    """Households by the days from identification to their first assistance measure."""

    def plot(self, shown, lang):
        colors = [theme.GREEN, theme.GREEN, theme.BLUE, theme.ORANGE, theme.RED, theme.GREY]
        data = _placeholder(shown.frame.assign(households=heights(shown.frame["households"]),
                                               shown=[i18n.count(n) for n in shown.frame["households"]],
                                               color=colors[:len(shown.frame)]))
        return hv.Bars(data, hv.Dimension("wait", label=shown.titles["wait"]),
                       [hv.Dimension("households", label=shown.titles["households"]), "shown", "color"]).opts(
            **base_opts(self.plot_height), color="color", line_color=None, xlabel="", ylabel=t("tr.axis.households", lang),
            show_grid=True, hover_tooltips=[("", "@wait"), (shown.titles["households"], "@shown")])


class ContinuityChart(TransitionChart):
    """Ex-poverty counties against the others year by year (per county), with the selected
    county, the transition period shaded and the 2021-2023 integration years marked."""

    percent = param.Boolean(default=False, doc="The values are shares (drawn in %).")

    def plot(self, shown, lang):
        frame = shown.frame
        spans = hv.VSpan(2020.5, 2025.5).opts(color=theme.BLUE, alpha=0.06)
        layers = [spans]
        if self.kind == "tr_integration":
            layers.append(hv.VSpan(2020.5, 2023.5).opts(color=theme.GOLD, alpha=0.12))
        for key in [c for c in frame.columns if c != "year"]:
            group = key.rsplit("_", 1)[-1] if not key.endswith("ex_poverty") else "ex_poverty"
            data = pd.DataFrame({"year": frame["year"].astype("int64"), "value": frame[key].astype("float64")})
            data["shown"] = [("" if math.isnan(v) else f"{v:.1f}%" if self.percent else f"{v:,.2f} {shown.unit}")
                             for v in data["value"]]
            if self.percent:
                data["value"] = data["value"] / 100
            label = shown.titles[key].split("（")[0].split(" (")[0]
            color = SERIES_COLORS.get(group, theme.GREY)
            vdims = [hv.Dimension("value", label=label), "shown"]
            layers.append(hv.Curve(data, hv.Dimension("year", label=t("col.year", lang)), vdims, label=label).opts(
                color=color, line_width=2.5, line_dash="dashed" if group == "selected" else "solid", tools=[]))
            layers.append(hv.Scatter(data, "year", vdims, label=label).opts(
                color=color, size=6, hover_tooltips=[("", label), (t("col.year", lang), "@year"), ("", "@shown")]))
        ylabel = t("tr.axis.share", lang) if self.percent else t("chart.amount_axis", lang, unit=shown.unit)
        limits = {"ylim": (0, 1.05)} if self.percent else {}
        return hv.Overlay(layers).opts(
            **base_opts(self.plot_height), **limits, show_grid=True, xlabel="", ylabel=ylabel, xticks=list(range(2019, 2027)),
            yformatter=_percent() if self.percent else _amount(), **_legend(3))


class VillageTypes(TransitionChart):
    """Poor villages before 2021, key assistance and consolidation villages after (seeds/003 七)."""

    def plot(self, shown, lang):
        data = _melt(shown, "year", ["poor_village", "key_assistance_village", "consolidation_village"])
        return _stacked(data.rename(columns={"year": "x"}), "x", "series", "value", t("col.year", lang),
                        t("tr.axis.villages", lang), self.plot_height, 3, colors=(theme.GREY, theme.RED, theme.GREEN))


class AssetsFormed(TransitionChart):
    """Assets formed per year, stacked by class (seeds/003 八)."""

    def plot(self, shown, lang):
        data = shown.frame.assign(year=shown.frame["year"].astype(str))
        return _stacked(data, "year", "asset_class", "assets", t("col.year", lang), t("tr.axis.assets", lang),
                        self.plot_height, 3)


class CustodyCoverage(TransitionChart):
    """Custody (public-welfare assets with a custodian, rule A1) and ownership coverage (rule A2)."""

    def plot(self, shown, lang):
        data = shown.frame.melt(id_vars="asset_class", value_vars=["custody", "ownership"], var_name="code",
                                value_name="value")
        data["series"] = [t(f"tr.series.{c}", lang) for c in data["code"]]
        data["value"] = data["value"].fillna(0.0)
        return _stacked(data.rename(columns={"asset_class": "x"}), "x", "series", "value", t("col.asset_class", lang),
                        t("tr.axis.share", lang) + " (%)", self.plot_height, 2).opts(stacked=False, ylim=(0, 105))


class AssetIncome(TransitionChart):
    """Operating-asset (or PV station) income per year, stacked by who received it (seeds/003 八)."""

    def plot(self, shown, lang):
        data = shown.frame.melt(id_vars="year", value_vars=["to_collective", "to_households", "to_other"],
                                var_name="code", value_name="value")
        data["series"] = [t(f"tr.series.{c}", lang) for c in data["code"]]
        data["year"] = data["year"].astype(str)
        return _stacked(data, "year", "series", "value", t("col.year", lang),
                        t("chart.amount_axis", lang, unit=shown.unit), self.plot_height, 3,
                        colors=(theme.BLUE, theme.GREEN, theme.GREY), yformatter=_amount())


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
                                    stylesheets=[theme.KPI_CSS], loading=self.store.param.busy)

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
        self._table.style.apply(self._colours, axis=1)
        self._layout = card(self, "tr_open", self._title, self._table, note=self._note)

    @param.depends("store.open_cases", "store.lang", watch=True, on_init=True)
    def _sync_table(self) -> None:
        self.table = self.store.shown("tr_open")

    def _colours(self, row: pd.Series) -> list[str]:
        keys = self.table.keys if self.table is not None else ()
        state = keys[row.name] if 0 <= row.name < len(keys) else ""
        color = STATE_COLORS.get(state, "")
        return [f"background-color: {color}" if color else "" for _ in row]

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
