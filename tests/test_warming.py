"""The served process's read-ahead (fundwatch.components.warming): it fills the read caches of
the views it is given, steps aside for a viewer's load, reads again after a write, and reads
each view under the viewer's own scope."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import BACKENDS, new_demo_database

from fundwatch.components import clear_caches, frames, loaders, transition, warming
from fundwatch.components.stores import CountyStore
from fundwatch.components.transition import TransitionStore
from fundwatch.dashboards import app
from fundwatch.data import db, generation
from fundwatch.data.scope import Scope


def _misses() -> int:
    """Reads that went to the database through the cached loaders, so far."""
    return sum(c.cache_info().misses for c in (*loaders.CACHED, *frames.CACHED, *transition.CACHED))


def _wait(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the read-ahead did not finish in time"
        time.sleep(0.05)


@pytest.fixture(params=BACKENDS)
def written(request, tmp_path_factory):
    """A demo database of this module's own (the tests write to it)."""
    engine = new_demo_database(request.param, "warming", tmp_path_factory)
    yield engine
    clear_caches()
    engine.dispose()


def _views(engine, counties):
    everyone = Scope.all()
    views = []
    for code in counties:
        views.append((("county", code), lambda code=code: CountyStore(engine=engine, scope=everyone, county=code)))
        views.append((("transition", code),
                      lambda code=code: TransitionStore(engine=engine, scope=everyone, county=code)))
    return views


def _counties(engine) -> list[str]:
    return list(loaders.counties(loaders.engine_key(engine), Scope.all().key)["code"])[:3]


def test_a_read_ahead_leaves_every_view_read_and_reads_again_after_a_write(written):
    clear_caches()
    counties = _counties(written)
    url = loaders.engine_key(written)
    warmer = warming.PageWarmer(url, lambda: _views(written, counties), period=0.05)
    try:
        _wait(lambda: warmer.idle)
        assert warmer.rounds == 1 and warmer.built == 2 * len(counties)
        before = _misses()
        for code in counties:  # a leader's change to any of them now reads nothing
            store = TransitionStore(engine=written, scope=Scope.all(), county=code)
            assert store.household_list.total > 0
            CountyStore(engine=written, scope=Scope.all(), county=code)
        assert _misses() == before

        with db.writer(written).begin() as conn:  # any write moves the data generation
            generation.bump(conn)
        _wait(lambda: warmer.rounds == 2)
        assert warmer.built == 4 * len(counties)
        loaders.refresh(url)  # what the page's next load does first: the write is already seen
        before = _misses()
        TransitionStore(engine=written, scope=Scope.all(), county=counties[-1])
        assert _misses() == before
    finally:
        warmer.stop()
        warmer.join(10)
    assert not warmer._thread.is_alive()


def _on_warming_thread(call):
    """``call()`` on a thread marked as a warmer's; what it returned or raised."""
    out = {}

    def run():
        loaders.warming(True)
        try:
            out["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            out["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    return out


def test_a_warmers_reads_step_aside_for_a_viewers_load():
    ran = []
    loaders.note_activity()  # a viewer's load just started (this thread is not a warmer's)
    assert loaders.quiet_for() < loaders.QUIET_SECONDS
    out = _on_warming_thread(lambda: loaders.gather(a=lambda: ran.append("a"), b=lambda: ran.append("b")))
    assert isinstance(out.get("error"), loaders.Yielded) and ran == []


def test_a_warmer_reads_one_after_another_on_its_own_thread_and_is_no_activity(monkeypatch):
    monkeypatch.setattr(loaders, "_last_activity", time.monotonic() - 10 * loaders.QUIET_SECONDS)
    threads = []
    out = _on_warming_thread(lambda: (loaders.note_activity(),
                                      loaders.gather(a=lambda: threads.append(threading.get_ident()) or 1,
                                                     b=lambda: threads.append(threading.get_ident()) or 2)))
    assert out["value"][1] == {"a": 1, "b": 2}
    assert len(set(threads)) == 1 and threads[0] != threading.get_ident()  # the warmer's thread, not a reader's
    assert loaders.quiet_for() >= loaders.QUIET_SECONDS  # its own loads are not a viewer's


def test_a_store_built_for_a_warmer_stops_when_a_viewer_loads(demo_engine):
    clear_caches()
    county = _counties(demo_engine)[0]
    loaders.note_activity()
    out = _on_warming_thread(lambda: TransitionStore(engine=demo_engine, scope=Scope.all(), county=county))
    assert isinstance(out.get("error"), loaders.Yielded)


def test_a_viewers_load_is_activity(demo_engine, monkeypatch):
    monkeypatch.setattr(loaders, "_last_activity", time.monotonic() - 100)
    CountyStore(engine=demo_engine, scope=Scope.all())
    assert loaders.quiet_for() < loaders.QUIET_SECONDS


@pytest.mark.parametrize("demo_engine", ["sqlite"], indirect=True)
def test_the_served_read_ahead_reads_each_view_under_its_viewers_scope(demo_engine, monkeypatch):
    monkeypatch.setenv(db.ENV_URL, demo_engine.url.render_as_string(hide_password=False))
    views = app.opening_pages()
    counties = list(loaders.counties(loaders.engine_key(demo_engine), Scope.all().key)["code"])
    keys = [key for key, _ in views]
    assert len(keys) == len(set(keys)) == 1 + 5 * len(counties)
    assert keys[0][:2] == ("OverviewStore", Scope.all().key)
    leaders = [key for key in keys if key[1] == Scope.all().key]
    assert {key[2] for key in leaders if key[0] == "TransitionStore"} == set(counties)
    own = [(key, build) for key, build in views if key[1] != Scope.all().key]
    assert len(own) == 3 * len(counties)
    key, build = next((key, build) for key, build in own if key[0] == "TransitionStore")
    store = build()  # a county's officials: their own county, and nothing of another
    (county,) = store.scope.counties
    assert store.scope == Scope.county(county) and store.county == county
    assert set(store.counties["code"]) == {county}


@pytest.mark.parametrize("demo_engine", ["sqlite"], indirect=True)
def test_a_warmers_stores_never_hold_a_viewers_document(demo_engine, monkeypatch):
    """Panel finds the document a store's load holds its events on through Bokeh's current
    document, which is the whole process's: while the server's loop runs a viewer's callback it is
    that viewer's. A store built on the warmer's thread must hold a document of the thread's own,
    never the viewer's (whose events it would dispatch from the wrong thread)."""
    import panel as pn
    from bokeh.document import Document
    from bokeh.io.doc import patch_curdoc

    viewer = Document()
    viewer._session_context = lambda: object()  # a served viewer's document (has a session)
    seen = []
    county = _counties(demo_engine)[0]

    def build():
        seen.append(pn.state.curdoc)
        return CountyStore(engine=demo_engine, scope=Scope.all(), county=county)

    monkeypatch.setattr(loaders, "_last_activity", time.monotonic() - 100)
    warmer = warming.PageWarmer(loaders.engine_key(demo_engine), lambda: [(("county", county), build)], period=0.05)
    try:
        with patch_curdoc(viewer):  # the server's loop is in a viewer's callback meanwhile
            _wait(lambda: warmer.idle)
    finally:
        warmer.stop()
        warmer.join(10)
    assert seen and all(doc is not None and doc is not viewer and doc.session_context is None for doc in seen)
