"""Households on record and under monitoring (监测对象, seeds/003 二), their assistance and dibao."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from .. import vocab
from .base import Base, Fen, not_negative, one_of


#: The columns of ``ix_household_county``: every column the transition page's household figures
#: of a county read (status on a date, category and cause, income against the alert line, the
#: dates its household list sorts by: ``entered_on`` since migration 0014, and the first
#: assistance measure: migration 0021).
COUNTY_COVERING = ("county_code", "found_on", "risk_eliminated_on", "identified_on", "category", "cause", "members",
                   "income_year", "income_per_capita_fen", "entered_on", "id", "first_measure_on",
                   "first_measure_days")
#: The columns of ``ix_measure_household``: a household's measures up to a date, read from the
#: index alone (the measure mix and the wait for a first measure, 0011).
MEASURE_COVERING = ("household_id", "started_on", "kind", "amount_fen", "county_code", "id")
#: The columns of ``ix_household_income``: a county's households of an income year in order of
#: income, with what says whether they were under monitoring on a date (the income bins, 0016).
INCOME_COVERING = ("county_code", "income_year", "income_per_capita_fen", "found_on", "risk_eliminated_on")
#: Days from found to entered from which a case counts as having waited long (``ix_household_waiting``).
LONG_WAIT_DAYS = 30
#: The condition of ``ix_household_waiting`` per database: a case found and not entered, or entered
#: :data:`LONG_WAIT_DAYS` or more after it was found.  A case open on a day (found by it, not
#: entered by it) was found in the :data:`LONG_WAIT_DAYS` before it, or is one of these (0030).
WAITING = {"sqlite": "found_on IS NOT NULL AND (entered_on IS NULL OR "
                     f"julianday(entered_on) - julianday(found_on) >= {LONG_WAIT_DAYS})",
           "postgresql": f"found_on IS NOT NULL AND (entered_on IS NULL OR entered_on - found_on >= {LONG_WAIT_DAYS})"}
#: Days from found to entered beyond which a case may have missed its 15 working days: the fewest
#: calendar days 15 working days span (:func:`fundwatch.data.workdays.fewest_days`), 17.
SLOW_ENTRY_DAYS = 17
#: The condition of ``ix_household_slow`` per database: a case found and not entered, or entered
#: more than :data:`SLOW_ENTRY_DAYS` after it was found.  Any other case was entered on time
#: whatever the day, so the transition page's list of the most overdue reads only these (0032).
SLOW_ENTRY = {"sqlite": "found_on IS NOT NULL AND (entered_on IS NULL OR "
                        f"julianday(entered_on) - julianday(found_on) > {SLOW_ENTRY_DAYS})",
              "postgresql": f"found_on IS NOT NULL AND (entered_on IS NULL OR entered_on - found_on > {SLOW_ENTRY_DAYS})"}
#: The columns of ``ix_measure_kind``: a county's measures by kind and household (the measure mix
#: counts each kind's households without sorting them, 0016).
MEASURE_KIND_COVERING = ("county_code", "kind", "household_id", "started_on", "amount_fen", "id")


class Household(Base):
    """A rural household with its latest per-capita income, and its monitoring record if any.

    Monitoring: ``found_on`` (and ``channel``) when the risk was found, ``identified_on`` when
    identification finished, ``entered_on`` when it was entered into the system (both due within
    15 working days of ``found_on``), ``risk_eliminated_on`` when it left monitoring.  A household
    with no ``found_on`` is on record but not monitored (rule H1 looks for those below the alert
    line).  ``returned_to_poverty_on`` records a return to poverty (rule H4).
    ``first_measure_on`` (the start of the household's earliest assistance measure) and
    ``first_measure_days`` (the days from ``identified_on`` to it) are kept by triggers from
    ``assistance_measure`` (:mod:`fundwatch.data.summaries`, migration 0021); nothing else writes them.
    Head name and ID number are personal data: masked before leaving ``data``.
    The five checks are "two assurances, three guarantees" plus safe drinking water (NULL = not
    yet checked).
    """

    __tablename__ = "household"
    __table_args__ = (
        one_of("category", vocab.HOUSEHOLD_CATEGORIES),
        one_of("cause", vocab.RISK_CAUSES),
        one_of("channel", vocab.DISCOVERY_CHANNELS),
        *not_negative("income_per_capita_fen"),
        # A county's households read from the index alone by the transition page (0011).
        Index("ix_household_county", *COUNTY_COVERING),
        Index("ix_household_income", *INCOME_COVERING),
        Index("ix_household_village", "village_code"),
        Index("ix_household_found", "found_on"),
        Index("ix_household_township_found", "township_code", "found_on"),
        Index("ix_household_village_found", "village_code", "found_on"),
        Index("ix_household_identified", "identified_on"),  # a partial month's status changes (0009)
        Index("ix_household_eliminated", "risk_eliminated_on"),
        # a county's partial month's status changes (0035; its found dates: ix_household_county),
        # partial on PostgreSQL, whose plans for a county's households at large took the narrow
        # full index for the county's; whole on SQLite, whose plan for a county's open households
        # (date NULL or later) took a partial one for half the condition and the prefecture's
        # index for the NULLs
        Index("ix_household_county_identified", "county_code", "identified_on",
              postgresql_where=text("identified_on IS NOT NULL")),
        Index("ix_household_county_eliminated", "county_code", "risk_eliminated_on",
              postgresql_where=text("risk_eliminated_on IS NOT NULL")),
        # the few households that returned to poverty, for rule H4 (0023)
        Index("ix_household_returned", "returned_to_poverty_on", "county_code",
              sqlite_where=text("returned_to_poverty_on IS NOT NULL"),
              postgresql_where=text("returned_to_poverty_on IS NOT NULL")),
        # the cases still not entered or entered long after they were found, for the transition
        # page's open cases (0030)
        Index("ix_household_waiting", "county_code", "found_on",
              sqlite_where=text(WAITING["sqlite"]), postgresql_where=text(WAITING["postgresql"])),
        # the transition page's household list in its default order (0032): a county's households
        # by id, and the cases that may have been entered late
        Index("ix_household_county_id", "county_code", "id", "found_on", "entered_on"),
        Index("ix_household_slow", "county_code", "found_on", "entered_on", "id",
              sqlite_where=text(SLOW_ENTRY["sqlite"]), postgresql_where=text(SLOW_ENTRY["postgresql"])),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, doc="户编号")
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    township_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    village_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    head_name: Mapped[str] = mapped_column(String(64))
    head_id_no: Mapped[str] = mapped_column(String(18))
    members: Mapped[int]
    labour_capable: Mapped[bool] = mapped_column(Boolean, default=True)
    income_year: Mapped[int]
    income_per_capita_fen: Mapped[int] = mapped_column(Fen, doc="annual per-capita net income")
    category: Mapped[str | None] = mapped_column(String(24))
    cause: Mapped[str | None] = mapped_column(String(24))
    channel: Mapped[str | None] = mapped_column(String(24))
    found_on: Mapped[dt.date | None] = mapped_column(Date)
    identified_on: Mapped[dt.date | None] = mapped_column(Date)
    entered_on: Mapped[dt.date | None] = mapped_column(Date)
    risk_eliminated_on: Mapped[dt.date | None] = mapped_column(Date)
    returned_to_poverty_on: Mapped[dt.date | None] = mapped_column(Date)
    food_clothing_ok: Mapped[bool | None] = mapped_column(Boolean)
    schooling_ok: Mapped[bool | None] = mapped_column(Boolean)
    medical_ok: Mapped[bool | None] = mapped_column(Boolean)
    housing_ok: Mapped[bool | None] = mapped_column(Boolean)
    water_ok: Mapped[bool | None] = mapped_column(Boolean)
    first_measure_on: Mapped[dt.date | None] = mapped_column(Date, doc="kept by triggers (0021)")
    first_measure_days: Mapped[int | None] = mapped_column(doc="kept by triggers (0021)")


class AssistanceMeasure(Base):
    """An assistance measure given to a monitored household, by case (seeds/003 二).

    ``first_of_kind`` says whether it is the earliest of its household's measures of its kind in
    its county (the measure mix counts a kind's households by it); triggers keep it
    (:mod:`fundwatch.data.summaries`, migration 0028), nothing else writes it."""

    __tablename__ = "assistance_measure"
    __table_args__ = (
        one_of("kind", vocab.MEASURE_KINDS),
        *not_negative("amount_fen"),
        UniqueConstraint("household_id", "kind", "started_on"),
        Index("ix_measure_county", "county_code", "started_on"),
        Index("ix_measure_household", *MEASURE_COVERING),
        Index("ix_measure_kind", *MEASURE_KIND_COVERING),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    kind: Mapped[str] = mapped_column(String(24))
    started_on: Mapped[dt.date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(Fen, default=0)
    note: Mapped[str | None] = mapped_column(String(200))
    first_of_kind: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                                doc="kept by triggers (0028)")


class DibaoStandard(Base):
    """A county's rural minimum-living-guarantee standard for a year, per person per year.

    The income alert line is 1.2 times it (seeds/003 二).
    """

    __tablename__ = "dibao_standard"
    __table_args__ = (*not_negative("annual_fen"),)

    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    annual_fen: Mapped[int] = mapped_column(Fen)
