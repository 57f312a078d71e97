"""The tables: the ranking of regions, the warnings with the records behind them, and the
paged record lists of the drill-down.

Only the displayed columns travel to the browser (:class:`~.present.Shown` holds nothing else);
a clicked row is resolved on the server against the store's frame.
"""

from __future__ import annotations

import html

import panel as pn
import param

from . import theme
from .cards import ExportButtons, StoreView, card, heading
from .i18n import t
from .present import COUNT, DATE, MONEY, NUMBER, PCT, RECORD_TITLES, SORT_KEYS, TIMES, Shown
from .stores import FIRST_RECORD_LIST, RECORD_KINDS, PagedList

_NUMBER = {"type": "money", "thousand": ",", "decimal": "."}
PLAIN = {"type": "plaintext"}  # text, dates and years as they are (no thousands separator in 2020)
FORMATTERS = {
    MONEY: {**_NUMBER, "precision": 2},
    PCT: {**_NUMBER, "precision": 1},
    TIMES: {**_NUMBER, "precision": 2},
    COUNT: {**_NUMBER, "precision": 0},
    NUMBER: {**_NUMBER, "precision": 2},
}
TABLE_CSS = f"""
.tabulator {{ font-family: {theme.FONT}; font-size: 13px; border: none; }}
.tabulator .tabulator-header .tabulator-col {{ background: #f5f7fa; }}
.tabulator .tabulator-header .tabulator-col .tabulator-col-title {{ white-space: normal; font-weight: 600; }}
.tabulator-row.tabulator-selectable:hover {{ background: #eef4fb; cursor: pointer; }}
"""


def table_options(shown: Shown) -> dict:
    """Tabulator settings for a shown frame: titles, number formats, alignment."""
    numeric = shown.numeric
    return {
        "titles": dict(shown.titles),
        "formatters": {k: FORMATTERS.get(kind, PLAIN) for k, kind in shown.kinds.items()},
        "text_align": {k: "right" for k in numeric} | {k: "center" for k, kind in shown.kinds.items() if kind == DATE},
    }


class Tabulator(pn.widgets.Tabulator):
    """Panel's Tabulator whose column titles travel in its configuration.

    A change of :attr:`titles` alone (a money column's unit moving between 万元 and 亿元 with the
    county shown, or the language) made Panel build a new column model for every column of the
    table, and Bokeh then walk every model of the page again to find the new ones: 15-20 ms of a
    county change on the county page (a third of its changes, the township ranking's value
    changing unit).  Here each column's title goes into the table's configuration as well, which
    the browser's Tabulator takes over the column model's, so a change of titles sends the new
    configuration and each column model's new title: the same column models, no walk.  The
    browser draws the table again from the configuration, as it does for new column models.
    ``tests/test_ui.py`` checks that the new titles reach the browser."""

    def _get_configuration(self, columns) -> dict:
        configuration = super()._get_configuration(columns)
        for column in configuration["columns"]:
            if "field" in column:
                column["title"] = self.titles.get(column["field"], str(column["field"]))
        return configuration

    def _update_titles(self, model) -> None:
        """Panel's update of a changed ``titles`` (its other parameters keep Panel's): the column
        models' titles set in place (a text property: nothing to walk), then the configuration."""
        for column in model.columns:
            column.title = self.titles.get(column.field, str(column.field))
        model.configuration = self._get_configuration(model.columns)


def tabulator(shown: param.Parameter, **params) -> Tabulator:
    """A read-only Tabulator whose value, titles and formats follow ``shown`` (a parameter
    holding a :class:`Shown`)."""
    return Tabulator(
        value=pn.bind(lambda s: s.frame, shown),
        titles=pn.bind(lambda s: table_options(s)["titles"], shown),
        formatters=pn.bind(lambda s: table_options(s)["formatters"], shown),
        text_align=pn.bind(lambda s: table_options(s)["text_align"], shown),
        disabled=True, show_index=False, sizing_mode="stretch_width", layout="fit_data_fill",
        theme="simple", stylesheets=[TABLE_CSS], selectable=False, margin=0, **params)


class RankingTable(StoreView):
    """The regions one level below the focus (counties of the prefecture, townships of a
    county, villages of a township) with their figures; clicking a row drills into it."""

    page_size = param.Integer(default=20, doc="Rows per page.")
    table = param.ClassSelector(class_=Shown, doc="The ranking as shown.")

    def __init__(self, **params):
        super().__init__(**params)
        self._table = tabulator(self.param.table, pagination="local", page_size=self.page_size,
                                frozen_columns=["name"])
        self._table.on_click(self._on_click)
        self._layout = card(self, "subregions", self._title, self._table)

    @param.depends("store.subregions", "store.lang", watch=True, on_init=True)
    def _sync_table(self) -> None:
        self.table = self.store.shown("subregions")

    @param.depends("table")
    def _title(self) -> str:
        return heading(self.table.title)

    def _on_click(self, event) -> None:
        keys = self.table.keys
        if event.row is None or not 0 <= event.row < len(keys) or self.store.child_level is None:
            return
        setattr(self.store, self.store.child_level, str(keys[event.row]))


class WarningTable(StoreView):
    """Findings of the policy rules, violations first; a click shows the records behind one."""

    page_size = param.Integer(default=10, doc="Rows per page.")
    top = param.Boolean(default=False, doc="Title it as the top warnings (overview).")
    table = param.ClassSelector(class_=Shown, doc="The warnings as shown.")
    records = param.ClassSelector(class_=Shown, doc="The records behind the selected warning as shown.")

    def __init__(self, **params):
        super().__init__(**params)
        self._table = tabulator(self.param.table, pagination="local", page_size=self.page_size,
                                widths={"message": 360, "basis": 220})
        self._table.on_click(self._on_click)
        hint = theme.html(self._hint, sizing_mode="stretch_width", margin=(6, 0, 2, 0))
        self._heading = pn.Row(hint, sizing_mode="stretch_width", margin=0)
        self._behind = pn.Column(self._heading, sizing_mode="stretch_width", margin=0)
        self._records_shown = False
        self._show_records()
        self._layout = card(self, "warnings", self._title,
                            pn.Column(self._table, self._behind, sizing_mode="stretch_width", margin=0))

    @param.depends("store.finding", watch=True)
    def _show_records(self) -> None:
        """The records behind a finding, with their downloads: built when a finding is first
        chosen (most pages never show them), hidden while none is."""
        if self._records_shown or self.store.finding < 0:
            return
        self._records_shown = True
        chosen = self.store.param.finding.rx() >= 0
        records = tabulator(self.param.records, pagination="local", page_size=10)
        self._heading.append(ExportButtons(store=self.store, kind="finding_records", visible=chosen))
        self._behind.append(pn.Column(records, visible=chosen, sizing_mode="stretch_width", margin=0))

    @param.depends("store.warnings", "store.lang", watch=True, on_init=True)
    def _sync_table(self) -> None:
        self.table = self.store.shown("warnings")

    @param.depends("store.finding_records", "store.lang", watch=True, on_init=True)
    def _sync_records(self) -> None:
        self.records = self.store.shown("finding_records")

    @param.depends("store.lang")
    def _title(self) -> str:
        return heading(t("panel.warnings.top" if self.top else "panel.warnings", self.store.lang))

    @param.depends("store.finding", "store.finding_records", "store.lang")
    def _hint(self) -> str:
        lang, row = self.store.lang, self.store.finding
        if row < 0 or row >= len(self.store.warnings):
            return f'<p class="fw-note">{html.escape(t("panel.finding_hint", lang))}</p>'
        finding = self.store.warnings.iloc[row]
        text = t("panel.finding_records", lang, rule=finding["rule"], region=finding["region_name"])
        return f'<div class="fw-card-title" style="font-size:14px">{html.escape(text)}</div>'

    def _on_click(self, event) -> None:
        if event.row is not None and 0 <= event.row < len(self.store.warnings):
            self.store.finding = int(event.row)


class RecordTable(StoreView):
    """One record list, a page at a time from the database; header clicks sort on the server."""

    records = param.ClassSelector(class_=PagedList, doc="The paged list shown.")
    table = param.ClassSelector(class_=Shown, doc="The page as shown.")

    def __init__(self, **params):
        super().__init__(**params)
        self._table = tabulator(self.param.table, configuration={"sortMode": "remote"})
        self._table.param.watch(self._on_sort, ["sorters"])
        previous = pn.widgets.Button(label=pn.bind(t, "pager.prev", self.store.param.lang), width=80,
                                     disabled=self.records.param.page.rx() <= 1, variant="outline", margin=(0, 4))
        following = pn.widgets.Button(label=pn.bind(t, "pager.next", self.store.param.lang), width=80,
                                      disabled=self._last_page, variant="outline", margin=(0, 4))
        previous.on_click(lambda _e: self._turn(-1))
        following.on_click(lambda _e: self._turn(1))
        info = theme.html(self._info, margin=(6, 8))
        pager = pn.FlexBox(previous, info, following, align_items="center", margin=(6, 0))
        body = pn.Column(self._table, pager, margin=0, sizing_mode="stretch_width")
        self._layout = card(self, self.records.export_kind, self._title, body, note=self._note)

    @param.depends("store.lang")
    def _note(self) -> str:
        """A note under the title ('' for none)."""
        return ""

    @param.depends("records.rows", "store.lang", watch=True, on_init=True)
    def _sync_table(self) -> None:
        self.table = self.records.shown()

    @param.depends("table")
    def _title(self) -> str:
        return heading(self.table.title)

    @param.depends("records.total", "records.page")
    def _last_page(self) -> bool:
        return self.records.page >= self.records.pages

    @param.depends("records.total", "records.page", "store.lang")
    def _info(self) -> str:
        r = self.records
        text = t("pager.info", self.store.lang, page=r.page, pages=r.pages, total=f"{r.total:,}")
        return f'<span class="fw-pager">{html.escape(text)}</span>'

    def _turn(self, step: int) -> None:
        self.records.page = min(max(self.records.page + step, 1), self.records.pages)

    def _on_sort(self, event) -> None:
        self.records.param.update(sort=self._sort_key(event.new or []), page=1)

    def _sort_key(self, sorters: list[dict]) -> str:
        """The data layer's sort key for the table's header sorters ('' for the default order)."""
        if not sorters:
            return ""
        first = sorters[0]
        column = SORT_KEYS.get(first["field"], first["field"])
        return ("-" if first["dir"] == "desc" else "") + column


class RecordTabs(StoreView):
    """The drill-down's record lists (projects, loans, assets, households), one shown at a time;
    a county change reads the page of the list on screen only."""

    active = param.Selector(default=FIRST_RECORD_LIST, objects=list(RECORD_KINDS), doc="The record list shown.")

    def __init__(self, **params):
        super().__init__(**params)
        switch = pn.widgets.RadioButtonGroup.from_param(
            self.param.active, options=pn.bind(self._options, self.store.param.lang), label="",
            color="primary", variant="outline", margin=(4, 6))
        self._tables: dict[str, RecordTable] = {}
        self._layout = pn.Column(switch, sizing_mode="stretch_width", margin=0)
        self._show()

    @param.depends("active", watch=True)
    def _show(self) -> None:
        """Only the list on screen follows the region (the others read their page when shown);
        a list's table is built the first time it is shown."""
        for kind, records in self.store.lists.items():
            records.live = kind == self.active
        if self.active in self.store.lists and self.active not in self._tables:
            table = RecordTable(store=self.store, records=self.store.lists[self.active],
                                visible=self.param.active.rx() == self.active)
            self._tables[self.active] = table
            self._layout.append(table)

    @staticmethod
    def _options(lang: str) -> dict[str, str]:
        return {t(RECORD_TITLES[kind], lang): kind for kind in RECORD_KINDS}
