"""Household rules H1-H4 (seeds/003 一 and 二): the income alert line, the 15-working-day limit
for identification and entry, assistance after identification, and returns to poverty."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import numpy as np
from sqlalchemy import and_, func, or_, select

from .. import workdays
from ..reads.transition import may_be_late
from ._common import DIBAO, HOUSEHOLD, Context, Finding, count_finding, id_list, plural, ratio_parts


def _applies(ctx: Context, params: Mapping[str, Any]) -> bool:
    """The monitoring mechanism exists from the transition period on (seeds/003 一)."""
    first = params.get("from_year")
    return first is None or ctx.year >= first


def check_h1(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """Households not monitored (no ``found_on``) whose per-capita income of their income year
    (up to the evaluated year) is below ``alert_multiple`` x the dibao standard of their county and
    that year (收入警戒线).

    The income on record is the household's latest, not a history, so a household found after
    as_of is judged on what it is now: monitored, hence not an H1 case.
    """
    if not _applies(ctx, params):
        return []
    h, d = HOUSEHOLD, DIBAO
    multiple = params["alert_multiple"]
    num, den = ratio_parts(multiple)
    stmt = (
        select(h.c.county_code, func.count().label("n"), id_list(h.c.id, "ids"))
        .select_from(h.join(d, and_(d.c.county_code == h.c.county_code, d.c.year == h.c.income_year)))
        .where(ctx.where(h), ctx.where(d),
               h.c.found_on.is_(None),
               h.c.income_year <= ctx.year,
               h.c.income_per_capita_fen * den < d.c.annual_fen * num)
        .group_by(h.c.county_code)
    )
    return [
        count_finding(ctx, row, "H1", "warning", "household",
                      lambda name, n: f"{name} {n}户人均收入低于低保标准{multiple:g}倍（收入警戒线）但未纳入监测",
                      lambda name, n: (f"{name}: {plural(n, 'household')} below the income alert line "
                                       f"({multiple:g} x the dibao standard) not monitored"),
                      alert_multiple=multiple)
        for row in ctx.conn.execute(stmt)
    ]


def _dates(values) -> np.ndarray:
    return np.array([v if v is not None else np.datetime64("NaT") for v in values], dtype="datetime64[D]")


def _iso(value: np.datetime64) -> str | None:
    return None if np.isnat(value) else str(value.astype("datetime64[D]"))


def check_h2(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """Monitored households entered more than ``max_workdays`` working days after they were found
    (found in the evaluated year), and cases still not entered as of as_of past their due date.
    Due dates follow the official working-day calendar (:mod:`fundwatch.data.workdays`)."""
    if not _applies(ctx, params):
        return []
    h = HOUSEHOLD
    limit = params["max_workdays"]
    still_open = or_(h.c.entered_on.is_(None), h.c.entered_on > ctx.as_of)
    found_this_year = (h.c.found_on >= ctx.year_start) & (h.c.found_on <= ctx.year_end)
    # The cases no limit of ``limit`` working days could make late are left out in SQL before
    # their dates are read and judged (ten times the demo on 2024-06-30, the same findings: SQLite
    # 134 -> 47 ms, PostgreSQL 150 -> 53).
    stmt = (
        select(h.c.id, h.c.county_code, h.c.found_on, h.c.entered_on)
        .where(ctx.where(h), h.c.found_on.is_not(None), h.c.found_on <= ctx.as_of,
               or_(found_this_year, still_open),
               may_be_late(ctx.conn, h.c.found_on, h.c.entered_on, ctx.as_of, limit))
        .order_by(h.c.county_code, h.c.id)
    )
    rows = ctx.conn.execute(stmt).all()
    if not rows:
        return []
    ids = np.array([r.id for r in rows], dtype=np.int64)
    counties = [r.county_code for r in rows]
    found = _dates(r.found_on for r in rows)
    entered = _dates(r.entered_on if r.entered_on is not None and r.entered_on <= ctx.as_of else None
                     for r in rows)
    due, provisional = workdays.add_workdays_array(found, limit)
    as_of = np.datetime64(ctx.as_of, "D")
    in_year = (found >= np.datetime64(ctx.year_start, "D")) & (found <= np.datetime64(ctx.year_end, "D"))
    is_open = np.isnat(entered)
    late = ~is_open & in_year & (entered > due)
    overdue = is_open & (as_of > due)
    over_late, prov_late = workdays.workdays_between_array(due, entered)
    over_open, prov_open = workdays.workdays_between_array(due, np.full(due.shape, as_of))
    days_over = np.where(late, over_late, np.where(overdue, over_open, 0))
    prov = provisional | np.where(late, prov_late, prov_open)

    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for k in np.flatnonzero(late | overdue):
        groups[(counties[k], "late" if late[k] else "open")].append(int(k))
    findings = []
    for (county, problem), members in sorted(groups.items()):
        name = ctx.name(county)
        cases = [{
            "id": int(ids[k]), "found_on": _iso(found[k]), "due_on": _iso(due[k]),
            "entered_on": _iso(entered[k]), "workdays_over": int(days_over[k]), "provisional": bool(prov[k]),
        } for k in members]
        n = len(cases)
        worst = max(c["workdays_over"] for c in cases)
        first_due = min(c["due_on"] for c in cases)
        tentative = any(c["provisional"] for c in cases)
        note_zh = "（截止日期按暂定工作日历计算）" if tentative else ""
        note_en = " (provisional due date)" if tentative else ""
        if problem == "late" and n == 1:
            c = cases[0]
            zh = (f"{name} 1户监测对象{c['found_on']}发现，应于{c['due_on']}前完成识别录入，"
                  f"{c['entered_on']}才录入，超期{worst}个工作日")
            en = (f"{name}: 1 household found {c['found_on']} was due for entry by {c['due_on']} "
                  f"but entered {c['entered_on']}, {worst} working days late")
        elif problem == "late":
            zh = f"{name} {n}户监测对象超过{limit}个工作日才录入系统，最多超期{worst}个工作日"
            en = (f"{name}: {n} households entered more than {limit} working days after being found, "
                  f"up to {worst} working days late")
        elif n == 1:
            c = cases[0]
            zh = (f"{name} 1户监测对象{c['found_on']}发现，应于{c['due_on']}前完成识别录入，"
                  f"截至{ctx.as_of.isoformat()}仍未录入，已逾期{worst}个工作日")
            en = (f"{name}: 1 household found {c['found_on']} was due for entry by {c['due_on']}, "
                  f"still not entered on {ctx.as_of.isoformat()}, {worst} working days overdue")
        else:
            zh = (f"{name} {n}户监测对象逾期未录入（最早应于{first_due}前录入），"
                  f"最多已逾期{worst}个工作日")
            en = (f"{name}: {n} households overdue for entry (earliest due {first_due}), "
                  f"up to {worst} working days overdue")
        findings.append(Finding(
            rule="H2", severity="warning", region_code=county, value=n, threshold=0, unit="count",
            message_zh=zh + note_zh, message_en=en + note_en,
            record_table="household", record_ids=tuple(sorted(c["id"] for c in cases)),
            detail={"problem": problem, "max_workdays": limit, "cases": cases}, key=problem,
        ))
    return findings


def check_h3(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """Households identified at least ``grace_days`` days before as_of, still at risk, with no
    assistance measure started by as_of."""
    if not _applies(ctx, params):
        return []
    h = HOUSEHOLD
    grace = params["grace_days"]
    cutoff = ctx.as_of - dt.timedelta(days=grace)
    # A household has a measure started by as_of when its first measure did: household.first_measure_on,
    # kept by triggers from its measures (migration 0021), so the rule reads the households alone
    # instead of testing each against the measures (ten times the demo: SQLite 211 -> 49 ms,
    # PostgreSQL 82 -> 56).
    unhelped = or_(h.c.first_measure_on.is_(None), h.c.first_measure_on > ctx.as_of)
    stmt = (
        select(h.c.county_code, func.count().label("n"), id_list(h.c.id, "ids"))
        .where(ctx.where(h), h.c.identified_on.is_not(None), h.c.identified_on <= cutoff,
               or_(h.c.risk_eliminated_on.is_(None), h.c.risk_eliminated_on > ctx.as_of), unhelped)
        .group_by(h.c.county_code)
    )
    return [
        count_finding(ctx, row, "H3", "warning", "household",
                      lambda name, n: f"{name} {n}户监测对象识别{grace}天以上仍未落实帮扶措施",
                      lambda name, n: (f"{name}: {plural(n, 'monitored household')} without an assistance "
                                       f"measure {grace} or more days after identification"),
                      grace_days=grace)
        for row in ctx.conn.execute(stmt)
    ]


def check_h4(ctx: Context, params: Mapping[str, Any]) -> list[Finding]:
    """Households that returned to poverty in the evaluated year (the red line, seeds/003 一)."""
    h = HOUSEHOLD
    stmt = (
        select(h.c.county_code, func.count().label("n"), id_list(h.c.id, "ids"))
        .where(ctx.where(h), h.c.returned_to_poverty_on >= ctx.year_start,
               h.c.returned_to_poverty_on <= ctx.period_end)
        .group_by(h.c.county_code)
    )
    return [
        count_finding(ctx, row, "H4", "violation", "household",
                      lambda name, n: f"{name} {ctx.year}年 {n}户返贫（守住不发生规模性返贫底线）",
                      lambda name, n: (f"{name} {ctx.year}: {plural(n, 'household')} returned to poverty "
                                       f"(the red line)"))
        for row in ctx.conn.execute(stmt)
    ]
