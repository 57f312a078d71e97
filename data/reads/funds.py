"""Reads of funds: allocations by source level, programme, year and county; disbursement pace
(from the ``disbursement_month`` summary, see :mod:`fundwatch.data.summaries`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Engine, func, select

from .. import vocab
from ..models import Allocation
from ..scope import Scope, require_scope
from . import naive
from ._common import as_date, fen_sum, frame, region_condition, region_info, to_yuan
from ._summary_reads import disbursed

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


def _county_where(engine: Engine, scope: Scope, region: str | None):
    """(level of ``region``, a function giving the scope-and-region condition on a county column)."""
    require_scope(scope)
    if region is None:
        return None, scope.clause
    info = region_info(engine, scope, region)
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

    The prefecture and a county read the ``disbursement_month`` summary (plus the raw payments of
    a partial last month); a township or village sums its own projects' payments
    (:func:`fundwatch.data.reads.naive.disbursement_pace_frame`, the raw reference).
    """
    level, where = _county_where(engine, scope, region)
    if level in ("township", "village"):
        return naive.disbursement_pace_frame(engine, scope, year, as_of=as_of, region=region,
                                             source_level=source_level, programmes=programmes)
    as_of = as_date(as_of) or dt.date(year, 12, 31)
    last_month = 12 if as_of >= dt.date(year, 12, 31) else (as_of.month if as_of.year == year else 0)
    levels = None if source_level is None else (source_level,)
    with engine.connect() as conn:
        monthly = disbursed(conn, where, year, as_of, programmes, ("ym",), levels)
        stmt = select(fen_sum(Allocation.amount_fen, "fen")).where(
            where(Allocation.county_code), Allocation.year == year, Allocation.issued_on <= as_of,
            Allocation.programme.in_(programmes))
        if source_level is not None:
            stmt = stmt.where(Allocation.source_level == source_level)
        allocated = int(conn.execute(stmt).scalar_one())
    months = pd.DataFrame({"month": range(1, max(last_month, 0) + 1)})
    monthly["month"] = monthly.pop("ym").astype("int64") % 100
    out = months.merge(monthly, on="month", how="left").fillna({"disbursed_fen": 0})
    out["disbursed_fen"] = out["disbursed_fen"].astype("int64")
    out["cumulative_fen"] = out["disbursed_fen"].cumsum()
    out["allocated_fen"] = allocated
    out["rate"] = out["cumulative_fen"] / allocated if allocated else float("nan")
    return to_yuan(out, "disbursed_fen", "cumulative_fen", "allocated_fen")


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
    Disbursements come from the ``disbursement_month`` summary (:mod:`._summary_reads`)."""
    require_scope(scope)
    as_of = as_date(as_of) or dt.date(year, 12, 31)
    a_keys = [Allocation.county_code] + ([Allocation.source_level] if by_level else [])
    on = ["county_code"] + (["source_level"] if by_level else [])
    allocated = frame(engine, select(*a_keys, fen_sum(Allocation.amount_fen, "allocated_fen")).where(
        scope.clause(Allocation.county_code), Allocation.year == year, Allocation.issued_on <= as_of,
        Allocation.programme.in_(programmes)).group_by(*a_keys))
    with engine.connect() as conn:
        disbursed_frame = disbursed(conn, scope.clause, year, as_of, programmes, on)
    out = allocated.merge(disbursed_frame, on=on, how="outer").fillna({"allocated_fen": 0, "disbursed_fen": 0})
    for column in ("allocated_fen", "disbursed_fen"):
        out[column] = out[column].astype("int64")
    out["rate"] = out["disbursed_fen"].where(out["allocated_fen"] > 0) / out["allocated_fen"].where(out["allocated_fen"] > 0)
    if by_level:
        out = out[out["source_level"].isin(vocab.SOURCE_LEVELS)]
    return to_yuan(out.sort_values(on).reset_index(drop=True), "allocated_fen", "disbursed_fen")
