"""Scoped reads on the demo database, both backends: isolation, fail-closed, and exact totals."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import func, select

from fundwatch.data import reads
from fundwatch.data.reads import _common
from fundwatch.data.models import Allocation, Disbursement, Household, Loan
from fundwatch.data.scope import Scope

YUDU = "360731"  # 于都县
XINGGUO = "360732"  # 兴国县
AS_OF = dt.date(2020, 6, 30)


def _aggregates(scope, region=None):
    """Every read the dashboards use, grouped by county so rows can be attributed to one."""
    return {
        "funds": lambda e: reads.funds_frame(e, scope, by=("county_code", "year", "source_level")),
        "pace_by_county": lambda e: reads.pace_by_county_frame(e, scope, 2020, as_of=AS_OF, by_level=True),
        "loan_position": lambda e: reads.loan_position_frame(e, scope, AS_OF, by=("county_code", "bank", "borrower_type")),
        "risk_fund": lambda e: reads.risk_fund_frame(e, scope, AS_OF, by=("county_code", "programme")),
        "leverage": lambda e: reads.leverage_frame(e, scope, AS_OF, by_programme=True),
        "loans_issued": lambda e: reads.loans_issued_frame(e, scope, by=("county_code", "year")),
        "asset_mix": lambda e: reads.asset_mix_frame(e, scope, by=("county_code", "asset_class")),
        "asset_income": lambda e: reads.asset_income_frame(e, scope, by=("county_code", "year")),
        "households": lambda e: reads.household_status_frame(e, scope, dt.date(2024, 6, 30), by=("county_code", "category", "status")),
        "flags": lambda e: reads.region_flags_frame(e, scope),
        "regions": lambda e: reads.regions_frame(e, scope).query("level != 'city'"),
        "projects": lambda e: reads.projects_frame(e, scope, region=region, limit=5000)[0],
        "loans": lambda e: reads.loans_frame(e, scope, region=region, limit=5000)[0],
        "assets": lambda e: reads.assets_frame(e, scope, region=region, limit=5000)[0],
        "household_list": lambda e: reads.households_frame(e, scope, region=region, limit=5000)[0],
    }


@pytest.mark.parametrize("name", list(_aggregates(Scope.all())))
def test_county_scope_returns_only_its_county(demo_engine, name):
    mine = _aggregates(Scope.county(YUDU))[name](demo_engine)
    assert len(mine) > 0, f"{name}: 于都县 has data in the demo"
    assert set(mine["county_code"]) == {YUDU}
    if name in {"projects", "loans", "assets", "household_list"}:  # pages: the same page as asked by region
        expected = _aggregates(Scope.all(), region=YUDU)[name](demo_engine)
    else:
        everything = _aggregates(Scope.all())[name](demo_engine)
        expected = everything[everything["county_code"] == YUDU]
    pd.testing.assert_frame_equal(mine.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False)


@pytest.mark.parametrize("name", list(_aggregates(Scope.all())))
def test_empty_scope_sees_nothing(demo_engine, name):
    assert len(_aggregates(Scope.nothing())[name](demo_engine)) == 0


def test_reads_fail_closed_without_a_scope(demo_engine):
    for read in (reads.funds_frame, reads.regions_frame, reads.table_counts, reads.headline_totals):
        with pytest.raises(TypeError, match="Scope"):
            read(demo_engine, None)
    with pytest.raises(TypeError, match="Scope"):
        reads.loan_position_frame(demo_engine, "360731", AS_OF)


def test_region_outside_scope_returns_nothing(demo_engine):
    scope = Scope.county(YUDU)
    assert reads.funds_frame(demo_engine, scope, region=XINGGUO).empty
    assert reads.disbursement_pace_frame(demo_engine, scope, 2020, region=XINGGUO)["cumulative"].sum() == 0
    assert reads.projects_frame(demo_engine, scope, region=XINGGUO)[1] == 0


def test_funds_totals_are_exact(demo_engine):
    with demo_engine.connect() as conn:
        raw_fen = conn.execute(select(func.sum(Allocation.amount_fen)).where(Allocation.year == 2020)).scalar_one()
    by_level = reads.funds_frame(demo_engine, Scope.all(), by=("source_level",), years=(2020, 2020))
    assert round(by_level["amount"].sum() * 100) == int(raw_fen)


def test_pace_is_cumulative_and_matches_raw_payments(demo_engine):
    pace = reads.disbursement_pace_frame(demo_engine, Scope.county(YUDU), 2020, as_of=AS_OF)
    assert list(pace["month"]) == [1, 2, 3, 4, 5, 6]
    assert pace["cumulative"].is_monotonic_increasing
    with demo_engine.connect() as conn:
        raw = conn.execute(select(func.sum(Disbursement.amount_fen)).where(
            Disbursement.county_code == YUDU, Disbursement.year == 2020, Disbursement.paid_on <= AS_OF,
            Disbursement.programme.in_(("special", "integrated", "linkage")))).scalar_one()
    assert round(pace["cumulative"].iloc[-1] * 100) == int(raw or 0)
    assert 0 < pace["rate"].iloc[-1] <= 1.5


def test_leverage_is_outstanding_over_risk_fund(demo_engine):
    lev = reads.leverage_frame(demo_engine, Scope.all(), AS_OF)
    funded = lev[lev["risk_fund"] > 0]
    assert len(funded) > 0
    assert ((funded["leverage"] - funded["outstanding"] / funded["risk_fund"]).abs() < 1e-9).all()
    with demo_engine.connect() as conn:
        outstanding = conn.execute(select(func.sum(Loan.amount_fen)).where(
            Loan.issued_on <= AS_OF, (Loan.repaid_on.is_(None)) | (Loan.repaid_on > AS_OF))).scalar_one()
    assert round(lev["outstanding"].sum() * 100) == int(outstanding)


def test_household_status_partitions_the_monitored(demo_engine):
    as_of = dt.date(2024, 6, 30)
    status = reads.household_status_frame(demo_engine, Scope.all(), as_of, by=("status",))
    assert set(status["status"]) <= {"pending", "monitored", "eliminated"}
    with demo_engine.connect() as conn:
        found = conn.execute(select(func.count()).where(Household.found_on <= as_of)).scalar_one()
    assert status["households"].sum() == found


def test_lists_mask_personal_data(demo_engine):
    rows, total = reads.households_frame(demo_engine, Scope.county(YUDU), limit=50)
    assert total >= len(rows) > 0
    assert rows["head_name"].str.fullmatch(r"\S{1,2}\*").all()
    assert rows["head_id_no"].str.fullmatch(r"\d{3}\*{11}[\dX]{4}").all()
    loans, _ = reads.loans_frame(demo_engine, Scope.county(YUDU), limit=50)
    assert loans["borrower_name"].str.endswith("*").all()


def test_lists_page_and_sort(demo_engine):
    first, total = reads.projects_frame(demo_engine, Scope.all(), sort="-budget_fen", limit=10)
    second, _ = reads.projects_frame(demo_engine, Scope.all(), sort="-budget_fen", limit=10, offset=10)
    assert total > 20 and len(first) == len(second) == 10
    assert first["budget"].min() >= second["budget"].max()
    assert not set(first["id"]) & set(second["id"])
    with pytest.raises(ValueError, match="sort"):
        reads.projects_frame(demo_engine, Scope.all(), sort="name; DROP TABLE project")


def test_drill_down_to_township_and_village(demo_engine):
    townships = reads.regions_frame(demo_engine, Scope.county(YUDU), level="township")
    assert len(townships) > 0
    township = townships["code"].iloc[0]
    villages = reads.regions_frame(demo_engine, Scope.county(YUDU), parent=township)
    assert (villages["level"] == "village").all() and len(villages) > 0
    in_township, n_t = reads.households_frame(demo_engine, Scope.county(YUDU), region=township, limit=5000)
    assert (in_township["township_code"] == township).all()
    _, n_county = reads.households_frame(demo_engine, Scope.county(YUDU), limit=1)
    assert n_t <= n_county


def test_headline_totals_within_ten_percent_of_seed_figures(demo_engine):
    totals = reads.headline_totals(demo_engine, Scope.all())
    money = totals[totals["unit"] == "亿元"]
    assert ((money["ratio"] - 1).abs() <= 0.10).all(), money.to_string()


def test_table_counts_cover_every_table(demo_engine):
    counts = reads.table_counts(demo_engine, Scope.all()).set_index("table")["rows"]
    for table in ("region", "region_flag", "allocation", "project", "disbursement", "county_finance", "loan",
                  "risk_fund_deposit", "asset", "asset_income", "household", "assistance_measure",
                  "dibao_standard"):
        assert counts[table] > 0, table


def test_a_region_once_found_is_still_checked_against_each_scope(demo_engine):
    """Regions found are kept per engine (reference data), but every call checks its scope: a
    county user never learns of another county's township, however often it was asked before."""
    from fundwatch.data.reads._common import region_info

    township = reads.regions_frame(demo_engine, Scope.county(XINGGUO), level="township")["code"].iloc[0]
    assert region_info(demo_engine, Scope.all(), township)[:2] == ("township", XINGGUO)
    assert region_info(demo_engine, Scope.county(XINGGUO), township)[1] == XINGGUO
    assert region_info(demo_engine, Scope.county(YUDU), township) is None  # found and kept, still not visible
    assert region_info(demo_engine, Scope.nothing(), township) is None
    assert region_info(demo_engine, Scope.county(YUDU), "360700")[0] == "city"  # the city is everyone's
    assert region_info(demo_engine, Scope.all(), "999999") is None
    with demo_engine.connect() as conn:  # the same answers on a connection of the engine
        assert region_info(conn, Scope.county(YUDU), township) is None
        assert region_info(conn, Scope.county(XINGGUO), township)[0] == "township"
    frame = reads.household_status_frame(demo_engine, Scope.county(YUDU), dt.date(2024, 6, 30), region=township)
    assert len(frame) == 0  # a read for that township in another county's scope gets nothing


def test_a_summary_reads_frame_keeps_text_as_objects_and_numbers_as_numbers():
    """``columns_frame`` (the summary reads' frames): text and dates stay Python objects in object
    columns (never pandas' inferred ``str``), counts are int64 and fen become float yuan, in the
    rows' order on a plain range index; no rows give the same columns, empty."""
    rows = [("360731", None, dt.date(2024, 6, 30), 3, 150), ("360732", "poor", None, 4, 25)]
    out = _common.columns_frame(rows, ["county_code", "category", "day", "households", "amount_fen"],
                                ints=("households",), yuan=("amount_fen",))
    assert list(out.columns) == ["county_code", "category", "day", "households", "amount"]
    assert [str(dtype) for dtype in out.dtypes] == ["object", "object", "object", "int64", "float64"]
    assert out.to_dict("list") == {"county_code": ["360731", "360732"], "category": [None, "poor"],
                                   "day": [dt.date(2024, 6, 30), None], "households": [3, 4], "amount": [1.5, 0.25]}
    assert out.index.equals(pd.RangeIndex(2))
    empty = _common.columns_frame([], ["county_code", "households"], ints=("households",))
    assert list(empty.columns) == ["county_code", "households"] and len(empty) == 0
    assert [str(dtype) for dtype in empty.dtypes] == ["object", "int64"]
