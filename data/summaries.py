"""The summary tables and the triggers that keep them equal to the raw tables.

Why: a page asks for a year's disbursement pace or the loans outstanding on a date.  Summed over
the raw rows, that costs time in proportion to the years of history held (a county x month sum
over ten million payments took seconds in SQLite).  The summaries hold the same figures already
grouped, so a read touches rows in proportion to what it shows.

What (models in :mod:`fundwatch.data.models.summaries`):

- ``disbursement_month``: payments and amount per county, year, month (``ym``), source level
  and programme.  A pace up to a month end is a sum over at most twelve months of it; a date
  inside a month adds the raw payments of that partial month (one index range).
- ``loan_year_end``: loans outstanding (count, amount) at each year end of
  :data:`CALENDAR_YEARS` per county, programme, bank, borrower type and status.
- ``loan_month_flow``: loans issued and loans ended (repaid) per month with the same keys.
  The position on any date is the previous year end's snapshot, plus the month flows since,
  plus the raw loans issued or repaid in the last, partial month (two index ranges).  A loan
  "ends" on ``max(issued_on, repaid_on)``, which is exactly when the raw test
  ``issued_on <= d and (repaid_on is null or repaid_on > d)`` stops holding.
- ``loan_total_year_end`` and ``loan_total_month_flow`` (migration 0024): the same per county,
  programme and status only (:data:`LOAN_TOTAL_KEYS`), kept by the same triggers.  The reads
  grouped by county or programme (the leverage, the loans by county) add up a few rows per
  county instead of one per bank and borrower type: the prefecture's position in the middle of
  a year was 10,400 rows of the full grain, 850 of these.

- ``loan_total_day`` (migration 0038): the loans outstanding moving per county, day, programme
  and status (:class:`DayEvents` kept by day alone, :data:`LOAN_TOTAL_DAY`: a loan +1 with its
  amount on its issue day, -1 on the day it ends).  A read of the loans' totals for a day inside a
  month takes the month's days up to it from here instead of the raw loans issued or repaid in
  the month so far; a read by bank or borrower type still reads those.

- ``asset_year``: assets and their value per county, year formed, class, subtype, status and
  whether the asset lacks an owner or a custodian (migration 0006): the asset mix of a county or
  the prefecture up to a year is a sum over a few hundred rows, whatever the number of assets.

- ``disbursement_category_month`` (migration 0012): payments and amount per programme, category
  of the project paid, county, year and month.  A payment's category is its project's, so besides
  the triggers on ``disbursement`` one on ``project`` moves a project's payments from its old
  category to its new one when the category changes (a project with payments cannot be deleted:
  the foreign key refuses it).

- ``household_year_end`` and ``household_month_flow`` (migration 0009): households and members
  per status (pending, monitored, eliminated) at each year end, and entering or leaving a status
  per month, per county, township, village and category.  Each household counts under its village,
  under ``village_code = ''`` (its township's total) and under ``township_code = village_code = ''``
  (its county's total, migration 0013).  A status is held over a span of days
  ``[start, stop)`` (:func:`_household_spans`), read like the loans: snapshot, month flows, and the
  partial last month's days of ``household_status_day`` (below).

- ``record_count`` (migration 0018): the rows of each drill-down record list (:data:`RECORD_LISTS`:
  projects, loans, assets, and the households found) per county, the lists' totals for a county
  or the prefecture.

- ``household.first_measure_on`` and ``household.first_measure_days`` (migration 0021): the start
  of a household's earliest assistance measure and the days from its identification to it, kept
  on the household's own row (not a table of their own: ``ix_household_county`` holds them, so the
  transition page's wait for a first measure reads a county's households from that index alone,
  instead of seeking each one's measures and working out the days between two dates per row:
  the largest county at scale 10, the read: SQLite 19.7 -> 6.9 ms, PostgreSQL 24.4 -> 7.4 ms).  Triggers on
  ``assistance_measure`` set the first measure of the households whose measures a statement
  wrote; one on ``household`` (an update of either date) sets the days.

- ``asset_place_year`` (migration 0033): assets not disposed per county, township, village, year
  formed and class, with their value and how many lack a custodian or an owner or stand idle or
  damaged.  Each asset of a village counts under its village and under ``village_code = ''`` (its
  township's total, the township being the village's parent in the region table).  The county
  page's ranking of townships and a township's of villages, and a township's assets by class, sum
  a few rows per place and year instead of every asset of the county (kept by row triggers on
  ``asset``).

- ``asset_formed_year``, ``asset_formed_month`` and ``asset_formed_day`` (migration 0034): assets
  per county, class, status and whether each lacks a custodian or an owner, by the year, month and
  day they were formed (:class:`DayEvents`, an asset's one event its forming): count and value.
  The transition page's assets formed by a date (per year and class) and their custody (per class,
  not disposed) are the years before the date's, its year's whole months and the days after them,
  where ``asset_year`` gave the whole years and every asset formed in the date's year so far was
  read raw.

- ``disbursement_day`` (migration 0036): payments per budget year, month, county, day paid, source
  level and programme.  A day inside a month takes the partial month's payments from it (the days
  of the month up to the day) instead of from the raw payments: at ten times the demo, 17 June, the
  prefecture's 9,800 payments of the month so far are 1,700 rows, the largest county's 1,200 are
  110.  Kept by row triggers on ``disbursement`` (an update only when a column it is made of
  changes).

- ``household_status_day`` (migration 0037): households entering (+) and leaving (-) each status
  per county, day, township (``''``: the county's total) and category, with their members
  (:class:`DayEvents` kept by day alone, :data:`HOUSEHOLD_STATUS`; the spans of
  :func:`_household_spans`).  A day inside a month takes the month's days up to it from here
  instead of the raw households whose dates fall in the month so far; a village, which it has no
  grain for, still reads those.

- ``asset_income_year`` (migration 0017): operating-asset income records per county, year and
  whether the asset is a photovoltaic station (``pv``): records, income and its distribution.  A
  record's ``pv`` is its asset's, so besides the triggers on ``asset_income`` one on ``asset``
  moves an asset's records when its subtype turns into or out of ``pv_station`` (an asset with
  income records cannot be deleted: the foreign key refuses it).

- ``clock_month`` and ``clock_day`` (migration 0025): the identification clock's events per
  county and month the cases were found (``found_ym``), by the month (``event_ym``) or day
  (``event_on``) they happen: found, judged on time, judged late (:func:`_clock_events`), and the
  found cases whose due date is provisional.  The clock of a year on a day is the months of
  ``clock_month`` up to its last whole month plus the days of ``clock_day`` after it.  Each case is
  judged against its due date in ``workday_due``, the working-day calendar kept in the database
  (:mod:`fundwatch.data.due_dates`, which rebuilds these two when the installed calendar moves a
  due date).

- ``monitoring_year``, ``monitoring_month`` and ``monitoring_day``, ``wait_year``, ``wait_month``
  and ``wait_day`` (migration 0026): the households entering and leaving monitoring per county,
  category and cause, and entering and leaving each wait for a first assistance measure per
  county, by year, month and day (:class:`DayEvents`).  A figure on a day is the years before its
  year, the months of its year up to its last whole month and the days after it.

- ``case_age_year``, ``case_age_month`` and ``case_age_day`` (migration 0027): the open monitoring
  cases entering and leaving each age bucket (time since found) and status (pending
  identification, monitored) per county, kept and read the same way: a case's bucket and status
  change on days of its own (its found date plus each bucket's bound, its identification, the
  elimination of its risk), so the open cases of a county on a date by age need no household.

- ``measure_mix_year``, ``measure_mix_month`` and ``measure_mix_day`` (migration 0028): assistance
  measures started, their households and their amount per county and kind, by year, month and
  day of their start.  A household counts with the earliest of its measures of a kind in its
  county, which ``assistance_measure.first_of_kind`` marks; triggers on ``assistance_measure``
  keep that flag (a measure written, moved or deleted sets its group's flags again), and the
  flag's own update moves the household in the summary.

- ``income_band_year``, ``income_band_month`` and ``income_band_day`` (migration 0029): the
  households on record per county and income band (tenths of the alert line, 1.2 x the dibao
  standard of the county and the household's income year), and those of them under monitoring,
  kept the same way: a household counts in its band from :data:`ON_RECORD` and under monitoring
  from its found date to the elimination of its risk.  Its band depends on its income and one
  dibao standard, so triggers on ``dibao_standard`` move the households of a standard's county and
  year between bands when the standard is written, added or deleted.

How they stay right: triggers on ``disbursement``, ``loan``, ``asset``, ``household``,
``assistance_measure`` and ``dibao_standard`` (SQLite:
three row triggers per table; PostgreSQL: one row trigger function, or statement triggers reading
the transition tables for the households, the loans (migration 0039), the payments by category,
the asset income, the assets formed by day, the loans' totals by day and the record counts, which
also count ``project``) add each
inserted row, subtract each deleted row and do both for an update, in the statement's own
transaction, whatever wrote it: the demo loader, the import pipeline, a test fixture or a database
console; one on ``project`` moves a project's payments when its category changes, one on ``asset``
an asset's income records when it becomes or stops being a photovoltaic station.  A group whose
count falls to zero is deleted, so the summaries hold exactly the groups the raw tables have.
:func:`install` (run by migrations 0005, 0006, 0009, 0012, 0017, 0018, 0025-0029 and 0033-0038, so by ``fundwatch init`` on an
existing database) fills the summaries from the raw rows and creates the triggers; :func:`suspended` drops
the triggers around a bulk load into empty tables (the demo) and rebuilds the summaries in one
pass at the end, in the same transaction.
The raw computations stay in :mod:`fundwatch.data.reads.naive` as the reference the tests and the
benchmark compare against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from sqlalchemy import Connection

from . import generation

#: Year ends held by ``loan_year_end``.  A date after the last one starts from the last
#: snapshot and adds the month flows since; a date before the first adds all flows.
CALENDAR_YEARS = range(2010, 2041)

LOAN_KEYS = ("county_code", "programme", "bank", "borrower_type", "status")
#: The keys of the loan totals (migration 0024): :data:`LOAN_KEYS` without the bank and the borrower type.
LOAN_TOTAL_KEYS = ("county_code", "programme", "status")
#: The loan summaries' grains: (month flow table, year-end table, keys), the full one first.
LOAN_GRAINS = (("loan_month_flow", "loan_year_end", LOAN_KEYS),
               ("loan_total_month_flow", "loan_total_year_end", LOAN_TOTAL_KEYS))
#: A loan month flow's measures (every grain's).
LOAN_FLOW_MEASURES = ("issued_loans", "issued_fen", "ended_loans", "ended_fen")
DISBURSEMENT_KEYS = ("county_code", "year", "ym", "source_level", "programme")
#: The keys of ``disbursement_day`` (migration 0036), in its primary key's order: a partial month's
#: payments of the prefecture or of one county are one range of it.
DISBURSEMENT_DAY_KEYS = ("year", "ym", "county_code", "paid_on", "source_level", "programme")
ASSET_KEYS = ("county_code", "formed_year", "asset_class", "subtype", "status", "no_owner", "no_custodian")
#: The keys of ``asset_place_year`` (migration 0033) and its measures, each a sum over the assets of a group.
ASSET_PLACE_KEYS = ("county_code", "village_code", "formed_year", "asset_class", "township_code")
ASSET_PLACE_MEASURES = ("assets", "value_fen", "no_custodian", "no_owner", "idle_or_damaged")
HOUSEHOLD_KEYS = ("county_code", "township_code", "village_code", "category", "status")
CATEGORY_KEYS = ("programme", "category", "county_code", "year", "ym")
INCOME_KEYS = ("county_code", "year", "pv")
#: An income record's amounts (fen), summed by ``asset_income_year`` beside its ``records``.
INCOME_AMOUNTS = ("income_fen", "to_collective_fen", "to_households_fen", "to_other_fen")
INCOME_MEASURES = ("records", *INCOME_AMOUNTS)
#: The asset subtype whose income records the asset income summary also keeps apart (``pv`` 1).
PV_SUBTYPE = "pv_station"
#: The record lists' tables counted per county by ``record_count``, each with the condition (on a
#: row ``{row}``) of being listed: a household is listed once it was found (the monitored list).
RECORD_LISTS = {"project": "1 = 1", "loan": "1 = 1", "asset": "1 = 1", "household": "{row}.found_on IS NOT NULL"}
#: The summary tables kept per group of triggers, each group named after the raw table it sums
#: (migration 0005: disbursements and loans, 0024 the loans' totals; 0006: assets; 0009:
#: households; 0012: the payments by the category of their project, kept by triggers on
#: ``disbursement`` and ``project``; 0017: the asset income, kept by triggers on ``asset_income``
#: and ``asset``; 0018: the record lists' rows per county, kept by triggers on each table of
#: :data:`RECORD_LISTS`; 0033: the assets by place and 0034 the assets formed by day, both kept
#: by triggers on ``asset``; 0036: the payments by day, kept by triggers on ``disbursement``; 0037:
#: the households' status changes by day, kept by triggers on ``household``; 0038: the loans' totals
#: by day, kept by triggers on ``loan``; the groups of
#: :data:`DAY_EVENTS` are kept by triggers on their :data:`SOURCE_TABLES` table).
TABLES = {
    "disbursement": ("disbursement_month",),
    "loan": tuple(table for flow, snapshot, _ in LOAN_GRAINS for table in (flow, snapshot)),
    "asset": ("asset_year",),
    "household": ("household_month_flow", "household_year_end"),
    "disbursement_category": ("disbursement_category_month",),
    "asset_income": ("asset_income_year",),
    "records": ("record_count",),
    "first_measure": (),  # two columns of ``household``: see :data:`KEPT_COLUMNS`
    "clock": ("clock_month", "clock_day"),
    "monitoring": ("monitoring_year", "monitoring_month", "monitoring_day"),
    "wait": ("wait_year", "wait_month", "wait_day"),
    "case_age": ("case_age_year", "case_age_month", "case_age_day"),
    "first_of_kind": (),  # a column of ``assistance_measure``: see :data:`KEPT_COLUMNS`
    "measure_mix": ("measure_mix_year", "measure_mix_month", "measure_mix_day"),
    "income_band": ("income_band_year", "income_band_month", "income_band_day"),
    "asset_place": ("asset_place_year",),
    "asset_formed": ("asset_formed_year", "asset_formed_month", "asset_formed_day"),
    "disbursement_day": ("disbursement_day",),
    "household_status": ("household_status_day",),
    "loan_total": ("loan_total_day",),
}
#: Columns of raw tables that triggers keep, per group (the group has no table of its own).
KEPT_COLUMNS = {"first_measure": ("household", ("first_measure_on", "first_measure_days")),
                "first_of_kind": ("assistance_measure", ("first_of_kind",))}
#: The household columns the household summaries and record counts are made of: an update that
#: changes none of them (the five checks, the first measure kept above) leaves the summaries
#: alone (SQLite: the update triggers fire on these columns only; PostgreSQL: the update's
#: statement trigger returns at once when no row changed in them).
HOUSEHOLD_SUMMED = ("county_code", "township_code", "village_code", "category", "members", "found_on",
                    "identified_on", "risk_eliminated_on")
#: The table whose rows each group of triggers sums, where it is not the group's own name, and the
#: table whose change moves summed rows between groups (the group's extra trigger, ``<name>_<table>``).
SOURCE_TABLES = {"disbursement_category": "disbursement", "clock": "household", "monitoring": "household",
                 "wait": "household", "case_age": "household", "first_of_kind": "assistance_measure",
                 "measure_mix": "assistance_measure", "income_band": "household", "asset_place": "asset",
                 "asset_formed": "asset", "disbursement_day": "disbursement", "household_status": "household",
                 "loan_total": "loan"}
#: The household columns the identification clock's summaries are made of (see :data:`HOUSEHOLD_SUMMED`).
CLOCK_SUMMED = ("county_code", "found_on", "identified_on", "entered_on")
#: The identification clock's measures, every one a count of cases (``clock_month``, ``clock_day``).
CLOCK_MEASURES = ("found", "on_time", "late", "provisional")
MOVE_TABLES = {"disbursement_category": "project", "asset_income": "asset"}
#: Days from identification to the first assistance measure: (key, upper bound in days), the
#: transition page's wait buckets (``wait_year``, ``wait_month``, ``wait_day``).
WAIT_BUCKETS = (("d7", 7), ("d15", 15), ("d30", 30), ("d60", 60), ("d60plus", None))
#: Open monitoring cases by time since found: (key, upper bound in days), the transition page's
#: case ages (``case_age_year``, ``case_age_month``, ``case_age_day``).
AGE_BUCKETS = (("m1", 30), ("m3", 91), ("m6", 182), ("m12", 365), ("m24", 730), ("m24plus", None))
#: The income alert line in tenths of the dibao standard (1.2 x, seeds/003 二(一)), and the last
#: income band (:data:`INCOME_BAND`): bands are tenths of the line, three times it and above share the last.
ALERT_MULTIPLE_TENTHS = 12
INCOME_BIN_CAP = 30
#: The day every household on record counts from in :data:`INCOME_BAND` (before any date a page asks for).
ON_RECORD = "1900-01-01"
#: Groups made of columns that another group's triggers keep (the wait of :data:`KEPT_COLUMNS`'
#: first measure, the measure mix of its first of a kind): a rebuild fills them after those columns.
AFTER_KEPT = ("wait", "measure_mix")
SOURCES = tuple(TABLES)
SUMMARY_TABLES = tuple(table for tables in TABLES.values() for table in tables)


def summaries_of(table: str) -> tuple[str, ...]:
    """The summary tables made of the rows of raw ``table`` (``disbursement``: the month and the
    category summaries)."""
    return tuple(summary for source, tables in TABLES.items() if SOURCE_TABLES.get(source, source) == table
                 for summary in tables)


def _date(dialect: str, text: str) -> str:
    return f"DATE '{text}'" if dialect == "postgresql" else f"'{text}'"


def _ym(dialect: str, expr: str) -> str:
    if dialect == "postgresql":
        return f"CAST(to_char({expr}, 'YYYYMM') AS INTEGER)"
    return f"CAST(strftime('%Y%m', {expr}) AS INTEGER)"


def _year(dialect: str, expr: str) -> str:
    if dialect == "postgresql":
        return f"CAST(EXTRACT(YEAR FROM {expr}) AS INTEGER)"
    return f"CAST(strftime('%Y', {expr}) AS INTEGER)"


def _asset_values(dialect: str, row: str) -> str:
    """The :data:`ASSET_KEYS` of an asset row: its county, year formed, class, subtype, status and
    whether it lacks an owner or a custodian (1/0)."""
    return (f"{row}.county_code, {_year(dialect, f'{row}.formed_on')}, {row}.asset_class, {row}.subtype, "
            f"{row}.status, CASE WHEN {row}.owner IS NULL THEN 1 ELSE 0 END, "
            f"CASE WHEN {row}.custodian IS NULL THEN 1 ELSE 0 END")


def _calendar(dialect: str) -> str:
    years = " UNION ALL ".join(f"SELECT {_date(dialect, f'{y}-12-31')} AS year_end" for y in CALENDAR_YEARS)
    return f"({years})"


def _ends(row: str) -> str:
    """The day a loan stops being outstanding (NULL while it is not repaid)."""
    return (f"CASE WHEN {row}.repaid_on IS NULL THEN NULL WHEN {row}.repaid_on > {row}.issued_on "
            f"THEN {row}.repaid_on ELSE {row}.issued_on END")


def _upsert(table: str, keys: tuple[str, ...], measures: tuple[str, ...]) -> str:
    adds = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in measures)
    return f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {adds}"


def _same(row: str, keys: tuple[str, ...]) -> str:
    return " AND ".join(f"{k} = {row}.{k}" for k in keys)


def _payment_statements(table: str, keys: tuple[str, ...], row: str, sign: int) -> list[str]:
    """A payment ``row`` added to (``sign`` 1) or taken away from (-1) its group of ``keys`` (its
    own columns) in the payment summary ``table``; a group emptied by it deleted."""
    out = [f"INSERT INTO {table} ({', '.join(keys)}, payments, amount_fen) "
           f"SELECT {', '.join(f'{row}.{k}' for k in keys)}, {sign}, {sign} * {row}.amount_fen WHERE 1 = 1 "
           + _upsert(table, keys, ("payments", "amount_fen"))]
    if sign < 0:
        out.append(f"DELETE FROM {table} WHERE {_same(row, keys)} AND payments = 0")
    return out


def _payments_grouped(table: str, keys: tuple[str, ...]) -> str:
    """The statement filling the payment summary ``table`` from every payment, grouped by ``keys``."""
    grain = ", ".join(keys)
    return (f"INSERT INTO {table} ({grain}, payments, amount_fen) "
            f"SELECT {grain}, COUNT(*), SUM(amount_fen) FROM disbursement GROUP BY {grain} ORDER BY {grain}")


def _disbursement_statements(dialect: str, row: str, sign: int) -> list[str]:
    return _payment_statements("disbursement_month", DISBURSEMENT_KEYS, row, sign)


def _loan_grains(totals: bool) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """The grains kept: both, or (``totals`` false, before migration 0024) the full one alone."""
    return LOAN_GRAINS if totals else LOAN_GRAINS[:1]


def _loan_statements(dialect: str, row: str, sign: int, totals: bool = True) -> list[str]:
    measures = LOAN_FLOW_MEASURES
    issued_ym, ended_ym = _ym(dialect, f"{row}.issued_on"), _ym(dialect, _ends(row))
    out = []
    for flow, snapshot, keys in _loan_grains(totals):
        values = ", ".join(f"{row}.{k}" for k in keys)
        flow_keys, snapshot_keys = ("ym", *keys), ("year_end", *keys)
        out += [
            f"INSERT INTO {flow} ({', '.join(flow_keys)}, {', '.join(measures)}) "
            f"SELECT {issued_ym}, {values}, {sign}, {sign} * {row}.amount_fen, 0, 0 WHERE 1 = 1 "
            + _upsert(flow, flow_keys, measures),
            f"INSERT INTO {flow} ({', '.join(flow_keys)}, {', '.join(measures)}) "
            f"SELECT {ended_ym}, {values}, 0, 0, {sign}, {sign} * {row}.amount_fen WHERE {row}.repaid_on IS NOT NULL "
            + _upsert(flow, flow_keys, measures),
            f"INSERT INTO {snapshot} ({', '.join(snapshot_keys)}, loans, amount_fen) "
            f"SELECT c.year_end, {values}, {sign}, {sign} * {row}.amount_fen FROM {_calendar(dialect)} AS c "
            f"WHERE {row}.issued_on <= c.year_end AND ({row}.repaid_on IS NULL OR {row}.repaid_on > c.year_end) "
            + _upsert(snapshot, snapshot_keys, ("loans", "amount_fen")),
        ]
        if sign < 0:
            out.append(f"DELETE FROM {flow} WHERE {_same(row, keys)} AND ym IN ({issued_ym}, "
                       f"COALESCE({ended_ym}, {issued_ym})) AND issued_loans = 0 AND ended_loans = 0")
            out.append(f"DELETE FROM {snapshot} WHERE {_same(row, keys)} AND loans = 0")
    return out


def _asset_statements(dialect: str, row: str, sign: int) -> list[str]:
    keys = ASSET_KEYS
    out = [
        f"INSERT INTO asset_year ({', '.join(keys)}, assets, value_fen) "
        f"SELECT {_asset_values(dialect, row)}, {sign}, {sign} * {row}.value_fen WHERE 1 = 1 "
        + _upsert("asset_year", keys, ("assets", "value_fen"))
    ]
    if sign < 0:
        out.append(f"DELETE FROM asset_year WHERE ({', '.join(keys)}) = ({_asset_values(dialect, row)}) "
                   f"AND assets = 0")
    return out


#: The columns of an asset that place it in ``asset_place_year``: an update of none of them leaves it alone.
ASSET_PLACED = ("county_code", "village_code", "formed_on", "asset_class", "value_fen", "custodian", "owner", "status")


def _asset_place_rows(dialect: str, row: str, sign: int, source: str = "") -> str:
    """The SELECT of the ``asset_place_year`` rows (:data:`ASSET_PLACE_KEYS`, then
    :data:`ASSET_PLACE_MEASURES`) that the asset ``row`` adds (``sign`` 1) or takes away (-1); with
    ``source`` (``asset AS a``, ``row`` ``a``) those of every asset, one row per asset and grain,
    to be grouped.  An asset counts only if it has a village and is not disposed, as
    :func:`fundwatch.data.reads.naive.asset_mix_frame` counts it, twice: under its village
    (``g.whole`` 0) and under ``village_code = ''`` (1).  Its township is its village's parent
    when the region table holds the village in the asset's county (``''`` otherwise)."""
    places = "(SELECT 0 AS whole UNION ALL SELECT 1) AS g"
    return (f"SELECT {row}.county_code AS county_code, "
            f"CASE WHEN g.whole = 1 THEN '' ELSE {row}.village_code END AS village_code, "
            f"{_year(dialect, f'{row}.formed_on')} AS formed_year, {row}.asset_class AS asset_class, "
            f"COALESCE(r.parent_code, '') AS township_code, {sign} AS assets, {sign} * {row}.value_fen AS value_fen, "
            f"CASE WHEN {row}.asset_class = 'public_welfare' AND {row}.custodian IS NULL THEN {sign} ELSE 0 END "
            f"AS no_custodian, CASE WHEN {row}.owner IS NULL THEN {sign} ELSE 0 END AS no_owner, "
            f"CASE WHEN {row}.status IN ('idle', 'damaged') THEN {sign} ELSE 0 END AS idle_or_damaged "
            f"FROM {f'{source} CROSS JOIN ' if source else ''}{places} "
            f"LEFT JOIN region AS r ON r.code = {row}.village_code AND r.level = 'village' "
            f"AND r.county_code = {row}.county_code "
            f"WHERE {row}.village_code IS NOT NULL AND {row}.status <> 'disposed'")


def _asset_place_statements(dialect: str, row: str, sign: int) -> list[str]:
    keys, measures = ASSET_PLACE_KEYS, ASSET_PLACE_MEASURES
    out = [f"INSERT INTO asset_place_year ({', '.join(keys)}, {', '.join(measures)}) "
           f"{_asset_place_rows(dialect, row, sign)} " + _upsert("asset_place_year", keys, measures)]
    if sign < 0:
        out.append(f"DELETE FROM asset_place_year WHERE county_code = {row}.county_code "
                   f"AND village_code IN ({row}.village_code, '') "
                   f"AND formed_year = {_year(dialect, f'{row}.formed_on')} "
                   f"AND asset_class = {row}.asset_class AND assets = 0")
    return out


#: The columns of a payment that place it in ``disbursement_day``: an update of none of them leaves it alone.
DISBURSEMENT_PAID = (*DISBURSEMENT_DAY_KEYS, "amount_fen")


def _disbursement_day_statements(dialect: str, row: str, sign: int) -> list[str]:
    return _payment_statements("disbursement_day", DISBURSEMENT_DAY_KEYS, row, sign)


def _changed_row_trigger_ddl(dialect: str, name: str, table: str, statements, columns: tuple[str, ...]) -> list[str]:
    """Row triggers on ``table`` running ``statements(dialect, row, sign)``: a row's summary rows
    added as it is written, taken away as it is deleted, and on an update taken away as it was and
    added as it is, only when one of ``columns`` (those the summary is made of) changed value."""
    if dialect == "sqlite":
        return _sqlite_row_triggers(name, table, partial(statements, dialect), update_of=", ".join(columns),
                                    changed_only=True)
    if dialect != "postgresql":
        raise NotImplementedError(f"summary triggers for {dialect}")

    def body(row: str, sign: int) -> str:
        return " ".join(statement + ";" for statement in statements(dialect, row, sign))

    return [f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP IN ('DELETE', 'UPDATE') THEN {body('OLD', -1)} END IF; "
            f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {body('NEW', 1)} END IF; RETURN NULL; END $$",
            f"CREATE TRIGGER {name} AFTER INSERT OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
            f"CREATE TRIGGER {name}_update AFTER UPDATE OF {', '.join(columns)} ON {table} FOR EACH ROW "
            f"WHEN ({' OR '.join(f'OLD.{c} IS DISTINCT FROM NEW.{c}' for c in columns)}) "
            f"EXECUTE FUNCTION {name}()"]


#: The groups kept by :func:`_changed_row_trigger_ddl` (on their :data:`SOURCE_TABLES` table): the
#: statements of a row and the columns it is summed by.  An import that writes a row again
#: unchanged moves nothing (on PostgreSQL 20,000 assets updated took 2.1-2.8 s without the asset
#: place's triggers, 6.1-6.4 s with them, whatever the values).
CHANGED_ROW_TRIGGERED = {"asset_place": (_asset_place_statements, ASSET_PLACED),
                         "disbursement_day": (_disbursement_day_statements, DISBURSEMENT_PAID)}


def _household_spans(row: str, source: str = "") -> str:
    """A household's monitoring statuses as day spans ``[start, stop)`` (``stop`` NULL: open):
    a derived table of rows ``(county_code, township_code, village_code, category, members,
    status, start, stop)``, one per status the household ever holds (``source``: ``FROM`` the
    raw table for a rebuild, empty for a trigger's row).  The spans follow
    :func:`fundwatch.data.reads.households.household_status` exactly: from ``found_on`` a
    household is eliminated once ``risk_eliminated_on`` has come, else monitored once
    ``identified_on`` has come, else pending."""
    f, i, e = (f"{row}.{c}" for c in ("found_on", "identified_on", "risk_eliminated_on"))
    first_of_i_e = f"CASE WHEN {i} IS NULL THEN {e} WHEN {e} IS NULL THEN {i} WHEN {i} < {e} THEN {i} ELSE {e} END"
    monitored_from = f"CASE WHEN {i} > {f} THEN {i} ELSE {f} END"
    eliminated_from = f"CASE WHEN {e} > {f} THEN {e} ELSE {f} END"
    keys = (f"SELECT {row}.county_code AS county_code, {row}.township_code AS township_code, "
            f"{row}.village_code AS village_code, COALESCE({row}.category, '') AS category, {row}.members AS members")
    return (f"({keys}, 'pending' AS status, {f} AS start, {first_of_i_e} AS stop {source} "
            f"WHERE {f} IS NOT NULL AND ({i} IS NULL OR {i} > {f}) AND ({e} IS NULL OR {e} > {f}) "
            f"UNION ALL {keys}, 'monitored', {monitored_from}, {e} {source} "
            f"WHERE {f} IS NOT NULL AND {i} IS NOT NULL AND ({e} IS NULL OR {e} > {monitored_from}) "
            f"UNION ALL {keys}, 'eliminated', {eliminated_from}, NULL {source} "
            f"WHERE {f} IS NOT NULL AND {e} IS NOT NULL)")


def _household_parts(dialect: str, row: str, sign: int, source: str = "", counties: bool = True
                     ) -> dict[str, str]:
    """SELECTs of the summary rows a household adds (``sign`` 1) or takes away (-1); with
    ``source`` those of every household (a rebuild).  Each household counts three times: under
    its village (``g.whole = 0``), under ``village_code = ''`` (its township's total, 1) and under
    ``township_code = village_code = ''`` (its county's total, 2; migration 0013; not with
    ``counties`` false, the grains before it, which its downgrade restores)."""
    keys = ("s.county_code AS county_code, CASE WHEN g.whole = 2 THEN '' ELSE s.township_code END AS township_code, "
            "CASE WHEN g.whole > 0 THEN '' ELSE s.village_code END AS village_code, s.category AS category, "
            "s.status AS status")
    spans = (f"{_household_spans(row, source)} AS s "
             f"CROSS JOIN (SELECT 0 AS whole UNION ALL SELECT 1{' UNION ALL SELECT 2' if counties else ''}) AS g")
    return {
        "in": f"SELECT {_ym(dialect, 's.start')} AS ym, {keys}, {sign} AS hi, {sign} * s.members AS mi, "
              f"0 AS ho, 0 AS mo FROM {spans} WHERE 1 = 1",
        "out": f"SELECT {_ym(dialect, 's.stop')} AS ym, {keys}, 0 AS hi, 0 AS mi, {sign} AS ho, "
               f"{sign} * s.members AS mo FROM {spans} "
               f"WHERE s.stop IS NOT NULL",
        "year_end": f"SELECT c.year_end AS year_end, {keys}, {sign} AS h, {sign} * s.members AS m FROM {spans} "
                    f"CROSS JOIN {_calendar(dialect)} AS c "
                    f"WHERE s.start <= c.year_end AND (s.stop IS NULL OR s.stop > c.year_end)",
    }


def _household_statements(dialect: str, row: str, sign: int, counties: bool = True) -> list[str]:
    keys = HOUSEHOLD_KEYS
    flow_keys, flow_measures = ("ym", *keys), ("households_in", "members_in", "households_out", "members_out")
    snapshot_keys = ("year_end", *keys)
    parts = _household_parts(dialect, row, sign, counties=counties)
    flow = f"INSERT INTO household_month_flow ({', '.join(flow_keys)}, {', '.join(flow_measures)}) "
    out = [
        flow + parts["in"] + " " + _upsert("household_month_flow", flow_keys, flow_measures),
        flow + parts["out"] + " " + _upsert("household_month_flow", flow_keys, flow_measures),
        f"INSERT INTO household_year_end ({', '.join(snapshot_keys)}, households, members) " + parts["year_end"]
        + " " + _upsert("household_year_end", snapshot_keys, ("households", "members")),
    ]
    if sign < 0:
        place = (f"county_code = {row}.county_code AND township_code IN ({row}.township_code, '') "
                 f"AND category = COALESCE({row}.category, '')")
        out.append(f"DELETE FROM household_month_flow WHERE {place} AND households_in = 0 AND households_out = 0")
        out.append(f"DELETE FROM household_year_end WHERE {place} AND households = 0")
    return out


_STATEMENTS = {"disbursement": _disbursement_statements, "loan": _loan_statements, "asset": _asset_statements,
               "household": _household_statements}


def _household_grouped(dialect: str, signed_sources: list[tuple[int, str]], counties: bool = True) -> list[str]:
    """The household summary statements of one PostgreSQL statement trigger, or of a rebuild (the
    whole table, ``FROM household AS h`` with sign 1, into emptied summaries): the changes of all
    the statement's rows (``signed_sources``: the transition tables, ``FROM new_rows AS h`` with
    sign 1, ``FROM old_rows AS h`` with -1) grouped first, so each summary row is written once per
    statement instead of once per household (a row trigger made a 50,000-household import more
    than three times slower on PostgreSQL: every household rewrote ~60 rows, and the versions of
    a row rewritten many times in one transaction pile up).  The rows go in in their keys' order,
    as :meth:`DayEvents.grouped`'s: a county's year end lies on a few pages of PostgreSQL's heap."""
    keys = ", ".join(HOUSEHOLD_KEYS)
    parts = [_household_parts(dialect, "h", sign, source, counties) for sign, source in signed_sources]
    flow_keys, flow_measures = ("ym", *HOUSEHOLD_KEYS), ("households_in", "members_in", "households_out", "members_out")
    snapshot_keys = ("year_end", *HOUSEHOLD_KEYS)
    events = " UNION ALL ".join(f"{p['in']} UNION ALL {p['out']}" for p in parts)
    spans = " UNION ALL ".join(p["year_end"] for p in parts)
    return [
        f"INSERT INTO household_month_flow (ym, {keys}, {', '.join(flow_measures)}) "
        f"SELECT ym, {keys}, SUM(hi), SUM(mi), SUM(ho), SUM(mo) FROM ({events}) AS events GROUP BY ym, {keys} "
        f"ORDER BY ym, {keys} " + _upsert("household_month_flow", flow_keys, flow_measures),
        f"INSERT INTO household_year_end (year_end, {keys}, households, members) "
        f"SELECT year_end, {keys}, SUM(h), SUM(m) FROM ({spans}) AS spans GROUP BY year_end, {keys} "
        f"ORDER BY year_end, {keys} " + _upsert("household_year_end", snapshot_keys, ("households", "members")),
    ]


def _category_insert(select: str) -> str:
    keys = ", ".join(CATEGORY_KEYS)
    return (f"INSERT INTO disbursement_category_month ({keys}, payments, amount_fen) {select} "
            + _upsert("disbursement_category_month", CATEGORY_KEYS, ("payments", "amount_fen")))


def _category_grouped(signed_sources: list[tuple[int, str]]) -> str:
    """The statement adding the payments of ``signed_sources`` (``(sign, "FROM <rows> AS d")``) to
    ``disbursement_category_month``, grouped first: a rebuild (the whole table) or a PostgreSQL
    statement trigger (its transition tables).  Payments whose project is missing add nothing, on
    every path alike (the foreign key makes that impossible anyway)."""
    rows = " UNION ALL ".join(
        f"SELECT d.programme, p.category, d.county_code, d.year, d.ym, {sign} AS n, {sign} * d.amount_fen AS fen "
        f"{source} JOIN project AS p ON p.id = d.project_id" for sign, source in signed_sources)
    keys = ", ".join(CATEGORY_KEYS)
    return _category_insert(f"SELECT {keys}, SUM(n), SUM(fen) FROM ({rows}) AS c GROUP BY {keys}")


def _category_row_statements(row: str, sign: int) -> list[str]:
    """SQLite: one payment ``row`` added (``sign`` 1) or taken away (-1), under its project's category."""
    out = [_category_insert(
        f"SELECT {row}.programme, p.category, {row}.county_code, {row}.year, {row}.ym, {sign}, "
        f"{sign} * {row}.amount_fen FROM project AS p WHERE p.id = {row}.project_id")]
    if sign < 0:
        out.append(f"DELETE FROM disbursement_category_month WHERE "
                   f"{_same(row, ('programme', 'county_code', 'year', 'ym'))} AND payments = 0")
    return out


def _category_move_statements() -> list[str]:
    """A project's payments moved from its ``OLD`` category to its ``NEW`` one (trigger body on
    ``project``, either backend)."""
    def moved(row: str, sign: int) -> str:
        return _category_insert(
            f"SELECT d.programme, {row}.category, d.county_code, d.year, d.ym, {sign} * COUNT(*), "
            f"{sign} * SUM(d.amount_fen) FROM disbursement AS d WHERE d.project_id = {row}.id "
            f"GROUP BY d.programme, d.county_code, d.year, d.ym")
    return [moved("OLD", -1), moved("NEW", 1),
            "DELETE FROM disbursement_category_month WHERE category = OLD.category AND payments = 0"]


def _category_trigger_ddl(dialect: str) -> list[str]:
    keys = "programme, county_code, year, ym"
    return _moving_summary_ddl(
        dialect, "fw_summary_disbursement_category", "disbursement", "d", _category_grouped,
        _category_row_statements, tidy=(f"DELETE FROM disbursement_category_month WHERE payments = 0 "
                                        f"AND ({keys}) IN (SELECT DISTINCT {keys} FROM old_rows)"),
        mover="project", column="category", move=_category_move_statements(),
        changed={"postgresql": "OLD.category IS DISTINCT FROM NEW.category",
                 "sqlite": "OLD.category IS NOT NEW.category"})


def _moving_summary_ddl(dialect: str, name: str, table: str, alias: str, grouped, row_statements, *, tidy: str,
                        mover: str, column: str, move: list[str], changed: dict[str, str]) -> list[str]:
    """The triggers of a summary whose rows take one of their keys from a row of another table (a
    payment's category from its project, an income record's ``pv`` from its asset): on ``table``,
    PostgreSQL statement triggers (``grouped``, then ``tidy``) or SQLite row triggers
    (``row_statements(row, sign)``), and on ``mover`` one that runs ``move`` when ``column``
    changes as ``changed`` (an SQL condition on ``OLD`` and ``NEW`` per dialect) says."""
    body = " ".join(f"{statement};" for statement in move)
    if dialect == "postgresql":
        out = _statement_triggers(name, table, alias, lambda sources: [grouped(sources)], [tidy])
        return [*out,
                f"CREATE OR REPLACE FUNCTION {name}_{mover}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"{body} RETURN NULL; END $$",
                f"CREATE TRIGGER {name}_{mover} AFTER UPDATE OF {column} ON {mover} FOR EACH ROW "
                f"WHEN ({changed[dialect]}) EXECUTE FUNCTION {name}_{mover}()"]
    if dialect != "sqlite":
        raise NotImplementedError(f"summary triggers for {dialect}")
    return [*_sqlite_row_triggers(name, table, row_statements),
            f"CREATE TRIGGER {name}_{mover} AFTER UPDATE OF {column} ON {mover} FOR EACH ROW "
            f"WHEN {changed[dialect]} BEGIN {body} END"]


def _sqlite_row_triggers(name: str, table: str, row_statements, update_of: str = "", needs: str = "",
                         changed_only: bool = False) -> list[str]:
    """SQLite: the row triggers ``<name>_insert``, ``<name>_delete`` and ``<name>_update`` on
    ``table``, each running ``row_statements(row, sign)`` for the row added (``NEW``, 1) or taken
    away (``OLD``, -1); the update's only when one of the columns ``update_of`` names is set
    (every update without it), and with ``changed_only`` only when one of them changes value;
    with ``needs`` (a column without which a row counts nowhere), only for rows where it is not
    NULL."""
    def trigger(event: str, on: str, parts: list[str], *rows: str) -> str:
        when = f"WHEN {' OR '.join(f'{row}.{needs} IS NOT NULL' for row in rows)} " if needs else ""
        if changed_only and event == "update":
            when = f"WHEN {' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in update_of.split(', '))} "
        return (f"CREATE TRIGGER {name}_{event} AFTER {on} ON {table} FOR EACH ROW {when}BEGIN "
                + " ".join(p + ";" for p in parts) + " END")
    return [
        trigger("insert", "INSERT", row_statements("NEW", 1), "NEW"),
        trigger("delete", "DELETE", row_statements("OLD", -1), "OLD"),
        trigger("update", f"UPDATE OF {update_of}" if update_of else "UPDATE",
                row_statements("OLD", -1) + row_statements("NEW", 1), "OLD", "NEW"),
    ]


def _is_pv(subtype: str) -> str:
    return f"CASE WHEN {subtype} = '{PV_SUBTYPE}' THEN 1 ELSE 0 END"


def _income_insert(select: str) -> str:
    return (f"INSERT INTO asset_income_year ({', '.join(INCOME_KEYS)}, {', '.join(INCOME_MEASURES)}) {select} "
            + _upsert("asset_income_year", INCOME_KEYS, INCOME_MEASURES))


def _income_amounts(row: str, sign, named: bool = False) -> str:
    """The amounts one income record ``row`` adds (``sign`` 1, or an SQL factor) or takes away
    (-1), named after their columns when ``named``."""
    return ", ".join(f"{sign} * {row}.{m}" + (f" AS {m}" if named else "") for m in INCOME_AMOUNTS)


def _income_grouped(signed_sources: list[tuple[int, str]]) -> str:
    """The statement adding the income records of ``signed_sources`` (``(sign, "FROM <rows> AS i")``)
    to ``asset_income_year``, grouped first: a rebuild (the whole table) or a PostgreSQL statement
    trigger (its transition tables).  Records whose asset is missing add nothing, on every path
    alike (the foreign key makes that impossible anyway)."""
    rows = " UNION ALL ".join(
        f"SELECT i.county_code, i.year, {_is_pv('a.subtype')} AS pv, {sign} AS records, "
        f"{_income_amounts('i', sign, named=True)} {source} JOIN asset AS a ON a.id = i.asset_id"
        for sign, source in signed_sources)
    keys = ", ".join(INCOME_KEYS)
    sums = ", ".join(f"SUM({m})" for m in INCOME_MEASURES)
    return _income_insert(f"SELECT {keys}, {sums} FROM ({rows}) AS r WHERE 1 = 1 GROUP BY {keys}")


def _income_row_statements(row: str, sign: int) -> list[str]:
    """SQLite: one income record ``row`` added (``sign`` 1) or taken away (-1), under its asset's ``pv``."""
    out = [_income_insert(f"SELECT {row}.county_code, {row}.year, {_is_pv('a.subtype')}, {sign}, "
                          f"{_income_amounts(row, sign)} FROM asset AS a WHERE a.id = {row}.asset_id")]
    if sign < 0:
        out.append(f"DELETE FROM asset_income_year WHERE {_same(row, ('county_code', 'year'))} AND records = 0")
    return out


def _income_move_statements() -> list[str]:
    """An asset's income records moved from its ``OLD`` ``pv`` to its ``NEW`` one (trigger body on
    ``asset``, either backend)."""
    def moved(row: str, sign: int) -> str:
        return _income_insert(
            f"SELECT i.county_code, i.year, {_is_pv(f'{row}.subtype')}, {sign} * COUNT(*), "
            + ", ".join(f"{sign} * SUM(i.{m})" for m in INCOME_AMOUNTS)
            + f" FROM asset_income AS i WHERE i.asset_id = {row}.id GROUP BY i.county_code, i.year")
    return [moved("OLD", -1), moved("NEW", 1),
            f"DELETE FROM asset_income_year WHERE pv = {_is_pv('OLD.subtype')} AND records = 0"]


def _income_trigger_ddl(dialect: str) -> list[str]:
    pv_changed = f"({_is_pv('OLD.subtype')}) <> ({_is_pv('NEW.subtype')})"
    return _moving_summary_ddl(
        dialect, "fw_summary_asset_income", "asset_income", "i", _income_grouped, _income_row_statements,
        tidy=("DELETE FROM asset_income_year WHERE records = 0 "
              "AND (county_code, year) IN (SELECT DISTINCT county_code, year FROM old_rows)"),
        mover="asset", column="subtype", move=_income_move_statements(),
        changed={"postgresql": pv_changed, "sqlite": pv_changed})


def _records_insert(select: str) -> str:
    return (f"INSERT INTO record_count (source, county_code, records) {select} "
            + _upsert("record_count", ("source", "county_code"), ("records",)))


def _records_grouped(table: str, signed_sources: list[tuple[int, str]]) -> str:
    """The statement adding the listed rows of ``table`` in ``signed_sources`` (``(sign, "FROM
    <rows> AS r")``) to ``record_count`` per county: a PostgreSQL statement trigger (its transition
    tables; a county whose count does not move is not written, so an update that moves no row
    between counties or in or out of a list locks no count)."""
    listed = RECORD_LISTS[table].format(row="r")
    rows = " UNION ALL ".join(f"SELECT r.county_code, {sign} AS n {source} WHERE {listed}"
                              for sign, source in signed_sources)
    return _records_insert(f"SELECT '{table}', county_code, SUM(n) FROM ({rows}) AS c WHERE 1 = 1 "
                           f"GROUP BY county_code HAVING SUM(n) <> 0")


def _records_row_statements(table: str, row: str, sign: int) -> list[str]:
    """SQLite: one row of ``table`` added to (``sign`` 1) or taken from (-1) its county's count,
    when it is listed."""
    out = [_records_insert(f"SELECT '{table}', {row}.county_code, {sign} "
                           f"WHERE {RECORD_LISTS[table].format(row=row)}")]
    if sign < 0:
        out.append(f"DELETE FROM record_count WHERE source = '{table}' AND county_code = {row}.county_code "
                   f"AND records = 0")
    return out


def _records_trigger_ddl(dialect: str) -> list[str]:
    """The triggers counting each table of :data:`RECORD_LISTS`: PostgreSQL statement triggers
    per event; SQLite row triggers, the update's only on the columns that decide the count (the
    county, and for a household whether it was found)."""
    out = []
    for table in RECORD_LISTS:
        name = f"fw_summary_records_{table}"
        if dialect == "postgresql":
            out += _statement_triggers(name, table, "r", lambda sources, table=table: [_records_grouped(table, sources)],
                                       [f"DELETE FROM record_count WHERE source = '{table}' AND records = 0"])
            continue
        if dialect != "sqlite":
            raise NotImplementedError(f"summary triggers for {dialect}")
        columns = "county_code, found_on" if "found_on" in RECORD_LISTS[table] else "county_code"
        out += _sqlite_row_triggers(name, table, partial(_records_row_statements, table), update_of=columns)
    return out


def _unless_changed(columns: tuple[str, ...]) -> str:
    """PL/pgSQL for an update's statement trigger: return at once unless some updated row changed
    its id or one of ``columns`` (an update of no row returns too)."""
    old, new = ", ".join(f"o.{c}" for c in columns), ", ".join(f"n.{c}" for c in columns)
    return (f"IF NOT EXISTS (SELECT 1 FROM new_rows AS n WHERE NOT EXISTS (SELECT 1 FROM old_rows AS o "
            f"WHERE o.id = n.id AND ({old}) IS NOT DISTINCT FROM ({new}))) THEN RETURN NULL; END IF;")


def _statement_triggers(name: str, table: str, alias: str, grouped, tidy: list[str],
                        summed: tuple[str, ...] = ()) -> list[str]:
    """PostgreSQL: one statement trigger per event on ``table``, named ``<name>_<event>``, reading
    its transition tables: ``grouped(signed_sources)`` gives the statements that add the rows
    (``(sign, "FROM <rows> AS <alias>")``), and ``tidy`` runs after a delete or an update.  With
    ``summed`` (the columns the summaries are made of), the update's trigger returns at once when
    every updated row kept its id and those columns: taking the old rows away and adding the new
    ones would add zero to every group, yet rewrite each of their summary rows."""
    events = {
        "insert": ("REFERENCING NEW TABLE AS new_rows", [(1, f"FROM new_rows AS {alias}")], []),
        "delete": ("REFERENCING OLD TABLE AS old_rows", [(-1, f"FROM old_rows AS {alias}")], tidy),
        "update": ("REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
                   [(-1, f"FROM old_rows AS {alias}"), (1, f"FROM new_rows AS {alias}")], tidy),
    }
    out = []
    for event, (referencing, sources, after) in events.items():
        body = " ".join(f"{statement};" for statement in [*grouped(sources), *after])
        if event == "update" and summed:
            body = f"{_unless_changed(summed)} {body}"
        out.append(f"CREATE OR REPLACE FUNCTION {name}_{event}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   f"{body} RETURN NULL; END $$")
        out.append(f"CREATE TRIGGER {name}_{event} AFTER {event.upper()} ON {table} {referencing} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {name}_{event}()")
    return out


def _household_statement_triggers(counties: bool = True) -> list[str]:
    """PostgreSQL: one statement trigger per event on ``household`` reading its transition tables."""
    gone = ("SELECT DISTINCT county_code, township_code, COALESCE(category, '') FROM old_rows "
            "UNION SELECT DISTINCT county_code, '', COALESCE(category, '') FROM old_rows")
    tidy = [f"DELETE FROM household_month_flow WHERE households_in = 0 AND households_out = 0 "
            f"AND (county_code, township_code, category) IN ({gone})",
            f"DELETE FROM household_year_end WHERE households = 0 AND (county_code, township_code, category) IN ({gone})"]
    return _statement_triggers("fw_summary_household", "household", "h",
                               lambda sources: _household_grouped("postgresql", sources, counties), tidy,
                               summed=HOUSEHOLD_SUMMED)


def _clock_events(dialect: str, row: str, sign: int, source: str = "") -> str:
    """A SELECT of the identification clock's events of the household ``row`` (``source`` empty:
    a trigger's row), or of every row of ``source`` (``FROM <rows> AS h``), each event a row
    ``(county_code, found_ym, event_on, found, on_time, late, provisional)`` counting ``sign``.

    The clock on a day ``d`` (:func:`fundwatch.data.reads.transition.identification_clock_frame`)
    counts a case found by ``d`` as on time once it was both identified and entered, if that was by
    its due date; as late once its due date has passed without that (whether it came later or
    not yet).  So a case adds up to three events: found on ``found_on``; on time on the later of
    its identification and entry (not before it was found); or late on ``late_on``, the day after
    its due date.  The due dates come from ``workday_due`` (:mod:`fundwatch.data.due_dates`); a
    case found outside its days (2010-2040) adds nothing, and its year is read raw."""
    f, i, e = (f"{row}.{c}" for c in ("found_on", "identified_on", "entered_on"))
    done = f"CASE WHEN {i} IS NULL OR {e} IS NULL THEN NULL WHEN {i} > {e} THEN {i} ELSE {e} END"
    base = (f"{source} JOIN workday_due AS w ON w.day = {f} WHERE 1 = 1" if source
            else f"FROM workday_due AS w WHERE w.day = {f}")
    keys = f"{row}.county_code AS county_code, {_ym(dialect, f)} AS found_ym"
    return (f"SELECT {keys}, {f} AS event_on, {sign} AS found, 0 AS on_time, 0 AS late, "
            f"{sign} * w.provisional AS provisional {base} "
            f"UNION ALL SELECT {keys}, CASE WHEN {done} > {f} THEN {done} ELSE {f} END, 0, {sign}, 0, 0 {base} "
            f"AND {done} <= w.due_on "
            f"UNION ALL SELECT {keys}, w.late_on, 0, 0, {sign}, 0 {base} AND ({done} IS NULL OR {done} > w.due_on)")


def _clock_grouped(dialect: str, events: str) -> list[str]:
    """The statements adding the clock's ``events`` (a SELECT of :func:`_clock_events`' rows) to
    ``clock_month`` (per month of the event) and ``clock_day``, grouped first; a group whose
    counts all add up to zero (an update that moved nothing in it) is not written."""
    # every column named with its table: PL/pgSQL has a variable of its own called ``found``
    sums = ", ".join(f"SUM(e.{m})" for m in CLOCK_MEASURES)
    moved = " OR ".join(f"SUM(e.{m}) <> 0" for m in CLOCK_MEASURES)
    measures = ", ".join(CLOCK_MEASURES)
    month, day = ("found_ym", "county_code", "event_ym"), ("event_on", "county_code", "found_ym")
    return [
        f"INSERT INTO clock_month ({', '.join(month)}, {measures}) "
        f"SELECT e.found_ym, e.county_code, {_ym(dialect, 'e.event_on')}, {sums} FROM ({events}) AS e WHERE 1 = 1 "
        f"GROUP BY 1, 2, 3 HAVING {moved} " + _upsert("clock_month", month, CLOCK_MEASURES),
        f"INSERT INTO clock_day ({', '.join(day)}, {measures}) "
        f"SELECT e.event_on, e.county_code, e.found_ym, {sums} FROM ({events}) AS e WHERE 1 = 1 "
        f"GROUP BY 1, 2, 3 HAVING {moved} " + _upsert("clock_day", day, CLOCK_MEASURES),
    ]


def _clock_empty(table: str) -> str:
    """SQL: a row of the clock's ``table`` counts nothing (deleted once an update or a delete
    emptied it)."""
    return " AND ".join(f"{table}.{m} = 0" for m in CLOCK_MEASURES)


def _clock_row_statements(dialect: str, row: str, sign: int) -> list[str]:
    """SQLite: the clock's events of one household ``row`` added (``sign`` 1) or taken away (-1),
    and the rows it emptied deleted (found by their keys: the household's found month and county,
    and for the days the three days its events can fall on)."""
    out = _clock_grouped(dialect, _clock_events(dialect, row, sign))
    if sign < 0:
        group = f"county_code = {row}.county_code AND found_ym = {_ym(dialect, f'{row}.found_on')}"
        out.append(f"DELETE FROM clock_month WHERE {group} AND {_clock_empty('clock_month')}")
        out.append(f"DELETE FROM clock_day WHERE event_on IN (SELECT event_on FROM ({_clock_events(dialect, row, sign)}) "
                   f"AS e) AND {group} AND {_clock_empty('clock_day')}")
    return out


def _clock_trigger_ddl(dialect: str) -> list[str]:
    """The triggers keeping the identification clock's summaries: on ``household``, PostgreSQL
    statement triggers reading the transition tables, SQLite row triggers (an update's only when
    a column of :data:`CLOCK_SUMMED` is set)."""
    name = "fw_summary_clock"
    if dialect == "postgresql":
        gone = _clock_events(dialect, "h", -1, "FROM old_rows AS h")
        tidy = [f"DELETE FROM clock_month WHERE {_clock_empty('clock_month')} AND (found_ym, county_code) IN "
                f"(SELECT DISTINCT e.found_ym, e.county_code FROM ({gone}) AS e)",
                f"DELETE FROM clock_day WHERE {_clock_empty('clock_day')} AND (event_on, county_code, found_ym) IN "
                f"(SELECT DISTINCT e.event_on, e.county_code, e.found_ym FROM ({gone}) AS e)"]

        def grouped(sources):
            return _clock_grouped(dialect, " UNION ALL ".join(_clock_events(dialect, "h", sign, source)
                                                               for sign, source in sources))
        return _statement_triggers(name, "household", "h", grouped, tidy, summed=CLOCK_SUMMED)
    if dialect != "sqlite":
        raise NotImplementedError(f"summary triggers for {dialect}")
    return _sqlite_row_triggers(name, "household", partial(_clock_row_statements, dialect),
                                update_of=", ".join(CLOCK_SUMMED))


# -- summaries of household events by day: monitoring mix and wait for a first measure -----------

@dataclass(frozen=True)
class DayEvents:
    """A summary of events of the rows of ``table`` (the households unless said), each an amount of
    its ``measures`` added to a group (county and ``keys``) on a day, kept at three grains:
    ``<name>_year`` per year, ``<name>_month`` per month (``ym``) and ``<name>_day`` per day
    (``event_on``).  A figure on a day ``d`` is the years before ``d``'s, the months of its year up
    to its last whole month, and the days after that up to ``d``, per group: a few rows per group
    whatever the years of history.

    ``events(dialect, row, sign)`` gives the kinds of event of a row ``row`` counting ``sign``, each
    ``(when, values)``: the SQL condition (on the row) of the row having it, and the SQL of its
    ``county_code``, ``keys``, ``event_on`` and ``measures``.  ``summed`` are the columns the
    events are made of (an update of none of them leaves the summary alone)."""

    name: str
    keys: tuple[str, ...]
    measures: tuple[str, ...]
    summed: tuple[str, ...]
    events: Callable[..., list[tuple[str, dict[str, str]]]]
    table: str = "household"
    #: A column every event needs (not NULL): SQLite's triggers skip a row without it at once (a
    #: household never found has no event of the monitoring summaries, yet each of their
    #: statements ran for every such household an import wrote).
    needs: str = ""
    #: Triggers on another table whose rows the events read (the dibao standards of
    #: :data:`INCOME_BAND`): ``also(dialect)`` their DDL, ``also_dropped(dialect)`` the statements
    #: dropping them.
    also: Callable[[str], list[str]] | None = None
    also_dropped: Callable[[str], list[str]] | None = None
    #: For the statements that read many rows at once (PostgreSQL's triggers, a rebuild): a join
    #: added to their rows, and the options it gives :attr:`events` (each household's dibao
    #: standard for :data:`INCOME_BAND`, joined once rather than looked up for each of its events:
    #: an insert of 50,000 households took twice as long with the lookups).
    join: str = ""
    join_options: tuple[tuple[str, str], ...] = ()
    #: SQLite: the update's trigger fires only when a column of :attr:`summed` changes value, not
    #: whenever one is set (an import writing its assets again as they were moves nothing).
    changed_only: bool = False
    #: The grains kept, of ``year``, ``month`` and ``day``: a summary read beside others that hold
    #: the whole years and months keeps the days alone (:data:`HOUSEHOLD_STATUS`).
    grains: tuple[str, ...] = ("year", "month", "day")

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(f"{self.name}_{grain}" for grain in self.grains)

    def _grains(self, dialect: str, event: dict[str, str] | None = None
                ) -> list[tuple[str, tuple[str, ...], dict[str, str]]]:
        """(table, primary key, the SQL of the key's value per column) of each grain, for an
        ``event``'s values (:attr:`events`), else for a row ``e`` of :meth:`select`.  The year's
        and the month's keys end with the period (a county's figure is one range of the key, in
        group order), the day's lead with it after the county (a partial month is one range)."""
        event = event or {c: f"e.{c}" for c in ("county_code", *self.keys, "event_on")}
        values = {c: event[c] for c in ("county_code", *self.keys)}
        on = event["event_on"]
        grains = {"year": (("county_code", *self.keys, "year"), {**values, "year": _year(dialect, on)}),
                  "month": (("county_code", *self.keys, "ym"), {**values, "ym": _ym(dialect, on)}),
                  "day": (("county_code", "event_on", *self.keys), {**values, "event_on": on})}
        return [(f"{self.name}_{grain}", *grains[grain]) for grain in self.grains]

    def select(self, dialect: str, row: str, sign: int, source: str = "", **options: str) -> str:
        """A SELECT of the events of the row ``row`` (``source`` empty: a trigger's row) or
        of every row of ``source`` (``FROM <rows> AS h``); ``options`` go to :attr:`events`."""
        columns = ("county_code", *self.keys, "event_on", *self.measures)
        return " UNION ALL ".join(
            f"SELECT {', '.join(f'{values[c]} AS {c}' for c in columns)} {source} WHERE {when}"
            for when, values in self.events(dialect, row, sign, **options))

    def _many(self, dialect: str, sign: int, source: str) -> str:
        """:meth:`select` of every row of ``source`` with :attr:`join`."""
        return self.select(dialect, "h", sign, f"{source} {self.join}".rstrip(), **dict(self.join_options))

    def grouped(self, dialect: str, events: str) -> list[str]:
        """The statements adding ``events`` (a SELECT of :meth:`select`'s rows) to every grain,
        grouped first; a group whose measures all add up to zero (an update that moved nothing in
        it) is not written.  The groups go in in their key's order: a rebuild writes PostgreSQL's
        heap in that order, so a county's range of a grain lies on a few pages (the largest
        county's monitoring mix on 2024-06-30 read 41 pages instead of 137 at ten times the
        demo), and concurrent writers take the rows' locks in one order."""
        sums = ", ".join(f"SUM(e.{m})" for m in self.measures)
        moved = " OR ".join(f"SUM(e.{m}) <> 0" for m in self.measures)
        out = []
        for table, key, values in self._grains(dialect):
            groups = ", ".join(str(i + 1) for i in range(len(key)))
            out.append(f"INSERT INTO {table} ({', '.join(key)}, {', '.join(self.measures)}) "
                       f"SELECT {', '.join(values[c] for c in key)}, {sums} FROM ({events}) AS e WHERE 1 = 1 "
                       f"GROUP BY {groups} HAVING {moved} ORDER BY {groups} " + _upsert(table, key, self.measures))
        return out

    def _empty(self, table: str) -> str:
        """SQL: a row of ``table`` sums to nothing (deleted once an update or a delete emptied it)."""
        return " AND ".join(f"{table}.{m} = 0" for m in self.measures)

    def row_statements(self, dialect: str, row: str, sign: int) -> list[str]:
        """SQLite: the events of one row ``row`` added (``sign`` 1) or taken away (-1), and
        the rows that emptied deleted, each looked up by its whole key.  An insert can empty rows
        too: a row's events are not all of its sign (a household entering a wait leaves another).
        The events are added one by one, not grouped first (SQLite's upsert takes a key twice in
        one statement; a group's sort cost the case ages' triggers a quarter of their time), and a
        row they left at zero is deleted with the others.  (Matched as a row against a list of
        the events' keys, ``(county_code, event_on, ...) IN (SELECT ...)``, SQLite's plan used only
        the county's part of a day table's key, and an insert of 50,000 households took 60 s
        instead of 8.)"""
        events = self.select(dialect, row, sign)
        out = [f"INSERT INTO {table} ({', '.join(key)}, {', '.join(self.measures)}) "
               f"SELECT {', '.join(values[c] for c in key)}, {', '.join(f'e.{m}' for m in self.measures)} "
               f"FROM ({events}) AS e WHERE 1 = 1 " + _upsert(table, key, self.measures)
               for table, key, values in self._grains(dialect)]
        for when, event in self.events(dialect, row, sign):
            for table, key, values in self._grains(dialect, event):
                same = " AND ".join(f"{table}.{c} = {values[c]}" for c in key)
                out.append(f"DELETE FROM {table} WHERE {when} AND {same} AND {self._empty(table)}")
        return out

    def _tidy(self, dialect: str, events: str) -> list[str]:
        """PostgreSQL: the deletes of the rows of every grain that ``events`` (a SELECT of them)
        may have emptied, found by their whole keys."""
        return [f"DELETE FROM {table} WHERE ({', '.join(key)}) IN (SELECT DISTINCT "
                f"{', '.join(values[c] for c in key)} FROM ({events}) AS e) AND {self._empty(table)}"
                for table, key, values in self._grains(dialect)]

    def trigger_ddl(self, dialect: str) -> list[str]:
        """The triggers on :attr:`table`: PostgreSQL statement triggers reading the transition
        tables, SQLite row triggers (an update's only when a column of :attr:`summed` is set)."""
        name = f"fw_summary_{self.name}"
        if dialect == "postgresql":
            def grouped(sources):
                events = " UNION ALL ".join(self._many(dialect, sign, source) for sign, source in sources)
                return [*self.grouped(dialect, events), *self._tidy(dialect, events)]
            return [*_statement_triggers(name, self.table, "h", grouped, [], summed=self.summed),
                    *(self.also(dialect) if self.also else ())]
        if dialect != "sqlite":
            raise NotImplementedError(f"summary triggers for {dialect}")
        return [*_sqlite_row_triggers(name, self.table, partial(self.row_statements, dialect),
                                      update_of=", ".join(self.summed), needs=self.needs,
                                      changed_only=self.changed_only),
                *(self.also(dialect) if self.also else ())]

    def tidy_counties(self, counties: str) -> list[str]:
        """The deletes of every grain's emptied rows of the counties ``counties`` (SQL values)."""
        return [f"DELETE FROM {table} WHERE county_code IN ({counties}) AND {self._empty(table)}"
                for table in self.tables]

    def rebuild_sql(self, dialect: str) -> list[str]:
        return self.grouped(dialect, self._many(dialect, 1, f"FROM {self.table} AS h"))


def _monitoring_events(_dialect: str, row: str, sign: int) -> list[tuple[str, dict[str, str]]]:
    """The events of :data:`MONITORING`: a household enters monitoring on the day it was found
    and leaves it on the day its risk was eliminated, or on the day it was found if that came
    later (such a household was never under monitoring: it enters and leaves on one day), each
    with its members, per county, category and cause (``''`` for none).  So the households under
    monitoring on ``d`` (found by ``d``, risk not eliminated by ``d``) are the events up to ``d``."""
    f, e = f"{row}.found_on", f"{row}.risk_eliminated_on"
    keys = {"county_code": f"{row}.county_code", "category": f"COALESCE({row}.category, '')",
            "cause": f"COALESCE({row}.cause, '')"}
    members = f"COALESCE({row}.members, 0)"
    return [(f"{f} IS NOT NULL", {**keys, "event_on": f, "households": str(sign), "members": f"{sign} * {members}"}),
            (f"{f} IS NOT NULL AND {e} IS NOT NULL",
             {**keys, "event_on": f"CASE WHEN {e} > {f} THEN {e} ELSE {f} END", "households": str(-sign),
              "members": f"{-sign} * {members}"})]


def _wait_bucket(row: str) -> str:
    """SQL: the :data:`WAIT_BUCKETS` key of the days from identification to the first measure."""
    days, whens = f"{row}.first_measure_days", []
    for key, limit in WAIT_BUCKETS:
        if limit is None:
            return f"CASE {' '.join(whens)} ELSE '{key}' END"
        whens.append(f"WHEN {days} <= {limit} THEN '{key}'")
    raise AssertionError("the last wait bucket has no limit")


def _wait_events(_dialect: str, row: str, sign: int) -> list[tuple[str, dict[str, str]]]:
    """The events of :data:`WAIT`: a household found and identified waits (``none``) from the
    later of the two days; when its first assistance measure starts (``first_measure_on``, not
    before that day) it moves to the bucket of its days from identification to that measure
    (``first_measure_days``, kept on the household: migration 0021).  So the households identified
    by ``d`` per wait are the events up to ``d``."""
    f, i, m = (f"{row}.{c}" for c in ("found_on", "identified_on", "first_measure_on"))
    start = f"CASE WHEN {i} > {f} THEN {i} ELSE {f} END"
    helped = f"CASE WHEN {m} > {start} THEN {m} ELSE {start} END"
    known = f"{f} IS NOT NULL AND {i} IS NOT NULL"
    started = f"{known} AND {m} IS NOT NULL AND {row}.first_measure_days IS NOT NULL"
    county = f"{row}.county_code"
    return [(known, {"county_code": county, "wait": "'none'", "event_on": start, "households": str(sign)}),
            (started, {"county_code": county, "wait": "'none'", "event_on": helped, "households": str(-sign)}),
            (started, {"county_code": county, "wait": _wait_bucket(row), "event_on": helped, "households": str(sign)})]


def _plus_days(dialect: str, expr: str, days: int) -> str:
    """SQL: the date ``days`` after the date ``expr``."""
    if not days:
        return expr
    if dialect == "postgresql":
        return f"({expr} + {days})"
    return f"date({expr}, '+{days} days')"


def _case_age_events(dialect: str, row: str, sign: int) -> list[tuple[str, dict[str, str]]]:
    """The events of :data:`CASE_AGE`.  An open case (under monitoring: found, risk not yet
    eliminated) is on a day ``d`` in one age bucket (:data:`AGE_BUCKETS`: ``d`` within ``[found +
    low, found + high)`` days) and one status (``pending`` before its identification, then
    ``monitored``).  Both change only on days of the case's own, none of which depends on ``d``:

    - found: +1 in the first bucket, monitored if identified by then, else pending;
    - each later bucket's first day, before the risk's elimination: -1 in the bucket before, +1
      in this one, monitored if identified before that day, else pending;
    - identified after found and before the elimination: -1 pending, +1 monitored, in the bucket
      of that day;
    - the risk eliminated after found: -1 in the bucket and status of the day before.

    (One event per change, fourteen kinds, rather than a span per bucket and status: twenty-four
    kinds, and SQLite's row triggers spent half again as long working their dates out.)"""
    f, i, e = (f"{row}.{c}" for c in ("found_on", "identified_on", "risk_eliminated_on"))
    never = _date(dialect, "9999-12-31")
    eliminated, identified = f"COALESCE({e}, {never})", f"COALESCE({i}, {never})"
    firsts = [_plus_days(dialect, f, low) for low in (0, *(high for _, high in AGE_BUCKETS[:-1]))]
    keys = [f"'{key}'" for key, _ in AGE_BUCKETS]

    def bucket(day: str, before: str) -> str:  # the case's bucket on ``day`` (``<=``: on the day before)
        whens = " ".join(f"WHEN {day} {before} {first} THEN {key}" for first, key in zip(firsts[1:], keys))
        return f"CASE {whens} ELSE {keys[-1]} END"

    def status(identified_by: str) -> str:
        return f"CASE WHEN {identified_by} THEN 'monitored' ELSE 'pending' END"

    def event(when: str, age: str, state: str, on: str, households: int) -> tuple[str, dict[str, str]]:
        return (f"{f} IS NOT NULL AND {when}", {"county_code": f"{row}.county_code", "age": age, "status": state,
                                                "event_on": on, "households": str(households)})

    out = [event(f"{f} < {eliminated}", keys[0], status(f"{identified} <= {f}"), f, sign)]
    for k in range(1, len(AGE_BUCKETS)):
        on = firsts[k]
        state = status(f"{identified} < {on}")
        out += [event(f"{on} < {eliminated}", keys[k - 1], state, on, -sign),
                event(f"{on} < {eliminated}", keys[k], state, on, sign)]
    moved = f"{i} IS NOT NULL AND {f} < {i} AND {i} < {eliminated}"
    out += [event(moved, bucket(i, "<"), "'pending'", i, -sign),
            event(moved, bucket(i, "<"), "'monitored'", i, sign),
            event(f"{e} IS NOT NULL AND {f} < {e}", bucket(e, "<="), status(f"{identified} < {e}"), e, -sign)]
    return out


#: Households under monitoring per county, category and cause (migration 0026).
MONITORING = DayEvents("monitoring", ("category", "cause"), ("households", "members"),
                       ("county_code", "category", "cause", "members", "found_on", "risk_eliminated_on"),
                       _monitoring_events, needs="found_on")
#: Households identified per county and wait for their first assistance measure (migration 0026).
WAIT = DayEvents("wait", ("wait",), ("households",),
                 ("county_code", "found_on", "identified_on", "first_measure_on", "first_measure_days"), _wait_events,
                 needs="found_on")
#: Open monitoring cases per county, age bucket and status (migration 0027).
CASE_AGE = DayEvents("case_age", ("age", "status"), ("households",),
                     ("county_code", "found_on", "identified_on", "risk_eliminated_on"), _case_age_events,
                     needs="found_on")


def _measure_mix_events(_dialect: str, row: str, sign: int) -> list[tuple[str, dict[str, str]]]:
    """The events of :data:`MEASURE_MIX`: a measure counts from the day it starts, with its amount,
    and with its household if it is the earliest of the household's measures of its kind in its
    county (``first_of_kind``, kept by triggers: migration 0028).  So the measures started by
    ``d`` per county and kind, their amount and their distinct households are the events up to ``d``."""
    first = f"CASE WHEN {row}.first_of_kind THEN {sign} ELSE 0 END"
    return [(f"{row}.started_on IS NOT NULL",
             {"county_code": f"{row}.county_code", "kind": f"{row}.kind", "event_on": f"{row}.started_on",
              "measures": str(sign), "households": first, "amount_fen": f"{sign} * {row}.amount_fen"})]


#: Assistance measures, their households and amount per county and kind (migration 0028).
MEASURE_MIX = DayEvents("measure_mix", ("kind",), ("measures", "households", "amount_fen"),
                        ("county_code", "kind", "started_on", "amount_fen", "first_of_kind"), _measure_mix_events,
                        table="assistance_measure")


def _income_bin(annual: str, income: str) -> str:
    """SQL: the :data:`INCOME_BAND` band of the per-capita income ``income`` against the dibao
    standard ``annual`` (fen a year): the tenths of the alert line the income reaches, at most
    :data:`INCOME_BIN_CAP`; every income reaches every band of a line of zero.  (Nested cases: on
    PostgreSQL the order in which the terms of an ``OR`` are worked out is not fixed, and a
    division by zero is an error there.)"""
    ratio = f"({income} * 100 / ({annual} * {ALERT_MULTIPLE_TENTHS}))"
    return (f"CASE WHEN {annual} = 0 THEN {INCOME_BIN_CAP} WHEN {ratio} >= {INCOME_BIN_CAP} "
            f"THEN {INCOME_BIN_CAP} ELSE {ratio} END")


def _income_band_events(dialect: str, row: str, sign: int, standard: str = "") -> list[tuple[str, dict[str, str]]]:
    """The events of :data:`INCOME_BAND`: a household whose county has a dibao standard for its
    income year counts in its band (:func:`_income_bin`) from :data:`ON_RECORD` on, and in the
    band's ``monitored`` from the day it was found to the day its risk was eliminated (the later
    of the two, as :func:`_monitoring_events`).  The standard is looked up per household, or, with
    ``standard`` (a row of ``dibao_standard``: its triggers' ``OLD`` or ``NEW``), it is that row,
    and the households are those of its county and year."""
    income = f"{row}.income_per_capita_fen"
    if standard:
        placed = f"{row}.county_code = {standard}.county_code AND {row}.income_year = {standard}.year"
        band = _income_bin(f"{standard}.annual_fen", income)
    else:
        band = (f"(SELECT {_income_bin('x.annual_fen', income)} FROM dibao_standard AS x "
                f"WHERE x.county_code = {row}.county_code AND x.year = {row}.income_year)")
        placed = f"{band} IS NOT NULL"
    f, e = f"{row}.found_on", f"{row}.risk_eliminated_on"
    county = f"{row}.county_code"
    return [(placed, {"county_code": county, "bin": band, "event_on": _date(dialect, ON_RECORD),
                      "households": str(sign), "monitored": "0"}),
            (f"{placed} AND {f} IS NOT NULL",
             {"county_code": county, "bin": band, "event_on": f, "households": "0", "monitored": str(sign)}),
            (f"{placed} AND {f} IS NOT NULL AND {e} IS NOT NULL",
             {"county_code": county, "bin": band, "event_on": f"CASE WHEN {e} > {f} THEN {e} ELSE {f} END",
              "households": "0", "monitored": str(-sign)})]


_STANDARD_TRIGGER = "fw_summary_income_band_standard"


def _income_band_standard_ddl(dialect: str) -> list[str]:
    """The triggers on ``dibao_standard`` that move the households of a standard's county and
    year between bands when it is written: the events of those households under the old row
    taken away, under the new one added (row triggers, an update's only when the row changed: a
    statement writes a county's few years)."""
    summary = INCOME_BAND

    def moved(*signed: tuple[str, int]) -> list[str]:
        events = " UNION ALL ".join(summary.select(dialect, "h", sign, "FROM household AS h", standard=standard)
                                    for standard, sign in signed)
        counties = ", ".join(f"{standard}.county_code" for standard, _ in signed)
        return [*summary.grouped(dialect, events), *summary.tidy_counties(counties)]

    insert, delete, update = moved(("NEW", 1)), moved(("OLD", -1)), moved(("OLD", -1), ("NEW", 1))
    if dialect == "postgresql":
        def body(statements: list[str]) -> str:
            return " ".join(f"{statement};" for statement in statements)
        # an update that changes nothing moves nothing (a console's UPDATE of the same values)
        return [f"CREATE OR REPLACE FUNCTION {_STANDARD_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF TG_OP = 'INSERT' THEN {body(insert)} ELSIF TG_OP = 'DELETE' THEN {body(delete)} "
                f"ELSE {body(update)} END IF; RETURN NULL; END $$",
                f"CREATE TRIGGER {_STANDARD_TRIGGER} AFTER INSERT OR DELETE ON dibao_standard "
                f"FOR EACH ROW EXECUTE FUNCTION {_STANDARD_TRIGGER}()",
                f"CREATE TRIGGER {_STANDARD_TRIGGER}_update AFTER UPDATE ON dibao_standard FOR EACH ROW "
                f"WHEN ((OLD.county_code, OLD.year, OLD.annual_fen) IS DISTINCT FROM "
                f"(NEW.county_code, NEW.year, NEW.annual_fen)) EXECUTE FUNCTION {_STANDARD_TRIGGER}()"]
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in ("county_code", "year", "annual_fen"))
    return [f"CREATE TRIGGER {_STANDARD_TRIGGER}_{event} AFTER {on} ON dibao_standard FOR EACH ROW {when}"
            f"BEGIN {' '.join(f'{statement};' for statement in statements)} END"
            for event, on, when, statements in (("insert", "INSERT", "", insert), ("delete", "DELETE", "", delete),
                                                ("update", "UPDATE", f"WHEN {changed} ", update))]


def _income_band_standard_drop(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {_STANDARD_TRIGGER} ON dibao_standard",
                f"DROP TRIGGER IF EXISTS {_STANDARD_TRIGGER}_update ON dibao_standard",
                f"DROP FUNCTION IF EXISTS {_STANDARD_TRIGGER}()"]
    return [f"DROP TRIGGER IF EXISTS {_STANDARD_TRIGGER}_{event}" for event in ("insert", "delete", "update")]


#: Households on record per county and income band, and those under monitoring (migration 0029).
INCOME_BAND = DayEvents("income_band", ("bin",), ("households", "monitored"),
                        ("county_code", "income_year", "income_per_capita_fen", "found_on", "risk_eliminated_on"),
                        _income_band_events, also=_income_band_standard_ddl, also_dropped=_income_band_standard_drop,
                        join="JOIN dibao_standard AS x ON x.county_code = h.county_code AND x.year = h.income_year",
                        join_options=(("standard", "x"),))


def _asset_formed_events(_dialect: str, row: str, sign: int) -> list[tuple[str, dict[str, str]]]:
    """The one event of :data:`ASSET_FORMED`: an asset counts, with its value, from the day it was
    formed, under its class, status and whether it lacks a custodian or an owner (1/0, as
    ``asset_year`` counts them: an import records a blank cell as none)."""
    return [("1 = 1", {"county_code": f"{row}.county_code", "asset_class": f"{row}.asset_class",
                       "status": f"{row}.status",
                       "no_custodian": f"CASE WHEN {row}.custodian IS NULL THEN 1 ELSE 0 END",
                       "no_owner": f"CASE WHEN {row}.owner IS NULL THEN 1 ELSE 0 END",
                       "event_on": f"{row}.formed_on", "assets": str(sign), "value_fen": f"{sign} * {row}.value_fen"})]


#: Assets formed per county, class, status, custody and ownership (migration 0034).
ASSET_FORMED = DayEvents("asset_formed", ("asset_class", "status", "no_custodian", "no_owner"), ("assets", "value_fen"),
                         ("county_code", "formed_on", "asset_class", "status", "custodian", "owner", "value_fen"),
                         _asset_formed_events, table="asset", changed_only=True)
def _household_status_events(_dialect: str, row: str, sign: int) -> list[tuple[str, dict[str, str]]]:
    """The events of :data:`HOUSEHOLD_STATUS`: a household enters each status it holds on the
    first day of its span and leaves it on the span's end (:func:`_household_spans`, the same
    spans as ``household_month_flow``'s), under its township and under ``''`` (its county's
    total).  So its statuses on ``d`` less those on the month's eve are its events of the month up
    to ``d``."""
    f, i, e = (f"{row}.{c}" for c in ("found_on", "identified_on", "risk_eliminated_on"))
    pending_to = f"CASE WHEN {i} IS NULL THEN {e} WHEN {e} IS NULL THEN {i} WHEN {i} < {e} THEN {i} ELSE {e} END"
    monitored_from = f"CASE WHEN {i} > {f} THEN {i} ELSE {f} END"
    pending = f"{f} IS NOT NULL AND ({i} IS NULL OR {i} > {f}) AND ({e} IS NULL OR {e} > {f})"
    monitored = f"{f} IS NOT NULL AND {i} IS NOT NULL AND ({e} IS NULL OR {e} > {monitored_from})"
    spans = (  # (status, the span's condition, its first day, its end: None while open)
        ("pending", pending, f, (f"({i} IS NOT NULL OR {e} IS NOT NULL)", pending_to)),
        ("monitored", monitored, monitored_from, (f"{e} IS NOT NULL", e)),
        ("eliminated", f"{f} IS NOT NULL AND {e} IS NOT NULL", f"CASE WHEN {e} > {f} THEN {e} ELSE {f} END", None),
    )
    out = []
    for township in (f"{row}.township_code", "''"):
        keys = {"county_code": f"{row}.county_code", "township_code": township,
                "category": f"COALESCE({row}.category, '')"}
        for status, held, start, end in spans:
            keys_of = {**keys, "status": f"'{status}'"}
            out.append((held, {**keys_of, "event_on": start, "households": str(sign),
                               "members": f"{sign} * {row}.members"}))
            if end is not None:
                out.append((f"{held} AND {end[0]}", {**keys_of, "event_on": end[1], "households": str(-sign),
                                                     "members": f"{-sign} * {row}.members"}))
    return out


#: Households entering and leaving each status per county, township and category, by day only
#: (migration 0037): the partial month of the household summary's reads.
HOUSEHOLD_STATUS = DayEvents("household_status", ("township_code", "category", "status"), ("households", "members"),
                             ("county_code", "township_code", "category", "members", "found_on", "identified_on",
                              "risk_eliminated_on"), _household_status_events, needs="found_on", grains=("day",))
def _loan_total_events(_dialect: str, row: str, sign: int) -> list[tuple[str, dict[str, str]]]:
    """The events of :data:`LOAN_TOTAL_DAY`: a loan is outstanding, with its amount, from the day
    it was issued until the day it was repaid (:func:`_ends`: one repaid on or before its issue
    day never is), per county, programme and status."""
    issued, repaid, amount = f"{row}.issued_on", f"{row}.repaid_on", f"{row}.amount_fen"
    keys = {"county_code": f"{row}.county_code", "programme": f"{row}.programme", "status": f"{row}.status"}
    return [(f"({repaid} IS NULL OR {repaid} > {issued})",
             {**keys, "event_on": issued, "loans": str(sign), "amount_fen": f"{sign} * {amount}"}),
            (f"{repaid} > {issued}",
             {**keys, "event_on": repaid, "loans": str(-sign), "amount_fen": f"{-sign} * {amount}"})]


#: Loans outstanding moving per county, programme and status, by day only (migration 0038): the
#: partial month of the loans' totals (the leverage, the loans by county or programme).
LOAN_TOTAL_DAY = DayEvents("loan_total", ("programme", "status"), ("loans", "amount_fen"),
                           ("county_code", "programme", "status", "issued_on", "repaid_on", "amount_fen"),
                           _loan_total_events, table="loan", changed_only=True, grains=("day",))
#: The summaries of events by day, by their trigger group's name.
DAY_EVENTS = {summary.name: summary
              for summary in (MONITORING, WAIT, CASE_AGE, MEASURE_MIX, INCOME_BAND, ASSET_FORMED, HOUSEHOLD_STATUS,
                              LOAN_TOTAL_DAY)}


def _days(dialect: str, later: str, earlier: str) -> str:
    """SQL: whole days from the date ``earlier`` to the date ``later`` (NULL if either is)."""
    if dialect == "postgresql":
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


#: The start of the earliest measure of the household row ``household`` (NULL without one).
_FIRST_MEASURE = "(SELECT MIN(m.started_on) FROM assistance_measure AS m WHERE m.household_id = household.id)"


def _first_measure_updates(dialect: str, households: str) -> list[tuple[str, str]]:
    """``(SET, WHERE)`` of the updates setting the first measure of the households whose ids
    ``households`` (a list or a SELECT; every household if empty) gives, where it is not what
    their measures now say, then the days to it; the days follow by the trigger on ``household``
    too, where that trigger is there (not in a rebuild)."""
    differs = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    days = _days(dialect, "first_measure_on", "identified_on")
    where = f"id IN ({households}) AND " if households else ""
    return [(f"first_measure_on = {_FIRST_MEASURE}", f"{where}first_measure_on {differs} {_FIRST_MEASURE}"),
            (f"first_measure_days = {days}", f"{where}first_measure_days {differs} {days}")]


def _first_measure_update(dialect: str, households: str) -> str:
    """The update setting the first measure of ``households`` (a trigger's: the days follow by the
    trigger on ``household``)."""
    values, where = _first_measure_updates(dialect, households)[0]
    return f"UPDATE household SET {values} WHERE {where}"


def _fill_first_measure(conn: Connection) -> None:
    """Set every household's first measure and days where they are not what the measures say.
    Each update runs only when some household needs it: an update of no row still fires
    PostgreSQL's statement triggers, and would move the data generation of a database where
    nothing changed (an empty one being upgraded, or one already right)."""
    for values, where in _first_measure_updates(conn.dialect.name, ""):
        if conn.exec_driver_sql(f"SELECT 1 FROM household WHERE {where} LIMIT 1").first() is not None:
            conn.exec_driver_sql(f"UPDATE household SET {values} WHERE {where}")


def _first_measure_ddl(dialect: str) -> list[str]:
    """The triggers keeping ``household.first_measure_on`` and ``first_measure_days``.

    An insert can only move a household's first measure earlier, so it is set from the new
    measures alone; a delete or an update of a measure's household or start reads the
    household's remaining measures again (one seek in ``ix_measure_household``).  The days are
    set on the household's row whenever either of their dates changes.  SQLite: row triggers;
    PostgreSQL: statement triggers on ``assistance_measure`` (one update of the households a
    statement touched) and a row trigger before the household's own insert or update."""
    name = "fw_first_measure"
    days = _days(dialect, "NEW.first_measure_on", "NEW.identified_on")
    if dialect == "sqlite":
        def trigger(event: str, on: str, table: str, statements: list[str], when: str = "") -> str:
            return (f"CREATE TRIGGER {name}_{event} AFTER {on} ON {table} FOR EACH ROW {when}BEGIN "
                    + " ".join(f"{statement};" for statement in statements) + " END")
        return [
            trigger("insert", "INSERT", "assistance_measure", [
                "UPDATE household SET first_measure_on = NEW.started_on WHERE id = NEW.household_id "
                "AND (first_measure_on IS NULL OR first_measure_on > NEW.started_on)"]),
            trigger("delete", "DELETE", "assistance_measure", [_first_measure_update(dialect, "OLD.household_id")]),
            trigger("update", "UPDATE OF household_id, started_on", "assistance_measure",
                    [_first_measure_update(dialect, "OLD.household_id, NEW.household_id")]),
            trigger("days", "UPDATE OF identified_on, first_measure_on", "household", [
                f"UPDATE household SET first_measure_days = {days} WHERE id = NEW.id "
                f"AND first_measure_days IS NOT {days}"]),
            trigger("days_insert", "INSERT", "household", [
                f"UPDATE household SET first_measure_days = {days} WHERE id = NEW.id"],
                    when="WHEN NEW.first_measure_on IS NOT NULL "),
        ]
    if dialect != "postgresql":
        raise NotImplementedError(f"summary triggers for {dialect}")
    touched = {
        "delete": ("REFERENCING OLD TABLE AS old_rows", "SELECT household_id FROM old_rows"),
        "update": ("REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
                   "SELECT household_id FROM old_rows UNION SELECT household_id FROM new_rows"),
    }
    out = [
        f"CREATE OR REPLACE FUNCTION {name}_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "UPDATE household AS h SET first_measure_on = n.first FROM (SELECT household_id, MIN(started_on) AS first "
        "FROM new_rows GROUP BY household_id) AS n WHERE h.id = n.household_id "
        "AND (h.first_measure_on IS NULL OR h.first_measure_on > n.first); RETURN NULL; END $$",
        f"CREATE TRIGGER {name}_insert AFTER INSERT ON assistance_measure REFERENCING NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}_insert()",
    ]
    for event, (referencing, households) in touched.items():
        out += [f"CREATE OR REPLACE FUNCTION {name}_{event}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"{_first_measure_update(dialect, households)}; RETURN NULL; END $$",
                f"CREATE TRIGGER {name}_{event} AFTER {event.upper()} ON assistance_measure {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}_{event}()"]
    return [*out,
            f"CREATE OR REPLACE FUNCTION {name}_days() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"NEW.first_measure_days := {days}; RETURN NEW; END $$",
            f"CREATE TRIGGER {name}_days BEFORE UPDATE OF identified_on, first_measure_on ON household FOR EACH ROW "
            f"WHEN (OLD.identified_on IS DISTINCT FROM NEW.identified_on "
            f"OR OLD.first_measure_on IS DISTINCT FROM NEW.first_measure_on) EXECUTE FUNCTION {name}_days()",
            f"CREATE TRIGGER {name}_days_insert BEFORE INSERT ON household FOR EACH ROW "
            f"WHEN (NEW.first_measure_on IS NOT NULL) EXECUTE FUNCTION {name}_days()"]


#: SQL: whether the measure row ``assistance_measure`` is the earliest of its household's measures
#: of its kind in its county.
_FIRST_OF_KIND = ("(assistance_measure.started_on = (SELECT MIN(x.started_on) FROM assistance_measure AS x "
                  "WHERE x.household_id = assistance_measure.household_id AND x.kind = assistance_measure.kind "
                  "AND x.county_code = assistance_measure.county_code))")
#: The columns of a measure that place it in its group of :data:`_FIRST_OF_KIND`.
_KIND_GROUP = ("household_id", "kind", "county_code", "started_on")


def _first_of_kind_update(dialect: str, groups: str = "", row: str = "") -> str:
    """The update setting ``first_of_kind`` where it is not what the measures now say, on the
    measures of the groups (household, kind, county) that the SELECT ``groups`` gives, or of the
    group of the trigger's ``row`` (every measure without either).  The groups are tiny (one
    measure in almost all), each found through ``ix_measure_household``."""
    differs = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    where = (f"(household_id, kind, county_code) IN ({groups}) AND " if groups else
             "".join(f"{c} = {row}.{c} AND " for c in ("household_id", "kind", "county_code")) if row else "")
    return (f"UPDATE assistance_measure SET first_of_kind = {_FIRST_OF_KIND} "
            f"WHERE {where}first_of_kind {differs} {_FIRST_OF_KIND}")


def _fill_first_of_kind(conn: Connection) -> None:
    """Set every measure's ``first_of_kind`` where it is wrong, only if one is (an update of no
    row would still fire PostgreSQL's statement triggers and move the data generation)."""
    differs = "IS DISTINCT FROM" if conn.dialect.name == "postgresql" else "IS NOT"
    if conn.exec_driver_sql(f"SELECT 1 FROM assistance_measure WHERE first_of_kind {differs} {_FIRST_OF_KIND} "
                            f"LIMIT 1").first() is not None:
        conn.exec_driver_sql(_first_of_kind_update(conn.dialect.name))


def _first_of_kind_ddl(dialect: str) -> list[str]:
    """The triggers keeping ``assistance_measure.first_of_kind``: after a measure is written,
    deleted or moved to another household, kind, county or start, the flags of its group (the old
    one and the new one) are set again.  The flags' own update changes none of
    :data:`_KIND_GROUP`, so it fires none of these again (SQLite: ``UPDATE OF``; PostgreSQL: the
    update's statement trigger returns at once), while the measure mix's triggers see it."""
    name = "fw_first_of_kind"
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {name}_insert AFTER INSERT ON assistance_measure FOR EACH ROW BEGIN "
            f"{_first_of_kind_update(dialect, row='NEW')}; END",
            f"CREATE TRIGGER {name}_delete AFTER DELETE ON assistance_measure FOR EACH ROW BEGIN "
            f"{_first_of_kind_update(dialect, row='OLD')}; END",
            f"CREATE TRIGGER {name}_update AFTER UPDATE OF {', '.join(_KIND_GROUP)} ON assistance_measure "
            f"FOR EACH ROW BEGIN {_first_of_kind_update(dialect, row='OLD')}; "
            f"{_first_of_kind_update(dialect, row='NEW')}; END"]
    if dialect != "postgresql":
        raise NotImplementedError(f"summary triggers for {dialect}")
    rows = "SELECT household_id, kind, county_code FROM {}"
    events = {
        "insert": ("REFERENCING NEW TABLE AS new_rows", rows.format("new_rows")),
        "delete": ("REFERENCING OLD TABLE AS old_rows", rows.format("old_rows")),
        "update": ("REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
                   f"{rows.format('old_rows')} UNION {rows.format('new_rows')}"),
    }
    out = []
    for event, (referencing, groups) in events.items():
        body = f"{_first_of_kind_update(dialect, groups)};"
        if event == "update":
            body = f"{_unless_changed(_KIND_GROUP)} {body}"
        out += [f"CREATE OR REPLACE FUNCTION {name}_{event}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"{body} RETURN NULL; END $$",
                f"CREATE TRIGGER {name}_{event} AFTER {event.upper()} ON assistance_measure {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}_{event}()"]
    return out


def _trigger_ddl(dialect: str, source: str, counties: bool = True, loan_totals: bool = True) -> list[str]:
    if source == "first_measure":
        return _first_measure_ddl(dialect)
    if source == "first_of_kind":
        return _first_of_kind_ddl(dialect)
    if source == "disbursement_category":
        return _category_trigger_ddl(dialect)
    if source == "asset_income":
        return _income_trigger_ddl(dialect)
    if source == "records":
        return _records_trigger_ddl(dialect)
    if source in CHANGED_ROW_TRIGGERED:
        return _changed_row_trigger_ddl(dialect, f"fw_summary_{source}", SOURCE_TABLES[source],
                                        *CHANGED_ROW_TRIGGERED[source])
    if source == "clock":
        return _clock_trigger_ddl(dialect)
    if source in DAY_EVENTS:
        return DAY_EVENTS[source].trigger_ddl(dialect)
    grain = {"household": {"counties": counties}, "loan": {"totals": loan_totals}}.get(source, {})
    make = partial(_STATEMENTS[source], **grain)
    name = f"fw_summary_{source}"
    if dialect == "postgresql" and source == "household":
        return _household_statement_triggers(counties)
    if dialect == "postgresql" and source == "loan":
        return _loan_statement_triggers(loan_totals)
    if dialect == "postgresql":
        def body(row: str, sign: int) -> str:
            return " ".join(s + ";" for s in make(dialect, row, sign))
        function = (
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP IN ('DELETE', 'UPDATE') THEN {body('OLD', -1)} END IF; "
            f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {body('NEW', 1)} END IF; "
            f"RETURN NULL; END $$")
        return [function, f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {source} "
                          f"FOR EACH ROW EXECUTE FUNCTION {name}()"]
    if dialect != "sqlite":
        raise NotImplementedError(f"summary triggers for {dialect}")
    return _sqlite_row_triggers(name, source, partial(make, dialect),
                                update_of=", ".join(HOUSEHOLD_SUMMED) if source == "household" else "")


def _drop_ddl(dialect: str, source: str) -> list[str]:
    if source == "first_of_kind":
        events = ("insert", "delete", "update")
        if dialect != "postgresql":
            return [f"DROP TRIGGER IF EXISTS fw_first_of_kind_{event}" for event in events]
        return [statement for event in events
                for statement in (f"DROP TRIGGER IF EXISTS fw_first_of_kind_{event} ON assistance_measure",
                                  f"DROP FUNCTION IF EXISTS fw_first_of_kind_{event}()")]
    if source == "first_measure":
        on = {"insert": "assistance_measure", "delete": "assistance_measure", "update": "assistance_measure",
              "days": "household", "days_insert": "household"}
        if dialect != "postgresql":
            return [f"DROP TRIGGER IF EXISTS fw_first_measure_{event}" for event in on]
        return ([f"DROP TRIGGER IF EXISTS fw_first_measure_{event} ON {table}" for event, table in on.items()]
                + [f"DROP FUNCTION IF EXISTS fw_first_measure_{event}()"
                   for event in ("insert", "delete", "update", "days")])
    name = f"fw_summary_{source}"
    if source in CHANGED_ROW_TRIGGERED:
        if dialect != "postgresql":
            return [f"DROP TRIGGER IF EXISTS {name}_{event}" for event in ("insert", "delete", "update")]
        table = SOURCE_TABLES[source]
        return [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP TRIGGER IF EXISTS {name}_update ON {table}",
                f"DROP FUNCTION IF EXISTS {name}()"]
    if source == "records":
        return [statement for table in RECORD_LISTS for event in ("insert", "delete", "update")
                for statement in ((f"DROP TRIGGER IF EXISTS {name}_{table}_{event} ON {table}",
                                   f"DROP FUNCTION IF EXISTS {name}_{table}_{event}()")
                                  if dialect == "postgresql" else (f"DROP TRIGGER IF EXISTS {name}_{table}_{event}",))]
    moving = MOVE_TABLES.get(source)
    events = ("insert", "delete", "update", *((moving,) if moving else ()))
    summary = DAY_EVENTS.get(source)
    also = summary.also_dropped(dialect) if summary is not None and summary.also_dropped else []
    if dialect != "postgresql":
        return [*(f"DROP TRIGGER IF EXISTS {name}_{event}" for event in events), *also]
    if source == "loan":  # statement triggers (0039), or the row trigger before them
        return [*(statement for event in events for statement in (f"DROP TRIGGER IF EXISTS {name}_{event} ON loan",
                                                                   f"DROP FUNCTION IF EXISTS {name}_{event}()")),
                f"DROP TRIGGER IF EXISTS {name} ON loan", f"DROP FUNCTION IF EXISTS {name}()"]
    if source in ("household", "clock", *DAY_EVENTS, *MOVE_TABLES):  # statement triggers: a function per event
        table = SOURCE_TABLES.get(source, source)
        return [*(statement for event in events
                  for statement in (f"DROP TRIGGER IF EXISTS {name}_{event} ON {moving if event == moving else table}",
                                    f"DROP FUNCTION IF EXISTS {name}_{event}()")), *also]
    return [f"DROP TRIGGER IF EXISTS {name} ON {source}", f"DROP FUNCTION IF EXISTS {name}()"]


def _rebuild_sql(dialect: str, sources: tuple[str, ...], counties: bool = True, loan_totals: bool = True
                 ) -> list[str]:
    fill = {
        "disbursement": [_payments_grouped("disbursement_month", DISBURSEMENT_KEYS)],
        "loan": [statement for flow, snapshot, grain in _loan_grains(loan_totals)
                 for statement in _loan_rebuild(dialect, flow, snapshot, grain)],
        "asset": [
            f"INSERT INTO asset_year ({', '.join(ASSET_KEYS)}, assets, value_fen) "
            f"SELECT {_asset_values(dialect, 'a')}, COUNT(*), SUM(a.value_fen) FROM asset AS a "
            f"GROUP BY {', '.join(str(i + 1) for i in range(len(ASSET_KEYS)))}"],
        "household": _household_grouped(dialect, [(1, "FROM household AS h")], counties),
        "disbursement_category": [_category_grouped([(1, "FROM disbursement AS d")])],
        "asset_income": [_income_grouped([(1, "FROM asset_income AS i")])],
        "asset_place": [
            f"INSERT INTO asset_place_year ({', '.join(ASSET_PLACE_KEYS)}, {', '.join(ASSET_PLACE_MEASURES)}) "
            f"SELECT {', '.join(ASSET_PLACE_KEYS)}, {', '.join(f'SUM({m})' for m in ASSET_PLACE_MEASURES)} FROM ("
            + _asset_place_rows(dialect, "a", 1, "asset AS a")
            + f") AS placed GROUP BY {', '.join(ASSET_PLACE_KEYS)} ORDER BY {', '.join(ASSET_PLACE_KEYS)}"],
        "disbursement_day": [_payments_grouped("disbursement_day", DISBURSEMENT_DAY_KEYS)],
        "records": ["INSERT INTO record_count (source, county_code, records) " + " UNION ALL ".join(
            f"SELECT '{table}', r.county_code, COUNT(*) FROM {table} AS r WHERE {listed.format(row='r')} "
            f"GROUP BY r.county_code" for table, listed in RECORD_LISTS.items())],
        "first_measure": [],  # _fill_first_measure
        "first_of_kind": [],  # _fill_first_of_kind
        "clock": _clock_grouped(dialect, _clock_events(dialect, "h", 1, "FROM household AS h")),
        **{name: summary.rebuild_sql(dialect) for name, summary in DAY_EVENTS.items()},
    }
    return ([f"DELETE FROM {table}" for source in sources for table in tables_of(source, loan_totals)]
            + [statement for source in sources for statement in fill[source]])


def tables_of(source: str, loan_totals: bool = True) -> tuple[str, ...]:
    """The summary tables of ``source`` (``loan_totals`` false: without the loans' totals, which
    do not exist before migration 0024)."""
    if source == "loan":
        return tuple(table for flow, snapshot, _ in _loan_grains(loan_totals) for table in (flow, snapshot))
    return TABLES[source]


def _loan_grouped(dialect: str, flow: str, snapshot: str, grain: tuple[str, ...],
                  signed_sources: list[tuple[int, str]]) -> list[str]:
    """The statements adding the loans of ``signed_sources`` (``(sign, "FROM <rows> AS l")``: the
    raw loans for a rebuild into emptied tables, or a PostgreSQL statement trigger's transition
    tables) to one grain of the loan summaries, grouped first: each summary row is written once
    per statement, not once per loan, and a group the statement left unchanged (an update that
    moved nothing in it) not at all.  The rows go in in their keys' order, so concurrent writers
    lock them in one order."""
    keys = ", ".join(grain)
    values = ", ".join(f"l.{k} AS {k}" for k in grain)
    events = " UNION ALL ".join(
        f"SELECT {_ym(dialect, 'l.issued_on')} AS ym, {values}, {sign} AS il, {sign} * l.amount_fen AS ia, "
        f"0 AS el, 0 AS ea {source} UNION ALL "
        f"SELECT {_ym(dialect, _ends('l'))} AS ym, {values}, 0, 0, {sign}, {sign} * l.amount_fen {source} "
        f"WHERE l.repaid_on IS NOT NULL" for sign, source in signed_sources)
    spans = " UNION ALL ".join(
        f"SELECT c.year_end AS year_end, {values}, {sign} AS n, {sign} * l.amount_fen AS a {source} "
        f"JOIN {_calendar(dialect)} AS c ON l.issued_on <= c.year_end "
        f"AND (l.repaid_on IS NULL OR l.repaid_on > c.year_end)" for sign, source in signed_sources)
    flow_keys, snapshot_keys = ("ym", *grain), ("year_end", *grain)
    return [
        f"INSERT INTO {flow} (ym, {keys}, {', '.join(LOAN_FLOW_MEASURES)}) "
        f"SELECT ym, {keys}, SUM(il), SUM(ia), SUM(el), SUM(ea) FROM ({events}) AS events GROUP BY ym, {keys} "
        f"HAVING SUM(il) <> 0 OR SUM(ia) <> 0 OR SUM(el) <> 0 OR SUM(ea) <> 0 ORDER BY ym, {keys} "
        + _upsert(flow, flow_keys, LOAN_FLOW_MEASURES),
        f"INSERT INTO {snapshot} (year_end, {keys}, loans, amount_fen) "
        f"SELECT year_end, {keys}, SUM(n), SUM(a) FROM ({spans}) AS spans GROUP BY year_end, {keys} "
        f"HAVING SUM(n) <> 0 OR SUM(a) <> 0 ORDER BY year_end, {keys} "
        + _upsert(snapshot, snapshot_keys, ("loans", "amount_fen"))]


def _loan_rebuild(dialect: str, flow: str, snapshot: str, grain: tuple[str, ...]) -> list[str]:
    """The statements that fill one grain of the loan summaries from the raw loans."""
    return _loan_grouped(dialect, flow, snapshot, grain, [(1, "FROM loan AS l")])


#: The loan columns the loan summaries are made of: PostgreSQL's update trigger returns at once
#: when no updated loan changed one of them (an import writing its loans again as they were).
LOAN_SUMMED = ("county_code", "programme", "bank", "borrower_type", "status", "issued_on", "repaid_on", "amount_fen")


def _loan_statement_triggers(totals: bool = True) -> list[str]:
    """PostgreSQL: one statement trigger per event on ``loan`` reading its transition tables
    (migration 0039).  The row trigger before it rewrote each loan's year-end snapshot rows, one
    per year end from its issue to its end or to 2040, for each loan of a statement: at scale 1,
    20,000 loans added in one statement took 8-14 s and the same loans updated 53-74 s."""
    def grouped(sources):
        return [statement for flow, snapshot, grain in _loan_grains(totals)
                for statement in _loan_grouped("postgresql", flow, snapshot, grain, sources)]

    tidy = []
    for flow, snapshot, grain in _loan_grains(totals):
        keys = ", ".join(grain)
        moved = (f"SELECT DISTINCT {_ym('postgresql', 'o.issued_on')}, {', '.join(f'o.{k}' for k in grain)} "
                 f"FROM old_rows AS o UNION SELECT DISTINCT {_ym('postgresql', _ends('o'))}, "
                 f"{', '.join(f'o.{k}' for k in grain)} FROM old_rows AS o WHERE o.repaid_on IS NOT NULL")
        tidy += [f"DELETE FROM {flow} WHERE (ym, {keys}) IN ({moved}) AND issued_loans = 0 AND ended_loans = 0",
                 f"DELETE FROM {snapshot} WHERE ({keys}) IN (SELECT DISTINCT {keys} FROM old_rows) AND loans = 0"]
    return _statement_triggers("fw_summary_loan", "loan", "l", grouped, tidy, summed=LOAN_SUMMED)


def loan_row_trigger_ddl(totals: bool = True) -> list[str]:
    """PostgreSQL: the row trigger that kept the loan summaries before migration 0039 (its downgrade)."""
    def body(row: str, sign: int) -> str:
        return " ".join(s + ";" for s in _loan_statements("postgresql", row, sign, totals))
    return [f"CREATE OR REPLACE FUNCTION fw_summary_loan() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP IN ('DELETE', 'UPDATE') THEN {body('OLD', -1)} END IF; "
            f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {body('NEW', 1)} END IF; RETURN NULL; END $$",
            "CREATE TRIGGER fw_summary_loan AFTER INSERT OR UPDATE OR DELETE ON loan "
            "FOR EACH ROW EXECUTE FUNCTION fw_summary_loan()"]


def fill_loan_totals(conn: Connection) -> None:
    """Fill the loans' totals (migration 0024) from the full grain of the loan summaries, which
    they sum over the banks and borrower types: the same rows a rebuild from the loans makes (no
    row of the full grain is empty, so no sum is), in seconds where a rebuild reads every loan
    (3.9 million at ten times the demo: more than a minute on SQLite)."""
    (flow, snapshot, _), (total_flow, total_snapshot, keys) = LOAN_GRAINS
    grain, measures = ", ".join(keys), LOAN_FLOW_MEASURES
    conn.exec_driver_sql(f"INSERT INTO {total_flow} (ym, {grain}, {', '.join(measures)}) "
                         f"SELECT ym, {grain}, {', '.join(f'SUM({m})' for m in measures)} FROM {flow} "
                         f"GROUP BY ym, {grain}")
    conn.exec_driver_sql(f"INSERT INTO {total_snapshot} (year_end, {grain}, loans, amount_fen) "
                         f"SELECT year_end, {grain}, SUM(loans), SUM(amount_fen) FROM {snapshot} "
                         f"GROUP BY year_end, {grain}")


def drop_triggers(conn: Connection, sources: tuple[str, ...] = SOURCES) -> None:
    for source in sources:
        for statement in _drop_ddl(conn.dialect.name, source):
            conn.exec_driver_sql(statement)


def create_triggers(conn: Connection, sources: tuple[str, ...] = SOURCES, *, counties: bool = True,
                    loan_totals: bool = True) -> None:
    for source in sources:
        for statement in _trigger_ddl(conn.dialect.name, source, counties, loan_totals):
            conn.exec_driver_sql(statement)


def rebuild(conn: Connection, sources: tuple[str, ...] = SOURCES, *, counties: bool = True,
            loan_totals: bool = True) -> None:
    """Fill the summary tables of ``sources`` afresh from the raw rows (inside the caller's
    transaction).  ``counties`` false: the households without their counties' totals (the grains
    before migration 0013, for its downgrade); ``loan_totals`` false: the loans without their
    totals (before migration 0024, for its downgrade)."""
    later = tuple(source for source in sources if source in AFTER_KEPT)
    for statement in _rebuild_sql(conn.dialect.name, tuple(s for s in sources if s not in later), counties,
                                  loan_totals):
        conn.exec_driver_sql(statement)
    if "first_measure" in sources:
        _fill_first_measure(conn)
    if "first_of_kind" in sources:
        _fill_first_of_kind(conn)
    for statement in _rebuild_sql(conn.dialect.name, later):
        conn.exec_driver_sql(statement)


def install(conn: Connection, sources: tuple[str, ...] = SOURCES, *, counties: bool = True,
            loan_totals: bool = True) -> None:
    """Fill the summaries of ``sources`` from the raw rows and create the triggers that keep them
    (idempotent).  A migration names the sources whose tables it created (``counties``,
    ``loan_totals``: :func:`rebuild`)."""
    drop_triggers(conn, sources)
    rebuild(conn, sources, counties=counties, loan_totals=loan_totals)
    create_triggers(conn, sources, counties=counties, loan_totals=loan_totals)
    if conn.dialect.name == "postgresql":  # freshly filled tables have no statistics: plans would guess
        for table in (t for source in sources for t in tables_of(source, loan_totals)):
            conn.exec_driver_sql(f"ANALYZE {table}")


@contextmanager
def suspended(conn: Connection) -> Iterator[None]:
    """Bulk loads inside the block skip the row triggers; the summaries are rebuilt from the raw
    rows at its end and the triggers come back, all in ``conn``'s transaction (a failure inside
    rolls back the dropped triggers with everything else).  The data generation's triggers
    (:mod:`fundwatch.data.generation`) are skipped too, and the generation moves once at the end."""
    drop_triggers(conn)
    generation.drop_triggers(conn)
    yield
    install(conn)
    generation.create_triggers(conn)
    generation.bump(conn)
