"""What the rule checks share: the evaluation context, the finding record and SQL/number helpers.

A check is a function ``check(ctx, params) -> list[Finding]``.  It runs its queries on
``ctx.conn``; every query filters every table it touches with ``ctx.where(table)``, which is
``ctx.scope.clause(table.c.county_code)``, so a county-scoped evaluation never reads another
county's rows.  Amounts are compared exactly as integer fen against thresholds turned into
fractions (:func:`ratio_parts`), so "exactly at the threshold" behaves the same on every backend.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from sqlalchemy import BigInteger, Connection, String, Table, cast, func
from sqlalchemy.sql.functions import aggregate_strings

from ..models import (
    Allocation, Asset, AssetIncome, AssistanceMeasure, CountyFinance, DibaoStandard, Disbursement,
    Household, Loan, Project, Region, RiskFundDeposit,
)
from ..scope import Scope

SEVERITIES = ("violation", "warning", "notice")
SEVERITY_LABELS = {
    "violation": ("违规", "violation"),
    "warning": ("预警", "warning"),
    "notice": ("提示", "notice"),
}

# The Core tables every check reads.
ALLOCATION: Table = Allocation.__table__
DISBURSEMENT: Table = Disbursement.__table__
PROJECT: Table = Project.__table__
COUNTY_FINANCE: Table = CountyFinance.__table__
LOAN: Table = Loan.__table__
RISK_FUND: Table = RiskFundDeposit.__table__
ASSET: Table = Asset.__table__
ASSET_INCOME: Table = AssetIncome.__table__
HOUSEHOLD: Table = Household.__table__
MEASURE: Table = AssistanceMeasure.__table__
DIBAO: Table = DibaoStandard.__table__
REGION: Table = Region.__table__

FEN_PER_YUAN = 100


@dataclass(frozen=True)
class Finding:
    """One finding of one rule for one county (and, for some rules, one sub-key such as a level).

    ``value`` and ``threshold`` are in ``unit``: ``ratio`` (0.42 = 42%), ``times`` (leverage),
    ``yuan`` or ``count`` (the number of records at fault; the threshold is then the number
    allowed, 0).  ``record_ids`` are ids in ``record_table``; ``detail`` holds anything else worth
    showing (due dates, levels, amounts), JSON-safe.
    """

    rule: str
    severity: str
    region_code: str
    value: float | int
    threshold: float | int
    unit: str
    message_zh: str
    message_en: str
    record_table: str
    record_ids: tuple[int, ...]
    detail: Mapping[str, Any] = field(default_factory=dict)
    key: str = ""  # tie-breaker for a stable order among findings of one rule and region


@dataclass(frozen=True)
class Context:
    """Everything a check needs: an open connection, the scope, the year and the as-of date."""

    conn: Connection
    scope: Scope
    year: int
    as_of: dt.date
    names: Mapping[str, str]  # county code -> county name, for the counties in scope

    def where(self, table: Table):
        """The scope condition on ``table``'s county-code column."""
        return self.scope.clause(table.c.county_code)

    def name(self, county_code: str) -> str:
        return self.names.get(county_code, county_code)

    @property
    def year_start(self) -> dt.date:
        return dt.date(self.year, 1, 1)

    @property
    def year_end(self) -> dt.date:
        return dt.date(self.year, 12, 31)

    @property
    def period_end(self) -> dt.date:
        """The last day of the year that as_of has reached (the year's end or as_of)."""
        return min(self.year_end, self.as_of)


# --- SQL helpers ---------------------------------------------------------------------------

def fen_sum(column, label: str):
    """SUM of an integer-fen expression as a 64-bit integer, 0 when there are no rows."""
    return cast(func.coalesce(func.sum(column), 0), BigInteger).label(label)


def id_list(column, label: str):
    """The ids of a group as one comma-separated string (NULLs skipped): GROUP_CONCAT/STRING_AGG."""
    return aggregate_strings(cast(column, String), ",").label(label)


def parse_ids(text: str | None) -> tuple[int, ...]:
    """Sorted unique ints of an :func:`id_list` string."""
    if not text:
        return ()
    return tuple(sorted({int(part) for part in str(text).split(",") if part}))


def merge_ids(*groups: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted({int(i) for group in groups for i in group}))


# --- exact comparisons -----------------------------------------------------------------------

def ratio_parts(threshold: float | int) -> tuple[int, int]:
    """``threshold`` as (numerator, denominator) of the decimal it was written as (0.8 -> 4/5)."""
    frac = Fraction(str(threshold)).limit_denominator(10**6)
    return frac.numerator, frac.denominator


def at_least(numerator: int, denominator: int, threshold: float | int) -> bool:
    """``numerator / denominator >= threshold``, exactly (denominator > 0)."""
    num, den = ratio_parts(threshold)
    return numerator * den >= num * denominator


# --- formatting --------------------------------------------------------------------------------

def yuan(fen: int) -> float:
    return fen / FEN_PER_YUAN


def pct(ratio: float, threshold: float | None = None) -> str:
    """A measured ratio as a percentage with one decimal: 0.42 -> '42.0%'.

    Given the ``threshold`` it is compared with, more decimals are shown (up to 4) while the
    rounded value would read the same as the threshold, so 49.999% never prints as '50.0%'.
    """
    value = ratio * 100
    digits = 1
    if threshold is not None:
        while digits < 4 and round(value, digits) == round(threshold * 100, digits) and value != threshold * 100:
            digits += 1
    return f"{value:.{digits}f}%"


def pct_threshold(ratio: float) -> str:
    """A threshold as a percentage without needless decimals: 50%, 3%, 2.5%."""
    return f"{ratio * 100:g}%"


def wan(fen: int) -> str:
    """Money for a Chinese message: 万元 with two decimals from 1万元 up, else 元."""
    if abs(fen) >= 1_000_000:
        return f"{fen / 1_000_000:,.2f}万元"
    return f"{fen / 100:,.2f}元"


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 household', '2 households'."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


def wan_en(fen: int) -> str:
    return f"CNY {fen / 100:,.2f}"


def month_day_zh(d: dt.date) -> str:
    return f"{d.month}月{d.day}日"


def month_day_en(d: dt.date) -> str:
    return f"{d.day} {d.strftime('%b')}"


def parse_month_day(text: str, year: int) -> dt.date:
    """"MM-DD" in ``year``; 02-29 falls back to 28 February outside leap years."""
    month, day = (int(part) for part in text.split("-"))
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def to_int(value: Any) -> int:
    return 0 if value is None else int(value)


def count_finding(ctx: Context, row, rule: str, severity: str, table: str,
                  zh: Callable[[str, int], str], en: Callable[[str, int], str], *, key: str = "",
                  **detail: Any) -> Finding:
    """The finding of one county's row of a ``county_code, n, ids`` count query: ``n`` records of
    ``table`` at fault against none allowed.  ``zh`` and ``en`` write the message from the
    county's name and the count."""
    n, name = to_int(row.n), ctx.name(row.county_code)
    return Finding(
        rule=rule, severity=severity, region_code=row.county_code, value=n, threshold=0, unit="count",
        message_zh=zh(name, n), message_en=en(name, n), record_table=table, record_ids=parse_ids(row.ids),
        detail=detail, key=key,
    )

