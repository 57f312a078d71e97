"""Cached wrappers over the :mod:`fundwatch.data` reads, shared by every session of the process.

Each wrapper is keyed on the engine URL string, the scope key (:attr:`Scope.key`) and primitive
filter values only, so two leaders looking at the same county and date share one query.  None of
them reads the current user: the caller passes the scope.  Each call returns frames of its own
(:func:`cached`).  ``fundwatch.components.clear_caches()`` empties every cache after a
write.
"""

from __future__ import annotations

import datetime as dt
import functools
import pickle
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import Engine

from fundwatch.data import db, reads
from fundwatch.data.imports import data_state
from fundwatch.data.reads.funds import POVERTY_PROGRAMMES
from fundwatch.data.rules import stored
from fundwatch.data.scope import Scope

T = TypeVar("T")

FIRST_YEAR, LAST_YEAR = 2016, 2026
#: Entries are keyed by everything they depend on and dropped by :func:`refresh` when the data
#: change, so they need no expiry time; the least recently used go when a function holds more.
CACHE_ITEMS = 512


class _Flight:
    """One read under way: its result once ``done`` is set, unless it ``failed``."""

    __slots__ = ("done", "failed", "result")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.failed = False
        self.result: Any = None


def _once(flights: dict[tuple, _Flight], lock: threading.Lock, key: tuple, compute: Callable[[], T]) -> T:
    """``compute()``, or the result of the same ``key`` another thread is computing already.

    A waiting thread waits only for a read that has started (its owner is running it), so no
    wait is for work nobody will do.  If that read fails (an error, or a warmer stepping aside
    with :class:`Yielded`), a waiting thread runs it itself rather than take its failure."""
    while True:
        with lock:
            flight = flights.get(key)
            owner = flight is None
            if owner:
                flight = flights[key] = _Flight()
        if not owner:
            flight.done.wait()
            if not flight.failed:
                return flight.result
            continue
        try:
            flight.result = compute()
        except BaseException:
            flight.failed = True
            raise
        finally:
            with lock:
                del flights[key]
            flight.done.set()
        return flight.result


def cached(read: Callable[..., T]) -> Callable[..., T]:
    """``read`` with its results kept per argument values (every argument a primitive or a tuple
    of them), shared by all sessions and threads of the process; ``.clear()`` forgets them.

    The results are kept pickled, and every call unpickles its own frames (a page's frames are
    small, tens to a few thousand rows: unpickling is 1-2 ms per county change; with the indexes
    the fresh frames build again, a warm transition-page change measured 62 -> 72 ms).  A frame
    made from another without copying (a selection, a renamed or re-indexed frame, even a deep
    copy, whose index is a view) shares its data or its index, and pandas notes every such frame
    in a list of weak references kept with the data, dropping the dead ones only once hundreds
    have piled up.  Kept as frames and handed to the sessions, the cache's frames collected the
    dead references of every closed session (43,000 after 140 page visits, up to 500 a block,
    index or column labels), which grew a server's memory with every visit; unpickled frames
    share nothing with the cache or with each other.

    Python's own LRU cache, which is safe to call from the reader threads of :func:`gather`
    at once (Panel's ``pn.cache`` drops its oldest entries while another thread may be adding
    one) and answers a hit without hashing the arguments' pickled form.

    A read asked for while another thread is already reading the same arguments waits for that
    read instead of running it a second time (:func:`_once`): the sessions of a burst of first
    loads ask for the same frames at once, and a page's reads share some of theirs (the
    prefecture's loans by county are the county table's and its leverage's).  Not across a
    ``clear()``: a read asked for after the data changed never takes one started before."""
    flights: dict[tuple, _Flight] = {}
    flights_lock = threading.Lock()
    generation = [0]  # moved by clear(): a read asked for after it never waits for one started before

    @functools.lru_cache(maxsize=CACHE_ITEMS)
    def kept(*args, **kwargs) -> bytes:
        return _once(flights, flights_lock, (generation[0], args, tuple(sorted(kwargs.items()))),
                     lambda: pickle.dumps(read(*args, **kwargs), protocol=pickle.HIGHEST_PROTOCOL))

    @functools.wraps(read)
    def fresh(*args, **kwargs):
        return pickle.loads(kept(*args, **kwargs))

    def clear() -> None:
        with flights_lock:
            generation[0] += 1
        kept.cache_clear()

    fresh.clear = clear
    fresh.cache_info = kept.cache_info
    return fresh


_engines: dict[str, Engine] = {}
_lock = threading.Lock()

#: Threads that run a page's independent reads at once (:func:`gather`), shared by the sessions.
READERS = 4
_readers = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="fundwatch-read")


class Yielded(Exception):  # noqa: N818 - not an error: the warmer stepped aside
    """A viewer's load started while a :class:`~.warming.PageWarmer` was reading: it stops and
    tries again once the process is quiet."""


_warming = threading.local()
_last_activity = 0.0


def note_activity() -> None:
    """A viewer's load starts or ends (the stores call it); a warmer's own loads are not noted."""
    global _last_activity
    if not getattr(_warming, "on", False):
        _last_activity = time.monotonic()


def quiet_for() -> float:
    """Seconds since a viewer's load last started or ended in this process."""
    return time.monotonic() - _last_activity


def warming(on: bool) -> None:
    """Mark the calling thread as a warmer's (:mod:`.warming`): its loads are not activity, and
    :func:`gather` runs its reads one after another on it, stepping aside (:class:`Yielded`)
    before any read once a viewer's load has started since ``QUIET_SECONDS`` ago."""
    _warming.on = on


#: How long the process must have had no viewer's load before a warmer reads.
QUIET_SECONDS = 1.0


def gather(**calls: Callable[[], Any]) -> dict[str, Any]:
    """Run independent reads at once and return their results by name.

    A read spends most of its time in the database (SQLite and the PostgreSQL driver let other
    threads run meanwhile), so the reads of a page or a county change that are not cached yet
    overlap on this process's reader threads; cached ones return at once.  The calling thread
    first takes, in the order given, every read no reader has started yet, and only then waits
    for the ones the readers took: a read may gather reads of its own, no thread ever waits on
    work that has not started, and the caller never idles while reads are still queued (it used
    to wait for the first read a reader had started, with the later ones queued behind the
    readers).  So a caller lists its longest reads first.  An error is raised as the read
    raised it, and the reads not started yet are dropped.  On a warmer's thread
    (:func:`warming`) the reads run one after another on that thread and leave the reader
    threads to the viewers.
    """
    if getattr(_warming, "on", False):
        results = {}
        for name, call in calls.items():
            if quiet_for() < QUIET_SECONDS:
                raise Yielded
            results[name] = call()
        return results
    if len(calls) < 2:
        return {name: call() for name, call in calls.items()}
    futures = {name: _readers.submit(call) for name, call in calls.items()}
    results = {}
    try:
        for name, future in futures.items():
            if future.cancel():  # not started by a reader: run it here
                results[name] = calls[name]()
        for name, future in futures.items():
            if name not in results:
                results[name] = future.result()
    finally:
        for future in futures.values():
            future.cancel()
    return {name: results[name] for name in calls}


def beside(main: Callable[[], T], *others: Callable[[], Any]) -> T:
    """Run ``main`` on the calling thread while ``others`` run on the reader threads, then wait
    for them (running here any no reader has started) and return ``main``'s result.

    For reads whose results land in a cache rather than being returned (a record list's next
    page, read while the store reads its frames): ``main`` keeps the caller's thread, and its
    own :func:`gather` shares the readers with ``others``.  An error of ``main`` is raised once
    the others are cancelled or done; ``others`` handle their own.  On a warmer's thread
    (:func:`warming`) everything runs one after another there."""
    if getattr(_warming, "on", False) or not others:  # gather runs them here, stepping aside as it does
        return gather(main=main, **{f"other {i}": call for i, call in enumerate(others)})["main"]
    futures = [(_readers.submit(call), call) for call in others]
    try:
        result = main()
    except BaseException:
        for future, _ in futures:
            future.cancel()
        raise
    for future, call in futures:
        call() if future.cancel() else future.result()
    return result


def engine_key(engine: Engine) -> str:
    """Register ``engine`` for the cached loaders and return its URL string (the cache key)."""
    key = engine.url.render_as_string(hide_password=False)
    with _lock:
        _engines[key] = engine
    return key


def engine_for(key: str) -> Engine:
    """The engine registered under ``key``, else the process-wide engine for that URL."""
    with _lock:
        engine = _engines.get(key)
    return engine if engine is not None else db.get_engine(key)


_versions: dict[str, tuple[int, int]] = {}


def refresh(url: str) -> bool:
    """Forget every cached read if anything wrote to the data since this process last looked, in
    any process: an import (the latest import batch) or any other write to the tables the pages
    read (the data generation, :mod:`fundwatch.data.generation`, moved by triggers); two indexed
    single-row reads on one connection.  Stores call it before each load, so new data shows without a restart.
    True if the caches were cleared."""
    version = data_version(url)
    with _lock:
        seen = _versions.get(url)
        _versions[url] = version
    if seen is None or seen == version:
        return False
    from . import clear_caches  # noqa: PLC0415 - the package imports this module

    clear_caches()
    return True


def data_version(url: str) -> tuple[int, int]:
    """What :func:`refresh` compares: the latest import batch and the data generation."""
    return data_state(engine_for(url))


def scope_from_key(key: str) -> Scope:
    """Invert :attr:`Scope.key` (:meth:`Scope.from_key`), small-count suppression included."""
    return Scope.from_key(key)


def within(scope: Scope, county: str) -> Scope:
    """``scope`` narrowed to one county (nothing if the scope does not hold it), keeping its
    small-count suppression."""
    narrowed = Scope.county(county) if scope.allows(county) else Scope.nothing()
    return narrowed.with_small_counts_suppressed() if scope.suppress_small else narrowed


def _args(url: str, scope_key: str) -> tuple[Engine, Scope]:
    return engine_for(url), scope_from_key(scope_key)


# -- regions --------------------------------------------------------------------------------------

@cached
def counties(url: str, scope_key: str) -> pd.DataFrame:
    """County-level units in the scope: code, name, kind, population."""
    engine, scope = _args(url, scope_key)
    return reads.regions_frame(engine, scope, level="county")[["code", "name", "kind", "population"]]


@cached
def children(url: str, scope_key: str, parent: str) -> pd.DataFrame:
    """The regions directly below ``parent`` (townships of a county, villages of a township)."""
    engine, scope = _args(url, scope_key)
    return reads.regions_frame(engine, scope, parent=parent)[["code", "name", "level", "parent_code"]]


# -- funds ------------------------------------------------------------------------------------------

@cached
def funds(url: str, scope_key: str, region: str | None) -> pd.DataFrame:
    """Allocations 2016-2026 by year, source level and programme (yuan) for the region's county."""
    engine, scope = _args(url, scope_key)
    return reads.funds_frame(engine, scope, by=("year", "source_level", "programme"),
                             years=(FIRST_YEAR, LAST_YEAR), region=region)


@cached
def pace(url: str, scope_key: str, year: int, as_of: dt.date, region: str | None,
         source_level: str | None, programmes: tuple[str, ...] | None) -> pd.DataFrame:
    """Monthly disbursement of the year (default: the poverty programmes) against allocations."""
    engine, scope = _args(url, scope_key)
    return reads.disbursement_pace_frame(engine, scope, year, as_of=as_of, region=region, source_level=source_level,
                                         programmes=programmes or POVERTY_PROGRAMMES)


@cached
def pace_by_county(url: str, scope_key: str, year: int, as_of: dt.date) -> pd.DataFrame:
    engine, scope = _args(url, scope_key)
    return reads.pace_by_county_frame(engine, scope, year, as_of=as_of)


# -- loans ------------------------------------------------------------------------------------------

@cached
def loan_position(url: str, scope_key: str, as_of: dt.date, by: tuple[str, ...], region: str | None) -> pd.DataFrame:
    engine, scope = _args(url, scope_key)
    return reads.loan_position_frame(engine, scope, as_of, by=by, region=region)


def leverage(url: str, scope_key: str, as_of: dt.date, by_programme: bool) -> pd.DataFrame:
    """:func:`~fundwatch.data.reads.leverage_frame` made of the cached loans outstanding and risk
    fund: the prefecture's loans by county are also the county table's (read once, by whichever
    asks first)."""
    by = ("county_code", "programme") if by_programme else ("county_code",)
    got = gather(loans=lambda: loan_position(url, scope_key, as_of, by, None),
                 fund=lambda: risk_fund(url, scope_key, as_of, by))
    return reads.leverage_of(got["loans"], got["fund"], by)


@cached
def risk_fund(url: str, scope_key: str, as_of: dt.date, by: tuple[str, ...]) -> pd.DataFrame:
    engine, scope = _args(url, scope_key)
    return reads.risk_fund_frame(engine, scope, as_of, by=by)


# -- assets and households ----------------------------------------------------------------------

@cached
def asset_mix(url: str, scope_key: str, by: tuple[str, ...], region: str | None, year: int) -> pd.DataFrame:
    engine, scope = _args(url, scope_key)
    return reads.asset_mix_frame(engine, scope, by=by, region=region, formed_by_year=year)


@cached
def asset_places(url: str, scope_key: str, county: str, township: str | None, by: str, year: int) -> pd.DataFrame:
    """A county's townships' or a township's villages' assets (``by="place"``), or a township's by
    class (:func:`~fundwatch.data.reads.asset_places_frame`), formed by ``year``."""
    engine, scope = _args(url, scope_key)
    return reads.asset_places_frame(engine, scope, county, township=township, by=by, formed_by_year=year)


@cached
def household_status(url: str, scope_key: str, as_of: dt.date, by: tuple[str, ...], region: str | None) -> pd.DataFrame:
    engine, scope = _args(url, scope_key)
    return reads.household_status_frame(engine, scope, as_of, by=by, region=region)


# -- warnings and record lists ------------------------------------------------------------------

@cached
def findings(url: str, scope_key: str, year: int, as_of: dt.date) -> pd.DataFrame:
    """Every finding of the policy rules for the year as of the date (both languages), kept in the
    database until the data change (:mod:`fundwatch.data.rules.stored`)."""
    engine, scope = _args(url, scope_key)
    return stored.findings(engine, scope, year, as_of)


RECORD_LISTS = {
    "projects": reads.projects_frame,
    "loans": reads.loans_frame,
    "assets": reads.assets_frame,
    "households": reads.households_frame,
}


@cached
def records(url: str, scope_key: str, kind: str, region: str | None, sort: str | None, limit: int,
            offset: int) -> tuple[pd.DataFrame, int]:
    """One page of a record list (masked by ``data``) and the number of matching rows."""
    engine, scope = _args(url, scope_key)
    return RECORD_LISTS[kind](engine, scope, region=region, sort=sort, limit=limit, offset=offset)


CACHED = (counties, children, funds, pace, pace_by_county, loan_position, risk_fund,
          asset_mix, asset_places, household_status, findings, records)
