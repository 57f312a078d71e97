"""Figures read from the summary tables for any date (see :mod:`fundwatch.data.summaries`).

Both helpers take a connection and ``where``, a function giving the scope/region condition for
a table's county-code column, so the reads and the policy rules share them.

- :func:`disbursed`: payments of a year paid by ``as_of``: whole months from
  ``disbursement_month``, the partial month of ``as_of`` (when it is not a month end) from the raw
  payments of that month only (index ``ix_disbursement_day``).
- :func:`loan_positions`: loans outstanding on ``as_of`` per county, programme, bank, borrower
  type and status: the last ``loan_year_end`` snapshot on or before ``as_of``, plus the month flows
  after it from ``loan_month_flow``, plus the raw loans issued or ended in the partial month
  (indexes ``ix_loan_issued`` and ``ix_loan_repaid``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Sequence

import pandas as pd
from sqlalchemy import BigInteger, Connection, and_, cast, func, or_, select

from ..models import Disbursement, DisbursementMonth, Loan, LoanMonthFlow, LoanYearEnd
from ..summaries import CALENDAR_YEARS, LOAN_KEYS

Where = Callable[[object], object]


def _ym(day: dt.date) -> int:
    return day.year * 100 + day.month


def _is_month_end(day: dt.date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def _full_months_ym(as_of: dt.date) -> int:
    """The last month wholly on or before ``as_of`` (as ``ym``)."""
    if _is_month_end(as_of):
        return _ym(as_of)
    return _ym(as_of.replace(day=1) - dt.timedelta(days=1))


def _sum(column, label: str):
    return cast(func.coalesce(func.sum(column), 0), BigInteger).label(label)


def _rows(conn: Connection, stmt) -> list[tuple]:
    return [tuple(row) for row in conn.execute(stmt)]


def disbursed(conn: Connection, where: Where, year: int, as_of: dt.date, programmes: Sequence[str],
              by: Sequence[str], source_levels: Sequence[str] | None = None) -> pd.DataFrame:
    """Amount (``disbursed_fen``) of ``year``'s payments paid by ``as_of`` grouped by ``by`` (any
    of county_code, source_level, ym), one row per group that has payments."""
    s, d = DisbursementMonth, Disbursement
    full = _full_months_ym(as_of)
    stmt = select(*(getattr(s, k) for k in by), _sum(s.amount_fen, "disbursed_fen"), func.count().label("n")).where(
        where(s.county_code), s.year == year, s.ym <= full, s.programme.in_(programmes))
    if source_levels is not None:
        stmt = stmt.where(s.source_level.in_(source_levels))
    rows = _rows(conn, stmt.group_by(*(getattr(s, k) for k in by)) if by else stmt)
    if not _is_month_end(as_of):
        raw = select(*(getattr(d, k) for k in by), _sum(d.amount_fen, "disbursed_fen"), func.count().label("n")).where(
            d.ym == _ym(as_of), d.paid_on <= as_of, where(d.county_code), d.year == year, d.programme.in_(programmes))
        if source_levels is not None:
            raw = raw.where(d.source_level.in_(source_levels))
        rows += _rows(conn, raw.group_by(*(getattr(d, k) for k in by)) if by else raw)
    out = pd.DataFrame(rows, columns=[*by, "disbursed_fen", "n"])
    out = out[out["n"] > 0]
    if by:
        out = out.groupby(list(by), as_index=False)[["disbursed_fen"]].sum()
    else:
        out = pd.DataFrame({"disbursed_fen": [int(out["disbursed_fen"].sum())]})
    out["disbursed_fen"] = out["disbursed_fen"].astype("int64")
    return out


def _snapshot_day(as_of: dt.date) -> dt.date | None:
    """The last year end held by ``loan_year_end`` on or before ``as_of`` (None before the first)."""
    year = as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1
    year = min(year, CALENDAR_YEARS[-1])
    return dt.date(year, 12, 31) if year >= CALENDAR_YEARS[0] else None


def loan_positions(conn: Connection, where: Where, as_of: dt.date, programme: str | None = None) -> pd.DataFrame:
    """Loans outstanding on ``as_of`` (``loans``, ``amount_fen``) per :data:`LOAN_KEYS`; only groups
    with at least one loan outstanding, exactly those of the raw test."""
    snap, flow, loan = LoanYearEnd, LoanMonthFlow, Loan
    base = _snapshot_day(as_of)
    full = _full_months_ym(as_of)
    parts: list[tuple] = []

    def keys(table):
        return [getattr(table, k) for k in LOAN_KEYS]

    def restrict(stmt, table):
        stmt = stmt.where(where(table.county_code))
        return stmt.where(table.programme == programme) if programme is not None else stmt

    if base is not None:
        stmt = select(*keys(snap), snap.loans, snap.amount_fen).where(snap.year_end == base)
        parts += _rows(conn, restrict(stmt, snap))
    if base is None or _ym(base) < full:
        stmt = select(*keys(flow), _sum(flow.issued_loans - flow.ended_loans, "loans"),
                      _sum(flow.issued_fen - flow.ended_fen, "amount_fen")).where(flow.ym <= full)
        if base is not None:
            stmt = stmt.where(flow.ym > _ym(base))
        parts += _rows(conn, restrict(stmt, flow).group_by(*keys(flow)))
    if not _is_month_end(as_of):
        first = as_of.replace(day=1)
        ends_with_issue = and_(loan.repaid_on.is_not(None), loan.repaid_on <= loan.issued_on)
        issued = select(*keys(loan), func.count().label("loans"), _sum(loan.amount_fen, "amount_fen")).where(
            loan.issued_on >= first, loan.issued_on <= as_of, ~ends_with_issue)
        ended = select(*keys(loan), (-func.count()).label("loans"), _sum(-loan.amount_fen, "amount_fen")).where(loan.repaid_on >= first, loan.repaid_on <= as_of, loan.repaid_on > loan.issued_on)
        for stmt in (issued, ended):
            parts += _rows(conn, restrict(stmt, loan).group_by(*keys(loan)))
    out = pd.DataFrame(parts, columns=[*LOAN_KEYS, "loans", "amount_fen"])
    if out.empty:
        return out.astype({"loans": "int64", "amount_fen": "int64"})
    out = out.groupby(list(LOAN_KEYS), as_index=False)[["loans", "amount_fen"]].sum()
    return out[out["loans"] > 0].reset_index(drop=True)


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


__all__ = ["disbursed", "loan_positions", "outstanding_ids"]
