"""A fixed database workload that touches none of fundwatch's tables: an aggregate over an
in-memory SQLite table, which the benchmarks time before and after a run to tell how fast the
machine was running (``benchmarks/machine.py``).  Here because every statement lives in the data
layer."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def sqlite_workload(rows: int) -> Iterator[Callable[[], list[tuple]]]:
    """A function that runs the workload over ``rows`` rows (made once, deterministically): their
    sums per county and month, largest first."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE TABLE t (county TEXT, ym INTEGER, fen INTEGER)")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?)",
                         ((f"3607{i % 19:02d}", 202001 + i % 60, i * 131 % 100_003) for i in range(rows)))
        yield lambda: conn.execute(
            "SELECT county, ym, SUM(fen), COUNT(*) FROM t GROUP BY county, ym ORDER BY 3 DESC").fetchall()
    finally:
        conn.close()
