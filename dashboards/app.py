"""What every page shares: the database, the viewer's scope, the extensions, the page frame with
its navigation bar, URL state, and the route table served by ``fundwatch serve``.

A page module (``overview``, ``county``, ``transition``, ``scoring``, ``upload``, ``landing``) has ``create_app()`` returning its layout;
:data:`ROUTES` maps URL paths to them, so a new page is one line there.
"""

from __future__ import annotations

import html
import importlib
import os
from collections.abc import Callable
from urllib.parse import urlencode

import holoviews as hv
import panel as pn
from sqlalchemy import Engine

from fundwatch.components import EXTENSIONS, theme
from fundwatch.components.controls import LanguageSwitch
from fundwatch.components.i18n import t
from fundwatch.components.stores import DashboardStore
from fundwatch.data import db
from fundwatch.data.scope import Scope

#: URL path -> "module:function" creating the page (imported when first served).
ROUTES: dict[str, str] = {
    "/": "fundwatch.dashboards.landing:create_app",
    "/overview": "fundwatch.dashboards.overview:create_app",
    "/county": "fundwatch.dashboards.county:create_app",
    "/transition": "fundwatch.dashboards.transition:create_app",
    "/scoring": "fundwatch.dashboards.scoring:create_app",
    "/upload": "fundwatch.dashboards.upload:create_app",
}
#: Pages shown in the navigation bar: (path, message key of the label).
NAVIGATION = (("/", "page.landing"), ("/overview", "page.overview"), ("/county", "page.county"),
              ("/transition", "page.transition"), ("/scoring", "page.scoring"), ("/upload", "page.upload"))
#: URL parameters every page understands (pages ignore those they do not use).
URL_STATE = ("year", "as_of", "county", "township", "village", "lang", "programme", "source_level")

ENV_DB = "FUNDWATCH_DB_URL"
#: Largest websocket message the server takes: an upload travels base64-encoded in one message,
#: so the largest file an import accepts (30 MB) must fit with room to spare.
WEBSOCKET_MAX_BYTES = 48 * 1024 * 1024

PAGE_CSS = f"""
body {{ background: #f4f6f9; margin: 0; font-family: {theme.FONT}; }}
"""
NAV_CSS = f"""
:host {{ background: {theme.NAVY}; color: #fff; font-family: {theme.FONT}; }}
.fw-nav {{ display: flex; flex-wrap: wrap; align-items: center; gap: 4px 18px; padding: 10px 16px; }}
.fw-brand {{ font-size: 18px; font-weight: 700; letter-spacing: 1px; margin-right: 12px; white-space: nowrap; }}
.fw-nav a {{ color: #d0dcec; text-decoration: none; font-size: 15px; padding: 4px 2px; white-space: nowrap; }}
.fw-nav a.active {{ color: #fff; border-bottom: 2px solid #fff; }}
"""


def database_url() -> str | None:
    """The database URL the pages use: ``fundwatch serve --db`` sets ``FUNDWATCH_DB_URL`` for
    the server process (and its forked workers); otherwise the embedded default."""
    return os.environ.get(ENV_DB) or None


def engine() -> Engine:
    """The process's engine, created on first use (after any fork of ``--num-procs``)."""
    return db.get_engine(database_url())


def current_scope() -> Scope:
    """The regions the viewer of this session may see.  Every page calls it while it is being
    created; there is no login yet, so every viewer sees the whole prefecture."""
    return Scope.all()


def load_extensions() -> None:
    """Load the JavaScript the components declare, and the page-wide settings."""
    pn.extension(*EXTENSIONS, raw_css=[PAGE_CSS], loading_spinner="arc", loading_color=theme.BLUE,
                 notifications=False)
    hv.extension("bokeh", logo=False)


def url_state(store_class: type[DashboardStore], names=URL_STATE) -> dict:
    """The store parameters the page URL sets (``?year=2020&county=360731``), checked one by one:
    a value the parameter refuses is ignored, so a mistyped link still opens a page."""
    query = pn.state.location.query_params if pn.state.location is not None else {}
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

    def links(year, as_of, lang):
        search = query(store)
        items = "".join(
            f'<a class="{"active" if path == active else ""}" href=".{path if path != "/" else "/"}'
            f'{"?" + search if search else ""}">{html.escape(t(key, lang))}</a>'
            for path, key in NAVIGATION)
        return f'<div class="fw-nav"><span class="fw-brand">{html.escape(t("app.title", lang))}</span>{items}</div>'

    bar = pn.pane.HTML(pn.bind(links, store.param.year, store.param.as_of, store.param.lang),
                       sizing_mode="stretch_width", margin=0, stylesheets=[NAV_CSS])
    switch = LanguageSwitch(store=store, on_dark=True, margin=(0, 12), align="center")
    return pn.Row(bar, switch, sizing_mode="stretch_width", margin=0, styles={"background": theme.NAVY})


def page(store: DashboardStore, active: str, *content, title_key: str) -> pn.Column:
    """The page frame: the navigation bar, then ``content`` in a centred column."""
    if pn.state.curdoc is not None:
        pn.state.curdoc.title = f"{t(title_key, store.lang)} · {t('app.title', store.lang)}"
    body = pn.Column(*content, sizing_mode="stretch_width", margin=(8, 8, 24, 8),
                     styles={"width": "100%", "max-width": "1480px", "margin": "0 auto"})
    return pn.Column(nav_bar(store, active), body, sizing_mode="stretch_width", margin=0)


def route_table() -> dict[str, Callable]:
    """:data:`ROUTES` with their page functions imported (for ``pn.serve``)."""
    table = {}
    for path, target in ROUTES.items():
        module, _, function = target.partition(":")
        table[path] = getattr(importlib.import_module(module), function)
    return table


def serve(*, port: int = 5006, address: str = "127.0.0.1", num_procs: int = 1, show: bool = False,
          on_ready: Callable[[str], None] | None = None) -> None:
    """Serve every page from one process (or ``num_procs`` forked workers) until interrupted.

    The database comes from :func:`database_url`; engines are created lazily in each worker,
    so none is shared across a fork.
    """
    load_extensions()
    routes = route_table()
    titles = {path: t("app.title") for path in routes}
    db.dispose_all()  # never carry pooled connections across the fork of --num-procs
    origins = [f"{address}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"]
    if num_procs != 1 and on_ready is not None:  # the workers fork inside pn.serve: say it once
        on_ready(f"http://{address}:{port}/")
    server = pn.serve(routes, port=port, address=address, show=False, start=False, title=titles,
                      num_procs=num_procs, websocket_origin=origins,
                      websocket_max_message_size=WEBSOCKET_MAX_BYTES)
    if num_procs == 1 and on_ready is not None:
        on_ready(f"http://{address}:{server.port}/")
    if show:
        server.io_loop.add_callback(lambda: server.show("/"))
    server.start()
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        pass


def grid(*items, basis: int = 380) -> pn.FlexBox:
    """Panels side by side that wrap one under another on a narrow (phone) screen."""
    for item in items:
        item.param.update(styles={"flex": f"1 1 {basis}px", "min-width": "0"}, sizing_mode="stretch_width")
    return pn.FlexBox(*items, flex_wrap="wrap", align_items="stretch", sizing_mode="stretch_width", margin=0)
