"""What every page shares: the database, the viewer's scope, the extensions, the page frame with
its navigation bar, URL state, and the route table served by ``fundwatch serve``.

A page module (``overview``, ``county``, ``transition``, ``scoring``, ``upload``, ``audit``, ``landing``) has ``create_app()`` returning its layout;
:data:`ROUTES` maps URL paths to them, so a new page is one line there.
"""

from __future__ import annotations

import functools
import gc
import html
import importlib
import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlencode

import panel as pn
import tornado.ioloop
import tornado.netutil
import tornado.process
from bokeh.events import ConnectionLost
from bokeh.settings import settings as bokeh_settings
from panel.io.resources import get_dist_path
from panel.io.session import generate_session
from panel.io.state import set_curdoc
from panel.util import edit_readonly
from sqlalchemy import Engine

from fundwatch.components import EXTENSIONS, loaders, speedups, theme, warming
from fundwatch.components.cards import BusyBar, layout_of
from fundwatch.components.controls import LanguageSwitch
from fundwatch.components.health import DatabaseBanner
from fundwatch.components.i18n import t
from fundwatch.components.stores import FIRST_RECORD_LIST, CountyStore, DashboardStore, OverviewStore, default_as_of
from fundwatch.components.transition import TransitionStore
from fundwatch.dashboards import auth, ready
from fundwatch.data import db, reads
from fundwatch.data.access import IMPORT_ROLES, Account, scope_for
from fundwatch.data.rules import stored
from fundwatch.data.scope import Scope

log = logging.getLogger(__name__)

#: URL path -> "module:function" creating the page (imported when first served).
ROUTES: dict[str, str] = {
    "/": "fundwatch.dashboards.landing:create_app",
    "/overview": "fundwatch.dashboards.overview:create_app",
    "/county": "fundwatch.dashboards.county:create_app",
    "/transition": "fundwatch.dashboards.transition:create_app",
    "/scoring": "fundwatch.dashboards.scoring:create_app",
    "/upload": "fundwatch.dashboards.upload:create_app",
    "/audit": "fundwatch.dashboards.audit:create_app",
    # The single panels an intranet page embeds (fundwatch.dashboards.embed, docs/embed.md).
    "/embed/kpis": "fundwatch.dashboards.embed:kpis",
    "/embed/map": "fundwatch.dashboards.embed:county_map",
    "/embed/pace": "fundwatch.dashboards.embed:pace",
    "/embed/warnings": "fundwatch.dashboards.embed:warnings",
    "/embed/scorecard": "fundwatch.dashboards.embed:scorecard",
}
#: Paths whose ``autoload.js`` is served, so that another site can embed them (the single panels
#: under ``/embed/``); a full page never is.
EMBEDDABLE: frozenset[str] = frozenset(path for path in ROUTES if path.startswith("/embed/"))
#: Pages shown in the navigation bar: (path, message key of the label).
NAVIGATION = (("/", "page.landing"), ("/overview", "page.overview"), ("/county", "page.county"),
              ("/transition", "page.transition"), ("/scoring", "page.scoring"), ("/upload", "page.upload"),
              ("/audit", "page.audit"))
#: Pages only some roles may open (in login mode); every other page is open to every signed-in user
#: whose role :data:`ROLE_PAGES` does not restrict.
PAGE_ROLES: dict[str, frozenset[str]] = {"/upload": IMPORT_ROLES,
                                         "/audit": frozenset({"data_admin"})}
#: Roles that may open the listed pages and no other (in login mode): an embed viewer's account
#: serves intranet pages that embed single panels, so it opens those panels (``/embed/<panel>``),
#: the landing page and the overview only.
ROLE_PAGES: dict[str, frozenset[str]] = {"embed_viewer": frozenset({"/", "/overview", *EMBEDDABLE})}
#: The user name of demo mode (audit rows written from the pages carry it).
DEMO_USER = "demo"
#: URL parameters every page understands (pages ignore those they do not use).
URL_STATE = ("year", "as_of", "county", "township", "village", "lang", "programme", "source_level")

ENV_DB = "FUNDWATCH_DB_URL"
#: Largest websocket message the server takes: an upload travels base64-encoded in one message,
#: so the largest file an import accepts (30 MB) must fit with room to spare.
WEBSOCKET_MAX_BYTES = 48 * 1024 * 1024
#: How often the server discards the sessions that are done with (milliseconds; Bokeh's default is
#: 17 s): a page whose websocket closed goes at the next check (:func:`release_when_closed`).
CHECK_SESSIONS_MS = 1000
#: Seconds after a page's session is discarded until the server collects its garbage (at most one
#: full collection per this interval, however many pages go meanwhile): :func:`collect_when_destroyed`.
COLLECT_AFTER_S = 1.0
#: The name Panel schedules its own collection under after a session is destroyed.
PANEL_COLLECTION = "gc.collect"

PAGE_CSS = f"""
body {{ background: #f4f6f9; margin: 0; font-family: {theme.FONT}; }}
"""
NAV_CSS = f"""
:host {{ background: {theme.NAVY}; color: #fff; font-family: {theme.FONT}; }}
.fw-nav {{ display: flex; flex-wrap: wrap; align-items: center; gap: 4px 18px; padding: 10px 16px; }}
.fw-brand {{ font-size: 18px; font-weight: 700; letter-spacing: 1px; margin-right: 12px; white-space: nowrap; }}
.fw-nav a {{ color: #d0dcec; text-decoration: none; font-size: 15px; padding: 4px 2px; white-space: nowrap; }}
.fw-nav a.active {{ color: #fff; border-bottom: 2px solid #fff; }}
.fw-user {{ margin-left: auto; color: #d0dcec; font-size: 14px; white-space: nowrap; }}
.fw-user b {{ color: #fff; font-weight: 600; }}
.fw-nav a.fw-logout {{ color: #fff; border: 1px solid #8fa6c4; border-radius: 4px; padding: 2px 8px; margin-left: 10px; }}
.fw-demo {{ margin-left: auto; background: {theme.GOLD}; color: {theme.INK}; font-weight: 700; font-size: 14px;
            border-radius: 4px; padding: 3px 10px; white-space: nowrap; }}
"""
REFUSAL_CSS = f"""
:host {{ font-family: {theme.FONT}; color: {theme.INK}; }}
.fw-refusal {{ background: #fff; border: 1px solid {theme.LINE}; border-left: 6px solid {theme.RED}; border-radius: 12px;
               padding: 18px 22px; margin: 24px auto; max-width: 520px; font-size: 16px; }}
.fw-refusal a {{ color: {theme.BLUE}; }}
"""


def database_url() -> str | None:
    """The database URL the pages use: ``fundwatch serve --db`` sets ``FUNDWATCH_DB_URL`` for
    the server process (and its forked workers); otherwise the embedded default."""
    return os.environ.get(ENV_DB) or None


def engine() -> Engine:
    """The process's engine, created on first use (after any fork of ``--num-procs``)."""
    return db.get_engine(database_url())


def demo_mode() -> bool:
    """No cookie secret: the server runs on loopback without a login (see :mod:`.auth`)."""
    return not auth.login_required()


def current_account() -> Account | None:
    """The signed-in account of this session (login mode), else None (demo mode, or nobody)."""
    return None if demo_mode() else auth.session_account()


def current_user() -> str | None:
    """The username of this session's viewer: ``demo`` in demo mode, None when nobody is signed in."""
    if demo_mode():
        return DEMO_USER
    account = current_account()
    return account.username if account is not None else None


def current_scope() -> Scope:
    """The regions the viewer of this session may see, from the signed-in account and never from
    the URL.  Every page calls it while it is being created.  Demo mode sees the whole prefecture;
    in login mode nobody, an unknown role or a county official without a known county sees nothing."""
    if demo_mode():
        return Scope.all()
    return scope_for(current_account())


def refusal(path: str) -> str | None:
    """Why the viewer may not open the page at ``path`` (a message key), or None if they may.

    Demo mode answers this machine only, however the page is served (``fundwatch serve`` refuses
    other addresses; ``panel serve dashboards/overview.py --address 0.0.0.0`` is caught here): a
    session opened from another address gets a refusal."""
    if demo_mode():
        return None if auth.session_is_local() else "auth.demo_remote"
    account = current_account()
    if account is None or not account.active:
        return "auth.refused"
    if not role_may_open(account.role, path):
        return "auth.refused_role"
    return None


def role_may_open(role: str, path: str) -> bool:
    """Whether ``role`` may open the page at ``path`` in login mode: a role listed in
    :data:`ROLE_PAGES` its pages only, any other role every page whose :data:`PAGE_ROLES` (if
    any) include it."""
    if role in ROLE_PAGES and path not in ROLE_PAGES[role]:
        return False
    roles = PAGE_ROLES.get(path)
    return roles is None or role in roles


def may_open(path: str, account: Account | None = None) -> bool:
    """Whether the navigation bar and the landing page offer the page at ``path`` to the viewer
    (``account``, default the signed-in one): every page in demo mode; in login mode the pages
    :func:`role_may_open` allows the viewer's role (with nobody signed in, those no role
    restricts).  Opening a page checks again (:func:`refusal`)."""
    if demo_mode():
        return True
    account = current_account() if account is None else account
    if account is None:
        return path not in PAGE_ROLES
    return role_may_open(account.role, path)


def guarded(path: str) -> Callable[[Callable[[], pn.viewable.Viewable]], Callable[[], pn.viewable.Viewable]]:
    """Check the viewer inside the creation of the page at ``path``: a refused viewer gets a
    short notice and the page function (and so every data read) never runs."""

    def decorate(create: Callable[[], pn.viewable.Viewable]) -> Callable[[], pn.viewable.Viewable]:
        @functools.wraps(create)
        def create_checked() -> pn.viewable.Viewable:
            if path not in EMBEDDABLE:  # an embedded panel reads its arguments itself and has no location
                restore_location()
            reason = refusal(path)
            if reason is None:
                return create()
            return refusal_page(reason)

        return create_checked

    return decorate


def restore_location() -> None:
    """Give a page whose session its websocket opened the address of the page itself.

    A served page's session is made when its websocket arrives (its HTML came from a kept shell,
    :func:`reuse_page_sessions`); an embedded panel's, when its HTML or script is requested.  For
    the former Panel takes the session's location from the websocket's request (``/county/ws``,
    no query), while the page's own arguments travel in the session token; without this such a
    page opened on its defaults, whatever ``?year=2020&county=360731`` asked for."""
    doc = pn.state.curdoc
    request = getattr(doc.session_context, "request", None) if doc is not None and doc.session_context else None
    if not (getattr(request, "uri", None) or "").partition("?")[0].endswith("/ws"):
        return
    location = pn.state.location
    if location is None:
        return
    arguments = [(name, value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))
                 for name, values in (pn.state.session_args or {}).items() for value in values]
    pathname = location.pathname.removesuffix("/ws") or "/"
    search = f"?{urlencode(arguments)}" if arguments else ""
    host = location.hostname + (f":{location.port}" if location.port else "")
    with edit_readonly(location):
        location.param.update(pathname=pathname, search=search, href=f"{location.protocol}//{host}{pathname}{search}")


def refusal_page(reason: str) -> pn.viewable.Viewable:
    """A page with nothing but ``reason`` and the way to the login page."""
    load_extensions()
    query = pn.state.location.query_params if pn.state.location is not None else {}
    lang = "en" if query.get("lang") == "en" else "zh"
    if pn.state.curdoc is not None:
        pn.state.curdoc.title = t("app.title", lang)
    login = "./login" + ("?lang=en" if lang == "en" else "")
    link = "" if demo_mode() else f'<p><a href="{login}">{html.escape(t("auth.to_login", lang))}</a></p>'
    text = f'<div class="fw-refusal"><p>{html.escape(t(reason, lang))}</p>{link}</div>'
    return pn.Column(pn.pane.HTML(text, sizing_mode="stretch_width", stylesheets=[REFUSAL_CSS]),
                     sizing_mode="stretch_width", margin=0)


def load_extensions() -> None:
    """Load the JavaScript the components declare, and the page-wide settings; make Bokeh's
    property defaults cheap to read (:mod:`fundwatch.components.speedups`)."""
    speedups.install()
    pn.extension(*EXTENSIONS, raw_css=[PAGE_CSS], loading_spinner="arc", loading_color=theme.BLUE,
                 notifications=False)
    local_stylesheets()
    release_when_closed()
    collect_when_destroyed()


def release_when_closed() -> None:
    """Discard the session being created as soon as its websocket closes, at the server's next
    check for unused sessions (every :data:`CHECK_SESSIONS_MS`), not after Bokeh's unused-session
    lifetime (15 s).

    The pages never reconnect a closed websocket (``pn.config.reconnect`` is off; a reload opens
    a new session), so a session whose websocket closed can never be used again; kept for the
    lifetime, a client opening and closing pages every half second held some 30 dead documents
    at once (see docs/performance-log.md).  A session whose websocket has not arrived yet (its page
    is still loading in a busy burst) keeps the whole lifetime.
    """
    doc = pn.state.curdoc
    if doc is None or doc.session_context is None or pn.config.reconnect:
        return
    context = doc.session_context

    def expire(_event: ConnectionLost) -> None:
        session = context.session  # the ServerSession, once Bokeh has made it
        if session is not None:
            session.request_expiration()  # discarded once no connection is left

    doc.on_event(ConnectionLost, expire)


class _Collector:
    """Full garbage collections at quiet moments: :data:`COLLECT_AFTER_S` after a session is
    discarded (one for every session that goes meanwhile), and once a served page's loads have
    stopped for that long (:func:`collect_after_loads`)."""

    def __init__(self):
        self.pending = False
        self.quiet_pending = False
        self.collections = 0
        self.last_work = self.last_collection = 0.0

    def soon(self) -> None:
        if self.pending:
            return
        self.pending = True
        tornado.ioloop.IOLoop.current().call_later(COLLECT_AFTER_S, self._collect_soon)

    def _collect_soon(self) -> None:
        self.pending = False
        self._collect()

    def after_work(self) -> None:
        """A load ended: collect once no load has ended for :data:`COLLECT_AFTER_S`."""
        self.last_work = time.monotonic()
        if not self.quiet_pending:
            self.quiet_pending = True
            tornado.ioloop.IOLoop.current().call_later(COLLECT_AFTER_S, self._collect_when_quiet)

    def _collect_when_quiet(self) -> None:
        wait = self.last_work + COLLECT_AFTER_S - time.monotonic()
        if wait > 0:
            tornado.ioloop.IOLoop.current().call_later(wait, self._collect_when_quiet)
            return
        self.quiet_pending = False
        if self.last_collection < self.last_work:  # not collected since the last load ended
            self._collect()

    def _collect(self) -> None:
        gc.collect()
        self.last_collection = time.monotonic()
        self.collections += 1
        try:  # Panel's own collection, due 5 s after the last session went, has nothing left to do
            pn.state.cancel_task(PANEL_COLLECTION)
        except KeyError:
            pass


COLLECTOR = _Collector()


def collect_when_destroyed() -> None:
    """Collect a discarded session's garbage within about a second (:data:`COLLECTOR`).

    A page's document is reference cycles of several hundred models, freed only by a full
    collection.  Panel collects 5 s after a session is destroyed but starts the wait again
    whenever another one goes, and :func:`settle_heap` made the collector's own full passes
    rare, so while pages kept opening and closing the dead documents piled up until a full pass
    came: scale 1, 100 open/close cycles one after another, RSS about 20 MB higher at every
    point (docs/performance-log.md)."""
    if pn.state.curdoc is None or pn.state.curdoc.session_context is None:
        return
    pn.state.on_session_destroyed(lambda _context: COLLECTOR.soon())


def collect_after_loads(store: DashboardStore) -> None:
    """Collect the garbage of a served page's loads once the server has gone quiet
    (:data:`COLLECTOR`).

    A county change replaces a page's frames and updates its models, leaving reference cycles
    that only a full collection frees; :func:`settle_heap` makes the collector's own full passes
    rare, so with many sessions open several rounds of changes piled up before one came, and that
    peak kept pymalloc arenas for good (the soak's RSS rose for its first rounds, then stayed).
    One full pass a second after the loads stop keeps each round's garbage from meeting the
    next.  A burst of loads defers it until the burst ends."""
    if pn.state.curdoc is None or pn.state.curdoc.session_context is None:
        return
    loop = tornado.ioloop.IOLoop.current()  # the session's: a load on another thread still counts here
    store.param.watch(lambda event: event.new or loop.add_callback(COLLECTOR.after_work), "busy")


def local_stylesheets() -> None:
    """Point the stylesheets of the document being created at this server, never at Panel's CDN.

    Panel rewrites its components' stylesheet URLs to the server's own copies only for a document
    whose HTML page it rendered.  A page's document is built when its websocket arrives, from the
    session token (:func:`reuse_page_sessions`), without that page and so with CDN URLs (which a
    machine without internet cannot load).  Setting the document's ``dist_url`` here makes every
    document load the local copies.
    """
    doc = pn.state.curdoc
    if doc is None or doc.session_context is None:
        return
    variables = doc._template_variables  # Panel's per-document template settings (no public setter)
    variables.setdefault("dist_url", get_dist_path(cdn=False))


def url_state(store_class: type[DashboardStore], names=URL_STATE) -> dict:
    """The store parameters the page URL sets (``?year=2020&county=360731``), checked one by one:
    a value the parameter refuses is ignored, so a mistyped link still opens a page."""
    query = pn.state.location.query_params if pn.state.location is not None else {}
    return checked_state(store_class, query, names)


def checked_state(store_class: type[DashboardStore], query, names=URL_STATE) -> dict:
    """The values of ``names`` in ``query`` (a mapping of texts or parsed values) that the
    parameters of ``store_class`` accept, deserialised; any other is left out."""
    values = {}
    for name in names:
        if name not in query:
            continue
        try:
            value = store_class.param[name].deserialize(query[name])
            store_class(**{name: value})  # no engine: validates without loading anything
        except Exception:  # noqa: BLE001 - any refusal means "ignore this parameter"
            continue
        values[name] = value
    return values


def sync_url(store: DashboardStore, names=URL_STATE) -> None:
    """Keep ``names`` of ``store`` in the page URL: a copied link reproduces the view."""
    if pn.state.location is not None:
        pn.state.location.sync(store, {name: name for name in names})


def query(store: DashboardStore, **overrides) -> str:
    """A query string carrying the store's year, date and language (and ``overrides``)."""
    values = {"year": store.year, "as_of": store.as_of.isoformat(), "lang": store.lang, **overrides}
    return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def navigate(path: str, search: str) -> None:
    """Open another page of the app (in this tab) from a server-side callback."""
    location = pn.state.location
    if location is None:
        return
    location.param.update(pathname=path, search=f"?{search}" if search else "")
    location.reload = True


def nav_bar(store: DashboardStore, active: str) -> pn.viewable.Viewable:
    """The application bar: name, the pages (links keep year, date and language), language."""

    account = current_account()
    demo = demo_mode()
    shown = [(path, key) for path, key in NAVIGATION if may_open(path, account)]

    def links(year, as_of, lang):
        search = query(store)
        items = "".join(
            f'<a class="{"active" if path == active else ""}" href=".{path if path != "/" else "/"}'
            f'{"?" + search if search else ""}">{html.escape(t(key, lang))}</a>'
            for path, key in shown)
        return (f'<div class="fw-nav"><span class="fw-brand">{html.escape(t("app.title", lang))}</span>{items}'
                f'{_who(account, demo, lang)}</div>')

    bar = pn.pane.HTML(pn.bind(links, store.param.year, store.param.as_of, store.param.lang),
                       sizing_mode="stretch_width", margin=0, stylesheets=[NAV_CSS])
    switch = LanguageSwitch(store=store, on_dark=True, margin=(0, 12), align="center")
    return pn.Row(bar, switch, sizing_mode="stretch_width", margin=0, styles={"background": theme.NAVY})


def _who(account: Account | None, demo: bool, lang: str) -> str:
    """The right end of the navigation bar: the demo badge, or who is signed in and the way out."""
    if demo:
        return (f'<span class="fw-demo" title="{html.escape(t("auth.demo_note", lang))}">'
                f'{html.escape(t("auth.demo", lang))}</span>')
    if account is None:
        return ""
    name = account.display_name or account.username
    place = f" · {account.county_name}" if account.county_name else ""
    return (f'<span class="fw-user"><b>{html.escape(name)}</b> · {html.escape(account.role_label(lang))}'
            f'{html.escape(place)}<a class="fw-logout" href="./logout{"?lang=en" if lang == "en" else ""}">'
            f'{html.escape(t("auth.logout", lang))}</a></span>')


def page(store: DashboardStore, active: str, *content, title_key: str) -> pn.Column:
    """The page frame: the loading bar (:class:`~fundwatch.components.cards.BusyBar`), the
    navigation bar, the banner shown while the database cannot be reached
    (:class:`~fundwatch.components.health.DatabaseBanner`), then ``content`` in a centred column.
    In login mode the page ends itself when its login session ends (:class:`.auth.SessionWatch`)."""
    if pn.state.curdoc is not None:
        pn.state.curdoc.title = f"{t(title_key, store.lang)} · {t('app.title', store.lang)}"
        if not demo_mode():
            auth.watch_session()
    body = pn.Column(*content, sizing_mode="stretch_width", margin=(8, 8, 24, 8),
                     styles={"width": "100%", "max-width": "1480px", "margin": "0 auto"})
    banner = DatabaseBanner(store=store, url=store.url if store.engine is not None else database_url())
    return pn.Column(BusyBar(store=store), nav_bar(store, active), banner, body, sizing_mode="stretch_width", margin=0)


def route_table() -> dict[str, Callable]:
    """:data:`ROUTES` with their page functions imported (for ``pn.serve``)."""
    table = {}
    for path, target in ROUTES.items():
        module, _, function = target.partition(":")
        table[path] = getattr(importlib.import_module(module), function)
    return table


def serve(*, port: int = 5006, address: str = "127.0.0.1", num_procs: int = 1, show: bool = False,
          on_ready: Callable[[str], None] | None = None, cookie_secret: str | None = None,
          behind_proxy: bool = False, websocket_origins: Sequence[str] = (), auth_mode: str = "password",
          read_ahead: bool = True) -> None:
    """Serve every page from one process (or ``num_procs`` forked workers) until interrupted.

    The database comes from :func:`database_url`; engines are created lazily in each worker,
    so none is shared across a fork.  With ``cookie_secret`` (checked by
    :func:`.auth.check_secret`) every page needs a login; without it the server runs in demo mode
    and only on a loopback address.  ``behind_proxy`` trusts the ``X-Forwarded-For`` and
    ``X-Forwarded-Proto`` headers of a TLS proxy in front (client address, secure cookies);
    ``websocket_origins`` are the further ``host[:port]`` the browsers reach the server by.
    ``auth_mode`` chooses the built-in login page (``password``) or an OAuth identity provider
    (``oauth``, configured by :func:`.auth.oauth_options`).  With ``read_ahead`` each worker reads
    the views of :func:`opening_pages` while it is idle (:class:`~fundwatch.components.warming.PageWarmer`).
    """
    cookie_secret = auth.check_secret(cookie_secret)
    if cookie_secret is None and not auth.is_loopback(address):
        raise auth.SecretError(f"demo mode serves this machine only: set {auth.ENV_SECRET} to serve on {address}")
    if cookie_secret is None:
        os.environ.pop(auth.ENV_SECRET, None)
    else:
        os.environ[auth.ENV_SECRET] = cookie_secret  # the pages (and forked workers) read the mode from it
    auth.install_handlers(EMBEDDABLE)
    load_extensions()
    routes = route_table()
    titles = {path: t("app.title") for path in routes}
    db.dispose_all()  # never carry pooled connections across the fork of --num-procs
    settle_heap()
    reuse_page_sessions()
    skip_document_validation()
    skip_callback_checks()
    send_without_delay()
    if num_procs != 1:
        take_turns_accepting()
    origins = [f"{address}:{port}", f"localhost:{port}", f"127.0.0.1:{port}", *websocket_origins]
    if num_procs != 1 and on_ready is not None:  # the workers fork inside pn.serve: say it once
        on_ready(f"http://{address}:{port}/")
    server = pn.serve(routes, port=port, address=address, show=False, start=False, title=titles,
                      num_procs=num_procs, websocket_origin=origins,
                      websocket_max_message_size=WEBSOCKET_MAX_BYTES, use_xheaders=behind_proxy,
                      extra_patterns=ready.patterns(),
                      check_unused_sessions_milliseconds=CHECK_SESSIONS_MS,
                      **auth.server_options(cookie_secret, auth_mode))
    quiet_closed_pages(server.io_loop.asyncio_loop)  # each worker's own loop (they forked in pn.serve)
    if num_procs == 1 and on_ready is not None:
        on_ready(f"http://{address}:{server.port}/")
    keep_page_shells([path for path in routes if path not in EMBEDDABLE])
    if tornado.process.task_id() in (None, 0):  # one worker keeps the findings for all (they are shared)
        stored.Warmer(engine(), opening_views)
    if read_ahead:  # every worker: the read caches are the process's own
        warming.PageWarmer(loaders.engine_key(engine()), opening_pages)
    if show:
        server.io_loop.add_callback(lambda: server.show("/"))
    server.start()
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        pass


def reuse_page_sessions() -> None:
    """Answer every page's HTML from a shell the process keeps (:func:`keep_page_shells`), so that
    a page's document is built once, for its viewer, when its websocket arrives.

    The HTML of a page holds its title, its scripts and stylesheets, a placeholder per root of its
    document and a session token; the document itself comes over the websocket.  Bokeh builds a
    session's document for the HTML request; with ``--num-procs`` the websocket then reached the
    other worker about half the time, which built it again from the token.  With Panel's
    ``reuse_sessions`` the HTML is rendered from a kept session of the same page (:func:`page_key`)
    with a token of its own, and the viewer's session is built from that token when the websocket
    arrives, in whichever worker it reaches (:func:`restore_location` gives it the page's address).
    The kept sessions are empty shells built for nobody, so no viewer's data is ever in them."""
    pn.config.reuse_sessions = True
    pn.config.session_key_func = page_key


def page_key(request) -> tuple[str, str]:
    """The kept shell whose HTML answers ``request``: its page and language (a bounded set,
    whatever a URL carries).

    A page without a shell (an embedded panel, whose HTML carries its own title) keeps nothing:
    Panel keeps the session it builds for such a request, and it is let go here at the next
    request, so that each of these is answered from a session of its own as without reuse."""
    lang = (request.arguments.get("lang") or [b""])[0]
    key = (request.path.rstrip("/") or "/", "en" if lang == b"en" else "zh")
    if key[0] not in SHELL_PATHS:
        kept = pn.state._sessions.pop(key, None)  # Panel's kept sessions (no public accessor)
        if kept is not None:
            kept.unblock_expiration()
    return key


#: The pages whose HTML comes from a kept shell (:func:`keep_page_shells`).
SHELL_PATHS: set[str] = set()


def keep_page_shells(paths: Sequence[str]) -> None:
    """Build the kept sessions of :func:`reuse_page_sessions` for the pages at ``paths``, one per
    page and language, in this process (after the fork of ``--num-procs``).

    A shell is what a page's HTML needs of its document and no more: an empty column as the page
    (with the location and browser roots Panel adds to every page, so the placeholders match a
    page's roots one for one), the server's own stylesheet address (:func:`local_stylesheets`) and
    the title the server gives every page.  It is built without a request, so it holds no viewer,
    scope or data, and it is never served: Bokeh does not know it, and each request gets a token
    of its own.  (Panel would otherwise keep the first viewer's session of a page for this, built
    on the HTML request, which costs that viewer the double build this avoids.)"""
    for path in paths:
        SHELL_PATHS.add(path)
        for lang in ("zh", "en"):
            session = generate_session(None, initialize=False)
            with set_curdoc(session.document):
                local_stylesheets()
                pn.Column(sizing_mode="stretch_width", margin=0).server_doc(session.document, title=t("app.title"))
            pn.state._sessions[path, lang] = session  # Panel's kept sessions (no public setter)
        for variant in {path, path.rstrip("/") + "/"}:  # the address with and without its slash
            pn.state._session_key_funcs[variant] = page_key


def skip_document_validation() -> None:
    """Build served documents without Bokeh's validation pass.

    Bokeh checks every model of a new document for mistakes of construction (a layout's sizes, a
    plot's ranges) and logs what it finds; on a page of several hundred models that was about
    6 % of the server's work per first load.  The pages' components are built and their documents
    validated in the test suite (the check stays on outside :func:`serve`), where a mistake
    shows; a served page would only log it."""
    bokeh_settings.perform_document_validation.set_value(False)


def skip_callback_checks() -> None:
    """Build served documents without Bokeh's check of every callback's signature.

    Bokeh inspects the signature of each callback a model registers (Panel registers several per
    model), about 400 per page, to raise at once on a wrong one; with its other diagnostics that
    was about a tenth of a page's build (in process at scale 10, median of ten warm builds: the
    overview 311-347 -> 292-296 ms, the drill-down 412-422 -> 362-377, the transition page 518-523
    -> 480-482).  The pages register the same callbacks in the test suite, where the check stays
    on and a wrong one fails; a served page would only fail later.  ``BOKEH_PERFORM_ERROR_DIAGNOSTICS``,
    when set, still decides."""
    if bokeh_settings.perform_error_diagnostics.env_var not in os.environ:
        bokeh_settings.perform_error_diagnostics.set_value(False)


def quiet_closed_pages(loop) -> None:
    """Report a message to a page its browser had already left as one warning line, not as an
    error with a traceback (the asyncio ``loop``'s exception handler; any other error is reported
    as before).

    Panel writes a session's changes to its websocket as futures it awaits afterwards.  When the
    browser goes meanwhile (a sign-out, a closed tab) and the session is destroyed first, Panel
    cancels those futures, but one whose write had already failed keeps its
    ``WebSocketClosedError``, and asyncio reports it, once the future is gone, as "Task exception
    was never retrieved" with two tracebacks in the server's log.  The message had nowhere to go,
    as Panel's own warning for the writes it does await says."""
    from tornado.iostream import StreamClosedError  # noqa: PLC0415 - tornado's, as Panel raises them
    from tornado.websocket import WebSocketClosedError  # noqa: PLC0415

    previous = loop.get_exception_handler()

    def handle(loop, context) -> None:
        if isinstance(context.get("exception"), (WebSocketClosedError, StreamClosedError)):
            log.warning("a message to a page that had closed was dropped")
        elif previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handle)


def send_without_delay() -> None:
    """Send every message of a page's websocket at once (``TCP_NODELAY``).

    A Bokeh message is several websocket frames (header, metadata, content, each buffer), written
    one after another.  With Nagle's algorithm on (Tornado's default) a small frame waits until the
    one before it is acknowledged, and a browser acknowledges late on purpose (delayed ACKs: about
    40 ms on Linux, up to 200 ms on Windows), so a message could wait that long.  Browsers send
    without delay themselves; a test client that did not measured its county changes 40 ms
    slower on loopback.  On loopback the server's side made no measurable difference (the
    acknowledgements come at once there); it is for browsers across a network.  The pages'
    messages are few, so sending them at once costs no bandwidth worth counting."""
    from panel.io.server import WSHandler  # noqa: PLC0415 - the handler pn.serve routes websockets to

    if getattr(WSHandler.open, "sends_without_delay", False):
        return
    opened = WSHandler.open

    @functools.wraps(opened)
    def open_without_delay(self, *args, **kwargs):
        if self.ws_connection is not None:
            self.set_nodelay(True)
        return opened(self, *args, **kwargs)

    open_without_delay.sends_without_delay = True
    WSHandler.open = open_without_delay


def take_turns_accepting() -> None:
    """Let the ``--num-procs`` workers share a burst of connections.

    The forked workers listen on one socket; a worker woken by a new connection accepts every
    connection waiting (up to 128).  A burst of first loads went to one worker nearly whole while
    the other idled (20 concurrent first loads: one worker busy for 8.7 s, the other idle three
    quarters of it).  Accepting one connection per wake-up leaves the rest to whichever worker is
    free, so a worker busy building a page leaves the next connections to the other.  Tornado
    reads the number from this module constant each time; the listening socket's backlog was set
    when it was bound and is not changed."""
    tornado.netutil._DEFAULT_BACKLOG = 1


def settle_heap() -> None:
    """Set what the process has loaded so far (the libraries, the pages' modules) aside from the
    garbage collector, once, before the first session, and make its full passes rarer.

    Every session builds and later drops a document of several hundred Bokeh models, so the
    collector's full passes come often; each one walked the 1.3 million objects of the loaded
    libraries too, about 250 ms a session.  Frozen objects are never freed, which is right for
    modules loaded for the process's lifetime; with ``--num-procs`` the workers fork after this
    and share those pages of memory.  With only the sessions' objects left to count, the
    collector would start a full pass ever sooner, so a full pass now waits for 100 passes of
    the middle generation instead of 10; the garbage of a closed session is collected about a
    second after it is discarded (:func:`collect_when_destroyed`).  Server CPU per first load at scale 1: 1.38 ->
    1.04 s one after another, about 1.8 -> 1.6 s in a burst of 20 on two workers."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*gc.get_threshold()[:2], 100)


def opening_views() -> list[tuple[Scope, int, dt.date]]:
    """The views a page opens on, whose policy findings a served process keeps ready
    (:class:`~fundwatch.data.rules.stored.Warmer`): today's date (kept within the years the
    product covers) for the whole prefecture, and for each county as its officials see it."""
    as_of = default_as_of()
    counties = reads.regions_frame(engine(), Scope.all(), level="county")["code"]
    return [(scope, as_of.year, as_of) for scope in (Scope.all(), *(Scope.county(c) for c in counties))]


def opening_pages() -> list[warming.View]:
    """The views a served process reads ahead (:mod:`fundwatch.components.warming`): the overview
    and every county of the drill-down and the transition page as the pages open them (their
    default year and date), for the prefecture's leaders first, then for each county as its
    officials see it (their own scope: a read ahead for one county's officials reads that county
    only)."""
    e, everyone = engine(), Scope.all()
    counties = list(loaders.counties(loaders.engine_key(e), everyone.key)["code"])
    views: list[warming.View] = []

    def view(store_class, scope: Scope, county: str = "") -> None:
        state = {"county": county} if county else {}
        if store_class is CountyStore:  # as the page builds it: the list its tabs open on
            state["lists_shown"] = (FIRST_RECORD_LIST,)
        key = (store_class.__name__, scope.key, county, store_class.param["as_of"].default)
        views.append((key, lambda: store_class(engine=e, scope=scope, **state)))

    view(OverviewStore, everyone)
    for code in counties:
        view(CountyStore, everyone, code)
        view(TransitionStore, everyone, code)
    for code in counties:
        own = Scope.county(code)
        view(OverviewStore, own)
        view(CountyStore, own)
        view(TransitionStore, own)
    return views


def grid(*items, basis: int = 380) -> pn.FlexBox:
    """Panels side by side that wrap one under another on a narrow (phone) screen."""
    for item in items:
        layout_of(item).param.update(styles={"flex": f"1 1 {basis}px", "min-width": "0"}, sizing_mode="stretch_width")
    return pn.FlexBox(*items, flex_wrap="wrap", align_items="stretch", sizing_mode="stretch_width", margin=0)
