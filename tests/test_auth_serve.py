"""Signing in to ``fundwatch serve``: a server with a cookie secret, users made with ``fundwatch
user add``, fetched over HTTP and the websocket as a browser (or an attacker) would.

Without a live session no page, ``autoload.js``, metadata or websocket gives a byte of data; five
wrong passwords lock an account; a logout (or a disabled user) refuses a replayed cookie; a county
official's documents carry their county only.  Demo mode (no secret) serves loopback only and
says so on every page.
"""

from __future__ import annotations

import http.client
import json
import re
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit

import panel.models.tabulator  # noqa: F401 - the client must know Panel's models to read a document
import pytest
from bokeh.client import pull_session
from cli_run import fundwatch
from dashboard_fixtures import Server, _fresh_caches, demo_db, own_demo_database, server  # noqa: F401

from fundwatch.dashboards import app, auth
from fundwatch.data import db
from fundwatch.data.access import Account
from fundwatch.data.reads import regions_frame
from fundwatch.data.scope import Scope

pytestmark = pytest.mark.slow
SECRET = "test-secret-" + "s" * 40
PASSWORD = "Ganzhou-Test-Pass-2024!"
PAGES = ("/", "/overview", "/county", "/transition", "/scoring", "/upload")
YUDU, XINGGUO = "于都县", "兴国县"




@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    """A login-mode server on a demo database of its own, with four users."""
    path = own_demo_database(tmp_path_factory, "auth", password=PASSWORD, users=(
        ("yudu", "county_official", "360731"), ("leader", "city_leader", None), ("analyst", "analyst", None),
        ("victim", "analyst", None)))
    served = Server(path, env={auth.ENV_SECRET: SECRET}).wait()  # "/" answers 200 after the redirect to /login
    served.db = path
    try:
        yield served
    finally:
        out = served.stop()
        assert "Traceback" not in out, out


class Browser:
    """Plain HTTP with a cookie jar and no redirects followed."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        payload = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value in ('""', "") or "Max-Age=0" in header or "expires=Thu, 01 Jan 1970" in header.lower().title():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        conn.close()
        return response.status, response.headers, payload

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def login(self, username: str, password: str = PASSWORD, next_page: str = "/overview"):
        status, _, page = self.get("/login?" + urlencode({"next": next_page}))
        assert status == 200
        xsrf = re.search(rb'name="_xsrf" value="([^"]+)"', page).group(1).decode()
        return self.request("POST", "/login?" + urlencode({"next": next_page}),
                            body={"_xsrf": xsrf, "username": username, "password": password})


def websocket_handshake(base: str, path: str, cookie: str | None = None, origin: str | None = None,
                        protocol: str = "bokeh, x") -> tuple[int, bytes]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": protocol}
    if cookie:
        headers["Cookie"] = cookie
    if origin:
        headers["Origin"] = origin
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    status = response.status
    body = response.read() if status != 101 else b""
    conn.close()
    return status, body


@contextmanager
def cookie_header(value: str):
    """The Bokeh client's websocket sends ``Cookie: value`` (as a browser would)."""
    import bokeh.client.connection as connection
    from tornado.httpclient import HTTPRequest

    original = connection.HTTPRequest
    connection.HTTPRequest = lambda url, **kw: HTTPRequest(url, headers={"Cookie": value}, **kw)
    try:
        yield
    finally:
        connection.HTTPRequest = original


def document_text(base: str, url: str, cookie: str | None = None) -> str:
    parts = urlsplit(url)
    with cookie_header(cookie or ""):
        with pull_session(url=base + parts.path, arguments=dict(parse_qsl(parts.query))) as session:
            return json.dumps(session.document.to_json(), ensure_ascii=False, default=str)


def session_cookie(browser: Browser) -> str:
    return f"{auth.COOKIE}={browser.cookies[auth.COOKIE]}"


# -- without a session: nothing ----------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES)
def test_without_a_session_every_route_of_a_page_gives_no_data(secured, path):
    browser = Browser(secured.url)
    status, headers, body = browser.get(path + "?year=2024")
    assert status == 302 and body == b""
    assert urlsplit(headers["Location"]).path.endswith("/login")
    assert dict(parse_qsl(urlsplit(headers["Location"]).query))["next"] == path + "?year=2024"
    prefix = "" if path == "/" else path
    absolute = f"{secured.url}{prefix}/"
    status, _, body = browser.get(f"{prefix}/autoload.js?" + urlencode({"bokeh-autoload-element": "x",
                                                                       "bokeh-absolute-url": absolute}))
    assert status == 403 and b"bokeh" not in body.lower() and b"token" not in body.lower()
    status, _, body = browser.get(f"{prefix}/metadata")
    assert status in (302, 403) and body == b""
    status, body = websocket_handshake(secured.url, f"{prefix}/ws")
    assert status == 403 and body == b""


def test_a_forged_or_unsigned_cookie_is_no_session(secured):
    browser = Browser(secured.url)
    browser.cookies[auth.COOKIE] = "not-a-signed-value"
    assert browser.get("/overview")[0] == 302
    status, _ = websocket_handshake(secured.url, "/overview/ws", cookie=session_cookie(browser))
    assert status == 403


def test_a_websocket_without_a_session_creates_no_document(secured):
    with pytest.raises(OSError):
        document_text(secured.url, "/overview")


# -- the login page ----------------------------------------------------------------------------

def test_the_login_page_is_chinese_local_and_xsrf_protected(secured):
    browser = Browser(secured.url)
    status, headers, page = browser.get("/login")
    text = page.decode()
    assert status == 200 and '<html lang="zh-CN">' in text and "用户名" in text and "密码" in text
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', text) and "@import" not in text and "<script" not in text
    assert "no-store" in headers["Cache-Control"] and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "Sign in" in browser.get("/login?lang=en")[2].decode()
    # a form without the token is refused before the password is looked at
    status, _, _ = Browser(secured.url).request("POST", "/login", body={"username": "yudu", "password": PASSWORD})
    assert status == 403


def test_next_goes_to_local_pages_only():
    assert auth.local_path("/county?county=360731") == "/county?county=360731"
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "",
                   None, "/login", "/logout?x=1", "/a\nb"):
        assert auth.local_path(target) == "/"


# -- signing in and out ------------------------------------------------------------------------

def test_a_good_login_opens_every_page_with_an_httponly_cookie(secured):
    browser = Browser(secured.url)
    status, headers, _ = browser.login("yudu", next_page="/county?year=2024")
    assert status == 302 and headers["Location"] == "/county?year=2024"
    set_cookie = next(h for h in headers.get_all("Set-Cookie") if h.startswith(auth.COOKIE + "="))
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie and "Path=/" in set_cookie
    token = browser.cookies[auth.COOKIE]
    for path in PAGES:
        status, _, page = browser.get(path)
        assert status == 200, path
        assert token.encode() not in page  # the session cookie never lands in the page's script
    # a full page is never embeddable: its autoload.js does not exist, signed in or not
    status, _, js = browser.get("/overview/autoload.js?" + urlencode({
        "bokeh-autoload-element": "x", "bokeh-absolute-url": secured.url + "/overview/"}))
    assert status == 404 and b"Bokeh" not in js


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1.evil.example", "null",
                                    "http://127.0.0.1:1"])
def test_a_signed_in_websocket_from_another_origin_is_refused(secured, origin):
    """The websocket origin allow-list is exact: the server's own host:port (and --origin) only."""
    browser = Browser(secured.url)
    assert browser.login("leader")[0] == 302
    status, body = websocket_handshake(secured.url, "/overview/ws", cookie=session_cookie(browser), origin=origin)
    assert status == 403 and b"bokeh" not in body.lower()
    # the same handshake, with the page's session token, from the server's own origin is accepted
    status, _, page = browser.get("/overview")
    token = re.search(rb'"token":\s*"([^"]+)"', page).group(1).decode()
    accepted = websocket_handshake(secured.url, "/overview/ws", cookie=session_cookie(browser), origin=secured.url,
                                   protocol=f"bokeh, {token}")
    assert accepted[0] == 101


def test_a_wrong_password_is_refused_and_sets_no_cookie(secured):
    browser = Browser(secured.url)
    status, _, page = browser.login("leader", "Wrong-Password-123")
    assert status == 401 and "用户名或密码错误" in page.decode() and auth.COOKIE not in browser.cookies
    assert browser.login("nobody-here", "Wrong-Password-123")[0] == 401


def test_logout_ends_the_session_and_a_replayed_cookie_is_refused(secured):
    browser = Browser(secured.url)
    assert browser.login("leader")[0] == 302
    replay = browser.cookies[auth.COOKIE]
    assert browser.get("/overview")[0] == 200
    status, headers, _ = browser.get("/logout")
    assert status == 302 and urlsplit(headers["Location"]).path.endswith("/login")
    assert auth.COOKIE not in browser.cookies
    attacker = Browser(secured.url)
    attacker.cookies[auth.COOKIE] = replay
    assert attacker.get("/overview")[0] == 302
    assert attacker.get("/overview/autoload.js?bokeh-autoload-element=x")[0] == 403
    assert websocket_handshake(secured.url, "/overview/ws", cookie=f"{auth.COOKIE}={replay}")[0] == 403
    audit = json.loads(fundwatch("audit", "--action", "logout", "--format", "json", "--db", str(secured.db)).stdout)
    assert any(row["actor"] == "leader" for row in audit)


def test_a_disabled_user_is_signed_out_at_once(secured):
    browser = Browser(secured.url)
    assert browser.login("analyst")[0] == 302 and browser.get("/overview")[0] == 200
    assert fundwatch("user", "disable", "analyst", "--db", str(secured.db)).returncode == 0
    try:
        assert browser.get("/overview")[0] == 302
        assert browser.login("analyst")[0] == 401
    finally:
        assert fundwatch("user", "enable", "analyst", "--db", str(secured.db)).returncode == 0


def test_five_failures_lock_the_account_and_the_audit_shows_it(secured):
    browser = Browser(secured.url)
    for _ in range(5):
        assert browser.login("victim", "Wrong-Password-123")[0] == 401
    status, _, page = browser.login("victim")  # the right password, too late
    assert status == 429 and "锁定" in page.decode() and auth.COOKIE not in browser.cookies
    audit = json.loads(fundwatch("audit", "--actor", "victim", "--format", "json", "--db", str(secured.db)).stdout)
    actions = [row["action"] for row in audit]
    assert actions.count("login_failed") == 5 and "login_locked" in actions and "login" not in actions
    assert "127.0.0.1" in json.dumps(audit)  # the client's address is recorded


# -- what a signed-in user sees ----------------------------------------------------------------

def test_a_county_official_sees_their_county_only(secured):
    official, leader = Browser(secured.url), Browser(secured.url)
    assert official.login("yudu")[0] == 302 and leader.login("leader")[0] == 302
    engine = db.get_engine(str(secured.db))
    townships = {code: set(regions_frame(engine, Scope.county(code), level="township")["name"])
                 for code in ("360731", "360732")}
    engine.dispose()
    only_xingguo = townships["360732"] - townships["360731"]
    assert only_xingguo
    # the URL asks for Xingguo: the scope comes from the login, never from the URL
    url = "/county?county=360732&year=2024"
    text = document_text(secured.url, url, cookie=session_cookie(official))
    assert any(name in text for name in townships["360731"])
    assert not [name for name in only_xingguo if name in text]
    assert "测试 yudu" in text and "县级工作人员" in text and "退出登录" in text and "演示模式" not in text
    seen_by_leader = document_text(secured.url, url, cookie=session_cookie(leader))
    assert [name for name in only_xingguo if name in seen_by_leader]
    # the assessment ranking lists the official's county alone (the map draws every county's outline)
    ranking = document_text(secured.url, "/scoring?rubric=chaoyang-2020-sector&year=2020",
                            cookie=session_cookie(official))
    assert YUDU in ranking and XINGGUO not in ranking
    everyone = document_text(secured.url, "/scoring?rubric=chaoyang-2020-sector&year=2020",
                             cookie=session_cookie(leader))
    assert YUDU in everyone and XINGGUO in everyone and "市级领导" in everyone


def test_the_upload_page_refuses_a_read_only_role(secured):
    analyst, official = Browser(secured.url), Browser(secured.url)
    assert analyst.login("analyst")[0] == 302 and official.login("yudu")[0] == 302
    refused = document_text(secured.url, "/upload", cookie=session_cookie(analyst))
    assert "您的角色无权访问此页面" in refused and "数据导入" not in refused
    allowed = document_text(secured.url, "/upload", cookie=session_cookie(official))
    assert "数据导入" in allowed and "您的角色无权访问此页面" not in allowed


# -- starting the server -----------------------------------------------------------------------

def test_a_short_secret_refuses_to_start(demo_db):
    done = fundwatch("serve", "--db", str(demo_db), "--no-show", "--port", "0", env={auth.ENV_SECRET: "x" * 31})
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1 and "at least 32 bytes" in lines[0]


@pytest.mark.parametrize("address", ["0.0.0.0", "192.168.1.10", "::"])
def test_demo_mode_refuses_a_public_address(demo_db, address):
    done = fundwatch("serve", "--db", str(demo_db), "--no-show", "--port", "0", "--address", address,
                     env={auth.ENV_SECRET: ""})
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1 and "demo mode" in lines[0] and auth.ENV_SECRET in lines[0]


def test_demo_mode_pages_carry_the_badge_and_need_no_login(server):
    for path in ("/", "/overview", "/upload"):
        text = document_text(server.url, path)
        assert "演示模式" in text and "退出登录" not in text
    assert "Demo mode" in document_text(server.url, "/overview?lang=en")
    # a full page is not embeddable in demo mode either
    assert Browser(server.url).get("/overview/autoload.js?bokeh-autoload-element=x")[0] == 404


# -- in process --------------------------------------------------------------------------------

def test_the_scope_and_user_come_from_the_signed_in_account(monkeypatch):
    monkeypatch.setenv(auth.ENV_SECRET, SECRET)
    official = Account(id=1, username="yudu", display_name=None, role="county_official", county_code="360731",
                       county_name=YUDU, active=True)
    lost = Account(id=2, username="lost", display_name=None, role="county_official", county_code="999999",
                   county_name=None, active=True)
    for account, scope, user in ((official, Scope.county("360731"), "yudu"), (lost, Scope.nothing(), "lost"),
                                 (None, Scope.nothing(), None)):
        monkeypatch.setattr(auth, "session_account", lambda account=account: account)
        assert app.current_scope() == scope and app.current_user() == user
    assert app.refusal("/overview") == "auth.refused"  # nobody signed in
    monkeypatch.delenv(auth.ENV_SECRET)
    assert app.current_scope() == Scope.all() and app.current_user() == "demo" and app.refusal("/upload") is None


@pytest.mark.parametrize(("remote", "refused"), [("127.0.0.1", None), ("::1", None), ("10.1.2.3", "auth.demo_remote"),
                                                 ("192.168.1.10", "auth.demo_remote"), (None, "auth.demo_remote")])
def test_demo_mode_refuses_a_page_opened_from_another_machine(monkeypatch, remote, refused):
    """However the page is served (``panel serve --address 0.0.0.0`` too), demo mode shows it to
    this machine only."""
    monkeypatch.delenv(auth.ENV_SECRET, raising=False)

    class Request:
        remote_ip = remote

    monkeypatch.setattr(auth, "_session_request", lambda: Request())
    assert app.refusal("/overview") == refused
    monkeypatch.setattr(auth, "_session_request", lambda: None)  # a notebook: no request
    assert app.refusal("/overview") is None


def test_secrets_and_addresses():
    assert auth.check_secret(None) is None and auth.check_secret("") is None
    assert auth.check_secret("é" * 16) == "é" * 16  # 32 bytes
    with pytest.raises(auth.SecretError):
        auth.check_secret("x" * 31)
    assert all(auth.is_loopback(a) for a in ("127.0.0.1", "::1", "localhost", "127.0.0.2", "[::1]"))
    assert not any(auth.is_loopback(a) for a in ("0.0.0.0", "::", "192.168.1.10", "example.org", ""))

