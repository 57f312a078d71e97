"""The pages as functions, the route table, and the ``serve`` and ``export`` commands."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import html
import io
import logging
import os
import subprocess
import sys
import weakref
from types import SimpleNamespace

import openpyxl
import pandas as pd
import panel as pn
import pytest
from bokeh.document import Document
from bokeh.document.events import ModelChangedEvent
from dashboard_fixtures import _fresh_caches, demo_copy, demo_db, engine  # noqa: F401

from fundwatch.components.audit import AuditDesk
from fundwatch.components.cards import BusyBar, views_in
from fundwatch.components.charts import DisbursementCurve
from fundwatch.components.kpis import KpiCards
from fundwatch.components.maps import CountyMap
from fundwatch.components.scoring import RubricScorecard, ScoreEntry, ScoreRanking
from fundwatch.components.stores import OverviewStore
from fundwatch.components.tables import RecordTabs
from fundwatch.components.transition_views import OpenCases
from fundwatch.dashboards import app, cli
from fundwatch.data import db, demo
from fundwatch.data.scope import Scope


def fundwatch(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fundwatch.dashboards.cli", *args],
                          capture_output=True, timeout=300, env=env)


def one_line_error(capsys, *args: str) -> str:
    """Run ``fundwatch *args`` in this process; it must fail with one line on stderr."""
    assert cli.main(list(args)) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fundwatch: error:"), lines
    return lines[0]


def test_every_route_creates_its_page(demo_db, monkeypatch):
    monkeypatch.setenv(db.ENV_URL, str(demo_db))
    routes = app.route_table()
    assert set(routes) == {"/", "/overview", "/county", "/transition", "/scoring", "/upload", "/audit",
                           "/embed/kpis", "/embed/map", "/embed/pace", "/embed/warnings", "/embed/scorecard"}
    pages = {path: create() for path, create in routes.items()}
    overview = pages["/overview"]
    assert views_in(overview, KpiCards) and views_in(overview, CountyMap) and views_in(overview, DisbursementCurve)
    assert views_in(pages["/county"], RecordTabs) and not views_in(overview, RecordTabs)
    (tabs,) = views_in(pages["/county"], RecordTabs)  # only the list on screen was read
    assert [kind for kind, records in tabs.store.lists.items() if records.total] == [tabs.active] == ["projects"]
    assert views_in(pages["/transition"], OpenCases) and not views_in(pages["/transition"], RecordTabs)
    scoring = pages["/scoring"]
    assert views_in(scoring, ScoreRanking) and views_in(scoring, RubricScorecard) and views_in(scoring, ScoreEntry)
    assert not views_in(scoring, KpiCards)
    (desk,) = pages["/audit"].select(AuditDesk)  # demo mode: the log, no account to unmask with
    assert desk.rows > 0 and not desk.may_unmask
    assert views_in(pages["/embed/kpis"], KpiCards) and not views_in(pages["/embed/kpis"], CountyMap)
    assert views_in(pages["/embed/map"], CountyMap) and views_in(pages["/embed/pace"], DisbursementCurve)
    assert views_in(pages["/embed/scorecard"], RubricScorecard) and not views_in(pages["/embed/scorecard"], ScoreEntry)


@pytest.mark.parametrize("path", ["/transition", "/county", "/embed/kpis"])
def test_a_load_shows_its_indicator_with_one_model(demo_db, monkeypatch, path):
    """While a page's store loads, one bar says so (along the window's top; an embedded panel's
    own): one model's text each way, not every card's classes (twenty on the transition page,
    8.7 ms each way of a county change)."""
    monkeypatch.setenv(db.ENV_URL, str(demo_db))
    page = app.route_table()[path]()
    (bar,) = views_in(page, BusyBar)
    store = bar.store
    document = Document()
    document.add_root(page.get_root(document))
    events = []
    document.on_change(events.append)

    def toggled(busy: bool) -> str:
        events.clear()
        store.busy = busy
        (changed,) = events  # the bar's text alone: no card's classes
        assert isinstance(changed, ModelChangedEvent) and changed.attr == "text"
        return html.unescape(changed.new)  # Panel's HTML model carries its text escaped

    inline = " fw-inline" if path.startswith("/embed") else ""
    assert f'<div class="fw-busy{inline}" role="progressbar" aria-label="正在加载数据…">' in toggled(True)
    assert [type(shown).__name__ for shown in page.select() if shown.loading] == []  # Panel's own, per view
    assert toggled(False) == ""
    store.lang = "en"
    assert 'aria-label="Loading data…"' in toggled(True)


def test_every_page_asks_for_the_viewers_scope(demo_db, monkeypatch):
    monkeypatch.setenv(db.ENV_URL, str(demo_db))
    monkeypatch.setattr(app, "current_scope", lambda: Scope.county("360732"))
    page = app.route_table()["/county"]()
    (store,) = {view.store for view in views_in(page, KpiCards)}
    assert list(store.counties["code"]) == ["360732"]
    scoring = app.route_table()["/scoring"]()
    (store,) = {view.store for view in views_in(scoring, ScoreRanking)}
    assert list(store.ranking["unit_code"]) == ["360732"] and store.unit == "360732"


def test_export_writes_what_the_dashboard_shows(demo_copy, engine, tmp_path):  # exports write audit rows
    out = tmp_path / "ranking.xlsx"
    result = fundwatch("export", "county_ranking", "--db", str(demo_copy), "--year", "2024", "--as-of", "2024-06-30",
                       "--out", str(out))
    assert result.returncode == 0, result.stderr
    store = OverviewStore(engine=engine, scope=Scope.all(), year=2024, as_of=dt.date(2024, 6, 30))
    shown = store.shown("county_ranking").labelled()
    book = openpyxl.load_workbook(out)
    rows = list(book.worksheets[0].values)
    assert list(rows[0]) == list(shown.columns)
    assert [list(r) for r in rows[1:]] == shown.astype(object).values.tolist()
    assert dict(book.worksheets[1].values)["截至日期"] == "2024年6月30日"


def test_export_of_a_county_list_to_stdout(demo_copy):
    result = fundwatch("export", "household_records", "--db", str(demo_copy), "--county", "360731", "--out", "-",
                       "--lang", "en")
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode("utf-8-sig")
    assert "# Region,Ganzhou / 于都县" in text
    table = pd.read_csv(io.StringIO(text.partition("\r\n\r\n")[2]))
    assert "Head of household" in table.columns and table["Head of household"].str.endswith("*").all()


@pytest.mark.parametrize(("args", "message"), [
    (("export", "nonsense"), "unknown table"),
    (("export", "projects"), "give --county"),
    (("export", "pace", "--county", "999999"), "no county '999999'"),
])
def test_export_mistakes_are_one_line_errors(demo_db, capsys, args, message):
    assert message in one_line_error(capsys, *args, "--db", str(demo_db))


@pytest.mark.parametrize("command", ["serve", "export"])
def test_a_missing_sqlite_file_is_an_error_and_is_not_created(tmp_path, capsys, command):
    missing = tmp_path / "nowhere.db"
    args = ("serve", "--no-show") if command == "serve" else ("export", "pace")
    assert "does not exist" in one_line_error(capsys, *args, "--db", str(missing))
    assert not missing.exists()


def test_the_first_serve_creates_the_demo_database_and_says_where(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv(db.ENV_URL, raising=False)
    load = demo.load_demo
    monkeypatch.setattr(demo, "load_demo", lambda engine, scale, **kw: load(engine, scale=0.02, **kw))  # fast
    args = SimpleNamespace(db=None)
    engine = cli._serve_engine(args)
    path = tmp_path / "fundwatch" / "fundwatch.db"
    assert path.exists() and not path.with_name("fundwatch.db.part").exists()
    out = capsys.readouterr().out
    assert f"creating the demo database at {path}" in out and f"demo database created at {path}" in out
    assert OverviewStore(engine=engine, scope=Scope.all()).county_metrics["code"].nunique() == 20
    assert cli._serve_engine(args).url == engine.url  # the second run uses it as it is
    assert "creating" not in capsys.readouterr().out


def test_navigation_keeps_the_filters_in_the_links():
    store = OverviewStore(year=2020, as_of=dt.date(2020, 6, 30), lang="en")
    bar = app.nav_bar(store, "/overview")
    html = "".join(str(p.object) for p in bar.select(pn.pane.HTML))
    assert 'href="./overview?year=2020&amp;as_of=2020-06-30&amp;lang=en"' in html or \
           'href="./overview?year=2020&as_of=2020-06-30&lang=en"' in html
    assert "Overview" in html and "County drill-down" in html


def test_the_served_process_sets_its_loaded_libraries_aside_from_the_collector():
    """``settle_heap`` (run by ``serve`` before the first session) freezes what is loaded and makes
    full collections rarer; a session's garbage is still collected."""
    threshold = gc.get_threshold()
    try:
        app.settle_heap()
        assert gc.get_freeze_count() > 100_000  # the libraries' objects
        assert gc.get_threshold() == (*threshold[:2], 100)
        session = pn.Column()
        session.itself = session  # a cycle, as a document's models make
        gone = weakref.ref(session)
        del session
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


SKIPPED_CHECK = """
from bokeh.models import Div
from fundwatch.dashboards import app
app.skip_callback_checks()
Div().on_change("text", lambda: None)  # a wrong signature: raises only when checked
print("unchecked")
"""


@pytest.mark.parametrize(("env", "outcome"), [({}, "unchecked"),
                                              ({"BOKEH_PERFORM_ERROR_DIAGNOSTICS": "true"}, "ValueError")])
def test_served_pages_skip_bokehs_callback_checks_unless_asked(env, outcome):
    """``serve`` turns Bokeh's check of callback signatures off (a tenth of a page's build); an
    explicit ``BOKEH_PERFORM_ERROR_DIAGNOSTICS`` still decides, and outside ``serve`` (this test
    suite) the check stays on."""
    from bokeh.models import Div

    with pytest.raises(ValueError, match="must have signature"):
        Div().on_change("text", lambda: None)
    env = {k: v for k, v in os.environ.items() if k != "BOKEH_PERFORM_ERROR_DIAGNOSTICS"} | env
    done = subprocess.run([sys.executable, "-c", SKIPPED_CHECK], capture_output=True, text=True, env=env, timeout=120)
    assert outcome in done.stdout + done.stderr


def test_a_message_to_a_closed_page_is_one_warning_line_and_other_errors_are_reported(caplog):
    """A failed write to a websocket the browser had closed, never awaited (Panel cancels the
    futures of a destroyed session, which leaves a failed one as it is), is one warning line in
    the server's log, not an error with tracebacks; any other unretrieved error is still reported
    with its traceback."""
    from tornado.websocket import WebSocketClosedError

    async def fail(exc):
        raise exc

    loop = asyncio.new_event_loop()
    try:
        app.quiet_closed_pages(loop)
        tasks = [loop.create_task(fail(WebSocketClosedError())), loop.create_task(fail(ValueError("a real fault")))]
        with caplog.at_level(logging.WARNING):
            loop.run_until_complete(asyncio.sleep(0.01))
            assert all(task.done() for task in tasks)
            del tasks
            gc.collect()
    finally:
        loop.close()
    dropped = [r for r in caplog.records if "page that had closed" in r.getMessage()]
    assert len(dropped) == 1 and dropped[0].exc_info is None
    faults = [r for r in caplog.records if "never retrieved" in r.getMessage()]
    assert len(faults) == 1 and "a real fault" in caplog.text and faults[0].exc_info is not None
    assert "WebSocketClosedError" not in caplog.text
