"""Each page read from the summary tables beside the same figure summed over the raw rows.

The reads are the loaders' (``fundwatch.components.loaders``) with the pages' default arguments:
the prefecture and one county, year 2024, as of 2024-06-30.  "naive" is the raw computation in
:mod:`fundwatch.data.reads.naive`; the ratio is naive / summary of the medians.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from typing import TextIO

import numpy as np

from fundwatch.data import db, reads
from fundwatch.data.reads import naive
from fundwatch.data.scope import Scope

YEAR, AS_OF, COUNTY = 2024, dt.date(2024, 6, 30), "360731"


def _cases(engine) -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    everyone = Scope.all()
    out = {}
    for label, region in (("prefecture", None), ("county", COUNTY)):
        out[f"pace {label}"] = (
            lambda r=region: reads.disbursement_pace_frame(engine, everyone, YEAR, as_of=AS_OF, region=r),
            lambda r=region: naive.disbursement_pace_frame(engine, everyone, YEAR, as_of=AS_OF, region=r))
        for by in ("county_code", "bank", "borrower_type"):
            out[f"loan position by {by} {label}"] = (
                lambda r=region, b=by: reads.loan_position_frame(engine, everyone, AS_OF, by=(b,), region=r),
                lambda r=region, b=by: naive.loan_position_frame(engine, everyone, AS_OF, by=(b,), region=r))
    out["pace by county"] = (lambda: reads.pace_by_county_frame(engine, everyone, YEAR, as_of=AS_OF),
                             lambda: naive.pace_by_county_frame(engine, everyone, YEAR, as_of=AS_OF))
    for label, region in (("prefecture", None), ("county", COUNTY)):
        for by in ("county_code", "asset_class"):
            out[f"asset mix by {by} {label}"] = (
                lambda r=region, b=by: reads.asset_mix_frame(engine, everyone, by=(b,), region=r, formed_by_year=YEAR),
                lambda r=region, b=by: naive.asset_mix_frame(engine, everyone, by=(b,), region=r, formed_by_year=YEAR))
    for by_programme in (False, True):
        out[f"leverage{' by programme' if by_programme else ''}"] = (
            lambda p=by_programme: reads.leverage_frame(engine, everyone, AS_OF, by_programme=p),
            lambda p=by_programme: naive.leverage_frame(engine, everyone, AS_OF, by_programme=p))
    return out


def _times(run: Callable[[], object], repeat: int) -> list[float]:
    run()  # warm the connection pool and the database's cache
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        out.append(time.perf_counter() - started)
    return out


def run(db_url: str, repeat: int, out: TextIO) -> dict:
    """Print and return ``{read: {"summary": {median, p95}, "naive": {...}, "ratio": x}}`` (seconds)."""
    engine = db.get_engine(db_url)
    figures: dict[str, dict] = {}
    out.write(f"{'read':42s} {'summary ms (p95)':>18s} {'naive ms (p95)':>18s} {'ratio':>7s}\n")
    for name, (summary, raw) in _cases(engine).items():
        row = {}
        for kind, function in (("summary", summary), ("naive", raw)):
            times = _times(function, repeat)
            row[kind] = {"median": statistics.median(times), "p95": float(np.percentile(times, 95))}
        row["ratio"] = row["naive"]["median"] / row["summary"]["median"]
        figures[name] = row
        out.write(f"{name:42s} {row['summary']['median'] * 1e3:8.1f} ({row['summary']['p95'] * 1e3:7.1f}) "
                  f"{row['naive']['median'] * 1e3:8.1f} ({row['naive']['p95'] * 1e3:7.1f}) {row['ratio']:7.1f}\n")
        out.flush()
    return figures
