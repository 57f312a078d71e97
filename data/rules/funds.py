"""Fund rules F1-F6: disbursement pace, county input, growth and integration, the negative list,
and publication of allocation results.  Aggregates are GROUP BY queries per county.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import case, func, or_, select, true

from .. import vocab
from ..reads._summary_reads import disbursed as disbursed_by
from ._common import (
    ALLOCATION, COUNTY_FINANCE, DISBURSEMENT, PROJECT, Context, Finding, at_least, fen_sum, id_list,
    merge_ids, month_day_en, month_day_zh, parse_ids, parse_month_day, pct, pct_threshold, plural, ratio_parts,
    to_int, wan, wan_en, yuan,
)

# ---------------------------------------------------------------------------------------------
# F1 pace (seeds/000 item 13)
# ---------------------------------------------------------------------------------------------


def _milestones(params: Mapping[str, Any], year: int) -> list[tuple[str, dt.date, float]]:
    """(name, date, minimum ratio) of the milestones of ``year``, in date order."""
    found = [
        ("first", parse_month_day(params["first_date"], year), params["first_min"]),
        ("second", parse_month_day(params["second_date"], year), params["second_min"]),
    ]
    if params["check_year_end"]:
        found.append(("year_end", parse_month_day(params["year_end_date"], year), params["year_end_min"]))
    return sorted(found, key=lambda m: m[1])


def _level_zh(level: str) -> str:
    return vocab.label(vocab.SOURCE_LEVELS, level, "zh")


def _level_en(level: str) -> str:
    return vocab.label(vocab.SOURCE_LEVELS, level, "en").lower()


def check_f1(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """Disbursed / allocated per county and budget level at each milestone passed by as_of,
    and a notice when the next milestone is projected to be missed at the current pace.

    Denominator: the level's poverty-fund allocations of the year issued by the date.
    Numerator: the level's poverty-fund disbursements paid in the year by the date.
    """
    milestones = _milestones(params, ctx.year)
    passed = [m for m in milestones if m[1] <= ctx.as_of]
    upcoming = [m for m in milestones if m[1] > ctx.as_of]
    project = bool(params["project_next"]) and upcoming and ctx.as_of >= ctx.year_start
    if not passed and not project:
        return []
    points = [m[1] for m in passed] + ([ctx.as_of] if project else [])
    levels, programmes = list(params["levels"]), list(params["programmes"])

    a = ALLOCATION
    alloc_cols = []
    for i, day in enumerate(points):
        issued = a.c.issued_on <= day
        alloc_cols.append(fen_sum(case((issued, a.c.amount_fen), else_=0), f"alloc_{i}"))
        alloc_cols.append(id_list(case((issued, a.c.id)), f"ids_{i}"))
    alloc_stmt = (
        select(a.c.county_code, a.c.source_level, *alloc_cols)
        .where(ctx.where(a), a.c.year == ctx.year, a.c.source_level.in_(levels), a.c.programme.in_(programmes))
        .group_by(a.c.county_code, a.c.source_level)
    )
    paid: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(points))
    for i, day in enumerate(points):  # from the disbursement_month summary (fundwatch.data.summaries)
        by_level = disbursed_by(ctx.conn, ctx.scope.clause, ctx.year, day, programmes, ("county_code", "source_level"),
                             levels)
        for county, level, fen in by_level:
            paid[(county, level)][i] = int(fen)

    findings: list[Finding] = []
    for row in ctx.conn.execute(alloc_stmt):
        county, level = row.county_code, row.source_level
        prow = paid.get((county, level))  # None: nothing paid
        name = ctx.name(county)
        order = levels.index(level)
        for i, (_, day, minimum) in enumerate(passed):
            allocated = to_int(row[2 + 2 * i])
            disbursed = prow[i] if prow is not None else 0
            if allocated <= 0 or at_least(disbursed, allocated, minimum):
                continue
            ratio = disbursed / allocated
            findings.append(Finding(
                rule="F1", severity="warning", region_code=county, value=ratio, threshold=minimum,
                unit="ratio",
                message_zh=(f"{name} {ctx.year}年 {_level_zh(level)}扶贫资金截至{month_day_zh(day)}拨付率 "
                            f"{pct(ratio, minimum)}，低于 {pct_threshold(minimum)}"),
                message_en=(f"{name} {ctx.year}: {_level_en(level)} poverty funds {pct(ratio, minimum)} disbursed by "
                            f"{month_day_en(day)}, below {pct_threshold(minimum)}"),
                record_table="allocation", record_ids=parse_ids(row[3 + 2 * i]),
                detail={"kind": "milestone", "level": level, "milestone": day.isoformat(),
                        "allocated": yuan(allocated), "disbursed": yuan(disbursed)},
                key=f"{order}:{day.isoformat()}",
            ))
        if project:
            i = len(passed)
            _, day, minimum = upcoming[0]
            allocated = to_int(row[2 + 2 * i])
            disbursed = prow[i] if prow is not None else 0
            elapsed = (ctx.as_of - ctx.year_start).days + 1
            horizon = (day - ctx.year_start).days + 1
            if allocated <= 0:
                continue
            # projected = disbursed * horizon / elapsed; compare exactly with the minimum
            if at_least(disbursed * horizon, allocated * elapsed, minimum):
                continue
            ratio = disbursed * horizon / (allocated * elapsed)
            findings.append(Finding(
                rule="F1", severity="notice", region_code=county, value=ratio, threshold=minimum,
                unit="ratio",
                message_zh=(f"{name} {ctx.year}年 {_level_zh(level)}扶贫资金按截至{month_day_zh(ctx.as_of)}的进度，"
                            f"预计{month_day_zh(day)}拨付率 {pct(ratio, minimum)}，低于 {pct_threshold(minimum)}"),
                message_en=(f"{name} {ctx.year}: {_level_en(level)} poverty funds projected at {pct(ratio, minimum)} "
                            f"disbursed by {month_day_en(day)} at the pace to {month_day_en(ctx.as_of)}, "
                            f"below {pct_threshold(minimum)}"),
                record_table="allocation", record_ids=parse_ids(row[3 + 2 * i]),
                detail={"kind": "projection", "level": level, "milestone": day.isoformat(),
                        "as_of": ctx.as_of.isoformat(), "allocated": yuan(allocated),
                        "disbursed": yuan(disbursed), "current_ratio": disbursed / allocated},
                key=f"{order}:{day.isoformat()}:projection",
            ))
    return findings


# ---------------------------------------------------------------------------------------------
# F2 county input (seeds/000 item 2)
# ---------------------------------------------------------------------------------------------


def _in_years(params: Mapping[str, Any], year: int) -> bool:
    first, last = params.get("first_year"), params.get("last_year")
    return (first is None or year >= first) and (last is None or year <= last)


def check_f2(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """poverty_budget_added(Y) >= share x (general_revenue(Y) - general_revenue(Y-1)) when the
    increment is positive.  Records: the county_finance rows, identified by their year."""
    if not _in_years(params, ctx.year):
        return []
    cf = COUNTY_FINANCE
    stmt = (
        select(cf.c.county_code, cf.c.year, cf.c.general_revenue_fen, cf.c.poverty_budget_added_fen)
        .where(ctx.where(cf), cf.c.year.in_([ctx.year - 1, ctx.year]))
        .order_by(cf.c.county_code, cf.c.year)
    )
    by_county: dict[str, dict[int, Any]] = defaultdict(dict)
    for row in ctx.conn.execute(stmt):
        by_county[row.county_code][row.year] = row
    share = params["min_share"]
    findings = []
    for county, years in by_county.items():
        this, last = years.get(ctx.year), years.get(ctx.year - 1)
        if this is None or last is None:
            continue
        increment = to_int(this.general_revenue_fen) - to_int(last.general_revenue_fen)
        added = to_int(this.poverty_budget_added_fen)
        if increment <= 0 or at_least(added, increment, share):
            continue
        ratio = added / increment
        name = ctx.name(county)
        findings.append(Finding(
            rule="F2", severity="warning", region_code=county, value=ratio, threshold=share, unit="ratio",
            message_zh=(f"{name} {ctx.year}年 增列专项扶贫预算{wan(added)}，为一般公共预算收入增量"
                        f"{wan(increment)}的 {pct(ratio, share)}，低于 {pct_threshold(share)}"),
            message_en=(f"{name} {ctx.year}: poverty budget added {wan_en(added)} is {pct(ratio, share)} of the "
                        f"general revenue increment {wan_en(increment)}, below {pct_threshold(share)}"),
            record_table="county_finance.year", record_ids=(ctx.year - 1, ctx.year),
            detail={"added": yuan(added), "increment": yuan(increment),
                    "required": yuan(increment) * share},
        ))
    return findings


# ---------------------------------------------------------------------------------------------
# F3 growth and integration (seeds/004 二) and F4 no shrinking (seeds/000 item 4)
# ---------------------------------------------------------------------------------------------


def check_f3(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """(a) city+county allocations +20% on last year, (b) central+provincial +20%,
    (c) integrated / integrable allocations of the year >= 35%."""
    if not _in_years(params, ctx.year):
        return []
    a = ALLOCATION
    poverty = a.c.programme.in_(list(params["programmes"]))
    this, last = a.c.year == ctx.year, a.c.year == ctx.year - 1
    local = poverty & a.c.source_level.in_(["city", "county"])
    superior = poverty & a.c.source_level.in_(["central", "provincial"])
    integrated = this & (a.c.integrated == true())
    integrable = this & (a.c.integrable == true())
    stmt = (
        select(
            a.c.county_code,
            fen_sum(case((local & this, a.c.amount_fen), else_=0), "local_this"),
            fen_sum(case((local & last, a.c.amount_fen), else_=0), "local_last"),
            id_list(case((local, a.c.id)), "local_ids"),
            fen_sum(case((superior & this, a.c.amount_fen), else_=0), "sup_this"),
            fen_sum(case((superior & last, a.c.amount_fen), else_=0), "sup_last"),
            id_list(case((superior, a.c.id)), "sup_ids"),
            fen_sum(case((integrated, a.c.amount_fen), else_=0), "integrated"),
            fen_sum(case((integrable, a.c.amount_fen), else_=0), "integrable"),
            id_list(case((integrated | integrable, a.c.id)), "int_ids"),
        )
        .where(ctx.where(a), a.c.year.in_([ctx.year - 1, ctx.year]))
        .group_by(a.c.county_code)
    )
    findings = []
    for row in ctx.conn.execute(stmt):
        county = row.county_code
        name = ctx.name(county)
        for key, now, before, ids, minimum, zh, en in (
            ("local", row.local_this, row.local_last, row.local_ids, params["input_growth_min"],
             "市县财政扶贫资金投入", "city and county poverty-fund input"),
            ("superior", row.sup_this, row.sup_last, row.sup_ids, params["superior_growth_min"],
             "争取上级扶贫资金", "superior poverty funds obtained"),
        ):
            now, before = to_int(now), to_int(before)
            if before <= 0:
                continue  # no base year to grow from
            num, den = ratio_parts(minimum)
            if now * den >= before * (den + num):
                continue
            growth = now / before - 1
            findings.append(Finding(
                rule="F3", severity="notice", region_code=county, value=growth, threshold=minimum, unit="ratio",
                message_zh=(f"{name} {ctx.year}年 {zh}{wan(now)}，比上年{wan(before)}增长 {pct(growth, minimum)}，"
                            f"低于 {pct_threshold(minimum)}"),
                message_en=(f"{name} {ctx.year}: {en} {wan_en(now)} grew {pct(growth, minimum)} on last year's "
                            f"{wan_en(before)}, below {pct_threshold(minimum)}"),
                record_table="allocation", record_ids=parse_ids(ids),
                detail={"check": key, "this_year": yuan(now), "last_year": yuan(before)},
                key=key,
            ))
        integrated_fen, integrable_fen = to_int(row.integrated), to_int(row.integrable)
        minimum = params["integration_min"]
        if integrable_fen > 0 and not at_least(integrated_fen, integrable_fen, minimum):
            ratio = integrated_fen / integrable_fen
            findings.append(Finding(
                rule="F3", severity="notice", region_code=county, value=ratio, threshold=minimum, unit="ratio",
                message_zh=(f"{name} {ctx.year}年 整合资金{wan(integrated_fen)}占可整合资金{wan(integrable_fen)}的 "
                            f"{pct(ratio, minimum)}，低于 {pct_threshold(minimum)}"),
                message_en=(f"{name} {ctx.year}: integrated funds {wan_en(integrated_fen)} are {pct(ratio, minimum)} of "
                            f"integrable funds {wan_en(integrable_fen)}, below {pct_threshold(minimum)}"),
                record_table="allocation", record_ids=parse_ids(row.int_ids),
                detail={"check": "integration", "integrated": yuan(integrated_fen),
                        "integrable": yuan(integrable_fen)},
                key="integration",
            ))
    return findings


def check_f4(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """Integrated allocations of the year not below last year's ("只增不减")."""
    if not _in_years(params, ctx.year):
        return []
    a = ALLOCATION
    this, last = a.c.year == ctx.year, a.c.year == ctx.year - 1
    stmt = (
        select(
            a.c.county_code,
            fen_sum(case((this, a.c.amount_fen), else_=0), "this"),
            fen_sum(case((last, a.c.amount_fen), else_=0), "last"),
            id_list(a.c.id, "ids"),
        )
        .where(ctx.where(a), a.c.year.in_([ctx.year - 1, ctx.year]), a.c.integrated == true())
        .group_by(a.c.county_code)
    )
    minimum = params["min_ratio"]
    findings = []
    for row in ctx.conn.execute(stmt):
        now, before = to_int(row.this), to_int(row.last)
        if before <= 0 or at_least(now, before, minimum):
            continue
        name = ctx.name(row.county_code)
        findings.append(Finding(
            rule="F4", severity="warning", region_code=row.county_code, value=yuan(now),
            threshold=yuan(before) * minimum, unit="yuan",
            message_zh=f"{name} {ctx.year}年 整合资金规模{wan(now)}，低于上年{wan(before)}（只增不减）",
            message_en=(f"{name} {ctx.year}: integrated funds {wan_en(now)} fell below last year's "
                        f"{wan_en(before)} (must not shrink)"),
            record_table="allocation", record_ids=parse_ids(row.ids),
            detail={"this_year": yuan(now), "last_year": yuan(before), "ratio": now / before},
        ))
    return findings


# ---------------------------------------------------------------------------------------------
# F5 negative list (seeds/002 六(六)) and F6 disclosure (seeds/000 item 15)
# ---------------------------------------------------------------------------------------------


def check_f5(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """Integrated money (programme in ``programmes`` or drawn on an allocation in the integration
    plan) paid in the year to a project whose category is on the negative list."""
    d, p, a = DISBURSEMENT, PROJECT, ALLOCATION
    integrated_allocations = select(a.c.id).where(ctx.where(a), a.c.integrated == true())
    integrated_money = or_(
        d.c.programme.in_(list(params["programmes"])),
        d.c.allocation_id.in_(integrated_allocations),
    )
    stmt = (
        select(d.c.county_code, p.c.category, func.count().label("n"), fen_sum(d.c.amount_fen, "amount"),
               id_list(d.c.id, "ids"))
        .select_from(d.join(p, p.c.id == d.c.project_id))
        .where(ctx.where(d), ctx.where(p), d.c.year == ctx.year, d.c.paid_on <= ctx.as_of,
               p.c.category.in_(list(params["negative_list"])), integrated_money)
        .group_by(d.c.county_code, p.c.category)
    )
    groups: dict[str, list[Any]] = defaultdict(list)
    for row in ctx.conn.execute(stmt):
        groups[row.county_code].append(row)
    findings = []
    for county, rows in groups.items():
        rows.sort(key=lambda r: r.category)
        amount = sum(to_int(r.amount) for r in rows)
        count = sum(to_int(r.n) for r in rows)
        cats_zh = "、".join(vocab.label(vocab.PROJECT_CATEGORIES, r.category, "zh") for r in rows)
        cats_en = "; ".join(vocab.label(vocab.PROJECT_CATEGORIES, r.category, "en").lower() for r in rows)
        name = ctx.name(county)
        findings.append(Finding(
            rule="F5", severity="violation", region_code=county, value=yuan(amount), threshold=0, unit="yuan",
            message_zh=f"{name} {ctx.year}年 {count}笔统筹整合资金共{wan(amount)}用于负面清单项目（{cats_zh}）",
            message_en=(f"{name} {ctx.year}: {plural(count, 'payment')} of integrated funds, {wan_en(amount)} "
                        f"in all, went to negative-list projects ({cats_en})"),
            record_table="disbursement", record_ids=merge_ids(*(parse_ids(r.ids) for r in rows)),
            detail={"payments": count, "categories": [r.category for r in rows]},
        ))
    return findings


def check_f6(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """Allocation results of the year not published within ``max_days`` of issue (as of as_of)."""
    a = ALLOCATION
    stmt = (
        select(a.c.id, a.c.county_code, a.c.issued_on, a.c.published_on)
        .where(ctx.where(a), a.c.year == ctx.year, a.c.issued_on <= ctx.as_of,
               or_(a.c.published_on.is_(None), a.c.published_on > a.c.issued_on))
        .order_by(a.c.county_code, a.c.id)
    )
    limit = dt.timedelta(days=params["max_days"])
    late: dict[str, list[tuple[int, dt.date | None, dt.date]]] = defaultdict(list)
    for row in ctx.conn.execute(stmt):
        due = row.issued_on + limit
        published = row.published_on if row.published_on is not None and row.published_on <= ctx.as_of else None
        if (published is None and ctx.as_of > due) or (published is not None and published > due):
            late[row.county_code].append((row.id, published, due))
    findings = []
    for county, rows in late.items():
        unpublished = sum(1 for _, published, _ in rows if published is None)
        name = ctx.name(county)
        findings.append(Finding(
            rule="F6", severity="notice", region_code=county, value=len(rows), threshold=0, unit="count",
            message_zh=(f"{name} {ctx.year}年 {len(rows)}项资金分配结果未在下达后{params['max_days']}日内公开"
                        f"（其中{unpublished}项尚未公开）"),
            message_en=(f"{name} {ctx.year}: {plural(len(rows), 'allocation result')} not published within "
                        f"{params['max_days']} days of issue ({unpublished} still unpublished)"),
            record_table="allocation", record_ids=tuple(r[0] for r in rows),
            detail={"unpublished": unpublished, "max_days": params["max_days"]},
        ))
    return findings


__all__ = ["check_f1", "check_f2", "check_f3", "check_f4", "check_f5", "check_f6"]
