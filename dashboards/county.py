"""The drill-down page: county -> township -> village, every panel restricted to the region.

The region comes from the URL (``/county?county=360731&township=...``), the selectors, the
breadcrumb, the county map or a row of the ranking of the regions below.
"""

from __future__ import annotations

import panel as pn

from fundwatch.components.charts import (
    AssetMixChart, CustodyChart, DisbursementCurve, FundsTrend, HouseholdChart, LeverageChart, OverdueChart,
)
from fundwatch.components.controls import Breadcrumb, FilterBar, PageHeading, RegionPicker
from fundwatch.components.kpis import KpiCards
from fundwatch.components.maps import CountyMap
from fundwatch.components.report import ReportDownload
from fundwatch.components.stores import FIRST_RECORD_LIST, CountyStore
from fundwatch.components.tables import RankingTable, RecordTabs, WarningTable
from fundwatch.dashboards import app


def create_store() -> CountyStore:
    """The page's store, starting from the state the URL names; downloads are audited under the
    login name when there is one."""
    return CountyStore(engine=app.engine(), scope=app.current_scope(), actor=app.current_user() or "dashboard",
                       lists_shown=(FIRST_RECORD_LIST,), **app.url_state(CountyStore, app.URL_STATE))


def layout(store: CountyStore) -> list:
    """The panels of the drill-down, in reading order."""
    home = lambda: app.navigate("/overview", app.query(store))  # noqa: E731
    return [
        pn.FlexBox(FilterBar(store=store), RegionPicker(store=store), margin=0),
        Breadcrumb(store=store, on_home=home),
        pn.FlexBox(PageHeading(store=store, title_key="page.county", show_place=False), ReportDownload(store=store),
                   flex_wrap="nowrap", justify_content="space-between", align_items="center",
                   sizing_mode="stretch_width", margin=0),
        KpiCards(store=store),
        app.grid(CountyMap(store=store, plot_height=320), RankingTable(store=store), basis=520),
        app.grid(DisbursementCurve(store=store), FundsTrend(store=store, by="source_level"),
                 FundsTrend(store=store, by="programme")),
        app.grid(LeverageChart(store=store, plot_height=220), OverdueChart(store=store, by="borrower_type"),
                 OverdueChart(store=store, by="bank")),
        app.grid(AssetMixChart(store=store), CustodyChart(store=store), HouseholdChart(store=store)),
        WarningTable(store=store),
        RecordTabs(store=store),
    ]


@app.guarded("/county")
def create_app() -> pn.viewable.Viewable:
    app.load_extensions()
    store = create_store()
    app.sync_url(store)
    app.collect_after_loads(store)
    return app.page(store, "/county", *layout(store), title_key="page.county")


if pn.state.served:
    create_app().servable()
