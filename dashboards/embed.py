"""Single panels for intranet pages: ``/embed/<panel>``, each a route of its own.

An intranet page embeds a panel with ``bokeh.embed.server_document`` (a ``<script>`` that loads
``/embed/<panel>/autoload.js``) or with an ``<iframe src=".../embed/<panel>?...">``; ``docs/embed.md``
shows both and ``docs/embed-example.html`` is a page with three of them.  What a panel shows comes
from the arguments of the request that opened it (``?county=360731&year=2020&lang=en``, or the
``arguments`` of ``server_document``), never from the host page's URL: an embedded panel neither
reads nor changes the address of the page around it.  The panel fills its container's width;
``height=`` (pixels) makes it fill that height too (for an iframe of a known size).

Every panel is guarded like a page (:func:`.app.guarded`): in login mode it needs a signed-in
user whose role may open it, and it shows the viewer's scope only, whatever the arguments ask
(a county official's panel shows their own county; an embed viewer's counts of 1 to 4 read
``<5``).  Its downloads are audited with the surface ``embed``.

The same panels export as self-contained HTML files (:func:`panel`, used by ``fundwatch
export-panel``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import io
import json
from collections.abc import Callable, Mapping

import panel as pn
from bokeh.document import Document
from bokeh.models import ImportedStyleSheet, InlineStyleSheet, InputWidget, UIElement
from panel.io.model import add_to_doc
from panel.io.resources import CDN_DIST, DIST_DIR

from fundwatch.components.cards import BusyBar
from fundwatch.components.charts import DisbursementCurve
from fundwatch.components.controls import PageHeading
from fundwatch.components import i18n
from fundwatch.components import theme
from fundwatch.components.i18n import t
from fundwatch.components.kpis import KpiCards
from fundwatch.components.maps import CountyMap
from fundwatch.components.scoring import RubricScorecard, ScoringStore
from fundwatch.components.stores import CountyStore, DashboardStore, OverviewStore
from fundwatch.components.tables import WarningTable
from fundwatch.dashboards import app
from fundwatch.data.scope import Scope

#: The request arguments an embedded panel understands (others are ignored).
ARGUMENTS = ("county", "year", "as_of", "lang", "programme", "source_level", "metric", "rubric", "height")
#: Largest ``height=`` an embed accepts, in pixels.
MAX_HEIGHT = 4000

i18n.extend({
    "zh": {"embed.kpis": "核心指标", "embed.map": "县区地图", "embed.pace": "资金支出进度",
           "embed.warnings": "预警", "embed.scorecard": "考核得分卡",
           "embed.static": "静态导出，生成于{made}；数据截至{as_of}。筛选、下载和明细请打开在线面板。"},
    "en": {"embed.kpis": "Headline figures", "embed.map": "County map", "embed.pace": "Disbursement pace",
           "embed.warnings": "Warnings", "embed.scorecard": "Assessment scorecard",
           "embed.static": "Static export made {made}; data as of {as_of}. Filters, downloads and details "
                           "are in the live panel."},
})


@dataclasses.dataclass(frozen=True)
class EmbeddedPanel:
    """One embeddable panel: its name (the route ``/embed/<name>``), the message key of its
    title, and how it is built on a store."""

    name: str
    title_key: str
    build: Callable[[DashboardStore], list]
    #: How many rows of data it shows (the ``rows`` of an export's audit row).
    rows: Callable[[DashboardStore], int]
    #: The store it shows: the drill-down's (a county, or the first in the scope) or the scoring page's.
    scoring: bool = False

    @property
    def path(self) -> str:
        return f"/embed/{self.name}"


def _heading(store: DashboardStore) -> PageHeading:
    return PageHeading(store=store, title_key="page.county")


#: The embeddable panels, in the order the documentation lists them.
PANELS: dict[str, EmbeddedPanel] = {p.name: p for p in (
    EmbeddedPanel("kpis", "embed.kpis", lambda s: [_heading(s), KpiCards(store=s)], lambda s: 1),
    EmbeddedPanel("map", "embed.map", lambda s: [_heading(s), CountyMap(store=s)], lambda s: len(s.county_metrics)),
    EmbeddedPanel("pace", "embed.pace", lambda s: [_heading(s), DisbursementCurve(store=s)], lambda s: len(s.pace)),
    EmbeddedPanel("warnings", "embed.warnings", lambda s: [_heading(s), WarningTable(store=s)],
                  lambda s: len(s.warnings)),
    EmbeddedPanel("scorecard", "embed.scorecard", lambda s: [RubricScorecard(store=s)], lambda s: len(s.card),
                  scoring=True),
)}


def request_arguments() -> dict[str, str]:
    """The arguments of the request that opened this session (the iframe's URL, or the
    ``autoload.js`` request of ``server_document``), first value of each, Bokeh's own left out."""
    out = {}
    for name, values in (pn.state.session_args or {}).items():
        if name in ARGUMENTS and values:
            value = values[0]
            out[name] = _parsed(value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))
    return out


def _parsed(text: str):
    """A number in a request argument as a number (``year=2020``), like a page URL's; else the text."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, int | float) and not isinstance(value, bool) else text


def create_store(spec: EmbeddedPanel, arguments: Mapping[str, str], *, engine, scope: Scope, actor: str,
                 surface: str = "embed") -> DashboardStore:
    """The store of ``spec`` for ``arguments`` (checked one by one like a page URL's: a value its
    parameter refuses is ignored).  ``county`` picks the county (its scorecard for ``scorecard``);
    without one the panel shows the prefecture, or the county of a one-county scope (the
    best-ranked unit of the scope for a scorecard)."""
    if spec.scoring:
        values = app.checked_state(ScoringStore, {("unit" if k == "county" else k): v for k, v in arguments.items()},
                                   ("unit", "year", "lang", "rubric"))
        return ScoringStore(engine=engine, scope=scope, actor=actor, surface=surface, **values)
    if not arguments.get("county") and scope.counties is not None and len(scope.counties) == 1:
        arguments = {**arguments, "county": next(iter(scope.counties))}  # a county official's own county
    store_class = CountyStore if arguments.get("county") else OverviewStore
    names = ("county", "year", "as_of", "lang", "programme", "source_level", "metric")
    values = app.checked_state(store_class, arguments, names)
    # no embedded panel shows a record list: none reads its page with the store's loads
    return store_class(engine=engine, scope=scope, actor=actor, surface=surface, lists_shown=(), **values)


def panel(spec: EmbeddedPanel, store: DashboardStore, *, height: int | None = None) -> pn.Column:
    """The panel of ``spec`` on ``store``: its width follows the container, and with ``height``
    it fills that height as well."""
    sizing = {"sizing_mode": "stretch_both", "height": None, "min_height": height} if height else \
        {"sizing_mode": "stretch_width"}
    return pn.Column(*spec.build(store), margin=0, styles={"background": "#fff"}, **sizing)


def static_html(spec: EmbeddedPanel, store: DashboardStore, *, height: int | None = None,
                made_at: dt.datetime | None = None) -> bytes:
    """The panel of ``spec`` on ``store`` as one self-contained HTML file (``fundwatch export-panel``):
    Bokeh's and Panel's scripts and every stylesheet inlined, no favicon fetched, so it opens with
    no network at all.  The controls that need the server (downloads, selectors) are left out, and
    a line at the foot says when the file was made and the date of its data."""
    lang = store.lang
    made_at = made_at or dt.datetime.now().astimezone()
    as_of = store.as_of if hasattr(store, "as_of") else dt.date(store.year, 12, 31)
    text = t("embed.static", lang, made=made_at.strftime("%Y-%m-%d %H:%M"), as_of=i18n.date(as_of, lang))
    foot = theme.html(f'<p class="fw-note">{html.escape(text)}</p>', sizing_mode="stretch_width", margin=(4, 8))
    view = panel(spec, store, height=height)
    view.append(foot)
    document = Document()
    add_to_doc(view.get_root(document), document, True)
    for model in document.select({"type": UIElement}):
        if isinstance(model, InputWidget):  # a download or a selector does nothing without the server
            model.visible = False
        model.stylesheets = [_inlined(sheet) for sheet in model.stylesheets]
    out = io.StringIO()
    title = f"{t(spec.title_key, lang)} · {t('app.title', lang)}"
    pn.io.save.save(document, out, resources="inline", title=title,
                    template_variables={"apple_icon": "data:,", "app_favicon": "data:,"})
    return out.getvalue().encode("utf-8")


def _inlined(sheet):
    """An imported stylesheet of Panel's (a URL on its CDN) as the stylesheet's text."""
    if not isinstance(sheet, ImportedStyleSheet):
        return sheet
    url = sheet.url.split("?")[0]
    path = DIST_DIR / url[len(CDN_DIST):] if url.startswith(CDN_DIST) else None
    if path is None or not path.is_file():
        raise ValueError(f"the stylesheet {sheet.url} cannot be inlined")
    return InlineStyleSheet(css=path.read_text(encoding="utf-8"))


def _height(arguments: Mapping[str, str]) -> int | None:
    """``height=`` in pixels, if it is a sensible one."""
    try:
        height = int(arguments.get("height", ""))
    except ValueError:
        return None
    return height if 0 < height <= MAX_HEIGHT else None


def create(name: str) -> pn.viewable.Viewable:
    """The session's document for the panel ``name`` (the route functions below call it)."""
    spec = PANELS[name]
    app.load_extensions()
    arguments = request_arguments()
    store = create_store(spec, arguments, engine=app.engine(), scope=app.current_scope(),
                         actor=app.current_user() or "dashboard")
    app.collect_after_loads(store)
    if pn.state.curdoc is not None:
        pn.state.curdoc.title = f"{t(spec.title_key, store.lang)} · {t('app.title', store.lang)}"
        if not app.demo_mode():
            app.auth.watch_session()
    view = panel(spec, store, height=_height(arguments))
    view.insert(0, BusyBar(store=store, inline=True))  # live only: a static file never loads
    return view


def embedded(name: str, doc: str) -> Callable[[], pn.viewable.Viewable | None]:
    """The route function of the panel ``name``: guarded like a page, and served without Panel's
    ``Location`` (the model that mirrors the browser's address): embedded by ``server_document``,
    the panel would otherwise read the host page's URL, and its resources would be resolved
    against the host page instead of this server."""
    spec = PANELS[name]

    @app.guarded(spec.path)
    def build() -> pn.viewable.Viewable:
        return create(name)

    def route() -> pn.viewable.Viewable | None:
        view = build()
        document = pn.state.curdoc
        if document is None or document.session_context is None:  # outside a server: the panel itself
            return view
        view.server_doc(document, title=document.title, location=False)
        return None  # the document is complete: pn.serve adds nothing

    route.__name__ = route.__qualname__ = name
    route.__doc__ = doc
    return route


kpis = embedded("kpis", "The six headline figures of a county (or the prefecture).")
county_map = embedded("map", "The county map, coloured by ``metric`` (rate, allocated, leverage, monitored, warnings).")
pace = embedded("pace", "The disbursement curve of the year against the F1 milestones.")
warnings = embedded("warnings", "The warnings of the policy rules with their basis.")
scorecard = embedded("scorecard", "One county's scorecard on the assessment rubric.")
