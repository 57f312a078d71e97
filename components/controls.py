"""The filters: year, as-of date, programme, source level, language, and the region path
(county > township > village) with its breadcrumb.  Every widget is linked to a store parameter."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import ClassVar

import pandas as pd
import panel as pn
import param

from . import i18n, theme
from .cards import StoreView
from .i18n import t
from .stores import FIRST_DAY, LAST_DAY


class Choice(pn.widgets.Select):
    """A drop-down whose choice reaches the server at once.  Panel waits 50 ms after a change from
    the browser for more changes of the same value (a text being typed, a slider dragged) before
    the server sees it; a choice from a list comes once, so a county chosen here starts loading
    50 ms sooner (a county change on a served page at scale 10: 183 -> 158 ms to the server's
    last message for a county seen before, 216 -> 165 ms on the drill-down for one not seen).
    The page's loading bar (:class:`~.cards.BusyBar`) then goes to the browser with the load's
    figures rather than before them (the load runs before its message is written): a choice shows its
    figures within about a third of a second whether read or cached, under the second beyond
    which a wait wants a sign.  Panel's "priority" changes, the other way to skip the wait, run
    outside the document's lock and measured no better."""

    _debounce: ClassVar[int] = 0

WIDGET_CSS = f":host {{ font-family: {theme.FONT}; }}"


def _label(key: str, store) -> pn.param.ParamFunction:
    return pn.bind(t, key, store.param.lang)


class FilterBar(StoreView):
    """Year, as-of date and, unless ``funds`` is off, programme and source level; wraps on narrow
    screens."""

    funds = param.Boolean(default=True, doc="Show the programme and source-level filters.")

    def __init__(self, **params):
        super().__init__(**params)
        s = self.store
        common = {"stylesheets": [WIDGET_CSS], "margin": (0, 8, 4, 0)}
        widgets = [
            Choice.from_param(
                s.param.year, label=_label("filter.year", s), width=110,
                options=pn.bind(self._years, s.param.lang), **common),
            pn.widgets.DatePicker.from_param(
                s.param.as_of, label=_label("filter.as_of", s), start=FIRST_DAY, end=LAST_DAY, width=150, **common),
        ]
        if self.funds:
            widgets += [
                Choice.from_param(
                    s.param.programme, label=_label("filter.programme", s), width=220,
                    options=pn.bind(i18n.options, "programme", s.param.lang), **common),
                Choice.from_param(
                    s.param.source_level, label=_label("filter.source_level", s), width=150,
                    options=pn.bind(i18n.options, "source_level", s.param.lang), **common),
            ]
        self._layout = pn.FlexBox(*widgets, align_items="flex-end", margin=(0, 6))

    @staticmethod
    def _years(lang: str) -> dict[str, int]:
        from .loaders import FIRST_YEAR, LAST_YEAR

        return {(f"{y}年" if lang == "zh" else str(y)): y for y in range(FIRST_YEAR, LAST_YEAR + 1)}


class LanguageSwitch(StoreView):
    """A button that switches between Chinese and English."""

    on_dark = param.Boolean(default=False, doc="Drawn on a dark bar (white text and outline).")

    def __init__(self, **params):
        super().__init__(**params)
        sheets = [WIDGET_CSS]
        if self.on_dark:
            sheets.append(":host .bk-btn { color: #fff; background: transparent; border-color: rgba(255,255,255,.7); }"
                          " :host .bk-btn:hover { background: rgba(255,255,255,.15); }")
        button = pn.widgets.Button(label=_label("lang.switch", self.store), variant="outline", color="light",
                                   width=90, margin=(0, 4), stylesheets=sheets)
        button.on_click(self._switch)
        self._layout = button

    def _switch(self, _event) -> None:
        with pn.io.hold(freeze=True):  # every label changes in one repaint
            self.store.lang = "en" if self.store.lang == "zh" else "zh"


class RegionPicker(StoreView):
    """County, township and village selectors; a choice below clears the levels under it."""

    def __init__(self, **params):
        super().__init__(**params)
        s = self.store
        common = {"stylesheets": [WIDGET_CSS], "margin": (0, 8, 4, 0)}
        county = Choice.from_param(
            s.param.county, label=_label("filter.county", s), width=160,
            options=pn.bind(self._options, s.param.counties, "choose.county", s.param.lang), **common)
        township = Choice.from_param(
            s.param.township, label=_label("filter.township", s), width=170,
            options=pn.bind(self._options, s.param.townships, "choose.township", s.param.lang), **common)
        village = Choice.from_param(
            s.param.village, label=_label("filter.village", s), width=170,
            options=pn.bind(self._options, s.param.villages, "choose.village", s.param.lang),
            disabled=s.param.township.rx() == "", **common)
        self._layout = pn.FlexBox(county, township, village, align_items="flex-end", margin=(0, 6))

    @staticmethod
    def _options(regions: pd.DataFrame, blank: str, lang: str) -> dict[str, str]:
        """``{name: code}``, led by ``blank`` (code "") for townships and villages, and for
        counties while none are loaded (a county is always chosen on the drill-down)."""
        out = {t(blank, lang): ""} if blank != "choose.county" or regions.empty else {}
        out.update({str(name): str(code) for code, name in zip(regions["code"], regions["name"], strict=True)})
        return out


class Breadcrumb(StoreView):
    """Prefecture / county / township / village; each step up is a click away.

    The four steps are built once and shown, hidden and relabelled as the region path changes:
    a county change only sends new labels to the browser.  The steps are set directly when the
    path changes (a county change spent about 7 ms in reactive expressions per step before)."""

    on_home = param.Callable(default=None, allow_refs=False,
                             doc="Called when the prefecture is clicked (default: clear the county).")
    path = param.List(default=[], doc="The store's region path as (level, code, name) steps.")

    LEVELS = ("city", "county", "township", "village")

    def __init__(self, **params):
        self._ups: list[tuple[pn.widgets.Button, pn.pane.HTML]] = []
        self._here = None
        super().__init__(**params)
        for level in self.LEVELS[:-1]:  # a step up: a button and a separator after it
            button = pn.widgets.Button(label="", variant="outline", color="light", margin=(0, 2), visible=False,
                                       stylesheets=[":host .bk-btn { border: none; color: #2e6fb7; font-size: 15px; }"])
            button.on_click(self._go(level))
            self._ups.append((button, theme.html('<span class="fw-crumbs">/</span>', margin=(0, 2), visible=False)))
        self._here = theme.html("", margin=(0, 4))
        self._show(self.path)
        self._layout = pn.FlexBox(*(step for up in self._ups for step in up), self._here, align_items="center",
                                  margin=(0, 6), sizing_mode="stretch_width")

    @param.depends("store.county", "store.township", "store.village", "store.counties", "store.townships",
                   "store.villages", "store.lang", watch=True, on_init=True)
    def _sync_path(self) -> None:
        path = self.store.path()
        if path != self.path:
            self.path = path
            self._show(path)

    def _show(self, path: list) -> None:
        if self._here is None:  # the first sync comes before the steps are built
            return
        for index, (button, separator) in enumerate(self._ups):
            up = len(path) > index + 1
            button.param.update(label=path[index][2] if len(path) > index else "", visible=up)
            separator.visible = up
        self._here.object = f'<span class="fw-crumbs"><b>{html.escape(path[-1][2]) if path else ""}</b></span>'

    def _go(self, level: str) -> Callable:
        def go(_event):
            if level == "city":
                if self.on_home is not None:
                    self.on_home()
                else:
                    self.store.param.update(county="", township="", village="")
            elif level == "county":
                self.store.param.update(township="", village="")
            elif level == "township":
                self.store.village = ""
        return go


class PageHeading(StoreView):
    """The page's subject in one line: place, year and as-of date (and any notice)."""

    title_key = param.String(default="page.overview", doc="Message key of the page's name.")
    show_place = param.Boolean(default=True, doc="Name the place (off where a breadcrumb does).")

    def __init__(self, **params):
        super().__init__(**params)
        heading = theme.html(self._html, sizing_mode="stretch_width", margin=(4, 8))
        notice = pn.pane.Alert(self.store.param.notice, alert_type="warning", margin=(4, 8),
                               visible=self.store.param.notice.rx() != "", sizing_mode="stretch_width")
        self._layout = pn.Column(heading, notice, sizing_mode="stretch_width", margin=0)

    @param.depends("store.year", "store.as_of", "store.lang", "store.county", "store.township", "store.village",
                   "store.counties")
    def _html(self) -> str:
        lang, s = self.store.lang, self.store
        place = s.place if self.show_place else t(self.title_key, lang)
        text = t("heading.overview", lang, place=place, year=s.year, date=i18n.date(s.as_of, lang))
        return f'<div class="fw-crumbs">{html.escape(text)}</div>'
