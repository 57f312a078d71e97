"""Data-quality rules Q1-Q6, in the spirit of USAspending's submission statistics: records that
cannot be traced to where they should come from.  One GROUP BY query each, per county."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import exists, false, func, or_, select

from .. import vocab
from ._common import (
    ASSET, DIBAO, DISBURSEMENT, HOUSEHOLD, LOAN, PROJECT, RISK_FUND, Context, Finding, count_finding, fen_sum,
    id_list, to_int, wan, wan_en,
)
from .loans import outstanding


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
        .where(ctx.where(p), p.c.status == "completed", or_(p.c.end_year.is_(None), p.c.end_year <= ctx.year),
               paid, ~has_asset)
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
    """Loans outstanding as of as_of in a county with no risk-fund deposit for their programme."""
    l, r = LOAN, RISK_FUND
    deposited = exists().where(ctx.where(r), r.c.county_code == l.c.county_code, r.c.programme == l.c.programme,
                               r.c.deposited_on <= ctx.as_of)
    stmt = (
        select(l.c.county_code, l.c.programme, func.count().label("n"), id_list(l.c.id, "ids"))
        .where(ctx.where(l), outstanding(ctx.as_of), ~deposited)
        .group_by(l.c.county_code, l.c.programme)
    )
    findings = []
    for row in ctx.conn.execute(stmt):
        zh = vocab.label(vocab.LOAN_PROGRAMMES, row.programme, "zh")
        en = vocab.label(vocab.LOAN_PROGRAMMES, row.programme, "en")
        findings.append(_finding(ctx, "Q5", row, "loan", f"{zh} {{n}}笔贷款所在县无风险缓释金存入记录",
                                 f"{en} loans without a risk-fund deposit: {{n}}", key=row.programme,
                                 programme=row.programme))
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
