"""Signing in to ``fundwatch serve``: the login and logout pages and the server's auth provider.

With ``FUNDWATCH_COOKIE_SECRET`` set (at least :data:`MIN_SECRET_BYTES` bytes) the server runs in
*login mode*: every Bokeh handler that serves a page, its ``autoload.js``, its metadata or its
websocket asks :class:`SessionAuth` for the user first, and without a live session it answers with
a redirect to ``/login`` (or 403 for the websocket) and no page bytes.  The browser holds only a
signed cookie with a random session token; the token is resolved against the ``app_session``
table on every request (:func:`~fundwatch.data.access.resolve_session`), so a logout, a disabled
user or 30 idle minutes refuse a replayed cookie at once.

Without a secret the server runs in *demo mode*: loopback only, no login, a demo badge on every
page (``fundwatch serve`` refuses any other address).

The pages learn who is signed in from the request that created their session: the provider
leaves the resolved :class:`~fundwatch.data.access.Account` on it (:func:`session_account`).
The session cookie itself is kept out of the Bokeh session token (which is readable in the page).
"""

from __future__ import annotations

import html
import ipaddress
import json
import logging
import os
from urllib.parse import urlencode, urlparse, urlsplit

import panel as pn
from bokeh.server import urls as bokeh_urls
from bokeh.server.auth_provider import AuthProvider
from bokeh.server.util import check_allowlist
from panel.auth import OAuthProvider
from bokeh.protocol.exceptions import ProtocolError
from bokeh.util.token import get_session_id
from panel.io.server import AutoloadJsHandler
from panel.io.server import WSHandler as PanelWSHandler
from tornado.ioloop import IOLoop
from tornado.web import HTTPError, RequestHandler

from fundwatch.components import theme
from fundwatch.components.i18n import extend, t
from fundwatch.data import db
from fundwatch.data.access import (Account, authenticate, end_session, get_user, normalise_username, resolve_session,
                                   start_session)

log = logging.getLogger(__name__)

ENV_SECRET = "FUNDWATCH_COOKIE_SECRET"
MIN_SECRET_BYTES = 32
COOKIE = "fundwatch_session"
#: Days a signed cookie value stays valid at most; the server-side session ends much sooner.
COOKIE_MAX_AGE_DAYS = 1
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
#: Cookies and headers never copied into the Bokeh session token (it is readable in the page).
PRIVATE_COOKIES = [COOKIE, "_xsrf"]
PRIVATE_HEADERS = ["Cookie", "Authorization"]
LOOPBACK_NAMES = ("localhost",)
#: The attributes of a request on which :class:`SessionAuth` leaves the account it resolved and
#: the session token (kept on the server: the open page re-checks its session with it).
REQUEST_ACCOUNT = "fundwatch_account"
REQUEST_TOKEN = "fundwatch_token"
#: Seconds between the checks an open page makes that its login session is still live.
ENV_RECHECK = "FUNDWATCH_SESSION_RECHECK_SECONDS"
RECHECK_SECONDS = 30.0

extend({
    "zh": {
        "login.heading": "登录",
        "login.username": "用户名",
        "login.password": "密码",
        "login.submit": "登录",
        "login.switch": "English",
        "login.note": "会话闲置 30 分钟后自动退出。",
        "login.wrong": "用户名或密码错误",
        "login.disabled": "该账号已停用，请联系数据管理员",
        "login.locked": "登录失败次数过多，账号已暂时锁定，请 15 分钟后再试",
        "auth.logout": "退出登录",
        "auth.demo": "演示模式",
        "auth.demo_note": "演示模式：仅限本机访问，无需登录",
        "auth.refused": "请先登录后再查看此页面。",
        "auth.refused_role": "您的角色无权访问此页面。",
        "auth.to_login": "前往登录",
        "auth.demo_remote": "演示模式仅限本机访问。要从其他电脑访问，请设置 FUNDWATCH_COOKIE_SECRET 并创建用户。",
    },
    "en": {
        "login.heading": "Sign in",
        "login.username": "Username",
        "login.password": "Password",
        "login.submit": "Sign in",
        "login.switch": "中文",
        "login.note": "A session ends after 30 idle minutes.",
        "login.wrong": "Wrong username or password",
        "login.disabled": "This account is disabled; ask the data administrator",
        "login.locked": "Too many failed attempts: the account is locked for 15 minutes",
        "auth.logout": "Sign out",
        "auth.demo": "Demo mode",
        "auth.demo_note": "Demo mode: this machine only, no sign-in",
        "auth.refused": "Please sign in to see this page.",
        "auth.refused_role": "Your role may not open this page.",
        "auth.to_login": "Sign in",
        "auth.demo_remote": "Demo mode answers this machine only. To serve other computers, set "
                            "FUNDWATCH_COOKIE_SECRET and create users.",
    },
})
_REASON_KEYS = {"unknown": "login.wrong", "wrong_password": "login.wrong", "disabled": "login.disabled",
                "locked": "login.locked"}


#: How login mode signs users in: the built-in login page (``password``) or an OAuth / OpenID
#: Connect identity provider (``oauth``), chosen with ``fundwatch serve --auth`` or this variable.
ENV_AUTH = "FUNDWATCH_AUTH"
AUTH_MODES = ("password", "oauth")
#: The OAuth settings (``fundwatch serve --auth oauth``); see :func:`oauth_options`.
ENV_OAUTH_PROVIDER = "FUNDWATCH_OAUTH_PROVIDER"
ENV_OAUTH_KEY = "FUNDWATCH_OAUTH_KEY"
ENV_OAUTH_SECRET = "FUNDWATCH_OAUTH_SECRET"
ENV_OAUTH_REDIRECT_URI = "FUNDWATCH_OAUTH_REDIRECT_URI"
ENV_OAUTH_EXTRA_PARAMS = "FUNDWATCH_OAUTH_EXTRA_PARAMS"
#: Cookies Panel's OAuth login sets; like ours they never go into the Bokeh session token.
OAUTH_COOKIES = ["user", "id_token", "access_token", "refresh_token", "oauth_expiry", "is_guest"]


class SecretError(ValueError):
    """A cookie secret too short to sign sessions with, or login settings that cannot work."""


def check_secret(value: str | None) -> str | None:
    """The cookie secret from ``value`` (the environment's), None for demo mode; one shorter than
    :data:`MIN_SECRET_BYTES` bytes is refused."""
    if value is None or value == "":
        return None
    if len(value.encode("utf-8")) < MIN_SECRET_BYTES:
        raise SecretError(f"{ENV_SECRET} must be at least {MIN_SECRET_BYTES} bytes long "
                          f"(it has {len(value.encode('utf-8'))}); generate one with "
                          "`python -c \"import secrets; print(secrets.token_urlsafe(48))\"`")
    return value


def login_required() -> bool:
    """Login mode: a cookie secret is set for this process (``fundwatch serve`` sets and checks it;
    its forked workers inherit it).  Pages created without one run in demo mode."""
    return bool(os.environ.get(ENV_SECRET))


def auth_mode() -> str:
    """``password`` (the built-in login page, the default) or ``oauth`` (:data:`ENV_AUTH`)."""
    mode = (os.environ.get(ENV_AUTH) or "password").strip().lower()
    if mode not in AUTH_MODES:
        raise SecretError(f"{ENV_AUTH} must be one of {', '.join(AUTH_MODES)}, not {mode!r}")
    return mode


def oauth_options() -> dict:
    """The ``pn.serve`` settings of OAuth login, from the environment.

    - ``FUNDWATCH_OAUTH_PROVIDER``: one of Panel's providers (``generic`` for any OpenID Connect
      server, ``azure``, ``github``, ``gitlab``, ``google``, ``okta``, ...);
    - ``FUNDWATCH_OAUTH_KEY`` / ``FUNDWATCH_OAUTH_SECRET``: the client id and secret registered there;
    - ``FUNDWATCH_OAUTH_REDIRECT_URI``: this server's public address (optional behind no proxy);
    - ``FUNDWATCH_OAUTH_EXTRA_PARAMS``: a JSON object of provider settings, e.g. for ``generic``
      ``{"AUTHORIZE_URL": ..., "TOKEN_URL": ..., "USER_URL": ..., "USER_KEY": "preferred_username"}``.

    The provider's user name (the ``USER_KEY`` claim) must be the name of an active fundwatch user
    (``fundwatch user add``): that account gives the role and county.
    """
    from panel.auth import AUTH_PROVIDERS

    provider = (os.environ.get(ENV_OAUTH_PROVIDER) or "").strip().lower()
    if provider not in AUTH_PROVIDERS or provider in ("password", "pam"):
        choices = ", ".join(sorted(p for p in AUTH_PROVIDERS if p not in ("password", "pam")))
        raise SecretError(f"OAuth login needs {ENV_OAUTH_PROVIDER}, one of: {choices}")
    key, secret = os.environ.get(ENV_OAUTH_KEY), os.environ.get(ENV_OAUTH_SECRET)
    if not key or not secret:
        raise SecretError(f"OAuth login needs {ENV_OAUTH_KEY} and {ENV_OAUTH_SECRET} (the client id and secret)")
    try:
        extra = json.loads(os.environ.get(ENV_OAUTH_EXTRA_PARAMS) or "{}")
    except ValueError as exc:
        raise SecretError(f"{ENV_OAUTH_EXTRA_PARAMS} is not JSON: {exc}") from None
    if not isinstance(extra, dict):
        raise SecretError(f"{ENV_OAUTH_EXTRA_PARAMS} must be a JSON object")
    options = {"oauth_key": key, "oauth_secret": secret, "oauth_extra_params": extra, "oauth_provider": provider}
    if os.environ.get(ENV_OAUTH_REDIRECT_URI):
        options["oauth_redirect_uri"] = os.environ[ENV_OAUTH_REDIRECT_URI]
    return options


def is_loopback(address: str) -> bool:
    """Whether ``address`` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    if address.strip().lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def local_path(target: str | None) -> str:
    """``target`` if it is a path on this server (``/overview?year=2024``), else ``/``: the login
    page never redirects to another site."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 32 or c == "\\" for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path in (LOGIN_PATH, LOGOUT_PATH):
        return "/"
    return target


def _engine():
    return db.get_engine(os.environ.get(db.ENV_URL) or None)


def _token(handler: RequestHandler) -> str | None:
    value = handler.get_secure_cookie(COOKIE, max_age_days=COOKIE_MAX_AGE_DAYS)
    if value is None:
        return None
    try:
        return value.decode("ascii")
    except UnicodeDecodeError:
        return None


def request_account(handler: RequestHandler) -> Account | None:
    """The account of the live session named by the request's cookie, or None (fail closed)."""
    token = _token(handler)
    if token is None:
        return None
    try:
        return resolve_session(_engine(), token)
    except Exception:  # noqa: BLE001 - a database failure refuses, it never lets anyone in
        log.exception("could not resolve a login session")
        return None


def _session_request():
    doc = pn.state.curdoc
    context = getattr(doc, "session_context", None) if doc is not None else None
    return getattr(context, "request", None) if context is not None else None


def session_account() -> Account | None:
    """The account that opened the current Bokeh session (left on its request by
    :class:`SessionAuth`), or None."""
    account = getattr(_session_request(), REQUEST_ACCOUNT, None)
    return account if isinstance(account, Account) else None


def session_is_local() -> bool:
    """Whether the request that opened the current Bokeh session came from this machine (True
    outside a served session: a notebook or a test)."""
    request = _session_request()
    if request is None:
        return True
    remote = getattr(request, "remote_ip", None)
    return isinstance(remote, str) and is_loopback(remote)


def recheck_seconds() -> float:
    """The period of :class:`SessionWatch` (``FUNDWATCH_SESSION_RECHECK_SECONDS``, default 30 s)."""
    try:
        value = float(os.environ.get(ENV_RECHECK) or RECHECK_SECONDS)
    except ValueError:
        return RECHECK_SECONDS
    return min(max(value, 0.2), RECHECK_SECONDS)


class SessionWatch:
    """Keeps an open page tied to its login session.

    A page lives on its websocket long after the request that opened it, so every
    :func:`recheck_seconds` it resolves its session token again: after a logout (in any tab), a
    disabled user, a changed password or 30 idle minutes the page empties its document on the
    server (no model, and so no data, is left to ask for) and sends the browser to the login page.
    Working in the page (a widget change coming from the browser) counts as activity and keeps
    the session alive; a page nobody touches does not.  With OAuth login (no token) the check is
    that the account is still active with the same role and county.
    """

    def __init__(self, doc, token: str | None, account: Account | None = None):
        self._doc = doc
        self._token = token
        self._account = account
        self._active = False
        self._ended = False
        doc.on_change(self._on_change)
        self._callback = pn.state.add_periodic_callback(self.check, period=int(recheck_seconds() * 1000))

    def _on_change(self, event) -> None:
        if getattr(event, "setter", None) is not None:  # a change the browser sent
            self._active = True

    def check(self) -> bool:
        """Whether the session is still live; ends the page when it is not."""
        if self._ended:
            return False
        touch, self._active = self._active, False
        try:
            if self._token is not None:
                account = resolve_session(_engine(), self._token, touch=touch)
            else:  # OAuth: the provider keeps the session; the account must stay active and unchanged
                account = get_user(_engine(), self._account.username)
                if account is not None and (not account.active or account.role != self._account.role
                                            or account.county_code != self._account.county_code):
                    account = None
        except Exception:  # noqa: BLE001 - a database hiccup keeps the page; the next check decides
            log.exception("could not re-check a login session")
            return True
        if account is None:
            self.end()
            return False
        return True

    def end(self) -> None:
        """Stop checking, send the browser to the login page and empty the document."""
        self._ended = True
        self._callback.stop()
        location = pn.state.location
        if location is not None:
            target = local_path((location.pathname or "/") + (location.search or ""))
            location.param.update(pathname=LOGIN_PATH, search="?" + urlencode({"next": target}), hash="")
            location.reload = True
        self._doc.remove_on_change(self._on_change)
        self._doc.clear()


def watch_session() -> SessionWatch | None:
    """Start a :class:`SessionWatch` for the page being created (login mode, served page): on the
    login session's token, or with OAuth on the signed-in account."""
    doc = pn.state.curdoc
    if doc is None or not login_required():
        return None
    token = getattr(_session_request(), REQUEST_TOKEN, None)
    if isinstance(token, str):
        return SessionWatch(doc, token)
    account = session_account()
    return SessionWatch(doc, None, account) if account is not None else None


def _lang(handler: RequestHandler) -> str:
    return "en" if handler.get_argument("lang", "zh") == "en" else "zh"


def _secure(handler: RequestHandler) -> bool:
    return handler.request.protocol == "https"


class _PageHandler(RequestHandler):
    """No caching, no framing, nothing loaded from elsewhere."""

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "same-origin")
        self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "
                                                   "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


class LoginHandler(_PageHandler):
    """``/login``: GET shows the form (Chinese, ``?lang=en`` for English); POST checks the
    password (with the lockout), starts a session, sets the cookie and goes to ``next``."""

    def get(self) -> None:
        target = local_path(self.get_argument("next", "/"))
        if request_account(self) is not None:
            self.redirect(target)
            return
        self._form(_lang(self), target)

    async def post(self) -> None:
        self.check_xsrf_cookie()
        lang = _lang(self)
        target = local_path(self.get_argument("next", "/"))
        username = self.get_body_argument("username", "")
        password = self.get_body_argument("password", "")
        source = self.request.remote_ip
        engine = _engine()
        # scrypt takes a while: keep the server answering other requests meanwhile
        result = await IOLoop.current().run_in_executor(
            None, lambda: authenticate(engine, username, password, source=source))
        if not result.ok:
            self.set_status(429 if result.reason == "locked" else 401)
            self._form(lang, target, username=username, error=t(_REASON_KEYS.get(result.reason, "login.wrong"), lang))
            return
        token = start_session(engine, result.account, source=source)
        self.set_secure_cookie(COOKIE, token, expires_days=None, path="/", httponly=True, samesite="Lax",
                               secure=_secure(self))
        self.redirect(target)

    def _form(self, lang: str, target: str, *, username: str = "", error: str = "") -> None:
        other = "zh" if lang == "en" else "en"
        switch = "./login?" + urlencode({"next": target, "lang": other})
        action = "./login?" + urlencode({"next": target, "lang": lang})
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.write(LOGIN_PAGE.format(
            lang="en" if lang == "en" else "zh-CN", css=LOGIN_CSS, title=html.escape(t("app.title", lang)),
            heading=html.escape(t("login.heading", lang)), action=html.escape(action),
            switch=html.escape(switch), switch_label=html.escape(t("login.switch", lang)),
            xsrf=self.xsrf_form_html(), username_label=html.escape(t("login.username", lang)),
            password_label=html.escape(t("login.password", lang)), username=html.escape(username),
            submit=html.escape(t("login.submit", lang)), note=html.escape(t("login.note", lang)),
            error=f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""))


class LogoutHandler(_PageHandler):
    """``/logout``: end the session (a replayed cookie is refused afterwards), clear the cookie,
    back to the login page."""

    def get(self) -> None:
        token = _token(self)
        if token is not None:
            try:
                end_session(_engine(), token)
            except Exception:  # noqa: BLE001 - the cookie is cleared whatever happens
                log.exception("could not end a login session")
        self.clear_cookie(COOKIE, path="/")
        self.redirect("./login" + ("?lang=en" if _lang(self) == "en" else ""))

    post = get


class SessionAuth(AuthProvider):
    """The Bokeh auth provider of login mode: the user is the username of the live session named by
    the signed cookie; the resolved account is left on the request for the page being created."""

    @property
    def get_user(self):
        return self._user

    @property
    def login_url(self) -> str:
        return LOGIN_PATH

    @property
    def login_handler(self) -> type[RequestHandler]:
        return LoginHandler

    @property
    def logout_url(self) -> str:
        return LOGOUT_PATH

    @property
    def logout_handler(self) -> type[RequestHandler]:
        return LogoutHandler

    @staticmethod
    def _user(handler: RequestHandler) -> str | None:
        account = request_account(handler)
        setattr(handler.request, REQUEST_ACCOUNT, account)
        setattr(handler.request, REQUEST_TOKEN, _token(handler) if account is not None else None)
        return account.username if account is not None else None


class OAuthSessionAuth(OAuthProvider):
    """The auth provider of OAuth login: Panel's OAuth flow signs the user in at the identity
    provider; the fundwatch account of that user name (active, with its role and county) is left
    on the request for the page being created.  A user the provider knows but fundwatch does not
    (or a disabled one) gets pages that refuse them, never data."""

    @property
    def get_user_async(self):
        check = super().get_user_async

        async def resolve(handler: RequestHandler) -> str | None:
            user = await check(handler)
            account = None
            name = normalise_username(user) if user else None
            if name:
                try:
                    found = get_user(_engine(), name)
                except Exception:  # noqa: BLE001 - a database failure refuses, it never lets anyone in
                    log.exception("could not look up an OAuth user")
                    found = None
                account = found if found is not None and found.active else None
            setattr(handler.request, REQUEST_ACCOUNT, account)
            setattr(handler.request, REQUEST_TOKEN, None)
            return user

        return resolve


class CheckedAutoloadJsHandler(AutoloadJsHandler):
    """``/<page>/autoload.js``, the script that embeds a page into another site: in login mode 403
    without a signed-in user, then 404 unless the page is marked embeddable (:data:`EMBEDDABLE`;
    the full pages never are).  (The stock handler serves every page and, without a user, sends
    only a redirect but fails on the way out; a script tag cannot follow a redirect to a login
    page anyway.)"""

    def set_default_headers(self) -> None:
        """No wildcard ``Access-Control-Allow-Origin`` (the stock one answers every site, and with a
        cookie echoes the site back): :meth:`get` names the requesting origin only if it may embed."""
        self.set_header("Vary", "Origin")

    def _embedding_origin_allowed(self) -> bool:
        """Whether the page asking (its ``Origin`` header) may read this script: a request without
        one (the same origin, a script tag) may; another site only if the server accepts websockets
        from it (``fundwatch serve --origin``), and then with credentials, so the login cookie works.
        Any other site gets no CORS header and so cannot read a signed-in viewer's document."""
        origin = self.request.headers.get("Origin")
        if origin is None:
            return True
        if not check_allowlist(urlparse(origin).netloc.lower(), self.application.websocket_origins):
            return False
        self.set_header("Access-Control-Allow-Origin", origin)
        self.set_header("Access-Control-Allow-Credentials", "true")
        return True

    async def get(self, *args, **kwargs) -> None:
        if login_required() and not self.current_user:
            raise HTTPError(403)
        if self.application_context.url not in EMBEDDABLE:
            raise HTTPError(404)
        if not self._embedding_origin_allowed():
            log.warning("refused autoload.js to the origin %s (not a --origin of this server)",
                        self.request.headers.get("Origin"))
            raise HTTPError(403)
        await super().get(*args, **kwargs)

    async def options(self, *args, **kwargs) -> None:
        """The browser's preflight: allowed for the origins :meth:`get` answers, refused otherwise."""
        if not self._embedding_origin_allowed():
            raise HTTPError(403)
        self.set_header("Access-Control-Allow-Methods", "GET, OPTIONS")


#: The app paths whose ``autoload.js`` is served (the embeddable single panels, ``/embed/<panel>``);
#: filled by the route table before the server starts.
EMBEDDABLE: set[str] = set()


class SessionBoundWSHandler(PanelWSHandler):
    """``/<page>/ws`` joining an existing Bokeh session only for the account that opened it.  The
    session's token is readable in its page; without this check any other signed-in account that
    got hold of it (a shared screen, a proxy log) would receive that page's document, scope and all."""

    async def _async_open(self, token: str) -> None:
        if login_required():
            try:
                session = self.application_context.get_session(get_session_id(token))
            except ProtocolError:  # no such session yet: it is created for this request's account
                session = None
            if session is not None:
                owner = getattr(session.document.session_context.request, REQUEST_ACCOUNT, None)
                viewer = getattr(self.request, REQUEST_ACCOUNT, None)
                if not (isinstance(owner, Account) and isinstance(viewer, Account) and owner.id == viewer.id):
                    log.warning("refused a websocket to a session opened by another account")
                    self.close()
                    return
        await super()._async_open(token)


def install_handlers(embeddable=()) -> None:
    """Serve ``autoload.js`` with :class:`CheckedAutoloadJsHandler` (for the app paths
    ``embeddable`` only) and the websocket with :class:`SessionBoundWSHandler` in the servers this
    process starts from now on (Bokeh builds every application's routes from one module-level table)."""
    EMBEDDABLE.clear()
    EMBEDDABLE.update(embeddable)
    table = bokeh_urls.per_app_patterns
    for i, (route, handler, *rest) in enumerate(table):
        if route == "/autoload.js" and not issubclass(handler, CheckedAutoloadJsHandler):
            table[i] = (route, CheckedAutoloadJsHandler, *rest)
        elif route == "/ws" and not issubclass(handler, SessionBoundWSHandler):
            table[i] = (route, SessionBoundWSHandler, *rest)


def server_options(secret: str | None, mode: str = "password") -> dict:
    """The keyword arguments of ``pn.serve`` for login mode (empty for demo mode): the built-in
    login (``password``) or OAuth (``oauth``, settings from :func:`oauth_options`)."""
    if secret is None:
        return {}
    private = {"cookie_secret": secret, "exclude_headers": list(PRIVATE_HEADERS)}
    if mode == "oauth":
        options = oauth_options()
        pn.config.oauth_provider = options.pop("oauth_provider")  # pn.serve would install its own provider
        pn.config.oauth_expiry = COOKIE_MAX_AGE_DAYS
        return {**private, **options, "auth_provider": OAuthSessionAuth(),
                "exclude_cookies": [*PRIVATE_COOKIES, *OAUTH_COOKIES]}
    return {**private, "auth_provider": SessionAuth(), "exclude_cookies": list(PRIVATE_COOKIES)}


LOGIN_CSS = f"""
body {{ margin: 0; min-height: 100vh; display: flex; flex-direction: column; align-items: center;
       justify-content: center; background: #f4f6f9; font-family: {theme.FONT}; color: {theme.INK}; }}
header {{ font-size: 20px; font-weight: 700; color: {theme.NAVY}; margin-bottom: 16px; letter-spacing: 1px;
         text-align: center; padding: 0 12px; }}
main {{ background: #fff; border: 1px solid {theme.LINE}; border-top: 6px solid {theme.NAVY}; border-radius: 12px;
       padding: 24px 28px; width: min(360px, 88vw); box-sizing: border-box; }}
h1 {{ font-size: 20px; margin: 0 0 16px 0; }}
label {{ display: block; font-size: 14px; color: {theme.MUTED}; margin: 12px 0 4px 0; }}
input[type=text], input[type=password] {{ width: 100%; box-sizing: border-box; font-size: 16px; padding: 8px 10px;
       border: 1px solid #c9d1dc; border-radius: 6px; }}
button {{ margin-top: 20px; width: 100%; font-size: 16px; padding: 10px; border: 0; border-radius: 6px;
         background: {theme.BLUE}; color: #fff; cursor: pointer; }}
.error {{ color: {theme.RED}; font-size: 14px; margin: 0 0 8px 0; }}
.note {{ color: {theme.MUTED}; font-size: 13px; margin: 14px 0 0 0; }}
.switch {{ float: right; font-size: 14px; color: {theme.BLUE}; text-decoration: none; }}
"""

LOGIN_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{heading} · {title}</title>
<style>{css}</style>
</head>
<body>
<header>{title}</header>
<main>
<a class="switch" href="{switch}">{switch_label}</a>
<h1>{heading}</h1>
{error}
<form method="post" action="{action}">
{xsrf}
<label for="username">{username_label}</label>
<input type="text" id="username" name="username" value="{username}" autocomplete="username" required autofocus>
<label for="password">{password_label}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">{submit}</button>
</form>
<p class="note">{note}</p>
</main>
</body>
</html>
"""
