"""The identification limit's due dates, kept in the database (``workday_due``, migration 0025).

A case found on a day must be identified and entered into the system within 15 working days
(seeds/003_6082cdd0a662c78b.txt item 二(一)).  Working days follow the official calendar of
:mod:`fundwatch.data.workdays`, which lives in Python (the ``chinese-calendar`` package's holiday
notices).  The identification clock's summaries (:mod:`fundwatch.data.summaries`, source
``clock``) judge each case in the triggers of the writing transaction, whatever wrote it, so they
read the due dates from a table: one row per day of :data:`FIRST` .. :data:`LAST`, the same span
as the year-end snapshots of the other summaries.

The table is the calendar as the installed package knows it.  A newer package brings the next
year's notice and moves the due dates of its days (and of the last weeks of the year before), so
:func:`refresh` compares the table with the calendar and, where they differ, rewrites the rows
and rebuilds the clock's summaries in one transaction.  Every migration to the head
(:func:`fundwatch.data.schema.upgrade`: ``fundwatch init``, the embedded database's ``serve``)
and every command that opens a database already at the head (``serve --db``, the exports) run
:func:`ensure` first; a database refreshed by one version is right for every process of it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import Connection, Date, Engine, bindparam, text

from . import generation, summaries, workdays
from .db import reader, writer

#: Working days a case has to be identified and entered (seeds/003 item 二(一)).
ID_LIMIT_WORKDAYS = 15
#: The days ``workday_due`` holds (the summaries' calendar years, :data:`fundwatch.data.summaries.CALENDAR_YEARS`).
FIRST, LAST = dt.date(2010, 1, 1), dt.date(2040, 12, 31)

# The writes typed: SQLAlchemy's ``Date`` passes each backend its dates (ISO text to SQLite).
_INSERT = text("INSERT INTO workday_due (day, due_on, late_on, provisional) "
               "VALUES (:day, :due_on, :late_on, :provisional)").bindparams(
    *(bindparam(name, type_=Date) for name in ("day", "due_on", "late_on")))
_DELETE = text("DELETE FROM workday_due WHERE day IN :days").bindparams(bindparam("days", expanding=True, type_=Date))
_COLUMNS = ("day", "due_on", "late_on", "provisional")


def expected() -> list[tuple[dt.date, dt.date, dt.date, int]]:
    """Every row ``workday_due`` should hold by the installed calendar: ``(day, due_on, late_on,
    provisional)``."""
    days = np.arange(np.datetime64(FIRST), np.datetime64(LAST) + 1)
    due, provisional = workdays.add_workdays_array(days, ID_LIMIT_WORKDAYS)
    late = due + np.timedelta64(1, "D")
    return list(zip(days.tolist(), due.tolist(), late.tolist(), provisional.astype(int).tolist(), strict=True))


def _held(conn: Connection) -> list[tuple[dt.date, dt.date, dt.date, int]]:
    """The table's rows, read untyped (SQLAlchemy's date conversion of its 34,000 dates cost
    SQLite's check at start-up 20 -> 56 ms) and made dates here."""
    rows = conn.exec_driver_sql("SELECT day, due_on, late_on, provisional FROM workday_due ORDER BY day").all()
    return [(_date(a), _date(b), _date(c), int(p)) for a, b, c, p in rows]


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _write(conn: Connection, rows: list[tuple]) -> None:
    conn.execute(_INSERT, [dict(zip(_COLUMNS, row, strict=True)) for row in rows])


def fill(conn: Connection) -> None:
    """Write every row of ``workday_due`` (into the empty table, migration 0025)."""
    _write(conn, expected())


def ensure(engine: Engine) -> int:
    """:func:`refresh` ``engine``'s database if its table differs from the installed calendar (one
    read when it does not: no write lock taken).  Returns the number of days rewritten."""
    with reader(engine).connect() as conn:
        if _held(conn) == expected():
            return 0
    with writer(engine).begin() as conn:
        return refresh(conn)


def refresh(conn: Connection) -> int:
    """Make ``workday_due`` the installed calendar's, in ``conn``'s transaction: rewrite the rows
    that differ and, when any did, rebuild the identification clock's summaries from the raw
    households and move the data generation (the pages' cached reads are then stale).  Returns
    the number of days rewritten (0: the table was right; one read of 11,000 rows)."""
    want, held = expected(), _held(conn)
    if len(want) != len(held):  # a table cut short or grown: write it whole
        changed = want
        conn.exec_driver_sql("DELETE FROM workday_due")
    else:
        changed = [row for row, kept in zip(want, held, strict=True) if row != kept]
        days = [row[0] for row in changed]
        for start in range(0, len(days), 500):
            conn.execute(_DELETE, {"days": days[start:start + 500]})
    if not changed:
        return 0
    _write(conn, changed)
    summaries.install(conn, ("clock",))
    generation.bump(conn)
    return len(changed)
