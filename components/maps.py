"""The county map: a choropleth of the committed county outlines on a selectable metric.

Plain ``hv.Polygons`` on the Bokeh backend, no tiles: nothing is fetched from the web.  A click
on a county sets ``store.county``; the two functional zones, which have no outline, are listed
beside the map as buttons that do the same.
"""

from __future__ import annotations

import math

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh.models import NumeralTickFormatter

from . import i18n, theme
from .cards import StoreView, card, heading
from .geo import ZONES, county_outlines
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
        polygons = hv.DynamicMap(self._choropleth)
        self._tap = hv.streams.Selection1D(source=polygons)  # a click selects a polygon
        self._tap.add_subscriber(self._on_tap)
        plot = pn.pane.HoloViews(polygons * hv.DynamicMap(self._marks), margin=0, linked_axes=False,  # fixed size: fits a phone
                                 width=self._size[0], height=self._size[1])
        metric = pn.widgets.Select.from_param(
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

    @param.depends("store.county_metrics", "store.metric", "store.lang")
    def _choropleth(self) -> hv.Polygons:
        metric, lang = self.store.metric, self.store.lang
        values = metric_values(self.store.county_metrics, metric)
        label = t(f"metric.{metric}", lang)
        data = []
        for shape in self._outlines.shapes:
            value = values.get(shape.code, float("nan"))
            item = {"x": np.array(shape.x), "y": np.array(shape.y), "name": shape.name,
                    "value": float("nan") if isinstance(value, str) else value,  # "<5" is left uncoloured
                    "shown": format_metric(metric, value, lang)}
            if shape.has_holes:
                item["holes"] = [[np.array(ring) for ring in part] for part in shape.holes]
            data.append(item)
        finite = [v for v in values.values() if not isinstance(v, str) and not math.isnan(v)]
        divisor, unit, ticks = self._scale(metric, finite, lang)
        for item in data:
            item["value"] = item["value"] / divisor
        low, high = (min(finite) / divisor, max(finite) / divisor) if finite else (0.0, 1.0)
        return hv.Polygons(data, vdims=[hv.Dimension("value", label=label), "name", "shown"]).opts(
            color="value", cmap=METRIC_COLUMNS[metric][2], clim=(low, high if high > low else low + 1),
            colorbar=True, colorbar_position="bottom", clabel=unit, clipping_colors={"NaN": "#f2f4f7"},
            line_color="#ffffff", line_width=1.2, nonselection_alpha=1.0, selection_alpha=1.0,
            selection_line_color="#ffffff", hover_line_color=theme.NAVY, hover_line_width=2.5,
            hover_tooltips=[(t("col.county", lang), "@name"), (label, "@shown")],
            tools=["hover", "tap"], toolbar=None, xaxis=None, yaxis=None, show_frame=False,
            width=self._size[0], height=self._size[1], data_aspect=1, default_tools=[],
            colorbar_opts={"major_label_text_font_size": "10px", "height": 10, "formatter": ticks},
        )

    @staticmethod
    def _scale(metric: str, values: list[float], lang: str) -> tuple[float, str, NumeralTickFormatter]:
        """Divisor, unit and tick format of the colour bar."""
        kind = METRIC_COLUMNS[metric][1]
        if kind == "money":
            divisor, unit = i18n.money_unit(values, lang, compact=True)
            return divisor, unit, NumeralTickFormatter(format="0,0.[0]")
        if kind == "pct":
            return 1.0, "", NumeralTickFormatter(format="0.[0]%")
        if kind == "times":
            return 1.0, "", NumeralTickFormatter(format="0.0")
        return 1.0, "", NumeralTickFormatter(format="0,0")

    @param.depends("store.county")
    def _marks(self) -> hv.Overlay:
        """The chosen county outlined, and the county names."""
        return self._highlight() * self._labels()

    def _highlight(self) -> hv.Path:
        shapes = [s for s in self._outlines.shapes if s.code == self.store.county]
        paths = [{"x": np.array(s.x), "y": np.array(s.y)} for s in shapes]
        return hv.Path(paths).opts(color=theme.RED, line_width=3)

    def _labels(self) -> hv.Labels:
        rows = [(*label_point(s.x, s.y), s.name) for s in self._outlines.shapes]
        return hv.Labels(rows, ["x", "y"], "name").opts(
            text_font_size="8pt", text_color=theme.INK, background_fill_color="#ffffff",
            background_fill_alpha=0.65, border_radius=3)

    def _on_tap(self, index: list[int]) -> None:
        if index:
            self.store.county = self._outlines.shapes[index[0]].code

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
