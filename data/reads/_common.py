"""Helpers shared by the read functions: scoped frames, exact sums, region filters."""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import (BigInteger, Connection, Engine, Integer, Select, String, any_, bindparam, cast, false, func,
                        literal_column, select, true)
from sqlalchemy.sql import operators
from sqlalchemy.sql.expression import UnaryExpression

from ..db import reader
from ..models import Region
from ..scope import Scope, require_scope

FEN_PER_YUAN = 100


def constant(text: str):
    """SQL: the text ``text`` written into a statement rather than bound as a parameter.

    For the fixed values a summary's rows are told apart by (``village_code = ''``: a township's
    or a county's totals): a statement run many times is prepared on PostgreSQL, which after five
    runs plans it once for any parameters, and with ``''`` as a parameter it could not tell that
    every total of the prefecture holds it.  It then read a township's totals through the index by
    village (a township's households by category at scale 10: 14,000 rows looked at for 54, 2.7
    against 0.25 ms).  Only for text the code itself writes: never for a value a user gave."""
    return literal_column("'" + text.replace("'", "''") + "'", String())


def unindexed(dialect: str, column):
    """SQL: ``column``, on SQLite as a term it looks up in no index of its own (``+column``, which
    leaves the value as it is); on another database ``column`` itself.

    SQLite chooses an index by its rows per value, not by how many rows the value at hand has or
    how much of the table a date bound covers.  For the households of a county identified by a
    date it took ``ix_household_identified`` (every household of the prefecture identified by
    then, each looked up in the table for its county) over ``ix_household_county``'s range of the
    county, which covers the read: 271 against 47 ms for a county at scale 10.  For a township's
    totals in the household summary (``village_code = ''``) it took the index by village, whose
    value ``''`` holds every township's and county's totals of the prefecture, over the index by
    township: 3.3 against 0.15 ms.  PostgreSQL plans from the values' statistics."""
    if dialect != "sqlite":
        return column
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def frame(engine: Engine, stmt: Select, *, plain: bool = False) -> pd.DataFrame:
    """Run ``stmt`` and return its rows as a DataFrame with the statement's column names.

    The rows go to pandas as plain tuples: given SQLAlchemy rows, pandas 3.1 asks each one for a
    ``dtype`` attribute, which a row answers by raising and catching an error, and that made a
    large frame more than twice as slow to build (80,000 households: 640 -> 270 ms).

    ``plain``: every column of ``stmt`` is an integer or text as the driver returns it (no date,
    decimal or boolean SQLAlchemy would convert), so the driver's rows are taken as they are,
    without making a SQLAlchemy row of each (a county's 31,000 listed households: about 30 ms
    less).  A statement with a column SQLAlchemy converts is refused."""
    if plain:
        keys, rows = plain_rows(engine, stmt)
        return pd.DataFrame(rows, columns=keys)
    with reader(engine).connect() as conn:
        result = conn.execute(stmt)
        return pd.DataFrame([tuple(row) for row in result.all()], columns=list(result.keys()))


def plain_rows(engine: Engine, stmt: Select) -> tuple[list[str], list[tuple]]:
    """The column names of ``stmt`` and its rows as the driver returns them (tuples), for a
    statement whose every column is an integer or text SQLAlchemy leaves as it is (see
    :func:`frame`'s ``plain``; a statement with a column SQLAlchemy converts is refused)."""
    with reader(engine).connect() as conn:
        result = conn.execute(stmt)
        keys = list(result.keys())
        processors = getattr(result._metadata, "_processors", None)  # None: not known
        if processors is None:
            return keys, [tuple(row) for row in result.all()]
        converted = [name for name, processor in zip(keys, processors) if processor is not None]
        if converted:
            result.close()
            raise ValueError(f"columns {converted} are converted by SQLAlchemy: not plain")
        return keys, result.cursor.fetchall()


def columns_frame(rows: list, columns: Sequence[str], ints: Sequence[str] = (), yuan: Sequence[str] = ()
                  ) -> pd.DataFrame:
    """A DataFrame of ``rows`` (tuples) built column by column: the ``ints`` columns as int64 arrays,
    the ``yuan`` columns (``<name>_fen``, integer fen) as float yuan columns named ``<name>``, the
    others as object columns.  A few dozen summary rows become a frame several times faster than
    from the tuples with casts and renames after (a county read's 1.5 of 5 ms).  Every column
    shares one index, so the frame is put together without aligning them: a county's nine rows
    of households by category took 0.21 ms, now 0.13 (timed in one process, beside a test run),
    of a read of about 0.55 ms on PostgreSQL."""
    values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    index = pd.RangeIndex(len(rows))
    out = {}
    for name, column in zip(columns, values, strict=True):
        if name in yuan:
            out[name.removesuffix("_fen")] = np.array(column, dtype="int64") / FEN_PER_YUAN
        elif name in ints:
            out[name] = np.array(column, dtype="int64")
        else:  # object, as pandas would not infer it (a text column would become pandas' str)
            cells = np.empty(len(rows), dtype=object)
            cells[:] = column
            out[name] = pd.Series(cells, index=index, dtype=object, copy=False)
    return pd.DataFrame(out, index=index, copy=False)


def fen_sum(column, label: str):
    """SUM of an integer-fen column as a 64-bit integer on every backend (0 when empty)."""
    return cast(func.coalesce(func.sum(column), 0), BigInteger).label(label)


def year_of(engine: Engine, column):
    """SQL: the year of the date ``column`` as an integer, on either backend.

    SQLite keeps a date as ISO text (``YYYY-MM-DD``); cutting the year out of it costs about half
    of parsing the text again with ``strftime``, which ``extract`` compiles to there (a county's
    80,000 households grouped by month at scale 10: 62 -> 27 ms)."""
    if engine.dialect.name == "sqlite":
        return cast(func.substr(column, 1, 4), Integer)
    return cast(func.extract("year", column), Integer)


def month_of(engine: Engine, column):
    """SQL: ``year * 100 + month`` of the date ``column`` as an integer (202406), on either backend
    (:func:`year_of`)."""
    if engine.dialect.name == "sqlite":
        return cast(func.substr(column, 1, 4).op("||")(func.substr(column, 6, 2)), Integer)
    return cast(func.extract("year", column) * 100 + func.extract("month", column), Integer)


def to_yuan(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Replace ``<name>_fen`` integer columns by ``<name>`` float columns in yuan."""
    for column in columns:
        df[column.removesuffix("_fen")] = df.pop(column).astype("int64") / FEN_PER_YUAN
    return df


#: Per engine, the regions looked up so far: code -> (level, county_code, parent_code).
_REGIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_REGIONS_LOCK = threading.Lock()


def region_info(engine: Engine | Connection, scope: Scope, code: str) -> tuple[str, str | None, str | None] | None:
    """(level, county_code, parent_code) of a region the scope may see, or None.  Given a
    connection, a lookup runs on it (a read that also queries on it opens one connection).

    Regions are reference data, written with the database (the demo, ``fundwatch init``) and by
    no import or edit, and a code never changes its level or parents.  So each engine keeps the
    regions it has found (a code not found is asked again next time) and checks the scope on each
    call: a county read no longer spends a query, often three, on its region (about a third of a
    summary read's time at the county level)."""
    require_scope(scope)
    target = engine.engine if isinstance(engine, Connection) else engine
    with _REGIONS_LOCK:
        known = _REGIONS.setdefault(target, {})
    info = known.get(code)
    if info is None:
        stmt = select(Region.level, Region.county_code, Region.parent_code).where(Region.code == code)
        if isinstance(engine, Connection):
            row = engine.execute(stmt).one_or_none()
        else:
            with reader(engine).connect() as conn:
                row = conn.execute(stmt).one_or_none()
        if row is None:
            return None
        info = known[code] = tuple(row)
    level, county_code, _ = info
    return info if level == "city" or scope.allows(county_code) else None


def region_level(engine: Engine | Connection, scope: Scope, region: str | None) -> tuple[str, tuple | None]:
    """``(level, info)`` of ``region`` for a read that builds its statement once per level: ``city``
    for the whole scope (``region`` None), ``unknown`` (info None) for a code not found or outside
    the scope, else the region's own level and its :func:`region_info`."""
    if region is None:
        return "city", None
    info = region_info(engine, scope, region)
    return ("unknown", None) if info is None else (info[0], info)


def place_condition(level: str, *, county, township=None, village=None):
    """SQL: the rows of the region bound as the parameter ``place``, for a statement built once per
    level of region (:func:`region_level`): every row for ``city``, none for ``unknown``, else the
    rows whose ``county``, ``township`` or ``village`` column holds it."""
    if level in ("city", "unknown"):
        return true() if level == "city" else false()
    column = {"county": county, "township": township, "village": village}[level]
    if column is None:
        raise ValueError(f"no {level} column to restrict to a {level}")
    return column == bindparam("place", type_=String())


def counties_named(column):
    """SQL: ``column`` (a county code) among the prefecture's counties, named for SQLite, which
    then reads an index led by the county one county's range at a time rather than every row
    (the day-event summaries, the prefecture's open cases)."""
    return column.in_(select(Region.code).where(Region.level == "county"))


def each_county(dialect: str, column):
    """SQL: ``column`` among the prefecture's counties, for a read of every county's range of a
    day summary (a key led by the county and the day): SQLite's :func:`counties_named`,
    PostgreSQL's an array made once (joined with the regions, it planned a scan of every day)."""
    if dialect != "postgresql":
        return counties_named(column)
    return column == any_(literal_column("ARRAY(SELECT region.code FROM region WHERE region.level = 'county')"))


def region_condition(engine: Engine, scope: Scope, region: str | None, *, county, township=None, village=None):
    """The WHERE condition restricting a table to ``region`` (a code at any level).

    Tables without township/village columns pass None for them and are restricted to the
    region's county.  A region the scope may not see yields a condition matching nothing.
    """
    require_scope(scope)
    base = scope.clause(county)
    if region is None:
        return base
    info = region_info(engine, scope, region)
    if info is None:
        return county.in_([])  # unknown or outside the scope: nothing
    level, county_code, parent_code = info
    if level == "city":
        return base
    if level == "township" and township is not None:
        return base & (township == region)
    if level == "village" and village is not None:
        return base & (village == region)
    if level == "village" and township is not None:
        return base & (township == parent_code)
    return base & (county == county_code)


def as_date(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))
