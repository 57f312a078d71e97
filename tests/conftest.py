"""Shared fixtures: real databases on both backends, and clean Panel state between tests.

Data tests take ``blank_engine`` (an empty schema at head) or ``demo_engine`` (a small demo
database, built once per backend and session).  Both run on SQLite and, when
``FUNDWATCH_TEST_PG_URL`` is set, on PostgreSQL with the same assertions.  In CI (``CI`` set)
a missing PostgreSQL URL is an error, not a skip.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import Engine

from fundwatch.data import db, schema
from fundwatch.data.models import Base

PG_URL = os.environ.get("FUNDWATCH_TEST_PG_URL")
BACKENDS = ["sqlite", pytest.param("pg", marks=pytest.mark.pg)]
DEMO_SCALE = float(os.environ.get("FUNDWATCH_TEST_DEMO_SCALE", "0.02"))


def _pg_url() -> str:
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("FUNDWATCH_TEST_PG_URL is not set in CI: PostgreSQL tests must run")
        pytest.skip("FUNDWATCH_TEST_PG_URL not set: PostgreSQL not available on this machine")
    return PG_URL


def pg_schema_url(name: str) -> str:
    """The test database's URL whose connections use the schema ``name`` as their search path, as
    a subprocess or a served process takes it (``?options=-csearch_path=NAME``)."""
    url = _pg_url()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{name}"


def _reset_pg(engine: Engine) -> None:
    """Drop everything in the test database's public schema and migrate to head."""
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    schema.upgrade(engine)


def _truncate_pg(engine: Engine) -> None:
    """Empty every table of data; the working-day calendar's due dates (``workday_due``) belong to
    the schema, which a database at the head revision has filled."""
    names = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != "workday_due")
    with engine.begin() as conn:  # TRUNCATE fires no row triggers: the audit log empties too
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture(scope="session")
def pg_engine() -> Engine:
    engine = db.get_engine(_pg_url())
    _reset_pg(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def blank_engine(request, tmp_path) -> Engine:
    """An empty database at the head revision, on each backend."""
    if request.param == "sqlite":
        engine = db.get_engine(f"sqlite:///{tmp_path / 'blank.db'}", create=True)
        schema.upgrade(engine)
        yield engine
        engine.dispose()
    else:
        engine = request.getfixturevalue("pg_engine")
        _truncate_pg(engine)
        yield engine
        _truncate_pg(engine)


@pytest.fixture(scope="session")
def _demo_engines() -> dict[str, Engine]:
    engines: dict[str, Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


def _build_demo(engine: Engine) -> None:
    from fundwatch.data import demo

    demo.load_demo(engine, scale=DEMO_SCALE)


@pytest.fixture(params=BACKENDS)
def demo_engine(request, _demo_engines, tmp_path_factory) -> Engine:
    """A small demo database (``FUNDWATCH_TEST_DEMO_SCALE``, default 0.02), read-only for tests.

    The PostgreSQL one lives in its own schema so blank tests can truncate ``public`` freely.
    """
    backend = request.param
    if backend not in _demo_engines:
        _demo_engines[backend] = new_demo_database(backend, "demo", tmp_path_factory)
    return _demo_engines[backend]


def new_demo_database(backend: str, name: str, tmp_path_factory) -> Engine:
    """A fresh demo database called ``name``: a SQLite file, or a PostgreSQL schema of that name
    (dropped first), so a module that writes can have one of its own."""
    engine = new_blank_database(backend, name, tmp_path_factory)
    _build_demo(engine)
    return engine


def new_blank_database(backend: str, name: str, tmp_path_factory) -> Engine:
    """Like :func:`new_demo_database`, but empty: the schema at head and no rows."""
    if backend == "sqlite":
        engine = db.get_engine(f"sqlite:///{tmp_path_factory.mktemp(name) / f'{name}.db'}", create=True)
    else:
        base = db.get_engine(_pg_url())
        with base.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")
            conn.exec_driver_sql(f"CREATE SCHEMA {name}")
        engine = _schema_engine(_pg_url(), name)
    schema.upgrade(engine)
    return engine


def _schema_engine(url: str, name: str) -> Engine:
    """A separate engine, set up as the pages' engine is, whose connections use ``name`` as their
    search path."""
    return db.postgres_engine(url, search_path=name, pool_size=2)


@pytest.fixture(scope="session", autouse=True)
def _dispose_engines():
    yield
    db.dispose_all()

