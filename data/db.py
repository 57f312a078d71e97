"""Engines and schema management.

One engine (one connection pool) per database URL and process.  The URL comes from, in order:
an explicit ``--db`` value, ``FUNDWATCH_DB_URL``, then the embedded SQLite default in the
user's data directory.  SQLite runs in WAL mode with foreign keys enforced.

Only ``init`` and ``demo`` may create a database: :func:`get_engine` refuses a SQLite path that
does not exist unless ``create=True``.
"""

from __future__ import annotations

import os
import select
import sqlite3
import threading
import weakref
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.pool import NullPool

ENV_URL = "FUNDWATCH_DB_URL"

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


class DatabaseError(RuntimeError):
    """A database that cannot be used: bad URL, missing file, unreachable server, old schema."""


#: Seconds a PostgreSQL connection attempt may take before it fails.
CONNECT_TIMEOUT = 5
#: Seconds :func:`ping` waits for an answer.
PING_TIMEOUT = 2.0
#: TCP keepalive of PostgreSQL connections: a connection to a server that stopped answering
#: (cable pulled, host down) fails after about idle + interval x count seconds instead of hanging
#: until the kernel gives up (minutes); ``tcp_user_timeout`` bounds data sent and never
#: acknowledged likewise.  Long statements that the server is working on are not cut short.
PG_KEEPALIVE = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3,
                "tcp_user_timeout": 10_000}
#: The errors that mean "the database cannot be reached right now" (as opposed to a wrong query
#: or bad data, which still raise): the drivers' operational and interface errors (connection
#: refused, server closed the connection, missing SQLite file), a pool that hands out no
#: connection in time, and :class:`DatabaseError`.
UNAVAILABLE: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError,
                                                DatabaseError)


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


def checkpoint(engine: Engine) -> None:
    """After a bulk load into SQLite: copy the write-ahead log into the database file and empty it.

    SQLite's own checkpoints after a commit are passive and never shrink the file: a demo at ten
    times the default left a 3.4 GB log beside its 3.4 GB database, to be copied back by whichever
    later commit's checkpoint came first (10.6 s on this project's machine: a user's import or
    login would have waited that long).  Nothing to do on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()  # outside a transaction (the engine's connections begin one)
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        raw.close()


def analysed_rows(conn) -> dict[str, int]:
    """SQLite: the rows of each table as its planner statistics counted them (the most of its
    indexes': a partial index counts fewer); empty before any ``ANALYZE``."""
    if not conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
        return {}
    out: dict[str, int] = {}
    for table, stat in conn.exec_driver_sql("SELECT tbl, stat FROM sqlite_stat1"):
        out[table] = max(out.get(table, 0), int(str(stat).split()[0]))
    return out


def refresh_statistics(engine: Engine, table: str, summaries: tuple[str, ...] = (), *,
                       growth: float = 2.0) -> list[str]:
    """After an import into SQLite: gather planner statistics (``ANALYZE``) for ``table`` and the
    ``summaries`` made of its rows when it holds rows and has none, or has grown ``growth`` times
    since they were gathered; return the tables analysed.

    SQLite never gathers them by itself, and plans without them (or with a table's figures from
    when it was a tenth of its size) by guesses: a database filled by imports instead of the demo
    would read the identification clock's cases through the wrong index for good (see
    ``load_demo``).  Statistics of a table that grew a little stay: its plans hold.  Only the
    imported table is counted (the summaries grow with it).  Nothing to do on PostgreSQL, whose
    autovacuum analyses a table once a tenth of it has changed."""
    if engine.dialect.name != "sqlite":
        return []
    with writer(engine).begin() as conn:
        rows = conn.exec_driver_sql(f'SELECT count(*) FROM "{table}"').scalar_one()
        if not rows or rows < growth * analysed_rows(conn).get(table, 0):
            return []
        for name in (table, *summaries):
            conn.exec_driver_sql(f'ANALYZE "{name}"')
    return [table, *summaries]


WRITE_OPTION = "fundwatch_write"
#: The attribute of a PostgreSQL engine holding its :func:`reader`.
_READER = "_fundwatch_reader"


def writer(engine: Engine) -> Engine:
    """``engine`` for a transaction that writes: ``with writer(engine).begin() as conn`` or
    ``Session(writer(engine))``.

    On SQLite its transaction starts with ``BEGIN IMMEDIATE``, taking the write lock first (waiting
    up to the busy timeout for another writer).  A plain ``BEGIN`` that reads before it writes holds
    a snapshot; if another connection commits meanwhile, the write is refused at once ("database is
    locked", without waiting), and a login or an import would fail under a busy server.  Reads keep
    the plain ``BEGIN``, so they never wait for a writer.  On PostgreSQL nothing changes.
    """
    return engine.execution_options(**{WRITE_OPTION: True})


def reader(engine: Engine) -> Engine:
    """``engine`` for a read: ``with reader(engine).connect() as conn``.

    On PostgreSQL its connections run in autocommit: each statement is its own transaction, as each
    statement of a READ COMMITTED transaction sees its own snapshot anyway, and a read sends no
    ``BEGIN`` and no ``ROLLBACK`` (two of a small summary read's three round trips; about 0.3 ms
    of its 0.8).  The engine's other connections keep their transactions, so a write that forgets
    :func:`writer` is still one transaction.  On SQLite ``engine`` itself (a read there holds one
    snapshot in a deferred transaction, which costs no round trip)."""
    if engine.dialect.name != "postgresql":
        return engine
    found = getattr(engine, _READER, None)  # made once per engine: a new one costs a read 0.03 ms
    if found is None:
        found = engine.execution_options(isolation_level="AUTOCOMMIT")
        setattr(engine, _READER, found)
    return found


#: Per engine, the plans of the statements :func:`read_rows` has run: statement -> :class:`_Plan`.
_PLANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: Statements one engine keeps plans for; past it the plans are dropped and made again as used.
PLAN_ITEMS = 2048


class _Plan:
    """How :func:`read_rows` runs one statement on one dialect: compiled once, with its bind
    processors, and whether it runs straight on the driver (``direct``: SQLite or PostgreSQL, no
    column SQLAlchemy converts, no escaped parameter name)."""

    __slots__ = ("compiled", "direct", "processors")

    def __init__(self, compiled, direct: bool):
        self.compiled = compiled
        self.direct = direct
        self.processors = dict(compiled._bind_processors)


def read_rows(engine: Engine, stmt, params: dict | None = None) -> list[tuple]:
    """The rows (tuples) of the read statement ``stmt`` with ``params``, run straight on a pooled
    driver connection.

    For the statements the reads build once and run many times with parameters (a summary read:
    a few dozen rows).  SQLAlchemy's execution spends about 0.15 ms on each such statement beside
    the driver's own work (the statement's cache key walked again, an execution context, a result
    object), a third of a county's summary read on PostgreSQL.  Here the statement is compiled
    once per engine, and each run expands its parameters (an ``IN`` list) and applies the bind
    processors as SQLAlchemy does, then executes on a connection checked out of the engine's
    pool (its checkout listeners run as usual).  On PostgreSQL it runs in autocommit, as
    :func:`reader`'s connections do, and is prepared on its first run on each connection (psycopg
    prepares a statement on its sixth; parsed and planned afresh until then, a county's summary
    read took about 0.05 ms more of its 0.4-0.5 in a page's first reads).  On SQLite it runs as
    one statement, which reads one snapshot.  A driver error is raised as SQLAlchemy's error of the
    same kind (:data:`UNAVAILABLE` holds for it), and a lost connection is invalidated rather than
    returned to the pool.

    A statement is first run through SQLAlchemy, which shows whether any of its columns is
    converted (a date on SQLite, a boolean): such a statement, and any while a
    ``before_cursor_execute`` or ``after_cursor_execute`` listener watches the engine (a test
    logging statements), keeps running through SQLAlchemy."""
    params = params or {}
    dialect = engine.dialect
    watched = bool(engine.dispatch.before_cursor_execute) or bool(engine.dispatch.after_cursor_execute)
    plans = _PLANS.get(engine.engine)
    plan = None if plans is None else plans.get(stmt)
    if plan is None or not plan.direct or watched:
        with reader(engine).connect() as conn:
            result = conn.execute(stmt, params)
            processors = getattr(result._metadata, "_processors", None)  # None: not known
            rows = [tuple(row) for row in result.all()]
        if plan is None and not watched:
            compiled = stmt.compile(dialect=dialect)
            direct = (dialect.name in ("sqlite", "postgresql") and processors is not None and not any(processors)
                      and not compiled.escaped_bind_names and not compiled.schema_translate_map)
            plans = _PLANS.setdefault(engine.engine, {})
            if len(plans) >= PLAN_ITEMS:
                plans.clear()
            plans[stmt] = _Plan(compiled, direct)
        return rows
    expanded = plan.compiled.construct_expanded_state(params)
    processors = {**plan.processors, **expanded.processors} if expanded.processors else plan.processors
    values = expanded.parameters
    if dialect.positional:
        values = tuple(processors[key](values[key]) if key in processors else values[key]
                       for key in expanded.positiontup)
    elif processors:
        values = {key: processors[key](value) if key in processors else value for key, value in values.items()}
    return _run_direct(engine, expanded.statement, values)


def _run_direct(engine: Engine, statement: str, values) -> list[tuple]:
    """Run ``statement`` with the driver's ``values`` on a pooled connection (:func:`read_rows`)."""
    dialect = engine.dialect
    error = dialect.loaded_dbapi.Error
    try:
        fairy = engine.engine.raw_connection()
    except error as exc:
        raise DBAPIError.instance(None, None, exc, error, connection_invalidated=dialect.is_disconnect(exc, None, None),
                                  dialect=dialect) from exc
    driver = fairy.driver_connection
    postgres = dialect.name == "postgresql"
    cursor = None
    try:
        if postgres:
            driver.autocommit = True  # no BEGIN, no ROLLBACK: one statement, one snapshot
        cursor = driver.cursor()
        if postgres:  # prepared at once: a read the pages repeat is planned once per connection
            cursor.execute(statement, values, prepare=True)
        else:
            cursor.execute(statement, values)
        rows = cursor.fetchall()
        cursor.close()
        if postgres:
            driver.autocommit = False  # the pool hands its connections out in transaction mode
    except error as exc:
        lost = dialect.is_disconnect(exc, driver, cursor)
        _give_back(fairy, driver, postgres, exc if lost else None)
        raise DBAPIError.instance(statement, values, exc, error, connection_invalidated=lost,
                                  dialect=dialect) from exc
    except BaseException as exc:  # stopped half way (an interrupt): the connection's state is unknown
        _give_back(fairy, driver, postgres, exc)
        raise
    fairy.close()
    return rows


def _give_back(fairy, driver, postgres: bool, lost: BaseException | None) -> None:
    """Return a connection :func:`_run_direct` failed on to the pool: invalidated if ``lost``,
    else back in transaction mode (or invalidated if even that fails)."""
    if lost is None and postgres:
        try:
            driver.autocommit = False
        except Exception as exc:  # noqa: BLE001 - a connection that cannot even do that is lost
            lost = exc
    if lost is not None:
        fairy.invalidate(lost)
    fairy.close()


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN")


class _SqliteFileGuard:
    """Never let a new connection create an empty database where the file has gone.

    ``sqlite3.connect`` creates a missing file, so a database moved away or on an unmounted disk
    would come back as an empty database under a running server.  Only an engine asked for with
    ``create=True`` (``init``, ``demo``, the first ``serve``) may create the file, and only until
    it exists; from then on a missing file is an error of the connection (the pages show that the
    database is unavailable) until the file is back.
    """

    def __init__(self, path: Path):
        self.path = path
        self.may_create = False

    def __call__(self, _dialect, _record, _cargs, _cparams):
        if self.path.exists():
            self.may_create = False
        elif not self.may_create:
            raise sqlite3.OperationalError("unable to open database file: the file is missing")
        return None  # connect as usual


def get_engine(url: str | None = None, *, create: bool = False) -> Engine:
    """The process-wide engine for ``url`` (resolved as in :func:`resolve_url`).

    A SQLite file that does not exist is an error unless ``create`` is true (``init``, ``demo``
    and the first ``serve`` on the embedded default); its folder is then created.  Once this
    process has an engine for the file, that engine is returned even while the file is away (a
    served page during an outage): its connections then fail, and never create an empty file.
    """
    url = normalise_url(resolve_url(url))
    path = sqlite_path(url)
    with _lock:
        known = url in _engines
    if path is not None and not path.exists() and not (known and not create):
        if not create:
            raise DatabaseError(f"database file does not exist: {path} (create it with `fundwatch init`)")
        path.parent.mkdir(parents=True, exist_ok=True)
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _make_engine(url)
            _engines[url] = engine
        guard = _guards.get(url)
        if guard is not None and create and not guard.path.exists():
            guard.may_create = True
        return engine


_guards: dict[str, _SqliteFileGuard] = {}


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})
        path = sqlite_path(url)
        if path is not None:
            _guards[url] = _SqliteFileGuard(path)
            event.listen(engine, "do_connect", _guards[url])
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return postgres_engine(url)


def postgres_engine(url: str, *, search_path: str | None = None, pool_size: int = 5) -> Engine:
    """A new pooled engine for the PostgreSQL ``url`` as the pages use it: dead pooled connections
    replaced at checkout (:func:`_pg_checkout`), short connect timeout and keepalives.
    ``search_path``: the schema its connections use (tests keep databases side by side in one
    PostgreSQL database)."""
    connect_args = {"connect_timeout": CONNECT_TIMEOUT, **PG_KEEPALIVE}
    if search_path is not None:
        connect_args["options"] = f"-csearch_path={search_path}"
    engine = create_engine(normalise_url(url), pool_size=pool_size, max_overflow=10, pool_timeout=10,
                           connect_args=connect_args)
    event.listen(engine, "checkout", _pg_checkout)
    return engine


def _pg_checkout(dbapi_connection, _record, _proxy) -> None:
    """Refuse a pooled PostgreSQL connection the server has closed, without asking the server.

    An idle connection has nothing to read: the server writes to it only to end it (a restart, an
    administrator, ``idle_session_timeout``: a last error message, then the end of the stream).
    So a socket with something to read, or none at all, is a dead connection, and the pool opens a
    new one in its place (:class:`DisconnectionError` from a checkout listener).  This replaces
    ``pool_pre_ping``, whose round trip to the server cost every read about 0.15 ms.  A server
    that vanished without a word (a cable pulled) is caught as before by the keepalives
    (:data:`PG_KEEPALIVE`) and the health monitor, which a ping could not have caught sooner."""
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("the connection is closed")
    try:
        fd = dbapi_connection.pgconn.socket
    except Exception as exc:  # noqa: BLE001 - psycopg raises its own error for a socket it no longer has
        raise DisconnectionError("the connection has no socket") from exc
    if _readable(fd):
        raise DisconnectionError("the server closed the connection while it sat in the pool")


def _readable(fd: int) -> bool:
    """Whether the file descriptor has something to read (or its end) right now, without waiting."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(0))
    return bool(select.select([fd], [], [], 0)[0])


def dispose(url: str) -> None:
    """Close the pooled connections of the engine for ``url``, if this process has one: the next
    use opens fresh connections (after a database outage)."""
    with _lock:
        engine = _engines.get(normalise_url(resolve_url(url)))
    if engine is not None:
        engine.dispose()


def dispose_all() -> None:
    """Close every pooled connection (tests, forked workers)."""
    with _lock:
        for engine in (*_engines.values(), *_ping_engines.values()):
            engine.dispose()
        _engines.clear()
        _guards.clear()
        _ping_engines.clear()


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


_ping_engines: dict[str, Engine] = {}


def _ping_engine(url: str) -> Engine:
    """A pool-less engine for :func:`ping` on a PostgreSQL URL: every check opens a connection of
    its own with short timeouts, so it neither waits for nor disturbs the pages' pool."""
    with _lock:
        engine = _ping_engines.get(url)
        if engine is None:
            timeout_ms = int(PING_TIMEOUT * 1000)
            engine = create_engine(url, poolclass=NullPool, connect_args={
                "connect_timeout": max(1, round(PING_TIMEOUT)), **PG_KEEPALIVE, "tcp_user_timeout": timeout_ms})
            _ping_engines[url] = engine
        return engine


def ping(url: str | None = None) -> bool:
    """Whether the database at ``url`` (resolved as in :func:`resolve_url`) answers now: the schema
    version is read within about :data:`PING_TIMEOUT` seconds.  A SQLite file must be there and
    readable (it is opened read-write but never created); a PostgreSQL server must accept a new
    connection.  Never raises: any failure is False (the reason is not the caller's business)."""
    try:
        url = normalise_url(resolve_url(url))
        path = sqlite_path(url)
        if path is not None:
            if not path.is_file() or not os.access(path, os.R_OK | os.W_OK):
                return False
            conn = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, timeout=PING_TIMEOUT,
                                   check_same_thread=False)
            try:
                conn.execute("SELECT version_num FROM alembic_version").fetchall()
            finally:
                conn.close()
            return True
        if url.startswith("sqlite"):  # in memory: always there
            return True
        with _ping_engine(url).connect() as conn:
            conn.exec_driver_sql(f"SET statement_timeout = {int(PING_TIMEOUT * 1000)}")
            conn.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall()
        return True
    except Exception:  # noqa: BLE001 - every failure means "not ready"
        return False
