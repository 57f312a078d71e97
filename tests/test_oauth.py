"""OAuth instead of the built-in login: ``fundwatch serve --auth oauth`` against an OpenID-style
identity provider on loopback (a small stand-in written here: authorize, token, userinfo).

The provider signs the user in; the fundwatch account of that name gives the role and county; a
user the provider knows but fundwatch does not gets no data; without a session nothing is served;
a settings mistake stops ``serve`` with one line.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from cli_run import fundwatch, one_line_error
from dashboard_fixtures import Server, _fresh_caches, free_port, own_demo_database  # noqa: F401
from test_auth_serve import Browser, document_text, websocket_handshake

from fundwatch.dashboards import auth

pytestmark = pytest.mark.slow
SECRET = "oauth-secret-" + "o" * 40
CLIENT_ID, CLIENT_SECRET = "fundwatch-test", "client-secret-for-tests"


class Provider(ThreadingHTTPServer):
    """The identity provider: ``/authorize`` signs in :attr:`user` at once and returns a code,
    ``/token`` swaps the code for an access token, ``/userinfo`` names the user of a token."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ProviderHandler)
        self.user = "yudu"
        self.codes: dict[str, str] = {}
        self.tokens: dict[str, str] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class ProviderHandler(BaseHTTPRequestHandler):
    server: Provider

    def log_message(self, *args) -> None:  # quiet
        pass

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/authorize":
            assert query["client_id"] == CLIENT_ID
            code = f"code-{len(self.server.codes)}"
            self.server.codes[code] = self.server.user
            self.send_response(302)
            self.send_header("Location", query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]}))
            self.end_headers()
        elif parts.path == "/userinfo":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in self.server.tokens:
                return self._json(401, {"error": "invalid_token"})
            self._json(200, {"preferred_username": self.server.tokens[token], "sub": self.server.tokens[token]})
        else:
            self._json(404, {})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if self.path != "/token" or form.get("client_secret") != CLIENT_SECRET or form.get("code") not in self.server.codes:
            return self._json(400, {"error": "invalid_grant"})
        user = self.server.codes.pop(form["code"])
        token = f"token-{user}-{len(self.server.tokens)}"
        self.server.tokens[token] = user
        self._json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})


@pytest.fixture(scope="module")
def provider():
    served = Provider()
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield served
    served.shutdown()
    served.server_close()


def oauth_env(provider: Provider, port: int) -> dict:
    return {auth.ENV_SECRET: SECRET, auth.ENV_OAUTH_PROVIDER: "generic", auth.ENV_OAUTH_KEY: CLIENT_ID,
            auth.ENV_OAUTH_SECRET: CLIENT_SECRET, auth.ENV_OAUTH_REDIRECT_URI: f"http://127.0.0.1:{port}/login",
            auth.ENV_OAUTH_EXTRA_PARAMS: json.dumps({
                "AUTHORIZE_URL": provider.url + "/authorize", "TOKEN_URL": provider.url + "/token",
                "USER_URL": provider.url + "/userinfo", "USER_KEY": "preferred_username", "scope": ["openid"]})}


@pytest.fixture(scope="module")
def oauth_server(provider, tmp_path_factory):
    path = own_demo_database(tmp_path_factory, "oauth", [("yudu", "county_official", "360731")],
                             "Unused-Under-OAuth-2024!")
    port = free_port()
    served = Server(path, "--auth", "oauth", env=oauth_env(provider, port), port=port)
    served.wait(path="/favicon.ico")  # every page leads to the provider
    served.db = path
    try:
        yield served
    finally:
        out = served.stop()
        assert "Traceback" not in out, out


def sign_in(server: Server, provider: Provider, user: str, page: str = "/county?county=360732") -> Browser:
    """The browser's round trip: page -> /login -> provider -> /login?code -> page."""
    provider.user = user
    browser = Browser(server.url)
    status, headers, _ = browser.get(page)
    assert status == 302 and headers["Location"].lstrip(".").startswith("/login")
    status, headers, _ = browser.get(headers["Location"].lstrip("."))
    assert status == 302 and headers["Location"].startswith(provider.url + "/authorize")
    back = Browser(provider.url)
    status, headers, _ = back.get(headers["Location"].removeprefix(provider.url))
    assert status == 302
    status, headers, _ = browser.get(headers["Location"].removeprefix(server.url))
    assert status == 302, "the code was not accepted"
    return browser


def cookies(browser: Browser) -> str:
    return "; ".join(f"{k}={v}" for k, v in browser.cookies.items())


def test_an_oauth_user_gets_their_accounts_county_only(oauth_server, provider):
    browser = sign_in(oauth_server, provider, "yudu")
    assert "user" in browser.cookies
    status, _, page = browser.get("/county?county=360732")
    assert status == 200
    text = document_text(oauth_server.url, "/county?county=360732&year=2024", cookie=cookies(browser))
    assert "于都县" in text and "兴国县" not in text and "县级工作人员" in text
    status, _, _ = browser.get("/upload")
    assert status == 200


def test_a_provider_user_unknown_to_fundwatch_gets_no_data(oauth_server, provider):
    browser = sign_in(oauth_server, provider, "stranger")
    text = document_text(oauth_server.url, "/overview?year=2024", cookie=cookies(browser))
    assert "请先登录后再查看此页面" in text
    assert not [name for name in ("于都县", "兴国县", "瑞金市") if name in text]


def test_without_a_provider_session_nothing_is_served(oauth_server):
    anonymous = Browser(oauth_server.url)
    status, headers, body = anonymous.get("/overview")
    assert status == 302 and headers["Location"].lstrip(".").startswith("/login") and b"fw-kpi" not in body
    status, _, body = anonymous.get("/overview/autoload.js?bokeh-autoload-element=x&bokeh-absolute-url=http://e")
    assert status == 403 and b"Bokeh" not in body
    status, _ = websocket_handshake(oauth_server.url, "/overview/ws")
    assert status != 101


@pytest.mark.parametrize(("change", "message"), [
    ({auth.ENV_OAUTH_PROVIDER: "nonsense"}, auth.ENV_OAUTH_PROVIDER),
    ({auth.ENV_OAUTH_SECRET: ""}, auth.ENV_OAUTH_SECRET),
    ({auth.ENV_OAUTH_EXTRA_PARAMS: "{not json"}, "not JSON"),
    ({auth.ENV_SECRET: ""}, auth.ENV_SECRET),
])
def test_oauth_settings_mistakes_stop_serve_with_one_line(provider, tmp_path, change, message):
    env = {**oauth_env(provider, 5999), **change}
    done = fundwatch("serve", "--auth", "oauth", "--db", str(tmp_path / "none.db"), "--no-show", env=env)
    assert message in one_line_error(done)
