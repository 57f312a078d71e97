"""How fast the machine is running at the moment: a fixed workload, timed before the first suite
and after the last.

A run's figures depend on the machine as much as on fundwatch.  On the 2-core machine the
targets are set for, the same page build took up to half as long again in some hours as in
others, and a burst of first loads 5.3 s in one run and 6.5 s in the next with the same code.
The workload here runs none of fundwatch's code, so it changes only when the machine does:
Python building, encoding and sorting objects (what a page build and a read's rows cost, one
core under the GIL) and an in-memory SQLite aggregate (the database's own work,
:func:`fundwatch.data.probe.sqlite_workload`).  ``--compare`` prints its change beside the
figures': a figure that moved as much as the workload moved with the machine.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import TextIO

from fundwatch.data import probe

#: Rows of the workloads (fixed: the figures are comparable between runs only while they are).
ROWS = 60_000
RUNS = 5


def _python() -> object:
    """Objects made, encoded, decoded and sorted, as a page build and a read's rows make them."""
    rows = [{"code": f"3607{i % 97:02d}{i:06d}", "amount": i * 37 % 10_007, "day": i % 366} for i in range(ROWS)]
    back = json.loads(json.dumps(rows))
    return sorted(back, key=lambda row: (row["code"][::-1], row["amount"]))[0]


def speed() -> dict[str, float]:
    """Median seconds of :data:`RUNS` runs of each workload (after one untimed run)."""
    with probe.sqlite_workload(ROWS) as sqlite:
        out = {}
        for name, run in (("python", _python), ("sqlite", sqlite)):
            run()
            times = []
            for _ in range(RUNS):
                started = time.perf_counter()
                run()
                times.append(time.perf_counter() - started)
            out[name] = statistics.median(times)
        return out


def line(when: str, figures: dict[str, float]) -> str:
    """One printed line of :func:`speed`'s figures."""
    return (f"machine ({when}): python workload {figures['python'] * 1e3:.0f} ms, "
            f"sqlite workload {figures['sqlite'] * 1e3:.0f} ms")


def measure(when: str, out: TextIO) -> dict[str, float]:
    """:func:`speed`, printed as one line."""
    figures = speed()
    out.write(line(when, figures) + "\n")
    return figures
