"""The data generation: a counter the database moves whenever the tables the rules read change.

Why: evaluating the policy rules over a prefecture reads every project, loan and household on
record, which costs seconds at ten times the demo; their findings change only when those tables
do (or the date asked about does).  So they are kept (:mod:`fundwatch.data.rules.stored`) with
the generation they were computed at, and a kept result is used only while the generation is
still the current one.

How it stays right: triggers on every table of :data:`SOURCES` add one to
``data_generation.generation`` in the writing transaction, whatever wrote (the import pipeline,
a test fixture, a database console): the new generation becomes visible exactly when the new
rows do, and a rolled-back write leaves it as it was.  PostgreSQL counts once per statement;
SQLite, which has no statement triggers, once per row (a single-row update, a few microseconds).
On PostgreSQL two writing transactions queue on that one row until the first commits; imports
are short and already write one county at a time, so that is accepted.
Migration 0007 creates the table and the triggers; :func:`fundwatch.data.summaries.suspended`
drops them around the demo's bulk load and moves the generation once at its end.
"""

from __future__ import annotations

from sqlalchemy import Connection

#: The tables whose rows the policy rules read.
SOURCES = (
    "region", "region_flag", "allocation", "disbursement", "project", "county_finance", "loan",
    "risk_fund_deposit", "asset", "asset_income", "household", "assistance_measure", "dibao_standard",
)
_EVENTS = ("insert", "update", "delete")
_BUMP = "UPDATE data_generation SET generation = generation + 1 WHERE id = 1"


def current(conn: Connection) -> int:
    """The current generation (0 on a database that has never had its tables written to)."""
    value = conn.exec_driver_sql("SELECT generation FROM data_generation WHERE id = 1").scalar()
    return int(value or 0)


def bump(conn: Connection) -> None:
    """Move the generation by one in ``conn``'s transaction (after a write the triggers missed)."""
    conn.exec_driver_sql(_BUMP)


def create_triggers(conn: Connection, sources: tuple[str, ...] = SOURCES) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("CREATE OR REPLACE FUNCTION fw_generation() RETURNS trigger LANGUAGE plpgsql AS "
                             f"$$ BEGIN {_BUMP}; RETURN NULL; END $$")
        for table in sources:
            conn.exec_driver_sql(f"CREATE TRIGGER fw_generation_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                                 f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION fw_generation()")
        return
    if conn.dialect.name != "sqlite":
        raise NotImplementedError(f"generation triggers for {conn.dialect.name}")
    for table in sources:
        for event in _EVENTS:
            conn.exec_driver_sql(f"CREATE TRIGGER fw_generation_{table}_{event} AFTER {event.upper()} ON {table} "
                                 f"BEGIN {_BUMP}; END")


def drop_triggers(conn: Connection, sources: tuple[str, ...] = SOURCES) -> None:
    for table in sources:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS fw_generation_{table} ON {table}")
        else:
            for event in _EVENTS:
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS fw_generation_{table}_{event}")


__all__ = ["SOURCES", "bump", "create_triggers", "current", "drop_triggers"]
