"""Import figures: a 50,000-row households file validated and loaded, as CSV and as XLSX.

Each figure is the wall time of :func:`fundwatch.data.imports.run_import` (reading, one-pass
validation against the database, the transaction) and the peak Python memory it allocated
(``tracemalloc``).  "dry run" validates only; "load" writes the rows; "again" re-imports the same
file, which compares every row and changes nothing.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from typing import TextIO

from benchmarks.files import csv_to_xlsx, households_csv
from benchmarks.stats import summary
from fundwatch.data import db
from fundwatch.data.imports import run_import
from fundwatch.data.scope import Scope

ROWS = 50_000


def run(db_url: str, repeat: int, out: TextIO, rows: int = ROWS) -> dict[str, dict[str, float]]:
    """Print and return the import figures (name -> summary in seconds, with ``peak_mb``)."""
    engine = db.get_engine(db_url)
    out.write(f"\nimports: {rows:,} households rows into {engine.url.render_as_string(hide_password=True)}\n")
    out.write(f"{'figure':<34}{'median s':>10}{'max s':>10}{'peak MB':>10}\n")
    figures = {}
    for fmt in ("csv", "xlsx"):
        times = {"dry run": [], "load": [], "again": []}
        peaks = {name: 0.0 for name in times}
        for attempt in range(repeat):
            content = households_csv(engine, rows, prefix=f"B{fmt[0].upper()}{attempt}")
            if fmt == "xlsx":
                content = csv_to_xlsx(content)
            for name, dry in (("dry run", True), ("load", False), ("again", False)):
                tracemalloc.start()
                started = time.perf_counter()
                report = run_import(engine, "households", content, f"bench.{fmt}", actor="benchmark",
                                    scope=Scope.all(), dry_run=dry)
                times[name].append(time.perf_counter() - started)
                peaks[name] = max(peaks[name], tracemalloc.get_traced_memory()[1] / 2**20)
                tracemalloc.stop()
                expected = {"dry run": "dry_run", "load": "accepted", "again": "unchanged"}[name]
                if report.result != expected:
                    raise RuntimeError(f"{fmt} {name}: {report.summary('en')}")
        for name, values in times.items():
            figures[f"{rows:,} rows {fmt} {name}"] = {**summary(values), "peak_mb": peaks[name]}
            out.write(f"{fmt + ' ' + name:<34}{statistics.median(values):>10.2f}{max(values):>10.2f}"
                      f"{peaks[name]:>10.0f}\n")
    return figures
