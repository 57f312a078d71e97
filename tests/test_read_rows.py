"""``db.read_rows``: a read statement run straight on a pooled driver connection returns the rows
SQLAlchemy would, leaves the pool's connections as SQLAlchemy hands them out, and fails as
SQLAlchemy would (its error classes; a lost connection replaced)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy import bindparam, event, func, select
from sqlalchemy.exc import DBAPIError, OperationalError

from fundwatch.data import db
from fundwatch.data.models import Household
from fundwatch.data.reads import assets, households
from fundwatch.data.scope import Scope


def _rows(engine, stmt, params):
    with db.reader(engine).connect() as conn:
        return [tuple(row) for row in conn.execute(stmt, params).all()]


def test_it_returns_sqlalchemys_rows_and_runs_direct_from_the_second_time(demo_engine):
    """A summary statement with an expanding IN list, and one with date parameters (SQLite's
    bind processors turn them into text): the first run goes through SQLAlchemy, the later ones
    straight to the driver, and every run returns SQLAlchemy's rows."""
    as_of = dt.date(2024, 6, 30)
    cases = [
        (assets._mix_statement(Scope.all(), ("asset_class",), "county", True), {"county": "360731", "formed": 2020}),
        (households._summary_statement(demo_engine.dialect.name, Scope.all(), ("category", "status"), "county", True,
                                      True, False),
         {"place": "360731", "base": dt.date(2023, 12, 31), "base_ym": 202312, "full": 202406,
          "first": as_of.replace(day=1), "eve": as_of.replace(day=1) - dt.timedelta(days=1), "as_of": as_of}),
    ]
    for stmt, params in cases:
        expected = _rows(demo_engine, stmt, params)
        assert expected, "the demo has rows for the statement"
        assert db.read_rows(demo_engine, stmt, params) == expected
        assert db._PLANS[demo_engine][stmt].direct
        assert db.read_rows(demo_engine, stmt, params) == expected
        assert db.read_rows(demo_engine, stmt, {**params, "county": "999999", "place": "999999"}) == []


def test_a_column_sqlalchemy_converts_keeps_running_through_it(demo_engine):
    """A date column comes back as a date on both databases: on SQLite, where SQLAlchemy turns
    the stored text into a date, the statement never runs direct."""
    stmt = select(Household.found_on).where(Household.found_on.is_not(None)).order_by(Household.id).limit(
        bindparam("n", type_=sa.Integer()))
    for _ in range(3):
        (value,), = db.read_rows(demo_engine, stmt, {"n": 1})
        assert isinstance(value, dt.date)
    assert db._PLANS[demo_engine][stmt].direct is (demo_engine.dialect.name == "postgresql")


def test_a_statement_log_sees_every_statement(demo_engine):
    """While a ``before_cursor_execute`` listener watches the engine, reads go through SQLAlchemy."""
    stmt = assets._mix_statement(Scope.all(), ("county_code",), "city", False)
    db.read_rows(demo_engine, stmt, {"county": None, "formed": None})
    seen: list[str] = []

    def log(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(demo_engine, "before_cursor_execute", log)
    try:
        db.read_rows(demo_engine, stmt, {"county": None, "formed": None})
    finally:
        event.remove(demo_engine, "before_cursor_execute", log)
    assert [s for s in seen if "asset_year" in s] == [seen[-1]]  # SQLite's BEGIN before it


@pytest.mark.pg
def test_postgresql_connections_go_back_to_the_pool_in_transaction_mode(pg_engine):
    """A read runs in autocommit (no BEGIN, no ROLLBACK); the connection the pool hands out next
    is in transaction mode again, after a read that succeeded and after one that failed."""
    engine = db.postgres_engine(pg_engine.url.render_as_string(hide_password=False), pool_size=1)
    stmt = select(func.count()).select_from(Household).where(Household.county_code == bindparam("c", type_=sa.String()))
    broken = select(func.cast(bindparam("v", type_=sa.String()), sa.Integer()))
    try:
        for _ in range(3):
            db.read_rows(engine, stmt, {"c": "360731"})
            with pytest.raises(DBAPIError):  # 'x' is no integer: an error of the statement, not of the connection
                db.read_rows(engine, broken, {"v": "x"})
            with engine.connect() as conn:
                assert conn.connection.driver_connection.autocommit is False
                assert conn.execute(stmt, {"c": "360731"}).scalar_one() >= 0
        assert engine.pool.checkedout() == 0
    finally:
        engine.dispose()


@pytest.mark.pg
def test_a_direct_postgresql_read_is_prepared_on_its_first_run(pg_engine):
    """The first direct run of a statement on a connection prepares it there (psycopg alone would
    parse and plan it afresh for five runs), and later runs use that one statement."""
    engine = db.postgres_engine(pg_engine.url.render_as_string(hide_password=False), pool_size=1)
    stmt = select(func.count()).select_from(Household).where(Household.county_code == bindparam("c", type_=sa.String()))

    def prepared() -> list[str]:
        fairy = engine.raw_connection()
        try:
            cursor = fairy.driver_connection.cursor()
            cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%FROM household%'")
            return [row[0] for row in cursor.fetchall()]
        finally:
            fairy.close()

    try:
        db.read_rows(engine, stmt, {"c": "360731"})  # through SQLAlchemy: not prepared
        assert prepared() == []
        db.read_rows(engine, stmt, {"c": "360731"})
        assert len(prepared()) == 1
        for code in ("360732", "360703"):
            db.read_rows(engine, stmt, {"c": code})
        assert len(prepared()) == 1
    finally:
        engine.dispose()


@pytest.mark.pg
def test_a_lost_postgresql_connection_raises_sqlalchemys_error_and_is_replaced(pg_engine):
    """A connection the server ends during a read raises SQLAlchemy's OperationalError (what the
    pages take for "the database is unavailable"), is not returned to the pool, and the next read
    works on a new connection."""
    engine = db.postgres_engine(pg_engine.url.render_as_string(hide_password=False), pool_size=1)
    pid = select(func.pg_backend_pid() + bindparam("zero", type_=sa.Integer()))
    kill = bindparam("kill", type_=sa.Integer())
    suicide = select(sa.case((kill == 1, func.pg_terminate_backend(func.pg_backend_pid())), else_=sa.false()))
    try:
        first = db.read_rows(engine, pid, {"zero": 0})
        assert db.read_rows(engine, suicide, {"kill": 0}) == [(False,)]  # through SQLAlchemy: planned
        assert db._PLANS[engine][suicide].direct
        for _ in range(2):
            with pytest.raises(OperationalError) as caught:
                db.read_rows(engine, suicide, {"kill": 1})
            assert caught.value.connection_invalidated
            assert engine.pool.checkedout() == 0
            again = db.read_rows(engine, pid, {"zero": 0})
            assert again != first
            first = again
    finally:
        engine.dispose()
