"""The raw computations of the summary-backed reads: the same figures summed over the raw rows.

They are the reference the summary tables are checked against (tests/test_summaries.py) and the
"naive" column of the read benchmark (benchmarks/reads.py); the reads in :mod:`.funds` and
:mod:`.loans`, :mod:`.assets` and :mod:`.households` fall back to them where no summary applies (a township's or
village's pace, loans grouped by industry or restricted to a village, a village's assets or assets
grouped by village or owner).  Signatures and results are those of the reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Engine, and_, case, func, or_, select

from .. import vocab
from ..db import reader
from ..masking import suppress_small_counts
from ..models import Allocation, Asset, Disbursement, Loan, Project, Region
from ..scope import Scope, require_scope
from . import transition
from ._common import as_date, fen_sum, frame, region_condition, region_info, to_yuan
from .transition import CONTINUITY_YEARS

POVERTY_PROGRAMMES = ("special", "integrated", "linkage")
LOAN_GROUPS = ("county_code", "programme", "bank", "borrower_type", "industry")
ASSET_GROUPS = ("county_code", "village_code", "asset_class", "subtype", "status", "owner")


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
    """
    require_scope(scope)
    as_of = as_date(as_of) or dt.date(year, 12, 31)
    last_month = 12 if as_of >= dt.date(year, 12, 31) else (as_of.month if as_of.year == year else 0)
    where = [
        region_condition(engine, scope, region, county=Disbursement.county_code),
        Disbursement.year == year,
        Disbursement.paid_on <= as_of,
        Disbursement.programme.in_(programmes),
    ]
    if source_level is not None:
        where.append(Disbursement.source_level == source_level)
    level = None if region is None else _level_of(engine, scope, region)
    if level in ("township", "village"):
        where.append(Disbursement.project_id.in_(_project_ids(engine, scope, region, level)))
    stmt = (select(Disbursement.ym, fen_sum(Disbursement.amount_fen, "disbursed_fen"))
            .where(*where).group_by(Disbursement.ym))
    monthly = frame(engine, stmt)
    months = pd.DataFrame({"month": range(1, max(last_month, 0) + 1)})
    monthly["month"] = monthly.pop("ym").astype("int64") % 100
    out = months.merge(monthly, on="month", how="left").fillna({"disbursed_fen": 0})
    out["disbursed_fen"] = out["disbursed_fen"].astype("int64")
    out["cumulative_fen"] = out["disbursed_fen"].cumsum()
    allocated = _allocated_fen(engine, scope, year, as_of, region, level, source_level, programmes)
    out["allocated_fen"] = allocated
    out["rate"] = out["cumulative_fen"] / allocated if allocated else float("nan")
    return to_yuan(out, "disbursed_fen", "cumulative_fen", "allocated_fen")


def _level_of(engine, scope, region):
    info = region_info(engine, scope, region)
    return info[0] if info else None


def _project_ids(engine, scope, region, level):
    column = Project.township_code if level == "township" else Project.village_code
    return select(Project.id).where(scope.clause(Project.county_code), column == region)


def _allocated_fen(engine, scope, year, as_of, region, level, source_level, programmes) -> int:
    if level in ("township", "village"):
        column = Project.township_code if level == "township" else Project.village_code
        stmt = select(fen_sum(Project.budget_fen, "fen")).where(
            scope.clause(Project.county_code), column == region, Project.start_year == year)
    else:
        stmt = select(fen_sum(Allocation.amount_fen, "fen")).where(
            region_condition(engine, scope, region, county=Allocation.county_code),
            Allocation.year == year, Allocation.issued_on <= as_of,
            Allocation.programme.in_(programmes))
        if source_level is not None:
            stmt = stmt.where(Allocation.source_level == source_level)
    with reader(engine).connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def pace_by_county_frame(
    engine: Engine,
    scope: Scope,
    year: int,
    *,
    as_of: dt.date | str | None = None,
    by_level: bool = False,
    programmes: Sequence[str] = POVERTY_PROGRAMMES,
) -> pd.DataFrame:
    """Per county (and source level when ``by_level``): allocated and disbursed by ``as_of``, rate."""
    require_scope(scope)
    as_of = as_date(as_of) or dt.date(year, 12, 31)
    a_keys = [Allocation.county_code] + ([Allocation.source_level] if by_level else [])
    d_keys = [Disbursement.county_code] + ([Disbursement.source_level] if by_level else [])
    allocated = frame(engine, select(*a_keys, fen_sum(Allocation.amount_fen, "allocated_fen")).where(
        scope.clause(Allocation.county_code), Allocation.year == year, Allocation.issued_on <= as_of,
        Allocation.programme.in_(programmes)).group_by(*a_keys))
    disbursed = frame(engine, select(*d_keys, fen_sum(Disbursement.amount_fen, "disbursed_fen")).where(
        scope.clause(Disbursement.county_code), Disbursement.year == year, Disbursement.paid_on <= as_of,
        Disbursement.programme.in_(programmes)).group_by(*d_keys))
    on = ["county_code"] + (["source_level"] if by_level else [])
    out = allocated.merge(disbursed, on=on, how="outer").fillna({"allocated_fen": 0, "disbursed_fen": 0})
    for column in ("allocated_fen", "disbursed_fen"):
        out[column] = out[column].astype("int64")
    out["rate"] = out["disbursed_fen"].where(out["allocated_fen"] > 0) / out["allocated_fen"].where(out["allocated_fen"] > 0)
    if by_level:
        out = out[out["source_level"].isin(vocab.SOURCE_LEVELS)]
    return to_yuan(out.sort_values(on).reset_index(drop=True), "allocated_fen", "disbursed_fen")


def _outstanding(as_of: dt.date):
    return and_(Loan.issued_on <= as_of, or_(Loan.repaid_on.is_(None), Loan.repaid_on > as_of))


def loan_position_frame(
    engine: Engine,
    scope: Scope,
    as_of: dt.date | str,
    *,
    by: Sequence[str] = ("county_code",),
    region: str | None = None,
    programme: str | None = None,
) -> pd.DataFrame:
    """Loans outstanding on ``as_of`` grouped by ``by`` (any of county_code, programme, bank,
    borrower_type, industry): count, outstanding, overdue and default amounts (yuan) and
    ``overdue_rate`` = (overdue + default) / outstanding.
    """
    require_scope(scope)
    as_of = as_date(as_of)
    unknown = set(by) - set(LOAN_GROUPS)
    if unknown:
        raise ValueError(f"cannot group loans by {sorted(unknown)}")
    keys = [getattr(Loan, name) for name in by]
    late = Loan.status.in_(("overdue", "default"))
    stmt = select(
        *keys,
        func.count(Loan.id).label("loans"),
        fen_sum(Loan.amount_fen, "outstanding_fen"),
        fen_sum(case((Loan.status == "overdue", Loan.amount_fen), else_=0), "overdue_fen"),
        fen_sum(case((Loan.status == "default", Loan.amount_fen), else_=0), "default_fen"),
        func.count(case((late, Loan.id))).label("late_loans"),
    ).where(
        region_condition(engine, scope, region, county=Loan.county_code, village=Loan.village_code),
        _outstanding(as_of),
    )
    if programme is not None:
        stmt = stmt.where(Loan.programme == programme)
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    out = frame(engine, stmt)
    out["overdue_rate"] = (out["overdue_fen"] + out["default_fen"]) / out["outstanding_fen"].where(out["outstanding_fen"] > 0)
    return to_yuan(out, "outstanding_fen", "overdue_fen", "default_fen")


def leverage_frame(
    engine: Engine, scope: Scope, as_of: dt.date | str, *, programme: str | None = None,
    by_programme: bool = False,
) -> pd.DataFrame:
    """:func:`fundwatch.data.reads.loans.leverage_frame` over the raw loans."""
    from .loans import LEVERAGE_LIMIT, risk_fund_frame  # noqa: PLC0415 - loans imports this module

    by = ["county_code"] + (["programme"] if by_programme else [])
    loans = loan_position_frame(engine, scope, as_of, by=by, programme=programme)
    fund = risk_fund_frame(engine, scope, as_of, by=by, programme=programme)
    out = fund.merge(loans[by + ["loans", "outstanding"]], on=by, how="outer")
    out = out.fillna({"risk_fund": 0.0, "outstanding": 0.0, "loans": 0})
    out["loans"] = out["loans"].astype("int64")
    out["leverage"] = out["outstanding"] / out["risk_fund"].where(out["risk_fund"] > 0)
    out["capacity"] = out["risk_fund"] * LEVERAGE_LIMIT
    return out.sort_values(by).reset_index(drop=True)


def asset_mix_frame(
    engine: Engine, scope: Scope, *, by: Sequence[str] = ("asset_class",), region: str | None = None,
    formed_by_year: int | None = None,
) -> pd.DataFrame:
    """:func:`fundwatch.data.reads.assets.asset_mix_frame` over the raw assets."""
    require_scope(scope)
    unknown = set(by) - set(ASSET_GROUPS)
    if unknown:
        raise ValueError(f"cannot group assets by {sorted(unknown)}")
    keys = [getattr(Asset, name) for name in by]
    stmt = select(
        *keys,
        func.count(Asset.id).label("assets"),
        fen_sum(Asset.value_fen, "value_fen"),
        func.count(case(((Asset.asset_class == "public_welfare") & Asset.custodian.is_(None), Asset.id))).label("no_custodian"),
        func.count(case((Asset.owner.is_(None), Asset.id))).label("no_owner"),
        func.count(case((Asset.status.in_(("idle", "damaged")), Asset.id))).label("idle_or_damaged"),
    ).where(
        region_condition(engine, scope, region, county=Asset.county_code, village=Asset.village_code),
        Asset.status != "disposed",
    )
    if formed_by_year is not None:
        # formed before the next year began: a comparison of the dates as they are kept, where
        # taking each one's year cost a third of a county's read by village (SQLite 16 -> 11 ms)
        stmt = stmt.where(Asset.formed_on < dt.date(formed_by_year + 1, 1, 1))
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    return to_yuan(frame(engine, stmt), "value_fen")


def asset_places_frame(engine: Engine, scope: Scope, county: str, *, township: str | None = None,
                       by: str = "place", formed_by_year: int | None = None) -> pd.DataFrame:
    """:func:`fundwatch.data.reads.assets.asset_places_frame` over the raw assets, each placed by
    its village's row in the region table."""
    require_scope(scope)
    a, r = Asset, Region
    key = (r.parent_code if township is None else a.village_code) if by == "place" else a.asset_class
    name = "code" if by == "place" else by
    stmt = (select(
        key.label(name), func.count(a.id).label("assets"),
        func.count(case(((a.asset_class == "public_welfare") & a.custodian.is_(None), a.id))).label("no_custodian"),
        func.count(case((a.owner.is_(None), a.id))).label("no_owner"),
        func.count(case((a.status.in_(("idle", "damaged")), a.id))).label("idle_or_damaged"),
        fen_sum(a.value_fen, "value_fen"),
    ).join(r, and_(r.code == a.village_code, r.level == "village", r.county_code == a.county_code))
        .where(scope.clause(a.county_code), a.county_code == county, a.status != "disposed",
               r.parent_code.is_not(None), r.parent_code != "")
        .group_by(key).order_by(key))
    if township is not None:
        stmt = stmt.where(r.parent_code == township)
    if formed_by_year is not None:
        stmt = stmt.where(a.formed_on < dt.date(formed_by_year + 1, 1, 1))
    return to_yuan(frame(engine, stmt), "value_fen")


def continuity_funds_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *,
                           years: tuple[int, int] = CONTINUITY_YEARS) -> pd.DataFrame:
    """:func:`fundwatch.data.reads.transition.continuity_funds_frame` from the raw rows: every
    linkage payment of the years joined to its project."""
    require_scope(scope)
    as_of = as_date(as_of)
    d = Disbursement
    industry = case((Project.category == "industry", d.amount_fen), else_=0)
    paid = (select(d.county_code, d.year, fen_sum(d.amount_fen, "linkage_paid_fen"),
                   fen_sum(industry, "linkage_industry_fen"))
            .join(Project, Project.id == d.project_id)
            .where(scope.clause(d.county_code), d.programme == "linkage", d.year.between(*years), d.paid_on <= as_of)
            .group_by(d.county_code, d.year))
    return transition.continuity(engine, scope, as_of, frame(engine, paid), years)


def household_status_frame(
    engine: Engine, scope: Scope, as_of: dt.date | str, *, by: Sequence[str] = ("category", "status"),
    region: str | None = None, monitored_only: bool = True,
) -> pd.DataFrame:
    """:func:`fundwatch.data.reads.households.household_status_frame` over the raw households."""
    from .households import HOUSEHOLD_GROUPS, _raw  # noqa: PLC0415 - households imports _summary_reads

    require_scope(scope)
    as_of = as_date(as_of)
    unknown = set(by) - set(HOUSEHOLD_GROUPS)
    if unknown:
        raise ValueError(f"cannot group households by {sorted(unknown)}")
    out = _raw(engine, scope, as_of, by, region, monitored_only)
    if scope.suppress_small:
        out = suppress_small_counts(out, ["households"], follow=["members"])
    return out


def asset_income_years_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None
                             ) -> pd.DataFrame:
    """:func:`fundwatch.data.reads.transition.asset_income_years_frame` from the raw income records
    (through their assets for a township or a village)."""
    return transition.raw_asset_income_years(engine, scope, as_of, region=region)


def monitoring_flow_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None,
                          start: dt.date = transition.PERIOD_START) -> pd.DataFrame:
    """:func:`fundwatch.data.reads.transition.monitoring_flow_frame` counted from the raw households."""
    return transition.raw_monitoring_flow_frame(engine, scope, as_of, region=region, start=start)
