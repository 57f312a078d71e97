"""The embeddable panels (``/embed/<panel>``, :mod:`fundwatch.dashboards.embed`) and their static
exports (``fundwatch export-panel``).

- The stores the panels show: arguments checked one by one, the viewer's scope whatever they ask.
- ``autoload.js`` (what ``bokeh.embed.server_document`` loads) over HTTP: served for the panels
  only, readable by the sites ``--origin`` names and no other (no wildcard CORS).
- In Debian's Chromium: ``docs/embed-example.html``, served from a second loopback port, shows its
  three panels for 于都县 2020 whatever the host page's own URL says; an exported panel opens from a
  file with every network request blocked.

Login-mode scoping of every panel for every role is in ``test_security_matrix.py`` (the panels
are routes like the pages).
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cli_run import fundwatch, one_line_error
from dashboard_fixtures import ARTIFACTS, ROOT, Server, _fresh_caches, demo_db, engine, free_port  # noqa: F401
from test_ui import READY, browser, watched  # noqa: F401

from fundwatch.components.scoring import ScoringStore
from fundwatch.components import stores
from fundwatch.components.stores import CountyStore, OverviewStore
from fundwatch.dashboards import app, cli_embed, embed
from fundwatch.data import db
from fundwatch.data.access import audit_frame
from fundwatch.data.scope import Scope

YUDU, XINGGUO = "360731", "360732"
EXAMPLE = ROOT / "docs" / "embed-example.html"
EXAMPLE_SERVER = "http://127.0.0.1:5006"  # the fundwatch address written in the example page
LINK = re.compile(r"""<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)\s*=\s*["']?(?!data:)([a-z]+:)?//""", re.I)


def _unescaped(page: str) -> str:
    """The page with the \\uXXXX escapes of its document's JSON turned back into characters."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)


# -- the stores --------------------------------------------------------------------------------

def test_the_documented_panels_are_routes_and_embeddable():
    assert list(embed.PANELS) == ["kpis", "map", "pace", "warnings", "scorecard"]
    paths = {spec.path for spec in embed.PANELS.values()}
    assert paths == set(app.EMBEDDABLE) and paths <= set(app.ROUTES)
    assert app.role_may_open("embed_viewer", "/embed/kpis") and not app.role_may_open("embed_viewer", "/county")
    for path in paths:  # a full page never serves its autoload.js
        assert path.startswith("/embed/")


def test_export_panel_offers_the_panels_metrics_and_height_the_pages_have():
    """The command line names them itself, so that it starts without importing the pages."""
    assert cli_embed.PANELS == tuple(embed.PANELS)
    assert cli_embed.METRICS == stores.METRICS == tuple(stores.DashboardStore.param.metric.objects)
    assert cli_embed.MAX_HEIGHT == embed.MAX_HEIGHT


def test_a_panel_shows_the_county_and_year_its_arguments_ask(engine):
    spec = embed.PANELS["kpis"]
    store = embed.create_store(spec, {"county": YUDU, "year": 2020, "lang": "en"}, engine=engine, scope=Scope.all(),
                               actor="t")
    assert isinstance(store, CountyStore)
    assert (store.county, store.year, store.lang, store.as_of.isoformat()) == (YUDU, 2020, "en", "2020-12-31")
    prefecture = embed.create_store(spec, {"year": 2021}, engine=engine, scope=Scope.all(), actor="t")
    assert isinstance(prefecture, OverviewStore) and prefecture.year == 2021


def test_arguments_a_parameter_refuses_are_ignored(engine):
    spec = embed.PANELS["pace"]
    store = embed.create_store(spec, {"county": YUDU, "year": "twenty", "lang": "fr", "metric": "<script>"},
                               engine=engine, scope=Scope.all(), actor="t")
    assert store.county == YUDU and store.lang == "zh" and store.year == CountyStore.param.year.default


def test_a_county_scope_wins_over_the_arguments(engine):
    """A county official's panel shows their own county, whichever the arguments name."""
    for name, spec in embed.PANELS.items():
        store = embed.create_store(spec, {"county": XINGGUO, "year": 2020}, engine=engine, scope=Scope.county(YUDU),
                                   actor="yudu")
        shown = store.unit if spec.scoring else store.county
        assert shown == YUDU, name
        if spec.scoring:
            assert isinstance(store, ScoringStore) and set(store.ranking["unit_code"]) == {YUDU}
        else:
            assert set(store.county_metrics["code"]) <= {YUDU}


def test_request_numbers_are_numbers_and_the_rest_text():
    assert embed._parsed("2020") == 2020 and embed._parsed("1.5") == 1.5
    assert embed._parsed("true") == "true" and embed._parsed("360731x") == "360731x"
    assert embed._height({"height": "440"}) == 440
    assert embed._height({"height": "0"}) is None and embed._height({"height": "99999"}) is None
    assert embed._height({"height": "tall"}) is None and embed._height({}) is None


def test_a_static_panel_needs_no_network(engine):
    spec = embed.PANELS["warnings"]
    store = embed.create_store(spec, {"county": YUDU, "year": 2020}, engine=engine, scope=Scope.all(), actor="t")
    page = _unescaped(embed.static_html(spec, store).decode("utf-8"))
    assert LINK.search(page) is None, LINK.search(page).group(0)
    assert '"name":"ImportedStyleSheet"' not in page.replace(" ", "")  # every stylesheet is inlined
    assert "于都县" in page and "静态导出" in page and "数据截至2020年12月31日" in page
    assert '"visible":false' in page.replace(" ", "")  # the downloads need the server: hidden


# -- export-panel --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def writable(tmp_path_factory, demo_db):  # noqa: F811
    from dashboard_fixtures import copy_database

    path = copy_database(demo_db, tmp_path_factory.mktemp("embed") / "embed.db")
    done = fundwatch("user", "add", "yudu", "--role", "county_official", "--county", YUDU, "--db", str(path),
                     password="embed-test-password-1")
    assert done.returncode == 0, done.stderr
    return path


def _panel_exports(path: Path):
    engine = db.get_engine(str(path))
    try:
        frame = audit_frame(engine, Scope.all(), action="export", limit=None)
    finally:
        engine.dispose()
    return frame.loc[frame["target"].str.startswith("export:panel-")].iloc[::-1].reset_index(drop=True)


def test_export_panel_writes_a_self_contained_file_and_its_audit_row(writable, tmp_path):
    out = tmp_path / "于都县-得分卡.html"
    done = fundwatch("export-panel", "scorecard", "--county", YUDU, "--year", "2020", "--out", str(out),
                     "--db", str(writable))
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    page = _unescaped(out.read_text(encoding="utf-8"))
    assert LINK.search(page) is None and "于都县 · 2020年评分表" in page
    rows = _panel_exports(writable)
    last = rows.iloc[-1]
    assert (last["target"], last["county_code"], last["result"]) == ("export:panel-scorecard", YUDU, "ok")
    assert "format=html" in last["detail"] and "surface=cli" in last["detail"] and "rows=21" in last["detail"]


def test_export_panel_as_a_county_official_stays_in_their_county(writable, tmp_path):
    before = len(_panel_exports(writable))
    refused = fundwatch("export-panel", "kpis", "--county", XINGGUO, "--year", "2020", "--user", "yudu",
                        "--out", str(tmp_path / "x.html"), "--db", str(writable))
    assert "360732" in one_line_error(refused) and not (tmp_path / "x.html").exists()
    own = fundwatch("export-panel", "kpis", "--year", "2020", "--user", "yudu", "--out", str(tmp_path / "y.html"),
                    "--db", str(writable))
    assert own.returncode == 0, own.stderr
    page = _unescaped((tmp_path / "y.html").read_text(encoding="utf-8"))
    assert "于都县" in page and "兴国县" not in page
    rows = _panel_exports(writable).iloc[before:]
    assert list(zip(rows["actor"], rows["result"], rows["county_code"], strict=True)) == [
        ("yudu", "refused", XINGGUO), ("yudu", "ok", YUDU)]


@pytest.mark.parametrize("args, message", [
    (("kpis", "--out", "a.pdf"), ".html"),
    (("kpis", "--county", "369999"), "369999"),
    (("pace", "--year", "1999"), "1999"),
    (("pace", "--year", "2020", "--as-of", "2021-01-01"), "2021-01-01"),
    (("map", "--height", "0"), "--height"),
    (("kpis", "--metric", "rate"), "--metric"),
])
def test_export_panel_refuses_bad_arguments_in_one_line(writable, tmp_path, args, message):
    done = fundwatch("export-panel", *args, "--db", str(writable), env={"HOME": str(tmp_path)})
    assert message in one_line_error(done)
    assert list(tmp_path.glob("*.html")) == []


# -- over HTTP -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def host_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def embed_server(demo_db, host_port):  # noqa: F811
    """``fundwatch serve`` that lets the intranet page on ``host_port`` embed its panels."""
    served = Server(demo_db, "--origin", f"127.0.0.1:{host_port}").wait(path="/embed/kpis")
    yield served
    served.stop()


def _get(url: str, origin: str | None = None, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers={"Origin": origin} if origin else {})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _autoload(server: Server, path: str, **arguments) -> str:
    query = {"bokeh-autoload-element": "x", "bokeh-app-path": path, "bokeh-absolute-url": server.url + path,
             **arguments}
    return f"{server.url}{path}/autoload.js?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_autoload_answers_the_allowed_site_only(embed_server, host_port):
    url = _autoload(embed_server, "/embed/kpis", county=YUDU, year=2020)
    allowed = f"http://127.0.0.1:{host_port}"
    status, headers, body = _get(url, origin=allowed)
    assert status == 200 and b"Bokeh" in body
    assert headers.get("Access-Control-Allow-Origin") == allowed
    assert headers.get("Access-Control-Allow-Credentials") == "true" and "Origin" in headers.get("Vary", "")
    for other in ("http://evil.example", f"http://127.0.0.1:{host_port + 1}", "null"):
        status, headers, body = _get(url, origin=other)
        assert status == 403 and "Access-Control-Allow-Origin" not in headers and b"Bokeh" not in body, other
    status, headers, _ = _get(url)  # a plain script tag sends no Origin
    assert status == 200 and "Access-Control-Allow-Origin" not in headers
    status, headers, _ = _get(url, origin=allowed, method="OPTIONS")
    assert status == 200 and headers.get("Access-Control-Allow-Origin") == allowed
    assert _get(url, origin="http://evil.example", method="OPTIONS")[0] == 403


def test_a_page_never_serves_its_autoload(embed_server, host_port):
    for path in ("/overview", "/county", "/scoring"):
        status, headers, body = _get(_autoload(embed_server, path), origin=f"http://127.0.0.1:{host_port}")
        assert status == 404 and b"Bokeh" not in body, path


def test_an_iframe_panel_is_a_page_of_its_own(embed_server):
    status, _, body = _get(f"{embed_server.url}/embed/warnings?county={YUDU}&year=2020&height=440")
    page = body.decode("utf-8")
    assert status == 200 and "<title>预警 · " in page
    assert "bk-root" in page or "Bokeh" in page


# -- in the browser ------------------------------------------------------------------------------

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no request log on the test's stderr
        pass


@pytest.fixture(scope="module")
def intranet(tmp_path_factory, embed_server, host_port):
    """The example intranet page, pointed at the test's server, on a web server of its own."""
    folder = tmp_path_factory.mktemp("intranet")
    page = EXAMPLE.read_text(encoding="utf-8")
    assert page.count(EXAMPLE_SERVER) == 3  # the comment, FUNDWATCH and the iframe
    (folder / "index.html").write_text(page.replace(EXAMPLE_SERVER, embed_server.url), encoding="utf-8")
    handler = functools.partial(_Quiet, directory=str(folder))
    web = http.server.ThreadingHTTPServer(("127.0.0.1", host_port), handler)
    thread = threading.Thread(target=web.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{host_port}"
    web.shutdown()
    web.server_close()


def _texts(locator) -> str:
    """The text drawn in ``locator``, its elements' shadow roots included."""
    return " ".join(locator.locator(".fw-crumbs, .fw-card-title, .fw-kpi, .tabulator-cell").all_inner_texts())


@pytest.mark.ui
@pytest.mark.slow
def test_the_example_intranet_page_shows_three_panels_of_yudu(watched, intranet):
    page = watched.page
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.goto(f"{intranet}/index.html?county={XINGGUO}&year=2016", timeout=READY)  # the host's URL: ignored
    kpis = page.locator("#fw-kpis .fw-kpi").first
    kpis.wait_for(timeout=READY)
    page.locator("#fw-pace canvas").first.wait_for(timeout=READY)
    frame = page.frame_locator("#fw-warnings iframe")
    frame.locator(".tabulator-row").first.wait_for(timeout=READY)
    page.locator("#fw-pace", has_text="2020年资金拨付进度").wait_for(timeout=READY)
    headline = _texts(page.locator("#fw-kpis"))  # the panels draw in shadow roots: read through them
    assert "于都县 · 2020年" in headline and "2020年资金下达" in headline and "兴国县" not in headline
    pace = _texts(page.locator("#fw-pace"))
    assert "于都县 · 2020年" in pace and "2020年资金拨付进度" in pace
    warnings = _texts(frame.locator("body"))
    assert "于都县" in warnings and "L1" in warnings and "兴国县" not in warnings
    assert page.url.endswith(f"?county={XINGGUO}&year=2016")  # the panels left the host's address alone
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "embed-example.png", full_page=True)
    watched.check()  # no console error, no request off the machine


@pytest.mark.ui
@pytest.mark.slow
def test_an_exported_panel_opens_with_the_network_blocked(browser, writable, tmp_path):
    out = tmp_path / "pace.html"
    done = fundwatch("export-panel", "pace", "--county", YUDU, "--year", "2020", "--out", str(out), "--db",
                     str(writable))
    assert done.returncode == 0, done.stderr
    context = browser.new_context(viewport={"width": 1100, "height": 700}, locale="zh-CN")
    requests: list[str] = []
    errors: list[str] = []
    context.route("**/*", lambda r: (requests.append(r.request.url), r.abort())
                  if not r.request.url.startswith(("file:", "data:", "blob:")) else r.continue_())
    try:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(out.as_uri(), timeout=READY)
        page.locator("canvas").first.wait_for(timeout=READY)
        text = _texts(page.locator("body")) + " ".join(page.locator(".fw-note").all_inner_texts())
        assert "于都县 · 2020年" in text and "2020年资金拨付进度" in text and "静态导出" in text
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "export-panel-pace.png", full_page=True)
        assert requests == [] and errors == []
    finally:
        context.close()
