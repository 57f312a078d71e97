"""The banner that tells an open page the database cannot be reached, and brings the page back.

Every served page carries a :class:`DatabaseBanner` in its frame.  Once a second it reads the
process's database monitor (:mod:`fundwatch.data.health`; reading it never waits for the
database): while the database does not answer the banner shows, and the page keeps the figures
of its last load; when it answers again the banner goes and the page's store loads afresh
(:meth:`~.stores.DashboardStore.reload`), as it also does after a load that failed on its own.
"""

from __future__ import annotations

import html

import panel as pn
import param

from fundwatch.data import health

from . import theme
from .i18n import t
from .stores import DashboardStore

#: Milliseconds between two looks of an open page at the monitor.
POLL_MS = 1000

BANNER_CSS = f"""
:host {{ font-family: {theme.FONT}; }}
.fw-db-down {{ background: #fff4e6; color: {theme.INK}; border-left: 6px solid {theme.ORANGE};
               border-bottom: 1px solid {theme.LINE}; padding: 10px 16px; font-size: 15px; }}
.fw-db-down b {{ color: {theme.ORANGE}; margin-right: 6px; }}
"""


class DatabaseBanner(pn.viewable.Viewer):
    """A notice over the page while the database is unreachable; reloads the store when it is back."""

    store = param.ClassSelector(class_=DashboardStore, doc="The page's store (language; reloaded on recovery).")
    url = param.String(default=None, allow_None=True,
                       doc="The database watched (default: FUNDWATCH_DB_URL, then the embedded default).")
    down = param.Boolean(default=False, doc="True while the database does not answer (the banner shows).")

    def __init__(self, **params):
        super().__init__(**params)
        self._monitor = health.monitor(self.url)
        self._layout = pn.pane.HTML(pn.bind(self._html, self.store.param.lang), visible=self.param.down,
                                    sizing_mode="stretch_width", margin=0, stylesheets=[BANNER_CSS])
        self.sync()
        doc = pn.state.curdoc
        if doc is not None and doc.session_context is not None:  # a served page: look every second
            pn.state.add_periodic_callback(self.sync, period=POLL_MS)

    @staticmethod
    def _html(lang: str) -> str:
        return f'<div class="fw-db-down" role="alert"><b>⚠</b>{html.escape(t("health.down", lang))}</div>'

    def sync(self) -> None:
        """Show or hide the banner after the monitor; reload the store once the database is back
        (and after a load that failed while the monitor still saw the database answer)."""
        if not self._monitor.ok:
            if not self.down:
                self.down = True
            return
        if self.down or self.store.stale:
            self.down = False
            if self.store.engine is not None:
                self.store.reload()

    def __panel__(self):
        return self._layout


__all__ = ["DatabaseBanner"]
