"""The frame every panel sits in: a titled card with CSV and Excel downloads of exactly what it
shows (each one audited, see :meth:`.stores.DashboardStore.export`); and the page's loading bar."""

from __future__ import annotations

import base64
import html
import io
import logging
import weakref
from collections.abc import Callable
from typing import ClassVar

import panel as pn
import param
from panel.viewable import Layoutable

from . import export, theme
from .i18n import t
from .stores import DashboardStore

log = logging.getLogger(__name__)


#: Panel's layout settings (sizes, margins, alignment, visibility, styles): given to a view, they
#: are its layout's (:class:`StoreView`).
LAYOUT_SETTINGS = frozenset(name for name in Layoutable.param if name != "name")


class StoreView(pn.viewable.Viewer):
    """A view of a store: the layout is built once in ``__init__`` and kept in ``_layout``, which
    is what the view shows.

    Layout settings given to a view (:data:`LAYOUT_SETTINGS`, e.g. ``margin``, ``visible``) are set
    on its layout when the view is first shown (on the innermost one: a chart's layout is its
    card, a view too); :func:`layout_of` gives that layout at once.  A view is a plain
    ``Viewer``: it adds no model and no object to the page.  (As a Panel ``PyComponent`` each view
    kept its own layout settings in step with its layout's, two ways, which was about an eighth of
    building a page: a page holds 20-40 views.)"""

    store = param.ClassSelector(class_=DashboardStore, doc="The store whose frames the view shows.")

    _layout: pn.viewable.Viewable

    def __init__(self, **params):
        settings = {name: params.pop(name) for name in list(params) if name in LAYOUT_SETTINGS}
        super().__init__(**params)
        self._settings = settings

    def __repr__(self) -> str:
        """Short, unlike a ``Parameterized``'s (every parameter's value: the store and its frames).
        Panel writes out the functions a styled table applies (a view's bound methods among them)
        each time it styles the table: with the long form, 15 ms more per transition-page county
        change."""
        return f"{type(self).__name__}({type(self.store).__name__})"

    def __panel__(self):
        if self._settings:
            settings, self._settings = self._settings, {}
            layout_of(self._layout).param.update(settings)
        _SHOWN_BY[self._layout] = weakref.ref(self)  # weak both ways: the view holds its layout
        return self._layout


#: A weak reference to what shows a view's layout (the view; a view's card is shown by its view),
#: for :func:`views_in`.  Neither side is held: the entry goes with the layout.
_SHOWN_BY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def views_in(viewable, kind: type = StoreView) -> list:
    """The views of ``kind`` that ``viewable`` (a page, any Panel object) shows, in layout order:
    a view adds no object of its own to a page, so Panel's ``select`` does not find it."""
    found = []
    for item in (viewable, *viewable.select()):
        view = _shown_by(item)
        while view is not None:
            if isinstance(view, kind) and view not in found:
                found.append(view)
            view = _shown_by(view)
    return found


def _shown_by(item):
    shown_by = _SHOWN_BY.get(item)
    return shown_by() if shown_by is not None else None


def layout_of(item) -> pn.viewable.Viewable:
    """The Panel object that shows ``item``: a view's layout (its innermost, with the settings the
    view was given), anything else as it is."""
    while isinstance(item, StoreView):
        item.__panel__()
        item = item._layout
    return item


class DownloadButtons(pn.custom.JSComponent):
    """Download buttons drawn by the browser as one element, after an optional title.  A click
    sends the button's format to the server; the ``request`` callable given at construction
    returns ``(bytes, filename)`` for it, which come back in one message and are saved by the
    browser under that name.  While a file is on its way its button is disabled; a failed request
    only re-enables it (the requester reports the failure).

    A card's title and its buttons are one element (one Bokeh model instead of a row holding a
    text pane and the buttons): a page holds a dozen cards, and every model is memory per session
    and time per page build."""

    labels = param.List(default=[], item_type=list, doc="[format, label] per button, in order.")
    title = param.String(default="", allow_refs=True,
                         doc="HTML before the buttons, taking the free width (a card's title); '' for none.")

    _esm = """
export function render({ model, el }) {
  const head = document.createElement("div")
  head.className = "fw-head"
  const title = document.createElement("div")
  title.className = "fw-head-title"
  const row = document.createElement("div")
  row.className = "fw-dls"
  const buttons = new Map()
  const retitle = () => {
    title.innerHTML = model.title
    title.hidden = !model.title
  }
  const draw = () => {
    row.replaceChildren()
    buttons.clear()
    for (const [fmt, label] of model.labels) {
      const button = document.createElement("button")
      button.type = "button"
      button.className = "fw-dl"
      button.textContent = label
      button.addEventListener("click", () => {
        button.disabled = true
        model.send_msg({ fmt })
      })
      buttons.set(fmt, button)
      row.append(button)
    }
  }
  retitle()
  draw()
  head.append(title, row)
  el.append(head)
  model.on("title", retitle)
  model.on("labels", draw)
  model.on("msg:custom", (msg) => {
    const button = buttons.get(msg.fmt)
    if (button) { button.disabled = false }
    if (!msg.data) { return }
    const bytes = Uint8Array.from(atob(msg.data), (c) => c.charCodeAt(0))
    const url = URL.createObjectURL(new Blob([bytes], { type: msg.mime }))
    const link = document.createElement("a")
    link.href = url
    link.download = msg.filename
    document.body.append(link)
    link.click()
    link.remove()
    setTimeout(() => URL.revokeObjectURL(url), 10000)
  })
}
"""
    _stylesheets: ClassVar[list[str]] = [theme.TEXT_CSS, f"""
:host {{ display: flex; align-items: center; }}
.fw-head {{ display: flex; gap: 6px; align-items: center; width: 100%; }}
.fw-head-title {{ flex: 1 1 auto; min-width: 0; }}
.fw-dls {{ display: flex; gap: 6px; align-items: center; margin-left: auto; }}
.fw-dl {{ font: 12px {theme.FONT}; color: {theme.BLUE}; background: #fff; border: 1px solid {theme.BLUE};
         border-radius: 4px; height: 30px; min-width: 72px; padding: 2px 6px; cursor: pointer; white-space: nowrap; }}
.fw-dl:hover {{ background: {theme.BLUE}; color: #fff; }}
.fw-dl:disabled {{ opacity: 0.6; cursor: progress; }}
"""]

    def __init__(self, request: Callable[[str], tuple[bytes, str]], **params):
        super().__init__(**params)
        self._request = request

    def _handle_msg(self, msg) -> None:
        fmt = msg.get("fmt") if isinstance(msg, dict) else None
        if fmt not in export.MIME:
            return
        try:
            data, name = self._request(fmt)
        except export.ExportNotAudited:  # logged, and told to the viewer, by the requester
            self._send_msg({"fmt": fmt})
            return
        except Exception:
            log.exception("the %s download failed", fmt)
            self._send_msg({"fmt": fmt})
            return
        self._send_msg({"fmt": fmt, "filename": name, "mime": export.MIME[fmt],
                        "data": base64.b64encode(data).decode("ascii")})


class ExportButtons(DownloadButtons):
    """CSV and Excel downloads of a table or chart, with the filters and the export time (and,
    in a card, the card's title before them).

    Every download writes an audit row first (the store's actor and surface, the kind, format and
    row count); when that fails the download fails, the error is logged and the store's notice
    tells the viewer."""

    # Server-side only: kept out of the browser's model (a negative precedence) and its sync (None).
    _rename: ClassVar[dict[str, str | None]] = {"store": None, "kind": None, "shown": None}
    store = param.ClassSelector(class_=DashboardStore, precedence=-1, doc="The store whose frames are exported.")
    kind = param.String(precedence=-1, doc="The table kind (see DashboardStore.shown); names the file.")
    shown = param.Callable(allow_refs=False, precedence=-1,
                           doc="Returns the Shown to export; default store.shown(kind).")

    def __init__(self, **params):
        params.setdefault("margin", (0, 0, 0, 6))
        params.setdefault("align", "center")
        super().__init__(self._download, **params)
        self.labels = self._labels()
        self.store.param.watch(self._relabel, ["lang"])

    def _labels(self) -> list[list[str]]:
        return [[fmt, "⤓ " + t(f"export.{fmt}", self.store.lang)] for fmt in export.FORMATS]

    def _relabel(self, *_) -> None:
        self.labels = self._labels()

    def _download(self, fmt: str) -> tuple[bytes, str]:
        return self._file(fmt).getvalue(), export.filename(self.kind, fmt)

    def _file(self, fmt: str) -> io.BytesIO:
        shown = self.shown() if self.shown is not None else None
        try:
            return io.BytesIO(self.store.export(self.kind, fmt, shown))
        except export.ExportNotAudited:
            self.store.notice = t("export.not_audited", self.store.lang)
            raise


class BusyBar(StoreView):
    """The one sign that a page (or an embedded panel) is loading its figures: a thin bar along the
    top of the window (``inline``: of the panel) while the store is ``busy``.

    The page's cards used to show Panel's loading indicator each, bound to ``busy``: twenty
    cards' classes set and reset on every load, 8.7 ms each way on the transition page (6.3 on
    the county page) of the server's time per county change, and all for nothing on a drop-down's
    choice, whose indicator reaches the browser with the figures (:class:`~.controls.Choice`).
    Here a load changes one pane's text.  The bar fades in only after a quarter of a second
    (``theme.BUSY_CSS``): a load that ends sooner shows nothing, a longer one (an address
    change, a slow database, a reload after an outage) a moving bar; screen readers hear that the
    page is loading."""

    inline = param.Boolean(default=False, doc="Along the top of the panel (an embedded one), not of the window.")

    def __init__(self, **params):
        super().__init__(**params)
        self._layout = pn.pane.HTML(pn.bind(self._html, self.store.param.busy, self.store.param.lang),
                                    stylesheets=[theme.BUSY_CSS], sizing_mode="stretch_width", height=0, margin=0)

    def _html(self, busy: bool, lang: str) -> str:
        if not busy:
            return ""
        where = " fw-inline" if self.inline else ""
        return f'<div class="fw-busy{where}" role="progressbar" aria-label="{html.escape(t("loading", lang))}"></div>'


class DataCard(StoreView):
    """A panel: title and downloads, an optional note, the content.

    Three models and a view's own: the card's column, its heading (the title and the download
    buttons in one element, or a text pane when nothing is exported), the note's text pane."""

    kind = param.String(default=None, allow_None=True, doc="Table kind exported by the buttons (None: no export).")
    title = param.Callable(allow_refs=False, doc="Returns the title as HTML (see heading); a depends-method.")
    note = param.Callable(default=None, allow_refs=False, doc="Returns a note as HTML (see note), '' for none.")
    body = param.Parameter(allow_refs=False, doc="The content.")
    shown = param.Callable(default=None, allow_refs=False,
                           doc="Returns the Shown to export (default store.shown(kind)).")

    def __init__(self, **params):
        super().__init__(**params)
        if self.kind:
            header = ExportButtons(store=self.store, kind=self.kind, shown=self.shown, title=self.title,
                                   sizing_mode="stretch_width", margin=0)
        else:
            header = theme.html(self.title, sizing_mode="stretch_width", margin=0)
        parts = [header]
        if self.note is not None:
            parts.append(theme.html(self.note, sizing_mode="stretch_width", margin=0))
        self._layout = pn.Column(*parts, self.body, sizing_mode="stretch_width", margin=6,
                                 stylesheets=[theme.CARD_CSS], css_classes=["fw-card"])


def heading(text: str) -> str:
    """A card title as HTML (what ``DataCard.title`` callables return)."""
    return f'<div class="fw-card-title">{html.escape(text)}</div>'


def note(text: str) -> str:
    """A note under a card title as HTML ('' for none)."""
    return f'<p class="fw-note">{html.escape(text)}</p>' if text else ""


def card(view: StoreView, kind: str | None, title: Callable[[], str], body, *, note=None, shown=None,
         **layout) -> DataCard:
    """The card of ``view`` (shorthand used by every view)."""
    return DataCard(store=view.store, kind=kind, title=title, body=body, note=note, shown=shown, **layout)




__all__ = ["LAYOUT_SETTINGS", "BusyBar", "DataCard", "DownloadButtons", "ExportButtons", "StoreView", "card", "heading", "layout_of", "note", "views_in"]
