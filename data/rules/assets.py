"""Asset rules A1-A4 (seeds/003 八): custody, ownership and income, PV income distribution,
idle or damaged assets.  One finding per county, naming the assets (or income rows) at fault."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import extract, func, or_, select

from .. import vocab
from ._common import ASSET, ASSET_INCOME, Context, Finding, count_finding, id_list, merge_ids, parse_ids, plural, to_int


def _live_assets(ctx: Context):
    """Assets formed by as_of and not disposed."""
    return (ASSET.c.formed_on <= ctx.as_of) & (ASSET.c.status != "disposed")


def check_a1(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """Public-welfare assets (not disposed) with no custodian (管护主体)."""
    a = ASSET
    stmt = (
        select(a.c.county_code, func.count().label("n"), id_list(a.c.id, "ids"))
        .where(ctx.where(a), _live_assets(ctx), a.c.asset_class == "public_welfare",
               or_(a.c.custodian.is_(None), func.trim(a.c.custodian) == ""))
        .group_by(a.c.county_code)
    )
    return [
        count_finding(ctx, row, "A1", "warning", "asset",
                      lambda name, n: f"{name} {n}项公益性资产未落实管护主体",
                      lambda name, n: f"{name}: {plural(n, 'public-welfare asset')} without a custodian")
        for row in ctx.conn.execute(stmt)
    ]


def check_a2(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """Operating assets (not disposed) with no owner (产权), or missing an income row for a full
    year between the year after they were formed and the year before as_of's year."""
    a, i = ASSET, ASSET_INCOME
    operating = ctx.where(a) & _live_assets(ctx) & (a.c.asset_class == "operating")
    no_owner = (
        select(a.c.county_code, func.count().label("n"), id_list(a.c.id, "ids"))
        .where(operating, a.c.owner.is_(None))
        .group_by(a.c.county_code)
    )
    # Income years on record per operating asset, counted once for the whole scope (a grouped
    # subquery rather than a correlated one: it scans the scope's income rows once).
    formed_year = extract("year", a.c.formed_on)
    last_year = ctx.as_of.year - 1
    years = (
        select(i.c.asset_id, func.count(func.distinct(i.c.year)).label("years"))
        .select_from(i.join(a, a.c.id == i.c.asset_id))
        .where(ctx.where(i), ctx.where(a), i.c.year > formed_year, i.c.year <= last_year)
        .group_by(i.c.asset_id)
        .subquery()
    )
    expected = last_year - formed_year
    no_income = (
        select(a.c.county_code, func.count().label("n"), id_list(a.c.id, "ids"))
        .select_from(a.outerjoin(years, years.c.asset_id == a.c.id))
        .where(operating, expected > 0, func.coalesce(years.c.years, 0) < expected)
        .group_by(a.c.county_code)
    )
    findings = []
    for kind, stmt, zh, en in (
        ("no_owner", no_owner, "项经营性资产未明晰产权", "without an owner"),
        ("no_income", no_income, f"项经营性资产缺少{last_year}年及以前的年度收益记录",
         f"without a yearly income record for every year up to {last_year}"),
    ):
        findings.extend(
            count_finding(ctx, row, "A2", "warning", "asset", lambda name, n, zh=zh: f"{name} {n}{zh}",
                          lambda name, n, en=en: f"{name}: {plural(n, 'operating asset')} {en}",
                          key=kind, problem=kind)
            for row in ctx.conn.execute(stmt))
    return findings


def check_a3(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """PV-station income rows of the year whose distribution (collective + households + other)
    differs from the income, or that gave nothing to the collective and households."""
    a, i = ASSET, ASSET_INCOME
    distributed = i.c.to_collective_fen + i.c.to_households_fen + i.c.to_other_fen
    shared = i.c.to_collective_fen + i.c.to_households_fen
    stmt = (
        select(i.c.county_code, func.count().label("n"), id_list(i.c.id, "ids"))
        .select_from(i.join(a, a.c.id == i.c.asset_id))
        .where(ctx.where(i), ctx.where(a), i.c.year == ctx.year, a.c.subtype.in_(list(params["subtypes"])),
               or_(distributed != i.c.income_fen, (i.c.income_fen > 0) & (shared == 0)))
        .group_by(i.c.county_code)
    )
    return [
        count_finding(ctx, row, "A3", "warning", "asset_income",
                      lambda name, n: f"{name} {ctx.year}年 {n}座光伏电站收益分配与收益不符或未分配给村集体和农户",
                      lambda name, n: (f"{name} {ctx.year}: income of {plural(n, 'PV station')} not fully "
                                       f"distributed or nothing given to the collective and households"))
        for row in ctx.conn.execute(stmt)
    ]


def check_a4(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """Assets formed by as_of whose status is idle or damaged."""
    a = ASSET
    stmt = (
        select(a.c.county_code, a.c.status, func.count().label("n"), id_list(a.c.id, "ids"))
        .where(ctx.where(a), a.c.formed_on <= ctx.as_of, a.c.status.in_(list(params["statuses"])))
        .group_by(a.c.county_code, a.c.status)
    )
    groups: dict[str, list[Any]] = defaultdict(list)
    for row in ctx.conn.execute(stmt):
        groups[row.county_code].append(row)
    findings = []
    for county, rows in groups.items():
        rows.sort(key=lambda r: r.status)
        n = sum(to_int(r.n) for r in rows)
        name = ctx.name(county)
        parts_zh = "、".join(f"{vocab.label(vocab.ASSET_STATUSES, r.status, 'zh')}{to_int(r.n)}项" for r in rows)
        parts_en = ", ".join(f"{to_int(r.n)} {vocab.label(vocab.ASSET_STATUSES, r.status, 'en').lower()}"
                             for r in rows)
        findings.append(Finding(
            rule="A4", severity="notice", region_code=county, value=n, threshold=0, unit="count",
            message_zh=f"{name} {n}项扶贫资产闲置或损毁（{parts_zh}）",
            message_en=f"{name}: {plural(n, 'asset')} idle or damaged ({parts_en})",
            record_table="asset", record_ids=merge_ids(*(parse_ids(r.ids) for r in rows)),
            detail={r.status: to_int(r.n) for r in rows},
        ))
    return findings
