"""The transition-period page (过渡期 2021-2025, seeds/003): households under monitoring and the
15-working-day identification clock, policy continuity (四个不摘), project assets, the period's
timeline and the masked household list, for the region the URL names
(``/transition?county=360731&year=2024&as_of=2024-06-30``).
"""

from __future__ import annotations

import panel as pn

from fundwatch.components.controls import Breadcrumb, FilterBar, PageHeading, RegionPicker
from fundwatch.components.tables import WarningTable
from fundwatch.components.transition import TransitionStore
from fundwatch.components.transition_views import (
    AssetIncome, AssetsFormed, CaseAges, ContinuityChart, CustodyCoverage, IdentificationClock, IncomeAlert,
    MeasureMix, MeasureWait, MonitoringFlow, MonitoringMix, OpenCases, PeriodTimeline, TransitionHouseholds,
    TransitionKpis, VillageTypes, chart,
)
from fundwatch.dashboards import app

URL_STATE = ("year", "as_of", "county", "township", "village", "lang")


def create_store() -> TransitionStore:
    """The page's store, starting from the state the URL names; downloads are audited under the
    login name when there is one."""
    return TransitionStore(engine=app.engine(), scope=app.current_scope(), actor=app.current_user() or "dashboard",
                           **app.url_state(TransitionStore, URL_STATE))


def layout(store: TransitionStore) -> list:
    """The panels of the page, in reading order: period, households, continuity, assets, list."""
    s = store
    return [
        pn.FlexBox(FilterBar(store=s, funds=False), RegionPicker(store=s), margin=0),
        Breadcrumb(store=s, on_home=lambda: s.param.update(township="", village="")),
        PageHeading(store=s, title_key="page.transition", show_place=False),
        PeriodTimeline(store=s),
        TransitionKpis(store=s),
        app.grid(chart(s, MonitoringMix, "tr_mix", "monitoring_mix"), chart(s, MonitoringFlow, "tr_flow", "flow"),
                 chart(s, CaseAges, "tr_ages", "case_ages")),
        app.grid(OpenCases(store=s), chart(s, IdentificationClock, "tr_clock", "clock", height=420), basis=520),
        app.grid(chart(s, IncomeAlert, "tr_income", "income"), chart(s, MeasureMix, "tr_measures", "measures"),
                 chart(s, MeasureWait, "tr_wait", "wait")),
        app.grid(chart(s, ContinuityChart, "tr_funds", "continuity"),
                 chart(s, ContinuityChart, "tr_linkage", "continuity", percent=True),
                 chart(s, ContinuityChart, "tr_integration", "continuity"),
                 chart(s, VillageTypes, "tr_villages", "village_types")),
        app.grid(chart(s, AssetsFormed, "tr_formed", "assets_formed"), chart(s, CustodyCoverage, "tr_custody", "custody"),
                 chart(s, AssetIncome, "tr_asset_income", "asset_income"),
                 chart(s, AssetIncome, "tr_pv_income", "asset_income")),
        WarningTable(store=s),
        TransitionHouseholds(store=s),
    ]


@app.guarded("/transition")
def create_app() -> pn.viewable.Viewable:
    app.load_extensions()
    store = create_store()
    app.sync_url(store, URL_STATE)
    app.collect_after_loads(store)
    return app.page(store, "/transition", *layout(store), title_key="page.transition")


if pn.state.served:
    create_app().servable()
