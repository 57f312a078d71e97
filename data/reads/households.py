"""Reads of households under monitoring: counts by category and status as of a date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Engine, case, func, literal, or_, select

from ..masking import suppress_small_counts
from ..models import Household
from ..scope import Scope, require_scope
from ._common import as_date, frame, region_condition

HOUSEHOLD_GROUPS = ("county_code", "township_code", "village_code", "category", "cause", "channel", "status")


def household_status(as_of: dt.date):
    """SQL expression: a household's monitoring status on ``as_of``
    (unmonitored, pending, monitored, eliminated; vocab.HOUSEHOLD_STATUSES)."""
    return case(
        (or_(Household.found_on.is_(None), Household.found_on > as_of), literal("unmonitored")),
        (Household.risk_eliminated_on <= as_of, literal("eliminated")),
        (or_(Household.identified_on.is_(None), Household.identified_on > as_of), literal("pending")),
        else_=literal("monitored"),
    )


def household_status_frame(
    engine: Engine, scope: Scope, as_of: dt.date | str, *, by: Sequence[str] = ("category", "status"),
    region: str | None = None, monitored_only: bool = True,
) -> pd.DataFrame:
    """Households grouped by ``by`` (any of county_code, township_code, village_code, category,
    cause, channel, status) on ``as_of``: ``households`` and ``members``.  With
    ``monitored_only`` households never found by ``as_of`` are left out.

    Under small-count suppression (``scope.suppress_small``) a group of 1 to 4 households shows
    ``"<5"`` for ``households`` and ``members`` (object columns then; see
    :func:`~fundwatch.data.masking.suppress_small_counts`).
    """
    require_scope(scope)
    as_of = as_date(as_of)
    unknown = set(by) - set(HOUSEHOLD_GROUPS)
    if unknown:
        raise ValueError(f"cannot group households by {sorted(unknown)}")
    status = household_status(as_of).label("status")
    keys = [status if name == "status" else getattr(Household, name) for name in by]
    stmt = select(*keys, func.count(Household.id).label("households"),
                  func.coalesce(func.sum(Household.members), 0).label("members")).where(
        region_condition(engine, scope, region, county=Household.county_code,
                         township=Household.township_code, village=Household.village_code))
    if monitored_only:
        stmt = stmt.where(Household.found_on <= as_of)
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    out = frame(engine, stmt)
    out["members"] = out["members"].astype("int64")
    if scope.suppress_small:
        out = suppress_small_counts(out, ["households"], follow=["members"])
    return out
