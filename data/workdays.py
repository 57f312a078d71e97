"""Official Chinese working-day calendar for deadline arithmetic.

The supervision rules count many time limits in *working days* (工作日), not
calendar days.  The key one: "identification must finish, and the household be
entered into the system, within 15 working days" (seeds/003_6082cdd0a662c78b.txt,
item 二).  A working day is a day on which government offices work: Monday to
Friday, minus public holidays, plus the in-lieu working days (调休) on which a
weekend day is declared a working day to bridge a holiday.

The official calendar comes from the ``chinese-calendar`` package
(``chinese_calendar``), which holds the State Council's yearly holiday notices
for every year from its first to its last year of data (2004-2026 in version
1.11).  The State Council publishes each notice only a few weeks before the year
starts, so dates outside that range use a *fallback* rule instead and every
result that depends on it is marked **provisional**:

    Monday-Friday, minus the statutory holidays that fall on fixed Gregorian
    dates (``FALLBACK_HOLIDAYS``):

    * 1 January            New Year's Day (元旦, 1 day)
    * 1 and 2 May          Labour Day (劳动节, 2 days)
    * 1, 2 and 3 October   National Day (国庆节, 3 days)

This is the fixed-date part of the holiday regulation (全国年节及纪念日放假办法)
as revised by the State Council with effect from 1 January 2025, which extended
Labour Day from one day (1 May) to two (1 and 2 May).  The package data agrees:
1 and 2 May 2025/2026 are holidays that are not in-lieu rest days, whereas in
2024 only 1 May was.  The lunar holidays (Spring Festival, Qingming, Dragon Boat,
Mid-Autumn), the in-lieu rest days and the in-lieu working weekends cannot be
known before the yearly notice, so the fallback ignores them, and it does not
move a fixed holiday that falls on a weekend to a weekday either.  A fallback
deadline is therefore usually a few days early (missing holidays) and
occasionally late (missing working weekends), which is exactly what
"provisional" warns about.  The same rule is used for dates before the
package's first year: those are far earlier than any data this project handles.

All functions are pure.  A table of working days (by default
2010-01-01..2040-12-31, grown automatically in whole years when a date outside
it is asked for) is built once, lazily, with numpy; a query is then a couple of
array look-ups into a prefix count of working days, i.e. O(1) per date, and the
``*_array`` variants answer whole columns at once.

Conventions:

* Counting never includes the start day: ``add_workdays(start, n)`` is the n-th
  working day *after* ``start``; ``workdays_between(start, end)`` counts the
  working days ``d`` with ``start < d <= end``.
* ``datetime.datetime`` (and ``pandas.Timestamp``) inputs are reduced to their
  ``.date()``; any other non-``date`` type raises ``TypeError``.
* A result is provisional when any day it counted lies outside
  ``calendar_range()``.
"""

from __future__ import annotations

import datetime as _dt
import functools
import threading
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import chinese_calendar
import numpy as np
import pandas as pd

__all__ = [
    "FALLBACK_HOLIDAYS",
    "MISSING_COUNT",
    "WorkdayDate",
    "add_workdays",
    "add_workdays_array",
    "calendar_range",
    "fewest_days",
    "is_provisional",
    "is_workday",
    "workdays_between",
    "workdays_between_array",
    "workdays_overdue",
]

#: Fixed-date statutory holidays used outside the package's data, as
#: ``(month, day)`` pairs.  See the module docstring for the source.
FALLBACK_HOLIDAYS: tuple[tuple[int, int], ...] = (
    (1, 1),  # New Year's Day
    (5, 1),  # Labour Day
    (5, 2),  # Labour Day (second day since the 2025 revision)
    (10, 1),  # National Day
    (10, 2),
    (10, 3),
)

#: Count returned by ``workdays_between_array`` where an input date is missing.
MISSING_COUNT = -1

_DEFAULT_FIRST = _dt.date(2010, 1, 1)
_DEFAULT_LAST = _dt.date(2040, 12, 31)

# Dates are handled internally as day numbers: days since 1970-01-01, which is
# what ``datetime64[D]`` stores, so scalar and array code share one table.
_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()
_MIN_DAY = _dt.date.min.toordinal() - _EPOCH_ORDINAL
_MAX_DAY = _dt.date.max.toordinal() - _EPOCH_ORDINAL


def _day_number(d: _dt.date) -> int:
    return d.toordinal() - _EPOCH_ORDINAL


def _from_day_number(n: int) -> _dt.date:
    return _dt.date.fromordinal(int(n) + _EPOCH_ORDINAL)


def _as_date(value: Any, name: str = "date") -> _dt.date:
    """Return ``value`` as a ``date``; datetimes are truncated to their date."""
    if isinstance(value, _dt.datetime):
        value = value.date()  # pandas.NaT.date() is NaT, caught below
    if not isinstance(value, _dt.date) or isinstance(value, _dt.datetime):
        raise TypeError(f"{name} must be a datetime.date or datetime.datetime, got {type(value).__name__}")
    return value


# ---------------------------------------------------------------------------
# Official data from chinese_calendar
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Official:
    first: int  # first day number with official data (1 Jan of first year)
    last: int  # last day number with official data (31 Dec of last year)
    holidays: np.ndarray  # sorted day numbers of official holidays
    workdays: np.ndarray  # sorted day numbers of in-lieu working days


_official_cache: _Official | None = None


def _official() -> _Official:
    global _official_cache
    if _official_cache is None:
        # The package validates dates by whole years (see its
        # ``utils._validate_date``), so its range runs from 1 January of the
        # earliest year in its tables to 31 December of the latest.
        known = list(chinese_calendar.holidays) + list(chinese_calendar.workdays)
        first_year = min(d.year for d in known)
        last_year = max(d.year for d in known)
        _official_cache = _Official(
            first=_day_number(_dt.date(first_year, 1, 1)),
            last=_day_number(_dt.date(last_year, 12, 31)),
            holidays=np.array(sorted(map(_day_number, chinese_calendar.holidays)), dtype=np.int64),
            workdays=np.array(sorted(map(_day_number, chinese_calendar.workdays)), dtype=np.int64),
        )
    return _official_cache


def calendar_range() -> tuple[_dt.date, _dt.date]:
    """Return the first and last day the official holiday data covers.

    Inside this range (both ends included) results are official; outside it
    they use the fixed-date fallback and are provisional.
    """
    official = _official()
    return _from_day_number(official.first), _from_day_number(official.last)


def is_provisional(d: _dt.date) -> bool:
    """Return True when ``d`` lies outside ``calendar_range()``.

    Whether such a day is a working day is only an estimate (fallback rule).
    """
    n = _day_number(_as_date(d))
    official = _official()
    return not official.first <= n <= official.last


# ---------------------------------------------------------------------------
# The working-day table
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    first: int  # day number of the table's first day
    last: int  # day number of the table's last day
    is_work: np.ndarray  # bool, one entry per day first..last
    count_through: np.ndarray  # int64, working days in first..that day (inclusive)
    workdays: np.ndarray  # int64, sorted day numbers of the working days


def _build_table(first: int, last: int) -> _Table:
    official = _official()
    days = np.arange(first, last + 1, dtype=np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday == 0
    is_work = weekday < 5

    as_dates = days.astype("datetime64[D]")
    month_start = as_dates.astype("datetime64[M]")
    month = month_start.astype(np.int64) % 12 + 1
    day_of_month = (as_dates - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    fixed = np.array([m * 100 + d for m, d in FALLBACK_HOLIDAYS], dtype=np.int64)
    outside = (days < official.first) | (days > official.last)
    is_work &= ~(outside & np.isin(month * 100 + day_of_month, fixed))

    def in_table(marked: np.ndarray) -> np.ndarray:
        return marked[(marked >= first) & (marked <= last)] - first

    is_work[in_table(official.holidays)] = False
    is_work[in_table(official.workdays)] = True

    count_through = np.cumsum(is_work, dtype=np.int64)
    workdays = np.flatnonzero(is_work).astype(np.int64) + first
    for shared in (is_work, count_through, workdays):
        shared.flags.writeable = False  # the cached table is shared by all callers
    return _Table(first, last, is_work, count_through, workdays)


_table_cache: _Table | None = None
_table_lock = threading.Lock()


def _year_start(n: int) -> int:
    return _day_number(_dt.date(_from_day_number(n).year, 1, 1))


def _year_end(n: int) -> int:
    return _day_number(_dt.date(_from_day_number(n).year, 12, 31))


def _table(lo: int, hi: int) -> _Table:
    """Return a table covering day numbers ``lo..hi`` (clamped to ``date``'s range)."""
    lo, hi = max(lo, _MIN_DAY), min(hi, _MAX_DAY)
    table = _table_cache
    if table is not None and table.first <= lo and hi <= table.last:
        return table
    return _grow_table(lo, hi)


def _grow_table(lo: int, hi: int) -> _Table:
    global _table_cache
    with _table_lock:
        table = _table_cache
        first = _day_number(_DEFAULT_FIRST) if table is None else table.first
        last = _day_number(_DEFAULT_LAST) if table is None else table.last
        if table is None or lo < first or hi > last:
            table = _build_table(min(first, _year_start(lo)), max(last, _year_end(hi)))
            _table_cache = table
        return table


def _horizon(n: int) -> int:
    """Calendar days that surely contain ``n`` working days.

    Every year has well over two thirds of its days as working days and the
    longest run without one (Spring Festival) is under two weeks, so
    ``2n + 31`` days always suffice; the table is clamped at ``date.max``.
    """
    return 2 * n + 31


# ---------------------------------------------------------------------------
# Scalar API
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkdayDate:
    """A date computed by working-day arithmetic.

    ``provisional`` is True when any day counted to reach ``date`` lies
    outside ``calendar_range()`` and so relied on the fixed-date fallback.
    """

    date: _dt.date
    provisional: bool


def _counted_days_provisional(after: int, through: int) -> bool:
    """Whether any day in ``after+1..through`` (non-empty) lies outside the data."""
    official = _official()
    return after + 1 < official.first or through > official.last


def is_workday(d: _dt.date) -> bool:
    """Return True if ``d`` is a working day.

    Outside ``calendar_range()`` the answer comes from the fallback rule; check
    ``is_provisional(d)`` to know whether it is official.
    """
    n = _day_number(_as_date(d))
    table = _table(n, n)
    return bool(table.is_work[n - table.first])


def _check_count(n: Any) -> int:
    if not isinstance(n, Integral) or isinstance(n, bool):
        raise TypeError(f"n must be an integer, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return int(n)


def add_workdays(start: _dt.date, n: int) -> WorkdayDate:
    """Return the date of the ``n``-th working day after ``start``.

    ``start`` itself is never counted, whether or not it is a working day, so
    this is the due date of an ``n``-working-day limit running from ``start``.
    ``n == 0`` returns ``start`` unchanged and not provisional (no day was
    counted).  Raises ``ValueError`` for negative ``n`` and ``OverflowError`` if
    the result would fall after ``datetime.date.max``.
    """
    start = _as_date(start, "start")
    n = _check_count(n)
    if n == 0:
        return WorkdayDate(start, False)
    s = _day_number(start)
    table = _table(s, s + _horizon(n))
    index = int(table.count_through[s - table.first]) + n - 1
    if index >= table.workdays.size:
        raise OverflowError(f"{n} working days after {start} is beyond {_dt.date.max}")
    due = int(table.workdays[index])
    return WorkdayDate(_from_day_number(due), _counted_days_provisional(s, due))


def workdays_between(start: _dt.date, end: _dt.date) -> tuple[int, bool]:
    """Count the working days ``d`` with ``start < d <= end``.

    Returns ``(count, provisional)``; ``(0, False)`` when ``end <= start``.
    ``add_workdays(start, k).date == end`` implies a count of ``k``.
    """
    s = _day_number(_as_date(start, "start"))
    e = _day_number(_as_date(end, "end"))
    if e <= s:
        return 0, False
    table = _table(s, e)
    count = int(table.count_through[e - table.first] - table.count_through[s - table.first])
    return count, _counted_days_provisional(s, e)


def workdays_overdue(due: _dt.date, as_of: _dt.date) -> tuple[int, bool]:
    """Return how many working days past ``due`` the date ``as_of`` is.

    Work finished on the due date is on time (0); each working day after it
    adds one.  Returns ``(days_overdue, provisional)``, ``(0, False)`` when
    ``as_of <= due``.
    """
    return workdays_between(_as_date(due, "due"), _as_date(as_of, "as_of"))


# ---------------------------------------------------------------------------
# Vectorised API
# ---------------------------------------------------------------------------

_NAT = np.iinfo(np.int64).min  # datetime64's NaT as an int64


def _object_to_day(value: Any) -> np.datetime64:
    """Convert one element of an object array to ``datetime64[D]`` (NaT if missing)."""
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[D]")
    if value is None or (not isinstance(value, _dt.date) and pd.isna(value)) or value is pd.NaT:
        return np.datetime64("NaT", "D")
    return np.datetime64(_as_date(value), "D")


def _to_day_numbers(values: Any, name: str) -> np.ndarray:
    """Convert array-like dates to int64 day numbers, missing ones as ``_NAT``.

    Accepts numpy ``datetime64`` arrays (any unit; times are floored to the
    day), pandas Series/Index (timezone-aware ones give their local date) and
    sequences of ``date`` / ``datetime`` / ``numpy.datetime64`` with ``None``,
    ``NaN``, ``NaT`` or ``pandas.NA`` for missing values.  Dates outside
    ``datetime.date``'s years 1..9999 are treated as missing too.
    """
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        days = arr.astype("datetime64[D]")
    elif arr.dtype == object:
        days = np.array([_object_to_day(v) for v in arr.ravel()], dtype="datetime64[D]").reshape(arr.shape)
    elif arr.size == 0:
        days = arr.astype("datetime64[D]")
    else:
        raise TypeError(f"{name} must hold dates or datetime64 values, got dtype {arr.dtype}")
    numbers = days.astype(np.int64)
    numbers[(numbers < _MIN_DAY) | (numbers > _MAX_DAY)] = _NAT
    return numbers


def add_workdays_array(starts: Any, n: Any) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised ``add_workdays``.

    ``starts`` is array-like of dates (see ``_to_day_numbers``); ``n`` is a
    non-negative integer or an integer array broadcastable against it.
    Returns ``(due, provisional)``: a ``datetime64[D]`` array and a bool array
    of the broadcast shape.  Missing starts (None/NaN/NaT/pandas.NA) give
    ``NaT`` with ``provisional=False``, as do results past
    ``datetime.date.max``: bad values in the data never raise.  Raises
    ``ValueError`` if any ``n`` is negative and ``TypeError`` for a non-integer
    ``n`` or starts that are not dates at all.
    """
    s = _to_day_numbers(starts, "starts")
    counts = np.asarray(n)
    if counts.dtype.kind not in "iu":
        raise TypeError(f"n must be an integer or integer array, got dtype {counts.dtype}")
    if counts.size and counts.min() < 0:
        raise ValueError("n must be >= 0")
    s, counts = np.broadcast_arrays(s, counts.astype(np.int64))
    shape = s.shape
    s, counts = s.ravel(), counts.ravel()

    due = np.full(s.shape, _NAT, dtype=np.int64)
    provisional = np.zeros(s.shape, dtype=bool)
    valid = s != _NAT
    due[valid & (counts == 0)] = s[valid & (counts == 0)]
    todo = valid & (counts > 0)
    if todo.any():
        table = _table(int(s[todo].min()), int(s[todo].max()) + _horizon(int(counts[todo].max())))
        index = table.count_through[s[todo] - table.first] + counts[todo] - 1
        in_range = index < table.workdays.size
        result = np.full(index.shape, _NAT, dtype=np.int64)
        result[in_range] = table.workdays[index[in_range]]
        due[todo] = result
        official = _official()
        provisional[todo] = in_range & ((s[todo] + 1 < official.first) | (result > official.last))
    return due.astype("datetime64[D]").reshape(shape), provisional.reshape(shape)


def workdays_between_array(starts: Any, ends: Any) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised ``workdays_between``.

    Returns ``(count, provisional)``: an int64 array and a bool array of the
    broadcast shape of ``starts`` and ``ends``.  Where either input is missing
    (None/NaN/NaT/pandas.NA) the count is ``MISSING_COUNT`` (-1) and
    provisional False, so ``count >= 0`` selects the rows with an answer.
    """
    s = _to_day_numbers(starts, "starts")
    e = _to_day_numbers(ends, "ends")
    s, e = np.broadcast_arrays(s, e)
    shape = s.shape
    s, e = s.ravel(), e.ravel()

    count = np.full(s.shape, MISSING_COUNT, dtype=np.int64)
    provisional = np.zeros(s.shape, dtype=bool)
    valid = (s != _NAT) & (e != _NAT)
    count[valid] = 0
    todo = valid & (e > s)
    if todo.any():
        table = _table(int(s[todo].min()), int(e[todo].max()))
        through = table.count_through
        count[todo] = through[e[todo] - table.first] - through[s[todo] - table.first]
        official = _official()
        provisional[todo] = (s[todo] + 1 < official.first) | (e[todo] > official.last)
    return count.reshape(shape), provisional.reshape(shape)


@functools.cache
def fewest_days(n: int) -> int:
    """The fewest calendar days from any day to the ``n``-th working day after it
    (:func:`add_workdays`), over every day: for 15, 17 (2004-01-04, two make-up
    working weekends after it; 18 from 2005), 19 outside the official calendar
    (weekends only, from a Sunday).  A case settled no more days than this after
    its start is within an ``n``-working-day limit whatever the day, so a read
    can leave it out before working out the days.

    The days outside the calendar repeat week by week, so a fortnight either
    side of it stands for all of them."""
    n = _check_count(n)
    first, last = calendar_range()
    fortnight = _dt.timedelta(days=14)
    days = np.arange(np.datetime64(first - fortnight, "D"), np.datetime64(last + fortnight, "D") + 1)
    due, _ = add_workdays_array(days, n)
    return int((due - days).astype("int64").min())
