"""Loan rules L1-L3: leverage of the risk-mitigation fund, bad-loan rates, guarantee-fee split."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, or_, select

from .. import vocab
from ..reads._summary_reads import loan_positions, outstanding_ids
from ._common import (
    LOAN, RISK_FUND, Context, Finding, count_finding, fen_sum, id_list, parse_ids, pct, pct_threshold, plural,
    ratio_parts, to_int, wan, wan_en, yuan,
)


def outstanding(as_of):
    """Loans outstanding on ``as_of``: issued by then and not repaid by then."""
    return (LOAN.c.issued_on <= as_of) & or_(LOAN.c.repaid_on.is_(None), LOAN.c.repaid_on > as_of)


def _programme(code: str, lang: str) -> str:
    return vocab.label(vocab.LOAN_PROGRAMMES, code, lang)


def check_l1(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """Outstanding loans / cumulative risk-fund deposits per county and programme as of as_of:
    above ``max_leverage`` is a warning, below ``idle_below`` a notice (idle risk money).
    Counties with loans but no deposit are left to Q5."""
    r = RISK_FUND
    funds_stmt = (
        select(r.c.county_code, r.c.programme, fen_sum(r.c.amount_fen, "amount"), id_list(r.c.id, "ids"))
        .where(ctx.where(r), r.c.deposited_on <= ctx.as_of)
        .group_by(r.c.county_code, r.c.programme)
    )
    positions = loan_positions(ctx.conn, ctx.scope.clause, ctx.as_of)  # the loan summaries
    loans = {key: int(fen) for key, fen in
             positions.groupby(["county_code", "programme"])["amount_fen"].sum().items()} if len(positions) else {}
    high, low = params["max_leverage"], params["idle_below"]
    hnum, hden = ratio_parts(high)
    lnum, lden = ratio_parts(low)
    findings = []
    for fund in ctx.conn.execute(funds_stmt):
        key = (fund.county_code, fund.programme)
        deposited = to_int(fund.amount)
        if deposited <= 0:
            continue
        lent = loans.get(key, 0)
        leverage = lent / deposited
        name = ctx.name(fund.county_code)
        prog_zh, prog_en = _programme(fund.programme, "zh"), _programme(fund.programme, "en")
        day = ctx.as_of.isoformat()
        detail = {"programme": fund.programme, "outstanding": yuan(lent), "risk_fund": yuan(deposited)}
        if lent * hden > hnum * deposited:
            findings.append(Finding(
                rule="L1", severity="warning", region_code=fund.county_code, value=leverage, threshold=high,
                unit="times",
                message_zh=(f"{name} 截至{day} {prog_zh}贷款余额{wan(lent)}为风险缓释金{wan(deposited)}的 "
                            f"{leverage:.2f} 倍，超过 {high:g} 倍"),
                message_en=(f"{name}, {prog_en}, {day}: outstanding loans {wan_en(lent)} are "
                            f"{leverage:.2f} times the risk fund {wan_en(deposited)}, above {high:g}"),
                record_table="loan",
                record_ids=outstanding_ids(ctx.conn, ctx.scope.clause, ctx.as_of,
                                           county_code=fund.county_code, programme=fund.programme),
                detail=detail, key=fund.programme,
            ))
        elif lent * lden < lnum * deposited:
            findings.append(Finding(
                rule="L1", severity="notice", region_code=fund.county_code, value=leverage, threshold=low,
                unit="times",
                message_zh=(f"{name} 截至{day} {prog_zh}贷款余额{wan(lent)}仅为风险缓释金{wan(deposited)}的 "
                            f"{leverage:.2f} 倍，低于 {low:g} 倍，风险金闲置"),
                message_en=(f"{name}, {prog_en}, {day}: outstanding loans {wan_en(lent)} are only "
                            f"{leverage:.2f} times the risk fund {wan_en(deposited)}, below {low:g} (idle risk money)"),
                record_table="risk_fund_deposit", record_ids=parse_ids(fund.ids),
                detail=detail, key=fund.programme,
            ))
    return findings


# (dimension, grouping column within the county, the parameter switching it on)
_DIMENSIONS = (
    ("county", None, ""),
    ("bank", "bank", "by_bank"),
    ("borrower_type", "borrower_type", "by_borrower_type"),
)


def check_l2(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """(overdue + default) / outstanding amount above ``max_bad_ratio`` per county, and per bank
    and borrower type within the county: with ``drill_down`` (the default) only inside a county
    that is over the line, showing where its bad loans sit; without it, every bank and borrower
    type of every county on its own (small groups then give noisy rates)."""
    bad_statuses = list(params["bad_statuses"])
    maximum = params["max_bad_ratio"]
    num, den = ratio_parts(maximum)
    findings = []
    over: set[str] = set()  # counties over the line
    positions = loan_positions(ctx.conn, ctx.scope.clause, ctx.as_of)  # the loan summaries
    if positions.empty:
        return findings
    positions["bad"] = positions["amount_fen"].where(positions["status"].isin(bad_statuses), 0)
    for order, (dimension, column, switch) in enumerate(_DIMENSIONS):
        if switch and not params[switch]:
            continue
        keys = ["county_code"] + ([column] if column else [])
        rows = positions
        if column is not None and params["drill_down"]:
            if not over:
                break
            rows = rows[rows["county_code"].isin(sorted(over))]
        sums = rows.groupby(keys)[["amount_fen", "bad"]].sum().reset_index()
        for row in sums.itertuples(index=False):
            total, bad_fen = int(row.amount_fen), int(row.bad)
            if total <= 0 or bad_fen * den <= num * total:
                continue
            ratio = bad_fen / total
            name = ctx.name(row.county_code)
            if column is None:
                over.add(row.county_code)
                where_zh, where_en, sub = name, f"{name}, {ctx.as_of.isoformat()}", ""
            elif column == "bank":
                sub = row.bank
                where_zh, where_en = f"{name} {sub}", f"{name}, {sub}, {ctx.as_of.isoformat()}"
            else:
                sub = row.borrower_type
                where_zh = f"{name} {vocab.label(vocab.BORROWER_TYPES, sub, 'zh')}"
                where_en = (f"{name}, {vocab.label(vocab.BORROWER_TYPES, sub, 'en').lower()} loans, "
                            f"{ctx.as_of.isoformat()}")
            findings.append(Finding(
                rule="L2", severity="warning", region_code=row.county_code, value=ratio, threshold=maximum,
                unit="ratio",
                message_zh=(f"{where_zh} 截至{ctx.as_of.isoformat()} 逾期及违约贷款{wan(bad_fen)}占贷款余额"
                            f"{wan(total)}的 {pct(ratio, maximum)}，高于 {pct_threshold(maximum)}"),
                message_en=(f"{where_en}: overdue and defaulted loans {wan_en(bad_fen)} are {pct(ratio, maximum)} of "
                            f"{wan_en(total)} outstanding, above {pct_threshold(maximum)}"),
                record_table="loan",
                record_ids=outstanding_ids(ctx.conn, ctx.scope.clause, ctx.as_of, county_code=row.county_code,
                                           status=bad_statuses, **({column: sub} if column else {})),
                detail={"dimension": dimension, "key": sub, "bad": yuan(bad_fen), "outstanding": yuan(total)},
                key=f"{order}:{sub}",
            ))
    return findings


def check_l3(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """Loans issued in the year with the guarantee fee borne city:county whose city share is not
    the fee x ``city_share`` (within ``tolerance_fen``) or whose shares do not add up to the fee."""
    l = LOAN
    num, den = ratio_parts(params["city_share"])
    tolerance = params["tolerance_fen"]
    tnum, tden = ratio_parts(tolerance)
    off_share = func.abs(l.c.guarantee_city_fen * den - l.c.guarantee_fee_fen * num) * tden >= tnum * den
    not_adding_up = l.c.guarantee_city_fen + l.c.guarantee_county_fen != l.c.guarantee_fee_fen
    stmt = (
        select(l.c.county_code, func.count().label("n"), id_list(l.c.id, "ids"))
        .where(ctx.where(l), l.c.guarantee_bearer == "city_county",
               l.c.issued_on >= ctx.year_start, l.c.issued_on <= ctx.period_end,
               or_(off_share, not_adding_up))
        .group_by(l.c.county_code)
    )
    share = params["city_share"]
    split = f"{share * 10:g}:{(1 - share) * 10:g}"
    return [
        count_finding(ctx, row, "L3", "warning", "loan",
                      lambda name, n: f"{name} {ctx.year}年 {n}笔贷款担保费未按市县 {split} 分担",
                      lambda name, n: (f"{name} {ctx.year}: guarantee fee of {plural(n, 'loan')} not split "
                                       f"city:county {split}"),
                      city_share=share)
        for row in ctx.conn.execute(stmt)
    ]
