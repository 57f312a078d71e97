"""Engines and schema management.

One engine (one connection pool) per database URL and process.  The URL comes from, in order:
an explicit ``--db`` value, ``FUNDWATCH_DB_URL``, then the embedded SQLite default in the
user's data directory.  SQLite runs in WAL mode with foreign keys enforced.

Only ``init`` and ``demo`` may create a database: :func:`get_engine` refuses a SQLite path that
does not exist unless ``create=True``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENV_URL = "FUNDWATCH_DB_URL"

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


class DatabaseError(RuntimeError):
    """A database that cannot be used: bad URL, missing file, unreachable server, old schema."""


def default_path() -> Path:
    """The embedded SQLite file: ``$XDG_DATA_HOME/fundwatch/fundwatch.db`` (``~/.local/share``)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "fundwatch" / "fundwatch.db"


def default_url() -> str:
    return f"sqlite:///{default_path()}"


def resolve_url(url: str | None = None) -> str:
    """The URL to use: ``url`` if given, else ``FUNDWATCH_DB_URL``, else the embedded default."""
    return url or os.environ.get(ENV_URL) or default_url()


def normalise_url(url: str) -> str:
    """Route bare PostgreSQL URLs (``postgresql://``) to psycopg 3; a plain file path
    (no ``://``) means a SQLite file."""
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"not a database URL: {url!r}") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise DatabaseError(f"unsupported database {parsed.drivername!r}: use sqlite:/// or postgresql://")
    return parsed.render_as_string(hide_password=False)


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None (not SQLite, or in memory)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # The driver's implicit BEGIN handling is replaced by explicit BEGIN (below), so that a
    # transaction covers every statement and SAVEPOINTs work: imports are all-or-nothing.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.close()


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN")


def get_engine(url: str | None = None, *, create: bool = False) -> Engine:
    """The process-wide engine for ``url`` (resolved as in :func:`resolve_url`).

    A SQLite file that does not exist is an error unless ``create`` is true (``init``, ``demo``
    and the first ``serve`` on the embedded default); its folder is then created.
    """
    url = normalise_url(resolve_url(url))
    path = sqlite_path(url)
    if path is not None and not path.exists():
        if not create:
            raise DatabaseError(f"database file does not exist: {path} (create it with `fundwatch init`)")
        path.parent.mkdir(parents=True, exist_ok=True)
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _make_engine(url)
            _engines[url] = engine
        return engine


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                         connect_args={"connect_timeout": 5})


def dispose_all() -> None:
    """Close every pooled connection (tests, forked workers)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def check_connection(engine: Engine) -> None:
    """Raise :class:`DatabaseError` with a one-line reason if the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # driver errors vary by backend; all mean "cannot use it"
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
        raise DatabaseError(f"cannot connect to {engine.url.render_as_string(hide_password=True)}: {reason}") from exc


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version")
