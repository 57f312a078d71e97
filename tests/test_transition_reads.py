"""Transition-period reads (issue 6) on hand-built fixtures, on SQLite and PostgreSQL: every figure
of the page, the working-day clock across holidays, masking and scope."""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest
from test_rules import XINGGUO, YUDU, Builder

from fundwatch.data import models as m
from fundwatch.data import workdays
from fundwatch.data.reads import transition as tr
from fundwatch.data.scope import Scope

D = dt.date
ALL = Scope.all()


class TB(Builder):
    """The rules' builder plus named households with category, cause and a real-looking ID."""

    def person(self, name="张三丰", id_no="360731199001011234", category="marginal", cause="illness", **kw) -> int:
        hid = self.household(**kw)
        self.set(m.Household, hid, head_name=name, head_id_no=id_no, category=category, cause=cause)
        return hid

    def flag(self, region, county, flag, start, end=None, exit_date=None) -> None:
        self._insert(m.RegionFlag, region_code=region, county_code=county, flag=flag, start_year=start, end_year=end,
                     exit_date=exit_date)


@pytest.fixture
def b(blank_engine) -> TB:
    return TB(blank_engine)


def test_due_date_of_a_case_found_before_national_day_skips_the_holiday(b):
    # Found on Monday 30 Sept 2024: 1-7 October are holidays, Saturday 12 October is a working day.
    hid = b.person(found=D(2024, 9, 30))
    due = workdays.add_workdays(D(2024, 9, 30), 15).date
    assert due == D(2024, 10, 25)  # a plain Monday-Friday count would say 21 October
    on = lambda day: tr.open_cases_frame(b.engine, ALL, day)  # noqa: E731
    before = on(D(2024, 10, 21)).iloc[0]
    assert before["id"] == hid and before["due_on"] == due
    assert before["state"] == "on_track" and before["workdays_left"] == 4  # 22, 23, 24, 25 Oct
    soon = on(D(2024, 10, 22)).iloc[0]
    assert soon["state"] == "due_soon" and soon["workdays_left"] == 3
    assert on(D(2024, 10, 25)).iloc[0]["workdays_overdue"] == 0
    late = on(D(2024, 10, 28)).iloc[0]  # Monday after the due Friday: one working day over
    assert late["state"] == "overdue" and late["workdays_overdue"] == 1 and late["workdays_left"] == -1
    assert not late["provisional"]
    b.set(m.Household, hid, identified_on=D(2024, 10, 28), entered_on=D(2024, 10, 29))
    assert on(D(2024, 10, 29)).empty and len(on(D(2024, 10, 28))) == 1


def test_open_cases_past_the_calendar_are_provisional_and_do_not_crash(b):
    b.person(found=D(2027, 9, 28))
    case = tr.open_cases_frame(b.engine, ALL, D(2027, 11, 30)).iloc[0]
    assert case["provisional"] and case["state"] == "overdue" and case["workdays_overdue"] > 0


def test_open_cases_mask_names_and_ids(b):
    b.person(name="欧阳修文", id_no="36073119900101123X", found=D(2024, 6, 3))
    case = tr.open_cases_frame(b.engine, ALL, D(2024, 6, 30)).iloc[0]
    assert case["head_name"] == "欧阳*" and case["head_id_no"] == "360***********123X"


def test_identification_clock_counts_on_time_late_and_undecided_per_county_and_month(b):
    found = D(2024, 9, 30)  # due 25 October
    b.person(found=found, identified=D(2024, 10, 20), entered=D(2024, 10, 25))  # on time, on the due day
    b.person(found=found, identified=D(2024, 10, 20), entered=D(2024, 10, 28))  # entered one working day late
    b.person(found=found)  # still open on 28 October: late
    b.person(found=D(2024, 10, 21))  # open, not yet due: undecided
    b.person(county=XINGGUO, found=D(2024, 10, 8), identified=D(2024, 10, 9), entered=D(2024, 10, 9))
    out = tr.identification_clock_frame(b.engine, ALL, 2024, D(2024, 10, 28)).set_index(["county_code", "month"])
    sept = out.loc[(YUDU, 9)]
    assert (sept["found"], sept["on_time"], sept["late"], sept["undecided"]) == (3, 1, 2, 0)
    assert sept["share"] == pytest.approx(1 / 3)
    octo = out.loc[(YUDU, 10)]
    assert octo["undecided"] == 1 and octo["share"] != octo["share"]  # NaN: nothing decided yet
    assert out.loc[(XINGGUO, 10), "share"] == 1.0
    # as of 24 October nothing found in September is due yet: all three still undecided
    early = tr.identification_clock_frame(b.engine, ALL, 2024, D(2024, 10, 24)).set_index(["county_code", "month"])
    assert (early.loc[(YUDU, 9), "late"], early.loc[(YUDU, 9), "undecided"]) == (0, 3)


def test_monitoring_mix_flow_and_ages(b):
    b.person(found=D(2021, 3, 2), identified=D(2021, 3, 5), entered=D(2021, 3, 5), eliminated=D(2022, 1, 10),
             category="unstable", cause="illness")
    b.person(found=D(2021, 3, 9), identified=D(2021, 3, 12), entered=D(2021, 3, 12), category="marginal",
             cause="disaster")
    b.person(found=D(2024, 6, 20), category="marginal", cause="disaster")  # pending on 30 June
    b.person(found=D(2024, 7, 2), category="sudden_hardship", cause="accident")  # after as_of
    b.household(income=500_000)  # never monitored
    as_of = D(2024, 6, 30)
    mix = tr.monitoring_mix_frame(b.engine, ALL, as_of).set_index(["category", "cause"])["households"]
    assert mix.to_dict() == {("marginal", "disaster"): 2}
    flow = tr.monitoring_flow_frame(b.engine, ALL, as_of).set_index("month")
    assert len(flow) == 42 and flow.index[0] == D(2021, 1, 1) and flow.index[-1] == D(2024, 6, 1)
    assert flow.loc[D(2021, 3, 1), "entered"] == 2 and flow.loc[D(2022, 1, 1), "left"] == 1
    assert flow.loc[D(2021, 12, 1), "under_monitoring"] == 2 and flow.loc[D(2024, 6, 1), "under_monitoring"] == 2
    # a county's, a township's and a county user's flow read the households found by as_of only
    # (an elimination implies it); the same months here, and nothing of another county
    b.person(county=XINGGUO, found=D(2021, 4, 1), eliminated=D(2022, 2, 1))
    for scope, region in ((ALL, YUDU), (ALL, YUDU + "100"), (Scope.county(YUDU), None)):
        pd.testing.assert_frame_equal(tr.monitoring_flow_frame(b.engine, scope, as_of, region=region), flow.reset_index())
    everyone = tr.monitoring_flow_frame(b.engine, ALL, as_of).set_index("month")
    assert everyone.loc[D(2022, 2, 1), "left"] == 1 and everyone["left"].sum() == 2
    ages = tr.case_age_frame(b.engine, ALL, as_of).set_index(["age", "status"])["households"]
    assert ages[("m1", "pending")] == 1 and ages[("m24plus", "monitored")] == 1 and ages.sum() == 2



def test_households_entering_monitoring_are_counted_in_their_month_at_its_edges(b):
    """Each month's entries are counted over that month's range of found dates: a household found
    on a month's first or last day, on 29 February, on ``as_of`` or the day after, before a
    ``start`` inside a month, in any region, lands in exactly the month its date says."""
    rng = random.Random(11)
    days = [D(2021, 1, 1), D(2021, 1, 31), D(2021, 2, 1), D(2021, 3, 16), D(2021, 3, 17), D(2021, 12, 31),
            D(2022, 1, 1), D(2024, 2, 29), D(2024, 3, 1), D(2024, 6, 29), D(2024, 6, 30), D(2024, 7, 1)]
    found = [rng.choice(days) for _ in range(80)] + days
    for day in found:
        b.person(found=day)
    b.person(county=XINGGUO, found=D(2021, 3, 20))  # another county's household
    spans = ((tr.PERIOD_START, D(2024, 6, 30)), (D(2021, 3, 17), D(2024, 6, 29)), (tr.PERIOD_START, D(2021, 1, 31)))
    for start, as_of in spans:
        expected: dict[D, int] = {}
        for day in found:
            if start <= day <= as_of:
                expected[day.replace(day=1)] = expected.get(day.replace(day=1), 0) + 1
        for region in (YUDU, YUDU + "100", YUDU + "100201"):
            flow = tr.monitoring_flow_frame(b.engine, ALL, as_of, region=region, start=start).set_index("month")
            assert flow.index[0] == start.replace(day=1) and flow.index[-1] == as_of.replace(day=1)
            assert {month: n for month, n in flow["entered"].items() if n} == expected


def test_a_household_eliminated_before_it_was_found_enters_and_leaves_in_its_found_month(b):
    """Dates the import refuses (risk eliminated before found: only a direct write makes them)
    follow the households' statuses: such a household is never under monitoring, so it enters
    and leaves in the month it was found, in the summaries' months, inside a month and in a
    township's raw count alike."""
    b.person(found=D(2022, 3, 10), eliminated=D(2022, 1, 5))
    b.person(found=D(2022, 3, 12))
    b.person(found=D(2020, 5, 1), eliminated=D(2019, 12, 1))  # before the period: not in its base
    for as_of in (D(2024, 6, 30), D(2022, 3, 20)):
        for region in (None, YUDU, YUDU + "100"):
            flow = tr.monitoring_flow_frame(b.engine, ALL, as_of, region=region).set_index("month")
            assert flow.loc[D(2022, 3, 1), ["entered", "left"]].tolist() == [2, 1], (as_of, region)
            assert flow["left"].sum() == 1 and flow.loc[D(2021, 1, 1), "under_monitoring"] == 0
            assert flow.loc[D(2022, 3, 1):, "under_monitoring"].eq(1).all()
            pd.testing.assert_frame_equal(flow.reset_index(),
                                          tr.raw_monitoring_flow_frame(b.engine, ALL, as_of, region=region))


def test_income_against_the_alert_line_of_the_county_and_income_year(b):
    b.dibao(YUDU, 2024, annual=600_000)  # alert line 7,200 yuan = 720,000 fen
    b.dibao(YUDU, 2023, annual=500_000)  # alert line 6,000 yuan
    b.household(income=719_999, income_year=2024)  # just below the line: bin 9
    b.household(income=720_000, income_year=2024)  # on the line: bin 10
    b.household(income=720_000, income_year=2023)  # 1.2 x the 2023 line: bin 12
    b.person(income=300_000, income_year=2024, found=D(2024, 3, 1))  # monitored, 0.41 x: bin 4
    b.household(income=9_000_000, income_year=2024)  # far above: the last bin
    b.household(income=100, income_year=2022)  # no dibao standard for 2022: left out
    out = tr.income_alert_frame(b.engine, ALL, D(2024, 6, 30))
    got = {(r.bin, r.monitored): r.households for r in out.itertuples()}
    assert got == {(4, True): 1, (9, False): 1, (10, False): 1, (12, False): 1, (tr.INCOME_BIN_CAP, False): 1}
    # one county: its standards are written into the statement instead of looked up per household
    county = tr.income_alert_frame(b.engine, ALL, D(2024, 6, 30), region=YUDU)
    pd.testing.assert_frame_equal(county, out)
    assert tr.income_alert_frame(b.engine, Scope.county(XINGGUO), D(2024, 6, 30), region=YUDU).empty  # not its county
    lines = tr.alert_lines_frame(b.engine, ALL, 2024)
    assert lines.to_dict("records") == [{"county_code": YUDU, "dibao": 6000.0, "alert_line": 7200.0}]


def test_a_county_counted_band_by_band_places_every_household_as_the_ratio_does(b):
    """A county's bins are counted over ranges of income (``_county_income_bins``); they must
    place each household exactly where its ratio to the line does, at the edges of the bands too,
    and count those under monitoring on the date alike."""
    rng = random.Random(16)
    b.dibao(YUDU, 2023, annual=501_234)  # lines that do not divide into whole fen per tenth
    b.dibao(YUDU, 2024, annual=600_007)
    as_of = D(2024, 6, 30)
    for _ in range(300):
        year = rng.choice((2023, 2024, 2022))  # 2022 has no standard: left out by both
        line = {2023: 501_234, 2024: 600_007, 2022: 550_000}[year] * tr.ALERT_MULTIPLE_TENTHS // 10
        edge = rng.randrange(0, 40) * line // 10 + rng.choice((-1, 0, 1, 0))  # on or next to a band's edge
        income = max(0, rng.choice((edge, rng.randrange(0, 4 * line))))
        found = rng.choice((None, D(2023, 5, 1), D(2024, 7, 1)))
        eliminated = rng.choice((None, D(2024, 1, 1), D(2024, 6, 30))) if found == D(2023, 5, 1) else None
        b.household(income=income, income_year=year, found=found, eliminated=eliminated)
    b.household(county=XINGGUO, income=1)  # another county's household is not counted
    by_ratio = tr._income_bins(b.engine, ALL, YUDU, as_of)
    assert by_ratio["households"].sum() > 150
    pd.testing.assert_frame_equal(tr.income_alert_frame(b.engine, ALL, as_of, region=YUDU)[
        ["bin", "monitored", "households"]].astype("int64"), by_ratio.astype("int64"), check_dtype=False)


def test_assistance_measures_and_how_long_households_waited(b):
    h1 = b.person(found=D(2024, 1, 2), identified=D(2024, 1, 10))
    h2 = b.person(found=D(2024, 1, 2), identified=D(2024, 1, 10))
    b.person(found=D(2024, 1, 2), identified=D(2024, 1, 10))  # no measure yet
    b.measure(h1, D(2024, 1, 17), kind="employment")  # 7 days
    b.measure(h1, D(2024, 3, 1), kind="industry")
    b.measure(h2, D(2024, 3, 1), kind="dibao")  # 51 days
    b.measure(h2, D(2024, 8, 1), kind="medical")  # after as_of
    as_of = D(2024, 6, 30)
    mix = tr.measure_mix_frame(b.engine, ALL, as_of).set_index("kind")["measures"].to_dict()
    assert mix == {"dibao": 1, "employment": 1, "industry": 1}
    wait = tr.measure_wait_frame(b.engine, ALL, as_of).set_index("wait")["households"].to_dict()
    assert wait == {"d7": 1, "d15": 0, "d30": 0, "d60": 1, "d60plus": 0, "none": 1}
    # another county's measures: a county's own are read by its county code, a township's or a
    # village's through their households; each region counts only what lies in it
    other = b.household(county=XINGGUO, found=D(2024, 1, 2), identified=D(2024, 1, 10))
    b.measure(other, D(2024, 2, 1), county=XINGGUO, kind="dibao")
    every = tr.measure_mix_frame(b.engine, ALL, as_of)
    assert every.set_index("kind")["measures"].to_dict() == {"dibao": 2, "employment": 1, "industry": 1}
    assert every.set_index("kind")["households"].to_dict() == {"dibao": 2, "employment": 1, "industry": 1}
    for region in (YUDU, YUDU + "100", YUDU + "100201"):
        assert tr.measure_mix_frame(b.engine, ALL, as_of, region=region).set_index("kind")["measures"].to_dict() == mix
    assert tr.measure_mix_frame(b.engine, Scope.county(YUDU), as_of).set_index("kind")["measures"].to_dict() == mix
    assert tr.measure_mix_frame(b.engine, Scope.county(XINGGUO), as_of, region=YUDU).empty  # not its county
    assert tr.measure_mix_frame(b.engine, ALL, as_of, region=XINGGUO + "100201")["measures"].tolist() == [1]


def test_the_wait_buckets_hold_every_household_on_and_next_to_their_edges(b):
    """The days to a household's first measure are counted in one row of bucket sums: each
    household must fall in the bucket its days say, on a bucket's edge too, with measures after
    ``as_of``, several measures, a measure before identification and none at all."""
    rng = random.Random(7)
    as_of = D(2024, 6, 30)
    expected = dict.fromkeys([key for key, _ in tr.WAIT_BUCKETS] + ["none"], 0)
    for _ in range(120):
        identified = D(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 200))
        hid = b.household(found=identified - dt.timedelta(days=3), identified=identified)
        starts = [identified + dt.timedelta(days=offset)
                  for offset in rng.sample((-2, 0, 7, 8, 15, 16, 30, 31, 60, 61, 90), rng.randrange(0, 4))]
        for day in starts:
            b.measure(hid, day)
        if identified > as_of:
            continue
        started = [day for day in starts if day <= as_of]
        if not started:
            expected["none"] += 1
            continue
        days = (min(started) - identified).days
        expected[next(key for key, limit in tr.WAIT_BUCKETS if limit is None or days <= limit)] += 1
    assert sum(expected.values()) > 90 and min(expected.values()) > 0
    got = tr.measure_wait_frame(b.engine, ALL, as_of)
    assert got.set_index("wait")["households"].to_dict() == expected
    assert got["wait"].tolist() == list(expected)  # the buckets in order, "none" last
    assert tr.measure_wait_frame(b.engine, Scope.county(XINGGUO), as_of)["households"].sum() == 0


def test_the_household_list_is_sorted_by_working_days_overdue_and_masked(b):
    b.dibao(YUDU, 2024)
    ok = b.person(name="李四", found=D(2024, 3, 1), identified=D(2024, 3, 5), entered=D(2024, 3, 6))
    open_ = b.person(name="王五", found=D(2024, 9, 30))  # due 25 Oct, open on 30 Oct: 3 days over
    late = b.person(name="赵六", found=D(2024, 9, 30), identified=D(2024, 10, 28), entered=D(2024, 10, 28))
    b.person(name="钱七", found=D(2024, 11, 5))  # after as_of
    b.set(m.Household, late, income_per_capita_fen=2_000_000)
    rows, total = tr.transition_households_frame(b.engine, ALL, D(2024, 10, 30))
    assert total == 3
    assert list(rows["id"]) == [open_, late, ok]
    assert list(rows["workdays_overdue"]) == [3, 1, 0]
    assert list(rows["head_name"]) == ["王*", "赵*", "李*"]
    assert all(v == "360***********1234" for v in rows["head_id_no"])
    assert list(rows["status"]) == ["pending", "monitored", "monitored"]
    assert rows.loc[2, "alert_line"] == 7200.0 and rows.loc[2, "income_per_capita"] == 10000.0
    page, _ = tr.transition_households_frame(b.engine, ALL, D(2024, 10, 30), sort="found_on", limit=1, offset=1)
    assert list(page["id"]) == [open_]
    # a sort by income reads code, income and line for every household, a sort by date for the
    # page's rows only: the same rows either way
    by_income, _ = tr.transition_households_frame(b.engine, ALL, D(2024, 10, 30), sort="-income_per_capita")
    assert by_income.loc[0, "id"] == late and by_income.loc[0, "income_per_capita"] == 20000.0
    pd.testing.assert_frame_equal(rows.set_index("id").sort_index(), by_income.set_index("id").sort_index())
    with pytest.raises(ValueError):
        tr.transition_households_frame(b.engine, ALL, D(2024, 10, 30), sort="head_name")
    assert tr.transition_households_frame(b.engine, Scope.county(XINGGUO), D(2024, 10, 30))[1] == 0


def test_the_default_order_pages_through_the_overdue_then_the_others_by_id(b):
    """The default order reads only the households that took more days than 15 working days ever
    span (the only ones that can be overdue), then the others by id as far as a page needs: every
    page, also one across the last overdue household or past the end, is the slice of every
    household sorted by working days overdue and id (taken from a sort that reads them all).  So
    for the prefecture and a county (their first by id read in order of id, migration 0032), a
    township (sorted from its range), inside a month and on a month end (where the number found
    comes from the household summary)."""
    rng = random.Random(15)
    b.dibao(YUDU, 2024)
    as_of = D(2024, 10, 30)
    for _ in range(60):
        found = D(2024, 1, 2) + dt.timedelta(days=rng.randrange(300))
        delay = rng.choice((None, 0, 3, 14, 15, 16, 17, 20, 21, 22, 25, 30, 45))
        entered = None if delay is None else found + dt.timedelta(days=delay)
        b.person(found=found, identified=entered, entered=entered)
    # found before the due dates kept in the database (2010-2040): judged by the calendar all the same
    b.person(found=D(2009, 11, 2), identified=D(2010, 1, 20), entered=D(2010, 1, 20))
    b.person(county=XINGGUO, found=D(2024, 3, 1))  # another county's, never entered: overdue
    every, total = tr.transition_households_frame(b.engine, ALL, as_of, sort="-found_on", limit=5000)
    order = every.sort_values(["workdays_overdue", "id"], ascending=[False, True], kind="stable")
    overdue = int((order["workdays_overdue"] > 0).sum())
    assert total == 62 and 5 < overdue < 55
    assert order.loc[order["found_on"] == D(2009, 11, 2), "workdays_overdue"].iloc[0] > 0
    # a span of more than 15 days that is not overdue, and one of 15 days or fewer: both on time
    spans = (pd.to_datetime(order["entered_on"]).fillna(pd.Timestamp(as_of)) - pd.to_datetime(order["found_on"])).dt.days
    assert ((spans > 15) & (order["workdays_overdue"] == 0)).any() and (spans <= 15).any()
    for region, day, households in ((None, as_of, 62), (YUDU, as_of, 61), (YUDU + "100", as_of, 61),
                                    (None, D(2024, 10, 31), 62), (YUDU, D(2024, 10, 31), 61)):
        every, total = tr.transition_households_frame(b.engine, ALL, day, region=region, sort="-found_on", limit=5000)
        order = every.sort_values(["workdays_overdue", "id"], ascending=[False, True], kind="stable")
        overdue = int((order["workdays_overdue"] > 0).sum())
        assert total == households == len(every) and overdue > 5, (region, day)
        for offset, limit in ((0, 100), (0, 1), (0, overdue), (overdue - 2, 5), (overdue, 3), (overdue + 4, 10),
                              (55, 10), (households, 5), (3, 58)):
            page, n = tr.transition_households_frame(b.engine, ALL, day, region=region, limit=limit, offset=offset)
            expected = order.iloc[offset:offset + limit].reset_index(drop=True)
            assert n == households, (region, day)
            pd.testing.assert_frame_equal(page, expected, check_dtype=False)


def test_the_household_list_page_has_dates_and_nothing_after_as_of(b):
    """The list sorts every household by day numbers; the page it returns has dates, and a date
    after ``as_of`` (identified, entered or risk eliminated later) is not shown."""
    b.dibao(YUDU, 2024)
    later = b.person(name="孙八", found=D(2024, 9, 30), identified=D(2024, 11, 1), entered=D(2024, 11, 2),
                     eliminated=D(2024, 12, 1))
    done = b.person(name="周九", found=D(2024, 2, 1), identified=D(2024, 2, 5), entered=D(2024, 2, 6),
                    eliminated=D(2024, 8, 1))
    rows, total = tr.transition_households_frame(b.engine, ALL, D(2024, 10, 30), sort="-found_on")
    assert total == 2 and list(rows["id"]) == [later, done]
    first, second = rows.iloc[0], rows.iloc[1]
    assert (first["found_on"], first["due_on"]) == (D(2024, 9, 30), D(2024, 10, 25))
    assert type(first["found_on"]) is D and type(first["due_on"]) is D
    assert first["identified_on"] is None and first["entered_on"] is None and first["risk_eliminated_on"] is None
    assert (second["identified_on"], second["entered_on"], second["risk_eliminated_on"]) == (
        D(2024, 2, 5), D(2024, 2, 6), D(2024, 8, 1))
    assert first["workdays_overdue"] == 3  # not entered by 30 Oct: counted to as_of


def test_a_plain_frame_takes_the_driver_rows_and_refuses_converted_columns(b):
    from sqlalchemy import select

    from fundwatch.data.reads._common import frame

    b.person(name="吴十", found=D(2024, 3, 1))
    plain = select(m.Household.id, m.Household.code, m.Household.income_per_capita_fen)
    assert frame(b.engine, plain, plain=True).equals(frame(b.engine, plain))
    if b.engine.dialect.name == "sqlite":  # SQLite keeps dates as text, which SQLAlchemy converts
        with pytest.raises(ValueError, match="found_on"):
            frame(b.engine, select(m.Household.id, m.Household.found_on), plain=True)


def test_continuity_funds_integration_and_linkage_industry_share(b):
    b.flag(YUDU, YUDU, "poverty_county", 2011, 2019, exit_date=D(2019, 4, 28))
    for year in (2019, 2020, 2021, 2024):
        b.allocation(YUDU, year, amount=1_000_000, programme="special" if year < 2021 else "linkage",
                     integrated=year <= 2023)
        b.allocation(XINGGUO, year, amount=200_000, programme="special" if year < 2021 else "linkage")
    b.allocation(YUDU, 2021, amount=500_000, programme="roads", integrated=True)  # integrated, not poverty money
    industry, road = b.project(category="industry", start_year=2021), b.project(category="roads", start_year=2021)
    b.disbursement(industry, programme="linkage", paid=D(2021, 5, 1), amount=600_000)
    b.disbursement(road, programme="linkage", paid=D(2021, 6, 1), amount=400_000)
    b.disbursement(industry, programme="linkage", paid=D(2024, 7, 1), amount=100_000)  # after as_of
    out = tr.continuity_funds_frame(b.engine, ALL, D(2024, 6, 30)).set_index(["county_code", "year"])
    assert out.loc[(YUDU, 2021), "funds"] == 10_000.0 and out.loc[(YUDU, 2021), "integrated"] == 15_000.0
    assert out.loc[(YUDU, 2024), "integrated"] == 0.0 and out.loc[(YUDU, 2022), "funds"] == 0.0
    assert out.loc[(YUDU, 2021), "linkage_industry"] / out.loc[(YUDU, 2021), "linkage_paid"] == pytest.approx(0.6)
    assert out.loc[(YUDU, 2024), "linkage_paid"] == 0.0
    assert out.loc[(YUDU, 2019), "ex_poverty"] and not out.loc[(XINGGUO, 2019), "ex_poverty"]
    assert sorted(out.index.get_level_values("year").unique()) == list(range(2019, 2027))
    assert set(tr.continuity_funds_frame(b.engine, Scope.county(XINGGUO), D(2024, 6, 30))["county_code"]) == {XINGGUO}


def test_key_assistance_and_consolidation_villages_by_year(b):
    village = YUDU + "100201"
    b.flag(village, YUDU, "poor_village", 2014, 2019)
    b.flag(village, YUDU, "key_assistance_village", 2021, 2025)
    b.flag(XINGGUO + "100201", XINGGUO, "consolidation_village", 2021, None)
    out = tr.village_types_frame(b.engine, ALL).set_index("year")
    assert out.loc[2019].to_dict() == {"key_assistance_village": 0, "consolidation_village": 0, "poor_village": 1}
    assert out.loc[2023, "key_assistance_village"] == 1 and out.loc[2023, "consolidation_village"] == 1
    assert out.loc[2026, "key_assistance_village"] == 0 and out.loc[2026, "consolidation_village"] == 1
    mine = tr.village_types_frame(b.engine, ALL, region=YUDU + "100").set_index("year")
    assert mine.loc[2023, "consolidation_village"] == 0 and mine.loc[2023, "key_assistance_village"] == 1


def test_assets_formed_and_their_custody_add_the_summary_years_to_the_raw_days_of_the_last(b):
    """Whole years come from the ``asset_year`` summary and the year of ``as_of`` from the raw
    assets: each asset must count in its year and class, and in the custody of its class while
    not disposed, on every date, at the year's edges, after its status, date, value, custodian or
    owner changed and after one was deleted, in every region."""
    rng = random.Random(5)
    days = [D(2021, 1, 1), D(2021, 12, 31), D(2022, 6, 30), D(2023, 1, 1), D(2023, 6, 30), D(2023, 7, 1),
            D(2023, 12, 31), D(2024, 1, 1)]
    assets = {}
    for _ in range(60):
        row = {"county_code": rng.choice((YUDU, YUDU, XINGGUO)), "formed_on": rng.choice(days),
               "asset_class": rng.choice(("public_welfare", "operating")), "value_fen": 500_000,
               "status": rng.choice(("in_use", "in_use", "idle", "damaged", "disposed")),
               "custodian": rng.choice(("村委会", None)), "owner": rng.choice(("collective", None))}
        assets[b.asset(county=row["county_code"], asset_class=row["asset_class"], formed=row["formed_on"],
                       status=row["status"], custodian=row["custodian"], owner=row["owner"])] = row
    ids = list(assets)
    changes = ({"formed_on": D(2023, 6, 30)}, {"value_fen": 123_456}, {"status": "disposed"}, {"status": "idle"},
               {"custodian": None}, {"custodian": "乡镇管护站"}, {"owner": None})
    for asset, change in zip(ids, changes, strict=False):  # the triggers move each between groups
        b.set(m.Asset, asset, **change)
        assets[asset].update(change)
    with b.engine.begin() as conn:
        conn.execute(m.Asset.__table__.delete().where(m.Asset.__table__.c.id == ids[-1]))
    del assets[ids[-1]]
    for as_of in (D(2023, 6, 30), D(2023, 12, 31), D(2023, 1, 1), D(2020, 12, 31)):
        for scope, region, counties in ((ALL, None, (YUDU, XINGGUO)), (ALL, YUDU, (YUDU,)),
                                        (ALL, YUDU + "100", (YUDU,)), (ALL, YUDU + "100201", (YUDU,)),
                                        (Scope.county(XINGGUO), None, (XINGGUO,))):
            formed: dict[tuple[int, str], list[int]] = {}
            custody: dict[str, list[int]] = {}
            for a in assets.values():
                if a["county_code"] not in counties or a["formed_on"] > as_of:
                    continue
                cell = formed.setdefault((a["formed_on"].year, a["asset_class"]), [0, 0])
                cell[0] += 1
                cell[1] += a["value_fen"]
                if a["status"] != "disposed":
                    kept = custody.setdefault(a["asset_class"], [0, 0, 0, 0, 0])
                    for i, counts in enumerate((True, a["custodian"] is not None, a["owner"] is not None,
                                                a["status"] == "idle", a["status"] == "damaged")):
                        kept[i] += counts
            got = tr.assets_formed_frame(b.engine, scope, as_of, region=region)
            assert {(r.year, r.asset_class): [r.assets, round(r.value * 100)] for r in got.itertuples()} == formed
            assert list(got.itertuples(index=False)) == sorted(got.itertuples(index=False))  # by year, class
            cover = tr.asset_custody_frame(b.engine, scope, as_of, region=region)
            assert {r.asset_class: [r.assets, r.with_custodian, r.with_owner, r.idle, r.damaged]
                    for r in cover.itertuples()} == custody
            assert list(cover["asset_class"]) == sorted(custody)
            assert (cover["custody"] == cover["with_custodian"] / cover["assets"]).all()


def test_assets_formed_custody_and_income(b):
    b.asset(formed=D(2021, 5, 1))
    b.asset(custodian=None, formed=D(2022, 5, 1))
    pv = b.asset(asset_class="operating", subtype="pv_station", status="idle", formed=D(2021, 1, 5))
    shop = b.asset(asset_class="operating", subtype="workshop", owner=None, status="damaged", formed=D(2022, 1, 5))
    b.asset(formed=D(2024, 8, 1))  # after as_of
    b.income(pv, 2022, income=1000, collective=600, households=400)
    b.income(shop, 2022, income=500, collective=500, households=0)
    b.income(pv, 2024, income=700, collective=700, households=0)  # year of as_of: shown
    b.income(pv, 2025, income=900, collective=900, households=0)  # a later year: not yet
    as_of = D(2024, 6, 30)
    formed = tr.assets_formed_frame(b.engine, ALL, as_of)
    assert {(r.year, r.asset_class): r.assets for r in formed.itertuples()} == {
        (2021, "public_welfare"): 1, (2022, "public_welfare"): 1, (2021, "operating"): 1, (2022, "operating"): 1}
    custody = tr.asset_custody_frame(b.engine, ALL, as_of).set_index("asset_class")
    assert custody.loc["public_welfare", "custody"] == 0.5 and custody.loc["operating", "ownership"] == 0.5
    assert custody.loc["operating", "idle"] == 1 and custody.loc["operating", "damaged"] == 1
    income = tr.asset_income_years_frame(b.engine, ALL, as_of).set_index(["group", "year"])
    assert income.loc[("all", 2022), "income"] == 15.0 and income.loc[("pv", 2022), "to_households"] == 4.0
    assert ("pv", 2024) in income.index and ("pv", 2025) not in income.index
    # another county's station: a county's records are read by their county code (its stations
    # looked up once), a village's through their assets; each region sums only what lies in it
    far = b.asset(county=XINGGUO, asset_class="operating", subtype="pv_station", formed=D(2021, 1, 5))
    b.income(far, 2022, income=300, collective=300, households=0, county=XINGGUO)
    every = tr.asset_income_years_frame(b.engine, ALL, as_of).set_index(["group", "year"])
    assert every.loc[("all", 2022), "income"] == 18.0 and every.loc[("pv", 2022), "income"] == 13.0
    assert every.loc[("all", 2022), "records"] == 3 and every.loc[("pv", 2022), "records"] == 2
    for scope, region in ((ALL, YUDU), (ALL, YUDU + "100201"), (Scope.county(YUDU), None)):
        pd.testing.assert_frame_equal(tr.asset_income_years_frame(b.engine, scope, as_of, region=region), income.reset_index()[
            ["group", "year", "records", "income", "to_collective", "to_households", "to_other"]])
    xingguo = tr.asset_income_years_frame(b.engine, ALL, as_of, region=XINGGUO).set_index(["group", "year"])
    assert xingguo["income"].to_dict() == {("all", 2022): 3.0, ("pv", 2022): 3.0}
