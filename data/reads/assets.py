"""Reads of project assets: mix by class, custody and ownership gaps, income and its distribution."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Engine, case, func, select

from ..models import Asset, AssetIncome
from ..scope import Scope, require_scope
from ._common import fen_sum, frame, region_condition, to_yuan

ASSET_GROUPS = ("county_code", "village_code", "asset_class", "subtype", "status", "owner")


def asset_mix_frame(
    engine: Engine, scope: Scope, *, by: Sequence[str] = ("asset_class",), region: str | None = None,
    formed_by_year: int | None = None,
) -> pd.DataFrame:
    """Assets (not disposed) grouped by ``by``: count, value (yuan), and the custody picture:
    ``no_custodian`` (public-welfare assets without one), ``no_owner``, ``idle_or_damaged``.
    """
    require_scope(scope)
    unknown = set(by) - set(ASSET_GROUPS)
    if unknown:
        raise ValueError(f"cannot group assets by {sorted(unknown)}")
    keys = [getattr(Asset, name) for name in by]
    stmt = select(
        *keys,
        func.count(Asset.id).label("assets"),
        fen_sum(Asset.value_fen, "value_fen"),
        func.count(case(((Asset.asset_class == "public_welfare") & Asset.custodian.is_(None), Asset.id))).label("no_custodian"),
        func.count(case((Asset.owner.is_(None), Asset.id))).label("no_owner"),
        func.count(case((Asset.status.in_(("idle", "damaged")), Asset.id))).label("idle_or_damaged"),
    ).where(
        region_condition(engine, scope, region, county=Asset.county_code, village=Asset.village_code),
        Asset.status != "disposed",
    )
    if formed_by_year is not None:
        stmt = stmt.where(func.extract("year", Asset.formed_on) <= formed_by_year)
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    return to_yuan(frame(engine, stmt), "value_fen")


def asset_income_frame(
    engine: Engine, scope: Scope, *, by: Sequence[str] = ("year",), region: str | None = None,
    subtype: str | None = None,
) -> pd.DataFrame:
    """Operating-asset income (yuan) and its distribution to collective, households and other,
    grouped by ``by`` (year, county_code, subtype)."""
    require_scope(scope)
    columns = {"year": AssetIncome.year, "county_code": AssetIncome.county_code, "subtype": Asset.subtype}
    unknown = set(by) - set(columns)
    if unknown:
        raise ValueError(f"cannot group asset income by {sorted(unknown)}")
    keys = [columns[name] for name in by]
    stmt = (
        select(*keys, func.count(AssetIncome.id).label("records"),
               fen_sum(AssetIncome.income_fen, "income_fen"),
               fen_sum(AssetIncome.to_collective_fen, "to_collective_fen"),
               fen_sum(AssetIncome.to_households_fen, "to_households_fen"),
               fen_sum(AssetIncome.to_other_fen, "to_other_fen"))
        .join(Asset, Asset.id == AssetIncome.asset_id)
        .where(region_condition(engine, scope, region, county=AssetIncome.county_code, village=Asset.village_code))
    )
    if subtype is not None:
        stmt = stmt.where(Asset.subtype == subtype)
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    return to_yuan(frame(engine, stmt), "income_fen", "to_collective_fen", "to_households_fen", "to_other_fen")
