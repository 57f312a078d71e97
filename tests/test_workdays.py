"""Tests for fundwatch.data.workdays (official Chinese working-day calendar).

The hand-checked dates below were read from the data of chinese-calendar 1.11
(``chinese_calendar.holidays`` / ``chinese_calendar.workdays``), which covers
2004-2026; anything in 2027 or later is therefore provisional.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
import numpy as np
import pandas as pd
import pytest

from fundwatch.data import workdays as wd
from fundwatch.data.workdays import (
    FALLBACK_HOLIDAYS,
    MISSING_COUNT,
    WorkdayDate,
    add_workdays,
    add_workdays_array,
    calendar_range,
    is_provisional,
    is_workday,
    workdays_between,
    workdays_between_array,
    workdays_overdue,
)

D = date


def test_calendar_range_matches_installed_package():
    # Pinned to the data of chinese-calendar 1.11: when the package gains 2027
    # data, the provisional 2027 cases below must be revisited.
    assert calendar_range() == (D(2004, 1, 1), D(2026, 12, 31))
    assert calendar_range()[0].year == min(chinese_calendar.holidays).year
    assert calendar_range()[1].year == max(chinese_calendar.holidays).year


@pytest.mark.parametrize(
    ("d", "provisional"),
    [
        (D(2003, 12, 31), True),
        (D(2004, 1, 1), False),
        (D(2026, 12, 31), False),
        (D(2027, 1, 1), True),
        (datetime(2026, 12, 31, 23, 59), False),
    ],
)
def test_is_provisional(d, provisional):
    assert is_provisional(d) is provisional


def test_is_workday_matches_package_over_whole_data_range():
    first, last = calendar_range()
    day = first
    while day <= last:
        assert is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


# --- hand-checked holiday periods -----------------------------------------

@pytest.mark.parametrize(
    ("d", "expected"),
    [
        # Spring Festival 2024: off Sat 10 Feb .. Sat 17 Feb; in-lieu working Sundays 4 and 18 Feb.
        (D(2024, 2, 4), True),  # Sunday, working day
        (D(2024, 2, 9), True),  # Friday before the holiday
        (D(2024, 2, 12), False),  # Monday in the holiday
        (D(2024, 2, 16), False),  # Friday in the holiday (in-lieu rest day)
        (D(2024, 2, 18), True),  # Sunday, working day
        # National Day 2024: off 1-7 Oct; in-lieu working Sun 29 Sep and Sat 12 Oct.
        (D(2024, 9, 29), True),
        (D(2024, 10, 7), False),  # Monday
        (D(2024, 10, 12), True),  # Saturday
        (D(2024, 10, 13), False),  # ordinary Sunday
        # Spring Festival 2025: off Tue 28 Jan .. Tue 4 Feb; working Sun 26 Jan and Sat 8 Feb.
        (D(2025, 1, 26), True),
        (D(2025, 1, 28), False),
        (D(2025, 2, 4), False),
        (D(2025, 2, 8), True),
        # National Day + Mid-Autumn 2025: off 1-8 Oct; working Sun 28 Sep and Sat 11 Oct.
        (D(2025, 9, 28), True),
        (D(2025, 10, 8), False),  # Wednesday
        (D(2025, 10, 11), True),
        # New Year 2026: off Thu 1 .. Sat 3 Jan; working Sun 4 Jan.
        (D(2026, 1, 2), False),
        (D(2026, 1, 4), True),
        # Spring Festival 2026: off Sun 15 .. Mon 23 Feb; working Sat 14 and Sat 28 Feb.
        (D(2026, 2, 14), True),
        (D(2026, 2, 23), False),
        (D(2026, 2, 28), True),
        # Mid-Autumn + National Day 2026: off Fri 25 .. Sun 27 Sep and 1-7 Oct;
        # working Sun 20 Sep and Sat 10 Oct.
        (D(2026, 9, 20), True),
        (D(2026, 9, 25), False),
        (D(2026, 10, 7), False),
        (D(2026, 10, 10), True),
    ],
)
def test_is_workday_holiday_periods(d, expected):
    assert is_workday(d) is expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Thu 8 Feb 2024: Fri 9 (1), holiday 10-17, Sun 18 (2), Mon 19 (3).
        (D(2024, 2, 8), 3, D(2024, 2, 19)),
        # Fri 27 Sep 2024: Sat 28 off, Sun 29 (1), Mon 30 (2), holiday 1-7 Oct, Tue 8 (3), Wed 9 (4), Thu 10 (5).
        (D(2024, 9, 27), 5, D(2024, 10, 10)),
        # Fri 24 Jan 2025: Sat 25 off, Sun 26 (1), Mon 27 (2), holiday 28 Jan-4 Feb, Wed 5 Feb (3).
        (D(2025, 1, 24), 3, D(2025, 2, 5)),
        # Tue 30 Sep 2025: holiday 1-8 Oct, Thu 9 Oct (1).
        (D(2025, 9, 30), 1, D(2025, 10, 9)),
        # Fri 13 Feb 2026: Sat 14 (1), holiday 15-23, Tue 24 (2).
        (D(2026, 2, 13), 2, D(2026, 2, 24)),
        # Start on a holiday (Sat 3 Jan 2026): Sun 4 Jan is the first working day.
        (D(2026, 1, 3), 1, D(2026, 1, 4)),
        # n == 0 returns the start unchanged, even on a holiday.
        (D(2026, 10, 1), 0, D(2026, 10, 1)),
    ],
)
def test_add_workdays_hand_checked(start, n, expected):
    assert add_workdays(start, n) == WorkdayDate(expected, False)


def test_due_date_15_workdays_from_2026_09_25_crosses_national_day():
    # From the package data: 25-27 Sep 2026 Mid-Autumn holiday, Sun 20 Sep and
    # Sat 10 Oct in-lieu working days, 1-7 Oct National Day holiday.
    # Counting the working days after Fri 25 Sep 2026 (not counted itself):
    #   Sat 26, Sun 27 Sep     holiday
    #   Mon 28, Tue 29, Wed 30 Sep           -> 1, 2, 3
    #   Thu 1 .. Wed 7 Oct     holiday
    #   Thu 8, Fri 9 Oct                     -> 4, 5
    #   Sat 10 Oct (in-lieu working day)     -> 6
    #   Sun 11 Oct             weekend
    #   Mon 12 .. Fri 16 Oct                 -> 7 .. 11
    #   Mon 19, Tue 20, Wed 21, Thu 22 Oct   -> 12, 13, 14, 15
    result = add_workdays(D(2026, 9, 25), 15)
    assert result == WorkdayDate(D(2026, 10, 22), False)
    assert result.date.weekday() == 3  # Thursday
    assert workdays_between(D(2026, 9, 25), D(2026, 10, 22)) == (15, False)
    # A datetime "found" timestamp gives the same due date.
    assert add_workdays(datetime(2026, 9, 25, 16, 30), 15) == result


# --- fallback beyond the package data --------------------------------------

def test_deadline_from_2026_12_20_is_provisional():
    # Sun 20 Dec 2026: Mon 21 .. Fri 25 Dec (1-5), Mon 28 .. Thu 31 Dec (6-9),
    # Fri 1 Jan 2027 New Year (fallback holiday), Mon 4 .. Fri 8 Jan (10-14),
    # Mon 11 Jan 2027 (15).
    result = add_workdays(D(2026, 12, 20), 15)
    assert result == WorkdayDate(D(2027, 1, 11), True)
    assert workdays_between(D(2026, 12, 20), D(2027, 1, 11)) == (15, True)
    # The same span ending inside the data stays official.
    assert add_workdays(D(2026, 12, 1), 15) == WorkdayDate(D(2026, 12, 22), False)


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (D(2027, 1, 1), False),  # Friday, New Year
        (D(2027, 10, 1), False),  # Friday, National Day
        (D(2027, 10, 2), False),  # Saturday
        (D(2027, 10, 3), False),  # Sunday
        (D(2027, 10, 4), True),  # Monday: the fallback knows no golden week
        (D(2027, 2, 8), True),  # Monday in the (unknown) Spring Festival week
        (D(2029, 5, 1), False),  # Tuesday, Labour Day
        (D(2029, 5, 2), False),  # Wednesday, Labour Day (second day)
        (D(2029, 5, 3), True),  # Thursday
        (D(2029, 10, 3), False),  # Wednesday, National Day
        (D(2003, 10, 1), False),  # before the data: same fallback
        (D(2003, 10, 6), True),
    ],
)
def test_fallback_days(d, expected):
    assert is_provisional(d)
    assert is_workday(d) is expected


@pytest.mark.parametrize("year", [1999, 2003, 2027, 2028, 2031, 2040, 2045])
def test_fallback_is_weekdays_minus_fixed_holidays(year):
    day = D(year, 1, 1)
    while day.year == year:
        expected = day.weekday() < 5 and (day.month, day.day) not in FALLBACK_HOLIDAYS
        assert is_workday(day) is expected, day
        day += timedelta(days=1)


@pytest.mark.parametrize("year", [2025, 2026])
def test_fallback_holidays_are_statutory_in_current_data(year):
    # Since the 2025 revision each fallback date is a statutory holiday: a
    # holiday in the package data that is not an in-lieu rest day.
    for month, day in FALLBACK_HOLIDAYS:
        d = D(year, month, day)
        assert d in chinese_calendar.holidays
        assert d not in chinese_calendar.in_lieu_days


def test_provisional_only_when_a_counted_day_is_outside_data():
    # (start, end] = 31 Dec 2003 .. 5 Jan 2004 counts only days inside the data.
    assert workdays_between(D(2003, 12, 31), D(2004, 1, 5))[1] is False
    assert workdays_between(D(2003, 12, 30), D(2004, 1, 5))[1] is True
    assert add_workdays(D(2003, 12, 31), 1).provisional is False
    assert add_workdays(D(2026, 12, 30), 1) == WorkdayDate(D(2026, 12, 31), False)
    assert add_workdays(D(2026, 12, 31), 1) == WorkdayDate(D(2027, 1, 4), True)
    assert add_workdays(D(2027, 6, 1), 0) == WorkdayDate(D(2027, 6, 1), False)


# --- spans and overdue -----------------------------------------------------

@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # February 2024 after Thu 1 Feb: Fri 2, Sun 4, 5-9, Sun 18, 19-23, 26-29.
        (D(2024, 2, 1), D(2024, 2, 29), 1 + 1 + 5 + 1 + 5 + 4),
        # Sun 26 Jan, Mon 27 Jan, Wed 5 .. Fri 7 Feb, Sat 8 Feb 2025.
        (D(2025, 1, 24), D(2025, 2, 8), 6),
        # Sat 14 Feb, Tue 24 .. Fri 27 Feb, Sat 28 Feb 2026.
        (D(2026, 2, 13), D(2026, 2, 28), 6),
        # The whole National Day week 2025 has no working day.
        (D(2025, 9, 30), D(2025, 10, 8), 0),
        (D(2025, 10, 8), D(2025, 10, 8), 0),
        (D(2025, 10, 9), D(2025, 10, 1), 0),  # end before start
    ],
)
def test_workdays_between_known_spans(start, end, expected):
    assert workdays_between(start, end) == (expected, False)


def test_workdays_overdue():
    due = D(2026, 10, 22)
    assert workdays_overdue(due, D(2026, 10, 1)) == (0, False)
    assert workdays_overdue(due, due) == (0, False)
    assert workdays_overdue(due, D(2026, 10, 23)) == (1, False)  # Fri
    assert workdays_overdue(due, D(2026, 10, 25)) == (1, False)  # Sun
    assert workdays_overdue(due, D(2026, 10, 26)) == (2, False)  # Mon
    # Due Tue 30 Sep 2025, checked Sun 12 Oct: Thu 9, Fri 10, Sat 11 Oct.
    assert workdays_overdue(D(2025, 9, 30), D(2025, 10, 12)) == (3, False)
    # Into the fallback: Mon 28 .. Thu 31 Dec 2026, Mon 4 Jan 2027.
    assert workdays_overdue(D(2026, 12, 25), D(2027, 1, 4)) == (5, True)


# --- input validation --------------------------------------------------------

@pytest.mark.parametrize("bad", ["2026-09-25", 20260925, None, np.datetime64("2026-09-25"), pd.NaT])
def test_scalar_functions_reject_non_dates(bad):
    with pytest.raises(TypeError):
        is_workday(bad)
    with pytest.raises(TypeError):
        is_provisional(bad)
    with pytest.raises(TypeError):
        add_workdays(bad, 3)
    with pytest.raises(TypeError):
        workdays_between(D(2026, 1, 1), bad)
    with pytest.raises(TypeError):
        workdays_overdue(bad, D(2026, 1, 1))


def test_datetime_and_timestamp_inputs_use_their_date():
    assert is_workday(datetime(2026, 10, 10, 8, 0)) is True
    assert is_workday(pd.Timestamp("2026-10-07 09:00")) is False
    assert workdays_between(pd.Timestamp("2026-09-25 23:00"), datetime(2026, 10, 22, 1, 0)) == (15, False)


@pytest.mark.parametrize(("n", "error"), [(-1, ValueError), (1.5, TypeError), (True, TypeError), ("3", TypeError)])
def test_add_workdays_rejects_bad_counts(n, error):
    with pytest.raises(error):
        add_workdays(D(2026, 1, 5), n)


def test_add_workdays_accepts_numpy_integer():
    assert add_workdays(D(2026, 9, 25), np.int64(15)).date == D(2026, 10, 22)


def test_far_dates_never_fail_except_past_date_max(monkeypatch):
    # Grows the cached table to the ends of ``date``; keep that out of the other tests.
    monkeypatch.setattr(wd, "_table_cache", None)
    assert add_workdays(D(1, 1, 1), 2) == WorkdayDate(D(1, 1, 3), True)  # Mon 1 Jan 0001
    assert add_workdays(D(9999, 12, 27), 4) == WorkdayDate(D(9999, 12, 31), True)
    with pytest.raises(OverflowError):
        add_workdays(D(9999, 12, 27), 5)
    due, provisional = add_workdays_array([D(9999, 12, 27), D(9999, 12, 27)], np.array([4, 5]))
    assert due.tolist() == [D(9999, 12, 31), None]
    assert provisional.tolist() == [True, False]


# --- vectorised variants -----------------------------------------------------

def _random_days(rng: np.random.Generator, size: int) -> np.ndarray:
    """Random datetime64[D] days spanning both ends of the data, ~10% NaT."""
    lo, hi = np.datetime64("2002-06-01"), np.datetime64("2029-06-30")
    days = lo + rng.integers(0, int((hi - lo).astype(int)) + 1, size=size).astype("timedelta64[D]")
    days[rng.random(size) < 0.1] = np.datetime64("NaT")
    return days


def test_add_workdays_array_agrees_with_scalar():
    rng = np.random.default_rng(20260925)
    starts = _random_days(rng, 400)
    counts = rng.integers(0, 60, size=starts.size)
    due, provisional = add_workdays_array(starts, counts)
    assert due.dtype == np.dtype("datetime64[D]") and provisional.dtype == np.bool_
    for start, n, got, prov in zip(starts, counts, due, provisional):
        if np.isnat(start):
            assert np.isnat(got) and not prov
        else:
            expected = add_workdays(start.item(), int(n))
            assert (got.item(), bool(prov)) == (expected.date, expected.provisional)
    assert provisional.any() and not provisional.all()

    # Scalar n broadcasts; a pandas Series with NaT works the same.
    series = pd.Series(starts).astype("datetime64[ns]")
    due15, prov15 = add_workdays_array(series, 15)
    for start, got, prov in zip(starts, due15, prov15):
        if np.isnat(start):
            assert np.isnat(got) and not prov
        else:
            expected = add_workdays(start.item(), 15)
            assert (got.item(), bool(prov)) == (expected.date, expected.provisional)


def test_workdays_between_array_agrees_with_scalar():
    rng = np.random.default_rng(15)
    starts = _random_days(rng, 400)
    ends = starts + rng.integers(-20, 120, size=starts.size).astype("timedelta64[D]")
    ends[rng.random(starts.size) < 0.1] = np.datetime64("NaT")
    count, provisional = workdays_between_array(starts, ends)
    assert count.dtype == np.int64 and provisional.dtype == np.bool_
    for start, end, got, prov in zip(starts, ends, count, provisional):
        if np.isnat(start) or np.isnat(end):
            assert got == MISSING_COUNT and not prov
        else:
            assert (int(got), bool(prov)) == workdays_between(start.item(), end.item())
    assert (count == MISSING_COUNT).any() and (count == 0).any() and provisional.any()


def test_round_trip_add_then_count():
    rng = np.random.default_rng(3)
    starts = _random_days(rng, 300)
    counts = rng.integers(0, 40, size=starts.size)
    due, _ = add_workdays_array(starts, counts)
    count, _ = workdays_between_array(starts, due)
    valid = ~np.isnat(starts)
    np.testing.assert_array_equal(count[valid], counts[valid])


def test_array_inputs_with_missing_values_of_every_kind():
    starts = [D(2026, 9, 25), None, pd.NaT, float("nan"), pd.NA, np.datetime64("NaT"), datetime(2026, 9, 25, 12)]
    due, provisional = add_workdays_array(starts, 15)
    assert due.tolist() == [D(2026, 10, 22), None, None, None, None, None, D(2026, 10, 22)]
    assert not provisional.any()
    count, provisional = workdays_between_array(starts, np.datetime64("2026-10-22"))
    assert count.tolist() == [15, -1, -1, -1, -1, -1, 15]
    assert not provisional.any()


def test_array_inputs_from_pandas():
    found = pd.Series([D(2026, 9, 25), None, D(2026, 12, 20)], dtype=object)
    due, provisional = add_workdays_array(found, 15)
    assert due.tolist() == [D(2026, 10, 22), None, D(2027, 1, 11)]
    assert provisional.tolist() == [False, False, True]
    # Timezone-aware timestamps count by their local date.
    local = pd.Series(pd.to_datetime(["2026-09-25 00:30", None]).tz_localize("Asia/Shanghai"))
    due, _ = add_workdays_array(local, 15)
    assert due.tolist() == [D(2026, 10, 22), None]
    index = pd.DatetimeIndex(["2026-09-25", None])
    count, _ = workdays_between_array(index, pd.Series(pd.to_datetime(["2026-10-22", "2026-10-22"])))
    assert count.tolist() == [15, MISSING_COUNT]


def test_array_shapes_and_edge_inputs():
    due, provisional = add_workdays_array([], 15)
    assert due.shape == (0,) and provisional.shape == (0,)
    grid = np.array([["2026-09-25", "2026-12-20"], ["NaT", "2026-02-13"]], dtype="datetime64[D]")
    due, provisional = add_workdays_array(grid, np.array([15, 2]))
    assert due.shape == (2, 2)
    assert due.tolist() == [[D(2026, 10, 22), D(2026, 12, 22)], [None, D(2026, 2, 24)]]
    count, _ = workdays_between_array(grid, grid)
    assert count.tolist() == [[0, 0], [MISSING_COUNT, 0]]
    # datetime64 values beyond datetime.date's years count as missing.
    far = np.array(["10000-01-01", "2026-09-25"], dtype="datetime64[D]")
    assert add_workdays_array(far, 15)[0].tolist() == [None, D(2026, 10, 22)]


def test_array_variants_reject_bad_arguments():
    with pytest.raises(TypeError):
        add_workdays_array(["2026-09-25"], 15)  # strings are not dates
    with pytest.raises(TypeError):
        add_workdays_array([D(2026, 9, 25)], 1.5)
    with pytest.raises(ValueError):
        add_workdays_array([D(2026, 9, 25)], np.array([-1]))
    with pytest.raises(TypeError):
        workdays_between_array([1, 2], [3, 4])


def test_table_is_built_once_for_ordinary_dates():
    add_workdays(D(2030, 6, 1), 15)
    table = wd._table_cache
    for year in (2011, 2020, 2026, 2035, 2040):
        add_workdays(D(year, 3, 1), 15)
        workdays_between(D(year, 1, 1), D(year, 12, 31))
    assert wd._table_cache is table


@pytest.mark.parametrize("n", [1, 5, 15])
def test_fewest_days_is_the_shortest_span_of_any_day(n):
    """fewest_days(n) is the shortest span from a day to its n-th working day after, for every day
    from ten years before the calendar's data to ten years after (outside the data the week's
    pattern repeats, so a fortnight either side stands for them), and some day has it."""
    first, last = calendar_range()
    days = np.arange(np.datetime64(first, "D") - 3650, np.datetime64(last, "D") + 3650)
    due, _ = wd.add_workdays_array(days, n)
    assert (due - days).astype("int64").min() == wd.fewest_days(n)


def test_fifteen_working_days_span_at_least_seventeen_calendar_days():
    """The bound the transition list and rule H2 leave cases out by: found on 2004-01-04, two
    make-up working weekends after it, a case was due 17 days later; no day is due sooner."""
    assert wd.fewest_days(15) == 17 == (add_workdays(D(2004, 1, 4), 15).date - D(2004, 1, 4)).days
    assert wd.fewest_days(0) == 0
