"""Scoped reads: every function takes an engine and a :class:`~fundwatch.data.scope.Scope`
and returns a pandas DataFrame, with filtering and aggregation done in SQL.

Amounts come back in yuan (float) in columns without the ``_fen`` suffix; they are summed
exactly as integer fen in the database first.
"""

from ._common import region_info
from .assets import asset_income_frame, asset_mix_frame, asset_places_frame
from .funds import disbursement_pace_frame, funds_frame, pace_by_county_frame
from .households import household_status, household_status_frame
from .lists import assets_frame, households_frame, loans_frame, projects_frame
from .loans import leverage_frame, leverage_of, loan_position_frame, loans_issued_frame, risk_fund_frame
from .regions import region_flags_frame, regions_frame
from .summary import headline_totals, table_counts

__all__ = [
    "asset_income_frame", "asset_mix_frame", "asset_places_frame", "assets_frame", "disbursement_pace_frame", "funds_frame",
    "headline_totals", "household_status", "household_status_frame", "households_frame", "leverage_frame",
    "leverage_of", "loan_position_frame", "loans_frame", "loans_issued_frame", "pace_by_county_frame",
    "projects_frame", "region_flags_frame", "region_info", "regions_frame", "risk_fund_frame", "table_counts",
]
