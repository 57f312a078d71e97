"""Server-side time to build each page and to react to a county change.

A page build is what one browser request costs the server: the store's first load and every
view rendered into a fresh Bokeh document, as ``fundwatch serve`` does per session.  "cold" runs
start from empty read caches (the first leader of the day); "warm" runs share them (the next
leader).  A county change sets ``county`` on a rendered drill-down page: the store reloads and
every panel updates its Bokeh models in place.  Browser time comes on top of these figures.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import numpy as np
from bokeh.document import Document
from panel.io.state import set_curdoc

from fundwatch.components import clear_caches
from fundwatch.components.scoring import ScoringStore
from fundwatch.components.stores import CountyStore
from fundwatch.components.transition import TransitionStore
from fundwatch.dashboards import app, county, overview, scoring, transition
from fundwatch.data import db, demo, schema

YEAR, AS_OF = 2024, dt.date(2024, 6, 30)
COUNTIES = ("360731", "360732", "360730", "360703", "360781", "360733", "360734", "360722")


def demo_database(scale: float, folder: Path) -> str:
    path = folder / f"bench-{scale:g}.db"
    engine = db.get_engine(str(path), create=True)
    schema.upgrade(engine)
    demo.load_demo(engine, scale=scale)
    return str(path)


def render(store, module) -> Document:
    """The page of ``module`` for ``store`` in a fresh document, as a session gets it."""
    document = Document()
    with set_curdoc(document):
        page = app.page(store, "/", *module.layout(store), title_key="app.title")
        document.add_root(page.get_root(document))
    return document


def build(module, store_class, **state) -> Callable[[], None]:
    def run() -> None:
        with set_curdoc(Document()):
            store = store_class(engine=app.engine(), scope=app.current_scope(), **{**DATED, **state})
        render(store, module)
    return run


DATED = {"year": YEAR, "as_of": AS_OF}
SCORING = {"rubric": "chaoyang-2020-sector", "year": 2020}


def timed(run: Callable[[], None], repeat: int, before: Callable[[], None] | None = None) -> list[float]:
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def county_changes(repeat: int, cold: bool, module=county, store_class=CountyStore) -> list[float]:
    store = store_class(engine=app.engine(), scope=app.current_scope(), year=YEAR, as_of=AS_OF, county=COUNTIES[0])
    document = render(store, module)
    times = []
    with set_curdoc(document):  # as in a session: the store's updates are held and batched on it
        for step in range(repeat):
            if cold:
                clear_caches()
            code = COUNTIES[(step + 1) % len(COUNTIES)]
            started = time.perf_counter()
            store.county = code
            times.append(time.perf_counter() - started)
    return times


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def run(db_url: str | None, scale: float, repeat: int, out: TextIO) -> None:
    warnings.filterwarnings("ignore", message="The inplace keyword in DataFrame.reset_index")  # bokeh 3.9 + pandas 3.1
    with tempfile.TemporaryDirectory() as folder:
        if db_url is None:
            started = time.perf_counter()
            db_url = demo_database(scale, Path(folder))
            print(f"demo database at scale {scale:g} built in {time.perf_counter() - started:.1f} s", file=out)
        import os

        os.environ[db.ENV_URL] = db_url
        app.load_extensions()
        build(overview, overview.OverviewStore)()  # imports and first-use costs out of the figures
        figures = {
            "overview page, cold": timed(build(overview, overview.OverviewStore), repeat, clear_caches),
            "overview page, warm": timed(build(overview, overview.OverviewStore), repeat),
            "county page, cold": timed(build(county, CountyStore, county=COUNTIES[0]), repeat, clear_caches),
            "county page, warm": timed(build(county, CountyStore, county=COUNTIES[0]), repeat),
            "county change, cold": county_changes(repeat, cold=True),
            "county change, warm": county_changes(repeat, cold=False),
            "transition page, cold": timed(build(transition, TransitionStore, county=COUNTIES[0]), repeat, clear_caches),
            "transition page, warm": timed(build(transition, TransitionStore, county=COUNTIES[0]), repeat),
            "transition change, warm": county_changes(repeat, cold=False, module=transition,
                                                      store_class=TransitionStore),
            "scoring page, cold": timed(build(scoring, ScoringStore, **SCORING), repeat, clear_caches),
            "scoring page, warm": timed(build(scoring, ScoringStore, **SCORING), repeat),
        }
        print(f"\nserver-side times over {repeat} runs, {db.normalise_url(db_url)}", file=out)
        print(f"{'':26}{'median':>10}{'p95':>10}{'min':>10}", file=out)
        for name, times in figures.items():
            print(f"{name:26}{statistics.median(times):>9.3f}s{p95(times):>9.3f}s{min(times):>9.3f}s", file=out)
        db.dispose_all()
