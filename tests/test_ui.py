"""The dashboards in Debian's Chromium (Playwright): every page without a console error and without
a request leaving the machine, the map click into the drill-down, a county change the URL
reproduces, the language switch, a download opened with openpyxl.  Screenshots of every page in
Chinese go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import openpyxl
import panel as pn
import pytest
from dashboard_fixtures import ARTIFACTS, _fresh_caches, demo_db, engine, own_server, served_in_thread, server  # noqa: F401

from fundwatch.components.cards import BusyBar, views_in
from fundwatch.components.geo import county_outlines
from fundwatch.dashboards import transition

pytestmark = [pytest.mark.ui, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
YUDU, XINGGUO = "360731", "360732"
STATE = "year=2024&as_of=2024-06-30"
READY = 90_000  # ms: the first page of a fresh server imports and warms its caches

# Screen position of a map point: walk Bokeh's views to the plot drawing polygons.
MAP_POINT_JS = """([x, y]) => {
  const seen = new Set();
  let plot = null;
  function walk(view) {
    if (!view || seen.has(view) || plot) return;
    seen.add(view);
    const renderers = view.model.renderers || [];
    if (renderers.some(r => r.glyph && ["MultiPolygons", "Patches"].includes(r.glyph.type))) { plot = view; return; }
    if (typeof view.children === "function") for (const child of view.children()) walk(child);
  }
  for (const root of Bokeh.index.roots) walk(root);
  if (plot === null) return null;
  const box = plot.canvas_view.el.getBoundingClientRect();
  return [box.left + plot.frame.x_scale.compute(x), box.top + plot.frame.y_scale.compute(y)];
}"""


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run installs Debian's chromium")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser():
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A browser page whose console errors and off-machine requests are collected."""

    def __init__(self, browser, width: int = 1400):
        self.context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True,
                                           locale="zh-CN")
        self.errors: list[str] = []
        self.external: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.new_page()

    def new_page(self):
        page = self.context.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        return page

    def _route(self, route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).hostname not in LOOPBACK:
            self.external.append(url)
            route.abort()
        else:
            route.continue_()

    def check(self) -> None:
        assert self.external == [], f"requests left the machine: {self.external}"
        assert self.errors == [], f"console errors: {self.errors}"


@pytest.fixture
def watched(browser):
    session = Watched(browser)
    yield session
    try:
        session.check()
    finally:
        session.context.close()


def open_page(page, url: str, ready: str = ".fw-kpi") -> None:
    page.goto(url, timeout=READY)
    settle(page, ready)


def settle(page, ready: str = ".fw-kpi") -> None:
    """Wait until the page's Bokeh document is live and ``ready`` is drawn."""
    page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0", timeout=READY)
    page.locator(ready).first.wait_for(timeout=READY)
    page.wait_for_load_state("networkidle", timeout=READY)


def kpis(page) -> str:
    return page.locator(".fw-kpis").first.inner_text()


def crumb(page) -> str:
    return page.locator(".fw-crumbs b").first.inner_text()


def until_changed(read, before: str, timeout: float = READY / 1000) -> str:
    """Poll ``read()`` until it differs from ``before`` (the panels update after their indicator)."""
    deadline = time.monotonic() + timeout
    while (now := read()) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    return now


def wait_for_text(page, selector: str, text: str) -> None:
    page.locator(selector, has_text=text).first.wait_for(timeout=READY)


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(500)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def test_the_landing_page_leads_to_every_page(server, watched):
    page = watched.page
    open_page(page, server.url + "/", ready=".fw-tile")
    assert "赣州市扶贫资金监管平台" in page.locator(".fw-nav").inner_text()
    assert "考核评分" in page.locator(".fw-nav").inner_text()
    assert page.locator(".fw-tile").count() == 6  # overview, drill-down, transition, scoring, upload, audit
    screenshot(page, "landing-zh")


def test_the_overview_downloads_what_it_shows_and_switches_language(server, watched, tmp_path):
    page = watched.page
    open_page(page, server.url + f"/overview?{STATE}")
    assert re.search(r"\d[\d,.]*(亿元|万元)", kpis(page)), "amounts read in 万元/亿元"
    ranking = page.locator(".tabulator").first
    ranking.locator(".tabulator-row").first.wait_for(timeout=READY)
    screenshot(page, "overview-zh")

    # The ranking's Excel download holds the rows on screen, and the filters.
    cells = ranking.locator(".tabulator-row")
    on_screen = [(row.locator('[tabulator-field="name"]').inner_text().strip(),
                  row.locator('[tabulator-field="rank"]').inner_text().strip()) for row in cells.all()]
    card = page.locator(".fw-card", has=page.locator(".fw-card-title", has_text="各县（市、区）排名"))
    with page.expect_download(timeout=READY) as download:
        card.get_by_role("button", name=re.compile("Excel")).click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    book = openpyxl.load_workbook(path)
    rows = list(book.worksheets[0].values)
    assert path.suffix == ".xlsx" and rows[0][:2] == ("县（市、区）", "排名")
    assert [(r[0], str(r[1])) for r in rows[1:]] == on_screen and len(on_screen) == 20
    filters = dict(book.worksheets[1].values)
    assert filters["年度"] == "2024" and filters["截至日期"] == "2024年6月30日" and "导出时间" in filters

    # English: labels, amounts and the URL follow.
    page.get_by_role("button", name="English").click()
    wait_for_text(page, ".fw-kpi-label", "Funds allocated in 2024")
    page.wait_for_url(re.compile(r"lang=en"), timeout=READY)
    assert "Overview" in page.locator(".fw-nav").inner_text()
    wait_for_text(page, ".fw-card-title", "County ranking")
    assert re.search(r"¥[\d,.]+(bn|M)", kpis(page))
    # the ranking's column titles too: a change of titles alone travels in the table's
    # configuration, not as new column models (components/tables.Tabulator)
    wait_for_text(page, ".tabulator-col-title", "Rank")
    titles = [title.strip() for title in ranking.locator(".tabulator-col-title").all_inner_texts() if title.strip()]
    assert titles[:2] == ["County", "Rank"] and not any(re.search("[\u4e00-\u9fff]", t) for t in titles), titles
    screenshot(page, "overview-en")


def test_the_drill_down_follows_the_county_and_its_link_reproduces_it(server, watched, tmp_path):
    page = watched.page
    open_page(page, server.url + f"/county?{STATE}&county={YUDU}")
    assert crumb(page) == "于都县" and re.search(r"\d[\d,.]*(亿元|万元)", kpis(page))
    page.locator(".tabulator-row").first.wait_for(timeout=READY)
    screenshot(page, "county-zh")

    # The county's printable report, for the year and as-of date on screen.
    with page.expect_download(timeout=READY) as download:
        page.get_by_role("button", name=re.compile("下载报告")).click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == "于都县-2024-报告.pdf" and path.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "于都县" in text and "2024年6月30日" in text

    page.set_viewport_size({"width": 390, "height": 800})  # a phone: no sideways scrolling
    page.wait_for_timeout(1000)
    screenshot(page, "county-phone-zh")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 392
    page.set_viewport_size({"width": 1400, "height": 900})

    before_kpis, before_rows = kpis(page), page.locator(".tabulator").first.inner_text()
    page.locator("select:has(option:text-is('兴国县'))").select_option(label="兴国县")
    page.wait_for_url(re.compile(rf"county={XINGGUO}"), timeout=READY)
    wait_for_text(page, ".fw-crumbs b", "兴国县")
    after_kpis = until_changed(lambda: kpis(page), before_kpis)
    after_rows = until_changed(lambda: page.locator(".tabulator").first.inner_text(), before_rows)
    assert after_kpis != before_kpis and after_rows != before_rows

    again = watched.new_page()  # the copied link in a new tab
    open_page(again, page.url)
    assert crumb(again) == "兴国县"
    assert kpis(again) == after_kpis
    assert again.locator(".tabulator").first.inner_text() == after_rows


def test_a_click_on_the_map_opens_the_county(server, watched):
    page = watched.page
    open_page(page, server.url + f"/overview?{STATE}")
    yudu = next(s for s in county_outlines().shapes if s.code == YUDU)
    point = page.evaluate(MAP_POINT_JS, [float(np.nanmean(yudu.x)), float(np.nanmean(yudu.y))])
    assert point is not None, "the map is on the page"
    page.mouse.click(*point)
    page.wait_for_url(re.compile(rf"/county\?.*county={YUDU}"), timeout=READY)
    settle(page)
    assert crumb(page) == "于都县"
    assert "year=2024" in page.url and "as_of=2024-06-30" in page.url


def test_the_transition_page_shows_yudus_overdue_cases_at_phone_width_too(server, watched):
    page = watched.page
    open_page(page, server.url + f"/transition?county={YUDU}&{STATE}")
    assert crumb(page) == "于都县"
    assert "过渡期监测" in page.locator(".fw-nav").inner_text()
    page.locator(".fw-period-text").first.wait_for(timeout=READY)
    assert "第4年" in page.locator(".fw-period-text").first.inner_text()
    card = page.locator(".fw-card", has=page.locator(".fw-card-title", has_text="未完成识别录入的监测对象"))
    card.locator(".tabulator-row").first.wait_for(timeout=READY)
    rows = card.locator(".tabulator-row")
    assert rows.count() == 4
    assert rows.first.locator('[tabulator-field="state"]').inner_text().strip() == "已逾期"
    assert rows.first.locator('[tabulator-field="workdays_overdue"]').inner_text().strip() == "3"
    screenshot(page, "transition-zh")
    page.set_viewport_size({"width": 390, "height": 800})
    page.wait_for_timeout(1000)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 392


@pytest.fixture
def threaded_transition(demo_db, monkeypatch):  # noqa: F811 - fixture
    """The transition page served from a thread of this process (demo mode), and the documents and
    stores of its sessions: a test sets what a slow load would."""
    made = []

    def page():
        created = transition.create_app()
        (bar,) = views_in(created, BusyBar)
        made.append((pn.state.curdoc, bar.store))
        return created

    with served_in_thread({"/transition": page}, demo_db, monkeypatch) as base:
        yield base, made


def test_a_load_that_takes_a_while_shows_a_bar_along_the_top_of_the_window(threaded_transition, watched):
    """One bar along the top of the window while the page loads, wherever the page is scrolled,
    faded in after a quarter of a second (a quick load shows nothing), gone when the load ends."""
    base, made = threaded_transition
    page = watched.page
    open_page(page, base + f"/transition?county={YUDU}&{STATE}")
    page.mouse.wheel(0, 900)
    doc, store = made[-1]
    assert page.locator(".fw-busy").count() == 0
    doc.add_next_tick_callback(lambda: setattr(store, "busy", True))  # a load under way, in the session's thread
    bar = page.locator(".fw-busy")
    bar.wait_for(state="attached", timeout=READY)
    assert bar.evaluate("e => getComputedStyle(e).animationDelay").startswith("0.25s")
    deadline = time.monotonic() + 5
    while bar.evaluate("e => getComputedStyle(e).opacity") != "1" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bar.evaluate("e => getComputedStyle(e).opacity") == "1"
    assert bar.evaluate("e => getComputedStyle(e).position") == "fixed"
    assert bar.get_attribute("role") == "progressbar" and bar.get_attribute("aria-label") == "正在加载数据…"
    box = bar.bounding_box()
    assert (box["x"], box["y"], box["height"]) == (0, 0, 3) and box["width"] == page.viewport_size["width"]
    doc.add_next_tick_callback(lambda: setattr(store, "busy", False))
    bar.wait_for(state="detached", timeout=5000)


@pytest.fixture(scope="module")
def scoring_server(tmp_path_factory):
    """A server on a demo database of its own: the scoring test saves a score."""
    with own_server(tmp_path_factory, "scoring-ui") as served:
        yield served


def summary(page) -> str:
    return page.locator(".fw-score-summary").first.inner_text()


def test_the_scoring_page_ranks_and_a_saved_score_changes_the_total(scoring_server, watched):
    page = watched.page
    open_page(page, scoring_server.url + "/scoring?rubric=chaoyang-2020-sector&year=2020", ready=".fw-score-summary")
    wait_for_text(page, ".fw-nav a.active", "考核评分")
    page.locator(".tabulator-row").first.wait_for(timeout=READY)
    before = summary(page)
    total = float(re.search(r"总分 ([\d.]+)", before).group(1))
    assert "第1名" in before  # the best-ranked unit is shown first
    screenshot(page, "scoring-zh")

    # The entry form starts on the first entered item (supervision, 12 points) with what is stored.
    form = page.locator(".fw-card", has=page.locator(".fw-card-title", has_text="录入评分"))
    points = form.locator("input[type=text]").first
    current = float(points.input_value() or 0)
    new = 0 if current else 12
    points.fill(str(new))
    points.press("Tab")
    form.locator("textarea").first.fill("界面录入：现场检查记录.pdf")
    form.locator("textarea").first.press("Tab")
    form.locator("input[type=text]").nth(1).fill("界面测试员")
    form.locator("input[type=text]").nth(1).press("Tab")
    form.get_by_role("button", name="保存评分").click()
    wait_for_text(page, ".fw-score-status", "已保存")
    after = until_changed(lambda: summary(page), before)
    assert float(re.search(r"总分 ([\d.]+)", after).group(1)) == pytest.approx(total - current + new)
    wait_for_text(page, ".tabulator-cell", "界面录入：现场检查记录.pdf")  # the scorecard shows the new evidence
    screenshot(page, "scoring-saved-zh")

    page.get_by_role("button", name="English").click()  # the language switch works here too
    wait_for_text(page, ".fw-card-title", "scorecard 2020")
    page.wait_for_url(re.compile(r"lang=en"), timeout=READY)
    assert "Assessment" in page.locator(".fw-nav").inner_text()
