"""The benchmark's database: the demo built at a scale (timed), or one that already holds it."""

from __future__ import annotations

import resource
import time
from typing import TextIO

from sqlalchemy.engine import make_url

from fundwatch.data import db, demo, schema


def label(url: str) -> str:
    """``url`` without its password."""
    return make_url(db.normalise_url(url)).render_as_string(hide_password=True)


def prepare(url: str, scale: float, out: TextIO, *, timed: bool = True) -> dict:
    """Build the demo at ``scale`` into ``url`` unless it already holds one (which is brought to the
    current schema, as ``fundwatch init`` does); the demo figure."""
    engine = db.get_engine(url, create=True)
    schema.upgrade(engine)
    if demo.region_count(engine):
        out.write("demo: the database already holds the demo; used as it is, at the current schema "
                  "(no generation figure)\n")
        return {"reused": True}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    counts = demo.load_demo(engine, scale=scale)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    rows = sum(counts.values())
    figure = {"reused": False, "seconds": seconds, "rows": rows, "rows_per_second": rows / seconds,
              "peak_rss_mb": peak_mb, "peak_rss_before_mb": before / 1024}
    if timed:
        out.write(f"demo generation at scale {scale:g}: {rows:,} rows in {seconds:.1f} s "
                  f"({rows / seconds:,.0f} rows/s), peak memory {peak_mb:,.0f} MB\n")
    return figure
