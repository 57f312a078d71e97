"""The policy rules' findings, kept in the database for as long as the data behind them stay the same.

Why: :func:`~fundwatch.data.rules.evaluate` reads every project, loan and household on record:
over the prefecture at ten times the demo that is seconds (SQLite about 11 s, PostgreSQL about
4 s), and the pages show the findings on every first load and county change.  The findings
depend only on the rules' source tables, the scope, the year, the date and the rule parameters;
so :func:`findings` keeps each result in ``finding_snapshot`` under the current data generation
(:mod:`fundwatch.data.generation`) and answers the same question from there until a write moves
the generation.  Every process and every restart shares them; a served process fills the
default views ahead of the first visitor (:func:`warm`).

What is kept is exactly what ``evaluate`` returned for that scope (a county's findings are
evaluated in its own scope, never cut out of the prefecture's), as JSON.  Keys: the scope's
:attr:`~fundwatch.data.scope.Scope.key` (small-count suppression included), year, date, a digest
of the effective rule parameters and the product version (:func:`config_key`), and the
generation.  Snapshots of an older generation are deleted when a newer one is stored.

Only the default configuration (``$FUNDWATCH_RULES_CONFIG``) and all rules are kept; the command
line's ``fundwatch warnings`` with chosen rules or a configuration file evaluates afresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from ... import __version__
from .. import db, generation
from ..models import FindingSnapshot
from ..scope import Scope, require_scope
from .evaluate import COLUMNS, default_as_of, empty_findings, evaluate
from .registry import resolve_rules

log = logging.getLogger(__name__)

SNAPSHOT = FindingSnapshot.__table__
#: Bumped when the stored form changes.
FORMAT = 1
#: Seconds between two looks of a :class:`Warmer` at the generation and the date.
WARM_SECONDS = 10.0


def config_key() -> str:
    """A digest of the effective rule parameters (``$FUNDWATCH_RULES_CONFIG`` applied), the
    product version and :data:`FORMAT`: a snapshot made under other parameters or by another
    version of the rules is never used."""
    params = [[rule.id, {k: list(v) if isinstance(v, tuple) else v for k, v in rule.params.items()}]
              for rule in resolve_rules(None)]
    text = json.dumps([FORMAT, __version__, params], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def encode(frame: pd.DataFrame) -> str:
    """The findings frame as JSON (one list per row, in :data:`COLUMNS` order; NaN kept)."""
    rows = [[_plain(value) for value in row] for row in frame[list(COLUMNS)].itertuples(index=False, name=None)]
    return json.dumps(rows, ensure_ascii=False)


def decode(text: str) -> pd.DataFrame:
    """Invert :func:`encode`."""
    rows = json.loads(text)
    if not rows:
        return empty_findings()
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in ("value", "threshold"):
        frame[column] = frame[column].astype("float64")
    return frame


def _plain(value):
    """A numpy scalar as the Python value JSON takes (NaN stays NaN)."""
    return value.item() if isinstance(value, np.generic) else value


def lookup(engine: Engine, scope: Scope, year: int, as_of: dt.date) -> tuple[pd.DataFrame | None, int]:
    """The kept findings of the view at the current generation (None if there are none), and that
    generation."""
    with db.reader(engine).connect() as conn:
        now = generation.current(conn)
        text = conn.execute(
            select(SNAPSHOT.c.findings).where(
                SNAPSHOT.c.scope_key == scope.key, SNAPSHOT.c.year == year, SNAPSHOT.c.as_of == as_of,
                SNAPSHOT.c.config == config_key(), SNAPSHOT.c.generation == now)
        ).scalar()
    return (None if text is None else decode(text)), now


def store(engine: Engine, scope: Scope, year: int, as_of: dt.date, at_generation: int, frame: pd.DataFrame) -> bool:
    """Keep ``frame`` as the findings of the view at ``at_generation`` (the generation read before
    evaluating: if a write came in between, the snapshot is filed under the generation it no
    longer matches and is never used).  Deletes the snapshots of older generations.  Another
    process keeping the same view at the same time is fine (the first one stays).  False if the
    database would not take it now (SQLite busy with a long write): the findings are still right,
    only not kept."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    values = {"scope_key": scope.key, "year": year, "as_of": as_of, "config": config_key(),
              "generation": at_generation, "computed_at": dt.datetime.now(dt.UTC), "findings": encode(frame)}
    try:
        with db.writer(engine).begin() as conn:
            conn.execute(dialect.insert(SNAPSHOT).values(**values).on_conflict_do_nothing())
            conn.execute(delete(SNAPSHOT).where(SNAPSHOT.c.generation < at_generation))
    except OperationalError as exc:
        if engine.dialect.name != "sqlite" or "locked" not in str(exc):
            raise
        log.info("findings not kept: the database is busy (%s)", exc.orig)
        return False
    return True


def findings(engine: Engine, scope: Scope, year: int, as_of: dt.date | None = None) -> pd.DataFrame:
    """The findings of every rule (default configuration) for ``year`` as of ``as_of`` within
    ``scope``: exactly :func:`~fundwatch.data.rules.evaluate`'s frame, from the kept snapshot
    when the data have not changed since it was made, else evaluated and kept."""
    require_scope(scope)
    as_of = default_as_of(year) if as_of is None else as_of
    kept, now = lookup(engine, scope, year, as_of)
    if kept is not None:
        return kept
    frame = evaluate(engine, scope, year, as_of)
    store(engine, scope, year, as_of, now, frame)
    return frame


def warm(engine: Engine, views: Iterable[tuple[Scope, int, dt.date]]) -> int:
    """Make sure each ``(scope, year, as_of)`` view has a snapshot at the current generation;
    return how many had to be evaluated."""
    made = 0
    for scope, year, as_of in views:
        kept, now = lookup(engine, scope, year, as_of)
        if kept is None:
            store(engine, scope, year, as_of, now, evaluate(engine, scope, year, as_of))
            made += 1
    return made


class Warmer:
    """A daemon thread that keeps the snapshots of ``views()`` (a callable returning ``(scope,
    year, as_of)`` triples: the views a served page opens on) at the current generation: it looks
    every ``period`` seconds (one single-row read) and evaluates what an import or the turn of the
    day has made stale, so the first visitor after either does not wait for the rules.  A database
    that does not answer is left to :mod:`fundwatch.data.health`: the next turn tries again."""

    def __init__(self, engine: Engine, views, period: float = WARM_SECONDS):
        self.engine, self.views, self.period = engine, views, period
        self.rounds = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fundwatch-findings", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        seen = None
        while not self._stop.is_set():
            try:
                views = list(self.views())
                with self.engine.connect() as conn:
                    state = (generation.current(conn), tuple((s.key, y, d) for s, y, d in views))
                if state != seen:
                    made = warm(self.engine, views)
                    seen = state
                    if made:
                        log.info("findings kept for %d views at generation %d", made, state[0])
            except db.UNAVAILABLE as exc:
                log.warning("findings not kept now: the database does not answer (%s)", type(exc).__name__)
            except Exception:  # noqa: BLE001 - the thread must outlive anything one round meets
                log.exception("keeping the findings failed")
            self.rounds += 1
            self._stop.wait(self.period)


__all__ = ["FORMAT", "WARM_SECONDS", "Warmer", "config_key", "decode", "encode", "findings", "lookup", "store",
           "warm"]
