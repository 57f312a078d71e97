"""The transition page's store and views on the small demo database: the figures 于都县 shows on
30 June 2024, the working-day ages of its overdue cases, exports of what is drawn, the language
switch, and no full name or ID number in the rendered document."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import threading

import openpyxl
import pandas as pd
import panel as pn
import pytest
from bokeh.document import Document
from bokeh.models import ColumnDataSource
from dashboard_fixtures import _fresh_caches, demo_db, engine  # noqa: F401
from idscan import find_ids
from sqlalchemy import select

from fundwatch.components import EXTENSIONS, export
from fundwatch.components.transition import KINDS, TransitionStore, phase_of
from fundwatch.components.transition_views import OpenCases, PeriodTimeline, TransitionHouseholds
from fundwatch.dashboards import transition as page
from fundwatch.data import workdays
from fundwatch.data.models import Household
from fundwatch.data.reads import transition as tr_reads
from fundwatch.data.scope import Scope


YUDU = "360731"
XINGGUO = "360732"
RUIJIN = "360781"
AS_OF = dt.date(2024, 6, 30)


@pytest.fixture(scope="module", autouse=True)
def _extensions():
    pn.extension(*EXTENSIONS)


@pytest.fixture
def store(engine):
    return TransitionStore(engine=engine, scope=Scope.all(), year=2024, as_of=AS_OF, county=YUDU)


def render(view) -> Document:
    doc = Document()
    doc.add_root(pn.panel(view).get_root(doc))
    return doc


def personal_data(engine, county: str) -> tuple[set[str], set[str]]:
    """Every full head name and 18-digit ID number on record in ``county``."""
    with engine.connect() as conn:
        rows = conn.execute(select(Household.head_name, Household.head_id_no).where(Household.county_code == county))
        names, ids = zip(*rows.all(), strict=True)
    return set(names), set(ids)


def test_yudu_shows_its_overdue_cases_with_working_day_ages(store):
    cases = store.open_cases
    assert len(cases) == 4  # planted: found 3, 4, 5 and 12 June 2024
    for case in cases.itertuples():
        due = workdays.add_workdays(case.found_on, 15).date
        assert case.due_on == due
        assert case.workdays_overdue == workdays.workdays_overdue(due, AS_OF)[0]
    assert list(cases["workdays_overdue"]) == [3, 2, 1, 0]  # 10 June (Dragon Boat) is not counted
    assert list(cases["state"]) == ["overdue", "overdue", "overdue", "due_soon"]
    assert store.headline["overdue"] == 3 and store.headline["due_soon"] == 1
    assert set(store.warnings["rule"]) <= {"H1", "H2", "H3", "H4", "A1", "A2", "A3", "A4"}
    assert "H2" in set(store.warnings["rule"])


def test_the_open_cases_table_colours_overdue_red_and_due_soon_orange(store):
    view = OpenCases(store=store)
    render(view)
    frame = view.table.frame
    cells = view._colours(frame)
    assert cells.shape == frame.shape and list(cells.columns) == list(frame.columns)
    colours = [set(cells.loc[i]) for i in frame.index]
    assert colours == [{"background-color: #fde2e1"}] * 3 + [{"background-color: #ffe8cc"}]
    # what the browser receives: every cell of a row carries its row's colour
    rows = view._table._get_style_data()["data"]
    assert sorted(rows) == list(range(len(frame)))
    assert [{css for cell in rows[i].values() for css in cell} for i in sorted(rows)] == [
        {("background-color", "#fde2e1")}] * 3 + [{("background-color", "#ffe8cc")}]
    assert all(len(rows[i]) == len(frame.columns) for i in rows)
    assert list(view.table.frame["state"]) == ["已逾期"] * 3 + ["即将到期"]


def test_the_continuity_figures_are_per_county_means_of_each_group(store):
    """Each year's figures of the ex-poverty counties, the others and the selected county: funds and
    integrated funds per county of the group, the industry share of the linkage funds paid; a year
    after ``as_of``'s is not shown yet."""
    raw = tr_reads.continuity_funds_frame(store.engine, store.scope, store.as_of)
    got = store.continuity.set_index("year")
    assert list(got.index) == sorted(raw["year"].unique()) and len(got) >= 5
    for year, cells in raw.groupby("year"):
        for name, part in (("ex_poverty", cells[cells["ex_poverty"]]), ("others", cells[~cells["ex_poverty"]]),
                           ("selected", cells[cells["county_code"] == YUDU])):
            expected = {"funds": part["funds"].sum() / len(part), "integrated": part["integrated"].sum() / len(part),
                        "linkage": part["linkage_industry"].sum() / paid if (paid := part["linkage_paid"].sum())
                        else float("nan")}
            for figure, value in expected.items():
                shown = got.loc[year, f"{figure}_{name}"]
                if year > AS_OF.year:
                    assert pd.isna(shown)
                else:
                    assert shown == pytest.approx(value, nan_ok=True), (year, figure, name)
    assert got.loc[got.index <= AS_OF.year, "funds_selected"].notna().all()


def test_headline_figures_agree_with_the_frames(store):
    h = store.headline
    assert h["under_monitoring"] == int(store.monitoring_mix["households"].sum())
    assert h["under_monitoring"] == int(store.flow["under_monitoring"].iloc[-1])
    assert h["pending"] >= h["overdue"] + h["due_soon"]
    clock = store.clock[store.clock["county_code"] == YUDU]
    assert h["on_time"] == clock["on_time"].sum() and h["late"] == clock["late"].sum()


@pytest.mark.parametrize("kind", KINDS)
def test_every_figure_exports_what_it_shows(store, kind):
    shown = store.shown(kind)
    data = export.export_bytes(shown, store.filters(), "xlsx", store.lang)
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).worksheets[0].values)
    assert list(rows[0]) == list(shown.labelled().columns)
    assert len(rows) - 1 == len(shown.frame)


def test_continuity_sets_the_county_against_the_two_groups(store):
    data = store.continuity.set_index("year")
    assert list(data.index) == list(range(2019, 2027))
    assert data.loc[2026].isna().all() and data.loc[2025].isna().all()  # not yet on 30 June 2024
    # 于都县 was a poverty county: no cliff after its exit, integration continues 2021-2023
    assert data.loc[2021, "funds_ex_poverty"] > 0.8 * data.loc[2020, "funds_ex_poverty"]
    assert data.loc[2022, "integrated_ex_poverty"] > 0 and data.loc[2022, "integrated_selected"] > 0
    assert store.shown("tr_funds").titles["funds_selected"].startswith("于都县")
    overview = TransitionStore(engine=store.engine, scope=Scope.all(), year=2024, as_of=AS_OF)
    assert overview.county == YUDU or "funds_selected" in overview.shown("tr_funds").frame


def test_the_period_view_works_for_any_date(store):
    assert phase_of(dt.date(2019, 5, 1)) == "tr.phase.campaign"
    assert phase_of(dt.date(2022, 5, 1)) == "tr.phase.integration"
    assert phase_of(dt.date(2025, 12, 31)) == "tr.phase.transition"
    assert phase_of(dt.date(2031, 1, 1)) == "tr.phase.normal"
    view = PeriodTimeline(store=store)
    render(view)
    assert 'data-phase="tr.phase.transition"' in view._html() and "第4年" in view._html()
    store.as_of = dt.date(2026, 3, 1)
    assert 'data-phase="tr.phase.normal"' in view._html() and "已于2025年12月31日结束" in view._html()
    assert store.year == 2026 and store.headline  # the page loads after the period too


def test_the_household_list_sorts_by_days_overdue_and_pages(store):
    view = TransitionHouseholds(store=store)
    render(view)
    shown = view.table.frame
    assert list(shown["workdays_overdue"][:3]) == [3, 2, 1]
    assert all(re.fullmatch(r"\d{3}\*{11}[\dX]{4}", v) for v in shown["head_id_no"])
    assert all(re.fullmatch(r".{1,2}\*", v) for v in shown["head_name"])
    store.household_list.sort = "found_on"
    assert view.table.frame["found_on"].iloc[0] < shown["found_on"].iloc[0]
    store.household_list.page = 2
    assert store.household_list.page == 2 and len(view.table.frame) <= 15
    everything = store.shown("tr_households")
    assert len(everything.frame) == store.household_list.total


def test_a_county_change_reads_the_lists_first_page_beside_its_figures(store, monkeypatch):
    """The household list's first page of the county chosen is read on a reader thread while the
    store reads its figures, and the list then shows it from the read cache: one read of that
    page, not a second one after the figures.  A list off screen reads nothing ahead."""
    calls = []
    read = tr_reads.transition_households_frame

    def counted(*args, **kwargs):
        calls.append((threading.current_thread().name, kwargs["region"], kwargs["offset"]))
        return read(*args, **kwargs)

    monkeypatch.setattr(tr_reads, "transition_households_frame", counted)
    store.county = XINGGUO
    assert [(region, offset) for _, region, offset in calls] == [(XINGGUO, 0)]
    assert calls[0][0].startswith("fundwatch-read")
    shown = store.household_list.rows
    assert len(shown) and store.household_list.total > len(shown)
    with store.engine.connect() as conn:
        codes = conn.execute(select(Household.county_code).where(
            Household.id.in_([int(i) for i in shown["id"]]))).scalars().all()
    assert set(codes) == {XINGGUO}
    calls.clear()
    store.household_list.live = False
    store.county = RUIJIN
    assert calls == []  # off screen: read when shown again
    store.household_list.live = True
    assert [(region, offset) for _, region, offset in calls] == [(RUIJIN, 0)]


def test_the_language_switch_relabels_the_page(store):
    layout = pn.Column(*page.layout(store))
    doc = render(layout)
    store.lang = "en"
    text = json.dumps(doc.to_json(), ensure_ascii=False, default=str)
    assert "Cases awaiting identification" in text and "Overdue" in text
    assert "Share of linkage funds spent on industry" in text


def test_no_full_name_or_id_number_reaches_the_document(store, engine):
    layout = pn.Column(*page.layout(store))
    doc = render(layout)
    text = json.dumps(doc.to_json(), ensure_ascii=False, default=str)
    names, ids = personal_data(engine, YUDU)
    assert "谢*" in text or "曹*" in text or re.search(r"360\*{11}", text)
    assert [i for i in ids if i in text] == []
    assert [n for n in names if len(n) > 1 and n in text] == []
    assert find_ids(text) == []  # any valid ID number, not just those on record
    sources = [m for m in doc.models if isinstance(m, ColumnDataSource)]
    assert len(sources) > 10


def test_a_share_chart_keeps_its_own_axis_beside_money_charts(store):
    """The linkage share (0-100%) sits next to charts in 亿元 whose value dimension has the same
    name: its y range must stay a share, not follow theirs."""
    from bokeh.models import Plot

    doc = render(pn.Column(*page.layout(store)))
    by_title = {}
    for plot in doc.select({"type": Plot}):
        label = plot.left[0].axis_label if plot.left else ""
        by_title.setdefault(label, []).append(plot)
    shares = by_title["比例"]
    money = [p for label, plots in by_title.items() if "亿元" in str(label) for p in plots]
    assert shares and money
    assert all(p.y_range.end <= 1.05 for p in shares)
    assert all(p.y_range is not q.y_range for p in shares for q in money)


def test_the_household_download_holds_every_page_whatever_the_chunk(store):
    """The export reads the list in chunks; however small, it gets every row once, in order."""
    records = store.household_list
    assert records.total > 4
    whole = records.all_rows()
    records.EXPORT_CHUNK = 3
    try:
        chunked = records.all_rows()
    finally:
        del records.EXPORT_CHUNK
    assert len(whole) == len(chunked) == records.total
    assert list(chunked["id"]) == list(whole["id"]) and chunked["id"].is_unique


def test_every_legend_entry_is_a_text_or_a_column_of_its_source(store):
    """A legend label set after the figure is built must stay a text: a bare string would be read
    as a column name, which the browser reports as an error and draws no entry for."""
    from bokeh.core.property.vectorization import Field, Value
    from bokeh.models import LegendItem

    doc = render(pn.Column(*page.layout(store)))
    store.lang = "en"
    items = [m for m in doc.models if isinstance(m, LegendItem)]
    assert len(items) > 10
    texts = set()
    for item in items:
        label = item.label
        assert isinstance(label, (Value, Field)), label
        if isinstance(label, Field):
            assert all(label.field in r.data_source.data for r in item.renderers)
        else:
            texts.add(label.value)
    assert {"Under monitoring", "Entered", "Risk eliminated", "Not monitored"} <= texts


def test_a_county_change_updates_the_charts_in_place(store, monkeypatch):
    """Every chart keeps its figure and sources and gets the new county's numbers; no model is
    added, so the document never walks its model graph again (that walk cost seconds when
    charts were rebuilt outside the store's hold)."""
    from bokeh.document.models import DocumentModelManager

    doc = render(pn.Column(*page.layout(store)))
    before = {m.id for m in doc.models}
    sources = [m for m in doc.models if isinstance(m, ColumnDataSource)]
    lines = [s for s in sources if set(s.data) == {"month", "households", "when"}]  # under, entered, left
    assert len(lines) == 3
    walks = []
    monkeypatch.setattr(DocumentModelManager, "recompute", lambda self: walks.append(self))
    for county in ("360732", "360730", YUDU):
        store.county = county
        drawn = sorted(tuple(s.data["households"]) for s in lines)
        expected = sorted(tuple(float(v) for v in store.flow[c]) for c in ("under_monitoring", "entered", "left"))
        assert drawn == expected
    assert walks == [] and {m.id for m in doc.models} == before
