"""Data-quality rules Q1-Q6, in the spirit of USAspending's submission statistics: records that
cannot be traced to where they should come from.  One GROUP BY query each, per county (Q5: the
loan summaries, then the loans of the groups at fault)."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from sqlalchemy import exists, false, func, or_, select

from .. import vocab
from ._common import (
    ASSET, DIBAO, DISBURSEMENT, HOUSEHOLD, PROJECT, RISK_FUND, Context, Finding, count_finding, fen_sum,
    id_list, to_int, wan, wan_en,
)
from ..reads._summary_reads import loan_positions, outstanding_ids


def _finding(ctx: Context, rule: str, row, table: str, zh: str, en: str, key: str = "", **detail) -> Finding:
    """A data-quality notice; ``zh`` and ``en`` are templates of the count ``{n}``."""
    return count_finding(ctx, row, rule, "notice", table, lambda name, n: f"{name} {zh.format(n=n)}",
                         lambda name, n: f"{name}: {en.format(n=n)}", key=key, **detail)


def check_q1(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """Disbursements of the year with no allocation behind them."""
    d = DISBURSEMENT
    stmt = (
        select(d.c.county_code, func.count().label("n"), fen_sum(d.c.amount_fen, "amount"), id_list(d.c.id, "ids"))
        .where(ctx.where(d), d.c.year == ctx.year, d.c.paid_on <= ctx.as_of, d.c.allocation_id.is_(None))
        .group_by(d.c.county_code)
    )
    return [
        _finding(ctx, "Q1", row, "disbursement",
                 f"{ctx.year}年 {{n}}笔拨付（{wan(to_int(row.amount))}）无对应资金下达记录",
                 f"payments in {ctx.year} without an allocation: {{n}} ({wan_en(to_int(row.amount))})",
                 amount=to_int(row.amount) / 100)
        for row in ctx.conn.execute(stmt)
    ]


def check_q2(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """Projects outside the project pool that received special funds in the year (seeds/004 三(六))."""
    d, p = DISBURSEMENT, PROJECT
    paid = exists().where(ctx.where(d), d.c.project_id == p.c.id, d.c.programme.in_(list(params["programmes"])),
                          d.c.year == ctx.year, d.c.paid_on <= ctx.as_of)
    stmt = (
        select(p.c.county_code, func.count().label("n"), id_list(p.c.id, "ids"))
        .where(ctx.where(p), p.c.in_pool == false(), paid)
        .group_by(p.c.county_code)
    )
    return [
        _finding(ctx, "Q2", row, "project", f"{ctx.year}年 {{n}}个未入项目库的项目获得财政专项扶贫资金",
                 f"projects outside the project pool that received special funds in {ctx.year}: {{n}}")
        for row in ctx.conn.execute(stmt)
    ]


def check_q3(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """Completed projects (by the evaluated year) that were paid for but left no asset."""
    d, p, a = DISBURSEMENT, PROJECT, ASSET
    paid = exists().where(ctx.where(d), d.c.project_id == p.c.id, d.c.amount_fen > 0, d.c.paid_on <= ctx.as_of)
    has_asset = exists().where(ctx.where(a), a.c.project_id == p.c.id)
    stmt = (
        select(p.c.county_code, func.count().label("n"), id_list(p.c.id, "ids"))
        # no asset before paid: SQLite tests the terms in this order, and most completed projects
        # have an asset (one index seek) while "paid" seeks their payments (ten times the demo:
        # the rule 816 -> 311 ms)
        .where(ctx.where(p), p.c.status == "completed", or_(p.c.end_year.is_(None), p.c.end_year <= ctx.year),
               ~has_asset, paid)
        .group_by(p.c.county_code)
    )
    return [
        _finding(ctx, "Q3", row, "project", "{n}个已完工并已拨付资金的项目未登记资产",
                 "completed, paid-for projects without an asset on record: {n}")
        for row in ctx.conn.execute(stmt)
    ]


def check_q4(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """Assets with no source project."""
    a = ASSET
    stmt = (
        select(a.c.county_code, func.count().label("n"), id_list(a.c.id, "ids"))
        .where(ctx.where(a), a.c.formed_on <= ctx.as_of, a.c.project_id.is_(None))
        .group_by(a.c.county_code)
    )
    return [
        _finding(ctx, "Q4", row, "asset", "{n}项资产无来源项目", "assets without a source project: {n}")
        for row in ctx.conn.execute(stmt)
    ]


def check_q5(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """Loans outstanding as of as_of in a county with no risk-fund deposit for their programme.

    The loans outstanding per county and programme come from the loan summaries, as L1's do
    (:func:`~fundwatch.data.reads._summary_reads.loan_positions`), and only a group at fault has
    its loans listed: each outstanding loan used to be checked for a deposit (SQLite 761 ms at ten
    times the demo, for one group of loans at fault)."""
    r = RISK_FUND
    deposited = set(ctx.conn.execute(
        select(r.c.county_code, r.c.programme).where(ctx.where(r), r.c.deposited_on <= ctx.as_of).distinct()).all())
    positions = loan_positions(ctx.conn, ctx.scope.clause, ctx.as_of)
    groups = positions.groupby(["county_code", "programme"])["loans"].sum() if len(positions) else {}
    findings = []
    for (county, programme), loans in sorted(groups.items()):
        if loans <= 0 or (county, programme) in deposited:
            continue
        ids = outstanding_ids(ctx.conn, ctx.scope.clause, ctx.as_of, county_code=county, programme=programme)
        row = SimpleNamespace(county_code=county, n=len(ids), ids=",".join(map(str, ids)))
        zh = vocab.label(vocab.LOAN_PROGRAMMES, programme, "zh")
        en = vocab.label(vocab.LOAN_PROGRAMMES, programme, "en")
        findings.append(_finding(ctx, "Q5", row, "loan", f"{zh} {{n}}笔贷款所在县无风险缓释金存入记录",
                                 f"{en} loans without a risk-fund deposit: {{n}}", key=programme,
                                 programme=programme))
    return findings


def check_q6(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """Households with an income but no dibao standard for their county and income year."""
    h, s = HOUSEHOLD, DIBAO
    standard = exists().where(ctx.where(s), s.c.county_code == h.c.county_code, s.c.year == h.c.income_year)
    stmt = (
        select(h.c.county_code, func.count().label("n"), id_list(h.c.id, "ids"))
        .where(ctx.where(h), h.c.income_year <= ctx.year, h.c.income_per_capita_fen > 0, ~standard)
        .group_by(h.c.county_code)
    )
    return [
        _finding(ctx, "Q6", row, "household", "{n}户有收入记录但所在县当年无农村低保标准",
                 "households with an income but no dibao standard for their county and year: {n}")
        for row in ctx.conn.execute(stmt)
    ]
