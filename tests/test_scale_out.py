"""Running for a whole province (README): the repository's ``deploy/nginx/fundwatch.conf`` as it
is, served by Debian's nginx on loopback (an ordinary foreground process with its files in a
temporary folder, TLS with a throw-away certificate) in front of two ``fundwatch serve`` processes
on one PostgreSQL database.  Many Chromium browsers open their pages at the same moment through
the proxy: every page shows its data without a console error, the browsers spread over both
processes, and every request of a browser, its websocket included, reaches the process that built
its page (the sticky cookie).  And ``fundwatch serve --num-procs 2`` on the same database.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import time
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from benchmarks import load
from dashboard_fixtures import ROOT, Server, _fresh_caches, free_port  # noqa: F401
from test_ui import READY, browser  # noqa: F401

pytestmark = [pytest.mark.ui, pytest.mark.slow, pytest.mark.pg]

CONFIG = ROOT / "deploy" / "nginx" / "fundwatch.conf"
SCHEMA = "scaleout"
CLIENTS = 12
STATE = "year=2024&as_of=2024-06-30"
LOADED = 420  # s: every browser has its page by then, even on a busy 2-core CI machine (nothing is timed)
PAGES = [f"/overview?{STATE}"] + [f"/county?{STATE}&county={code}" for code in
                                   ("360731", "360732", "360730", "360781", "360703", "360733", "360734")]
LINE = re.compile(r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) \d+ upstream=(?P<upstream>\S+) '
                  r'route=(?P<route>\S+) ')


def _tool(name: str, package: str) -> str:
    """The path of a Debian tool: a skip on a laptop without it, a failure in CI (``.ci/run`` installs it)."""
    found = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.access(p, os.X_OK)),
                                       None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing in CI: .ci/run installs Debian's {package}")
        pytest.skip(f"{name} is not installed (apt-get install {package})")
    return found


def render(template: str, values: dict[str, str]) -> str:
    """The site file with its ``@NAME@`` placeholders filled in; none may be left over."""
    for name, value in values.items():
        template = template.replace(f"@{name}@", value)
    left = sorted(set(re.findall(r"@[A-Z_0-9]+@", _directives(template))))
    assert left == [], f"placeholders without a value: {left}"
    return template


def _directives(text: str) -> str:
    """``text`` without its comment lines."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def _socket(row: dict) -> bool:
    return row["path"].split("?")[0].endswith("/ws")


def main_config(folder: Path, site: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf provides around a site file, pointed at ``folder``."""
    user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""  # the workers give up root, as on a server
    temp = "".join(f"    {kind}_temp_path {folder / kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"{user}daemon off;\nmaster_process on;\nworker_processes 2;\npid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'} warn;\nevents {{ worker_connections 1024; }}\n"
            f"http {{\n{temp}    access_log off;\n    include {site};\n}}\n")


class Nginx:
    """nginx in the foreground (``daemon off``) with every file of its own in ``folder``."""

    def __init__(self, executable: str, folder: Path, config: Path, url: str):
        self.folder, self.url = folder, url
        self.process = subprocess.Popen([executable, "-p", str(folder), "-c", str(config), "-e",
                                         str(folder / "error.log")], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)

    def wait(self, timeout: float = 30) -> Nginx:
        context = ssl._create_unverified_context()  # the throw-away certificate of this test
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.process.communicate()[0]} {self.errors()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=30, context=context) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"nginx did not answer on {self.url}: {self.errors()}")

    def errors(self) -> str:
        path = self.folder / "error.log"
        return path.read_text() if path.exists() else ""

    def access(self) -> list[dict]:
        text = (self.folder / "logs" / "fundwatch.access.log").read_text()
        return [m.groupdict() for m in map(LINE.search, text.splitlines()) if m]

    def access_when(self, done, timeout: float = 30) -> list[dict]:
        """The access log once ``done(rows)`` holds (nginx logs a websocket when it closes)."""
        deadline = time.monotonic() + timeout
        while not done(rows := self.access()) and time.monotonic() < deadline:
            time.sleep(0.2)
        return rows

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # nginx's fast shutdown; the master stops its workers
            try:
                self.process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.communicate()


@pytest.fixture(scope="module")
def province_db(tmp_path_factory) -> str:
    """A small demo database in a PostgreSQL schema of its own; the URL ``fundwatch serve`` takes."""
    from conftest import new_demo_database, pg_schema_url

    new_demo_database("pg", SCHEMA, tmp_path_factory).dispose()
    return pg_schema_url(SCHEMA)


@pytest.fixture(scope="module")
def province(province_db):
    """nginx with the repository's site file in front of two ``fundwatch serve`` processes."""
    nginx = _tool("nginx", "nginx")
    openssl = _tool("openssl", "openssl")
    folder = Path(tempfile.mkdtemp(prefix="fundwatch-nginx-"))
    folder.chmod(0o711)  # nginx's workers (nobody, when started as root) reach their temp folders
    (folder / "logs").mkdir()
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(certificate), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    port = free_port()
    public = f"127.0.0.1:{port}"
    backends = [Server(province_db, "--address", "127.0.0.1", "--behind-proxy", "--origin", public,
                       "--num-procs", "1") for _ in range(2)]
    proxy = None
    try:
        for backend in backends:
            backend.wait()
        site = folder / "fundwatch.conf"
        site.write_text(render(CONFIG.read_text(), {
            "LISTEN": public, "SERVER_NAME": "127.0.0.1", "TLS_CERTIFICATE": str(certificate), "TLS_KEY": str(key),
            "BACKEND_1": f"127.0.0.1:{backends[0].port}", "BACKEND_2": f"127.0.0.1:{backends[1].port}",
            "LOG_DIR": str(folder / "logs")}))
        config = folder / "nginx.conf"
        config.write_text(main_config(folder, site))
        checked = subprocess.run([nginx, "-t", "-p", str(folder), "-c", str(config), "-e", str(folder / "error.log")],
                                 capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        proxy = Nginx(nginx, folder, config, f"https://{public}").wait()
        yield proxy, backends
    finally:
        if proxy is not None:
            proxy.stop()
        outputs = [backend.stop() for backend in backends]
        shutil.rmtree(folder, ignore_errors=True)
    for out in outputs:
        assert "Traceback" not in out, out


def test_the_site_file_has_a_value_for_every_placeholder_and_nothing_else():
    text = CONFIG.read_text()
    assert set(re.findall(r"@[A-Z_0-9]+@", _directives(text))) == {
        "@LISTEN@", "@SERVER_NAME@", "@TLS_CERTIFICATE@", "@TLS_KEY@", "@BACKEND_1@", "@BACKEND_2@", "@LOG_DIR@"}
    with pytest.raises(AssertionError, match="@LOG_DIR@"):
        render(text, {"LISTEN": "443"})


def test_concurrent_browsers_load_through_nginx_spread_over_both_processes_and_stay_with_theirs(province, browser):
    proxy, backends = province
    contexts = [browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900},
                                    locale="zh-CN") for _ in range(CLIENTS)]
    errors: dict[int, list[str]] = defaultdict(list)
    try:
        pages = []
        for number, context in enumerate(contexts):
            page = context.new_page()
            page.on("console", lambda m, n=number: errors[n].append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e, n=number: errors[n].append(str(e)))
            pages.append(page)
        # Every browser starts its navigation before any is waited for: the loads run at once.
        for number, page in enumerate(pages):
            page.evaluate("url => { window.location.href = url; }", proxy.url + PAGES[number % len(PAGES)])
        started, ready = time.monotonic(), {}
        pending = set(range(CLIENTS))
        deadline = time.monotonic() + LOADED
        while pending and time.monotonic() < deadline:
            for number in sorted(pending):
                try:
                    if pages[number].locator(".fw-kpi").count() > 0:
                        pending.discard(number)
                        ready[number] = time.monotonic() - started
                except Exception:  # noqa: BLE001 - the page is still navigating: look again
                    continue
            time.sleep(0.25)
        print(f"{CLIENTS} browsers through nginx: pages ready after", sorted(round(t, 1) for t in ready.values()), "s")
        assert pending == set(), f"pages without their data after {LOADED:.0f} s: {sorted(pending)}"
        for number, page in enumerate(pages):
            page.wait_for_load_state("networkidle", timeout=READY)
            text = page.locator(".fw-kpis").first.inner_text()
            assert re.search(r"\d", text), f"page {number} shows no figures: {text!r}"
            if "county=" in PAGES[number % len(PAGES)]:
                assert page.locator(".fw-crumbs").first.inner_text().strip() != ""
        assert dict(errors) == {}, f"console errors: {dict(errors)}"
        routes = {c["value"] for context in contexts for c in context.cookies() if c["name"] == "fundwatch_route"}
    finally:
        for context in contexts:
            context.close()

    assert len(routes) == CLIENTS  # every browser got a cookie of its own
    requests = proxy.access_when(lambda rows: len([r for r in rows if r["route"] in routes and _socket(r)]) >= CLIENTS)
    requests = [r for r in requests if r["route"] in routes]
    upstreams = {f"127.0.0.1:{backend.port}" for backend in backends}
    by_route: dict[str, set[str]] = defaultdict(set)
    for r in requests:
        by_route[r["route"]].add(r["upstream"])
    assert set(by_route) == routes
    assert {route: ups for route, ups in by_route.items() if len(ups) != 1} == {}, "a browser switched process"
    pages_by_route = {r["route"]: r["upstream"] for r in requests if r["path"].startswith(("/overview", "/county"))
                      and not _socket(r)}
    sockets = {r["route"]: r["upstream"] for r in requests if _socket(r)}
    assert len(pages_by_route) == CLIENTS and set(sockets) == routes
    assert all(r["status"] == "101" for r in requests if _socket(r))
    assert sockets == pages_by_route  # each websocket reached the process that built its page
    # New browsers spread over both processes: 12 random routes all land on one with odds of
    # 1 in 2,048, so more first visits (no cookie yet) are made until both have been seen.
    assert set(pages_by_route.values()) | first_visits_until_both(proxy, upstreams) == upstreams
    assert not re.search(r"\[(error|crit|alert|emerg)\]", proxy.errors()), proxy.errors()


def first_visits_until_both(proxy, upstreams: set[str], limit: int = 64) -> set[str]:
    """The processes that up to ``limit`` first visits (no route cookie) reached, stopping once
    every one of ``upstreams`` has been."""
    context, seen = ssl._create_unverified_context(), set()
    for _ in range(limit):
        with urllib.request.urlopen(proxy.url + "/", timeout=60, context=context) as response:
            route = response.headers["Set-Cookie"].split(";")[0].split("=")[1]
        rows = proxy.access_when(lambda rows, r=route: any(row["route"] == r for row in rows))
        seen |= {row["upstream"] for row in rows if row["route"] == route}
        if seen >= upstreams:
            break
    return seen


def test_a_browser_keeps_its_process_and_the_proxy_passes_the_client_on(province):
    proxy, backends = province
    context = ssl._create_unverified_context()
    with urllib.request.urlopen(proxy.url + "/", timeout=60, context=context) as response:
        cookie = response.headers["Set-Cookie"]
    assert re.fullmatch(r"fundwatch_route=[0-9a-f]{32}; Path=/; HttpOnly; Secure; SameSite=Lax", cookie), cookie
    route = cookie.split(";")[0].split("=")[1]
    for _ in range(6):
        request = urllib.request.Request(proxy.url + "/", headers={"Cookie": f"fundwatch_route={route}"})
        with urllib.request.urlopen(request, timeout=60, context=context) as response:
            assert response.status == 200
    seen = {r["upstream"] for r in proxy.access() if r["route"] == route}
    assert len(seen) == 1 and seen <= {f"127.0.0.1:{backend.port}" for backend in backends}


def test_two_forked_workers_on_postgresql_deliver_concurrent_first_loads(province_db):
    """``--num-procs 2`` forks after the parent has closed its connections and before any thread or
    pool exists: both workers open their own, and concurrent first loads (HTML, then the document
    over the websocket, as :mod:`benchmarks.load` times them) all arrive with the page's data."""
    served = Server(province_db, "--num-procs", "2").wait()
    try:
        # in a thread of its own: Playwright's sync API may hold this thread's event loop
        with ThreadPoolExecutor(1) as pool:
            loads, failures = pool.submit(asyncio.run, load.burst(served.url, 6)).result()
    finally:
        out = served.stop()
    assert failures == [] and len(loads) == 6
    assert all(0 < html <= total for html, total in loads)
    assert out.count("fundwatch: serving") == 1 and "Traceback" not in out, out
