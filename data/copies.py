"""Throw-away copies of a whole database, for work that must not write into the original
(the benchmark's imports): a consistent file copy for SQLite (the backup API, write-ahead log
included), ``CREATE DATABASE ... TEMPLATE`` for PostgreSQL (the role needs CREATEDB, and nothing
else may be connected to the original while it is copied)."""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from . import db, health


@contextlib.contextmanager
def temporary_copy(url: str, folder: Path) -> Iterator[str]:
    """Yield the URL of a copy of the database at ``url`` (a SQLite copy goes into ``folder``);
    the copy is removed on exit, whatever happened."""
    url = db.normalise_url(url)
    # A template must have no open connections, a SQLite file no pooled writer; and no monitor of
    # this process may ping the database meanwhile (PostgreSQL refuses a copy while anyone is
    # connected, and while it copies, the monitor's ping fails and logs an outage that is none).
    health.stop_all(wait=health.CHECK_SECONDS)
    db.dispose_all()
    path = db.sqlite_path(url)
    if path is not None:
        target = folder / f"copy-{uuid.uuid4().hex[:8]}.db"
        with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(target)) as copied:
            source.backup(copied)
        try:
            yield str(target)
        finally:
            db.dispose_all()
            for suffix in ("", "-wal", "-shm"):
                target.with_name(target.name + suffix).unlink(missing_ok=True)
        return
    source = make_url(url)
    name = f"{source.database}_copy_{uuid.uuid4().hex[:8]}"
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
