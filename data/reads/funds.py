"""Reads of funds: allocations by source level, programme, year and county; disbursement pace
(from the ``disbursement_month`` summary, see :mod:`fundwatch.data.summaries`)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import (
    Connection, Date, Engine, Integer, Select, String, bindparam, false, func, literal, select, true,
    union_all,
)

from .. import vocab
from ..db import read_rows
from ..models import Allocation, DisbursementDay, DisbursementMonth
from ..scope import Scope, require_scope
from . import naive
from ._common import FEN_PER_YUAN, as_date, fen_sum, frame, region_condition, region_info, region_level, to_yuan
from ._summary_reads import full_months_ym, is_month_end, pace_totals

ALLOCATION_GROUPS = ("year", "county_code", "source_level", "programme")
POVERTY_PROGRAMMES = ("special", "integrated", "linkage")


def funds_frame(
    engine: Engine,
    scope: Scope,
    *,
    by: Sequence[str] = ("year", "source_level"),
    years: tuple[int, int] | None = None,
    region: str | None = None,
    programme: str | None = None,
    source_level: str | None = None,
    integrated: bool | None = None,
) -> pd.DataFrame:
    """Allocated amounts (yuan) and allocation counts grouped by ``by``.

    ``by`` is any of year, county_code, source_level, programme.  ``years`` is an inclusive
    range.  Allocations are made to counties: a township or village ``region`` counts its county.
    """
    require_scope(scope)
    unknown = set(by) - set(ALLOCATION_GROUPS)
    if unknown:
        raise ValueError(f"cannot group allocations by {sorted(unknown)}")
    keys = [getattr(Allocation, name) for name in by]
    stmt = select(*keys, fen_sum(Allocation.amount_fen, "amount_fen"),
                  func.count(Allocation.id).label("allocations"))
    stmt = stmt.where(region_condition(engine, scope, region, county=Allocation.county_code))
    if years is not None:
        stmt = stmt.where(Allocation.year.between(*years))
    if programme is not None:
        stmt = stmt.where(Allocation.programme == programme)
    if source_level is not None:
        stmt = stmt.where(Allocation.source_level == source_level)
    if integrated is not None:
        stmt = stmt.where(Allocation.integrated.is_(integrated))
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    return to_yuan(frame(engine, stmt), "amount_fen")


def _county_where(conn: Connection, scope: Scope, region: str | None):
    """(level of ``region``, a function giving the scope-and-region condition on a county column),
    looked up on ``conn``."""
    require_scope(scope)
    if region is None:
        return None, scope.clause
    info = region_info(conn, scope, region)
    if info is None:
        return "unknown", lambda column: column.in_([])
    level, county_code, _ = info
    if level == "city":
        return level, scope.clause
    return level, lambda column: scope.clause(column) & (column == county_code)


def disbursement_pace_frame(
    engine: Engine,
    scope: Scope,
    year: int,
    *,
    as_of: dt.date | str | None = None,
    region: str | None = None,
    source_level: str | None = None,
    programmes: Sequence[str] = POVERTY_PROGRAMMES,
) -> pd.DataFrame:
    """Monthly disbursement of ``year``'s poverty funds against what was allocated.

    One row per month of the year up to ``as_of`` (default: year end): ``month`` (1-12),
    ``disbursed`` in the month and ``cumulative`` (yuan), ``allocated`` (all of the year's
    allocations issued by ``as_of``) and ``rate`` = cumulative / allocated.  Payments after
    ``as_of`` are left out, so a past date shows the pace as it stood then.
    For a township or village the allocation base is the budget of its projects that year.

    The prefecture and a county read the ``disbursement_month`` summary (plus the days of
    a partial last month) and the year's allocations in one statement (:func:`_pace_statement`),
    and build the frame from at most thirteen rows; a township or village sums its own projects'
    payments (:func:`fundwatch.data.reads.naive.disbursement_pace_frame`, the raw reference).
    """
    as_of = as_date(as_of) or dt.date(year, 12, 31)
    require_scope(scope)
    level, info = region_level(engine, scope, region)
    if level in ("township", "village"):
        return naive.disbursement_pace_frame(engine, scope, year, as_of=as_of, region=region,
                                             source_level=source_level, programmes=programmes)
    stmt = _pace_statement(scope, level, tuple(programmes), source_level is not None, not is_month_end(as_of))
    rows = read_rows(engine, stmt, {"county": info[1] if level == "county" else None, "year": year,
                                    "as_of": as_of, "full": full_months_ym(as_of),
                                    "ym": as_of.year * 100 + as_of.month, "level": source_level})
    monthly = {int(ym): int(fen) for ym, fen in rows}
    allocated = monthly.pop(0, 0)  # the allocations' row (ym 0)
    last_month = 12 if as_of >= dt.date(year, 12, 31) else (as_of.month if as_of.year == year else 0)
    months = np.arange(1, max(last_month, 0) + 1, dtype="int64")
    by_month = {ym % 100: fen for ym, fen in monthly.items()}
    paid = np.array([by_month.get(int(m), 0) for m in months], dtype="int64")
    cumulative = np.cumsum(paid)
    rate = cumulative / allocated if allocated else np.full(len(months), np.nan)
    return pd.DataFrame({
        "month": months, "rate": rate, "disbursed": paid / FEN_PER_YUAN, "cumulative": cumulative / FEN_PER_YUAN,
        "allocated": np.full(len(months), allocated / FEN_PER_YUAN)})


@functools.lru_cache(maxsize=256)
def _pace_statement(scope: Scope, level: str, programmes: tuple[str, ...], by_source: bool, partial: bool) -> Select:
    """The statement of :func:`disbursement_pace_frame` for one shape, built once: rows ``(ym,
    fen)``, the payments of each month of the year (whole months from ``disbursement_month``, a
    partial last month's from ``disbursement_day``) and ``(0, fen)``, the allocations issued by
    ``as_of``.  ``level``: ``city`` (the scope), ``county`` (parameter ``county``) or anything else
    (nothing); parameters ``year``, ``as_of``, ``full`` (the last whole month), ``ym`` (the month
    of ``as_of``) and, with ``by_source``, ``level`` (one source level)."""
    s, d, a = DisbursementMonth, DisbursementDay, Allocation
    county = bindparam("county", type_=String())
    year, as_of = bindparam("year", type_=Integer()), bindparam("as_of", type_=Date())

    def where(table):
        place = {"city": true(), "county": table.county_code == county}.get(level, false())
        out = [scope.clause(table.county_code), place, table.year == year, table.programme.in_(programmes)]
        return out + ([table.source_level == bindparam("level", type_=String())] if by_source else [])

    parts = [select(s.ym.label("ym"), s.amount_fen.label("fen"))
             .where(*where(s), s.ym <= bindparam("full", type_=Integer()))]
    if partial:
        parts.append(select(d.ym, d.amount_fen).where(*where(d), d.ym == bindparam("ym", type_=Integer()),
                                                       d.paid_on <= as_of))
    parts.append(select(literal(0, Integer()).label("ym"), a.amount_fen).where(*where(a), a.issued_on <= as_of))
    both = union_all(*parts).subquery()
    return select(both.c.ym, fen_sum(both.c.fen, "fen")).group_by(both.c.ym)


def pace_by_county_frame(
    engine: Engine,
    scope: Scope,
    year: int,
    *,
    as_of: dt.date | str | None = None,
    by_level: bool = False,
    programmes: Sequence[str] = POVERTY_PROGRAMMES,
) -> pd.DataFrame:
    """Per county (and source level when ``by_level``): allocated and disbursed by ``as_of``, rate.
    One statement: the year's allocations beside its disbursements from the ``disbursement_month``
    summary (and the days of a partial last month), summed per group in SQL
    (:func:`~fundwatch.data.reads._summary_reads.pace_totals`)."""
    require_scope(scope)
    as_of = as_date(as_of) or dt.date(year, 12, 31)
    rows = pace_totals(engine, scope, year, as_of, programmes, by_level=by_level)
    if by_level:
        rows = [row for row in rows if row[1] in vocab.SOURCE_LEVELS]
    allocated = np.array([row[-2] for row in rows], dtype="int64")
    paid = np.array([row[-1] for row in rows], dtype="int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(allocated > 0, paid / np.where(allocated > 0, allocated, 1), np.nan)
    on = ["county_code"] + (["source_level"] if by_level else [])
    out = {k: pd.Series([row[i] for row in rows], dtype=object) for i, k in enumerate(on)}
    return pd.DataFrame({**out, "rate": rate, "allocated": allocated / FEN_PER_YUAN,
                         "disbursed": paid / FEN_PER_YUAN})

