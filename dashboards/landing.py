"""The landing page: what fundwatch is, and the way into the overview, the drill-down, the
transition period, the scoring page, the data import and the audit log.  Only the pages the viewer
may open get a tile (the same rule as the navigation bar: :func:`.app.may_open`)."""

from __future__ import annotations

import html

import panel as pn

from fundwatch.components import theme
from fundwatch.components.i18n import t
from fundwatch.components.stores import OverviewStore
from fundwatch.dashboards import app

LANDING_CSS = f"""
:host {{ font-family: {theme.FONT}; color: {theme.INK}; }}
.fw-hero h1 {{ font-size: 26px; margin: 18px 0 6px 0; }}
.fw-hero p {{ font-size: 15px; color: {theme.MUTED}; margin: 0 0 18px 0; }}
.fw-tiles {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 16px; }}
.fw-tile {{ display: block; background: #fff; border: 1px solid {theme.LINE}; border-radius: 12px; padding: 18px 20px;
           text-decoration: none; color: {theme.INK}; border-left: 6px solid {theme.BLUE}; }}
.fw-tile:hover {{ box-shadow: 0 4px 12px rgba(16, 24, 40, 0.12); }}
.fw-tile h2 {{ font-size: 19px; margin: 0 0 8px 0; color: {theme.NAVY}; }}
.fw-tile p {{ font-size: 14px; color: {theme.MUTED}; margin: 0 0 10px 0; line-height: 1.6; }}
.fw-tile span {{ color: {theme.BLUE}; font-size: 14px; }}
"""

#: The tiles: (path without the leading slash, title key, text key).
TILES = (("overview", "page.overview", "landing.overview"), ("county", "page.county", "landing.county"),
         ("transition", "page.transition", "landing.transition"), ("scoring", "page.scoring", "landing.scoring"),
         ("upload", "page.upload", "landing.upload"), ("audit", "page.audit", "landing.audit"))


@app.guarded("/")
def create_app() -> pn.viewable.Viewable:
    app.load_extensions()
    state = ("year", "as_of", "lang")
    store = OverviewStore(scope=app.current_scope(), **app.url_state(OverviewStore, state))  # no engine: reads nothing
    app.sync_url(store, state)
    tiles = tuple(tile for tile in TILES if app.may_open(f"/{tile[0]}"))
    body = pn.pane.HTML(pn.bind(_html, store.param.lang, store.param.year, store.param.as_of, store=store,
                                tiles=tiles), sizing_mode="stretch_width", stylesheets=[LANDING_CSS])
    return app.page(store, "/", body, title_key="page.landing")


def _html(lang: str, year: int, as_of, store: OverviewStore, tiles=TILES) -> str:
    search = app.query(store)
    shown = "".join(
        f'<a class="fw-tile" href="./{path}?{search}"><h2>{html.escape(t(title, lang))}</h2>'
        f'<p>{html.escape(t(text, lang))}</p><span>{html.escape(t("landing.open", lang))} →</span></a>'
        for path, title, text in tiles)
    return (f'<div class="fw-hero"><h1>{html.escape(t("app.title", lang))}</h1>'
            f'<p>{html.escape(t("landing.lead", lang))}</p></div><div class="fw-tiles">{shown}</div>')


if pn.state.served:
    create_app().servable()
