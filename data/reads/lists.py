"""Paged, sorted record lists for the drill-down tables, with personal data masked.

Each list takes the region to show (any level), ``sort`` (a whitelisted column, ``-`` prefix for
descending), ``limit`` and ``offset``, and returns ``(rows, total)``: the page and the number of
matching rows.  Names and ID numbers are masked here, before the frame leaves ``data``.

The total of a list without filters for the prefecture or a county comes from ``record_count``
(migration 0018), kept per county by triggers: counted over the raw rows, it grew with the years
of history (a county's 700,000 loans at ten times the demo: 28 ms on SQLite, 35-75 ms on
PostgreSQL).  A township's or village's total, or a filtered list's, counts its own rows (an
index range of the region, or of the filter).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, Select, func, select

from ..db import reader
from ..masking import mask_frame
from ..models import Asset, Household, Loan, Project, RecordCount
from ..scope import Scope, require_scope
from ._common import frame, region_condition, region_level, to_yuan

MAX_PAGE = 5000


def _page(engine: Engine, stmt: Select, columns: dict, sort: str | None, limit: int, offset: int,
          default_sort: str, kept: Select | None = None) -> tuple[pd.DataFrame, int]:
    """The page of ``stmt`` in the order of ``sort`` and the number of its rows: the kept count
    ``kept`` (:func:`_kept_total`) when given, else a count of ``stmt``'s rows."""
    if not 0 < limit <= MAX_PAGE or offset < 0:
        raise ValueError(f"limit must be 1..{MAX_PAGE} and offset >= 0")
    sort = sort or default_sort
    name = sort.lstrip("-")
    if name not in columns:
        raise ValueError(f"cannot sort by {name!r}; choose one of {sorted(columns)}")
    order = columns[name].desc() if sort.startswith("-") else columns[name].asc()
    with reader(engine).connect() as conn:
        total = conn.execute(kept if kept is not None
                             else select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = frame(engine, stmt.order_by(order, columns["id"]).limit(limit).offset(offset))
    return rows, int(total)


def _kept_total(engine: Engine, scope: Scope, region: str | None, source: str, *, township: bool,
                filtered: bool = False) -> Select | None:
    """The statement reading the total of the list of ``source`` (a key of
    :data:`fundwatch.data.summaries.RECORD_LISTS`) from ``record_count``, or None where the list
    counts its own rows: a ``filtered`` list, a village, or a township of a table that records
    townships (``township``).  A township of a table without its own township column lists the
    township's county, as :func:`~._common.region_condition` restricts it."""
    if filtered:
        return None
    level, info = region_level(engine, scope, region)
    if level == "city":
        where = scope.clause(RecordCount.county_code)
    elif level == "county" or (level == "township" and not township):
        where = RecordCount.county_code == info[1]  # a region the scope may see (region_info)
    else:
        return None
    return select(func.coalesce(func.sum(RecordCount.records), 0)).where(RecordCount.source == source, where)


def projects_frame(engine: Engine, scope: Scope, *, region: str | None = None, year: int | None = None,
                   category: str | None = None, sort: str | None = None, limit: int = 100,
                   offset: int = 0) -> tuple[pd.DataFrame, int]:
    """Projects in the region (started in ``year`` when given): code, name, places, category,
    budget (yuan), status, years, pool membership."""
    require_scope(scope)
    cols = {c.key: c for c in (Project.id, Project.code, Project.name, Project.county_code,
                               Project.township_code, Project.village_code, Project.category,
                               Project.budget_fen, Project.status, Project.start_year, Project.end_year,
                               Project.in_pool)}
    stmt = select(*cols.values()).where(region_condition(
        engine, scope, region, county=Project.county_code, township=Project.township_code,
        village=Project.village_code))
    if year is not None:
        stmt = stmt.where(Project.start_year == year)
    if category is not None:
        stmt = stmt.where(Project.category == category)
    kept = _kept_total(engine, scope, region, "project", township=True,
                       filtered=year is not None or category is not None)
    rows, total = _page(engine, stmt, cols, sort, limit, offset, "-budget_fen", kept)
    return to_yuan(rows, "budget_fen"), total


def loans_frame(engine: Engine, scope: Scope, *, region: str | None = None, status: str | None = None,
                programme: str | None = None, sort: str | None = None, limit: int = 100,
                offset: int = 0) -> tuple[pd.DataFrame, int]:
    """Loans in the region with borrower name and ID number masked."""
    require_scope(scope)
    cols = {c.key: c for c in (Loan.id, Loan.contract_no, Loan.programme, Loan.bank, Loan.borrower_type,
                               Loan.borrower_name, Loan.borrower_id_no, Loan.county_code, Loan.village_code,
                               Loan.amount_fen, Loan.rate_pct, Loan.issued_on, Loan.maturity_on,
                               Loan.repaid_on, Loan.industry, Loan.status)}
    stmt = select(*cols.values()).where(region_condition(
        engine, scope, region, county=Loan.county_code, village=Loan.village_code))
    if status is not None:
        stmt = stmt.where(Loan.status == status)
    if programme is not None:
        stmt = stmt.where(Loan.programme == programme)
    kept = _kept_total(engine, scope, region, "loan", township=False,
                       filtered=status is not None or programme is not None)
    rows, total = _page(engine, stmt, cols, sort, limit, offset, "-issued_on", kept)
    rows = mask_frame(rows, names=("borrower_name",), ids=("borrower_id_no",))
    return to_yuan(rows, "amount_fen"), total


def assets_frame(engine: Engine, scope: Scope, *, region: str | None = None, asset_class: str | None = None,
                 status: str | None = None, sort: str | None = None, limit: int = 100,
                 offset: int = 0) -> tuple[pd.DataFrame, int]:
    """Assets in the region: code, name, class, subtype, value (yuan), formed date, owner,
    custodian, status, source project."""
    require_scope(scope)
    cols = {c.key: c for c in (Asset.id, Asset.code, Asset.name, Asset.project_id, Asset.county_code,
                               Asset.village_code, Asset.asset_class, Asset.subtype, Asset.value_fen,
                               Asset.formed_on, Asset.owner, Asset.custodian, Asset.status)}
    stmt = select(*cols.values()).where(region_condition(
        engine, scope, region, county=Asset.county_code, village=Asset.village_code))
    if asset_class is not None:
        stmt = stmt.where(Asset.asset_class == asset_class)
    if status is not None:
        stmt = stmt.where(Asset.status == status)
    kept = _kept_total(engine, scope, region, "asset", township=False,
                       filtered=asset_class is not None or status is not None)
    rows, total = _page(engine, stmt, cols, sort, limit, offset, "-value_fen", kept)
    return to_yuan(rows, "value_fen"), total


def households_frame(engine: Engine, scope: Scope, *, region: str | None = None,
                     monitored_only: bool = True, sort: str | None = None, limit: int = 100,
                     offset: int = 0) -> tuple[pd.DataFrame, int]:
    """Households in the region with head name and ID number masked (surname + *, 3 + 4 digits).
    None under small-count suppression (``scope.suppress_small``: aggregates only)."""
    require_scope(scope)
    cols = {c.key: c for c in (Household.id, Household.code, Household.head_name, Household.head_id_no,
                               Household.county_code, Household.township_code, Household.village_code,
                               Household.members, Household.category, Household.cause, Household.channel,
                               Household.income_year, Household.income_per_capita_fen, Household.found_on,
                               Household.identified_on, Household.entered_on,
                               Household.risk_eliminated_on)}
    stmt = select(*cols.values()).where(region_condition(
        engine, scope, region, county=Household.county_code, township=Household.township_code,
        village=Household.village_code), scope.record_clause(Household.county_code))
    if monitored_only:
        stmt = stmt.where(Household.found_on.is_not(None))
    kept = _kept_total(engine, scope, region, "household", township=True,
                       filtered=not monitored_only or scope.suppress_small)  # suppressed: none listed
    rows, total = _page(engine, stmt, cols, sort, limit, offset, "-found_on", kept)
    rows = mask_frame(rows, names=("head_name",), ids=("head_id_no",))
    return to_yuan(rows, "income_per_capita_fen"), total
