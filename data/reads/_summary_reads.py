"""Figures read from the summary tables for any date (see :mod:`fundwatch.data.summaries`).

:func:`disbursed`, :func:`loan_positions` and :func:`outstanding_ids` take a connection and
``where``, a function giving the scope/region condition for a table's county-code column, so the
reads and the policy rules share them; :func:`loan_totals` (the pages' loans outstanding) takes
the scope and a county instead, so its statement is built once per shape and run with the
county and dates as parameters.

- :func:`disbursed`: payments of a year paid by ``as_of``: whole months from
  ``disbursement_month``, the partial month of ``as_of`` (when it is not a month end) from the
  days of that month up to ``as_of`` in ``disbursement_day`` (migration 0036).
- :func:`loan_positions`: loans outstanding on ``as_of`` per county, programme, bank, borrower
  type and status: the last ``loan_year_end`` snapshot on or before ``as_of``, plus the month flows
  after it from ``loan_month_flow``, plus the raw loans issued or ended in the partial month
  (indexes ``ix_loan_issued`` and ``ix_loan_repaid``).  A read grouped by county, programme or
  status alone takes the snapshot and the flows from the loans' totals (``loan_total_year_end``,
  ``loan_total_month_flow``, migration 0024) instead: a few rows per county, not one per bank and
  borrower type, and the partial month from their days (``loan_total_day``, migration 0038).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from collections.abc import Callable, Sequence

import pandas as pd
from sqlalchemy import (Connection, Date, Engine, Integer, Select, String, and_, bindparam, case, false, func, literal_column,
                        or_, select, union_all)

from ..db import read_rows
from ..models import (Allocation, DisbursementDay, DisbursementMonth, Loan, LoanMonthFlow, LoanTotalDay, LoanTotalMonthFlow,
                      LoanTotalYearEnd, LoanYearEnd)
from ..scope import Scope
from ..summaries import CALENDAR_YEARS, LOAN_KEYS, LOAN_TOTAL_KEYS
from ._common import each_county, fen_sum

Where = Callable[[object], object]


def _ym(day: dt.date) -> int:
    return day.year * 100 + day.month


def is_month_end(day: dt.date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def full_months_ym(as_of: dt.date) -> int:
    """The last month wholly on or before ``as_of`` (as ``ym``)."""
    if is_month_end(as_of):
        return _ym(as_of)
    return _ym(as_of.replace(day=1) - dt.timedelta(days=1))


def _rows(conn: Connection, stmt, params: dict | None = None) -> list[tuple]:
    return [tuple(row) for row in conn.execute(stmt, params or {})]


def disbursed(conn: Connection, where: Where, year: int | tuple[int, int], as_of: dt.date,
              programmes: Sequence[str], by: Sequence[str], source_levels: Sequence[str] | None = None) -> list[tuple]:
    """The payments of budget ``year`` (or of the years ``(first, last)``) paid by ``as_of``,
    grouped by ``by`` (any of county_code, year, source_level, ym): rows ``(*by, disbursed_fen)``,
    one per group that has payments, ordered by ``by``; with no ``by`` one row holding the total.
    One statement: the whole months of the summary and the days of a partial last month,
    summed together in SQL."""
    s, d = DisbursementMonth, DisbursementDay

    def part(table, *conditions):
        years = table.year.between(*year) if isinstance(year, tuple) else table.year == year
        stmt = select(*(getattr(table, k) for k in by), table.amount_fen.label("fen")).where(
            where(table.county_code), years, table.programme.in_(programmes), *conditions)
        return stmt if source_levels is None else stmt.where(table.source_level.in_(source_levels))

    parts = [part(s, s.ym <= full_months_ym(as_of))]
    if not is_month_end(as_of):
        parts.append(part(d, d.ym == _ym(as_of), d.paid_on <= as_of))
    both = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    keys = [both.c[k] for k in by]
    stmt = select(*keys, fen_sum(both.c.fen, "disbursed_fen"))
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    return _rows(conn, stmt)


def pace_totals(conn: Connection | Engine, scope: Scope, year: int, as_of: dt.date, programmes: Sequence[str], *,
                by_level: bool = False, levels: Sequence[str] | None = None) -> list[tuple]:
    """Budget ``year``'s allocations issued by ``as_of`` beside its payments made by then (as
    :func:`disbursed` adds them up) of ``programmes`` (and of ``levels`` when given) within
    ``scope``: rows ``(county_code, [source_level,] allocated_fen, disbursed_fen)`` per county (and
    source level when ``by_level``), ordered so.  One statement, built once per shape
    (:func:`_pace_totals_statement`) and run with the year, dates, programmes and levels as parameters:
    made afresh on every read it cost about half of PostgreSQL's 5 ms at ten times the demo.
    Given an engine (the pages' read), it runs straight on the driver (:func:`fundwatch.data.db.read_rows`);
    given a connection (the scoring's measures), on it."""
    stmt = _pace_totals_statement(scope, by_level, levels is not None, is_month_end(as_of))
    params = {"year": year, "as_of": as_of, "full": full_months_ym(as_of), "month": _ym(as_of),
              "programmes": list(programmes), **({} if levels is None else {"levels": list(levels)})}
    return read_rows(conn, stmt, params) if isinstance(conn, Engine) else _rows(conn, stmt, params)


@functools.lru_cache(maxsize=64)
def _pace_totals_statement(scope: Scope, by_level: bool, of_levels: bool, month_end: bool) -> Select:
    """The statement of :func:`pace_totals` for ``scope``, with or without the source level as a
    key, the levels as a condition and the partial last month's days."""
    on = ["county_code"] + (["source_level"] if by_level else [])
    a, s, d = Allocation, DisbursementMonth, DisbursementDay
    year, as_of = bindparam("year", type_=Integer()), bindparam("as_of", type_=Date())
    programmes = bindparam("programmes", expanding=True, type_=String())
    zero = literal_column("0")

    def part(table, allocated, paid, *conditions):
        levels = (table.source_level.in_(bindparam("levels", expanding=True, type_=String())),) if of_levels else ()
        return select(*(getattr(table, k) for k in on), allocated.label("allocated"), paid.label("paid")).where(
            scope.clause(table.county_code), table.year == year, table.programme.in_(programmes), *levels, *conditions)

    parts = [part(a, a.amount_fen, zero, a.issued_on <= as_of),
             part(s, zero, s.amount_fen, s.ym <= bindparam("full", type_=Integer()))]
    if not month_end:
        parts.append(part(d, zero, d.amount_fen, d.ym == bindparam("month", type_=Integer()), d.paid_on <= as_of))
    both = union_all(*parts).subquery()
    keys = [both.c[k] for k in on]
    return (select(*keys, fen_sum(both.c.allocated, "allocated_fen"), fen_sum(both.c.paid, "disbursed_fen"))
            .group_by(*keys).order_by(*keys))


def _snapshot_day(as_of: dt.date) -> dt.date | None:
    """The last year end held by ``loan_year_end`` on or before ``as_of`` (None before the first)."""
    year = as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1
    year = min(year, CALENDAR_YEARS[-1])
    return dt.date(year, 12, 31) if year >= CALENDAR_YEARS[0] else None


def _position_shape(as_of: dt.date) -> tuple[tuple[bool, bool, bool], dict[str, object]]:
    """Which parts of :func:`_position_parts` a position on ``as_of`` adds up (the snapshot, the
    month flows, the partial month's raw loans) and the values of their parameters."""
    base = _snapshot_day(as_of)
    full = full_months_ym(as_of)
    shape = (base is not None, base is None or _ym(base) < full, not is_month_end(as_of))
    params = {"base": base, "base_ym": None if base is None else _ym(base), "full": full,
              "first": as_of.replace(day=1), "as_of": as_of}
    return shape, params


def _position_parts(where: Where, shape: tuple[bool, bool, bool], programme: bool, keys: Sequence[str],
                    days: Where | None = None) -> list:
    """Statements whose rows ``(*keys, loans, amount_fen)`` add up to the loans outstanding on a
    date: the last year-end snapshot, the month flows after it and the loans issued or ended in a
    partial last month (``keys`` from :data:`LOAN_KEYS`; ``shape`` and the parameters ``base``,
    ``base_ym``, ``full``, ``first`` and ``as_of`` from :func:`_position_shape`, and ``programme``
    when ``programme`` is true).  Keys among :data:`LOAN_TOTAL_KEYS` are read from the loans'
    totals, the partial month from their days (``loan_total_day``, migration 0038; ``days``, when
    given, the condition on its county for the prefecture's ranges); the others from the full grain
    and the partial month's raw loans."""
    totals = set(keys) <= set(LOAN_TOTAL_KEYS)
    snap, flow = (LoanTotalYearEnd, LoanTotalMonthFlow) if totals else (LoanYearEnd, LoanMonthFlow)
    loan = Loan
    snapshot, flows, partial = shape
    day = functools.partial(bindparam, type_=Date())

    def part(table, loans, amount, *conditions):
        stmt = select(*(getattr(table, k) for k in keys), loans.label("loans"), amount.label("amount_fen")).where(
            where(table.county_code), *conditions)
        return stmt.where(table.programme == bindparam("programme", type_=String())) if programme else stmt

    parts = []
    if snapshot:
        parts.append(part(snap, snap.loans, snap.amount_fen, snap.year_end == day("base")))
    if flows:
        after = (flow.ym > bindparam("base_ym", type_=Integer()),) if snapshot else ()
        parts.append(part(flow, flow.issued_loans - flow.ended_loans, flow.issued_fen - flow.ended_fen,
                          flow.ym <= bindparam("full", type_=Integer()), *after))
    if partial and totals:
        d = LoanTotalDay
        parts.append(part(d, d.loans, d.amount_fen, *((days(d.county_code),) if days else ()),
                          d.event_on.between(day("first"), day("as_of"))))
    elif partial:
        first, as_of = day("first"), day("as_of")
        ends_with_issue = and_(loan.repaid_on.is_not(None), loan.repaid_on <= loan.issued_on)
        parts.append(part(loan, literal_column("1"), loan.amount_fen, loan.issued_on >= first, loan.issued_on <= as_of,
                          ~ends_with_issue))
        parts.append(part(loan, literal_column("-1"), -loan.amount_fen, loan.repaid_on >= first,
                          loan.repaid_on <= as_of, loan.repaid_on > loan.issued_on))
    return parts


def loan_positions(conn: Connection, where: Where, as_of: dt.date, programme: str | None = None) -> pd.DataFrame:
    """Loans outstanding on ``as_of`` (``loans``, ``amount_fen``) per :data:`LOAN_KEYS`; only groups
    with at least one loan outstanding, exactly those of the raw test."""
    shape, params = _position_shape(as_of)
    parts = _position_parts(where, shape, programme is not None, LOAN_KEYS)
    both = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    keys = [both.c[k] for k in LOAN_KEYS]
    stmt = (select(*keys, fen_sum(both.c.loans, "loans"), fen_sum(both.c.amount_fen, "amount_fen"))
            .group_by(*keys).having(func.sum(both.c.loans) > 0).order_by(*keys))
    rows = _rows(conn, stmt, {**params, "programme": programme})
    out = pd.DataFrame(rows, columns=[*LOAN_KEYS, "loans", "amount_fen"])
    return out.astype({"loans": "int64", "amount_fen": "int64"})


def loan_totals(conn: Connection | Engine, scope: Scope, county: str | None, as_of: dt.date, by: Sequence[str],
                programme: str | None = None, *, nothing: bool = False) -> list[tuple]:
    """Loans outstanding on ``as_of`` within ``scope`` (and ``county`` when given; ``nothing``: a
    region not found or outside the scope, no loan) grouped by ``by`` (any of :data:`LOAN_KEYS`
    but status), summed in SQL in one statement: rows ``(*by, loans, outstanding_fen,
    overdue_fen, default_fen, late_loans)`` ordered by ``by``, only groups with a loan
    outstanding; with no ``by`` one row.  Given an engine (the pages' read), the statement runs
    on a connection of its own (:func:`fundwatch.data.db.read_rows`); given a connection, on it.  The statement is built once per shape
    (:func:`_totals_statement`) and run with the county, dates and programme as parameters: a
    county's read spent more time making the statement than PostgreSQL spent answering it."""
    level = "nothing" if nothing else "all" if county is None else "county"
    shape, params = _position_shape(as_of)
    stmt = _totals_statement(conn.dialect.name, scope, level, tuple(by), shape, programme is not None)
    params = {**params, "place": county, "programme": programme}
    return read_rows(conn, stmt, params) if isinstance(conn, Engine) else _rows(conn, stmt, params)


@functools.lru_cache(maxsize=256)
def _totals_statement(dialect: str, scope: Scope, level: str, by: tuple[str, ...], shape: tuple[bool, bool, bool],
                      programme: bool) -> Select:
    """The statement of :func:`loan_totals` for one database, scope, level (``all`` of the scope,
    one ``county`` given as the parameter ``place``, or ``nothing``), grouping and shape."""
    place = bindparam("place", type_=String())
    where = {"all": scope.clause, "nothing": lambda column: false(),
             "county": lambda column: scope.clause(column) & (column == place)}[level]
    days = functools.partial(each_county, dialect) if level == "all" and scope.is_all else None
    parts = _position_parts(where, shape, programme, (*by, "status"), days)
    both = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    keys = [both.c[k] for k in by]
    status, loans, fen = both.c.status, both.c.loans, both.c.amount_fen
    late = status.in_(("overdue", "default"))
    stmt = select(*keys, fen_sum(loans, "loans"), fen_sum(fen, "outstanding_fen"),
                  fen_sum(case((status == "overdue", fen), else_=0), "overdue_fen"),
                  fen_sum(case((status == "default", fen), else_=0), "default_fen"),
                  fen_sum(case((late, loans), else_=0), "late_loans"))
    if keys:
        stmt = stmt.group_by(*keys).having(func.sum(loans) > 0).order_by(*keys)
    return stmt


def outstanding_ids(conn: Connection, where: Where, as_of: dt.date, **equal: object) -> tuple[int, ...]:
    """Sorted ids of the loans outstanding on ``as_of`` with the given column values (for the
    records of one finding: proportional to the group shown)."""
    loan = Loan
    stmt = select(loan.id).where(where(loan.county_code), loan.issued_on <= as_of,
                                 or_(loan.repaid_on.is_(None), loan.repaid_on > as_of))
    for column, value in equal.items():
        if isinstance(value, (list, tuple)):
            stmt = stmt.where(getattr(loan, column).in_(value))
        else:
            stmt = stmt.where(getattr(loan, column) == value)
    return tuple(sorted(int(row[0]) for row in conn.execute(stmt.order_by(loan.id))))


__all__ = ["disbursed", "loan_positions", "loan_totals", "outstanding_ids", "pace_totals"]
