"""The overview page: the prefecture at a glance for a year and an as-of date.

Headline figures, the county map and ranking, the trends of funds, credit, assets and
households, and the top warnings.  A county chosen on the map, in the ranking or among the
functional zones opens its drill-down page.
"""

from __future__ import annotations

import panel as pn

from fundwatch.components.charts import (
    AssetMixChart, CustodyChart, DisbursementCurve, FundsTrend, HouseholdChart, LeverageChart, OverdueChart,
)
from fundwatch.components.controls import FilterBar, PageHeading
from fundwatch.components.kpis import KpiCards
from fundwatch.components.maps import CountyMap
from fundwatch.components.stores import OverviewStore
from fundwatch.components.tables import RankingTable, WarningTable
from fundwatch.dashboards import app

URL_STATE = ("year", "as_of", "lang", "programme", "source_level")


def create_store() -> OverviewStore:
    """The page's store, starting from the state the URL names; downloads are audited under the
    login name when there is one."""
    return OverviewStore(engine=app.engine(), scope=app.current_scope(), actor=app.current_user() or "dashboard",
                         **app.url_state(OverviewStore, URL_STATE))


def layout(store: OverviewStore) -> list:
    """The panels of the overview, in reading order."""
    return [
        FilterBar(store=store),
        PageHeading(store=store, title_key="page.overview"),
        KpiCards(store=store),
        app.grid(CountyMap(store=store), RankingTable(store=store), basis=520),
        app.grid(DisbursementCurve(store=store), FundsTrend(store=store, by="source_level"),
                 FundsTrend(store=store, by="programme")),
        app.grid(LeverageChart(store=store), OverdueChart(store=store, by="borrower_type"),
                 OverdueChart(store=store, by="bank")),
        app.grid(AssetMixChart(store=store), CustodyChart(store=store), HouseholdChart(store=store)),
        WarningTable(store=store, top=True),
    ]


@app.guarded("/overview")
def create_app() -> pn.viewable.Viewable:
    app.load_extensions()
    store = create_store()
    app.sync_url(store, URL_STATE)
    app.collect_after_loads(store)
    store.param.watch(lambda event: _open_county(store, event.new), "county")
    return app.page(store, "/overview", *layout(store), title_key="page.overview")


def _open_county(store: OverviewStore, code: str) -> None:
    """A county chosen on the overview opens its drill-down in this tab (for a viewer who may
    open it: an embed viewer's click only marks the county)."""
    if code and app.may_open("/county"):
        app.navigate("/county", app.query(store, county=code, programme=store.programme,
                                          source_level=store.source_level))


if pn.state.served:
    create_app().servable()
