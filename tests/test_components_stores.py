"""The stores: set filters, read the frames the views show (no browser, no server)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from dashboard_fixtures import _fresh_caches, demo_db, engine  # noqa: F401

from fundwatch.components import frames, loaders
from fundwatch.components.stores import (EXPORT_KINDS, RECORD_EXPORTS, CountyStore, OverviewStore, RegionCode,
                                         _same_frame)
from fundwatch.data import reads, rules
from fundwatch.data.scope import Scope

YUDU, XINGGUO, ZONE = "360731", "360732", "ZONE-RJ"
AS_OF = dt.date(2024, 6, 30)


@pytest.fixture
def overview(engine):
    return OverviewStore(engine=engine, scope=Scope.all(), year=2024, as_of=AS_OF)


@pytest.fixture
def county(engine):
    return CountyStore(engine=engine, scope=Scope.all(), year=2024, as_of=AS_OF, county=YUDU)


def test_overview_publishes_every_county_with_the_reads_figures(overview, engine):
    metrics = overview.county_metrics.set_index("code")
    assert len(metrics) == 20 and {YUDU, ZONE} <= set(metrics.index)
    pace = reads.pace_by_county_frame(engine, Scope.all(), 2024, as_of=AS_OF).set_index("county_code")
    assert metrics.loc[YUDU, "allocated"] == pytest.approx(pace.loc[YUDU, "allocated"])
    assert metrics.loc[YUDU, "rate"] == pytest.approx(pace.loc[YUDU, "rate"])
    findings = rules.evaluate(engine, Scope.all(), 2024, AS_OF)
    assert metrics["warnings"].sum() == len(findings) == len(overview.warnings)
    assert overview.subregions is overview.county_metrics  # the ranking of the prefecture is the counties


def test_overview_ignores_the_county_it_marks(overview):
    before = overview.pace
    overview.county = YUDU
    assert overview.region is None and overview.level == "city"
    assert overview.pace is before  # the same cached frame: views need not redraw


def test_headline_agrees_with_the_panels(overview, engine):
    h = overview.headline
    assert h["disbursed"] == pytest.approx(overview.pace["cumulative"].iloc[-1])
    assert h["rate"] == pytest.approx(overview.pace["rate"].iloc[-1])
    assert h["milestone"] == frames.Milestone(dt.date(2024, 6, 30), 0.8)
    assert h["outstanding"] == pytest.approx(overview.loans_by_type["outstanding"].sum())
    assert h["outstanding"] == pytest.approx(overview.loans_by_bank["outstanding"].sum())
    year = reads.funds_frame(engine, Scope.all(), by=("source_level",), years=(2024, 2024))
    assert h["funds_total"] == pytest.approx(year["amount"].sum())
    assert sum(h["warnings"].values()) == len(overview.warnings)
    monitored = reads.household_status_frame(engine, Scope.all(), AS_OF, by=("status",)).set_index("status")
    assert h["monitored"] == monitored.loc["monitored", "households"]


def test_county_restricts_every_panel(county, engine):
    scope = Scope.county(YUDU)
    assert county.level == "county" and county.region == YUDU
    assert county.pace["allocated"].iloc[-1] == pytest.approx(
        reads.disbursement_pace_frame(engine, Scope.all(), 2024, as_of=AS_OF, region=YUDU)["allocated"].iloc[-1])
    assert county.funds["amount"].sum() == pytest.approx(
        reads.funds_frame(engine, scope, by=("year",), years=(2016, 2026))["amount"].sum())
    assert county.loans_by_type["outstanding"].sum() == pytest.approx(
        reads.loan_position_frame(engine, scope, AS_OF, by=("programme",))["outstanding"].sum())
    assert set(county.warnings["region_code"]) <= {YUDU}
    assert set(county.leverage["key"]) <= {"industry_credit", "revitalisation_credit"}
    everyone = reads.leverage_frame(engine, Scope.all(), AS_OF, by_programme=True)  # read by the county alone
    expected = everyone[everyone["county_code"] == YUDU].reset_index(drop=True)
    assert len(county.leverage) == len(expected) > 0
    assert list(county.leverage["outstanding"]) == pytest.approx(list(expected["outstanding"]))
    assert list(county.leverage["risk_fund"]) == pytest.approx(list(expected["risk_fund"]))
    assert set(county.subregions["code"]) == set(county.townships["code"])
    households = reads.household_status_frame(engine, scope, AS_OF, by=("status",))
    assert county.households["households"].sum() == households["households"].sum()


def test_changing_the_county_updates_every_frame(county):
    before = {name: getattr(county, name) for name in
              ("pace", "funds", "loans_by_type", "leverage", "assets", "households", "warnings", "subregions")}
    county.county = XINGGUO
    assert county.townships["code"].str.startswith(XINGGUO).all()
    for name, frame in before.items():
        assert getattr(county, name) is not frame, name
    assert county.county_metrics is not None and county.headline["funds_total"] > 0


def test_a_frame_read_again_unchanged_is_not_published_again(county):
    """The prefecture's county metrics do not follow the county: a county change reads them again
    (a frame of its own from the cache) but leaves the store's frame, and the views showing it,
    alone; the frames that follow the county are published."""
    published = []
    county.param.watch(lambda *events: published.extend(e.name for e in events), ["county_metrics", "pace", "households"])
    metrics = county.county_metrics
    county.county = XINGGUO
    assert county.county_metrics is metrics
    assert sorted(published) == ["households", "pace"]


def test_same_frame_compares_columns_index_dtypes_and_values():
    held = pd.DataFrame({"code": ["360731", "360732"], "n": [1, 2]})
    assert _same_frame(held.copy(), held)
    assert not _same_frame(held.assign(n=[1, 3]), held)
    assert not _same_frame(held.astype({"n": "float64"}), held)
    assert not _same_frame(held.rename(columns={"n": "m"}), held)
    assert not _same_frame(held.set_axis([1, 0]), held)
    assert not _same_frame(held.iloc[:1], held)
    assert not _same_frame(None, held) and not _same_frame(held, None)


def test_drilling_down_to_a_township_and_a_village(county, engine):
    township = county.townships["code"].iloc[0]
    county.township = township
    assert county.level == "township" and county.child_level == "village"
    assert set(county.subregions["code"]) == set(county.villages["code"])
    villages = reads.regions_frame(engine, Scope.county(YUDU), parent=township)
    assert set(county.villages["code"]) == set(villages["code"])
    households = reads.household_status_frame(engine, Scope.all(), AS_OF, by=("status",), region=township)
    assert county.households["households"].sum() == households["households"].sum()
    assets = reads.asset_mix_frame(engine, Scope.all(), by=("village_code",), region=YUDU, formed_by_year=2024)
    in_township = assets[assets["village_code"].isin(villages["code"])]
    assert county.assets["assets"].sum() == in_township["assets"].sum()
    village = county.villages["code"].iloc[0]
    county.village = village
    assert county.level == "village" and county.region == village and county.subregions.empty
    assert [level for level, _, _ in county.path()] == ["city", "county", "township", "village"]
    county.county = XINGGUO  # a new county clears the levels below it
    assert (county.township, county.village, county.level) == ("", "", "county")


def test_a_region_the_url_names_wrongly_falls_back_with_a_notice(engine):
    store = CountyStore(engine=engine, scope=Scope.all(), year=2024, as_of=AS_OF, county="999999")
    assert store.county == store.counties["code"].iloc[0]
    assert "999999" in store.notice
    store = CountyStore(engine=engine, scope=Scope.all(), year=2024, as_of=AS_OF, county=YUDU, township="360732001")
    assert store.township == "" and store.level == "county"


def test_the_scope_limits_what_a_store_sees(engine):
    store = CountyStore(engine=engine, scope=Scope.county(XINGGUO), year=2024, as_of=AS_OF, county=YUDU)
    assert list(store.counties["code"]) == [XINGGUO] and store.county == XINGGUO
    assert set(store.county_metrics["code"]) == {XINGGUO}
    assert set(store.warnings["region_code"]) <= {XINGGUO}
    nobody = OverviewStore(engine=engine, scope=Scope.nothing(), year=2024, as_of=AS_OF)
    assert nobody.county_metrics.empty and nobody.warnings.empty


def test_year_and_date_move_together(county):
    county.year = 2020
    assert county.as_of == dt.date(2020, 6, 30)
    county.as_of = dt.date(2022, 3, 31)
    assert county.year == 2022
    assert CountyStore(year=2019).as_of == dt.date(2019, 12, 31)
    assert CountyStore(as_of=dt.date(2021, 5, 4)).year == 2021


def test_programme_and_source_level_filter_funds_and_pace(county, engine):
    county.param.update(programme="linkage", source_level="central")
    assert set(county.funds["programme"]) == {"linkage"} and set(county.funds["source_level"]) == {"central"}
    pace = reads.disbursement_pace_frame(engine, Scope.all(), 2024, as_of=AS_OF, region=YUDU,
                                         source_level="central", programmes=("linkage",))
    assert county.pace["cumulative"].iloc[-1] == pytest.approx(pace["cumulative"].iloc[-1])


def test_pace_marks_the_milestones_due(overview):
    pace = overview.pace.set_index("month")
    assert pd.isna(pace.loc[2, "milestone"])
    assert pace.loc[3, "milestone"] == 0.5 and pace.loc[6, "milestone"] == 0.8
    assert pace["date"].iloc[-1] == AS_OF


def test_record_lists_page_and_sort_on_the_server(county, engine):
    projects = county.lists["projects"]
    rows, total = reads.projects_frame(engine, Scope.all(), region=YUDU, limit=projects.page_size)
    assert projects.total == total > projects.page_size
    assert list(projects.rows["id"]) == list(rows["id"])
    projects.page = 2
    second, _ = reads.projects_frame(engine, Scope.all(), region=YUDU, limit=projects.page_size,
                                     offset=projects.page_size)
    assert list(projects.rows["id"]) == list(second["id"])
    projects.sort = "budget_fen"
    assert projects.rows["budget"].is_monotonic_increasing
    households = county.lists["households"]
    assert households.rows["head_name"].str.endswith("*").all()  # masked by data
    county.county = XINGGUO
    assert projects.page == 1 and projects.region == XINGGUO


def test_a_findings_records_come_from_its_record_list(county, engine):
    findings = rules.evaluate(engine, Scope.all(), 2024, AS_OF)
    listed = findings[findings["record_table"].isin(frames.RECORD_TABLE_LISTS)]
    assert len(listed), "the demo plants findings on listed records"
    row = listed.iloc[0]
    store = CountyStore(engine=engine, scope=Scope.all(), year=2024, as_of=AS_OF, county=row["region_code"])
    store.finding = int(store.warnings.index[(store.warnings["rule"] == row["rule"])
                                             & (store.warnings["message_zh"] == row["message_zh"])][0])
    assert sorted(store.finding_records["id"]) == sorted(row["record_ids"])
    shown = store.shown("finding_records")
    assert len(shown.frame) == len(row["record_ids"]) and "id" not in shown.frame


@pytest.mark.parametrize("kind", EXPORT_KINDS)
def test_every_kind_is_shown_in_both_languages(county, kind):
    for lang in ("zh", "en"):
        county.lang = lang
        shown = county.shown(kind)
        assert list(shown.frame.columns) == list(shown.titles)
        assert len(shown.frame) > 0 or kind in ("loans", "loans_bank"), kind
    if kind in RECORD_EXPORTS:
        assert len(county.shown(kind).frame) == county.lists[RECORD_EXPORTS[kind]].total


def test_region_codes_read_from_urls_stay_strings():
    assert RegionCode.deserialize(360731) == "360731"
    assert RegionCode.deserialize(None) == ""


def test_caches_are_keyed_on_the_engine_url_and_scope(engine):
    url = loaders.engine_key(engine)
    everyone = loaders.counties(url, "*")
    hits = loaders.counties.cache_info().hits
    again = loaders.counties(url, "*")
    assert loaders.counties.cache_info().hits == hits + 1  # answered from the cache ...
    assert again is not everyone and again.equals(everyone)  # ... with frames of its own
    assert list(loaders.counties(url, Scope.county(YUDU).key)["code"]) == [YUDU]
    assert loaders.scope_from_key(Scope.of([YUDU, XINGGUO]).key) == Scope.of([YUDU, XINGGUO])
    assert loaders.scope_from_key("-") == Scope.nothing()


def test_a_cached_frame_shares_nothing_with_the_cache_or_another_call(engine):
    """What one session does with its frames never reaches the cache: pandas notes every frame
    made from another in a list kept with the data, and a cache handing out its own frames
    collected the dead notes of every closed session."""
    url = loaders.engine_key(engine)
    first = loaders.counties(url, "*")
    for _ in range(20):
        first[["code"]].rename(columns={"code": "c"}).reset_index(drop=True)
    second = loaders.counties(url, "*")
    assert len(second.index._references.referenced_blocks) == 1
    assert all(len(block.refs.referenced_blocks) == 1 for block in second._mgr.blocks)
    second.loc[0, "name"] = "changed"
    assert loaders.counties(url, "*").loc[0, "name"] != "changed"


def test_gather_runs_reads_at_once_and_returns_them_by_name():
    """Two reads that each wait for the other finish only if they run at the same time."""
    import threading

    both = threading.Barrier(2, timeout=10)

    def read(name):
        both.wait()
        return name.upper()

    assert loaders.gather(a=lambda: read("a"), b=lambda: read("b")) == {"a": "A", "b": "B"}


def test_gather_nested_in_every_reader_still_finishes():
    """Each of more reads than there are reader threads gathers reads of its own: the waiting
    threads take the reads no one started, so nothing waits forever."""
    def inner(i):
        return loaders.gather(x=lambda: i, y=lambda: i * 2)

    outer = {f"r{i}": (lambda i=i: inner(i)) for i in range(loaders.READERS * 3)}
    assert loaders.gather(**outer) == {f"r{i}": {"x": i, "y": i * 2} for i in range(loaders.READERS * 3)}


def test_gather_runs_the_queued_reads_itself_before_waiting_for_a_started_one(monkeypatch):
    """While a reader holds the first read and no other reader is free, the calling thread runs
    the reads still queued instead of waiting for the first: here the first read finishes only
    once the second has run, which no reader is free to run."""
    import threading
    from concurrent.futures import Future

    class OneFreeReader:
        """A reader starts the first read submitted at once; the others stay queued (every
        other reader busy)."""

        def __init__(self):
            self.free = True

        def submit(self, call):
            future = Future()
            if self.free:
                self.free = False
                future.set_running_or_notify_cancel()
                threading.Thread(target=lambda: future.set_result(call()), daemon=True).start()
            return future

    monkeypatch.setattr(loaders, "_readers", OneFreeReader())
    second_ran = threading.Event()

    def second():
        second_ran.set()
        return threading.get_ident()

    got = loaders.gather(first=lambda: second_ran.wait(timeout=5), second=second)
    assert got == {"first": True, "second": threading.get_ident()}
    assert list(got) == ["first", "second"]  # in the order asked


def test_gather_raises_a_reads_error_as_it_was_raised():
    def broken():
        raise LookupError("no such county")

    with pytest.raises(LookupError, match="no such county"):
        loaders.gather(good=lambda: 1, bad=broken)


def test_beside_keeps_the_main_read_on_the_calling_thread_and_waits_for_the_others():
    """``main`` runs on the caller's thread at the same time as the others (which wait for it
    here), the others are done when ``beside`` returns, and an error of ``main`` is raised."""
    import threading

    both = threading.Barrier(2, timeout=10)
    seen = []

    def main():
        seen.append(("main", threading.current_thread() is threading.main_thread()))
        both.wait()
        return "frames"

    def other():
        both.wait()
        seen.append(("other", threading.current_thread() is threading.main_thread()))

    assert loaders.beside(main, other) == "frames"
    assert sorted(seen) == [("main", True), ("other", False)]

    def broken():
        raise LookupError("no such county")

    with pytest.raises(LookupError, match="no such county"):
        loaders.beside(broken, lambda: None)


def test_cached_reads_are_shared_and_safe_from_many_threads_at_once():
    """Reader threads fill and empty one cached read at the same time: each call answers its own
    arguments, a repeated call is served from the cache, and ``clear`` forgets."""
    from concurrent.futures import ThreadPoolExecutor

    calls = []

    @loaders.cached
    def square(n: int) -> int:
        calls.append(n)
        return n * n

    keys = range(loaders.CACHE_ITEMS * 3)  # more than it keeps: entries drop while others are added
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(square, keys)) == [n * n for n in keys]
    calls.clear()
    assert square(len(keys) - 1) == (len(keys) - 1) ** 2 and calls == []  # recent: kept
    square.clear()
    assert square(len(keys) - 1) == (len(keys) - 1) ** 2 and calls == [len(keys) - 1]


def test_a_cached_read_asked_for_while_it_runs_runs_once():
    """Threads asking for the arguments another thread is reading wait for its result instead of
    reading again (a burst of sessions opening the same page), and get frames of their own."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    started, release, calls = threading.Event(), threading.Event(), []

    @loaders.cached
    def slow(n: int) -> list[int]:
        calls.append(n)
        started.set()
        assert release.wait(10)
        return [n, n]

    with ThreadPoolExecutor(max_workers=4) as pool:
        first = pool.submit(slow, 3)
        assert started.wait(10)
        others = [pool.submit(slow, 3) for _ in range(3)]
        time.sleep(0.2)  # the others are waiting for the first by now
        release.set()
        results = [first.result(10), *(other.result(10) for other in others)]
    assert calls == [3] and results == [[3, 3]] * 4
    assert len({id(result) for result in results}) == 4
    # after clear() (the data changed) a read waits for no read started before it: it reads again
    started.clear()
    release.clear()
    with ThreadPoolExecutor(max_workers=2) as pool:
        before = pool.submit(slow, 5)
        assert started.wait(10)
        slow.clear()
        after = pool.submit(slow, 5)
        time.sleep(0.2)
        release.set()
        assert before.result(10) == after.result(10) == [5, 5]
    assert calls == [3, 5, 5]


def test_a_cached_read_whose_first_reader_failed_is_read_again_by_a_waiting_thread():
    """If the thread a read was waited on fails (a database error, or a warmer stepping aside),
    a waiting thread reads it itself rather than take that failure."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    started, release, attempts = threading.Event(), threading.Event(), []

    @loaders.cached
    def flaky(n: int) -> int:
        attempts.append(n)
        if len(attempts) == 1:
            started.set()
            assert release.wait(10)
            raise loaders.Yielded
        return n * 10

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(flaky, 4)
        assert started.wait(10)
        second = pool.submit(flaky, 4)
        time.sleep(0.2)
        release.set()
        with pytest.raises(loaders.Yielded):
            first.result(10)
        assert second.result(10) == 40
    assert attempts == [4, 4]


def test_a_page_store_reads_only_the_record_list_it_shows(engine, monkeypatch):
    """A page's store is told which record list its tabs open on: its loads read that list's
    page alone, a list shown later reads its own then, and an export of a list off screen still
    reads every row."""
    calls = []
    read = loaders.RECORD_LISTS["loans"]

    def counted(*args, **kwargs):
        calls.append(kwargs["region"])
        return read(*args, **kwargs)

    monkeypatch.setitem(loaders.RECORD_LISTS, "loans", counted)
    store = CountyStore(engine=engine, scope=Scope.all(), year=2024, as_of=AS_OF, county=YUDU,
                        lists_shown=("projects",))
    assert calls == [] and store.lists["projects"].total > 0 and store.lists["loans"].total == 0
    store.lists["loans"].live = True  # shown: its tab chosen
    assert calls == [YUDU] and store.lists["loans"].total > 0
    store.lists["loans"].live = False
    store.county = XINGGUO
    assert calls == [YUDU]  # off screen again: not read with the load
    assert len(store.shown("loan_records").frame) == store.lists["loans"].total > 0 and calls[-1] == XINGGUO
    every = CountyStore(engine=engine, scope=Scope.all(), year=2024, as_of=AS_OF, county=YUDU)
    assert every.lists["loans"].total > 0  # a store on its own: every list
