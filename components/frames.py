"""The frames the stores publish: the cached reads of :mod:`.loaders` combined per page.

Every function here takes primitive arguments only and is itself cached, so the same filters
return the *same* frame object: a store compares by identity and leaves untouched the views
whose data did not change (a county change does not redraw the county map).

Amounts stay in yuan and ratios in fractions; units and labels are the presenters' business
(:mod:`.present`).  Household counts a viewer's scope suppresses arrive as ``"<5"`` and stay so
(:func:`household_counts`); nothing here adds them up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from fundwatch.data import rules as policy
from fundwatch.data.masking import count_column
from fundwatch.data.rules import SEVERITIES

from . import loaders as L
from .loaders import cached

HOUSEHOLD_STATUSES = ("pending", "monitored", "eliminated")


@dataclass(frozen=True)
class Milestone:
    """A disbursement milestone of rule F1: ``target`` (a fraction) due by ``due``."""

    due: dt.date
    target: float


def milestones(year: int) -> tuple[Milestone, ...]:
    """The F1 milestones of ``year`` as the rule engine is configured (seeds/000 item 13:
    50% by 31 March, 80% by 30 June; the year-end check is a configurable third)."""
    params = {rule.id: rule for rule in policy.resolve_rules()}["F1"].params
    due = [("first_date", "first_min"), ("second_date", "second_min")]
    if params.get("check_year_end"):
        due.append(("year_end_date", "year_end_min"))
    out = []
    for date_key, min_key in due:
        month, day = (int(part) for part in str(params[date_key]).split("-"))
        out.append(Milestone(dt.date(year, month, day), float(params[min_key])))
    return tuple(out)


def milestone_due(year: int, as_of: dt.date) -> Milestone | None:
    """The latest milestone already due on ``as_of`` (None before the first)."""
    passed = [m for m in milestones(year) if m.due <= as_of]
    return passed[-1] if passed else None


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})


def household_counts(found: pd.DataFrame, by: str) -> pd.DataFrame:
    """Households per region (``by``, the index named ``code``) and status (the columns
    :data:`HOUSEHOLD_STATUSES`) from a frame of one row per region and status; 0 where there is
    no row.  Each cell is one row of ``found``: a suppressed count stays ``"<5"``."""
    wide = found.pivot(index=by, columns="status", values="households").reindex(columns=list(HOUSEHOLD_STATUSES))
    wide = pd.DataFrame({status: count_column(wide[status]) for status in HOUSEHOLD_STATUSES}, index=wide.index)
    wide.index.name = "code"
    wide.columns.name = None
    return wide


# -- the counties, for the map and the ranking -------------------------------------------------

@cached
def county_metrics(url: str, scope_key: str, year: int, as_of: dt.date) -> pd.DataFrame:
    """One row per county-level unit: funds pace, credit, assets, households and warnings."""
    got = L.gather(counties=lambda: L.counties(url, scope_key),
                   pace=lambda: L.pace_by_county(url, scope_key, year, as_of),
                   leverage=lambda: L.leverage(url, scope_key, as_of, False),
                   loans=lambda: L.loan_position(url, scope_key, as_of, ("county_code",), None),
                   assets=lambda: L.asset_mix(url, scope_key, ("county_code",), None, year),
                   households=lambda: L.household_status(url, scope_key, as_of, ("county_code", "status"), None),
                   findings=lambda: L.findings(url, scope_key, year, as_of))
    out = got["counties"][["code", "name", "kind"]].reset_index(drop=True)
    _put(out, got["pace"].set_index("county_code"), ["allocated", "disbursed", "rate"])
    _put(out, got["leverage"].set_index("county_code"), ["outstanding", "risk_fund", "leverage"])
    _put(out, got["loans"].set_index("county_code"), ["overdue_rate"])
    _put(out, got["assets"].set_index("county_code"), ["assets", "value", "no_custodian", "idle_or_damaged"])
    _put(out, household_counts(got["households"], "county_code"), list(HOUSEHOLD_STATUSES))
    _put(out, _warning_counts(got["findings"]).set_index("code"), ["violations", "warnings"])
    counts = ["assets", "no_custodian", "idle_or_damaged", "violations", "warnings"]
    out[counts] = out[counts].fillna(0).astype("int64")
    for status in HOUSEHOLD_STATUSES:
        out[status] = count_column(out[status])
    for money in ("allocated", "disbursed", "outstanding", "risk_fund", "value"):
        out[money] = out[money].astype("float64").fillna(0.0)
    return out.rename(columns={"value": "asset_value"})


def _put(out: pd.DataFrame, by_code: pd.DataFrame, columns: list[str]) -> None:
    """Add ``columns`` of ``by_code`` (one row per region code, the index) to ``out``'s rows by
    their ``code``, missing where ``by_code`` has no row: a left merge, without merge's cost
    (the county table joins six frames on every load that reads it)."""
    part = by_code[columns].reindex(pd.Index(out["code"]))
    for column in columns:
        out[column] = part[column].to_numpy()


def _warning_counts(findings: pd.DataFrame) -> pd.DataFrame:
    if findings.empty:
        return pd.DataFrame({"code": pd.Series([], dtype=object), "violations": [], "warnings": []})
    violation = (findings["severity"] == "violation").astype("int64")
    return pd.DataFrame({
        "violations": violation.groupby(findings["region_code"]).sum(),
        "warnings": findings.groupby("region_code").size(),
    }).rename_axis("code").reset_index()


# -- the regions below a county or township ---------------------------------------------------------

@cached
def subregion_metrics(url: str, scope_key: str, county: str, township: str | None, year: int,
                      as_of: dt.date) -> pd.DataFrame:
    """One row per township of ``county`` (or per village of ``township``): monitored
    households and project assets, the figures recorded at that level."""
    parent = township or county
    level_column = "village_code" if township else "township_code"
    out = L.children(url, scope_key, parent)[["code", "name"]].reset_index(drop=True)
    _put(out, household_counts(L.household_status(url, scope_key, as_of, (level_column, "status"), parent),
                               level_column), list(HOUSEHOLD_STATUSES))
    # a village's assets count under its township (one of no known township is left out)
    assets = L.asset_places(url, scope_key, county, township, "place", year)
    columns = ["assets", "value", "no_custodian", "idle_or_damaged"]
    _put(out, assets.set_index("code")[columns], columns)
    counts = ["assets", "no_custodian", "idle_or_damaged"]
    out[counts] = out[counts].fillna(0).astype("int64")
    for status in HOUSEHOLD_STATUSES:
        out[status] = count_column(out[status])
    out["value"] = out["value"].astype("float64").fillna(0.0)
    return out.rename(columns={"value": "asset_value"})


# -- funds ------------------------------------------------------------------------------------------

@cached
def funds(url: str, scope_key: str, region: str | None, programme: str, source_level: str) -> pd.DataFrame:
    """Allocations 2016-2026 by year, source level and programme, restricted to the chosen
    programme and source level ("" for all)."""
    out = L.funds(url, scope_key, region)
    if programme:
        out = out[out["programme"] == programme]
    if source_level:
        out = out[out["source_level"] == source_level]
    return out[["year", "source_level", "programme", "amount", "allocations"]].reset_index(drop=True)


@cached
def pace(url: str, scope_key: str, year: int, as_of: dt.date, region: str | None, programme: str,
         source_level: str) -> pd.DataFrame:
    """The year's cumulative disbursement by month end (``date``), with the F1 target due by
    each month end (``milestone``, NaN before the first milestone)."""
    programmes = (programme,) if programme else None
    out = L.pace(url, scope_key, year, as_of, region, source_level or None, programmes).copy()
    out["date"] = [min(_month_end(year, int(m)), as_of) for m in out["month"]]
    due = milestones(year)
    out["milestone"] = [next((m.target for m in reversed(due) if m.due <= d), float("nan")) for d in out["date"]]
    return out[["month", "date", "disbursed", "cumulative", "allocated", "rate", "milestone"]]


def _month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1))


# -- loans ------------------------------------------------------------------------------------------

@cached
def loans_by(url: str, scope_key: str, as_of: dt.date, region: str | None, by: str) -> pd.DataFrame:
    """Loans outstanding grouped by ``by`` (borrower_type or bank), largest first."""
    out = L.loan_position(url, scope_key, as_of, (by,), region)
    return out.sort_values("outstanding", ascending=False).reset_index(drop=True)


@cached
def leverage(url: str, scope_key: str, as_of: dt.date, county: str | None) -> pd.DataFrame:
    """Leverage against the 1:8 line: per county (prefecture level, with ``name``), or per
    programme of one county (``county`` given)."""
    if county is None:
        out = L.leverage(url, scope_key, as_of, False).merge(
            L.counties(url, scope_key)[["code", "name"]], left_on="county_code", right_on="code", how="left")
        out["key"] = out["county_code"]
        return out[["key", "name", "loans", "outstanding", "risk_fund", "leverage", "capacity"]]
    # Read within the county alone: its loans and risk fund by programme (a county at scale 10 on
    # SQLite: 8 ms, against 19 for every county's, which a change after a write read again).
    out = L.leverage(url, L.within(L.scope_from_key(scope_key), county).key, as_of, True)
    out = out[out["county_code"] == county].copy()
    out["key"] = out["programme"]
    out["name"] = out["programme"]
    return out[["key", "name", "loans", "outstanding", "risk_fund", "leverage", "capacity"]].reset_index(drop=True)


# -- assets and households ------------------------------------------------------------------------

@cached
def assets(url: str, scope_key: str, region: str | None, level: str, county: str | None, year: int) -> pd.DataFrame:
    """Assets by class with the custody picture.  A township has no asset column of its own:
    its figures add up its villages' (its total in the asset summary by place)."""
    if level == "township":
        out = L.asset_places(url, scope_key, county, region, "asset_class", year)
    else:
        out = L.asset_mix(url, scope_key, ("asset_class",), region, year)
    return out[["asset_class", "assets", "value", "no_custodian", "no_owner", "idle_or_damaged"]].reset_index(drop=True)


@cached
def households(url: str, scope_key: str, as_of: dt.date, region: str | None) -> pd.DataFrame:
    """Households found by ``as_of`` by category and status (pending, monitored, eliminated)."""
    out = L.household_status(url, scope_key, as_of, ("category", "status"), region)
    return out[["category", "status", "households", "members"]]


# -- warnings ---------------------------------------------------------------------------------------

@cached
def warnings(url: str, scope_key: str, year: int, as_of: dt.date, county: str | None) -> pd.DataFrame:
    """The findings of the year as of the date, for one county or all; violations first."""
    out = L.findings(url, scope_key, year, as_of)
    if county is not None:
        out = out[out["region_code"] == county]
    return out.reset_index(drop=True)


def warning_counts(findings: pd.DataFrame) -> dict[str, int]:
    counts = findings["severity"].value_counts() if not findings.empty else {}
    return {severity: int(counts.get(severity, 0)) for severity in SEVERITIES}


# A finding's record table -> the record list that shows such rows.
RECORD_TABLE_LISTS = {"project": "projects", "loan": "loans", "asset": "assets", "household": "households"}


@cached
def finding_records(url: str, scope_key: str, table: str, county: str, ids: tuple[int, ...]) -> pd.DataFrame:
    """The rows behind a finding, read through the county's record list (masked by ``data``).

    The list is read in id order, a page at a time, and stops at the largest id wanted.  Tables
    without a record list (allocations, disbursements, ...) come back as their ids alone.
    """
    kind = RECORD_TABLE_LISTS.get(table)
    wanted = set(ids)
    if kind is None or not wanted:
        return pd.DataFrame({"id": sorted(wanted)})
    pages, offset, last = [], 0, max(wanted)
    while True:
        rows, total = L.records(url, scope_key, kind, county, "id", 5000, offset)
        pages.append(rows[rows["id"].isin(wanted)])
        offset += len(rows)
        if rows.empty or offset >= total or int(rows["id"].iloc[-1]) >= last:
            break
    return pd.concat(pages, ignore_index=True)


CACHED = (county_metrics, subregion_metrics, funds, pace, loans_by, leverage, assets, households, warnings,
          finding_records)
