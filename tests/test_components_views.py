"""The views: render them into a Bokeh document, change the store, assert what they show."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import numpy as np
import openpyxl
import pandas as pd
import panel as pn
import pytest
from bokeh.document import Document
from bokeh.models import ColumnDataSource, HoverTool, Plot
from dashboard_fixtures import _fresh_caches, demo_copy, demo_db, engine, writable_engine  # noqa: F401

from fundwatch.components import EXTENSIONS, i18n
from fundwatch.components.cards import DownloadButtons, ExportButtons
from fundwatch.components.charts import (
    AssetMixChart, CustodyChart, DisbursementCurve, FundsTrend, HouseholdChart, LeverageChart, OverdueChart,
    _stacked_tops,
)
from fundwatch.components.controls import Breadcrumb, FilterBar, LanguageSwitch, PageHeading, RegionPicker
from fundwatch.components.geo import county_outlines
from fundwatch.components.kpis import KpiCards
from fundwatch.components.maps import CountyMap
from fundwatch.components.stores import CountyStore, OverviewStore
from fundwatch.components.tables import RankingTable, RecordTable, RecordTabs, Tabulator, WarningTable
from fundwatch.data.scope import Scope
from panel.models.tabulator import CellClickEvent


YUDU, XINGGUO = "360731", "360732"
AS_OF = dt.date(2024, 6, 30)
VIEWS = (KpiCards, CountyMap, RankingTable, DisbursementCurve, LeverageChart, AssetMixChart, CustodyChart,
         HouseholdChart, WarningTable, FilterBar, PageHeading, LanguageSwitch)


@pytest.fixture(scope="module", autouse=True)
def _extensions():
    pn.extension(*EXTENSIONS)


@pytest.fixture
def county(engine):
    return CountyStore(engine=engine, scope=Scope.all(), year=2024, as_of=AS_OF, county=YUDU)


@pytest.fixture
def overview(engine):
    return OverviewStore(engine=engine, scope=Scope.all(), year=2024, as_of=AS_OF)


class Rendered:
    """A view rendered into a Bokeh document; the models are looked up afresh on each call."""

    def __init__(self, view):
        self.doc = Document()
        self.root = pn.panel(view).get_root(self.doc)
        self.doc.add_root(self.root)

    def models(self, kind) -> list:
        return [m for m in self.doc.models if isinstance(m, kind)]


def render(view) -> Rendered:
    return Rendered(view)


def plots(doc: Rendered) -> list[Plot]:
    return doc.models(Plot)


def sources(doc: Rendered) -> list[ColumnDataSource]:
    return doc.models(ColumnDataSource)


def tabulators(view) -> list[pn.widgets.Tabulator]:
    return pn.panel(view).select(pn.widgets.Tabulator)


def html_of(view) -> str:
    """The text a view shows: its text panes and its cards' titles (drawn with their downloads)."""
    shown = pn.panel(view)
    return "".join([*(str(p.object) for p in shown.select(pn.pane.HTML)),
                    *(b.title for b in shown.select(DownloadButtons))])


def test_stacked_bars_top_where_pandas_grouped_sums_put_them():
    """Bars of one key stack in order, and their tops are exactly pandas' grouped running sums
    (compensated), negative heights and many series included."""
    rng = np.random.default_rng(7)
    keys = [f"k{k}" for k in rng.integers(0, 5, 400)]
    heights_ = rng.normal(1e6, 3e5, 400) * rng.choice([1, -1, 1e-7], 400)
    expected = pd.Series(heights_).groupby(keys, sort=False).cumsum().to_numpy()
    assert _stacked_tops(keys, heights_).tolist() == expected.tolist()
    assert _stacked_tops(["a", "b", "a"], np.array([1.0, 2.0, 3.0])).tolist() == [1.0, 2.0, 4.0]


@pytest.mark.parametrize("store_class", [OverviewStore, CountyStore])
def test_every_view_renders_before_anything_is_loaded(store_class):
    store = store_class()
    for view in (*VIEWS, FundsTrend, OverdueChart, RegionPicker, Breadcrumb):
        render(view(store=store))
    render(RecordTabs(store=CountyStore()))


@pytest.mark.parametrize("view", [DisbursementCurve, FundsTrend, LeverageChart, OverdueChart, AssetMixChart,
                                  CustodyChart, HouseholdChart, CountyMap])
def test_a_chart_card_grows_with_its_content(view):
    """A chart's plot height is its own (``plot_height``), never the card's: a card held to the
    plot's height cut off its x axis under the title and the buttons."""
    rendered = render(view(store=CountyStore(), plot_height=200))
    assert rendered.root.height is None and "fw-card" in rendered.root.css_classes
    plot_height = 200 + 60 if view is CountyMap else 200  # the map's colour bar sits below it
    assert {p.height for p in rendered.models(Plot)} == {plot_height}


def test_kpis_show_the_headline_in_the_readers_units(county):
    view = KpiCards(store=county)
    render(view)
    h = county.headline
    text = html_of(view)
    assert i18n.money(h["funds_total"], "zh") in text and "亿元" in text or "万元" in text
    assert i18n.pct(h["rate"]) in text and "6月30日节点要求80%" in text
    county.lang = "en"
    text = html_of(view)
    assert "Funds allocated in 2024" in text and i18n.money(h["funds_total"], "en") in text


def test_ranking_sends_only_the_columns_shown_and_a_click_drills_down(overview, county):
    view = RankingTable(store=overview)
    render(view)
    (table,) = tabulators(view)
    shown = overview.shown("subregions")
    assert list(table.value.columns) == list(shown.frame.columns)
    assert "code" not in table.value.columns and "kind" not in table.value.columns
    assert table.titles["rate"] == "拨付进度（%）"
    first = shown.keys[0]
    table._process_event(CellClickEvent(model=None, column="name", row=0))
    assert overview.county == first
    assert table.value["rate"].iloc[0] == table.value["rate"].max()  # ranked fastest first

    view = RankingTable(store=county)
    render(view)
    (table,) = tabulators(view)
    second = county.shown("subregions").keys[1]
    table._process_event(CellClickEvent(model=None, column="name", row=1))
    assert county.township == second and county.level == "township"
    assert "各行政村情况" in html_of(view)


def test_a_change_of_titles_alone_keeps_the_tables_column_models():
    """A money column's unit moving with the county changes a table's titles alone: the column
    models stay (new ones made Bokeh walk the page's every model again), their titles change, and
    the titles travel in the table's configuration, which the browser takes over the models'."""
    frame = pd.DataFrame({"name": ["于都县"], "value": [1.5]})
    table = Tabulator(value=frame, titles={"name": "县", "value": "资产（万元）"}, show_index=False)
    doc = Document()
    model = table.get_root(doc)
    doc.add_root(model)
    columns = list(model.columns)
    assert [c["title"] for c in model.configuration["columns"]] == ["县", "资产（万元）"]
    changes = []
    doc.on_change(changes.append)
    table.param.update(value=frame.assign(value=[2.5]), titles={"name": "县", "value": "资产（亿元）"})
    assert all(new is old for new, old in zip(model.columns, columns, strict=True))
    assert [c.title for c in model.columns] == ["县", "资产（亿元）"]
    assert [c["title"] for c in model.configuration["columns"]] == ["县", "资产（亿元）"]
    assert not any(getattr(change, "attr", None) == "columns" for change in changes)
    table.value = pd.DataFrame({"name": ["于都县"], "rate": [0.5]})  # other columns: new models, as Panel makes them
    assert [c.field for c in model.columns] == ["name", "rate"]
    assert [c["title"] for c in model.configuration["columns"]] == ["县", "rate"]


def test_the_map_colours_counties_by_the_metric_and_a_click_selects(county):
    view = CountyMap(store=county)
    doc = render(view)
    polygons = next(s for s in sources(doc) if "shown" in s.data and "name" in s.data)
    names = list(polygons.data["name"])
    assert len(names) == 18 and "于都县" in names
    yudu = county.county_metrics.set_index("code").loc[YUDU]
    assert polygons.data["shown"][names.index("于都县")] == i18n.pct(yudu["rate"])
    county.metric = "warnings"
    assert polygons.data["shown"][names.index("于都县")] == str(yudu["warnings"])
    codes = county_outlines().codes
    polygons.selected.indices = [codes.index(XINGGUO)]  # what a click on 兴国县 sends
    assert county.county == XINGGUO and county.warnings["region_code"].isin([XINGGUO]).all()
    assert polygons.selected.indices == []  # a second click on the same county counts again
    (chosen,) = [s for s in sources(doc) if set(s.data) == {"xs", "ys"}]
    xingguo = next(s for s in county_outlines().shapes if s.code == XINGGUO)
    assert len(chosen.data["xs"]) == 1 and list(chosen.data["xs"][0]) == pytest.approx(list(xingguo.x), nan_ok=True)
    hover = next(t for p in plots(doc) for t in p.select(HoverTool))
    assert hover.tooltips[0][0] == "县（市、区）"


def test_the_zones_are_listed_beside_the_map_and_selectable(county):
    view = CountyMap(store=county)
    render(view)
    buttons = [b for b in pn.panel(view).select(pn.widgets.Button) if "新区" in b.label or "经开区" in b.label]
    assert len(buttons) == 2 and "拨付进度" in buttons[0].label
    buttons[0].clicks += 1
    assert county.county in ("ZONE-RJ", "ZONE-KF")


@pytest.mark.parametrize(("scope", "expected"), [(Scope.county(YUDU), ["于都县"]), (Scope.nothing(), [])])
def test_a_county_scope_draws_its_own_outline_and_no_other(engine, scope, expected):
    store = CountyStore(engine=engine, scope=scope, year=2020)
    view = CountyMap(store=store)
    doc = render(view)
    text = json.dumps(doc.doc.to_json(), ensure_ascii=False, default=str)
    polygons = next(s for s in sources(doc) if "shown" in s.data and "name" in s.data)
    assert list(polygons.data["name"]) == expected
    assert not [name for name in ("兴国县", "瑞金市", "蓉江新区", "赣州经开区") if name in text]
    assert not [b for b in pn.panel(view).select(pn.widgets.Button) if "新区" in b.label or "经开区" in b.label]


def test_the_pace_curve_plots_the_stores_pace_and_updates_in_place(county):
    view = DisbursementCurve(store=county)
    doc = render(view)
    (plot,) = plots(doc)
    curve = next(s for s in sources(doc) if "rate" in s.data and "cumulative" in s.data)
    assert list(curve.data["rate"]) == pytest.approx(list(county.pace["rate"]))
    assert plot.yaxis[0].axis_label == "累计拨付进度"
    county.county = XINGGUO
    assert list(curve.data["rate"]) == pytest.approx(list(county.pace["rate"]))
    assert plots(doc) == [plot]  # updated, not rebuilt
    labels = next(s for s in sources(doc) if "label" in s.data and "target" in s.data)
    assert "6月30日应达80%" in list(labels.data["label"])
    county.lang = "en"
    assert plot.yaxis[0].axis_label == "Disbursed to date"
    assert "80% by 30 Jun" in list(labels.data["label"])


def test_funds_bars_stack_the_allocations_shown(county):
    view = FundsTrend(store=county, by="source_level")
    doc = render(view)
    bars = next(s for s in sources(doc) if "series" in s.data)
    shown = county.shown("funds")
    total_shown = shown.frame.drop(columns="year").to_numpy().sum()
    assert sum(bars.data["amount"]) == pytest.approx(total_shown)
    assert set(bars.data["series"]) <= {"中央", "省级", "市级", "县级", "地方政府债券", "社会捐赠", "其他"}


def test_leverage_bars_and_the_1_to_8_line(overview):
    view = LeverageChart(store=overview)
    doc = render(view)
    bars = next(s for s in sources(doc) if "leverage" in s.data)
    assert len(bars.data["leverage"]) == len(overview.leverage)
    over = [c for c, v in zip(bars.data["color"], bars.data["leverage"], strict=True) if v > 8]
    assert over and set(over) == {"#c92a2a"}  # 于都县 is planted above the line


def test_language_switch_relabels_titles_tables_and_widgets(county):
    views = [RankingTable(store=county), WarningTable(store=county), FilterBar(store=county),
             LanguageSwitch(store=county)]
    for view in views:
        render(view)
    assert "各乡镇情况" in html_of(views[0])
    switch = pn.panel(views[3]).select(pn.widgets.Button)[0]
    assert switch.label == "English"
    switch.clicks += 1
    assert county.lang == "en"
    assert "Townships" in html_of(views[0]) and switch.label == "中文"
    (table,) = tabulators(views[0])
    assert table.titles["monitored"] == "Monitored"
    assert "Warnings" in html_of(views[1])
    year = pn.panel(views[2]).select(pn.widgets.Select)[0]
    assert year.label == "Year" and year.options[str(2024)] == 2024


def test_warning_rows_lead_to_the_records_behind_them(engine):
    store = CountyStore(engine=engine, scope=Scope.all(), year=2024, as_of=AS_OF, county="360735")
    view = WarningTable(store=store)
    render(view)
    (table,) = tabulators(view)  # the records behind a finding are built once one is chosen
    assert len(table.value) == len(store.warnings) > 0
    assert "record_ids" not in table.value.columns
    row = next(i for i, t in enumerate(store.warnings["record_table"]) if t in ("loan", "asset", "household", "project"))
    table._process_event(CellClickEvent(model=None, column="message", row=row))
    assert store.finding == row
    table, records = tabulators(view)
    assert len(records.value) == len(store.warnings["record_ids"].iloc[row])


def test_record_table_pages_and_sorts_on_the_server(county):
    records = county.lists["loans"]
    view = RecordTable(store=county, records=records)
    render(view)
    (table,) = tabulators(view)
    assert len(table.value) == min(records.page_size, records.total)
    assert table.value["borrower_name"].str.endswith("*").all()
    table.sorters = [{"field": "amount", "dir": "desc"}]
    assert records.sort == "-amount_fen" and table.value["amount"].is_monotonic_decreasing
    nexts = [b for b in pn.panel(view).select(pn.widgets.Button) if b.label == "下一页"]
    nexts[0].clicks += 1
    assert records.page == 2


def test_export_buttons_write_exactly_the_table_with_the_filters(writable_engine):
    county = CountyStore(engine=writable_engine, scope=Scope.all(), year=2024, as_of=AS_OF, county=YUDU)  # audited
    view = ExportButtons(store=county, kind="subregions")
    render(view)
    data = view._file("xlsx").getvalue()
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet, filters = book.worksheets
    rows = list(sheet.values)
    shown = county.shown("subregions").labelled()
    assert list(rows[0]) == list(shown.columns)
    assert [list(r) for r in rows[1:]] == shown.astype(object).values.tolist()
    settings = dict(filters.values)
    assert settings["年度"] == "2024" and settings["截至日期"] == "2024年6月30日"
    assert settings["地区"] == "赣州市 / 于都县" and "导出时间" in settings
    csv = view._file("csv").getvalue().decode("utf-8-sig")
    assert csv.startswith("# 表格,各乡镇情况")
    table = pd.read_csv(io.StringIO(csv), skiprows=csv[: csv.index("\r\n\r\n")].count("\r\n") + 2)
    assert list(table.columns) == list(shown.columns) and len(table) == len(shown)


def test_a_county_name_sits_at_the_centroid_of_its_largest_part():
    from fundwatch.components.maps import label_point

    nan = float("nan")
    # A 2x2 square and a small triangle far away: the label goes in the middle of the square.
    assert label_point([0, 2, 2, 0, nan, 10, 11, 11], [0, 0, 2, 2, nan, 10, 10, 11]) == (1.0, 1.0)
    # An L-shape: (4 x 1 at (2, 0.5)) and (1 x 3 at (0.5, 2.5)) weigh in at 9.5/7 each way.
    x, y = [0, 4, 4, 1, 1, 0], [0, 0, 1, 1, 4, 4]
    cx, cy = label_point(x, y)
    assert (round(cx, 3), round(cy, 3)) == (1.357, 1.357) and cx != sum(x) / len(x)


def test_download_buttons_answer_a_click_with_the_file_or_with_nothing(writable_engine, monkeypatch):
    """What the browser element receives for a click: the audited file under its name, or (the
    audit row could not be written) no file, only its button back; an unknown format is ignored."""
    import base64

    from fundwatch.components import export

    county = CountyStore(engine=writable_engine, scope=Scope.all(), year=2024, as_of=AS_OF, county=YUDU)
    buttons = ExportButtons(store=county, kind="subregions")
    sent = []
    monkeypatch.setattr(buttons, "_send_msg", sent.append)
    assert [label for _, label in buttons.labels] == ["⤓ CSV", "⤓ Excel"]
    buttons._handle_msg({"fmt": "csv"})
    (reply,) = sent
    assert reply["fmt"] == "csv" and reply["filename"].endswith(".csv") and reply["mime"] == "text/csv"
    assert base64.b64decode(reply["data"]).decode("utf-8-sig").startswith("# 表格,各乡镇情况")
    buttons._handle_msg({"fmt": "exe"})
    assert len(sent) == 1
    monkeypatch.setattr(export, "record_export", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    buttons._handle_msg({"fmt": "xlsx"})
    assert sent[-1] == {"fmt": "xlsx"} and county.notice
    county.lang = "en"
    assert [label for _, label in buttons.labels] == ["⤓ CSV", "⤓ Excel"]


def test_a_choice_from_a_list_reaches_the_server_without_panels_wait(county):
    """Panel holds a change from the browser 50 ms for more of the same; a region, year or
    programme is chosen once, so its load starts at once (and in the same timed callback, under
    the document's lock: not as a "priority" change, which would hold back the loading indicator)."""
    selects = [*pn.panel(RegionPicker(store=county)).select(pn.widgets.Select),
               *pn.panel(FilterBar(store=county)).select(pn.widgets.Select)]
    assert len(selects) == 6
    assert all(select._debounce == 0 and "value" not in select._priority_changes for select in selects)
    assert pn.widgets.Select._debounce > 0  # Panel's own drop-down still waits


def test_the_breadcrumb_follows_the_region_and_steps_up(county):
    """The steps above the focus are buttons named after their regions, the focus is bold text;
    a change of region relabels them in the same Bokeh models, and a click steps up."""
    view = Breadcrumb(store=county)
    rendered = render(view)
    buttons = list(pn.panel(view).select(pn.widgets.Button))

    def shown():
        return [b.label for b in buttons if b.visible], re.findall(r"<b>(.*?)</b>", html_of(view))

    township = county.townships["code"].iloc[0]
    assert shown() == (["赣州市"], ["于都县"])
    models = len(rendered.doc.models)
    county.township = township
    name = county.name_of(township)
    assert shown() == (["赣州市", "于都县"], [name])
    assert len(rendered.doc.models) == models  # relabelled in place
    buttons[1].clicks += 1  # the county step
    assert county.township == "" and shown() == (["赣州市"], ["于都县"])
