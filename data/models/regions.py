"""Regions: prefecture -> county -> township -> village, and the flags they carry by year."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .. import vocab
from .base import Base, one_of


class Region(Base):
    """One administrative unit.

    ``code`` is the official division code: 6 digits for a county, 9 for a township, 12 for a
    village.  The two functional zones of Ganzhou have no statutory code and use ``ZONE-..``.
    ``county_code`` is the county the unit lies in (itself for a county, NULL for the city):
    every scoped read filters on it.
    """

    __tablename__ = "region"
    __table_args__ = (
        one_of("level", vocab.REGION_LEVELS),
        Index("ix_region_parent", "parent_code", "code"),
        Index("ix_region_county_level", "county_code", "level"),
    )

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    county_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    kind: Mapped[str | None] = mapped_column(String(32), doc="市辖区, 县, 县级市, 功能区 ...")
    population: Mapped[int | None] = mapped_column(Integer, doc="resident population (2020)")
    rural_population: Mapped[int | None] = mapped_column(Integer)
    lon: Mapped[float | None]
    lat: Mapped[float | None]


class RegionFlag(Base):
    """A flag a region held from ``start_year`` to ``end_year`` (inclusive; NULL = still holds).

    ``exit_date`` is the date a poverty county or poor village left the list.
    """

    __tablename__ = "region_flag"
    __table_args__ = (
        one_of("flag", vocab.REGION_FLAGS),
        Index("ix_region_flag_county", "county_code", "flag", "start_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    flag: Mapped[str] = mapped_column(String(32))
    start_year: Mapped[int]
    end_year: Mapped[int | None]
    exit_date: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(128))
