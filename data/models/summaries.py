"""Summary tables: aggregates of the big tables that the database keeps equal to them.

They are written only by triggers on the raw tables (created by migration 0005, see
:mod:`fundwatch.data.summaries`), in the same transaction as the write that changes the raw rows,
so no write path can forget them.  Reads use them so that a page touches rows in proportion to
what it shows, not to the years of history behind it (docs/summaries.md).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, DateTime, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Fen


class DisbursementMonth(Base):
    """Disbursements per county, year, month (``ym``), source level and programme."""

    __tablename__ = "disbursement_month"
    __table_args__ = (Index("ix_disbursement_month_year", "year", "ym", "county_code"),)

    county_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    ym: Mapped[int] = mapped_column(primary_key=True)
    source_level: Mapped[str] = mapped_column(String(16), primary_key=True)
    programme: Mapped[str] = mapped_column(String(24), primary_key=True)
    payments: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(Fen)


class DisbursementDay(Base):
    """Disbursements per budget year, month (``ym``), county, day paid, source level and programme
    (migration 0036): a partial month's payments, the month's days up to a date, where a page's date
    falls inside a month (``disbursement_month`` holds the whole months)."""

    __tablename__ = "disbursement_day"
    __table_args__ = {"sqlite_with_rowid": False}

    year: Mapped[int] = mapped_column(primary_key=True)
    ym: Mapped[int] = mapped_column(primary_key=True)
    county_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    paid_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    source_level: Mapped[str] = mapped_column(String(16), primary_key=True)
    programme: Mapped[str] = mapped_column(String(24), primary_key=True)
    payments: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(Fen)


class DisbursementCategoryMonth(Base):
    """Disbursements per programme, category of the project paid (``project.category``), county,
    year and month (``ym``): the linkage funds spent on industry projects, a share the transition
    page shows for every county and year, are a sum over a few thousand of these rows instead of a
    lookup of every industry project's payments (migration 0012)."""

    __tablename__ = "disbursement_category_month"

    programme: Mapped[str] = mapped_column(String(24), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    county_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    ym: Mapped[int] = mapped_column(primary_key=True)
    payments: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(Fen)


class _LoanPosition:
    """The measures of a loan year-end snapshot: loans outstanding and their amount."""

    loans: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(Fen)


class _LoanFlow:
    """The measures of a loan month flow: loans issued and ended (repaid) and their amounts."""

    issued_loans: Mapped[int] = mapped_column(BigInteger)
    issued_fen: Mapped[int] = mapped_column(Fen)
    ended_loans: Mapped[int] = mapped_column(BigInteger)
    ended_fen: Mapped[int] = mapped_column(Fen)


class LoanYearEnd(_LoanPosition, Base):
    """Loans outstanding at the end of each year of :data:`~fundwatch.data.summaries.CALENDAR_YEARS`,
    per county, programme, bank, borrower type and (current) status."""

    __tablename__ = "loan_year_end"

    year_end: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    county_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    programme: Mapped[str] = mapped_column(String(32), primary_key=True)
    bank: Mapped[str] = mapped_column(String(40), primary_key=True)
    borrower_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)


#: The rest of a loan month flow's columns: the loan reads find everything in their index (0019).
FLOW_VALUES = ("programme", "bank", "borrower_type", "status", "issued_loans", "ended_loans", "issued_fen", "ended_fen")


class LoanMonthFlow(_LoanFlow, Base):
    """Loans starting (issued) and ending (repaid) in each month, with the same keys as
    :class:`LoanYearEnd`: the position moves by ``issued - ended`` in the month."""

    __tablename__ = "loan_month_flow"
    __table_args__ = (Index("ix_loan_month_flow_months", "ym", "county_code", *FLOW_VALUES),  # the prefecture's (0019)
                      Index("ix_loan_month_flow_county", "county_code", "ym", *FLOW_VALUES))  # a county's (0019)

    ym: Mapped[int] = mapped_column(primary_key=True)
    county_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    programme: Mapped[str] = mapped_column(String(32), primary_key=True)
    bank: Mapped[str] = mapped_column(String(40), primary_key=True)
    borrower_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)


class LoanTotalYearEnd(_LoanPosition, Base):
    """:class:`LoanYearEnd` summed over the banks and borrower types: loans outstanding at each
    year end per county, programme and status (migration 0024).  The reads that group by county
    or programme alone (the leverage, the scoring page's measure, the loans by county) sum a few
    rows per county from here instead of one per bank and borrower type."""

    __tablename__ = "loan_total_year_end"

    year_end: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    county_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    programme: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)


class LoanTotalDay(_LoanPosition, Base):
    """Loans outstanding moving per county, day (``event_on``), programme and status (migration
    0038): a loan counts +1 with its amount on the day it was issued and -1 on the day it was
    repaid (one repaid on or before its issue day never counts).  A date inside a month adds its
    month's days up to it to the loans' totals of the last whole month, where the raw loans issued
    or repaid in the month so far were read.  Keyed with the day after the county, so the partial
    month of one county, or of each county of the prefecture, is one range of the key (SQLite
    keeps the rows in that order: no rowid)."""

    __tablename__ = "loan_total_day"
    __table_args__ = {"sqlite_with_rowid": False}

    county_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    event_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    programme: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)


class LoanTotalMonthFlow(_LoanFlow, Base):
    """:class:`LoanMonthFlow` summed over the banks and borrower types (migration 0024), with the
    keys of :class:`LoanTotalYearEnd`."""

    __tablename__ = "loan_total_month_flow"

    ym: Mapped[int] = mapped_column(primary_key=True)
    county_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    programme: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)


class AssetYear(Base):
    """Assets per county, year formed, class, subtype and status, and whether each lacks an owner
    (``no_owner``) or a custodian (``no_custodian``), 1 or 0: count and value."""

    __tablename__ = "asset_year"

    county_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    formed_year: Mapped[int] = mapped_column(primary_key=True)
    asset_class: Mapped[str] = mapped_column(String(16), primary_key=True)
    subtype: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    no_owner: Mapped[int] = mapped_column(primary_key=True)
    no_custodian: Mapped[int] = mapped_column(primary_key=True)
    assets: Mapped[int] = mapped_column(BigInteger)
    value_fen: Mapped[int] = mapped_column(Fen)


class AssetPlaceYear(Base):
    """Assets not disposed per county, township, village, year formed and class (migration 0033):
    count, value, and how many lack a custodian (public-welfare assets), an owner, or stand idle
    or damaged.  Each asset of a known village counts twice: under its village and under
    ``village_code = ''`` (its township's total; ``township_code`` is the village's township,
    ``''`` for a village the region table does not place in the asset's county).  The ranking of
    a county's townships sums a few rows per township and year instead of every asset of the
    county (31,000 at ten times the demo), a township's its villages' rows."""

    __tablename__ = "asset_place_year"
    # a township's villages (and its total) as one range; the primary key gives a county's townships
    __table_args__ = (Index("ix_asset_place_year_township", "county_code", "township_code", "village_code",
                            "formed_year", "asset_class"),)

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    village_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    formed_year: Mapped[int] = mapped_column(primary_key=True)
    asset_class: Mapped[str] = mapped_column(String(16), primary_key=True)
    # last: a trigger finds an asset's two rows by the other keys (the township is looked up)
    township_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    assets: Mapped[int] = mapped_column(BigInteger)
    value_fen: Mapped[int] = mapped_column(Fen)
    no_custodian: Mapped[int] = mapped_column(BigInteger)
    no_owner: Mapped[int] = mapped_column(BigInteger)
    idle_or_damaged: Mapped[int] = mapped_column(BigInteger)


class AssetIncomeYear(Base):
    """Operating-asset income records per county, year and whether the asset is a photovoltaic
    station (``pv``, 1 or 0: its subtype ``pv_station``): records, income and its distribution.
    The transition page's asset income of a county or the prefecture is a sum over a few dozen
    of these rows instead of every record of the years behind it (migration 0017)."""

    __tablename__ = "asset_income_year"

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    pv: Mapped[int] = mapped_column(primary_key=True)
    records: Mapped[int] = mapped_column(BigInteger)
    income_fen: Mapped[int] = mapped_column(Fen)
    to_collective_fen: Mapped[int] = mapped_column(Fen)
    to_households_fen: Mapped[int] = mapped_column(Fen)
    to_other_fen: Mapped[int] = mapped_column(Fen)


class RecordCount(Base):
    """The rows of each record list per county (``source``: ``project``, ``loan``, ``asset`` or
    ``household``, the households found): a list's total for a county or the prefecture is a sum
    of a few rows instead of a count of every record of the years behind it (a county's loans at
    ten times the demo: 700,000; migration 0018)."""

    __tablename__ = "record_count"

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    county_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    records: Mapped[int] = mapped_column(BigInteger)


class DataGeneration(Base):
    """One row counting the writes to the tables the policy rules read (see
    :mod:`fundwatch.data.generation`): it moves, in the writing transaction, whenever any of them
    changes, so a result computed from those tables can be kept and recognised as still true."""

    __tablename__ = "data_generation"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(BigInteger)


class FindingSnapshot(Base):
    """The findings of the policy rules for one scope, year, date and rule configuration, as they
    were at one :class:`DataGeneration` (see :mod:`fundwatch.data.rules.stored`).  ``findings``
    is the JSON of the rows :func:`fundwatch.data.rules.evaluate` returned."""

    __tablename__ = "finding_snapshot"
    __table_args__ = (
        UniqueConstraint("scope_key", "year", "as_of", "config", "generation", name="uq_finding_snapshot_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_key: Mapped[str] = mapped_column(Text)
    year: Mapped[int] = mapped_column()
    as_of: Mapped[dt.date] = mapped_column(Date)
    config: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    findings: Mapped[str] = mapped_column(Text)


class HouseholdYearEnd(Base):
    """Households per status on each year end of :data:`fundwatch.data.summaries.CALENDAR_YEARS`,
    per county, township, village and category (no category: ``''``).  Each household is counted
    three times: under its village, under ``village_code = ''`` (the township's total) and under
    ``township_code = village_code = ''`` (the county's total, migration 0013), so a township read
    sums a few rows per township instead of one per village, and a county or prefecture read by
    county or category a few rows per county instead of one per township."""

    __tablename__ = "household_year_end"
    __table_args__ = (Index("ix_household_year_end_grain", "village_code", "year_end"),
                      Index("ix_household_year_end_place", "county_code", "village_code", "year_end"),
                      # the counties' totals (township_code '') of the prefecture (0013)
                      Index("ix_household_year_end_counties", "township_code", "year_end"))

    year_end: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    township_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    village_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    households: Mapped[int] = mapped_column(BigInteger)
    members: Mapped[int] = mapped_column(BigInteger)


#: A county's month flows at one grain in month order, every column the read needs included.
FLOW_PLACE_COLUMNS = ("county_code", "village_code", "ym", "township_code", "category", "status",
                      "households_in", "households_out", "members_in", "members_out")


#: The counties' month flows in month order, every column the read needs included.
FLOW_COUNTY_COLUMNS = ("township_code", "ym", "county_code", "category", "status",
                       "households_in", "households_out", "members_in", "members_out")

#: One county's totals (``township_code`` '') in month order, every column the read needs included
#: (0020): its months of the monitoring flow without the other counties' rows of those months.
FLOW_ONE_COUNTY_COLUMNS = ("county_code", "township_code", "ym", "category", "status",
                           "households_in", "households_out", "members_in", "members_out")


class HouseholdMonthFlow(Base):
    """Households entering and leaving each status per month (``ym``), same keys as
    :class:`HouseholdYearEnd`: a status's count moves by ``households_in - households_out``."""

    __tablename__ = "household_month_flow"
    __table_args__ = (Index("ix_household_month_flow_county", *FLOW_ONE_COUNTY_COLUMNS),  # (0020)
                      Index("ix_household_month_flow_grain", "village_code", "ym"),
                      # the counties' totals (township_code ''), of the prefecture or of one county (0013)
                      Index("ix_household_month_flow_counties", *FLOW_COUNTY_COLUMNS),
                      # a county's townships' totals read from the index alone (0009)
                      Index("ix_household_month_flow_place", *FLOW_PLACE_COLUMNS))

    ym: Mapped[int] = mapped_column(primary_key=True)
    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    township_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    village_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    households_in: Mapped[int] = mapped_column(BigInteger)
    members_in: Mapped[int] = mapped_column(BigInteger)
    households_out: Mapped[int] = mapped_column(BigInteger)
    members_out: Mapped[int] = mapped_column(BigInteger)


class HouseholdStatusDay(Base):
    """Households entering (+) and leaving (-) each status (pending, monitored, eliminated) per
    county, day (``event_on``), township and category, with their members (migration 0037).  Each
    household counts under its township and under ``township_code = ''`` (its county's total), as
    :class:`HouseholdMonthFlow` does; there is no village grain (a village's day inside a month
    reads its raw households, a few dozen).  A day inside a month adds the month's days up to it to
    the last whole month of the year-end snapshot and month flows.  Keyed with the day after the
    county, so the partial month of one county, or of each county of the prefecture, is one range
    of the key (SQLite keeps the rows in that order: no rowid)."""

    __tablename__ = "household_status_day"
    __table_args__ = {"sqlite_with_rowid": False}

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    township_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    households: Mapped[int] = mapped_column(BigInteger)
    members: Mapped[int] = mapped_column(BigInteger)


class WorkdayDue(Base):
    """The identification limit's dates of a case found on ``day`` (2010-2040, every day): its
    ``due_on``, the 15th working day after it (seeds/003 item 二(一)), ``late_on``, the day after
    that (the first day a case still not identified and entered is late), and ``provisional`` (1
    when the due date counted a day outside the official holiday data, 0 else).  Not a summary of
    other tables: the working-day calendar of :mod:`fundwatch.data.workdays`, kept in the database
    so that the triggers of the identification clock can judge a case in the writing transaction
    (migration 0025; :func:`fundwatch.data.due_dates.refresh` rewrites it when the holiday data
    change)."""

    __tablename__ = "workday_due"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    due_on: Mapped[dt.date] = mapped_column(Date)
    late_on: Mapped[dt.date] = mapped_column(Date)
    provisional: Mapped[int] = mapped_column()


class _ClockCounts:
    """The identification clock's events of a group (each a count of cases): ``found``, judged
    ``on_time`` (identified and entered by the due date), judged ``late``, and of the cases found
    the ``provisional`` ones (their due date counted a day outside the official holiday data)."""

    found: Mapped[int] = mapped_column(BigInteger)
    on_time: Mapped[int] = mapped_column(BigInteger)
    late: Mapped[int] = mapped_column(BigInteger)
    provisional: Mapped[int] = mapped_column(BigInteger)


class ClockMonth(_ClockCounts, Base):
    """The identification clock's events per found month (``found_ym``) of the cases, county and
    month the event happened (``event_ym``): a case counts as found in the month it was found, as
    on time in the month it was both identified and entered (when by its due date), and as late in
    the month after its due date ran out (when not identified and entered by then).  The clock of
    a year on a month end is a sum over a few hundred of these rows (migration 0025)."""

    __tablename__ = "clock_month"

    found_ym: Mapped[int] = mapped_column(primary_key=True)  # first: a year's rows are one range
    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_ym: Mapped[int] = mapped_column(primary_key=True)


class ClockDay(_ClockCounts, Base):
    """The same events per day (``event_on``): the clock on a date inside a month adds the days of
    that partial month (migration 0025)."""

    __tablename__ = "clock_day"

    event_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # first: a month's days are one range
    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    found_ym: Mapped[int] = mapped_column(primary_key=True)



class _MonitoringCounts:
    """Households entering (+) and leaving (-) monitoring, and their members (migration 0026):
    found, and risk eliminated."""

    households: Mapped[int] = mapped_column(BigInteger)
    members: Mapped[int] = mapped_column(BigInteger)


class MonitoringYear(_MonitoringCounts, Base):
    """:class:`_MonitoringCounts` per county, category, cause (``''`` for none) and year: the
    households under monitoring at a year's end are the sum of its county's years up to it.  Keyed
    with the year last, so a county's figure is one range of the key in group order, which SQLite
    reads from the table itself (no rowid)."""

    __tablename__ = "monitoring_year"
    __table_args__ = {"sqlite_with_rowid": False}

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    cause: Mapped[str] = mapped_column(String(24), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)


class MonitoringMonth(_MonitoringCounts, Base):
    """:class:`_MonitoringCounts` per month (``ym``): a date after the first month of its year
    adds the months of its year before it.

    On PostgreSQL, whose table is a heap beside its key, the prefecture's months of a year are
    read through ``ix_monitoring_month_ym`` (migration 0031): without it every month of every
    year is scanned, 27,000 rows at ten times the demo for 2,300 (4.3-4.9 ms instead of
    2.1-2.6).  SQLite, which keeps the rows in the key's order, reads each county's range of the
    key and has no use for it: the index is created on PostgreSQL only."""

    __tablename__ = "monitoring_month"
    __table_args__ = (Index("ix_monitoring_month_ym", "ym").ddl_if(dialect="postgresql"),
                      {"sqlite_with_rowid": False})

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    cause: Mapped[str] = mapped_column(String(24), primary_key=True)
    ym: Mapped[int] = mapped_column(primary_key=True)


class MonitoringDay(_MonitoringCounts, Base):
    """:class:`_MonitoringCounts` per day (``event_on``): a date inside a month adds its month's days."""

    __tablename__ = "monitoring_day"
    __table_args__ = {"sqlite_with_rowid": False}

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    cause: Mapped[str] = mapped_column(String(24), primary_key=True)


class WaitYear(Base):
    """Households found and identified, per county, wait for their first assistance measure
    (``wait``: a bucket of days from identification, or ``none`` while none started) and year,
    entering (+) and leaving (-) each wait (migration 0026)."""

    __tablename__ = "wait_year"
    __table_args__ = {"sqlite_with_rowid": False}

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    wait: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    households: Mapped[int] = mapped_column(BigInteger)


class WaitMonth(Base):
    """:class:`WaitYear` per month (``ym``)."""

    __tablename__ = "wait_month"
    __table_args__ = {"sqlite_with_rowid": False}

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    wait: Mapped[str] = mapped_column(String(16), primary_key=True)
    ym: Mapped[int] = mapped_column(primary_key=True)
    households: Mapped[int] = mapped_column(BigInteger)


class WaitDay(Base):
    """:class:`WaitMonth` per day (``event_on``)."""

    __tablename__ = "wait_day"
    __table_args__ = {"sqlite_with_rowid": False}

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    wait: Mapped[str] = mapped_column(String(16), primary_key=True)
    households: Mapped[int] = mapped_column(BigInteger)


class CaseAgeYear(Base):
    """Open monitoring cases per county, age bucket (``age``: time since found, a key of
    ``summaries.AGE_BUCKETS``), status (``pending`` identification or ``monitored``) and year,
    entering (+) and leaving (-) each bucket and status (migration 0027): the open cases at a
    year's end are the sum of its county's years up to it."""

    __tablename__ = "case_age_year"
    __table_args__ = {"sqlite_with_rowid": False}

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    age: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    households: Mapped[int] = mapped_column(BigInteger)


class CaseAgeMonth(Base):
    """:class:`CaseAgeYear` per month (``ym``)."""

    __tablename__ = "case_age_month"
    __table_args__ = {"sqlite_with_rowid": False}

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    age: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    ym: Mapped[int] = mapped_column(primary_key=True)
    households: Mapped[int] = mapped_column(BigInteger)


class CaseAgeDay(Base):
    """:class:`CaseAgeMonth` per day (``event_on``)."""

    __tablename__ = "case_age_day"
    __table_args__ = {"sqlite_with_rowid": False}

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    age: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    households: Mapped[int] = mapped_column(BigInteger)


class _MeasureMixSums:
    """Assistance measures started (+) per county and kind, their households (each counted by the
    earliest of its measures of the kind: ``assistance_measure.first_of_kind``) and their amount
    (migration 0028)."""

    measures: Mapped[int] = mapped_column(BigInteger)
    households: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class MeasureMixYear(_MeasureMixSums, Base):
    """:class:`_MeasureMixSums` per county, kind and year: the measures started by a year's end are
    the sum of its county's years up to it."""

    __tablename__ = "measure_mix_year"
    __table_args__ = {"sqlite_with_rowid": False}

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)


class MeasureMixMonth(_MeasureMixSums, Base):
    """:class:`_MeasureMixSums` per month (``ym``)."""

    __tablename__ = "measure_mix_month"
    __table_args__ = {"sqlite_with_rowid": False}

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    ym: Mapped[int] = mapped_column(primary_key=True)


class MeasureMixDay(_MeasureMixSums, Base):
    """:class:`_MeasureMixSums` per day (``event_on``)."""

    __tablename__ = "measure_mix_day"
    __table_args__ = {"sqlite_with_rowid": False}

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)


class _IncomeBandCounts:
    """Households on record in an income band and those of them under monitoring (migration 0029).

    A band (``bin``) is a tenth of the income alert line of the household's county and income year
    (1.2 x that year's dibao standard, seeds/003 二(一)): ``bin`` 7 holds incomes of 0.7-0.8 x the
    line, the last bin every income from three times the line.  A household counts in
    ``households`` from the first day of :data:`~fundwatch.data.summaries.ON_RECORD` and in
    ``monitored`` from the day it was found to the day its risk was eliminated; one whose county has
    no standard for its income year counts in neither."""

    households: Mapped[int] = mapped_column(BigInteger)
    monitored: Mapped[int] = mapped_column(BigInteger)


class IncomeBandYear(_IncomeBandCounts, Base):
    """:class:`_IncomeBandCounts` per county, band and year."""

    __tablename__ = "income_band_year"
    __table_args__ = {"sqlite_with_rowid": False}

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    bin: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)


class IncomeBandMonth(_IncomeBandCounts, Base):
    """:class:`_IncomeBandCounts` per month (``ym``)."""

    __tablename__ = "income_band_month"
    __table_args__ = {"sqlite_with_rowid": False}

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    bin: Mapped[int] = mapped_column(primary_key=True)
    ym: Mapped[int] = mapped_column(primary_key=True)


class IncomeBandDay(_IncomeBandCounts, Base):
    """:class:`_IncomeBandCounts` per day (``event_on``)."""

    __tablename__ = "income_band_day"
    __table_args__ = {"sqlite_with_rowid": False}

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    bin: Mapped[int] = mapped_column(primary_key=True)


class _AssetFormedSums:
    """Assets formed (+) per county, class, status and whether each lacks a custodian
    (``no_custodian``) or an owner (``no_owner``), 1 or 0: count and value (migration 0034).  An
    asset counts on the day it was formed, with the class, status, custodian and owner it has now:
    the transition page's assets formed by a date and their custody are the sums up to that day."""

    assets: Mapped[int] = mapped_column(BigInteger)
    value_fen: Mapped[int] = mapped_column(BigInteger)


class AssetFormedYear(_AssetFormedSums, Base):
    """:class:`_AssetFormedSums` per county, key and year formed."""

    __tablename__ = "asset_formed_year"
    __table_args__ = {"sqlite_with_rowid": False}

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    asset_class: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    no_custodian: Mapped[int] = mapped_column(primary_key=True)
    no_owner: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)


class AssetFormedMonth(_AssetFormedSums, Base):
    """:class:`_AssetFormedSums` per month formed (``ym``)."""

    __tablename__ = "asset_formed_month"
    __table_args__ = {"sqlite_with_rowid": False}

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    asset_class: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    no_custodian: Mapped[int] = mapped_column(primary_key=True)
    no_owner: Mapped[int] = mapped_column(primary_key=True)
    ym: Mapped[int] = mapped_column(primary_key=True)


class AssetFormedDay(_AssetFormedSums, Base):
    """:class:`_AssetFormedSums` per day formed (``event_on``)."""

    __tablename__ = "asset_formed_day"
    __table_args__ = {"sqlite_with_rowid": False}

    county_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    asset_class: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    no_custodian: Mapped[int] = mapped_column(primary_key=True)
    no_owner: Mapped[int] = mapped_column(primary_key=True)
