"""The frame every panel sits in: a titled card with CSV and Excel downloads of exactly what it
shows (each one audited, see :meth:`.stores.DashboardStore.export`), and a loading indicator
while its store loads."""

from __future__ import annotations

import html
import io
from collections.abc import Callable

import panel as pn
import param

from . import export, theme
from .i18n import t
from .stores import DashboardStore


class StoreView(pn.custom.PyComponent):
    """A view of a store: the layout is built once in ``__init__`` and kept in ``_layout``."""

    store = param.ClassSelector(class_=DashboardStore, doc="The store whose frames the view shows.")

    _layout: pn.viewable.Viewable

    def __panel__(self):
        return self._layout


class ExportButtons(StoreView):
    """CSV and Excel downloads of a table or chart, with the filters and the export time.

    Every download writes an audit row first (the store's actor and surface, the kind, format and
    row count); when that fails the download fails, the error is logged and the store's notice
    tells the viewer."""

    kind = param.String(doc="The table kind (see DashboardStore.shown); names the file.")
    shown = param.Callable(allow_refs=False, doc="Returns the Shown to export; default store.shown(kind).")

    def __init__(self, **params):
        super().__init__(**params)
        self._buttons = {fmt: pn.widgets.FileDownload(
            callback=lambda fmt=fmt: self._file(fmt), filename=f"{self.kind}.{fmt}",
            label=pn.bind(lambda lang, fmt=fmt: "⤓ " + t(f"export.{fmt}", lang), self.store.param.lang),
            variant="outline", color="primary", width=78, height=30, margin=(0, 0, 0, 6),
            stylesheets=[":host .bk-btn { font-size: 12px; padding: 2px 6px; }"],
        ) for fmt in export.FORMATS}
        self._layout = pn.Row(*self._buttons.values(), margin=0, align="center")

    def _file(self, fmt: str) -> io.BytesIO:
        shown = self.shown() if self.shown is not None else None
        self._buttons[fmt].filename = export.filename(self.kind, fmt)
        try:
            return io.BytesIO(self.store.export(self.kind, fmt, shown))
        except export.ExportNotAudited:
            self.store.notice = t("export.not_audited", self.store.lang)
            raise


class DataCard(StoreView):
    """A panel: title, downloads, an optional note, the content; greyed while loading."""

    kind = param.String(default=None, allow_None=True, doc="Table kind exported by the buttons (None: no export).")
    title = param.Callable(allow_refs=False, doc="Returns the title as HTML (see heading); a depends-method.")
    note = param.Callable(default=None, allow_refs=False, doc="Returns a note as HTML (see note), '' for none.")
    body = param.Parameter(allow_refs=False, doc="The content.")
    shown = param.Callable(default=None, allow_refs=False,
                           doc="Returns the Shown to export (default store.shown(kind)).")

    def __init__(self, **params):
        super().__init__(**params)
        title = theme.html(self.title, sizing_mode="stretch_width", margin=0)
        header = [title]
        if self.kind:
            header.append(ExportButtons(store=self.store, kind=self.kind, shown=self.shown))
        parts = [pn.FlexBox(*header, flex_wrap="nowrap", justify_content="space-between", align_items="center",
                            sizing_mode="stretch_width", margin=0)]
        if self.note is not None:
            parts.append(theme.html(self.note, sizing_mode="stretch_width", margin=0))
        body = pn.Column(self.body, sizing_mode="stretch_width", margin=0, loading=self.store.param.busy)
        self._layout = pn.Column(*parts, body, sizing_mode="stretch_width", margin=6,
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




__all__ = ["DataCard", "ExportButtons", "StoreView", "card", "heading", "note"]
