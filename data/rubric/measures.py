"""Measures: the per-county numbers computed rubric items score on, for a year, inside a scope.

Each measure is the measurement of a policy rule (:mod:`fundwatch.data.rules`), taken with the
same tables, the same parameters (the rules' configuration, ``$FUNDWATCH_RULES_CONFIG`` included)
and the same definitions; where the rule only reports the counties that miss its threshold, the
measure reports every county.  The tests hold each measure to the value its rule reports.

=====================  ====  ====================================================================
measure                rule  value for county C, year Y, as of D (default: Y's end or today)
=====================  ====  ====================================================================
fund_input_growth      F3    city+county poverty-fund allocations Y / Y-1, minus 1
superior_funds_growth  F3    central+provincial poverty-fund allocations Y / Y-1, minus 1
integration_ratio      F3    integrated / integrable allocations of Y
disbursement_pace      F1    Y's poverty funds paid by D / allocated (issued by D), F1's levels
leverage               L1    loans outstanding on D / risk-fund deposits made by D (times)
asset_custody          A1    public-welfare assets (formed by D, not disposed) with a custodian,
                             as a share of all of them
household_deadlines    H2    households found in Y (by D) entered within the working-day limit,
                             as a share of those entered or already due
=====================  ====  ====================================================================

Amounts are summed as integer fen and divided as Decimals, so a value is exact to 28
significant digits and the same on every backend.  A county with nothing to measure (no
allocations last year, no integrable funds, no risk fund, ...) gets ``value=None`` and a note.

The pace and the leverage read the summary tables (:mod:`fundwatch.data.summaries`) as F1 and L1
do: a year's payments by the day and the loans outstanding on it cost a few hundred summary rows
whatever the history held.  The others count the allocations of two years, the assets or the
households found in the year, row by row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, case, func, select, true

from .. import workdays
from ..db import reader
from ..rules import default_as_of, resolve_rules
from ..rules._common import (
    ALLOCATION, ASSET, HOUSEHOLD, RISK_FUND, fen_sum, to_int, wan, wan_en,
)
from ..reads._summary_reads import loan_totals, pace_totals
from ..scope import Scope, require_scope
from .model import MEASURE_INFO


@dataclass(frozen=True)
class Measurement:
    """One county's value of a measure, with the numbers behind it and a note saying how it was
    measured (or why it could not be)."""

    value: Decimal | None
    numerator: int | None = None
    denominator: int | None = None
    note_zh: str = ""
    note_en: str = ""


@dataclass(frozen=True)
class MeasureContext:
    conn: Connection
    scope: Scope
    year: int
    as_of: dt.date
    params: Mapping[str, Mapping[str, Any]]  # rule id -> effective parameters

    @property
    def day(self) -> dt.date:
        """The last day of the year that as_of has reached."""
        return min(dt.date(self.year, 12, 31), self.as_of)

    def where(self, table):
        return self.scope.clause(table.c.county_code)


def _pct(value: Decimal) -> str:
    return f"{(value * 100).quantize(Decimal('0.01'))}%"


def _ratio(numerator: int, denominator: int) -> Decimal:
    return Decimal(numerator) / Decimal(denominator)


# ---------------------------------------------------------------------------------------------
# The measures
# ---------------------------------------------------------------------------------------------


def _growth(ctx: MeasureContext, levels: tuple[str, ...], what_zh: str, what_en: str) -> dict[str, Measurement]:
    a = ALLOCATION
    poverty = a.c.programme.in_(list(ctx.params["F3"]["programmes"])) & a.c.source_level.in_(list(levels))
    stmt = (
        select(a.c.county_code,
               fen_sum(case((a.c.year == ctx.year, a.c.amount_fen), else_=0), "now"),
               fen_sum(case((a.c.year == ctx.year - 1, a.c.amount_fen), else_=0), "before"))
        .where(ctx.where(a), a.c.year.in_([ctx.year - 1, ctx.year]), poverty)
        .group_by(a.c.county_code)
    )
    out = {}
    for row in ctx.conn.execute(stmt):
        now, before = to_int(row.now), to_int(row.before)
        if before <= 0:
            out[row.county_code] = Measurement(
                None, now, before, f"{ctx.year - 1}年无{what_zh}，无法计算增长",
                f"no {what_en} in {ctx.year - 1} to grow from")
            continue
        value = _ratio(now, before) - 1
        out[row.county_code] = Measurement(
            value, now, before,
            f"{ctx.year}年{what_zh}{wan(now)}，上年{wan(before)}，增长{_pct(value)}",
            f"{what_en} {wan_en(now)} in {ctx.year} against {wan_en(before)} the year before: {_pct(value)}")
    return out


def fund_input_growth(ctx: MeasureContext) -> dict[str, Measurement]:
    """F3 (a), seeds/004 二（一）."""
    return _growth(ctx, ("city", "county"), "市县财政扶贫资金投入", "city and county poverty-fund input")


def superior_funds_growth(ctx: MeasureContext) -> dict[str, Measurement]:
    """F3 (b), seeds/004 二（二）."""
    return _growth(ctx, ("central", "provincial"), "争取上级扶贫资金", "superior poverty funds obtained")


def integration_ratio(ctx: MeasureContext) -> dict[str, Measurement]:
    """F3 (c), seeds/004 二（三）."""
    a = ALLOCATION
    stmt = (
        select(a.c.county_code,
               fen_sum(case((a.c.integrated == true(), a.c.amount_fen), else_=0), "integrated"),
               fen_sum(case((a.c.integrable == true(), a.c.amount_fen), else_=0), "integrable"))
        .where(ctx.where(a), a.c.year == ctx.year)
        .group_by(a.c.county_code)
    )
    out = {}
    for row in ctx.conn.execute(stmt):
        integrated, integrable = to_int(row.integrated), to_int(row.integrable)
        if integrable <= 0:
            out[row.county_code] = Measurement(None, integrated, integrable, f"{ctx.year}年无可整合资金",
                                               f"no integrable funds in {ctx.year}")
            continue
        value = _ratio(integrated, integrable)
        out[row.county_code] = Measurement(
            value, integrated, integrable,
            f"{ctx.year}年整合资金{wan(integrated)}，可整合资金{wan(integrable)}，占{_pct(value)}",
            f"integrated {wan_en(integrated)} of {wan_en(integrable)} integrable in {ctx.year}: {_pct(value)}")
    return out


def disbursement_pace(ctx: MeasureContext) -> dict[str, Measurement]:
    """F1 at the end of the year (or as_of): all of F1's budget levels together."""
    f1 = ctx.params["F1"]
    day = ctx.day
    # the allocations beside the payments from the disbursement_month summary, as F1 reads them,
    # in one statement built once (the demo at scale 10, 2024 by 30 June: PostgreSQL 5.2 -> 3.0 ms)
    rows = pace_totals(ctx.conn, ctx.scope, ctx.year, day, f1["programmes"], levels=f1["levels"])
    out = {}
    for county, allocated, paid in rows:
        alloc, spent = to_int(allocated), to_int(paid)
        if alloc <= 0:
            out[county] = Measurement(None, spent, alloc, f"截至{day.isoformat()}无{ctx.year}年扶贫资金下达",
                                      f"no {ctx.year} poverty funds allocated by {day.isoformat()}")
            continue
        value = _ratio(spent, alloc)
        out[county] = Measurement(
            value, spent, alloc,
            f"截至{day.isoformat()}拨付{wan(spent)}，下达{wan(alloc)}，支出进度{_pct(value)}",
            f"{wan_en(spent)} paid of {wan_en(alloc)} allocated by {day.isoformat()}: {_pct(value)}")
    return out


def leverage(ctx: MeasureContext) -> dict[str, Measurement]:
    """L1 per county (every programme together) on the year's end or as_of."""
    day = ctx.day
    r = RISK_FUND
    # the loans outstanding from the loan summaries, as L1 reads them (the demo at scale 10 at the
    # end of 2020: SQLite 412 -> 2.2 ms, PostgreSQL 250 -> 2.7 ms)
    lent = {county: fen for county, _loans, fen, *_ in loan_totals(ctx.conn, ctx.scope, None, day, ("county_code",))}
    deposited = dict(ctx.conn.execute(
        select(r.c.county_code, fen_sum(r.c.amount_fen, "fen"))
        .where(ctx.where(r), r.c.deposited_on <= day).group_by(r.c.county_code)).all())
    out = {}
    for county in sorted(set(lent) | set(deposited)):
        loans, fund = to_int(lent.get(county)), to_int(deposited.get(county))
        if fund <= 0:
            out[county] = Measurement(None, loans, fund, f"截至{day.isoformat()}无风险缓释金",
                                      f"no risk fund deposited by {day.isoformat()}")
            continue
        value = _ratio(loans, fund)
        shown = value.quantize(Decimal("0.01"))
        out[county] = Measurement(
            value, loans, fund,
            f"截至{day.isoformat()}贷款余额{wan(loans)}，风险缓释金{wan(fund)}，放大{shown}倍",
            f"{wan_en(loans)} outstanding on a risk fund of {wan_en(fund)} on {day.isoformat()}: {shown} times")
    return out


def asset_custody(ctx: MeasureContext) -> dict[str, Measurement]:
    """A1 as a share: public-welfare assets with a custodian among those formed by as_of and not
    disposed."""
    a = ASSET
    has_custodian = (a.c.custodian.is_not(None)) & (func.trim(a.c.custodian) != "")
    stmt = (
        select(a.c.county_code, func.count().label("total"),
               func.count(case((has_custodian, a.c.id))).label("kept"))
        .where(ctx.where(a), a.c.formed_on <= ctx.day, a.c.status != "disposed",
               a.c.asset_class == "public_welfare")
        .group_by(a.c.county_code)
    )
    out = {}
    for row in ctx.conn.execute(stmt):
        total, kept = to_int(row.total), to_int(row.kept)
        value = _ratio(kept, total)  # total > 0: the county has a row
        out[row.county_code] = Measurement(
            value, kept, total, f"公益性资产{total}项，已落实管护主体{kept}项（{_pct(value)}）",
            f"{kept} of {total} public-welfare assets have a custodian ({_pct(value)})")
    return out


def household_deadlines(ctx: MeasureContext) -> dict[str, Measurement]:
    """H2 as a share: of the households found in the year (by as_of) that were entered or are past
    their due date, those entered within ``max_workdays`` working days of being found."""
    h = HOUSEHOLD
    limit = int(ctx.params["H2"]["max_workdays"])
    day = ctx.day
    stmt = (
        select(h.c.county_code, h.c.found_on, h.c.entered_on)
        .where(ctx.where(h), h.c.found_on >= dt.date(ctx.year, 1, 1), h.c.found_on <= day)
        .order_by(h.c.county_code, h.c.id)
    )
    rows = ctx.conn.execute(stmt).all()
    if not rows:
        return {}
    counties = np.array([r.county_code for r in rows], dtype=object)
    found = np.array([r.found_on for r in rows], dtype="datetime64[D]")
    entered = np.array([r.entered_on if r.entered_on is not None and r.entered_on <= day else np.datetime64("NaT")
                        for r in rows], dtype="datetime64[D]")
    due, _ = workdays.add_workdays_array(found, limit)
    is_open = np.isnat(entered)
    on_time = ~is_open & (entered <= due)
    judged = ~is_open | (np.datetime64(day, "D") > due)
    out = {}
    for county in sorted(set(counties)):
        mask = counties == county
        n_judged, n_on_time = int((judged & mask).sum()), int((on_time & mask).sum())
        if n_judged == 0:
            out[county] = Measurement(None, 0, 0, f"{ctx.year}年发现的监测对象尚未到录入期限",
                                      f"no household found in {ctx.year} is due for entry yet")
            continue
        value = _ratio(n_on_time, n_judged)
        out[county] = Measurement(
            value, n_on_time, n_judged,
            f"{ctx.year}年发现的监测对象{n_judged}户中{n_on_time}户在{limit}个工作日内录入（{_pct(value)}）",
            f"{n_on_time} of {n_judged} households found in {ctx.year} entered within {limit} working days "
            f"({_pct(value)})")
    return out


MEASURES: dict[str, Callable[[MeasureContext], dict[str, Measurement]]] = {
    "fund_input_growth": fund_input_growth,
    "superior_funds_growth": superior_funds_growth,
    "integration_ratio": integration_ratio,
    "disbursement_pace": disbursement_pace,
    "leverage": leverage,
    "asset_custody": asset_custody,
    "household_deadlines": household_deadlines,
}
if set(MEASURES) != set(MEASURE_INFO):  # pragma: no cover - a developer error
    raise RuntimeError("measures and MEASURE_INFO disagree")


def measure(
    engine: Engine,
    scope: Scope,
    year: int,
    names: Iterable[str] | None = None,
    *,
    as_of: dt.date | None = None,
    config: Any = None,
) -> dict[str, dict[str, Measurement]]:
    """``{measure: {county_code: Measurement}}`` for the counties in ``scope`` that have data.

    ``names`` picks measures (default: all); ``as_of`` defaults to the year's end or today;
    ``config`` is the rules configuration (default ``$FUNDWATCH_RULES_CONFIG``), so a threshold
    or programme list changed for the warnings changes the measures the same way.
    """
    require_scope(scope)
    names = list(MEASURES) if names is None else list(names)
    unknown = [n for n in names if n not in MEASURES]
    if unknown:
        raise ValueError(f"unknown measure {unknown[0]!r} (measures: {', '.join(MEASURES)})")
    as_of = as_of or default_as_of(year)
    params = {rule.id: dict(rule.params) for rule in resolve_rules(config)}
    with reader(engine).connect() as conn:
        ctx = MeasureContext(conn=conn, scope=scope, year=year, as_of=as_of, params=params)
        results = {name: MEASURES[name](ctx) for name in names}
        conn.rollback()
    return {name: {c: m for c, m in found.items() if scope.allows(c)} for name, found in results.items()}


__all__ = ["MEASURES", "Measurement", "MeasureContext", "measure", *MEASURES]
