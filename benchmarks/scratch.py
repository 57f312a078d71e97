"""The benchmark's database: the demo built at a scale (timed), and throw-away copies for writes."""

from __future__ import annotations

import contextlib
import resource
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import TextIO

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from fundwatch.data import db, demo, schema
from fundwatch.data.models import Region


def label(url: str) -> str:
    """``url`` without its password."""
    return make_url(db.normalise_url(url)).render_as_string(hide_password=True)


def prepare(url: str, scale: float, out: TextIO, *, timed: bool = True) -> dict:
    """Build the demo at ``scale`` into ``url`` unless it already holds one; the demo figure."""
    engine = db.get_engine(url, create=True)
    if db.has_schema(engine):
        with engine.connect() as conn:
            regions = conn.execute(select(func.count()).select_from(Region)).scalar_one()
        if regions:
            out.write("demo: the database already holds the demo; used as it is (no generation figure)\n")
            return {"reused": True}
    schema.upgrade(engine)
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


@contextlib.contextmanager
def copy(url: str, folder: Path) -> Iterator[str]:
    """A throw-away copy of the database at ``url`` (a file copy for SQLite, ``CREATE DATABASE ...
    TEMPLATE`` for PostgreSQL), dropped afterwards."""
    url = db.normalise_url(url)
    db.dispose_all()  # a template must have no open connections; a SQLite file no open writer
    path = db.sqlite_path(url)
    if path is not None:
        target = folder / f"copy-{uuid.uuid4().hex[:8]}.db"
        with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(target)) as copied:
            source.backup(copied)  # consistent, write-ahead log included
        try:
            yield str(target)
        finally:
            db.dispose_all()
            target.unlink(missing_ok=True)
        return
    source = make_url(url)
    name = f"{source.database}_bench_{uuid.uuid4().hex[:8]}"
    admin = db.get_engine(source.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"')
    try:
        yield source.set(database=name).render_as_string(hide_password=False)
    finally:
        db.dispose_all()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        db.dispose_all()
