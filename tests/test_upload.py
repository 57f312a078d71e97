"""The import desk of ``/upload``: set a file, read the check, confirm, and see the dashboards' cached
reads follow; then the page itself on a real server.

The desk writes, so the module has a demo database of its own.  Files are built from the templates'
own headers and real regions of the demo database (于都县 360731, 兴国县 360732).
"""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import urlsplit

import openpyxl
import panel as pn
import pytest
from bokeh.document import Document
from conftest import new_demo_database
from dashboard_fixtures import _fresh_caches, demo_db, fetch, server  # noqa: F401

from fundwatch.components import EXTENSIONS, loaders
from fundwatch.components.upload import ImportDesk, kind_options, problems_shown, progress_percent, report_bytes
from fundwatch.data import db, reads
from fundwatch.data.imports import KINDS
from fundwatch.data.reads import transition
from fundwatch.data.scope import Scope

YUDU, XINGGUO = "360731", "360732"
ZH_HEADERS = ["行", "列", "值", "问题", "说明"]
EN_HEADERS = ["Row", "Column", "Value", "Problem", "Message"]


@pytest.fixture(scope="module", autouse=True)
def _extensions():
    pn.extension(*EXTENSIONS)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """A demo database of this module's own: the tests import into it."""
    engine = new_demo_database("sqlite", "upload", tmp_path_factory)
    yield engine
    engine.dispose()


@pytest.fixture
def desk(engine):
    return ImportDesk(engine=engine, scope=Scope.all(), actor="tester")


def table(kind: str, rows: list[list], lang: str = "zh") -> bytes:
    """A CSV file of ``kind`` with the template's headers (UTF-8 with BOM, as Excel writes it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f.header(lang) for f in KINDS[kind].fields])
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def allocations(tag: str, count: int, *, amount: str = "1,000.00", bad: dict[int, str] | None = None) -> bytes:
    """``count`` allocations of ``amount`` yuan to 于都县 in 2024 (document numbers ``tag``-1 ...);
    ``bad`` replaces the amount of some of them (0-based)."""
    bad = bad or {}
    return table("allocations", [
        ["于都县", 2024, "县级", "财政专项扶贫资金", bad.get(i, amount), f"于财农指〔2024〕{tag}-{i + 1}号",
         "2024-03-01", "否", "否", ""] for i in range(count)])


def yudu_special_2024(engine) -> tuple[float, int]:
    """于都县's 2024 county-level special fund, straight from the data layer: (yuan, allocations)."""
    frame = reads.funds_frame(engine, Scope.county(YUDU), by=("year", "source_level", "programme"), years=(2024, 2024))
    frame = frame[(frame["source_level"] == "county") & (frame["programme"] == "special")]
    return float(frame["amount"].sum()), int(frame["allocations"].sum())


def cached_special_2024(engine) -> float:
    """The same figure through the dashboards' cached loader."""
    frame = loaders.funds(loaders.engine_key(engine), "*", YUDU)
    frame = frame[(frame["year"] == 2024) & (frame["source_level"] == "county") & (frame["programme"] == "special")]
    return float(frame["amount"].sum())


class Rendered:
    """The desk in a Bokeh document (what a browser would get)."""

    def __init__(self, view):
        self.doc = Document()
        self.doc.add_root(pn.panel(view).get_root(self.doc))

    def column_titles(self) -> list[list[str]]:
        from panel.models.tabulator import DataTabulator

        return [[c.title for c in m.columns] for m in self.doc.models if isinstance(m, DataTabulator)]


# -- the flow ---------------------------------------------------------------------------------------


def test_a_valid_file_passes_the_check_and_confirm_loads_it(engine, desk):
    before_yuan, before_count = yudu_special_2024(engine)
    assert cached_special_2024(engine) == pytest.approx(before_yuan)  # the dashboards' cache now holds it
    desk.upload(allocations("valid", 3), "资金下达.csv")
    report = desk.report
    assert report.result == "dry_run" and report.ok and report.inserted == 3
    assert desk.can_confirm and not desk._confirm.disabled
    assert "检查通过" in report.summary("zh") and desk.progress == 100 and desk.stage == "done"
    assert len(desk.changes.frame) == 3 and set(desk.changes.frame["action"]) == {"新增"}
    assert desk.changes.frame["key"].iloc[0] == f"{YUDU} / 2024 / 于财农指〔2024〕valid-1号 / 财政专项扶贫资金 / 县级"
    assert yudu_special_2024(engine) == (before_yuan, before_count)  # a dry run writes nothing

    desk.confirm()
    assert desk.report.result == "accepted" and not desk.report.dry_run and desk.status == "imported"
    assert not desk.can_confirm and desk._confirm.disabled
    assert yudu_special_2024(engine) == (pytest.approx(before_yuan + 3000), before_count + 3)
    assert cached_special_2024(engine) == pytest.approx(before_yuan + 3000)  # caches were cleared

    # The same file again: nothing would change, so there is nothing to confirm.
    desk.upload(allocations("valid", 3), "资金下达-again.csv")
    assert desk.report.result == "dry_run" and desk.report.unchanged == 3 and desk.report.inserted == 0
    assert not desk.can_confirm
    assert "无需导入" in desk._confirm_note()

    # New amounts for the same documents: updates, naming the column that changes.
    desk.upload(allocations("valid", 3, amount="1,500"), "资金下达-更正.csv")
    assert desk.report.updated == 3 and desk.can_confirm
    assert set(desk.changes.frame["action"]) == {"更新"} and set(desk.changes.frame["columns"]) == {"下达金额（元）"}
    desk.confirm()
    assert desk.report.result == "accepted" and cached_special_2024(engine) == pytest.approx(before_yuan + 4500)


def test_a_malformed_file_is_rejected_with_row_column_value_and_rule(engine, desk):
    before = yudu_special_2024(engine)
    content = table("allocations", [
        ["于都县", 2024, "县级", "财政专项扶贫资金", "abc", "于财农指〔2024〕bad-1号", "2024-03-01", "否", "否", ""],
        ["不存在县", 2024, "县级", "财政专项扶贫资金", "500", "于财农指〔2024〕bad-2号", "2024-03-01", "否", "否", ""],
        ["于都县", 2024, "县级", "财政专项扶贫资金", "500", "于财农指〔2024〕bad-3号", "2024-13-45", "否", "否", ""],
    ])
    desk.upload(content, "坏文件.csv")
    report = desk.report
    assert report.result == "rejected" and not report.ok
    assert not desk.can_confirm and desk._confirm.disabled
    shown = desk.problems
    assert [shown.titles[k] for k in shown.frame.columns] == ZH_HEADERS
    rows = {tuple(r) for r in shown.frame.itertuples(index=False)}
    assert ("2", "下达金额（元）", "abc", "不是数字", "应为数字") in rows
    assert ("3", "县（市、区）", "不存在县", "地区不存在", "找不到县（市、区）「不存在县」") in rows
    assert any(r[0] == "4" and r[1] == "下达日期" and r[2] == "2024-13-45" for r in rows)
    assert "未导入" in desk._summary() and "bad" in desk._summary()
    desk.confirm()  # refused: nothing runs
    assert desk.report is report
    assert yudu_special_2024(engine) == before


def test_a_county_official_cannot_import_another_county(engine):
    desk = ImportDesk(engine=engine, scope=Scope.county(XINGGUO), actor="兴国县用户")
    desk.upload(allocations("scope", 1), "于都.csv")
    assert desk.report.result == "rejected"
    (message,) = desk.problems.frame["message"]
    assert message == "这一行属于于都县，您只能导入兴国县的数据"
    nobody = ImportDesk(engine=engine, scope=Scope.nothing())
    assert nobody._file_disabled() and "没有可导入数据的地区" in nobody._file_hint("zh", nobody.scope)


def test_changing_the_kind_or_the_file_starts_a_new_check(desk):
    desk.upload(allocations("kind", 2), "资金.csv")
    first = desk.report
    assert first.kind == "allocations" and first.result == "dry_run"
    desk.kind = "dibao_standards"  # the same file is no dibao table
    assert desk.report is not first and desk.report.kind == "dibao_standards" and desk.report.result == "rejected"
    assert "农村低保标准" in desk.report.summary("zh") and not desk.can_confirm
    desk.upload(table("dibao_standards", [["于都县", 2029, "9000"], [XINGGUO, 2029, "9,100"]]), "低保.csv")
    assert desk.report.result == "dry_run" and desk.report.inserted == 2 and desk.problems.frame.empty


def test_dibao_standards_load_and_the_transition_reads_see_them(engine, desk):
    assert transition.alert_lines_frame(engine, Scope.all(), 2030).empty
    desk.kind = "dibao_standards"
    desk.upload(table("dibao_standards", [["于都县", 2030, "9000"], [XINGGUO, 2030, "9,100.00"]]), "低保.csv")
    assert desk.report.result == "dry_run" and desk.can_confirm
    desk.confirm()
    assert desk.report.result == "accepted" and desk.report.inserted == 2
    lines = transition.alert_lines_frame(engine, Scope.all(), 2030).set_index("county_code")["dibao"]
    assert lines.to_dict() == {YUDU: 9000.0, XINGGUO: 9100.0}


def test_switching_the_language_switches_the_tables_headers_and_messages(desk):
    desk.upload(allocations("lang", 2, bad={1: "abc"}), "lang.csv")
    rendered = Rendered(desk)
    assert ZH_HEADERS in rendered.column_titles()
    desk.lang = "en"
    assert [desk.problems.titles[k] for k in desk.problems.frame.columns] == EN_HEADERS
    assert EN_HEADERS in rendered.column_titles()
    assert tuple(desk.problems.frame.iloc[0]) == ("3", "下达金额（元）", "abc", "Not a number", "expected a number")
    assert "rejected" in desk._summary() and "Step 1" in desk._title("upload.step.kind")()
    assert "Allocations" in kind_options("en") and "资金下达" in kind_options("zh")
    assert {"Row", "Action", "Record", "Columns changed"} >= set(desk.changes.titles.values())


def test_the_report_downloads_as_csv_and_excel(desk):
    desk.upload(allocations("report", 3, bad={0: "abc", 2: "-5"}), "report.csv")
    report = desk.report
    text = desk._report_file("csv").getvalue().decode("utf-8-sig")
    head, _, body = text.partition("\r\n\r\n")
    about = dict(row for row in csv.reader(io.StringIO(head)) if row)
    assert about["# 数据类型"] == "资金下达" and about["# 文件"] == "report.csv"
    assert about["# 检查结果"] == report.summary("zh")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ZH_HEADERS
    assert [r[0] for r in rows[1:]] == ["2", "4"] and rows[2][3] == "金额为负"
    assert desk._downloads["csv"].filename.endswith(".csv")

    book = openpyxl.load_workbook(io.BytesIO(desk._report_file("xlsx").getvalue()))
    sheet = list(book.worksheets[0].values)
    assert list(sheet[0]) == ZH_HEADERS and [r[0] for r in sheet[1:]] == ["2", "4"]
    assert dict(book.worksheets[1].values)["检查结果"] == report.summary("zh")
    english = report_bytes(report, "csv", "en").decode("utf-8-sig")
    assert "Row,Column,Value,Problem,Message" in english and "# Check," in english


def test_the_templates_download_in_the_desks_language(desk):
    desk.kind = "dibao_standards"
    book = openpyxl.load_workbook(io.BytesIO(desk._template("xlsx").getvalue()))
    assert list(book.worksheets[0].values)[0][:3] == ("县（市、区）", "年度", "农村低保标准（元）")
    assert "农村低保标准" in desk._templates["xlsx"].filename
    desk.lang = "en"
    text = desk._template("csv").getvalue().decode("utf-8-sig")
    assert text.splitlines()[0] == "county,year,annual_yuan"
    assert desk._templates["csv"].filename == "fundwatch-dibao_standards-template.csv"


def test_progress_runs_through_the_stages_to_100(desk):
    seen: list[tuple[str, int]] = []
    desk.param.watch(lambda *events: seen.append((desk.stage, desk.progress)), ["progress", "stage"])
    desk.upload(allocations("progress", 12_000), "large.csv")
    assert desk.report.result == "dry_run" and desk.report.inserted == 12_000
    percents = [p for _, p in seen]
    assert percents == sorted(percents) and percents[-1] == 100
    assert {"read", "parse", "check", "done"} <= {s for s, _ in seen}
    assert any(5 < p < 60 for p in percents), "the parse stage reports as it goes"
    assert desk._stage_text().startswith('<span class="fw-upload-stage">完成')
    assert progress_percent("parse", 5_000, 10_000) == 32 and progress_percent("write", 0, 0) == 80


def test_progress_from_the_worker_thread_goes_through_the_event_loop(desk):
    """In a served session the pipeline's progress is handed to the document's next tick, once per
    stage and whole percent, and dropped once the desk has moved on to another file."""

    class Doc:
        def __init__(self):
            self.callbacks = []

        def add_next_tick_callback(self, callback):
            self.callbacks.append(callback)

    doc, last = Doc(), [None, -1]
    generation = desk._generation
    for done in (0, 10, 20, 5_000, 5_001, 10_000):
        desk._tell_later(doc, generation, last, "parse", done, 10_000)
    assert len(doc.callbacks) == 3 and desk.progress == 0  # nothing happened on this thread
    doc.callbacks[1]()
    assert (desk.stage, desk.progress, desk.stage_done) == ("parse", 32, 5_000)
    desk._generation += 1
    doc.callbacks[2]()
    assert desk.progress == 32  # a stale run's progress is ignored


def test_a_database_that_cannot_be_read_is_reported_not_raised(tmp_path):
    broken = db.get_engine(f"sqlite:///{tmp_path / 'empty.db'}", create=True)  # no schema
    desk = ImportDesk(engine=broken, scope=Scope.all())
    desk.upload(allocations("broken", 1), "a.csv")
    assert desk.report is None and desk.status == "failed" and not desk.busy
    assert "导入未完成" in desk._status()
    broken.dispose()


def test_problems_of_no_report_are_an_empty_table():
    shown = problems_shown(None, "en")
    assert shown.frame.empty and [shown.titles[k] for k in shown.frame.columns] == EN_HEADERS


# -- the page -------------------------------------------------------------------------------------


def test_the_pages_desk_follows_the_pages_language(engine, monkeypatch):
    from fundwatch.components.cards import views_in
    from fundwatch.components.controls import LanguageSwitch
    from fundwatch.dashboards import upload

    monkeypatch.setenv(db.ENV_URL, engine.url.render_as_string(hide_password=False))
    page = upload.create_app()
    (desk,) = page.select(ImportDesk)
    (switch,) = views_in(page, LanguageSwitch)
    assert desk.lang == "zh" and desk.engine.url == engine.url and desk.scope.is_all
    switch.store.lang = "en"
    assert desk.lang == "en" and desk.problems.titles["row"] == "Row"


@pytest.mark.slow
def test_the_upload_page_is_served_on_loopback(server):
    from bokeh.client import pull_session

    import panel.models.tabulator  # noqa: F401 - the client must know Panel's models

    assert urlsplit(server.url).hostname == "127.0.0.1"
    status, page = fetch(server.url + "/upload")
    assert status == 200 and "<title>赣州市扶贫资金监管平台</title>" in page
    external = [u for u in re.findall(r'(?:src|href)="((?:https?:)?//[^"]*)"', page)
                if not re.match(r"(https?:)?//(127\.0\.0\.1|localhost)[:/]", u)]
    assert external == []
    with pull_session(url=server.url + "/upload", arguments={"lang": "en"}) as session:
        text = json.dumps(session.document.to_json(), ensure_ascii=False, default=str)
    assert "Data import" in text and "Step 1: choose the kind of data" in text and "Allocations" in text
