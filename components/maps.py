"""The county map: a choropleth of the committed county outlines on a selectable metric.

Plain Bokeh polygons (``MultiPolygons``, holes included), no tiles: nothing is fetched from the
web.  The figure is built once per session; a new metric, language or set of figures only
replaces the colours, tooltips and colour bar in place.  A click on a county sets
``store.county``; the two functional zones, which have no outline, are listed beside the map as
buttons that do the same.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh.models import ColorBar, ColumnDataSource, DataRange1d, LinearColorMapper, NumeralTickFormatter, TapTool
from bokeh.plotting import figure
from bokeh.transform import transform

from . import i18n, theme
from .cards import StoreView, card, heading
from .charts import hover
from .controls import Choice
from .geo import ZONES, CountyOutlines, CountyShape, county_outlines
from .i18n import t

# metric -> (column in county_metrics, format, colour map: more is good or bad)
METRIC_COLUMNS = {
    "rate": ("rate", "pct", theme.CMAP_GOOD),
    "allocated": ("allocated", "money", theme.CMAP_GOOD),
    "leverage": ("leverage", "times", theme.CMAP_GOOD),
    "monitored": ("monitored", "count", theme.CMAP_BAD),
    "warnings": ("warnings", "count", theme.CMAP_BAD),
}


def format_metric(metric: str, value: float, lang: str) -> str:
    return i18n.formatted(value, METRIC_COLUMNS[metric][1], lang)


def metric_values(metrics: pd.DataFrame, metric: str) -> dict[str, float | str]:
    """Each county's value of ``metric``; a suppressed household count stays ``"<5"``."""
    column = METRIC_COLUMNS[metric][0]
    if column not in metrics:
        return {}
    values = zip(metrics["code"], metrics[column], strict=True)
    return {code: v if isinstance(v, str) else float(v) for code, v in values}


def label_point(x, y) -> tuple[float, float]:
    """Where a county's name goes: the area centroid of its largest part (rings split on NaN)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    breaks = np.flatnonzero(np.isnan(x))
    best, best_area = (float(np.nanmean(x)), float(np.nanmean(y))), 0.0
    for xs, ys in zip(np.split(x, breaks), np.split(y, breaks), strict=True):
        xs, ys = xs[~np.isnan(xs)], ys[~np.isnan(ys)]
        if len(xs) < 3:
            continue
        cross = xs * np.roll(ys, -1) - np.roll(xs, -1) * ys
        area = cross.sum() / 2
        if abs(area) > best_area:
            best_area = abs(area)
            best = (float(((xs + np.roll(xs, -1)) * cross).sum() / (6 * area)),
                    float(((ys + np.roll(ys, -1)) * cross).sum() / (6 * area)))
    return best


class CountyMap(StoreView):
    """The counties of the store's scope (all 18 for a city-level viewer) coloured by
    ``store.metric``; click one to select it.  Outlines, names and functional zones outside the
    scope are never drawn, so a county official's page carries their county alone."""

    plot_height = param.Integer(default=360, doc="Height of the map itself in pixels (its width keeps the shape).")

    def __init__(self, **params):
        super().__init__(**params)
        outlines = county_outlines()
        self._outlines = outlines.within(self.store.scope.allows)
        plot = pn.pane.Bokeh(self._build(), margin=0, width=self._size[0], height=self._size[1])  # fixed: fits a phone
        self._draw()
        self._draw_chosen()
        self.store.param.watch(self._on_metrics, ["county_metrics", "metric", "lang"])
        self.store.param.watch(self._on_county, ["county"])
        metric = Choice.from_param(
            self.store.param.metric, options=pn.bind(self._metric_options, self.store.param.lang),
            label=pn.bind(t, "filter.metric", self.store.param.lang), width=180, margin=(0, 0, 6, 0))
        zones = pn.Column(theme.html(self._zones_title, margin=0), *(self._zone_button(code) for code in ZONES
                                                                   if self.store.scope.allows(code)),
                          margin=(4, 0), sizing_mode="stretch_width")
        attribution = theme.html(self._attribution, margin=0, sizing_mode="stretch_width")
        body = pn.Column(metric, plot, zones, attribution, sizing_mode="stretch_width", margin=0)
        # The card is told its height: a fixed-size Bokeh plot inside a wrapping row does not push it.
        self._layout = card(self, "county_ranking", self._title, body, min_height=self._size[1] + 230)

    @property
    def _size(self) -> tuple[int, int]:
        """Width and height of the plot: the map keeps its shape; the colour bar sits below it."""
        return round(self.plot_height * self._outlines.aspect) + 10, self.plot_height + 60

    # -- text ---------------------------------------------------------------------------------

    @param.depends("store.metric", "store.lang")
    def _title(self) -> str:
        lang = self.store.lang
        return heading(t("panel.map", lang, metric=t(f"metric.{self.store.metric}", lang)))

    def _metric_options(self, lang: str) -> dict[str, str]:
        return {t(f"metric.{m}", lang): m for m in METRIC_COLUMNS}

    @param.depends("store.lang")
    def _zones_title(self) -> str:
        return f'<div class="fw-zones-title">{t("panel.zones", self.store.lang)}</div>'

    @param.depends("store.lang")
    def _attribution(self) -> str:
        return f'<p class="fw-note" style="font-size:11px">{t("map.attribution", self.store.lang)}</p>'

    # -- the map ----------------------------------------------------------------------------------

    def _build(self):
        """The figure: the county polygons (a click selects one), the chosen county's outline,
        the county names and the colour bar; only their data changes afterwards."""
        width, height = self._size
        fig = figure(width=width, height=height, x_range=DataRange1d(), y_range=DataRange1d(), match_aspect=True,
                     aspect_scale=1, toolbar_location=None, tools="", x_axis_location=None, y_axis_location=None,
                     min_border=0)
        fig.grid.visible = False
        fig.outline_line_color = None
        xs, ys = _geometry(self._outlines)
        names = [s.name for s in self._outlines.shapes]
        count = len(names)
        self._source = ColumnDataSource({"xs": xs, "ys": ys, "name": names, "value": [math.nan] * count,
                                         "shown": [""] * count})
        self._mapper = LinearColorMapper(palette=list(theme.CMAP_GOOD), low=0, high=1, nan_color="#f2f4f7")
        colour = transform("value", self._mapper)
        polygons = fig.multi_polygons(
            xs="xs", ys="ys", source=self._source, fill_color=colour, line_color="#ffffff", line_width=1.2,
            hover_fill_color=colour, hover_line_color=theme.NAVY, hover_line_width=2.5,
            selection_fill_color=colour, selection_line_color="#ffffff",
            nonselection_fill_color=colour, nonselection_fill_alpha=1.0, nonselection_line_alpha=1.0)
        self._hover = hover(fig, [polygons])
        fig.add_tools(TapTool(renderers=[polygons]))
        self._source.selected.on_change("indices", self._on_select)
        self._chosen = ColumnDataSource({"xs": [], "ys": []})
        fig.multi_line(xs="xs", ys="ys", source=self._chosen, line_color=theme.RED, line_width=3)
        label_x, label_y = zip(*_label_points(self._outlines), strict=True) if count else ((), ())
        names_source = ColumnDataSource({"x": list(label_x), "y": list(label_y), "name": names})
        fig.text(x="x", y="y", text="name", source=names_source, text_font_size="8pt", text_color=theme.INK,
                 text_align="center", text_baseline="middle", background_fill_color="#ffffff",
                 background_fill_alpha=0.65, border_radius=3)
        self._ticks = NumeralTickFormatter(format="0,0")
        self._colorbar = ColorBar(color_mapper=self._mapper, orientation="horizontal", height=10, formatter=self._ticks,
                                  major_label_text_font_size="10px", title_text_font_size="10px",
                                  title_text_font_style="normal", padding=6)
        fig.add_layout(self._colorbar, "below")
        return fig

    def _on_metrics(self, *_events) -> None:
        self._draw()

    def _draw(self) -> None:
        """Colour the counties by the metric; a suppressed count ("<5") is left uncoloured."""
        metric, lang = self.store.metric, self.store.lang
        values = metric_values(self.store.county_metrics, metric)
        label = t(f"metric.{metric}", lang)
        finite = [v for v in values.values() if not isinstance(v, str) and not math.isnan(v)]
        divisor, unit, ticks = self._scale(metric, finite, lang)
        raw = [values.get(shape.code, math.nan) for shape in self._outlines.shapes]
        self._source.data.update(
            value=[math.nan if isinstance(v, str) else v / divisor for v in raw],
            shown=[format_metric(metric, v, lang) for v in raw])
        low, high = (min(finite) / divisor, max(finite) / divisor) if finite else (0.0, 1.0)
        self._mapper.update(palette=list(METRIC_COLUMNS[metric][2]), low=low, high=high if high > low else low + 1)
        self._ticks.format = ticks
        self._colorbar.title = unit
        self._hover.tooltips = [(t("col.county", lang), "@name"), (label, "@shown")]

    @staticmethod
    def _scale(metric: str, values: list[float], lang: str) -> tuple[float, str, str]:
        """Divisor, unit and tick format of the colour bar."""
        kind = METRIC_COLUMNS[metric][1]
        if kind == "money":
            divisor, unit = i18n.money_unit(values, lang, compact=True)
            return divisor, unit, "0,0.[0]"
        if kind == "pct":
            return 1.0, "", "0.[0]%"
        if kind == "times":
            return 1.0, "", "0.0"
        return 1.0, "", "0,0"

    def _on_county(self, *_events) -> None:
        self._draw_chosen()

    def _draw_chosen(self) -> None:
        """The chosen county outlined in red."""
        shapes = [s for s in self._outlines.shapes if s.code == self.store.county]
        self._chosen.data = {"xs": [np.array(s.x) for s in shapes], "ys": [np.array(s.y) for s in shapes]}

    def _on_select(self, _attr, _old, index: list[int]) -> None:
        if not index:
            return
        with pn.io.hold():
            self.store.county = self._outlines.shapes[index[0]].code
            self._source.selected.indices = []  # the next click on the same county counts again

    # -- the zones ------------------------------------------------------------------------------

    def _zone_button(self, code: str) -> pn.widgets.Button:
        button = pn.widgets.Button(label=pn.bind(self._zone_label, code, self.store.param.county_metrics,
                                                 self.store.param.metric, self.store.param.lang),
                                   variant="outline", color="light", sizing_mode="stretch_width", margin=(2, 0),
                                   stylesheets=[":host .bk-btn { text-align: left; font-size: 13px; }"])
        button.on_click(lambda _event, code=code: setattr(self.store, "county", code))
        return button

    def _zone_label(self, code: str, metrics: pd.DataFrame, metric: str, lang: str) -> str:
        hit = metrics.loc[metrics["code"] == code, "name"] if "name" in metrics else []
        name = str(hit.iloc[0]) if len(hit) else code
        value = metric_values(metrics, metric).get(code, float("nan"))
        return f"{name} · {t(f'metric.{metric}', lang)} {format_metric(metric, value, lang)}"


@cache
def _geometry(outlines: CountyOutlines) -> tuple[list, list]:
    """The polygons of ``outlines`` as ``MultiPolygons`` coordinates (county -> part -> outer ring
    and holes), made once per process and shared by every session's map."""
    xs, ys = [], []
    for shape in outlines.shapes:
        parts = _parts(shape)
        xs.append([[x, *(ring[:, 0] for ring in holes)] for x, _, holes in parts])
        ys.append([[y, *(ring[:, 1] for ring in holes)] for _, y, holes in parts])
    return xs, ys


def _parts(shape: CountyShape) -> list[tuple[np.ndarray, np.ndarray, list[np.ndarray]]]:
    x, y = np.asarray(shape.x, dtype=float), np.asarray(shape.y, dtype=float)
    breaks = np.flatnonzero(np.isnan(x))
    out = []
    for number, (px, py) in enumerate(zip(np.split(x, breaks), np.split(y, breaks), strict=True)):
        keep = ~np.isnan(px)
        holes = shape.holes[number] if number < len(shape.holes) else ()
        out.append((px[keep], py[keep], [np.asarray(ring, dtype=float).reshape(-1, 2) for ring in holes]))
    return out


@cache
def _label_points(outlines: CountyOutlines) -> list[tuple[float, float]]:
    return [label_point(s.x, s.y) for s in outlines.shapes]
