"""Import figures: a 50,000-row households file validated and loaded, as CSV and as XLSX.

Each time is the wall time of :func:`fundwatch.data.imports.run_import` (reading, one-pass
validation against the database, the transaction) with nothing watching it.  "dry run" validates
only; "load" writes the rows; "again" re-imports the same file, which compares every row and
changes nothing.

The peak Python memory an import allocates is measured in a run of its own, once per figure, under
``tracemalloc``, which follows every allocation and made the same imports three to four times
slower (a 50,000-row dry run: 2.7 s alone, 11.2 s traced): timed under it, the import figures
measured the tracing more than the import.
"""

from __future__ import annotations

import functools
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import TextIO

from benchmarks.files import csv_to_xlsx, households_csv
from benchmarks.stats import summary
from fundwatch.data import db
from fundwatch.data.imports import run_import
from fundwatch.data.scope import Scope

ROWS = 50_000
#: The figures of one file, in the order they run: whether a dry run, and the result it must give.
FIGURES = (("dry run", True, "dry_run"), ("load", False, "accepted"), ("again", False, "unchanged"))


def run(db_url: str, repeat: int, out: TextIO, rows: int = ROWS) -> dict[str, dict[str, float]]:
    """Print and return the import figures (name -> summary in seconds, with ``peak_mb``): each
    format's files imported ``repeat`` times untraced for the times, then once more traced for the
    peaks (every file new: a load must write its rows)."""
    engine = db.get_engine(db_url)
    out.write(f"\nimports: {rows:,} households rows into {engine.url.render_as_string(hide_password=True)}\n")
    out.write(f"{'figure':<34}{'median s':>10}{'max s':>10}{'peak MB':>10}\n")
    figures = {}
    for fmt in ("csv", "xlsx"):
        times: dict[str, list[float]] = {name: [] for name, _, _ in FIGURES}
        peaks = dict.fromkeys(times, 0.0)
        for attempt in range(repeat + 1):
            traced = attempt == repeat
            content = households_csv(engine, rows, prefix=f"B{fmt[0].upper()}{attempt}")
            if fmt == "xlsx":
                content = csv_to_xlsx(content)
            for name, dry, expected in FIGURES:
                once = functools.partial(_import, engine, content, fmt, name, dry, expected)
                if traced:
                    peaks[name] = _peak_mb(once)
                else:
                    started = time.perf_counter()
                    once()
                    times[name].append(time.perf_counter() - started)
        for name, values in times.items():
            figures[f"{rows:,} rows {fmt} {name}"] = {**summary(values), "peak_mb": peaks[name]}
            out.write(f"{fmt + ' ' + name:<34}{statistics.median(values):>10.2f}{max(values):>10.2f}"
                      f"{peaks[name]:>10.0f}\n")
    return figures


def _import(engine, content: bytes, fmt: str, name: str, dry: bool, expected: str) -> None:
    """Import ``content`` as households; an import whose result is not ``expected`` stops the suite."""
    report = run_import(engine, "households", content, f"bench.{fmt}", actor="benchmark", scope=Scope.all(),
                        dry_run=dry)
    if report.result != expected:
        raise RuntimeError(f"{fmt} {name}: {report.summary('en')}")


def _peak_mb(run: Callable[[], None]) -> float:
    """The most memory ``run`` had allocated at once (Python's allocations, numpy's included), MB."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
