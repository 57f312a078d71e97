"""Reading the pages' opening views ahead of the leaders, while the server has nothing else to do.

A county change whose reads are cached costs the server about 100 ms; one that has to read a
county nobody opened since the server started, or since the last import, costs 250-350 ms at
scale 10 (docs/performance-log.md).  A served process therefore keeps a :class:`PageWarmer`: a
daemon thread that, whenever no viewer's load has started or ended for
:data:`~.loaders.QUIET_SECONDS`, builds the stores of the views the pages open on (each county of
the county and transition pages, for the whole prefecture and for each county's officials) with
the viewers' own scopes, so their reads land in the process's read caches
(:mod:`.loaders`).  It builds stores only: no view, nothing sent anywhere (its thread holds an
empty document of its own, so a store's load never holds a viewer's), and every read goes
through the same scoped loaders a viewer's page calls.

It steps aside at once for the viewers: its reads run one after another on its own thread,
never on the pages' reader threads, and it stops before its next read as soon as a viewer's load
starts (:class:`~.loaders.Yielded`), taking up the remaining views once the process is quiet
again.  It looks every ``period`` seconds whether the data changed (the same two single-row
reads a page makes before each load) and reads the views again after any write; once
:mod:`fundwatch.data.health` says the database does not answer, it stops before its next view and
waits for the monitor to see it back.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable

from bokeh.document import Document
from panel.io.state import set_curdoc

from fundwatch.data import db, health

from . import loaders as L

log = logging.getLogger(__name__)

#: Seconds between two looks at whether the data changed (or a viewer's load ended).
PERIOD_SECONDS = 2.0

#: Stores built between two full collections: a store is reference cycles, which the served
#: process's collector (``dashboards.app.settle_heap``) would leave until its next full pass.  A
#: scale-10 pass on SQLite (101 views): every 10 stores +44 MB of resident memory in 14.9 s; after
#: every store +41 MB in 20 s (a collection takes 30-60 ms); none +60 MB in 14.8 s.
COLLECT_EVERY = 10

#: A view to keep read: a key naming it (page, scope, region, date) and the function that builds
#: its store (the store's first load reads everything the view shows).
View = tuple[Hashable, Callable[[], object]]


class PageWarmer:
    """A daemon thread keeping the reads of ``views()`` cached at the current data (see the module
    docstring).  ``views`` is called on every look (its list may change with the day); ``url`` is
    the database the views read.  ``rounds`` counts the complete passes over the views, ``built``
    the stores built, ``last_seconds`` what the last complete pass took (its reads and the waits
    it stepped aside for)."""

    def __init__(self, url: str, views: Callable[[], Iterable[View]], period: float = PERIOD_SECONDS):
        self.url, self.views, self.period = url, views, period
        self.rounds = self.built = 0
        self.last_seconds: float | None = None
        self._done = None  # the (data state, view keys) of the last complete pass
        self._target = None  # the state the pending views are being read for
        self._pending: list[View] = []
        self._started = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fundwatch-warmer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def idle(self) -> bool:
        """Whether the last look found every view read at the current data."""
        return self._done is not None and self._done == self._target and not self._pending

    def _run(self) -> None:
        L.warming(True)
        # A document of the thread's own, with no session: Panel takes the document a store's
        # load holds its events on from Bokeh's current document, which is the process's, not
        # the thread's; while the server's loop ran a viewer's callback, a store built here held
        # and then dispatched that viewer's events from this thread (a session callback added
        # twice, an error in the log).
        with set_curdoc(Document()):
            self._loop()

    def _loop(self) -> None:
        while not self._stop.wait(self.period):
            if L.quiet_for() < L.QUIET_SECONDS or not health.monitor(self.url).ok:
                continue
            try:
                self._step()
            except L.Yielded:
                pass  # a viewer's load started: the rest waits for the next quiet look
            except db.UNAVAILABLE as exc:
                log.info("pages not read ahead now: the database does not answer (%s)", type(exc).__name__)
            except Exception:  # noqa: BLE001 - the thread must outlive anything one pass meets
                log.exception("reading the pages ahead failed")
                self._pending = []  # no retry loop on a view that fails: the next write starts afresh

    def _step(self) -> None:
        views = list(self.views())
        state = (L.data_version(self.url), tuple(key for key, _ in views))
        if state == self._done:
            return
        if state != self._target:
            self._target, self._pending, self._started = state, list(views), time.monotonic()
        monitor = health.monitor(self.url)
        while self._pending:
            # Before every view: a viewer's load, or the database gone (a pooled SQLite connection
            # still reads a file moved away, so the reads alone would not say so).
            if self._stop.is_set() or L.quiet_for() < L.QUIET_SECONDS or not monitor.ok:
                raise L.Yielded
            _, build = self._pending[0]
            stale = getattr(build(), "stale", False)
            self.built += 1
            if self.built % COLLECT_EVERY == 0:
                gc.collect()  # the stores are reference cycles: freed now, not at the next full pass
            if stale:
                return  # the database went away during the load (it said so): this view again later
            self._pending.pop(0)
        self._done = state
        self.rounds += 1
        self.last_seconds = time.monotonic() - self._started
        log.info("pages read ahead: %d views in %.1f s", len(views), self.last_seconds)


__all__ = ["COLLECT_EVERY", "PERIOD_SECONDS", "PageWarmer", "View"]
