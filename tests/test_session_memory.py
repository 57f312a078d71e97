"""Closed sessions leave nothing behind in the server process.

The drill-down page is served from this process (Panel's server in a thread with Bokeh's
unused-session lifetime of 15 s, checked every 0.3 s: a page whose websocket closed is discarded
at the next check, :func:`fundwatch.dashboards.app.release_when_closed`) and opened and closed
as a browser does, without the browser (:class:`benchmarks.sessions.PageVisit`: the GET that
creates the session, its websocket, the document pulled).  Once Bokeh has discarded the closed
sessions, the objects left alive are counted with :mod:`gc`:

no document, store or page view of a closed session stays alive.  (What a closed session
does leave is bounded: pandas keeps on every long-lived frame a weak reference to each frame
derived from it and prunes the dead ones only once hundreds have piled up; see
docs/performance-log.md.)
"""

from __future__ import annotations

import asyncio
import gc
import time
import urllib.request
import warnings

import pytest
from bokeh.document import Document
from dashboard_fixtures import demo_db, served_in_thread  # noqa: F401 - fixture

from benchmarks.sessions import PageVisit
from fundwatch.components.cards import StoreView
from fundwatch.components.stores import DashboardStore
from fundwatch.dashboards import app

pytestmark = pytest.mark.slow

PAGE = "/county"
COUNTIES = ("360731", "360732", "360733", "360734")
WARM = 8  # fills the read caches for every county visited
CLOSED = 16


@pytest.fixture
def page_server(demo_db, monkeypatch):  # noqa: F811 - fixture
    """The app's pages served from a thread of this process on a free loopback port (demo mode)."""
    collect()  # what earlier tests left unreferenced is finalised now, not in the server's thread
    with served_in_thread(app.route_table(), demo_db, monkeypatch, check_unused_sessions_milliseconds=300) as base:
        yield base


def visit(base: str, count: int, start: int = 0) -> None:
    """Open ``count`` sessions of the page one after another, closing each once it is shown."""

    async def run() -> None:
        for i in range(start, start + count):
            query = f"year=2024&as_of=2024-06-30&county={COUNTIES[i % len(COUNTIES)]}"
            await (await PageVisit(base, PAGE, query).open()).close()

    asyncio.run(run())


def held_stores(base: str) -> int:
    """The stores alive while one session of the page is open (the page was built, not refused)."""

    async def run() -> int:
        page = await PageVisit(base, PAGE, f"year=2024&as_of=2024-06-30&county={COUNTIES[0]}").open()
        collect()
        count = live(gc.get_objects(), DashboardStore)
        await page.close()
        return count

    return asyncio.run(run())


def discarded() -> list:
    """The objects alive once Bokeh has discarded the closed sessions (after a full collection)."""
    time.sleep(3)  # closed sessions go at the next check (0.3 s), long before their lifetime (15 s)
    collect()
    return gc.get_objects()


def collect() -> None:
    """A full collection.  It may finalise what earlier tests of the process left unreferenced (a
    client socket they did not close): their resource warnings are not this test's subject."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def live(objects: list, kind: type) -> int:
    return sum(1 for o in objects if isinstance(o, kind))


def test_closed_sessions_leave_nothing_alive(page_server, capsys):
    visit(page_server, WARM)
    before = discarded()
    assert held_stores(page_server) > live(before, DashboardStore)  # an open page holds its store: it was built
    before = discarded()
    # Earlier tests of the same process may hold stores and views of their own: only growth counts.
    documents_before, stores_before, views_before = (live(before, kind) for kind in (Document, DashboardStore, StoreView))
    del before
    collections = app.COLLECTOR.collections
    visit(page_server, CLOSED, start=WARM)
    after = discarded()
    assert app.COLLECTOR.collections > collections  # the server collected the discarded sessions itself
    assert live(after, Document) <= documents_before  # the sessions' documents are gone
    assert live(after, DashboardStore) <= stores_before  # ... and with them their stores and views
    assert live(after, StoreView) <= views_before
    del after
    assert "Traceback" not in capsys.readouterr().out  # every page was built, none refused with an error


def test_a_page_not_yet_connected_keeps_its_session(page_server):
    """A page whose websocket has not arrived (a browser still loading it in a busy burst) keeps
    its session for the whole lifetime: only a closed websocket ends a session early."""
    before = discarded()
    documents_before = live(before, Document)
    del before
    query = f"year=2024&as_of=2024-06-30&county={COUNTIES[1]}"
    with urllib.request.urlopen(f"{page_server}{PAGE}?{query}", timeout=60) as response:
        assert response.status == 200
    after = discarded()
    assert live(after, Document) > documents_before  # the GET built a document that is still held


def test_the_garbage_of_loads_is_collected_once_quiet(page_server):
    """A county change in an open page is followed, once the server has been quiet for a moment,
    by one full collection (:func:`fundwatch.dashboards.app.collect_after_loads`): with many
    sessions open, rounds of changes no longer pile up their garbage until the collector's own
    rare full pass."""

    async def run() -> tuple[int, float, float]:
        page = await PageVisit(page_server, PAGE, f"year=2024&as_of=2024-06-30&county={COUNTIES[0]}").open()
        await asyncio.sleep(3)  # the page's first load and any collection it brought are over
        collections = app.COLLECTOR.collections
        await page.move(COUNTIES[2])
        deadline = time.monotonic() + 10
        while app.COLLECTOR.last_collection <= app.COLLECTOR.last_work or app.COLLECTOR.collections == collections:
            if time.monotonic() > deadline:
                break
            await page.drain()
            await asyncio.sleep(0.1)
        result = app.COLLECTOR.collections - collections, app.COLLECTOR.last_work, app.COLLECTOR.last_collection
        await page.close()
        return result

    started = time.monotonic()
    collected, last_work, last_collection = asyncio.run(run())
    assert last_work > started  # the move's load ended in this test
    assert collected == 1  # one collection for the move, while the page stays open
    assert last_collection >= last_work + app.COLLECT_AFTER_S  # ... once the loads had stopped for a second
