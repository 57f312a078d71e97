"""Reads of households under monitoring: counts by category and status as of a date."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import (
    BigInteger, Date, Engine, Integer, Select, String, bindparam, case, cast, func, literal, literal_column, or_, select,
    union, union_all,
)
from sqlalchemy.orm import aliased

from ..db import read_rows
from ..masking import suppress_small_counts
from ..models import Household, HouseholdMonthFlow, HouseholdStatusDay, HouseholdYearEnd
from ..scope import Scope, require_scope
from ._common import (as_date, columns_frame, constant, each_county, frame, place_condition, region_condition,
                      region_info, unindexed)
from ._summary_reads import _snapshot_day, _ym, full_months_ym, is_month_end

HOUSEHOLD_GROUPS = ("county_code", "township_code", "village_code", "category", "cause", "channel", "status")


def household_status(as_of: dt.date, h=Household):
    """SQL expression: a household's monitoring status on ``as_of``
    (unmonitored, pending, monitored, eliminated; vocab.HOUSEHOLD_STATUSES); ``h``: the
    households' table or an alias of rows of it."""
    return case(
        (or_(h.found_on.is_(None), h.found_on > as_of), literal("unmonitored")),
        (h.risk_eliminated_on <= as_of, literal("eliminated")),
        (or_(h.identified_on.is_(None), h.identified_on > as_of), literal("pending")),
        else_=literal("monitored"),
    )


def household_status_frame(
    engine: Engine, scope: Scope, as_of: dt.date | str, *, by: Sequence[str] = ("category", "status"),
    region: str | None = None, monitored_only: bool = True,
) -> pd.DataFrame:
    """Households grouped by ``by`` (any of county_code, township_code, village_code, category,
    cause, channel, status) on ``as_of``: ``households`` and ``members``.  With
    ``monitored_only`` households never found by ``as_of`` are left out.

    Under small-count suppression (``scope.suppress_small``) a group of 1 to 4 households shows
    ``"<5"`` for ``households`` and ``members`` (object columns then; see
    :func:`~fundwatch.data.masking.suppress_small_counts`).
    """
    require_scope(scope)
    as_of = as_date(as_of)
    unknown = set(by) - set(HOUSEHOLD_GROUPS)
    if unknown:
        raise ValueError(f"cannot group households by {sorted(unknown)}")
    summary, info = _summary_pays(engine, scope, as_of, by, region, monitored_only)
    if summary:
        out = status_from_summary(engine, scope, as_of, by, region, info=info)
    else:
        out = _raw(engine, scope, as_of, by, region, monitored_only)
    if scope.suppress_small:
        out = suppress_small_counts(out, ["households"], follow=["members"])
    return out


#: Groupings the household summary answers (``monitored_only`` reads only).
SUMMARY_GROUPS = {"county_code", "township_code", "village_code", "category", "status"}


def _summary_pays(engine: Engine, scope: Scope, as_of: dt.date, by: Sequence[str], region: str | None,
                  monitored_only: bool) -> tuple[bool, tuple | None]:
    """Whether the summary beats the raw rows for this read (measured at ten times the demo on
    SQLite and PostgreSQL, docs/summaries.md), and the region's :func:`region_info` if it was
    looked up: the prefecture always (the raw read counts every household: 97-127 ms against
    1-3 ms, also inside a month, whose days come from ``household_status_day``, migration 0037); a
    county always (the largest county's households by category on 17 June 0.4-0.7 against 12-16
    ms); a township or a village always (on a month end, inside a month and on a year end: a
    township's households by village 0.4-2.4 against 1.8-3.5 ms, a village's 0.2-0.8 against
    1.0-1.4)."""
    if not monitored_only or set(by) - SUMMARY_GROUPS:
        return False, None
    if region is None:
        return True, None
    info = region_info(engine, scope, region)
    if info is None:
        return False, info
    return info[0] in ("county", "township", "village"), info


def status_from_summary(engine: Engine, scope: Scope, as_of: dt.date, by: Sequence[str], region: str | None,
                        *, info: tuple | None = None) -> pd.DataFrame:
    """The households found by ``as_of`` per ``by`` from the summary: the last year end's
    snapshot, the month flows after it and, for a day inside a month, that month's days up to
    ``as_of`` of ``household_status_day``.  Village rows when a village is asked for or grouped
    by, with a partial month's raw households whose status changed in it (their status on
    ``as_of`` added, on the month's eve taken away: the day summary holds no village); else the
    townships' totals when a township is, else the counties' totals (``township_code = ''``).
    :func:`household_status_frame` uses it where it is the faster way; any region and grouping
    of :data:`SUMMARY_GROUPS` is answered exactly (the tests compare it with the raw rows).

    The statement is built once per shape (:func:`_summary_statement`) and run with the region
    and dates as parameters."""
    require_scope(scope)
    if info is None and region is not None:
        info = region_info(engine, scope, region)
    level = "city" if region is None else "unknown" if info is None else info[0]  # as _common.region_level
    base, full = _snapshot_day(as_of), full_months_ym(as_of)
    flows = base is None or _ym(base) < full
    partial = not is_month_end(as_of)
    stmt = _summary_statement(engine.dialect.name, scope, tuple(by), level, base is not None, flows, partial)
    eve = as_of.replace(day=1) - dt.timedelta(days=1)
    place = info[1] if level == "county" else region
    params = {"place": place, "county": None if info is None else info[1], "base": base,
              "base_ym": None if base is None else _ym(base), "full": full, "first": eve + dt.timedelta(days=1),
              "eve": eve, "as_of": as_of}
    rows = read_rows(engine, stmt, params)
    return columns_frame(rows, [*by, "households", "members"], ints=("households", "members"))


def households_found(engine: Engine, scope: Scope, as_of: dt.date, region: str | None) -> int | None:
    """How many households of ``region`` were found by ``as_of`` (every status), from the summary
    where it beats counting them (:func:`_summary_pays`);
    None where it does not.  At ten times the demo on PostgreSQL the count of the prefecture's
    240,000 households took 43 ms and of the largest county's 20,000 7.6 ms."""
    require_scope(scope)
    pays, info = _summary_pays(engine, scope, as_of, ("status",), region, True)
    if not pays:
        return None
    return int(status_from_summary(engine, scope, as_of, ("status",), region, info=info)["households"].sum())


@functools.lru_cache(maxsize=512)
def _summary_statement(dialect: str, scope: Scope, by: tuple[str, ...], level: str, snapshot: bool, flows: bool,
                       partial: bool) -> Select:
    """The statement of :func:`status_from_summary` for one database and shape: the scope, the
    grouping, the level of the region (``city`` for the prefecture, ``unknown`` for a region not
    found or outside the scope) and which of the snapshot, the month flows and a partial month's
    days (or a village's raw households) it adds up.  Values come as parameters: ``place`` (the
    county, township or village code; ``county``, a township's county), ``base`` and ``base_ym``
    (the snapshot's year end), ``full`` (the last whole month), ``first``, ``eve`` and ``as_of``
    (the partial month); the grains' ``''`` is written into the statement
    (:func:`~._common.constant`).  Built once, it is also compiled once: a county read spent most
    of its time making the statement (about 4 of 6 ms)."""
    villages = "village_code" in by or level == "village"
    townships = not villages and ("township_code" in by or level == "township")
    snap, flow, h = HouseholdYearEnd, HouseholdMonthFlow, Household
    day = functools.partial(bindparam, type_=Date())

    def part(table, households, members, *conditions, status=None):
        raw = table not in (snap, flow)
        keys = [status if k == "status" and status is not None else
                func.coalesce(table.category, "") if k == "category" and raw else getattr(table, k)
                for k in by]
        where = place_condition(level, county=table.county_code, township=table.township_code,
                                village=table.village_code)
        blank = constant("")  # written into the statement, for PostgreSQL's plan made once (constant)
        # a township's totals by the index by township, not SQLite's choice by village (unindexed)
        village = unindexed(dialect, table.village_code) if level == "township" else table.village_code
        grain = (() if raw else (table.village_code != blank,) if villages
                 else (village == blank, table.township_code != blank) if townships
                 else (table.township_code == blank,))
        return select(*(key.label(k) for key, k in zip(keys, by, strict=True)), households.label("households"),
                      members.label("members")).where(scope.clause(table.county_code), where, *grain, *conditions)

    parts = []
    if snapshot:
        parts.append(part(snap, snap.households, snap.members, snap.year_end == day("base")))
    if flows:
        after = (flow.ym > bindparam("base_ym", type_=Integer()),) if snapshot else ()
        parts.append(part(flow, flow.households_in - flow.households_out, flow.members_in - flow.members_out,
                          flow.ym <= bindparam("full", type_=Integer()), *after))
    if partial and not villages:
        # the month's days up to the date, grouped already (migration 0037): the prefecture's
        # counties or a county one range of the key each, a township within its county's
        d = HouseholdStatusDay
        keys = [getattr(d, k).label(k) for k in by]
        where = {"city": (each_county(dialect, d.county_code),) if scope.is_all else (),
                 "township": (d.county_code == bindparam("county", type_=String()),)}.get(level, ())
        grain = d.township_code != constant("") if townships else d.township_code == constant("")
        place = place_condition(level, county=d.county_code, township=d.township_code)
        parts.append(select(*keys, d.households.label("households"), d.members.label("members")).where(
            scope.clause(d.county_code), *where, place, grain, d.event_on.between(day("first"), day("as_of"))))
    elif partial:
        as_of, eve = day("as_of"), day("eve")
        changes = [column.between(day("first"), as_of) for column in (h.found_on, h.identified_on, h.risk_eliminated_on)]
        moved, rows = (or_(*changes),), h
        if level == "county":
            # Each change the range of its county's index (ix_household_county, 0035), the rows
            # read there once for both days (a UNION: a household changed twice counts once).
            # Matched by id against the county's households instead, PostgreSQL's plan made once
            # for any county hashed all 20,000 of the largest one's (8 ms, not 4).
            place = bindparam("place", type_=String())
            columns = [h.id, h.county_code, h.township_code, h.village_code, h.category, h.members, h.found_on,
                       h.identified_on, h.risk_eliminated_on]
            rows = aliased(Household, union(*(select(*columns).where(h.county_code == place, change)
                                              for change in changes)).cte("changed"))
            moved = ()
        parts.append(part(rows, literal_column("1"), rows.members, *moved, rows.found_on <= as_of,
                          status=household_status(as_of, rows)))
        parts.append(part(rows, literal_column("-1"), -rows.members, *moved, rows.found_on <= eve,
                          status=household_status(eve, rows)))
    both = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    keys = [both.c[k] for k in by]
    households = func.sum(both.c.households)
    stmt = select(*[case((key == "", None), else_=key).label(k) if k == "category" else key
                    for key, k in zip(keys, by, strict=True)],
                  cast(func.coalesce(households, 0), BigInteger).label("households"),
                  cast(func.coalesce(func.sum(both.c.members), 0), BigInteger).label("members"))
    if keys:
        stmt = stmt.group_by(*keys).having(households > 0).order_by(*keys)
    return stmt


def _raw(engine: Engine, scope: Scope, as_of: dt.date, by: Sequence[str], region: str | None,
         monitored_only: bool) -> pd.DataFrame:
    """The households of ``by`` counted from the raw rows (the reference for the summary)."""
    status = household_status(as_of).label("status")
    keys = [status if name == "status" else getattr(Household, name) for name in by]
    stmt = select(*keys, func.count(Household.id).label("households"),
                  func.coalesce(func.sum(Household.members), 0).label("members")).where(
        region_condition(engine, scope, region, county=Household.county_code,
                         township=Household.township_code, village=Household.village_code))
    if monitored_only:
        stmt = stmt.where(Household.found_on <= as_of)
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    out = frame(engine, stmt)
    out["members"] = out["members"].astype("int64")
    return out
