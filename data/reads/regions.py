"""Reads of the region tree and its flags."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, or_, select

from ..models import Region, RegionFlag
from ..scope import Scope, require_scope
from ._common import frame


def regions_frame(engine: Engine, scope: Scope, *, level: str | None = None, parent: str | None = None) -> pd.DataFrame:
    """Regions the scope may see: code, name, level, parent_code, county_code, kind, populations.

    The prefecture row (level ``city``) is visible to every scope: it names the whole.
    """
    require_scope(scope)
    stmt = select(
        Region.code, Region.name, Region.level, Region.parent_code, Region.county_code,
        Region.kind, Region.population, Region.rural_population, Region.lon, Region.lat,
    ).where(or_(scope.clause(Region.county_code), Region.level == "city"))
    if level is not None:
        stmt = stmt.where(Region.level == level)
    if parent is not None:
        stmt = stmt.where(Region.parent_code == parent)
    return frame(engine, stmt.order_by(Region.code))


def region_flags_frame(engine: Engine, scope: Scope, *, year: int | None = None, flag: str | None = None) -> pd.DataFrame:
    """Flags held by regions in the scope (in ``year`` when given): region_code, flag, years, exit_date."""
    require_scope(scope)
    stmt = select(
        RegionFlag.id, RegionFlag.region_code, RegionFlag.county_code, RegionFlag.flag,
        RegionFlag.start_year, RegionFlag.end_year, RegionFlag.exit_date,
    ).where(scope.clause(RegionFlag.county_code))
    if year is not None:
        stmt = stmt.where(RegionFlag.start_year <= year,
                          or_(RegionFlag.end_year.is_(None), RegionFlag.end_year >= year))
    if flag is not None:
        stmt = stmt.where(RegionFlag.flag == flag)
    return frame(engine, stmt.order_by(RegionFlag.region_code, RegionFlag.flag, RegionFlag.start_year))
