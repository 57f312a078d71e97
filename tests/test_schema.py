"""The schema: migrations match the models, the audit log is append-only, SQLite is set up right."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import _pg_url
from sqlalchemy import exc, insert, inspect, text, update

from fundwatch.data import access, db, schema
from fundwatch.data.models import AuditEntry, Base, Region


def _made_on(dialect: str):
    """alembic's comparison knows nothing of ``ddl_if``: a model's index made on another database
    only (``Index(...).ddl_if(dialect=...)``) is left out of the comparison on this one."""
    def include(obj, name, type_, reflected, compare_to) -> bool:
        rule = getattr(obj, "_ddl_if", None)
        if reflected or rule is None or rule.dialect is None:
            return True
        return dialect == rule.dialect if isinstance(rule.dialect, str) else dialect in rule.dialect
    return include


def test_migration_matches_models(blank_engine):
    with blank_engine.connect() as conn:
        opts = {"compare_type": True, "include_object": _made_on(blank_engine.dialect.name)}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    assert diff == []
    assert schema.is_current(blank_engine)
    assert set(inspect(blank_engine).get_table_names()) >= set(Base.metadata.tables)


def test_the_monitoring_months_index_by_month_is_postgresqls_alone(blank_engine):
    """Migration 0031 indexes the monitoring summary's months by month on PostgreSQL, whose heap
    the prefecture's read would otherwise scan whole, and not on SQLite, which reads the rows in
    the key's order; down and up again it goes and comes back."""
    def indexes() -> set[str]:
        return {index["name"] for index in inspect(blank_engine).get_indexes("monitoring_month")}

    postgres = blank_engine.dialect.name == "postgresql"
    assert ("ix_monitoring_month_ym" in indexes()) is postgres
    command.downgrade(schema.alembic_config(blank_engine), "0030")
    try:
        assert "ix_monitoring_month_ym" not in indexes()
    finally:
        schema.upgrade(blank_engine)
    assert ("ix_monitoring_month_ym" in indexes()) is postgres


def test_the_household_list_indexes_go_down_and_up(blank_engine):
    """Migration 0032's indexes for the transition list's default order (a county's households by
    id, the cases entered late or not yet) are made on both databases, and go and come back."""
    def indexes() -> set[str]:
        return {index["name"] for index in inspect(blank_engine).get_indexes("household")}

    made = {"ix_household_county_id", "ix_household_slow"}
    assert made <= indexes()
    command.downgrade(schema.alembic_config(blank_engine), "0031")
    try:
        assert not made & indexes()
    finally:
        schema.upgrade(blank_engine)
    assert made <= indexes()


def test_audit_log_is_append_only(blank_engine):
    row = {"at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "actor": "admin", "action": "export",
           "result": "ok", "detail": {}}
    with blank_engine.begin() as conn:
        conn.execute(insert(AuditEntry), [row])
    with pytest.raises(exc.DBAPIError, match="append-only"), blank_engine.begin() as conn:
        conn.execute(update(AuditEntry).values(actor="someone else"))
    with pytest.raises(exc.DBAPIError, match="append-only"), blank_engine.begin() as conn:
        conn.execute(AuditEntry.__table__.delete())
    with blank_engine.connect() as conn:
        assert conn.execute(AuditEntry.__table__.select()).one().actor == "admin"


def test_vocabulary_is_enforced(blank_engine):
    with pytest.raises(exc.IntegrityError), blank_engine.begin() as conn:
        conn.execute(insert(Region), [{"code": "360700", "name": "赣州市", "level": "province"}])


def test_foreign_keys_are_enforced(blank_engine):
    with pytest.raises(exc.IntegrityError), blank_engine.begin() as conn:
        conn.execute(insert(Region), [{"code": "360731", "name": "于都县", "level": "county",
                                       "parent_code": "999999", "county_code": "360731"}])


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = db.get_engine(f"sqlite:///{tmp_path / 'wal.db'}", create=True)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_sqlite_transaction_rolls_back_every_statement(tmp_path):
    """The driver's implicit transaction handling is replaced: a failed block leaves nothing."""
    engine = db.get_engine(f"sqlite:///{tmp_path / 'tx.db'}", create=True)
    schema.upgrade(engine)
    try:
        with pytest.raises(exc.IntegrityError), engine.begin() as conn:
            conn.execute(insert(Region), [{"code": "360700", "name": "赣州市", "level": "city"}])
            conn.execute(insert(Region), [{"code": "360700", "name": "again", "level": "city"}])
        with engine.connect() as conn:
            assert conn.execute(Region.__table__.select()).all() == []
    finally:
        engine.dispose()


def _hold_the_write_lock(engine) -> tuple[threading.Thread, threading.Event]:
    """Another connection writes and keeps its transaction open until the returned event is set;
    returns once it holds the write lock."""
    holding, release = threading.Event(), threading.Event()

    def hold():
        with engine.begin() as conn:
            conn.execute(insert(AuditEntry), [{"at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "actor": "other",
                                               "action": "export", "result": "ok", "detail": {}}])
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(5)
    return thread, release


@pytest.mark.parametrize("blank_engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize("write", ["start_session", "add_user"])
def test_sqlite_write_that_reads_first_waits_for_another_writer(blank_engine, write):
    """A login (reads the user, then inserts the session) while another connection is writing: its
    transaction takes the write lock first (BEGIN IMMEDIATE) and waits, instead of reading a
    snapshot that the other commit makes stale and failing at once with "database is locked"."""
    engine = blank_engine
    access.add_user(engine, "leader", "a long enough password 1", "city_leader", actor="test")
    account = access.get_user(engine, "leader")
    thread, release = _hold_the_write_lock(engine)
    threading.Timer(0.5, release.set).start()  # commits while the login is under way
    try:
        if write == "start_session":
            assert access.resolve_session(engine, access.start_session(engine, account)) == account
        else:
            access.add_user(engine, "analyst", "a long enough password 2", "analyst", actor="test")
            assert access.get_user(engine, "analyst") is not None
    finally:
        thread.join()
    with engine.connect() as conn:  # the other writer's row is there too
        assert conn.execute(AuditEntry.__table__.select().where(AuditEntry.actor == "other")).one()


@pytest.mark.parametrize("blank_engine", ["sqlite"], indirect=True)
def test_sqlite_reads_do_not_wait_for_a_writer(blank_engine):
    thread, release = _hold_the_write_lock(blank_engine)
    try:
        with blank_engine.connect() as conn:
            assert conn.execute(AuditEntry.__table__.select()).all() == []  # the open write is not seen
        assert thread.is_alive() and not release.is_set()  # read while the writer still held the lock
    finally:
        release.set()
        thread.join()


PG_ONLY = [pytest.param("pg", marks=pytest.mark.pg)]


def _transaction_ids(conn) -> tuple[int, int]:
    """The transaction ids of two statements in a row on ``conn`` (equal within one transaction)."""
    return tuple(conn.exec_driver_sql("SELECT pg_current_xact_id()::text::bigint").scalar() for _ in range(2))


@pytest.mark.parametrize("blank_engine", PG_ONLY, indirect=True)
def test_postgresql_reads_autocommit_and_every_other_connection_is_one_transaction(blank_engine):
    """A read through ``reader`` sends no BEGIN or ROLLBACK (each statement is its own transaction);
    the engine's other connections, writes above all, keep their transactions, also on a pooled
    connection a read used before, and a write that fails leaves nothing behind."""
    engine = blank_engine
    for _ in range(2):  # the second time on the connection the others used
        with db.reader(engine).connect() as conn:
            first, second = _transaction_ids(conn)
            assert first != second
        for bind in (engine, db.writer(engine)):
            with bind.connect() as conn:
                first, second = _transaction_ids(conn)
                assert first == second
    city = {"code": "360700", "name": "赣州市", "level": "city"}
    county = {"code": "360731", "name": "于都县", "level": "county", "county_code": "360731",
              "parent_code": "360700"}
    for bind in (engine, db.writer(engine)):
        with pytest.raises(RuntimeError, match="half-way"), bind.begin() as conn:
            conn.execute(insert(Region), [city])
            conn.execute(insert(Region), [county])
            raise RuntimeError("half-way")
        with db.reader(engine).connect() as conn:
            assert conn.execute(Region.__table__.select()).all() == []


@pytest.mark.pg
def test_a_pooled_postgresql_connection_the_server_ended_is_replaced():
    """A pooled connection whose backend the server ended (a restart, an administrator) is found
    dead at checkout without a round trip, and the read runs on a new connection: no error."""
    engine = db.postgres_engine(_pg_url(), pool_size=1)
    admin = db.postgres_engine(_pg_url(), pool_size=1)
    try:
        with engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
            gone = text("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :pid")
            for _ in range(100):  # the backend's goodbye is written before it is gone from the list
                # pg_stat_activity is read once per transaction and kept: look afresh each time
                # (without this, a first look before the backend had gone was repeated to the end)
                conn.execute(text("SELECT pg_stat_clear_snapshot()"))
                if conn.execute(gone, {"pid": pid}).scalar():
                    break
                time.sleep(0.05)
            else:
                pytest.fail(f"backend {pid} was not ended")
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid
    finally:
        engine.dispose()
        admin.dispose()


def test_missing_sqlite_file_is_refused(tmp_path):
    missing = tmp_path / "missing.db"
    with pytest.raises(db.DatabaseError, match="does not exist"):
        db.get_engine(str(missing))
    assert not missing.exists()


@pytest.mark.parametrize("url", ["mysql://x@y/z", "not a url at all://"])
def test_unsupported_urls_are_refused(url):
    with pytest.raises(db.DatabaseError):
        db.get_engine(url)
