"""Reads of the credit programmes: loans outstanding, leverage against the risk fund, overdue rates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Engine, and_, case, func, or_, select

from ..models import Loan, RiskFundDeposit
from ..scope import Scope, require_scope
from . import naive
from ._common import as_date, fen_sum, frame, region_condition, to_yuan
from ._summary_reads import loan_positions
from .funds import _county_where

LOAN_GROUPS = ("county_code", "programme", "bank", "borrower_type", "industry")
# Banks lend up to 8 times the risk-mitigation fund (seeds/000 item 7).
LEVERAGE_LIMIT = 8


#: Groupings the loan summaries hold (``industry`` is not among them: read from the raw loans).
SUMMARY_GROUPS = ("county_code", "programme", "bank", "borrower_type")


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

    Read from the loan summaries (:func:`._summary_reads.loan_positions`) except for a village
    or a grouping by industry, which sum the raw loans (:mod:`.naive`).
    """
    require_scope(scope)
    as_of = as_date(as_of)
    unknown = set(by) - set(LOAN_GROUPS)
    if unknown:
        raise ValueError(f"cannot group loans by {sorted(unknown)}")
    level, where = _county_where(engine, scope, region)
    if level == "village" or not set(by) <= set(SUMMARY_GROUPS):
        return naive.loan_position_frame(engine, scope, as_of, by=by, region=region, programme=programme)
    with engine.connect() as conn:
        groups = loan_positions(conn, where, as_of, programme)
    return position_totals(groups, by)


def position_totals(groups: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The columns of :func:`loan_position_frame` from :func:`._summary_reads.loan_positions` rows."""
    by = list(by)
    columns = [*by, "loans", "outstanding_fen", "overdue_fen", "default_fen", "late_loans"]
    if not by:
        total = [int(groups[c].sum()) if not groups.empty else 0 for c in ("loans", "amount_fen")]
        late = groups["status"].isin(("overdue", "default")) if not groups.empty else None
        part = (lambda column, mask: int(groups.loc[mask, column].sum()) if mask is not None else 0)
        out = pd.DataFrame([(total[0], total[1],
                             part("amount_fen", groups["status"] == "overdue" if late is not None else None),
                             part("amount_fen", groups["status"] == "default" if late is not None else None),
                             part("loans", late))], columns=columns)
    elif groups.empty:
        out = pd.DataFrame([], columns=columns)
    else:
        status = groups["status"]
        parts = pd.DataFrame({
            **{k: groups[k] for k in by},
            "loans": groups["loans"],
            "outstanding_fen": groups["amount_fen"],
            "overdue_fen": groups["amount_fen"].where(status == "overdue", 0),
            "default_fen": groups["amount_fen"].where(status == "default", 0),
            "late_loans": groups["loans"].where(status.isin(("overdue", "default")), 0),
        })
        summed = parts.groupby(by, sort=True).sum().reset_index()
        out = pd.DataFrame([tuple(int(v) if i >= len(by) else v for i, v in enumerate(row))
                            for row in summed[columns].itertuples(index=False)], columns=columns)
    out["overdue_rate"] = (out["overdue_fen"] + out["default_fen"]) / out["outstanding_fen"].where(out["outstanding_fen"] > 0)
    return to_yuan(out, "outstanding_fen", "overdue_fen", "default_fen")


def risk_fund_frame(
    engine: Engine, scope: Scope, as_of: dt.date | str, *, by: Sequence[str] = ("county_code",),
    programme: str | None = None,
) -> pd.DataFrame:
    """Risk-fund deposits made by ``as_of`` grouped by ``by`` (county_code, programme, bank)."""
    require_scope(scope)
    keys = [getattr(RiskFundDeposit, name) for name in by]
    stmt = select(*keys, fen_sum(RiskFundDeposit.amount_fen, "risk_fund_fen")).where(
        scope.clause(RiskFundDeposit.county_code), RiskFundDeposit.deposited_on <= as_date(as_of))
    if programme is not None:
        stmt = stmt.where(RiskFundDeposit.programme == programme)
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    return to_yuan(frame(engine, stmt), "risk_fund_fen")


def leverage_frame(
    engine: Engine, scope: Scope, as_of: dt.date | str, *, programme: str | None = None,
    by_programme: bool = False,
) -> pd.DataFrame:
    """Per county (and programme): outstanding loans, risk fund and leverage = outstanding / fund.

    Leverage above :data:`LEVERAGE_LIMIT` breaks the 1:8 rule; far below it the fund lies idle.
    """
    by = ["county_code"] + (["programme"] if by_programme else [])
    loans = loan_position_frame(engine, scope, as_of, by=by, programme=programme)
    fund = risk_fund_frame(engine, scope, as_of, by=by, programme=programme)
    out = fund.merge(loans[by + ["loans", "outstanding"]], on=by, how="outer")
    out = out.fillna({"risk_fund": 0.0, "outstanding": 0.0, "loans": 0})
    out["loans"] = out["loans"].astype("int64")
    out["leverage"] = out["outstanding"] / out["risk_fund"].where(out["risk_fund"] > 0)
    out["capacity"] = out["risk_fund"] * LEVERAGE_LIMIT
    return out.sort_values(by).reset_index(drop=True)


def loans_issued_frame(
    engine: Engine, scope: Scope, *, by: Sequence[str] = ("programme",), years: tuple[int, int] | None = None,
    region: str | None = None,
) -> pd.DataFrame:
    """Loans issued (count, amount in yuan, distinct borrowers) grouped by ``by`` plus ``year``
    when ``by`` includes it (year of issue)."""
    require_scope(scope)
    year = func.extract("year", Loan.issued_on)
    keys = [year.label("year") if name == "year" else getattr(Loan, name) for name in by]
    stmt = select(*keys, func.count(Loan.id).label("loans"), fen_sum(Loan.amount_fen, "amount_fen"),
                  func.count(func.distinct(Loan.borrower_id_no)).label("borrowers")).where(
        region_condition(engine, scope, region, county=Loan.county_code, village=Loan.village_code))
    if years is not None:
        stmt = stmt.where(Loan.issued_on.between(dt.date(years[0], 1, 1), dt.date(years[1], 12, 31)))
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    out = to_yuan(frame(engine, stmt), "amount_fen")
    if "year" in out:
        out["year"] = out["year"].astype("int64")
    return out
