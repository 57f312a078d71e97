"""Server-side time to build each page and to react to a county change.

A page build is what one browser request costs the server: the store's first load, every view
rendered into a fresh Bokeh document and that document serialised for the browser, as
``fundwatch serve`` does per session.  "cold" runs start from empty read caches in the process
(the first leader after a restart or a write, or the first to open that county); the policy
rules' findings then come from their snapshot kept in the database (``fundwatch.data.rules.stored``,
filled ahead by the server's warmer; what evaluating them afresh costs is the reads suite's
"policy rules" naive figure).  "warm" runs find the caches filled (the next leader).  Each built
document is then discarded as the server discards a closed session's (untimed), and the
process's loaded libraries are set aside from the garbage collector first, as ``fundwatch serve``
does (:func:`~fundwatch.dashboards.app.settle_heap`): the builds run in a heap like a server's,
not one that grows with every build; and like a server's, they skip Bokeh's check of each
callback's signature (:func:`~fundwatch.dashboards.app.skip_callback_checks`).  A county change sets ``county`` on a rendered page, as the
county selector does: the store reloads, every panel updates its Bokeh models in place, and the
changes are serialised into the patch the session sends.  Browser time comes on top of these
figures.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import psutil
from bokeh.document import Document
from bokeh.protocol import Protocol
from panel.io.document import _cleanup_doc
from panel.io.state import set_curdoc, state

from benchmarks.stats import summary, table, timed
from fundwatch.components import clear_caches, loaders, warming
from fundwatch.components.scoring import ScoringStore
from fundwatch.components.stores import FIRST_RECORD_LIST, CountyStore
from fundwatch.components.transition import TransitionStore
from fundwatch.dashboards import app, county, overview, scoring, transition
from fundwatch.data import db, demo, schema

YEAR, AS_OF = 2024, dt.date(2024, 6, 30)
COUNTIES = ("360731", "360732", "360730", "360703", "360781", "360733", "360734", "360722")
SCORING = {"rubric": "chaoyang-2020-sector", "year": 2020}
PROTOCOL = Protocol()


def demo_database(scale: float, folder: Path) -> str:
    """A fresh SQLite demo database at ``scale`` in ``folder``; its URL."""
    path = folder / f"bench-{scale:g}.db"
    engine = db.get_engine(str(path), create=True)
    schema.upgrade(engine)
    demo.load_demo(engine, scale=scale)
    return str(path)


def render(store, module) -> Document:
    """The page of ``module`` for ``store`` in a fresh document, serialised as a session sends it.

    The document is marked as built on this thread and as connected, as Panel marks a served
    session's (``panel.io.application``, and ``state._on_load`` once its browser connects).
    Unmarked, the events of every update made under Panel's ``hold`` were dropped at the end of
    the hold, as they are before a browser connects (the full document is sent then), instead of
    reaching the document's change callbacks: :func:`changes` timed a change's updates without
    serialising most of its patch (4 of the 29 events of a county page's change reached it)."""
    document = Document()
    with set_curdoc(document):
        state._thread_id = threading.get_ident()
        state._connected[document] = True
        page = app.page(store, "/", *module.layout(store), title_key="app.title")
        document.add_root(page.get_root(document))
    document.to_json()
    return document


def discard(document: Document) -> None:
    """What the server does with a session's document when the session ends: the views' models
    are cleaned up and unregistered, and the document destroyed.  Without it every build would
    stay registered in Panel's state and the heap would grow with each run."""
    _cleanup_doc(document)


PAGES = {
    "overview": (overview, overview.OverviewStore, {"year": YEAR, "as_of": AS_OF}),
    # as the page makes its store (dashboards/county.py): only the record list its tabs open on reads
    "county": (county, CountyStore, {"year": YEAR, "as_of": AS_OF, "county": COUNTIES[0],
                                     "lists_shown": (FIRST_RECORD_LIST,)}),
    "transition": (transition, TransitionStore, {"year": YEAR, "as_of": AS_OF, "county": COUNTIES[0]}),
    "scoring": (scoring, ScoringStore, SCORING),
}


def build(page: str) -> Callable[[], Document]:
    module, store_class, state = PAGES[page]

    def run() -> Document:
        with set_curdoc(Document()):
            store = store_class(engine=app.engine(), scope=app.current_scope(), **state)
        return render(store, module)
    return run


#: What a timed change finds in the read caches (see :func:`changes`).
CACHES = ("cold", "after a write", "warm")


def changes(page: str, parameter: str, values: tuple[str, ...], repeat: int, caches: str) -> list[float]:
    """Times of setting ``parameter`` on a rendered page, cycling through ``values``, each until the
    session's patch is serialised (no read-ahead runs: :func:`read_ahead` has its own figure).

    ``caches`` is one of :data:`CACHES`.  "cold" empties the read caches before each change, then
    loads the page as it stands again (untimed): the new value's reads are not cached, what the
    open page has read is (a leader on a page picking a county nobody opened since the server
    started).  "after a write" leaves that reload out, so the change finds no read cached at all,
    as the first change on a page left open while an import or edit landed does.  "warm" first
    visits every value once, so each timed change finds its reads cached (another leader looked
    at that county before)."""
    if caches not in CACHES:
        raise ValueError(f"caches must be one of {CACHES}, not {caches!r}")
    module, store_class, state = PAGES[page]
    with set_curdoc(Document()):
        store = store_class(engine=app.engine(), scope=app.current_scope(), **state)
    document = render(store, module)
    events = []
    document.on_change(events.append)
    times = []
    with set_curdoc(document):  # as in a session: the store's updates are held and batched on it
        if caches == "warm":
            for value in (*values[1:], values[0]):
                setattr(store, parameter, value)
        for step in range(repeat):
            if caches != "warm":
                clear_caches()
            if caches == "cold":
                store.reload()  # what the open page shows is read (and cached) again
            events.clear()
            started = time.perf_counter()
            setattr(store, parameter, values[(step + 1) % len(values)])
            if events:
                PROTOCOL.create("PATCH-DOC", events).content_json  # noqa: B018 - the serialisation is the cost
            times.append(time.perf_counter() - started)
    discard(document)
    return times


def run(db_url: str, repeat: int, out: TextIO) -> dict[str, dict[str, float]]:
    """Print and return the page figures (name -> summary in seconds) for the database at ``db_url``."""
    warnings.filterwarnings("ignore", message="The inplace keyword in DataFrame.reset_index")  # bokeh 3.9 + pandas 3.1
    os.environ[db.ENV_URL] = db_url
    app.load_extensions()
    discard(build("overview")())  # imports and first-use costs out of the figures
    app.settle_heap()
    app.skip_callback_checks()
    units = ("360731", "360732", "360730", "360781")
    figures = {}
    for page in PAGES:
        figures[f"{page} page build, cold"] = timed(build(page), repeat, clear_caches, discard)
        figures[f"{page} page build, warm"] = timed(build(page), repeat, after=discard)
    for page in ("county", "transition"):
        for caches in CACHES:
            figures[f"{page} county change, {caches}"] = changes(page, "county", COUNTIES, repeat, caches)
    figures["scoring unit change, warm"] = changes("scoring", "unit", units, repeat, "warm")
    figures = {name: summary(times) for name, times in figures.items()}
    table(f"pages: server-side times over {repeat} runs", figures, out)
    figures["read-ahead pass"] = read_ahead(out)
    db.dispose_all()
    return figures


def read_ahead(out: TextIO, timeout: float = 900) -> dict:
    """What a served process's read-ahead (:mod:`fundwatch.components.warming`) costs: one whole
    pass over the views the pages open on (:func:`~fundwatch.dashboards.app.opening_pages`, at
    today's date) from empty read caches, on its one thread with nothing else running; and the
    process's resident memory before and after it (the read caches it filled, and what the
    allocator keeps of the pass).  Once it has run, a county change at the opening date finds
    its reads cached: the "warm" figures above."""
    clear_caches()
    gc.collect()
    process = psutil.Process()
    before = process.memory_info().rss
    warmer = warming.PageWarmer(loaders.engine_key(app.engine()), app.opening_pages, period=0.1)
    deadline = time.monotonic() + timeout
    try:
        while not warmer.idle and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        warmer.stop()
        warmer.join(timeout)
    after = process.memory_info().rss
    figure = {"views": warmer.built, "seconds": warmer.last_seconds, "done": warmer.idle,
              "rss_before_mb": before / 2**20, "rss_after_mb": after / 2**20}
    seconds = "not finished" if warmer.last_seconds is None else f"{warmer.last_seconds:.1f} s"
    out.write(f"read-ahead: {warmer.built} views of the opening date read in {seconds} on one thread "
              f"(RSS {figure['rss_before_mb']:.0f} -> {figure['rss_after_mb']:.0f} MB); a county change at "
              f"that date then finds its reads cached (the warm figures above)\n")
    return figure
