"""Project assets (扶贫项目资产, seeds/003 八) and the yearly income of operating assets."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .. import vocab
from .base import Base, Fen, not_negative, one_of

#: The columns of ``ix_asset_county``: a county's assets by class (value, status, date formed,
#: custody and ownership) read from the index alone.
COUNTY_COVERING = ("county_code", "asset_class", "status", "formed_on", "value_fen", "custodian", "owner", "id")
#: The columns of ``ix_asset_income_county``: a county's income records up to a year, their asset
#: and amounts, read from the index alone (the transition page's asset income, 0015).
INCOME_COVERING = ("county_code", "year", "asset_id", "income_fen", "to_collective_fen", "to_households_fen",
                   "to_other_fen", "id")


class Asset(Base):
    """An asset a project left behind, with its owner (产权) and custodian (管护主体)."""

    __tablename__ = "asset"
    __table_args__ = (
        one_of("asset_class", vocab.ASSET_CLASSES),
        one_of("subtype", vocab.ASSET_SUBTYPES),
        one_of("status", vocab.ASSET_STATUSES),
        one_of("owner", vocab.ASSET_OWNERS),
        *not_negative("value_fen"),
        # the county's assets by class from the index alone: value, custody and ownership (0011)
        Index("ix_asset_county", *COUNTY_COVERING),
        Index("ix_asset_village", "village_code"),
        Index("ix_asset_project", "project_id"),
        Index("ix_asset_value", "value_fen"),
        Index("ix_asset_county_value", "county_code", "value_fen"),
        Index("ix_asset_village_value", "village_code", "value_fen"),
        # the asset mix of a county by village, from the index alone (migration 0010)
        Index("ix_asset_mix", "county_code", "village_code", "asset_class", "status", "formed_on", "value_fen",
              "custodian", "owner", "id"),
        # the photovoltaic stations (or any subtype) of the prefecture or a county, from the index (0015)
        Index("ix_asset_subtype", "subtype", "county_code", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"))
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    village_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    asset_class: Mapped[str] = mapped_column(String(16))
    subtype: Mapped[str] = mapped_column(String(16))
    value_fen: Mapped[int] = mapped_column(Fen)
    formed_on: Mapped[dt.date] = mapped_column(Date)
    owner: Mapped[str | None] = mapped_column(String(16))
    custodian: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))


class AssetIncome(Base):
    """A year's income of an operating asset and how it was distributed."""

    __tablename__ = "asset_income"
    __table_args__ = (
        UniqueConstraint("asset_id", "year"),
        *not_negative("income_fen", "to_collective_fen", "to_households_fen", "to_other_fen"),
        Index("ix_asset_income_county", *INCOME_COVERING),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"))
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    year: Mapped[int]
    income_fen: Mapped[int] = mapped_column(Fen)
    to_collective_fen: Mapped[int] = mapped_column(Fen, default=0)
    to_households_fen: Mapped[int] = mapped_column(Fen, default=0)
    to_other_fen: Mapped[int] = mapped_column(Fen, default=0)
