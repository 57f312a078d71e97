"""Reads of the 2021-2025 transition period (过渡期, seeds/003 一): households under monitoring and
the identification clock, the "four no-removals" (四个不摘) in money and village types, and the
project assets the period keeps watch over.

Counting is done in SQL; the working-day arithmetic of the 15-working-day identification limit
(seeds/003 二(一)) runs over few rows in :mod:`fundwatch.data.workdays` (holiday-aware, provisional
past the calendar's data), and the identification clock of every county reads the events its
summaries keep, judged by the same calendar's due dates in the database (migration 0025,
:mod:`fundwatch.data.due_dates`).  The prefecture's and a county's monitoring mix and waits for a
first measure are sums of their households' events (migration 0026).  Every read takes a :class:`Scope`; names and ID numbers in the
household lists are masked here, before a frame leaves ``data``.  Under small-count suppression
(``scope.suppress_small``, an embed viewer) every household count of 1 to 4 reads ``"<5"`` (with
the members, measures, amounts and shares that belong to it) and the household lists are empty
(:mod:`fundwatch.data.masking`).
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pandas as pd
from sqlalchemy import (BigInteger, Connection, Date, Engine, Integer, String, and_, bindparam, case, cast, func,
                        literal, or_, select, text, true, union_all)

from .. import workdays
from ..due_dates import ID_LIMIT_WORKDAYS
from ..db import read_rows, reader
from ..summaries import (AGE_BUCKETS, ALERT_MULTIPLE_TENTHS, CALENDAR_YEARS, INCOME_AMOUNTS, INCOME_BIN_CAP, PV_SUBTYPE,
                         WAIT_BUCKETS)
from ..masking import mask_frame, mask_id, mask_name, suppress_small_counts
from ..models.households import LONG_WAIT_DAYS, SLOW_ENTRY, SLOW_ENTRY_DAYS, WAITING
from ..models import (
    Allocation, Asset, AssetFormedDay, AssetFormedMonth, AssetFormedYear, AssetIncome, AssetIncomeYear,
    AssistanceMeasure, CaseAgeDay, CaseAgeMonth, CaseAgeYear, ClockDay, ClockMonth, DibaoStandard, Disbursement,
    DisbursementCategoryMonth, Household, HouseholdMonthFlow, HouseholdYearEnd, IncomeBandDay, IncomeBandMonth,
    IncomeBandYear, MeasureMixDay, MeasureMixMonth, MeasureMixYear, MonitoringDay, MonitoringMonth, MonitoringYear,
    Project, Region, RegionFlag, WaitDay, WaitMonth, WaitYear, WorkdayDue,
)
from ..scope import Scope, require_scope
from ._common import (FEN_PER_YUAN, as_date, columns_frame, constant, counties_named, each_county, fen_sum, frame,
                      month_of, place_condition, plain_rows, region_condition, region_info, region_level, to_yuan,
                      unindexed, year_of)
from ._summary_reads import _ym, full_months_ym, is_month_end
from .households import household_status, households_found

PERIOD_START = dt.date(2021, 1, 1)  # seeds/003 一: the five-year transition period 2021-2025
PERIOD_END = dt.date(2025, 12, 31)
INTEGRATION_YEARS = (2021, 2023)  # seeds/003 十九: integration continues in the first 3 years
CONTINUITY_YEARS = (2019, 2026)
DUE_SOON_WORKDAYS = 3  # an open case this close to its due date is flagged "due soon"
POVERTY_PROGRAMMES = ("special", "integrated", "linkage")
CASE_STATES = ("overdue", "due_soon", "on_track")


def _household_region(engine: Engine, scope: Scope, region: str | None):
    return region_condition(engine, scope, region, county=Household.county_code,
                            township=Household.township_code, village=Household.village_code)


def _found_by(as_of: dt.date):
    """SQL: found by ``as_of``, which a status of pending or monitored implies; said separately,
    it lets a county's households be read from the index's range of those found (``ix_household_county``)."""
    return Household.found_on <= as_of


def _under_monitoring(as_of: dt.date, dialect: str = ""):
    """SQL: under monitoring on ``as_of`` (status pending or monitored): found by then and its risk
    not eliminated by then.  The same households as ``household_status(as_of)`` in (pending,
    monitored), without working out which of the two for every household of the region."""
    return and_(_found_by(as_of), _not_eliminated(as_of, dialect))


def _not_eliminated(as_of: dt.date, dialect: str):
    """SQL: the risk not eliminated by ``as_of`` (no date, or a later one).  On SQLite (``dialect``)
    the date looks up no index of its own: for a county's households it took the county's index by
    elimination date for both halves (``ix_household_county_eliminated``, migration 0035), one row
    looked up in the table per household with no date, or, with that index partial, the
    prefecture's ``ix_household_eliminated`` for those (at ten times the demo a county's raw open
    cases 5 -> 21 or 83 ms), where ``ix_household_county``'s range tells them apart by itself."""
    eliminated = unindexed(dialect, Household.risk_eliminated_on)
    return or_(eliminated.is_(None), eliminated > as_of)


def _plain_dates(values: np.ndarray) -> list[dt.date | None]:
    return values.astype("datetime64[D]").astype(object).tolist()  # NaT -> None


def _day_number(dialect: str, column):
    """SQL: the days from 1970-01-01 to the date ``column`` (NULL stays NULL), on the database
    ``dialect`` names."""
    if dialect == "sqlite":
        return cast(func.julianday(column) - 2440587.5, Integer)
    return column - literal(dt.date(1970, 1, 1))


def _day_array(days: np.ndarray) -> np.ndarray:
    """Day numbers (float, NaN when NULL) as ``datetime64[D]`` (NaT)."""
    out = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[D]")
    known = ~np.isnan(days)
    out[known] = days[known].astype("int64").astype("datetime64[D]")
    return out


def _from_day_numbers(values: pd.Series) -> np.ndarray:
    """Day numbers (:func:`_day_number`; None or NaN when NULL) as ``datetime64[D]`` (NaT)."""
    return _day_array(pd.to_numeric(values, errors="raise").to_numpy(dtype="float64", na_value=np.nan))


# -- households under monitoring ----------------------------------------------------------------

def monitoring_mix_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None
                         ) -> pd.DataFrame:
    """Households under monitoring on ``as_of`` (found, risk not eliminated) by category and cause:
    ``households``, ``members``.

    The prefecture's and a county's come from the summaries of their entries and exits
    (migration 0026: ``monitoring_year`` before the date's year, ``monitoring_month`` up to its
    last whole month, ``monitoring_day`` after it): the largest county at ten times the demo adds
    up some 200 rows instead of counting 20,000 households.  A township's or a village's are counted from the raw households
    (:func:`raw_monitoring_mix_frame`, also the reference the tests compare against)."""
    require_scope(scope)
    as_of = as_date(as_of)
    rows = _day_event_sums(engine, scope, region, as_of, (MonitoringYear, MonitoringMonth, MonitoringDay))
    if rows is None:
        return raw_monitoring_mix_frame(engine, scope, as_of, region=region)
    return _mix_frame(scope, [row for row in rows if row[2]])  # not a group whose every household left


def raw_monitoring_mix_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None
                             ) -> pd.DataFrame:
    """:func:`monitoring_mix_frame` counted from the raw households."""
    require_scope(scope)
    as_of = as_date(as_of)
    stmt = (select(Household.category, Household.cause, func.count(Household.id).label("households"),
                   func.coalesce(func.sum(Household.members), 0).label("members"))
            .where(_household_region(engine, scope, region), _under_monitoring(as_of, engine.dialect.name))
            .group_by(Household.category, Household.cause).order_by(Household.category, Household.cause))
    with reader(engine).connect() as conn:
        rows = conn.execute(stmt).all()
    return _mix_frame(scope, [(category, cause, int(households), int(members))
                              for category, cause, households, members in rows])


def _mix_frame(scope: Scope, rows: list) -> pd.DataFrame:
    """The mix frame of ``rows`` (category, cause, households, members), ordered by category and
    cause with none (NULL, or ``''`` in the summaries) first, as SQLite sorts NULL (PostgreSQL
    would put it last): sorted here, the same on both databases."""
    rows = sorted(rows, key=lambda row: (row[0] or "", row[1] or ""))
    out = pd.DataFrame({  # from arrays: pandas Series per column took half the read's Python time
        "category": np.array([row[0] or None for row in rows], dtype=object),
        "cause": np.array([row[1] or None for row in rows], dtype=object),
        "households": np.array([row[2] for row in rows], dtype="int64"),
        "members": np.array([row[3] for row in rows], dtype="int64")}, copy=False)
    if scope.suppress_small:
        out = suppress_small_counts(out, ["households"], follow=["members"])
    return out


def _day_event_sums(engine: Engine, scope: Scope, region: str | None, as_of: dt.date, grains, *,
                    keys: tuple[str, ...] | None = None, by_year: bool = False) -> list[tuple] | None:
    """The figure on ``as_of`` of a summary of events by day (``summaries.DayEvents``, its models
    ``grains``: year, month, day): the years before ``as_of``'s, the months of its year up to its
    last whole month and the days after that, summed per key of the summary (or per ``keys``, some
    of them) over the counties of the prefecture or of one county.  Rows of the keys, then the
    measures (each an int); with ``by_year``, each year's own sums, its rows led by the year (the
    months and days counting in ``as_of``'s).  None below a county (the summaries have no
    township), for the raw read to answer."""
    level, info = region_level(engine, scope, region)
    if level not in ("city", "county"):
        return None
    params = {"year": as_of.year}
    full = full_months_ym(as_of)
    if full > as_of.year * 100:  # a whole month of the year has passed
        params |= {"months_first": as_of.year * 100 + 1, "months_last": full}
    if not is_month_end(as_of):
        params |= {"days_first": as_of.replace(day=1), "days_last": as_of}
    if level == "county":
        params["place"] = info[1]
    stmt = _day_event_statement(engine.dialect.name, scope, level, grains, "months_first" in params,
                                "days_first" in params, keys, by_year)
    rows = read_rows(engine, stmt, params)
    # the keys (besides the county and the period), and the year before them
    width = (len(grains[0].__table__.primary_key.columns) - 2 if keys is None else len(keys)) + by_year
    sums: dict[tuple, list[int]] = {}
    for row in rows:  # each grain's sums per key in turn
        key, values = tuple(row[:width]), row[width:]
        got = sums.get(key)
        if got is None:
            sums[key] = [int(value) for value in values]
        else:
            for i, value in enumerate(values):
                got[i] += int(value)
    return [(*key, *values) for key, values in sums.items()]


@functools.lru_cache(maxsize=64)
def _day_event_statement(dialect: str, scope: Scope, level: str, grains, months: bool, days: bool,
                         keys: tuple[str, ...] | None = None, by_year: bool = False):
    """The statement of :func:`_day_event_sums` for one database, scope, level (``city`` or
    ``county``), summary and kind of date (``months``: after its year's first month; ``days``:
    inside a month), each grain's rows grouped by the summary's keys (in the key's order, so SQLite
    sorts nothing) or by ``keys`` (and the year first with ``by_year``), and the grains' sums one
    after another; built and compiled once, the county and the dates bound (``place``, ``year``,
    ``months_first``, ``months_last``, ``days_first``, ``days_last``)."""
    year, month, day = grains
    if keys is None:
        keys = [c.key for c in year.__table__.primary_key.columns if c.key not in ("county_code", "year")]
    measures = [c.key for c in year.__table__.columns if not c.primary_key]

    def where(model):
        if level == "county":
            return scope.clause(model.county_code), model.county_code == bindparam("place", type_=String())
        if not scope.is_all:
            return (scope.clause(model.county_code),)
        # The prefecture's counties named, for a range of the key per county instead of every row:
        # SQLite's days and every grain (a join with the regions), PostgreSQL's days alone, from an
        # array made once (joined, it planned a scan of every day and a sort of every grain's rows).
        if dialect != "postgresql" or model is day:
            return (each_county(dialect, model.county_code),)
        return ()

    def summed(model, *when):
        group = [getattr(model, k) for k in keys]
        lead, by = [], group
        if by_year and model is year:
            lead, by = [model.year], [model.year, *group]
        elif by_year:  # a month's or a day's row counts in the date's year
            lead = [cast(bindparam("year", type_=Integer), Integer).label("year")]
        return (select(*lead, *group, *(cast(func.sum(getattr(model, m)), BigInteger) for m in measures))
                .where(*where(model), *when).group_by(*by))

    parts = [summed(year, year.year < bindparam("year", type_=Integer))]
    if months:
        parts.append(summed(month, month.ym.between(bindparam("months_first", type_=Integer),
                                                    bindparam("months_last", type_=Integer))))
    if days:
        parts.append(summed(day, day.event_on.between(bindparam("days_first", type_=Date),
                                                      bindparam("days_last", type_=Date))))
    return union_all(*parts) if len(parts) > 1 else parts[0]


def _month_counts(engine, scope, region, column, first: dt.date, as_of: dt.date, *implied) -> pd.Series:
    ym = month_of(engine, column)
    stmt = (select(ym.label("ym"), func.count(Household.id).label("n"))
            .where(_household_region(engine, scope, region), column >= first, column <= as_of, *implied)
            .group_by(ym))
    out = frame(engine, stmt)
    return pd.Series(out["n"].to_numpy(dtype="int64"), index=out["ym"].to_numpy(dtype="int64"), name="n")


def _month_start(engine: Engine, first: dt.date, months):
    """SQL: the first day of the month ``months`` (an integer expression) after the month that
    begins on ``first``, as the backend compares it with a date column."""
    if engine.dialect.name == "sqlite":  # dates are ISO text there
        return func.date(literal(first.isoformat()), "+" + cast(months, String) + " months")
    return cast(literal(first) + func.make_interval(0, months), Date)


def _found_per_month(engine, scope, region, start: dt.date, as_of: dt.date) -> pd.Series:
    """Households of the region found from ``start`` to ``as_of`` in each month, by ``year * 100 +
    month``: each month is counted over its own range of the region's found dates
    (``ix_household_county``, ``ix_household_township_found``, ``ix_household_village_found``,
    ``ix_household_found``) instead of working out every household's month and sorting the
    region's households into months (the largest county at scale 10: SQLite 9 -> 4 ms, PostgreSQL
    9-15 -> 3-4 ms)."""
    first = start.replace(day=1)
    n = (as_of.year - first.year) * 12 + as_of.month - first.month + 1
    if n <= 0:
        return pd.Series([], dtype="int64", name="n")
    index = select(literal(0, Integer).label("i")).cte("months", recursive=True)
    index = index.union_all(select(index.c.i + 1).where(index.c.i < n - 1))
    low, high = _month_start(engine, first, index.c.i), _month_start(engine, first, index.c.i + 1)
    found = (select(func.count(Household.id))
             .where(_household_region(engine, scope, region), Household.found_on >= low, Household.found_on < high,
                    Household.found_on >= start, Household.found_on <= as_of)
             .scalar_subquery())
    with reader(engine).connect() as conn:
        counts = dict(conn.execute(select(index.c.i, found)).all())
    yms = [(first.year + (first.month - 1 + i) // 12) * 100 + (first.month - 1 + i) % 12 + 1 for i in range(n)]
    return pd.Series([int(counts.get(i, 0)) for i in range(n)], index=yms, dtype="int64", name="n")


def monitoring_flow_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None,
                          start: dt.date = PERIOD_START) -> pd.DataFrame:
    """Month by month from ``start`` to ``as_of``: households ``entered`` into monitoring (found),
    ``left`` it (risk eliminated) and ``under_monitoring`` at the month's end (or on ``as_of``).
    Under small-count suppression ``under_monitoring`` is NaN throughout.

    The prefecture's and a county's months come from the household summaries
    (:func:`_summary_flow`: some fifty months of county totals, whatever the households behind
    them); a township's or a village's, and a ``start`` other than a 1 January, count their raw
    households (:func:`raw_monitoring_flow_frame`)."""
    require_scope(scope)
    as_of = as_date(as_of)
    counts = _summary_flow(engine, scope, region, start, as_of)
    if counts is None:
        counts = _raw_flow(engine, scope, region, start, as_of)
    return _flow_frame(scope, start, as_of, *counts)


def raw_monitoring_flow_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None,
                              start: dt.date = PERIOD_START) -> pd.DataFrame:
    """:func:`monitoring_flow_frame` counted from the raw households (a township's or a village's
    read, and the reference the summary is checked against)."""
    require_scope(scope)
    as_of = as_date(as_of)
    return _flow_frame(scope, start, as_of, *_raw_flow(engine, scope, region, start, as_of))


def _flow_frame(scope: Scope, start: dt.date, as_of: dt.date, entered: dict[int, int], left: dict[int, int],
                base: int) -> pd.DataFrame:
    """The flow frame of the months from ``start`` to ``as_of``, given the households ``entered``
    and ``left`` per month (by ``year * 100 + month``) and those under monitoring before ``start``.
    Built from plain lists: pandas' mapping and casting per column took most of a summary read."""
    first = start.year * 12 + start.month - 1
    months = [divmod(i, 12) for i in range(first, max(as_of.year * 12 + as_of.month - 1, first) + 1)]
    if as_of < start:
        months = []
    yms = [year * 100 + month + 1 for year, month in months]
    came = np.array([entered.get(ym, 0) for ym in yms], dtype="int64")
    went = np.array([left.get(ym, 0) for ym in yms], dtype="int64")
    out = pd.DataFrame({"month": pd.Series([dt.date(year, month + 1, 1) for year, month in months], dtype=object),
                        "entered": came, "left": went, "under_monitoring": base + np.cumsum(came - went)})
    if scope.suppress_small:  # the running total would give the hidden months away by subtraction
        out = suppress_small_counts(out.assign(under_monitoring=float("nan")), ["entered"])
        out = suppress_small_counts(out, ["left"])
    return out


def _raw_flow(engine: Engine, scope: Scope, region: str | None, start: dt.date, as_of: dt.date
              ) -> tuple[dict[int, int], dict[int, int], int]:
    """(entered, left, base) of :func:`_flow_frame` counted from the raw households."""
    entered = _found_per_month(engine, scope, region, start, as_of)
    # A household leaves monitoring when its "eliminated" status begins (summaries'
    # ``_household_spans``, as ``household_status`` says): on ``risk_eliminated_on``, or on the day
    # it was found if that came later (which the import refuses, and only a direct write makes:
    # such a household was never under monitoring, it enters and leaves in the same month).  Both
    # kinds are read from the index holding both dates (``ix_household_county``): its range of those
    # found by ``as_of``, or of the months' found dates, for each county; for the prefecture the
    # counties are every code a household's county can hold (its foreign key's), which keeps SQLite
    # on that index instead of looking each household of the months up in the table (200 -> 90 ms).
    h = Household
    counties = () if region is not None or not scope.is_all else (h.county_code.in_(select(Region.code)),)
    left = _month_counts(engine, scope, region, h.risk_eliminated_on, start, as_of, h.found_on <= h.risk_eliminated_on,
                         _found_by(as_of), *counties)
    left = left.add(_month_counts(engine, scope, region, h.found_on, start, as_of, h.risk_eliminated_on < h.found_on,
                                  *counties), fill_value=0).astype("int64")
    where = _household_region(engine, scope, region)
    before = select(func.count(Household.id)).where(
        where, Household.found_on < start, _not_eliminated(start - dt.timedelta(days=1), engine.dialect.name))
    with reader(engine).connect() as conn:
        base = int(conn.execute(before).scalar_one())
    return dict(zip(entered.index.tolist(), entered.tolist())), dict(zip(left.index.tolist(), left.tolist())), base


def _summary_flow(engine: Engine, scope: Scope, region: str | None, start: dt.date, as_of: dt.date
                  ) -> tuple[dict[int, int], dict[int, int], int] | None:
    """(entered, left, base) of :func:`_flow_frame` from the household summaries, in one statement
    (:func:`_summary_flow_statement`); None where they do not answer: a ``start`` other than a
    1 January after a year end they hold, ``as_of`` before ``start``, or a region other than the
    prefecture (or its code) or a county the scope sees.

    A household's statuses are day spans (pending, monitored, eliminated: ``summaries``), and
    ``household_month_flow`` counts the households entering and leaving each one per month.  A
    household found in a month enters its first span then, and every later move leaves one span
    for the next in the same month, so the households found in a month are every entry less
    every exit that month (only pending and monitored spans end); those whose risk was
    eliminated are the entries into "eliminated".  Before ``start`` (a year end) the households
    under monitoring are its snapshot's pending and monitored ones.  For an ``as_of`` inside a
    month, that month's households found or eliminated by ``as_of`` are counted from the raw
    rows.  The largest county at scale 10, as of a month end: SQLite 14 -> 0.9 ms, PostgreSQL
    18 -> 1.2 ms (inside a month 3.3 and 2.3 ms)."""
    if (start.month, start.day) != (1, 1) or start.year - 1 not in CALENDAR_YEARS or as_of < start:
        return None
    level, info = region_level(engine, scope, region)
    if level not in ("city", "county"):
        return None
    place = info[1] if level == "county" else None
    partial = not is_month_end(as_of)
    params = {"place": place, "base": start - dt.timedelta(days=1), "first_ym": _ym(start),
              "full": full_months_ym(as_of), "first": as_of.replace(day=1), "as_of": as_of,
              "partial_ym": _ym(as_of)}
    rows = read_rows(engine, _summary_flow_statement(scope, level, partial), params)
    base, entered, left = 0, {}, {}
    for ym, came, went in rows:
        if ym == 0:
            base += int(came)
        else:
            entered[ym] = entered.get(ym, 0) + int(came)
            left[ym] = left.get(ym, 0) + int(went)
    return entered, left, base


@functools.lru_cache(maxsize=64)
def _summary_flow_statement(scope: Scope, level: str, partial: bool):
    """The statement of :func:`_summary_flow` for one scope, level (``city`` or ``county``) and
    whether ``as_of`` falls inside a month: rows ``(ym, entered, left)``, ``ym`` 0 carrying the
    households under monitoring before the first month.  Built and compiled once; the place and
    dates come as parameters (``place``, ``base``, ``first_ym``, ``full``; ``first``, ``as_of``
    and ``partial_ym`` for the partial month)."""
    f, y, h = HouseholdMonthFlow, HouseholdYearEnd, Household
    place = bindparam("place", type_=String())
    day = functools.partial(bindparam, type_=Date())

    def counties(table):  # the counties' totals (township_code '') of the scope, or of the one county
        return (scope.clause(table.county_code), table.township_code == constant(""),
                *((table.county_code == place,) if level == "county" else ()))

    watched = f.status != "eliminated"
    flows = (select(f.ym.label("ym"),
                    (func.sum(f.households_in) - func.sum(case((watched, f.households_out), else_=0))).label("came"),
                    func.sum(case((watched, 0), else_=f.households_in)).label("went"))
             .where(*counties(f), f.ym >= bindparam("first_ym", type_=Integer()),
                    f.ym <= bindparam("full", type_=Integer()))
             .group_by(f.ym))
    before = (select(literal(0, Integer).label("ym"), func.coalesce(func.sum(y.households), 0).label("came"),
                     literal(0, Integer).label("went"))
              .where(*counties(y), y.year_end == day("base"), y.status.in_(("pending", "monitored"))))
    parts = [flows, before]
    if partial:
        first, as_of = day("first"), day("as_of")
        here = (scope.clause(h.county_code), *((h.county_code == place,) if level == "county" else ()))
        month = bindparam("partial_ym", type_=Integer())
        parts.append(select(month.label("ym"), func.count(h.id).label("came"), literal(0, Integer).label("went"))
                     .where(*here, h.found_on >= first, h.found_on <= as_of))
        # those leaving: eliminated in the month after being found, or found in it after their
        # elimination's date (as :func:`_raw_flow`)
        parts.append(select(month.label("ym"), literal(0, Integer).label("came"), func.count(h.id).label("went"))
                     .where(*here, h.risk_eliminated_on >= first, h.risk_eliminated_on <= as_of,
                            h.found_on <= h.risk_eliminated_on,
                            *((_found_by(as_of),) if level == "county" or not scope.is_all else ())))
        parts.append(select(month.label("ym"), literal(0, Integer).label("came"), func.count(h.id).label("went"))
                     .where(*here, h.found_on >= first, h.found_on <= as_of, h.risk_eliminated_on < h.found_on))
    both = union_all(*parts).subquery()
    return select(both.c.ym, cast(both.c.came, BigInteger), cast(both.c.went, BigInteger))


def case_age_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None
                   ) -> pd.DataFrame:
    """Open monitoring cases on ``as_of`` (found, risk not eliminated) by time since found
    (:data:`AGE_BUCKETS`), split by status (pending identification or monitored).

    The prefecture's and a county's come from the summaries of the cases entering and leaving
    each bucket and status (migration 0027: ``case_age_year`` before the date's year,
    ``case_age_month`` up to its last whole month, ``case_age_day`` after it): the largest county
    at ten times the demo adds up 59 rows at a month's end (150 in the middle of a month) instead
    of reading the 20,000 cases found by the date.  A township's or a village's are counted from the raw households
    (:func:`raw_case_age_frame`, also the reference the tests compare against)."""
    require_scope(scope)
    as_of = as_date(as_of)
    rows = _day_event_sums(engine, scope, region, as_of, (CaseAgeYear, CaseAgeMonth, CaseAgeDay))
    if rows is None:
        return raw_case_age_frame(engine, scope, as_of, region=region)
    return _case_age_grid(scope, {(age, status): households for age, status, households in rows})


def raw_case_age_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None
                       ) -> pd.DataFrame:
    """:func:`case_age_frame` counted from the raw households."""
    require_scope(scope)
    as_of = as_date(as_of)
    whens = []
    for key, days in AGE_BUCKETS:
        if days is None:
            break
        whens.append((Household.found_on > as_of - dt.timedelta(days=days), literal(key)))
    bucket = case(*whens, else_=literal(AGE_BUCKETS[-1][0])).label("age")
    # under monitoring, a household is pending until identified, then monitored
    status = case((or_(Household.identified_on.is_(None), Household.identified_on > as_of), literal("pending")),
                  else_=literal("monitored"))
    stmt = (select(bucket, status.label("status"), func.count(Household.id).label("households"))
            .where(_household_region(engine, scope, region), _under_monitoring(as_of, engine.dialect.name))
            .group_by(bucket, status))
    with reader(engine).connect() as conn:
        counts = {(age, status): int(households) for age, status, households in conn.execute(stmt).all()}
    return _case_age_grid(scope, counts)


def _case_age_grid(scope: Scope, counts: dict[tuple[str, str], int]) -> pd.DataFrame:
    """Every bucket and status in order, with its count in ``counts`` ((age, status) ->
    households; 0 where missing): the counts set on a shallow copy of a frame of the buckets and
    statuses made once (made afresh, a frame of string columns took 0.2 ms, two fifths of a
    county's read; copy-on-write keeps that frame as it is)."""
    out = _CASE_AGE_CELLS.copy(deep=False)
    out["households"] = np.array([int(counts.get(cell, 0)) for cell in _CASE_AGE_GRID], dtype="int64")
    if scope.suppress_small:
        out = suppress_small_counts(out, ["households"])
    return out


#: The (age, status) cells of the case ages, in the frame's order, and the frame of them.
_CASE_AGE_GRID = [(key, status) for key, _ in AGE_BUCKETS for status in ("pending", "monitored")]
_CASE_AGE_CELLS = pd.DataFrame({"age": pd.Series([key for key, _ in _CASE_AGE_GRID], dtype="str"),
                                "status": pd.Series([status for _, status in _CASE_AGE_GRID], dtype="str"),
                                "households": np.zeros(len(_CASE_AGE_GRID), dtype="int64")})


# -- the identification clock (15 working days) ------------------------------------------------

def _clock_rows(engine, scope, region, where) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The cases' counties and their found, identified and entered dates, one entry per case: the
    county codes present (sorted), each case's position in them, and the dates as
    ``datetime64[D]`` arrays (NaT when not yet).

    A year of the prefecture is some 19,000 cases at ten times the demo.  The dates are read as day
    numbers (:func:`_day_number`: SQLAlchemy's conversion of each date took a third to half of the
    read), and the driver's rows go to arrays column by column, the codes numbered in order:
    through a DataFrame, pandas' inference over the rows was a third of the identification clock
    (SQLite 29 -> 19 ms at 2024-06-30).  The cases are not grouped by their dates in SQL: 19,000
    cases made 15,500 groups, and sorting them into those cost SQLite three times the read of the
    rows (22 against 6 ms)."""
    dates = (Household.found_on, Household.identified_on, Household.entered_on)
    stmt = (select(Household.county_code, *(_day_number(engine.dialect.name, c).label(c.key) for c in dates))
            .where(_household_region(engine, scope, region), *where))
    _, rows = plain_rows(engine, stmt)
    codes = sorted({row[0] for row in rows})
    number = {code: i for i, code in enumerate(codes)}
    at = np.array([number[row[0]] for row in rows], dtype="int64")
    days = (_day_array(np.array([row[i] for row in rows], dtype="float64")) for i in (1, 2, 3))
    return (np.array(codes, dtype=object), at, *days)


def _judge(found: np.ndarray, identified: np.ndarray, entered: np.ndarray, as_of: dt.date):
    """Due dates and the verdict of each case on ``as_of``: on time, late, or open (not yet due).

    A case is on time when it was identified and entered by its due date (15 working days after
    found, seeds/003 二(一)); late when entered after it, or still not entered after it."""
    due, provisional = workdays.add_workdays_array(found, ID_LIMIT_WORKDAYS)
    day = np.datetime64(as_of, "D")
    identified = np.where(~np.isnat(identified) & (identified <= day), identified, np.datetime64("NaT"))
    entered = np.where(~np.isnat(entered) & (entered <= day), entered, np.datetime64("NaT"))
    done = ~np.isnat(entered) & ~np.isnat(identified)
    on_time = done & (entered <= due) & (identified <= due)
    late = (done & ~on_time) | (~done & (day > due))
    return due, provisional, on_time, late


CLOCK_COLUMNS = ["county_code", "month", "found", "on_time", "late", "undecided", "share", "provisional"]


def identification_clock_frame(engine: Engine, scope: Scope, year: int, as_of: dt.date | str, *,
                               region: str | None = None) -> pd.DataFrame:
    """Per county and month of ``year`` (cases found that month, by ``as_of``): ``found``,
    ``on_time`` (identified and entered within 15 working days), ``late``, ``undecided`` (still
    open, not yet due) and ``share`` = on_time / (on_time + late), NaN when nothing is decided;
    ``provisional`` when a due date counted a day outside the official holiday data.

    Every county of the scope (``region`` None) in a year of :data:`CALENDAR_YEARS` is read from
    the clock's summaries (migration 0025: ``clock_month`` up to the last whole month of
    ``as_of``, ``clock_day`` for the days of a partial month after it): the prefecture's year at
    ten times the demo is a few hundred rows instead of 19,000 cases judged one by one.  A
    township, a village or a year outside the calendar is judged from the raw cases
    (:func:`identification_clock_raw`, also the reference the tests compare against)."""
    require_scope(scope)
    as_of = as_date(as_of)
    if region is not None or year not in CALENDAR_YEARS:
        return identification_clock_raw(engine, scope, year, as_of, region=region)
    last = min(dt.date(year, 12, 31), as_of)
    if last.year < year:
        return _clock_frame(np.array([], dtype=object), *(np.array([], dtype="int64"),) * 5, scope)
    params = {"found_first": year * 100 + 1, "found_last": last.year * 100 + last.month,
              "months_last": full_months_ym(as_of)}
    if not is_month_end(as_of):
        params |= {"days_first": as_of.replace(day=1), "days_last": as_of}
    rows = read_rows(engine, _clock_statement(scope, "days_first" in params), params)
    rows = [row for row in rows if row[2]]  # every group with an event by as_of has its cases found by then
    codes, yms, found, on_time, late, provisional = (np.array(c) for c in zip(*rows, strict=True)) if rows else (
        np.array([], dtype=object), *(np.array([], dtype="int64"),) * 5)
    return _clock_frame(codes, yms % 100, found, on_time, late, provisional, scope)


@functools.lru_cache(maxsize=64)
def _clock_statement(scope: Scope, days: bool):
    """The clock's summary statement for ``scope``: the months of ``clock_month`` found in
    ``found_first`` .. ``found_last`` up to the events of ``months_last``, and with ``days`` the
    events of ``clock_day`` from ``days_first`` to ``days_last``, summed per county and found
    month.  Made once per scope and kind (making it took most of the read's millisecond)."""
    m, d = ClockMonth, ClockDay
    measures = ("found", "on_time", "late", "provisional")
    found_in = (bindparam("found_first", type_=Integer), bindparam("found_last", type_=Integer))
    parts = [select(m.county_code, m.found_ym, *(getattr(m, c) for c in measures))
             .where(m.found_ym.between(*found_in), scope.clause(m.county_code),
                    m.event_ym <= bindparam("months_last", type_=Integer))]
    if days:
        parts.append(select(d.county_code, d.found_ym, *(getattr(d, c) for c in measures))
                     .where(d.event_on.between(bindparam("days_first", type_=Date), bindparam("days_last", type_=Date)),
                            d.found_ym.between(*found_in), scope.clause(d.county_code)))
    both = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    return (select(both.c.county_code, both.c.found_ym, *(cast(func.sum(both.c[c]), BigInteger) for c in measures))
            .group_by(both.c.county_code, both.c.found_ym).order_by(both.c.county_code, both.c.found_ym))


def _clock_frame(codes, months, found, on_time, late, provisional, scope: Scope) -> pd.DataFrame:
    """The clock's frame from its groups in the order of (county, month): the counts of cases
    found, on time, late and provisional."""
    if not len(found):
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in CLOCK_COLUMNS})
    found, on_time, late = (np.asarray(a, dtype="int64") for a in (found, on_time, late))
    decided = on_time + late
    out = pd.DataFrame({
        "county_code": pd.array(list(codes), dtype="str"),
        "month": np.asarray(months).astype("int32"),
        "found": found, "on_time": on_time, "late": late,
        "undecided": found - decided,
        "share": on_time / np.where(decided > 0, decided, np.nan),
        "provisional": np.asarray(provisional) > 0,
    })
    if scope.suppress_small:  # a share of a hidden count would give the count away
        out = suppress_small_counts(out, ["found", "on_time", "late", "undecided"], blank=["share"])
    return out


def identification_clock_raw(engine: Engine, scope: Scope, year: int, as_of: dt.date | str, *,
                             region: str | None = None) -> pd.DataFrame:
    """:func:`identification_clock_frame` judged from the raw cases: every case found in ``year``
    by ``as_of``, its due date worked out by :mod:`fundwatch.data.workdays`."""
    require_scope(scope)
    as_of = as_date(as_of)
    first, last = dt.date(year, 1, 1), min(dt.date(year, 12, 31), as_of)
    codes, county_at, found, identified, entered = _clock_rows(
        engine, scope, region, [Household.found_on >= first, Household.found_on <= last])
    if not len(found):
        return _clock_frame(codes, *(np.array([], dtype="int64"),) * 5, scope)
    _, provisional, on_time, late = _judge(found, identified, entered, as_of)
    # One group per county and month, counted with bincount; the codes are sorted, so the groups
    # come out in the order of (county, month).
    group = county_at * 12 + found.astype("datetime64[M]").astype("int64") % 12
    groups = len(codes) * 12

    def count(mask=None):
        return np.bincount(group if mask is None else group[mask], minlength=groups)
    cases = count()
    held = np.flatnonzero(cases)
    return _clock_frame(codes[held // 12], held % 12 + 1, cases[held], count(on_time)[held], count(late)[held],
                        count(provisional)[held], scope)


def open_cases_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None
                     ) -> pd.DataFrame:
    """Cases found by ``as_of`` and not yet entered into the system on it, with their due date
    (15 working days after found), ``workdays_left`` (negative when overdue), ``workdays_overdue``,
    ``state`` (overdue, due_soon: at most :data:`DUE_SOON_WORKDAYS` left, on_track) and whether the
    due date is ``provisional``.  Most overdue first; head name and ID number masked.  None under
    small-count suppression.

    Read in two parts, in proportion to the cases shown rather than to every case found: a case
    open on ``as_of`` was found in the :data:`~fundwatch.data.models.households.LONG_WAIT_DAYS`
    before it (the found-date indexes), or it was entered that long after it was found or is not
    entered yet (the partial ``ix_household_waiting``, migration 0030).
    :func:`raw_open_cases_frame` reads every case found by ``as_of`` (the reference of the tests
    and the benchmark).  At ten times the demo a township's two parts take as long as every case
    of it on SQLite (0.6 ms) and less on PostgreSQL (1.3 against 1.6 ms)."""
    require_scope(scope)
    as_of = as_date(as_of)
    level = region_level(engine, scope, region)[0]
    return _open_cases(engine, scope, as_of, region, level, "two parts")


def raw_open_cases_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None
                         ) -> pd.DataFrame:
    """:func:`open_cases_frame` read from every case found by ``as_of``."""
    require_scope(scope)
    as_of = as_date(as_of)
    return _open_cases(engine, scope, as_of, region, region_level(engine, scope, region)[0], "every case")


#: The columns of an open case the read selects, the found and identified dates as day numbers.
_OPEN_CASE_COLUMNS = ("id", "code", "head_name", "head_id_no", "village_code", "category", "cause", "channel",
                      "found_on", "identified_on")


@functools.lru_cache(maxsize=64)
def _open_cases_statement(dialect: str, scope: Scope, level: str, parts: str):
    """The open cases' statement for one database, scope, level of region (``city``, ``county``,
    ``township``, ``village`` or ``unknown``) and way of reading them: ``every case`` found by the
    date, or ``two parts``, the cases found in the :data:`~fundwatch.data.models.households.LONG_WAIT_DAYS`
    before it and those of the partial ``ix_household_waiting`` found earlier.  Built and compiled
    once, run straight on the driver (:func:`~fundwatch.data.db.read_rows`) with the region
    (``place``), the date (``as_of``) and the first day of the recent part (``since``) bound, and
    the dates read as day numbers, which no driver converts one by one: at ten times the demo the
    prefecture's list went from 13 to 9 ms on SQLite and from 13 to 7.5 ms on PostgreSQL, a
    county's from 2.3 to 1.3 and from 2.9 to 2.1 ms (built on every read through SQLAlchemy).

    The cases of the region found by the date and open on it (not entered, risk not eliminated),
    each with its village's name joined (asked for afterwards by the villages' codes, the names
    took 16 of the prefecture's 36 ms on PostgreSQL at ten times the demo: a statement of a
    thousand codes made, sent and planned each time).  A join rather than a name looked up per
    row: with the lookups' cost added to its estimate PostgreSQL compiled the prefecture's
    statement (JIT, 35 ms).  The villages joined are those of the case's county, so
    that for a county PostgreSQL hashes that county's regions rather than the prefecture's 3,800
    (0.6 of a county's 1.1 ms in the database at scale 10)."""
    h = Household
    as_of, since = bindparam("as_of", type_=Date()), bindparam("since", type_=Date())
    region = place_condition(level, county=h.county_code, township=h.township_code, village=h.village_code)
    villages = Region.__table__
    joined = h.__table__.outerjoin(
        villages, and_(villages.c.code == h.village_code, villages.c.county_code == h.county_code,
                       scope.clause(villages.c.county_code)))
    columns = [_day_number(dialect, getattr(h, c)).label(c) if c.endswith("_on") else getattr(h, c)
               for c in _OPEN_CASE_COLUMNS]

    def cases(*conditions):
        return select(*columns, villages.c.name).select_from(joined).where(
            scope.clause(h.county_code), region, scope.record_clause(h.county_code), h.found_on <= as_of,
            or_(h.entered_on.is_(None), h.entered_on > as_of), _not_eliminated(as_of, dialect), *conditions)

    if parts == "every case":
        return cases()
    recent = (h.found_on > since,)
    if dialect == "sqlite" and level == "city":
        # the prefecture's recent cases county by county from ``ix_household_county``, which
        # tells an entered or closed case from an open one without a look into the table
        # (``ix_household_found`` needs one per case): at scale 10 the 30 days' 2,883 cases for
        # 1,232 open, 8.3 -> 5.6 ms
        recent = (*recent, counties_named(h.county_code))
    return union_all(cases(*recent), cases(h.found_on <= since, text(WAITING[dialect])))


def _open_cases(engine: Engine, scope: Scope, as_of: dt.date, region: str | None, level: str, parts: str
                ) -> pd.DataFrame:
    """The frame of :func:`open_cases_frame`, the cases read as ``parts`` says
    (:func:`_open_cases_statement`), made column by column from the rows and sorted once (through
    pandas' column assignments, maps and sort a county's 150 cases took 4 ms of a 5 ms read)."""
    columns = [*_OPEN_CASE_COLUMNS, "village", "due_on", "workdays_left", "workdays_overdue", "state", "provisional"]
    stmt = _open_cases_statement(engine.dialect.name, scope, level, parts)
    rows = read_rows(engine, stmt, {"place": region, "as_of": as_of,
                                    "since": as_of - dt.timedelta(days=LONG_WAIT_DAYS)})
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    ids, codes, names, id_nos, villages, categories, causes, channels, found, identified, village_names = (
        list(column) for column in zip(*rows, strict=True))
    found_days = np.array(found, dtype="int64").astype("datetime64[D]")
    identified_days = _day_array(np.array(identified, dtype="float64"))  # None -> NaN -> NaT
    due, provisional = workdays.add_workdays_array(found_days, ID_LIMIT_WORKDAYS)
    day = np.full(found_days.shape, np.datetime64(as_of, "D"))
    over, prov_over = workdays.workdays_between_array(due, day)
    left, prov_left = workdays.workdays_between_array(day, due)
    left = np.where(over > 0, -over, left).astype("int64")
    state = np.where(over > 0, "overdue", np.where(left <= DUE_SOON_WORKDAYS, "due_soon", "on_track"))
    order = np.lexsort((np.array(ids, dtype="int64"), found_days, left))  # most overdue first
    identified_days = np.where(identified_days <= day, identified_days, np.datetime64("NaT"))

    def pick(values: list) -> list:
        return [values[i] for i in order]

    return pd.DataFrame({
        "id": np.array(ids, dtype="int64")[order], "code": pick(codes),
        "head_name": [mask_name(names[i]) for i in order], "head_id_no": [mask_id(id_nos[i]) for i in order],
        "village_code": pick(villages), "category": pick(categories), "cause": pick(causes),
        "channel": pick(channels), "found_on": _plain_dates(found_days[order]),
        "identified_on": _plain_dates(identified_days[order]),
        "village": pick(village_names), "due_on": _plain_dates(due[order]),
        "workdays_left": left[order], "workdays_overdue": over[order].astype("int64"), "state": state[order].tolist(),
        "provisional": (provisional | prov_over | prov_left)[order]}, columns=columns)


# -- income against the alert line --------------------------------------------------------------

def income_alert_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None
                       ) -> pd.DataFrame:
    """Households on record by per-capita income over the alert line of their county and income
    year (1.2 x the dibao standard, seeds/003 二(一)), in bins of a tenth of the line (``bin`` 7 =
    0.7-0.8 x the line; :data:`INCOME_BIN_CAP` and above share the last bin), split by whether the
    household was under monitoring on ``as_of``.  Households whose county has no dibao standard for
    their income year cannot be placed and are left out (rule Q6 reports them).

    The prefecture's and a county's come from the summary of the bands (migration 0029:
    ``income_band_year``, ``_month`` and ``_day``): a few hundred rows, where the prefecture's
    households at ten times the demo are 800,000.  A township's or a village's are counted from
    the raw households (:func:`raw_income_alert_frame`, also the reference the tests compare
    against)."""
    require_scope(scope)
    as_of = as_date(as_of)
    rows = _day_event_sums(engine, scope, region, as_of, (IncomeBandYear, IncomeBandMonth, IncomeBandDay))
    if rows is None:
        return raw_income_alert_frame(engine, scope, as_of, region=region)
    totals = [[0, 0] for _ in range(INCOME_BIN_CAP + 1)]  # per band: not monitored, monitored
    for bin_, households, monitored in rows:
        totals[bin_][0] += households - monitored
        totals[bin_][1] += monitored
    counts = np.array(totals, dtype="int64")
    bins, flags = np.nonzero(counts)
    return _income_frame(scope, bins, flags, counts[bins, flags])


def raw_income_alert_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None
                           ) -> pd.DataFrame:
    """:func:`income_alert_frame` counted from the raw households."""
    require_scope(scope)
    as_of = as_date(as_of)
    info = region_info(engine, scope, region) if region is not None else None
    if info is not None and info[0] == "county":
        out = _county_income_bins(engine, scope, region, as_of)
    else:
        out = _income_bins(engine, scope, region, as_of)
    return _income_frame(scope, *(out[c].to_numpy(dtype="int64") for c in ("bin", "monitored", "households")))


def _income_frame(scope: Scope, bins: np.ndarray, monitored: np.ndarray, households: np.ndarray) -> pd.DataFrame:
    """The frame of :func:`income_alert_frame` from its columns (int64 arrays; ``monitored`` 0/1)."""
    out = pd.DataFrame({"bin": bins, "low": bins / 10, "monitored": monitored.astype(bool), "households": households},
                       copy=False)
    if scope.suppress_small:
        out = suppress_small_counts(out, ["households"])
    return out


def _income_bins(engine: Engine, scope: Scope, region: str | None, as_of: dt.date) -> pd.DataFrame:
    """``bin``, ``monitored``, ``households``: each household's bin worked out and grouped."""
    h = Household
    county = _county_of(engine, scope, region)
    if county is None:  # several counties: each household's line from the standards table
        annual = DibaoStandard.annual_fen
        source = h.__table__.join(DibaoStandard.__table__, and_(DibaoStandard.county_code == h.county_code,
                                                                DibaoStandard.year == h.income_year))
        placed = ()
    else:  # one county: its few standards written into the statement, no lookup per household
        lines = dict(_alert_standards(engine, county))
        annual = case(lines, value=h.income_year) if lines else literal(1)
        source, placed = h.__table__, (h.income_year.in_(list(lines)),)
    ratio = (h.income_per_capita_fen * 10 * 10) // (annual * ALERT_MULTIPLE_TENTHS)
    bin_ = case((ratio > INCOME_BIN_CAP, INCOME_BIN_CAP), else_=ratio).label("bin")
    watched = case((_under_monitoring(as_of), 1), else_=0).label("monitored")
    stmt = (select(bin_, watched, func.count(h.id).label("households")).select_from(source)
            .where(_household_region(engine, scope, region), *placed)
            .group_by(bin_, watched).order_by(bin_, watched))
    return frame(engine, stmt)


#: Every household adds 1 to its band's sum and one under monitoring adds 2**32 as well, so one
#: sum carries both counts (a county holds far fewer than 2**32 households).
_HOUSEHOLD_BITS = 32
#: The top of the last band (fen; an income column holds 64-bit integers).
_ABOVE_EVERY_INCOME = 2**62


def _county_income_bins(engine: Engine, scope: Scope, county: str, as_of: dt.date) -> pd.DataFrame:
    """:func:`_income_bins` of one county, counted band by band.

    A bin of an income year is a band of incomes, from the smallest income whose ratio to the
    line reaches the bin to the smallest that reaches the next, so each (income year with a
    standard, bin) is counted over its own range of ``ix_household_income`` (county, income
    year, income) without working a ratio out per household or sorting the county's households
    into groups (a county of 79,000 households at ten times the demo: SQLite 41 -> 9 ms,
    PostgreSQL 25 -> 12 ms).  The bands are made in SQL from the county's standards, so the
    statement is the same for every county and compiled once."""
    h, d = Household, DibaoStandard
    bins = select(literal(0, Integer).label("bin")).cte("bins", recursive=True)
    bins = bins.union_all(select(bins.c.bin + 1).where(bins.c.bin < INCOME_BIN_CAP))
    line_tenth = d.annual_fen * ALERT_MULTIPLE_TENTHS  # an income reaching bin k is >= k * line_tenth / 100

    def reaching(bin_):
        return (bin_ * line_tenth + 99) // 100  # the smallest such income (incomes are >= 0)

    band = (select(d.year, bins.c.bin, reaching(bins.c.bin).label("low"),
                   case((bins.c.bin == INCOME_BIN_CAP, literal(_ABOVE_EVERY_INCOME, BigInteger)),
                        else_=reaching(bins.c.bin + 1)).label("high"))
            .select_from(d).join(bins, true()).where(d.county_code == county).cte("band"))
    counted = (select(func.coalesce(func.sum(case((_under_monitoring(as_of), (1 << _HOUSEHOLD_BITS) + 1),
                                                  else_=1)), 0))
               .where(_household_region(engine, scope, county), h.income_year == band.c.year,
                      h.income_per_capita_fen >= band.c.low, h.income_per_capita_fen < band.c.high)
               .scalar_subquery())
    with reader(engine).connect() as conn:
        got = conn.execute(select(band.c.bin, counted)).all()
    totals = np.zeros((INCOME_BIN_CAP + 1, 2), dtype="int64")
    for bin_, packed in got:
        monitored, households = divmod(int(packed), 1 << _HOUSEHOLD_BITS)
        totals[bin_] += (households - monitored, monitored)
    bins_, flags = np.nonzero(totals)
    return pd.DataFrame({"bin": bins_, "monitored": flags, "households": totals[bins_, flags]},
                        columns=["bin", "monitored", "households"])


def _below_county(engine: Engine, scope: Scope, region: str | None) -> bool:
    """Whether ``region`` is a township or a village (one the scope may see)."""
    if region is None:
        return False
    info = region_info(engine, scope, region)
    return info is not None and info[0] in ("township", "village")


def _county_of(engine: Engine, scope: Scope, region: str | None) -> str | None:
    """The one county ``region`` lies in (a county, township or village the scope may see), else None."""
    if region is None:
        return None
    info = region_info(engine, scope, region)
    return info[1] if info is not None and info[0] != "city" else None


def _alert_standards(engine: Engine, county: str) -> list[tuple[int, int]]:
    """(year, annual dibao standard in fen) of ``county``, oldest first."""
    stmt = (select(DibaoStandard.year, DibaoStandard.annual_fen).where(DibaoStandard.county_code == county)
            .order_by(DibaoStandard.year))
    with reader(engine).connect() as conn:
        return [(int(year), int(fen)) for year, fen in conn.execute(stmt).all()]


def alert_lines_frame(engine: Engine, scope: Scope, year: int, *, region: str | None = None) -> pd.DataFrame:
    """Per county: the dibao standard of ``year`` and the alert line (1.2 x), yuan per person-year."""
    require_scope(scope)
    stmt = (select(DibaoStandard.county_code, DibaoStandard.annual_fen)
            .where(region_condition(engine, scope, region, county=DibaoStandard.county_code),
                   DibaoStandard.year == year).order_by(DibaoStandard.county_code))
    out = frame(engine, stmt)
    out["alert_line_fen"] = out["annual_fen"].astype("int64") * ALERT_MULTIPLE_TENTHS // 10
    return to_yuan(out, "annual_fen", "alert_line_fen").rename(columns={"annual": "dibao"})


# -- assistance measures -----------------------------------------------------------------------

def measure_mix_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None
                      ) -> pd.DataFrame:
    """Assistance measures started by ``as_of`` for households of the region, by kind:
    ``measures``, ``households`` helped, ``amount`` (yuan).

    The prefecture's and a county's come from the summaries of the measures' starts (migration
    0028: ``measure_mix_year`` before the date's year, ``measure_mix_month`` up to its last whole
    month, ``measure_mix_day`` after it), a household counted by the earliest of its measures of a
    kind (``first_of_kind``): the largest county at ten times the demo adds up some fifty rows
    instead of 34,000 measures and a distinct count of their households.  A township's or a
    village's are summed from the raw measures (:func:`raw_measure_mix_frame`, also the reference
    the tests compare against)."""
    require_scope(scope)
    as_of = as_date(as_of)
    rows = _day_event_sums(engine, scope, region, as_of, (MeasureMixYear, MeasureMixMonth, MeasureMixDay))
    if rows is None:
        return raw_measure_mix_frame(engine, scope, as_of, region=region)
    return _measure_mix(scope, [row for row in rows if row[1]])  # not a kind whose every measure went


def raw_measure_mix_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None
                          ) -> pd.DataFrame:
    """:func:`measure_mix_frame` summed from the raw measures."""
    require_scope(scope)
    as_of = as_date(as_of)
    m = AssistanceMeasure
    stmt = (select(m.kind, func.count(m.id).label("measures"),
                   func.count(func.distinct(m.household_id)).label("households"), fen_sum(m.amount_fen, "amount_fen"))
            .where(scope.clause(m.county_code), m.started_on <= as_of)
            .group_by(m.kind))
    if _below_county(engine, scope, region):
        # A township's or village's measures are found through their households.
        stmt = stmt.join(Household, Household.id == m.household_id).where(_household_region(engine, scope, region))
    else:
        # A measure's county is its household's (taken from the household on import, and a
        # household's code never moves to another county: problem ``key_elsewhere``), so the
        # prefecture's or a county's measures are read from their own county index, without a
        # lookup of each one's household (a county at scale 10: 40 -> 22 ms on SQLite, 59 -> 16 ms
        # on PostgreSQL).
        stmt = stmt.where(region_condition(engine, scope, region, county=m.county_code))
    with reader(engine).connect() as conn:
        rows = [(kind, int(measures), int(households), int(amount)) for kind, measures, households, amount
                in conn.execute(stmt).all()]
    return _measure_mix(scope, rows)


def _measure_mix(scope: Scope, rows: list) -> pd.DataFrame:
    """The measure mix frame of ``rows`` (kind, measures, households, amount in fen), by kind; made
    from arrays, the amount in yuan at once (a frame of Series turned to yuan after took 0.5 ms,
    three times a county's summary read)."""
    rows = sorted(rows, key=lambda row: row[0])
    out = pd.DataFrame({"kind": pd.array([row[0] for row in rows], dtype="str"),
                        "measures": np.array([row[1] for row in rows], dtype="int64"),
                        "households": np.array([row[2] for row in rows], dtype="int64"),
                        "amount": np.array([row[3] for row in rows], dtype="int64") / FEN_PER_YUAN}, copy=False)
    if scope.suppress_small:
        out = suppress_small_counts(out, ["households"], follow=["measures"], blank=["amount"])
    return out


def measure_wait_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None
                       ) -> pd.DataFrame:
    """Households identified by ``as_of`` by the days from identification to their first
    assistance measure (:data:`WAIT_BUCKETS`, ``none`` when none had started by ``as_of``).

    The prefecture's and a county's come from the summaries of the households' moves between
    waits (migration 0026: ``wait_year``, ``wait_month``, ``wait_day``), a township's or a village's from the raw
    households (:func:`raw_measure_wait_frame`, also the reference the tests compare against)."""
    require_scope(scope)
    as_of = as_date(as_of)
    rows = _day_event_sums(engine, scope, region, as_of, (WaitYear, WaitMonth, WaitDay))
    if rows is None:
        return raw_measure_wait_frame(engine, scope, as_of, region=region)
    counts = {wait: int(households) for wait, households in rows}
    return _wait_frame(scope, [counts.get(key, 0) for key in _WAIT_KEYS])


def raw_measure_wait_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None
                           ) -> pd.DataFrame:
    """:func:`measure_wait_frame` counted from the raw households."""
    require_scope(scope)
    as_of = as_date(as_of)
    h = Household
    # The earliest measure started by as_of is the household's earliest if that started by then,
    # else there is none: both kept on the household's row with the days to it (migration 0021),
    # so a county's households are read from ix_household_county alone, one row of bucket sums.
    # OFFSET 0 keeps the days worked out once per household: merged into the query, the database
    # copies them into each bucket's sum (SQLite 7 against 10 ms of the statement).
    started = case((h.first_measure_on <= as_of, h.first_measure_days))
    waits = (select(started.label("days"))
             .where(_household_region(engine, scope, region), unindexed(engine.dialect.name, h.identified_on) <= as_of,
                    _found_by(as_of))  # implied (found before identified): the region's range of its index
             .offset(0).subquery())
    days = waits.c.days
    counts, above = [], None
    for key, limit in WAIT_BUCKETS:
        within = ([days > above] if above is not None else []) + ([days <= limit] if limit is not None else [])
        counts.append(func.coalesce(func.sum(case((and_(*within), 1), else_=0)), 0).label(key))
        above = limit
    counts.append((func.count() - func.count(days)).label("none"))  # no measure started by as_of
    with reader(engine).connect() as conn:
        row = conn.execute(select(*counts).select_from(waits)).one()
    return _wait_frame(scope, [int(row._mapping[key]) for key in _WAIT_KEYS])


_WAIT_KEYS = tuple(key for key, _ in WAIT_BUCKETS) + ("none",)


def _wait_frame(scope: Scope, households: list[int]) -> pd.DataFrame:
    out = pd.DataFrame({"wait": np.array(_WAIT_KEYS, dtype=object), "households": np.array(households, dtype="int64")})
    if scope.suppress_small:
        out = suppress_small_counts(out, ["households"])
    return out


# -- the household list -------------------------------------------------------------------------

#: The dates of the household list, each a sort key: found, entered and the one sorted by are read for
#: every household found, the others for the page's rows alone.
KEY_DATES = (Household.found_on, Household.identified_on, Household.entered_on, Household.risk_eliminated_on)
TRANSITION_SORTS = ("workdays_overdue", "found_on", "due_on", "entered_on", "risk_eliminated_on",
                    "income_per_capita", "income_ratio", "code", "id")


def transition_households_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None,
                                sort: str | None = None, limit: int = 100, offset: int = 0
                                ) -> tuple[pd.DataFrame, int]:
    """Households found by ``as_of`` in the region, a page at a time, with their status on
    ``as_of``, due date and ``workdays_overdue``: working days past the 15-working-day limit at
    entry, or up to ``as_of`` while still not entered (0 when on time).  ``sort`` is one of
    :data:`TRANSITION_SORTS` (``-`` prefix for descending; default most overdue first).  Income is
    shown against the alert line of the household's county and income year.  Names and ID numbers
    are masked (surname + *, first 3 and last 4 characters).  None under small-count suppression
    (aggregates only)."""
    require_scope(scope)
    as_of = as_date(as_of)
    if not 0 < limit <= 5000 or offset < 0:
        raise ValueError("limit must be 1..5000 and offset >= 0")
    sort = sort or "-workdays_overdue"
    name = sort.lstrip("-")
    if name not in TRANSITION_SORTS:
        raise ValueError(f"cannot sort by {name!r}; choose one of {sorted(TRANSITION_SORTS)}")
    h = Household
    alert = DibaoStandard.annual_fen * ALERT_MULTIPLE_TENTHS // 10
    with_alert = and_(DibaoStandard.county_code == h.county_code, DibaoStandard.year == h.income_year)
    # Every household found by as_of is sorted, so its dates come as day numbers (no date object
    # per row and column: 31,000 households of a county at scale 10); the page's rows get dates.
    # Its code, income and alert line are read for every household only to sort by them; else for
    # the page's rows alone (the dates and id come from ix_household_county without the table:
    # a county's sort by overdue days read about half as long).  The same for the dates: found and
    # entered (the overdue days and the due date) and the date sorted by come for every household,
    # the others for the page's rows (the largest county at scale 10: SQLite 36 -> 29 ms, PostgreSQL
    # 48 -> 32).  The default order reads fewer still (:func:`_most_overdue`).
    wide = name in ("income_per_capita", "income_ratio", "code")
    income = (h.code, h.income_per_capita_fen, alert.label("alert_line_fen"))
    sorted_dates = [c for c in KEY_DATES if c.key in ("found_on", "entered_on", name)]
    page_dates = [c for c in KEY_DATES if c not in sorted_dates]
    where = (_household_region(engine, scope, region), scope.record_clause(h.county_code), h.found_on <= as_of)
    narrow = select(h.id, *(_day_number(engine.dialect.name, c).label(c.key) for c in sorted_dates),
                    *(income if wide else ()))
    if sort == "-workdays_overdue":  # the default order
        by_id = region_level(engine, scope, region)[0] in ("city", "county")
        found = None if scope.suppress_small else households_found(engine, scope, as_of, region)
        page, total = _most_overdue(engine, narrow, where, as_of, offset, limit, by_id=by_id, total=found)
    else:
        if wide:
            narrow = narrow.select_from(h).outerjoin(DibaoStandard, with_alert)
        keys = _keys(engine, narrow.where(*where), as_of)
        total = len(keys)
        if total:
            _overdue(keys, as_of)
            if wide:
                _income_ratio(keys)
            descending = sort.startswith("-")
            keys = keys.sort_values([name, "id"], ascending=[not descending, True], na_position="last", kind="stable")
        page = keys.iloc[offset:offset + limit].copy()
    for column in (*(c.key for c in KEY_DATES), "due_on"):
        if column in page:
            page[column] = pd.Series(_plain_dates(page[column].to_numpy()), index=page.index, dtype=object)
    detail = pd.DataFrame({"id": pd.Series([], dtype="int64")})
    if len(page):
        villages = Region.__table__  # each row's village name in the same statement, not a second one
        stmt = (select(h.id, h.head_name, h.head_id_no, h.village_code, villages.c.name.label("village"), h.members,
                       h.category, h.cause, h.channel, household_status(as_of).label("status"), *page_dates,
                       *(() if wide else income))
                .select_from(h).outerjoin(DibaoStandard, with_alert)
                .outerjoin(villages, and_(villages.c.code == h.village_code, scope.clause(villages.c.county_code)))
                .where(scope.clause(h.county_code), h.id.in_([int(i) for i in page["id"]])))
        detail = frame(engine, stmt)
        for column in page_dates:  # a date after as_of has not happened yet on as_of
            detail[column.key] = [None if day is None or day > as_of else day for day in detail[column.key]]
        if not wide:
            _income_ratio(detail)
    out = page.merge(detail, on="id", how="left") if len(page) else page.assign(
        head_name=None, head_id_no=None, village_code=None, village=None, members=None, category=None, cause=None,
        channel=None, status=None)
    out = mask_frame(out, names=("head_name",), ids=("head_id_no",))
    columns = ["id", "code", "head_name", "head_id_no", "village", "members", "category", "cause", "channel", "status",
               "income_per_capita_fen", "alert_line_fen", "income_ratio", "found_on", "identified_on", "due_on",
               "entered_on", "workdays_overdue", "provisional", "risk_eliminated_on"]
    for column in columns:
        if column not in out:
            out[column] = None
    out = out[columns].reset_index(drop=True)
    out["alert_line_fen"] = out["alert_line_fen"].fillna(0).astype("int64")
    out["income_per_capita_fen"] = out["income_per_capita_fen"].fillna(0).astype("int64")
    return to_yuan(out, "income_per_capita_fen", "alert_line_fen"), total


def _keys(engine: Engine, stmt, as_of: dt.date) -> pd.DataFrame:
    """The households of ``stmt`` (an id and day numbers, :func:`_day_number`) with the dates as
    ``datetime64[D]``; a date after ``as_of`` has not happened yet on ``as_of`` (NaT)."""
    keys = frame(engine, stmt, plain=True)
    today = np.datetime64(as_of, "D")
    for column in [c for c in keys.columns if c in {d.key for d in KEY_DATES}]:
        days = _from_day_numbers(keys[column])
        keys[column] = np.where(days <= today, days, np.datetime64("NaT", "D"))
    return keys


def _overdue(keys: pd.DataFrame, as_of: dt.date) -> None:
    """Add ``due_on`` (15 working days after found), ``workdays_overdue`` (working days past it
    at entry, or up to ``as_of`` while not entered) and ``provisional`` to households ``keys``
    (:func:`_keys`)."""
    found, entered = keys["found_on"].to_numpy(), keys["entered_on"].to_numpy()
    due, provisional = workdays.add_workdays_array(found, ID_LIMIT_WORKDAYS)
    end = np.where(np.isnat(entered), np.datetime64(as_of, "D"), entered)
    over, prov = workdays.workdays_between_array(due, end)
    keys["due_on"] = due
    keys["workdays_overdue"] = over.astype("int64")
    keys["provisional"] = provisional | prov


def _most_overdue(engine: Engine, narrow, where, as_of: dt.date, offset: int, limit: int, *, by_id: bool,
                  total: int | None = None) -> tuple[pd.DataFrame, int]:
    """The page of the households of ``where`` (found by ``as_of``) in the default order, most
    working days overdue first, then by id, and their number.

    Only a household whose entry (or ``as_of``, while not entered) came more days after it was
    found than the 15 working days ever span (:func:`may_be_late`) can be overdue.  Those
    come with their dates and are judged by the working-day calendar; the page is made of the
    overdue ones, then of the others by id, read in that order only as far as the page needs (the
    first ``offset + limit`` by id hold at least the ``offset + limit - overdue`` not overdue that
    it can take).  Every household found used to come with its dates to be judged and sorted (the
    largest county at scale 10: 20,000 households, of whom 3,600 took more than 17 days and 3
    were overdue); of those 3,600 only the ones past their due date in ``workday_due``
    (:func:`_past_due`) come now, read from ``ix_household_slow`` (migration 0032), which holds
    only the cases entered late or not yet.

    ``by_id``: the region is the prefecture or a county, whose households an index gives in order
    of id (the table's key; ``ix_household_county_id``), so the first by id are read as far as the
    page needs; a township's or a village's are sorted from their range of the found dates.
    ``total``: their number when known (the household summary's,
    :func:`~fundwatch.data.reads.households.households_found`), else counted."""
    h = Household
    if total is None:
        with reader(engine).connect() as conn:
            total = int(conn.execute(select(func.count()).select_from(h).where(*where)).scalar_one())
    slow = may_be_late(engine, h.found_on, h.entered_on, as_of)
    if workdays.fewest_days(ID_LIMIT_WORKDAYS) >= SLOW_ENTRY_DAYS:  # every case that may be late is in the index
        slow = and_(slow, text(SLOW_ENTRY[engine.dialect.name]))
    late = _keys(engine, _past_due(narrow.where(*where, slow), as_of), as_of)
    if not total:
        return late, 0
    _overdue(late, as_of)
    over = late[late["workdays_overdue"] > 0].sort_values(["workdays_overdue", "id"], ascending=[False, True],
                                                          kind="stable")
    if offset + limit <= len(over):
        return over.iloc[offset:offset + limit].copy(), total
    # a township's or a village's by id + 0: its households sorted (a top-N of one index range),
    # not the whole table walked in id order until enough of the region's turn up (PostgreSQL
    # chose that: 41 ms for the largest county at scale 10, whose ids come late)
    order = h.id if by_id else h.id + 0
    rest = _keys(engine, narrow.where(*where).order_by(order).limit(offset + limit), as_of)
    rest = rest[~rest["id"].isin(over["id"])]
    _overdue(rest, as_of)
    page = pd.concat([over, rest], ignore_index=True) if len(over) and len(rest) else (over if len(over) else rest)
    return page.iloc[offset:offset + limit].copy(), total


def _past_due(stmt, as_of: dt.date):
    """``stmt`` (a select of households) kept to the cases entered after their due date in
    ``workday_due`` (migration 0025), or still not entered on ``as_of`` after it, and those whose
    found day is not in that table (before 2010 or after 2040).  Every case with a working day
    overdue passes, so a read judges fewer cases by the calendar and loses none (a day after the
    due date may still be a holiday: the read's judgement decides).  A join, not a lookup per
    case: PostgreSQL ran a subquery for each of 3,600 cases in 64 ms, against 47 without it."""
    h, w = Household, WorkdayDue
    end = case((h.entered_on <= as_of, h.entered_on), else_=literal(as_of, Date()))
    return stmt.select_from(h).outerjoin(w, w.day == h.found_on).where(or_(w.day.is_(None), end > w.due_on))


def may_be_late(bind: Engine | Connection, found, entered, as_of: dt.date, limit: int = ID_LIMIT_WORKDAYS):
    """SQL: a case found on ``found`` and entered on ``entered`` (NULL: not yet) may be past a limit
    of ``limit`` working days on ``as_of``: its entry, or ``as_of`` while it is not entered by then,
    came more calendar days after it was found than the limit ever spans
    (:func:`~fundwatch.data.workdays.fewest_days`: 17 days for 15 working days).  Any other case is
    within the limit whatever the day, so a read leaves it out before it reads the dates and judges
    them by the calendar (the transition page's default list, rule H2)."""
    end = case((entered <= as_of, entered), else_=literal(as_of, Date()))
    if bind.dialect.name == "sqlite":
        days = cast(func.julianday(end) - func.julianday(found), Integer)
    else:
        days = end - found  # PostgreSQL: date - date is an integer
    return days > workdays.fewest_days(limit)


def _income_ratio(rows: pd.DataFrame) -> None:
    """Add ``income_ratio`` (income over the alert line; NaN without a line) and
    ``income_per_capita`` (the sort key, fen) to household ``rows``."""
    line = rows["alert_line_fen"].astype("float64")
    rows["income_ratio"] = rows["income_per_capita_fen"].astype("float64") / line.where(line > 0)
    rows["income_per_capita"] = rows["income_per_capita_fen"].astype("int64")


# -- policy continuity (四个不摘) ----------------------------------------------------------------

def poverty_counties(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Counties in the scope that were poverty counties (贫困县), with the date they exited."""
    require_scope(scope)
    stmt = (select(RegionFlag.region_code.label("county_code"), func.max(RegionFlag.exit_date).label("exit_date"))
            .where(scope.clause(RegionFlag.county_code), RegionFlag.flag == "poverty_county")
            .group_by(RegionFlag.region_code).order_by(RegionFlag.region_code))
    return frame(engine, stmt)


def continuity_funds_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *,
                           years: tuple[int, int] = CONTINUITY_YEARS) -> pd.DataFrame:
    """Per county and year (``years``, allocations issued by ``as_of``): ``funds`` of the poverty
    programmes (special, integrated, linkage), ``integrated`` (put into the integration plan),
    linkage funds disbursed (``linkage_paid``) and of them on industry projects
    (``linkage_industry``), all yuan, and ``ex_poverty`` (the county was a poverty county).

    The linkage payments come from ``disbursement_category_month`` (whole months, by the category
    of the project paid; migration 0012), then the raw payments of a partial last month, summed
    together in one statement.  The raw computation is
    :func:`fundwatch.data.reads.naive.continuity_funds_frame`."""
    require_scope(scope)
    as_of = as_date(as_of)
    s, d, p = DisbursementCategoryMonth, Disbursement, Project
    parts = [select(s.county_code, s.year, s.amount_fen.label("fen"),
                    case((s.category == "industry", s.amount_fen), else_=0).label("industry"))
             .where(s.programme == "linkage", scope.clause(s.county_code), s.year.between(*years),
                    s.ym <= full_months_ym(as_of))]
    if not is_month_end(as_of):
        parts.append(select(d.county_code, d.year, d.amount_fen.label("fen"),
                            case((p.category == "industry", d.amount_fen), else_=0).label("industry"))
                     .join(p, p.id == d.project_id)
                     .where(d.ym == as_of.year * 100 + as_of.month, d.paid_on <= as_of, d.programme == "linkage",
                            scope.clause(d.county_code), d.year.between(*years)))
    both = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    paid = frame(engine, select(both.c.county_code, both.c.year, fen_sum(both.c.fen, "linkage_paid_fen"),
                                fen_sum(both.c.industry, "linkage_industry_fen"))
                 .group_by(both.c.county_code, both.c.year))
    return continuity(engine, scope, as_of, paid, years)


def continuity(engine: Engine, scope: Scope, as_of: dt.date, paid: pd.DataFrame,
               years: tuple[int, int]) -> pd.DataFrame:
    """The continuity frame from the linkage payment sums per county and year (``paid``:
    ``linkage_paid_fen``, ``linkage_industry_fen``) and the allocations issued by ``as_of``:
    every county of the scope for every year, money in yuan (shared with the raw reference,
    :func:`fundwatch.data.reads.naive.continuity_funds_frame`).  The grid of counties and years is
    filled from dictionaries (a few hundred cells; merging frames for it cost more than the reads)."""
    a = Allocation
    poverty = a.programme.in_(POVERTY_PROGRAMMES)
    alloc = (select(a.county_code, a.year,
                    fen_sum(case((poverty, a.amount_fen), else_=0), "funds_fen"),
                    fen_sum(case((a.integrated.is_(True), a.amount_fen), else_=0), "integrated_fen"))
             .where(scope.clause(a.county_code), a.year.between(*years), a.issued_on <= as_of)
             .group_by(a.county_code, a.year))
    counties = select(Region.code).where(scope.clause(Region.county_code), Region.level == "county")
    with reader(engine).connect() as conn:
        allocated = {(code, int(year)): (int(funds), int(integrated))
                     for code, year, funds, integrated in conn.execute(alloc)}
        codes = sorted(code for (code,) in conn.execute(counties))
    spent = {(code, int(year)): (int(total), int(industry)) for code, year, total, industry in paid[
        ["county_code", "year", "linkage_paid_fen", "linkage_industry_fen"]].itertuples(index=False)}
    ex_poverty = set(poverty_counties(engine, scope)["county_code"])
    cells = [(code, year) for code in codes for year in range(years[0], years[1] + 1)]
    money = np.array([allocated.get(cell, (0, 0)) + spent.get(cell, (0, 0)) for cell in cells],
                     dtype="int64").reshape(len(cells), 4) / FEN_PER_YUAN
    return pd.DataFrame({
        "county_code": pd.Series([code for code, _ in cells], dtype=None if cells else object),
        "year": np.array([year for _, year in cells], dtype="int64"),
        "ex_poverty": np.array([code in ex_poverty for code, _ in cells], dtype=bool),
        "funds": money[:, 0], "integrated": money[:, 1], "linkage_paid": money[:, 2], "linkage_industry": money[:, 3]})


def village_types_frame(engine: Engine, scope: Scope, *, region: str | None = None,
                        years: tuple[int, int] = CONTINUITY_YEARS) -> pd.DataFrame:
    """Per year: villages flagged key assistance (重点帮扶村) and consolidation (巩固拓展村) in the
    region (seeds/003 七), and the poor villages (贫困村) before them."""
    require_scope(scope)
    flags = ("key_assistance_village", "consolidation_village", "poor_village")
    stmt = (select(RegionFlag.flag, RegionFlag.start_year, RegionFlag.end_year,
                   func.count(RegionFlag.id).label("villages"))
            .join(Region, Region.code == RegionFlag.region_code)
            .where(region_condition(engine, scope, region, county=RegionFlag.county_code,
                                    township=Region.parent_code, village=Region.code),
                   RegionFlag.flag.in_(flags))
            .group_by(RegionFlag.flag, RegionFlag.start_year, RegionFlag.end_year))
    spans = frame(engine, stmt)
    # which span holds in which year, as one array (a frame selected per year cost a county change
    # about 3% of its time)
    year = np.arange(years[0], years[1] + 1, dtype="int64")[:, None]
    start = spans["start_year"].to_numpy(dtype="float64")
    end = spans["end_year"].to_numpy(dtype="float64", na_value=np.inf)
    held = (start <= year) & (end >= year)
    villages = spans["villages"].to_numpy(dtype="int64")
    out = {"year": year[:, 0]}
    for flag in flags:
        out[flag] = (held * np.where(spans["flag"].to_numpy() == flag, villages, 0)).sum(axis=1).astype("int64")
    return pd.DataFrame(out, columns=["year", *flags])


# -- project assets in the transition -----------------------------------------------------------

#: The models of the assets formed by day (migration 0034): year, month, day.
ASSET_FORMED_GRAINS = (AssetFormedYear, AssetFormedMonth, AssetFormedDay)


def _asset_formed_sums(engine: Engine, scope: Scope, as_of: dt.date, region: str | None, keys: tuple[str, ...],
                       *, by_year: bool = False) -> list[tuple] | None:
    """The assets formed by ``as_of`` summed from ``asset_formed_*`` per ``keys`` (and year), as
    :func:`_day_event_sums` gives them: the prefecture's, a county's, or a township's, whose assets
    are its county's (an asset has no township of its own); None for a village, whose raw assets
    answer."""
    level, info = region_level(engine, scope, region)
    if level == "village":
        return None
    if level == "township":
        region = info[1]
    return _day_event_sums(engine, scope, region, as_of, ASSET_FORMED_GRAINS, keys=keys, by_year=by_year)


def assets_formed_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None
                        ) -> pd.DataFrame:
    """Assets formed by ``as_of`` by year formed and class: ``assets`` and ``value`` (yuan).

    The prefecture's, a county's or a township's (its county's) come from the assets formed by day
    (migration 0034: ``asset_formed_year`` before ``as_of``'s year, ``asset_formed_month`` up to
    its last whole month, ``asset_formed_day`` after it), a few rows per year and class; a
    village's from its raw assets.  The whole years came from ``asset_year`` and the date's year so
    far from the raw assets before (on 30 June at ten times the demo, the prefecture SQLite 8.8 ->
    1.2 ms, PostgreSQL 31 -> 1.1; the largest county 6.4 -> 0.4, 8.2 -> 0.5)."""
    require_scope(scope)
    as_of = as_date(as_of)
    rows = _asset_formed_sums(engine, scope, as_of, region, ("asset_class",), by_year=True)
    if rows is None:
        return raw_assets_formed_frame(engine, scope, as_of, region=region)
    return _formed_frame(sorted(row for row in rows if row[2] > 0))  # by year and class; none of no asset


def raw_assets_formed_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None
                            ) -> pd.DataFrame:
    """:func:`assets_formed_frame` from every raw asset of the region (a village's read, and the
    tests' and the benchmark's reference)."""
    require_scope(scope)
    as_of = as_date(as_of)
    year = year_of(engine, Asset.formed_on)
    stmt = (select(year.label("year"), Asset.asset_class, func.count(Asset.id).label("assets"),
                   fen_sum(Asset.value_fen, "value_fen"))
            .where(region_condition(engine, scope, region, county=Asset.county_code, village=Asset.village_code),
                   Asset.formed_on <= as_of)
            .group_by(year, Asset.asset_class).order_by(year, Asset.asset_class))
    with reader(engine).connect() as conn:
        return _formed_frame(conn.execute(stmt).all())


def _formed_frame(rows: list) -> pd.DataFrame:
    """The frame of the assets formed of ``rows`` (year, class, assets, value in fen), made from
    arrays (from a frame of the rows with casts after, 0.7 of a county's 0.8 ms)."""
    if not rows:  # an empty frame's text column stays object, as pandas makes it of no query rows
        return columns_frame(rows, ["year", "asset_class", "assets", "value_fen"], ints=("year", "assets"),
                             yuan=("value_fen",))
    years, classes, assets, value = zip(*rows, strict=True)
    return pd.DataFrame({  # the class as the text pandas makes of a query's rows (cast after: 0.12 ms more)
        "year": np.array(years, dtype="int64"), "asset_class": pd.array(classes, dtype="str"),
        "assets": np.array(assets, dtype="int64"), "value": np.array(value, dtype="int64") / FEN_PER_YUAN},
        index=pd.RangeIndex(len(rows)), copy=False)


#: The counts of :func:`asset_custody_frame`, per asset class.
CUSTODY_COUNTS = ("assets", "with_custodian", "with_owner", "idle", "damaged")


def asset_custody_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None
                        ) -> pd.DataFrame:
    """Per asset class (assets formed by ``as_of``, not disposed): ``assets``, ``with_custodian``,
    ``with_owner``, ``idle``, ``damaged`` and the coverage shares ``custody`` and ``ownership``.

    An asset has a custodian or an owner when one is recorded (an import records a blank cell as
    none), as the ``asset_year`` summary and the drill-down's asset mix count them.  Read like
    :func:`assets_formed_frame`: the prefecture's, a county's or a township's from the assets formed
    by day, per class, status, custody and ownership (a few dozen rows), a village's from its raw
    assets (on 30 June at ten times the demo, the prefecture SQLite 13 -> 1.2 ms, PostgreSQL 37 ->
    1.1; the largest county 8.8 -> 0.3, 7.8 -> 0.5)."""
    require_scope(scope)
    as_of = as_date(as_of)
    rows = _asset_formed_sums(engine, scope, as_of, region, ("asset_class", "status", "no_custodian", "no_owner"))
    if rows is None:
        return raw_asset_custody_frame(engine, scope, as_of, region=region)
    counts: dict[str, list[int]] = {}
    for asset_class, status, no_custodian, no_owner, assets, _value in rows:
        if status == "disposed" or not assets:
            continue
        got = counts.setdefault(asset_class, [0] * len(CUSTODY_COUNTS))
        for i, counted in enumerate((True, not no_custodian, not no_owner, status == "idle", status == "damaged")):
            if counted:
                got[i] += assets
    return _custody_frame([(asset_class, *values) for asset_class, values in sorted(counts.items()) if values[0] > 0])


def raw_asset_custody_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None
                            ) -> pd.DataFrame:
    """:func:`asset_custody_frame` from every raw asset of the region (a village's read, and the
    tests' and the benchmark's reference)."""
    require_scope(scope)
    as_of = as_date(as_of)
    a = Asset
    counted = (literal(1, Integer), case((a.custodian.is_not(None), 1), else_=0),
               case((a.owner.is_not(None), 1), else_=0), case((a.status == "idle", 1), else_=0),
               case((a.status == "damaged", 1), else_=0))
    stmt = (select(a.asset_class, *(fen_sum(value, name) for value, name in zip(counted, CUSTODY_COUNTS, strict=True)))
            .where(region_condition(engine, scope, region, county=a.county_code, village=a.village_code),
                   a.formed_on <= as_of, a.status != "disposed")
            .group_by(a.asset_class).order_by(a.asset_class))
    with reader(engine).connect() as conn:
        return _custody_frame(conn.execute(stmt).all())


def _custody_frame(rows: list) -> pd.DataFrame:
    """The custody frame of ``rows`` (class, then :data:`CUSTODY_COUNTS`) with its two shares,
    made from arrays (pandas' casts and divisions on a frame of the rows took most of the read)."""
    classes = np.empty(len(rows), dtype=object)
    classes[:] = [row[0] for row in rows]
    counts = np.array([row[1:] for row in rows], dtype="int64").reshape(len(rows), len(CUSTODY_COUNTS))
    out = {"asset_class": classes, **{name: counts[:, i] for i, name in enumerate(CUSTODY_COUNTS)}}
    assets = np.where(counts[:, 0] > 0, counts[:, 0], np.nan)
    out["custody"], out["ownership"] = counts[:, 1] / assets, counts[:, 2] / assets
    return pd.DataFrame(out, index=pd.RangeIndex(len(rows)), copy=False)


def asset_income_years_frame(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None
                             ) -> pd.DataFrame:
    """Operating-asset income per year up to ``as_of``'s year and per ``group`` (``all`` assets or
    ``pv`` stations, seeds/003 八): income and its distribution (yuan), income records.

    The prefecture's or a county's come from the ``asset_income_year`` summary (a few dozen rows,
    whatever the years of records behind them: the largest county at scale 10, SQLite 17 -> 3 ms,
    PostgreSQL 19 -> 4; with the statement built once and the frame made from the rows, 0.6 and
    1.0 ms); a township's or a village's sum their raw records (:func:`raw_asset_income_years`)."""
    require_scope(scope)
    as_of = as_date(as_of)
    level, info = region_level(engine, scope, region)
    if level in ("township", "village"):
        return raw_asset_income_years(engine, scope, as_of, region=region)
    place = info[1] if level == "county" else None
    rows = read_rows(engine, _income_summary_statement(scope, level), {"place": place, "year": as_of.year})
    return _income_years(rows)


@functools.lru_cache(maxsize=64)
def _income_summary_statement(scope: Scope, level: str):
    """The statement of :func:`asset_income_years_frame` from the summary for one scope and level
    (``city``, ``county`` or ``unknown``), built and compiled once: ``place`` (the county) and
    ``year`` (the last year) come as parameters."""
    y = AssetIncomeYear
    where = place_condition(level, county=y.county_code)

    def per_year(group: str, *only):
        return (select(literal(group).label("group"), y.year, fen_sum(y.records, "records"),
                       *(fen_sum(getattr(y, name), name) for name in INCOME_AMOUNTS))
                .where(scope.clause(y.county_code), where, y.year <= bindparam("year", type_=Integer()), *only)
                .group_by(y.year))

    return union_all(per_year("all"), per_year("pv", y.pv == 1))


def _income_years(rows: list) -> pd.DataFrame:
    """The rows of an income statement (group, year, records, amounts in fen) as the read's frame,
    by group and year, amounts in yuan: made column by column from the rows (pandas' casts,
    renames and sort took two thirds of a county's summary read)."""
    rows = sorted(rows, key=lambda row: (row[0], row[1]))
    out = columns_frame(rows, ["group", "year", "records", *INCOME_AMOUNTS], ints=("year", "records"),
                        yuan=INCOME_AMOUNTS)
    if rows:  # text as pandas makes it of a query's rows (an empty frame's stays object, as there)
        out["group"] = out["group"].astype("str")
    return out


def raw_asset_income_years(engine: Engine, scope: Scope, as_of: dt.date | str, *, region: str | None = None
                           ) -> pd.DataFrame:
    """:func:`asset_income_years_frame` summed over the raw income records (a township's or a
    village's read, and the reference the summary is checked against)."""
    require_scope(scope)
    as_of = as_date(as_of)
    i = AssetIncome
    if _below_county(engine, scope, region):  # a village's records are found through their assets
        source = i.__table__.join(Asset.__table__, Asset.id == i.asset_id)
        where = (region_condition(engine, scope, region, county=i.county_code, village=Asset.village_code),)
        pv = Asset.subtype == PV_SUBTYPE
    else:
        # An income record's county is its asset's (taken from the asset on import, and an asset's
        # code never moves to another county: problem ``key_elsewhere``), so the prefecture's or a
        # county's records are read from their own county index, and the region's photovoltaic
        # stations are looked up once instead of every record's asset (a county at scale 10 with
        # the covering index of migration 0015: 38 -> 25 ms on SQLite, 48 -> 25 ms on PostgreSQL).
        source = i.__table__
        where = (region_condition(engine, scope, region, county=i.county_code),)
        pv = i.asset_id.in_(select(Asset.id).where(region_condition(engine, scope, region, county=Asset.county_code),
                                                   Asset.subtype == PV_SUBTYPE))

    def per_year(group: str, *only):
        # Each group per year on its own, in the index's order of years: grouping by year and
        # station together sorted every record of the county (22 -> 14 ms for both on SQLite).
        return (select(literal(group).label("group"), i.year, func.count(i.id).label("records"),
                       *(fen_sum(getattr(i, name), name) for name in INCOME_AMOUNTS))
                .select_from(source).where(*where, i.year <= as_of.year, *only).group_by(i.year))

    with reader(engine).connect() as conn:
        return _income_years(conn.execute(union_all(per_year("all"), per_year("pv", pv))).all())


__all__ = [
    "AGE_BUCKETS", "ALERT_MULTIPLE_TENTHS", "CASE_STATES", "INCOME_BIN_CAP", "INTEGRATION_YEARS", "PERIOD_END",
    "PERIOD_START", "TRANSITION_SORTS", "WAIT_BUCKETS", "alert_lines_frame", "asset_custody_frame",
    "asset_income_years_frame", "assets_formed_frame",
    "case_age_frame", "continuity_funds_frame", "identification_clock_frame", "income_alert_frame", "may_be_late",
    "measure_mix_frame", "measure_wait_frame", "monitoring_flow_frame", "monitoring_mix_frame", "open_cases_frame",
    "poverty_counties", "raw_asset_custody_frame", "raw_assets_formed_frame", "raw_case_age_frame",
    "raw_income_alert_frame", "raw_measure_mix_frame",
    "raw_measure_wait_frame", "raw_monitoring_flow_frame", "raw_monitoring_mix_frame", "raw_open_cases_frame",
    "transition_households_frame", "village_types_frame",
]
