"""Figures shared by every suite: timings summarised the same way, printed the same way."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import TextIO

import numpy as np


def summary(seconds: list[float]) -> dict[str, float]:
    """Median, 95th percentile, min and max of ``seconds`` (and how many runs)."""
    return {"median": statistics.median(seconds), "p95": float(np.percentile(seconds, 95)),
            "min": min(seconds), "max": max(seconds), "runs": len(seconds)}


def timed(run: Callable[[], object], repeat: int, before: Callable[[], object] | None = None,
          after: Callable[[object], object] | None = None) -> list[float]:
    """Wall times of ``repeat`` calls of ``run`` (``before`` runs first each time, and ``after``
    is given each result, both untimed)."""
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
        if after is not None:
            after(result)
    return times


def table(title: str, figures: dict[str, dict[str, float]], out: TextIO) -> None:
    """Print ``figures`` (name -> summary) as a table of milliseconds."""
    print(f"\n{title}", file=out)
    print(f"{'':36}{'median':>11}{'p95':>11}{'min':>11}", file=out)
    for name, figure in figures.items():
        print(f"{name:36}" + "".join(f"{figure[k] * 1000:>8.1f} ms" for k in ("median", "p95", "min")), file=out)
