"""Reads of project assets: mix by class, custody and ownership gaps, income and its distribution."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Engine, Integer, Select, String, bindparam, case, false, func, select, true

from ..db import read_rows
from ..models import Asset, AssetIncome, AssetPlaceYear, AssetYear
from ..scope import Scope, require_scope
from . import naive
from ._common import columns_frame, fen_sum, frame, region_condition, region_level, to_yuan

ASSET_GROUPS = ("county_code", "village_code", "asset_class", "subtype", "status", "owner")


#: Groupings the ``asset_year`` summary holds (village and owner read the raw assets).
SUMMARY_GROUPS = ("county_code", "asset_class", "subtype", "status")


def asset_mix_frame(
    engine: Engine, scope: Scope, *, by: Sequence[str] = ("asset_class",), region: str | None = None,
    formed_by_year: int | None = None,
) -> pd.DataFrame:
    """Assets (not disposed) grouped by ``by``: count, value (yuan), and the custody picture:
    ``no_custodian`` (public-welfare assets without one), ``no_owner``, ``idle_or_damaged``.

    The prefecture, a county or a township (assets are held per county and village) read the
    ``asset_year`` summary in one statement; a village, or a grouping by village or owner, sums the
    raw assets (:func:`fundwatch.data.reads.naive.asset_mix_frame`, the raw reference).
    """
    require_scope(scope)
    unknown = set(by) - set(ASSET_GROUPS)
    if unknown:
        raise ValueError(f"cannot group assets by {sorted(unknown)}")
    summarised = set(by) <= set(SUMMARY_GROUPS)
    level, info = region_level(engine, scope, region)
    if not summarised or level == "village":
        return naive.asset_mix_frame(engine, scope, by=by, region=region, formed_by_year=formed_by_year)
    if level == "township":  # the summary has no township: a township reads its county's rows
        level = "county"
    stmt = _mix_statement(scope, tuple(by), level, formed_by_year is not None)
    rows = read_rows(engine, stmt, {"county": info[1] if level == "county" else None, "formed": formed_by_year})
    return columns_frame(rows, [*by, "assets", "no_custodian", "no_owner", "idle_or_damaged", "value_fen"],
                         ints=("assets", "no_custodian", "no_owner", "idle_or_damaged"), yuan=("value_fen",))


@functools.lru_cache(maxsize=256)
def _mix_statement(scope: Scope, by: tuple[str, ...], level: str, formed: bool) -> Select:
    """The ``asset_year`` statement of :func:`asset_mix_frame` for one shape, built once: ``level``
    ``city`` (every county of the scope), ``county`` (parameter ``county``) or ``unknown``
    (nothing); with ``formed`` the assets formed by the parameter ``formed`` (a year)."""
    y = AssetYear
    keys = [getattr(y, name) for name in by]
    where = {"city": true(), "county": y.county_code == bindparam("county", type_=String())}.get(level, false())
    stmt = select(
        *keys, fen_sum(y.assets, "assets"),
        fen_sum(case(((y.asset_class == "public_welfare") & (y.no_custodian == 1), y.assets), else_=0),
                "no_custodian"),
        fen_sum(case((y.no_owner == 1, y.assets), else_=0), "no_owner"),
        fen_sum(case((y.status.in_(("idle", "damaged")), y.assets), else_=0), "idle_or_damaged"),
        fen_sum(y.value_fen, "value_fen"),
    ).where(scope.clause(y.county_code), where, y.status != "disposed")
    if formed:
        stmt = stmt.where(y.formed_year <= bindparam("formed", type_=Integer()))
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    return stmt


#: What :func:`asset_places_frame` groups a county's or a township's assets by.
PLACE_GROUPS = ("place", "asset_class")
#: The measures of :func:`asset_places_frame`, after its key (``value`` in yuan, last).
PLACE_MEASURES = ("assets", "no_custodian", "no_owner", "idle_or_damaged", "value_fen")


def asset_places_frame(engine: Engine, scope: Scope, county: str, *, township: str | None = None,
                       by: str = "place", formed_by_year: int | None = None) -> pd.DataFrame:
    """Assets (not disposed) of ``county``'s townships, or of ``township``'s villages, one row per
    place (``code``), or with ``by="asset_class"`` a township's by class (``asset_class``): count,
    ``no_custodian`` (public-welfare assets without one), ``no_owner``, ``idle_or_damaged`` and
    ``value`` (yuan); with ``formed_by_year`` only the assets formed by that year.  An asset counts
    under the township its village belongs to in the region table; one of no village, or of a
    village the table does not place in the county, counts nowhere.  Only places holding assets
    have a row; a county outside the scope has none.

    Read from ``asset_place_year`` (migration 0033): a few rows per place and year, where summing
    the county's assets by village read all of them (31,000 in the largest county at ten times the
    demo: 10-11 ms on SQLite).  :func:`fundwatch.data.reads.naive.asset_places_frame` is the raw
    reference."""
    require_scope(scope)
    if by not in PLACE_GROUPS:
        raise ValueError(f"cannot group a place's assets by {by!r}")
    if by == "asset_class" and township is None:
        raise ValueError("a county's assets by class come from asset_mix_frame")
    stmt = _places_statement(scope, township is not None, by, formed_by_year is not None)
    rows = read_rows(engine, stmt, {"county": county, "township": township, "formed": formed_by_year})
    return columns_frame(rows, ["code" if by == "place" else by, *PLACE_MEASURES],
                         ints=PLACE_MEASURES[:-1], yuan=("value_fen",))


@functools.lru_cache(maxsize=64)
def _places_statement(scope: Scope, township: bool, by: str, formed: bool) -> Select:
    """The ``asset_place_year`` statement of :func:`asset_places_frame` for one shape, built once:
    the county (``county``), the township (``township``) and the year (``formed``) bound.  A
    county's townships are their totals (``village_code = ''``, the primary key's range of the
    county); a township's villages and its total by class are the range of
    ``ix_asset_place_year_township``."""
    p = AssetPlaceYear
    where = [scope.clause(p.county_code), p.county_code == bindparam("county", type_=String())]
    if township:
        where.append(p.township_code == bindparam("township", type_=String()))
        where.append(p.village_code != "" if by == "place" else p.village_code == "")
        key = p.village_code if by == "place" else p.asset_class
    else:
        where += [p.village_code == "", p.township_code != ""]
        key = p.township_code
    if formed:
        where.append(p.formed_year <= bindparam("formed", type_=Integer()))
    name = "code" if by == "place" else by
    return (select(key.label(name), *(fen_sum(getattr(p, m), m) for m in PLACE_MEASURES))
            .where(*where).group_by(key).order_by(key))


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
