"""The demo generator (``fundwatch.data.demo``): deterministic, consistent, calibrated, loadable.

Frames are built once per module at a small scale; loading runs on a fresh SQLite file and, when
``FUNDWATCH_TEST_PG_URL`` is set, on PostgreSQL in a private schema of that database (so other
tests using its public schema are not disturbed), with the same row counts expected.
"""

from __future__ import annotations

import datetime as dt
import os
import re

import pandas as pd
import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, func, insert, select

from fundwatch.data import db, demo, schema, summaries
from fundwatch.data.models import Base, RegionFlag

SCALE = 0.02
PG_URL = os.environ.get("FUNDWATCH_TEST_PG_URL")
PG_SCHEMA = "fundwatch_demo_test"
YI = 10**10  # fen in one 亿元


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return demo.build_frames(SCALE)


@pytest.fixture(scope="module")
def sqlite_engine(tmp_path_factory) -> Engine:
    engine = db.get_engine(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}", create=True)
    schema.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def sqlite_counts(sqlite_engine) -> dict[str, int]:
    return demo.load_demo(sqlite_engine, scale=SCALE)


def _table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(Base.metadata.tables[name])).scalar_one()
                for name in demo.TABLES}


# --- frames --------------------------------------------------------------------------------------


def test_same_seed_gives_identical_frames(frames):
    again = demo.build_frames(SCALE)
    assert list(again) == list(frames)
    for name in frames:
        pd.testing.assert_frame_equal(again[name], frames[name], obj=name)


def test_another_seed_gives_other_data(frames):
    other = demo.build_frames(SCALE, seed=7)
    for name in ("region", "allocation", "disbursement", "loan", "household"):
        assert not other[name].equals(frames[name]), name
    # the geography's counts come from the reference list, not from the seed
    assert len(other["region"]) == len(frames["region"])


def test_keys_and_columns_are_the_model_tables(frames):
    assert set(frames) == set(demo.TABLES)
    for name, frame in frames.items():
        table = Base.metadata.tables[name]
        assert list(frame.columns) == [c.name for c in table.columns], name
        pk = [c.name for c in table.primary_key.columns]
        assert not frame.duplicated(pk).any(), f"{name}: duplicate primary key"
        if pk == ["id"]:
            assert frame["id"].tolist() == list(range(1, len(frame) + 1)), f"{name}: ids are not 1..n"
        for column in table.columns:
            if not column.nullable and not column.primary_key:
                assert frame[column.name].notna().all(), f"{name}.{column.name} has missing values"


def test_every_foreign_key_resolves(frames):
    for name, table in Base.metadata.tables.items():
        if name not in frames:
            continue
        for fk in table.foreign_keys:
            target = fk.column
            values = frames[name][fk.parent.name].dropna()
            known = set(frames[target.table.name][target.name])
            missing = set(values) - known
            assert not missing, f"{name}.{fk.parent.name} -> {target.table.name}.{target.name}: {sorted(missing)[:5]}"


def test_county_codes_agree_with_the_regions(frames):
    region = frames["region"].set_index("code")
    county_of = region["county_code"]
    for name, frame in frames.items():
        for column in ("village_code", "township_code", "region_code"):
            if column in frame and "county_code" in frame:
                rows = frame[frame[column].notna()]
                assert (county_of.loc[rows[column]].to_numpy() == rows["county_code"].to_numpy()).all(), \
                    f"{name}.{column} lies in another county"
    villages = region[region["level"] == "village"]
    assert (region.loc[villages["parent_code"], "level"] == "township").all()
    # facts that hang on another fact share its county
    for child, key, parent in (("disbursement", "project_id", "project"), ("disbursement", "allocation_id", "allocation"),
                               ("asset", "project_id", "project"), ("asset_income", "asset_id", "asset"),
                               ("assistance_measure", "household_id", "household")):
        rows = frames[child][frames[child][key].notna()]
        parents = frames[parent].set_index("id")["county_code"]
        assert (parents.loc[rows[key].astype(int)].to_numpy() == rows["county_code"].to_numpy()).all(), child


def test_every_county_has_data(frames):
    counties = set(frames["region"].query("level == 'county'")["code"])
    assert len(counties) == 20
    for name in ("allocation", "project", "disbursement", "county_finance", "dibao_standard", "loan",
                 "risk_fund_deposit", "asset", "household"):
        assert set(frames[name]["county_code"]) == counties, f"{name} lacks a county"


def test_every_fact_table_spans_2016_to_2026(frames):
    years = {
        "allocation": frames["allocation"]["year"],
        "disbursement": frames["disbursement"]["year"],
        "county_finance": frames["county_finance"]["year"],
        "dibao_standard": frames["dibao_standard"]["year"],
        "project": frames["project"]["start_year"],
        "loan": pd.to_datetime(frames["loan"]["issued_on"]).dt.year,
        "risk_fund_deposit": pd.to_datetime(frames["risk_fund_deposit"]["deposited_on"]).dt.year,
        "asset": pd.to_datetime(frames["asset"]["formed_on"]).dt.year,
        "asset_income": frames["asset_income"]["year"],
    }
    for name, values in years.items():
        assert values.min() == 2016 and values.max() == 2026, f"{name}: {values.min()}-{values.max()}"


def test_nothing_is_dated_after_the_demo_today(frames):
    last = pd.Timestamp(demo.LAST_DAY)
    for name, frame in frames.items():
        for column in frame.columns:
            if (column.endswith("_on") or column == "exit_date") and column != "maturity_on":  # contractual
                values = pd.to_datetime(frame[column]).dropna()
                assert (values <= last).all(), f"{name}.{column} after {demo.LAST_DAY}"


def _yi(frame: pd.DataFrame, mask=None) -> float:
    return (frame if mask is None else frame[mask])["amount_fen"].sum() / YI


def test_money_is_calibrated_to_the_seed_figures(frames):
    a = frames["allocation"]
    campaign = a["year"].between(2016, 2020)
    special = a["programme"] == "special"
    superior = a["source_level"].isin(["central", "provincial"])
    loans = frames["loan"]
    issued = pd.to_datetime(loans["issued_on"])
    ic = (loans["programme"] == "industry_credit") & issued.dt.year.between(2016, 2020)
    deposits = frames["risk_fund_deposit"]
    d_year = pd.to_datetime(deposits["deposited_on"]).dt.year
    measured = {
        "integrated_2016_2020": _yi(a, campaign & a["integrated"]),
        "superior_special_2016_2020": _yi(a, campaign & special & superior),
        "city_county_special_2016_2019": _yi(a, a["year"].between(2016, 2019) & special & ~superior),
        "city_special_2016_2019": _yi(a, a["year"].between(2016, 2019) & special & (a["source_level"] == "city")),
        "all_funds_2016_2020": _yi(a, campaign),
        "medical_2016_2020": _yi(a, campaign & (a["programme"] == "medical")),
        "education_2016_2020": _yi(a, campaign & (a["programme"] == "education")),
        "roads_2016_2020": _yi(a, campaign & (a["programme"] == "roads")),
        "industry_credit_loans_2016_2020": _yi(loans, ic),
        "industry_credit_risk_fund": _yi(deposits, deposits["programme"] == "industry_credit"),
        "revitalisation_risk_fund_2020_2021": _yi(
            deposits, (deposits["programme"] == "revitalisation_credit") & d_year.between(2020, 2021)),
    }
    for key, target in demo.TARGETS_YI.items():
        assert measured[key] == pytest.approx(target, rel=0.10), key
    households = loans["borrower_type"].isin(["poor_household", "marginal_household", "farmer"])
    assert (ic & households).sum() == pytest.approx(demo.INDUSTRY_CREDIT_BORROWERS * SCALE, rel=0.10)
    # money follows the allocations: payments of a year never exceed what was allocated
    paid = frames["disbursement"].groupby("allocation_id")["amount_fen"].sum()
    allocated = a.set_index("id")["amount_fen"]
    planted_extra = 0.01 * allocated.sum()
    assert (paid - allocated.loc[paid.index]).clip(lower=0).sum() <= planted_extra


def test_scale_multiplies_rows_not_money():
    small, larger = demo.build_frames(SCALE), demo.build_frames(SCALE * 3)
    # (projects, payments and assets keep a floor per county, year and category at small scales)
    for name in ("loan", "household", "assistance_measure"):
        assert len(larger[name]) == pytest.approx(3 * len(small[name]), rel=0.15), name
    for name in ("region", "allocation", "county_finance", "dibao_standard"):
        assert len(larger[name]) == len(small[name]), name
    for name in ("allocation", "loan"):
        assert _yi(larger[name]) == pytest.approx(_yi(small[name]), rel=0.05), name


_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _id_number_ok(number: str) -> bool:
    """GB 11643: 17 digits, a real birth date, ISO 7064 MOD 11-2 check character."""
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    check = "10X98765432"[sum(int(c) * w for c, w in zip(number[:17], _ID_WEIGHTS, strict=True)) % 11]
    return number[17] == check and dt.date(1900, 1, 1) < birth < dt.date(2010, 1, 1)


def _credit_code_ok(code: str) -> bool:
    """GB 32100 unified social credit code: MOD 31 check character over 17 characters."""
    if len(code) != 18 or any(c not in _USCC for c in code):
        return False
    total = sum(_USCC.index(c) * pow(3, i, 31) for i, c in enumerate(code[:17]))
    return code[17] == _USCC[(31 - total % 31) % 31]


def test_id_numbers_are_valid_and_local(frames):
    area = {code: code for code in frames["region"].query("level == 'county'")["code"]}
    area.update({"ZONE-RJ": "360703", "ZONE-KF": "360702"})
    h = frames["household"]
    assert h["head_id_no"].map(_id_number_ok).all()
    assert (h["head_id_no"].str[:6] == h["county_code"].map(area)).all()
    assert h["head_id_no"].is_unique
    loans = frames["loan"]
    person = loans["borrower_type"].isin(["poor_household", "marginal_household", "farmer"])
    assert loans.loc[person, "borrower_id_no"].map(_id_number_ok).all()
    assert loans.loc[person, "borrower_id_no"].is_unique  # one loan per household borrower
    assert loans.loc[~person, "borrower_id_no"].map(_credit_code_ok).all()


def test_household_dates_are_in_order(frames):
    h = frames["household"]
    found, identified, entered = (pd.to_datetime(h[c]) for c in ("found_on", "identified_on", "entered_on"))
    eliminated = pd.to_datetime(h["risk_eliminated_on"])
    assert (identified.isna() | (found <= identified)).all()
    assert (entered.isna() | (identified <= entered)).all()
    assert (eliminated.isna() | (identified <= eliminated)).all()
    assert found.dropna().min() >= pd.Timestamp("2021-01-01")
    assert identified[found.isna()].isna().all()  # not monitored: no monitoring dates
    monitored = found.notna().mean()
    assert 0.35 < monitored < 0.45
    measures = frames["assistance_measure"].merge(h[["id", "identified_on"]], left_on="household_id", right_on="id")
    assert (pd.to_datetime(measures["started_on"]) > pd.to_datetime(measures["identified_on"])).all()


def test_loans_are_consistent(frames):
    loans = frames["loan"]
    issued, maturity, repaid = (pd.to_datetime(loans[c]) for c in ("issued_on", "maturity_on", "repaid_on"))
    assert (issued < maturity).all()
    assert (repaid.isna() | (repaid > issued)).all()
    assert (loans.loc[loans["status"] == "repaid", "repaid_on"].notna()).all()
    assert (loans.loc[loans["status"].isin(["current", "overdue"]), "repaid_on"].isna()).all()
    shares = loans["guarantee_city_fen"] + loans["guarantee_county_fen"]
    assert (shares == loans["guarantee_fee_fen"]).mean() > 0.99


def test_regions_follow_the_reference(frames):
    ref = demo.read_reference()
    region = frames["region"]
    assert region.query("level == 'city'")["code"].tolist() == ["360700"]
    for row in ref.itertuples():
        assert (region["parent_code"] == row.adcode).sum() == row.townships
        assert ((region["county_code"] == row.adcode) & (region["level"] == "village")).sum() == row.admin_villages
        names = region.loc[region["county_code"] == row.adcode, "name"]
        assert names[region["level"] == "village"].is_unique
    flags = frames["region_flag"]
    assert (flags["flag"] == "poverty_county").sum() == ref["poverty_group"].str.startswith("国家贫困县").sum()
    assert (flags["flag"] == "poor_village").sum() == ref["poor_villages"].sum()
    listed = flags[flags["flag"] == "listed_supervision"]
    assert (listed["region_code"].str.len() == 6).sum() == 4 and (listed["region_code"].str.len() > 6).sum() == 100


# --- loading -------------------------------------------------------------------------------------


def test_load_demo_fills_sqlite(sqlite_engine, sqlite_counts, frames):
    assert sqlite_counts == {name: len(frames[name]) for name in demo.TABLES}
    assert _table_counts(sqlite_engine) == sqlite_counts
    with sqlite_engine.connect() as conn:
        first = conn.exec_driver_sql("SELECT paid_on, amount_fen FROM disbursement WHERE id = 1").one()
    assert first.paid_on == frames["disbursement"]["paid_on"].iloc[0].date().isoformat()
    assert first.amount_fen == int(frames["disbursement"]["amount_fen"].iloc[0])


def test_load_demo_leaves_no_write_ahead_log(sqlite_engine, sqlite_counts):
    """The load is copied into the database file: no log for every later read to look pages up in."""
    log = db.sqlite_path(str(sqlite_engine.url)).with_name("demo.db-wal")
    assert sqlite_counts["household"] > 0
    assert not log.exists() or log.stat().st_size == 0


def _analysed(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return db.analysed_rows(conn)


def test_load_demo_leaves_planner_statistics(sqlite_engine, sqlite_counts):
    """SQLite gathers none by itself; without them it read the identification clock's cases
    through the wrong index (docs/performance-log.md)."""
    analysed = _analysed(sqlite_engine)
    for table, rows in sqlite_counts.items():
        if rows:
            assert analysed[table] == rows, table
    assert analysed["household_year_end"] > 0 and analysed["score"] > 0


def test_a_loaded_demo_on_postgresql_is_vacuumed(demo_engine):
    """PostgreSQL's freshly loaded tables are vacuumed, not only analysed: every page of the
    households and of the summaries is marked all-visible, so an index-only scan reads no heap
    (analysed alone, none is: ``relallvisible`` 0).  SQLite has no such map; its statistics are
    checked above."""
    with demo_engine.connect() as conn:
        if demo_engine.dialect.name == "sqlite":
            assert db.analysed_rows(conn)["household"] > 0
            return
        for table in ("household", "assistance_measure", "household_year_end", "monitoring_month"):
            pages, visible = conn.exec_driver_sql(
                f"SELECT relpages, relallvisible FROM pg_class WHERE oid = '{table}'::regclass").one()
            assert pages > 0 and visible == pages, (table, pages, visible)


def test_the_upgrade_analyses_a_database_loaded_without_statistics(sqlite_engine, sqlite_counts):
    command.downgrade(schema.alembic_config(sqlite_engine), "0021")  # 0022 and what came after it undone
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM sqlite_stat1")
    assert _analysed(sqlite_engine) == {}
    schema.upgrade(sqlite_engine)
    assert schema.is_current(sqlite_engine)
    assert _analysed(sqlite_engine)["household"] == sqlite_counts["household"]


def test_statistics_are_gathered_again_only_for_a_table_without_them_or_grown(sqlite_engine, sqlite_counts):
    def refresh(table):
        return db.refresh_statistics(sqlite_engine, table, summaries.summaries_of(table))

    assert refresh("household") == refresh("loan") == []  # the demo's are current
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'household'")
        conn.exec_driver_sql("UPDATE sqlite_stat1 SET stat = '10' || substr(stat, instr(stat, ' ')) WHERE tbl = 'loan'")
    assert refresh("asset") == []
    assert refresh("household") == ["household", "household_month_flow", "household_year_end", "clock_month",
                                    "clock_day", "monitoring_year", "monitoring_month", "monitoring_day",
                                    "wait_year", "wait_month", "wait_day", "case_age_year", "case_age_month",
                                    "case_age_day", "income_band_year", "income_band_month", "income_band_day",
                                    "household_status_day"]
    assert refresh("loan") == ["loan", "loan_month_flow", "loan_year_end", "loan_total_month_flow",
                               "loan_total_year_end", "loan_total_day"]
    assert _analysed(sqlite_engine)["household"] == sqlite_counts["household"]
    assert _analysed(sqlite_engine)["loan"] == sqlite_counts["loan"]


def test_load_demo_refuses_a_database_with_regions(sqlite_engine, sqlite_counts):
    with pytest.raises(ValueError, match="already holds"):
        demo.load_demo(sqlite_engine, scale=SCALE)
    assert _table_counts(sqlite_engine) == sqlite_counts


@pytest.fixture(scope="module")
def pg_engine() -> Engine:
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("FUNDWATCH_TEST_PG_URL is not set in CI: PostgreSQL tests must run")
        pytest.skip("FUNDWATCH_TEST_PG_URL not set: PostgreSQL not available on this machine")
    url = db.normalise_url(PG_URL)
    base = create_engine(url)
    with base.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}")
    base.dispose()
    engine = create_engine(url, connect_args={"options": f"-csearch_path={PG_SCHEMA}"})
    Base.metadata.drop_all(engine)  # start from scratch: tables, the migration's bookkeeping
    with engine.begin() as conn:  # and the audit trigger function the migration creates
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS audit_log_append_only()")
    schema.upgrade(engine)
    yield engine
    engine.dispose()
    base = create_engine(url)
    with base.begin() as conn:  # leave the shared test database as it was
        conn.exec_driver_sql(f"DROP SCHEMA {PG_SCHEMA} CASCADE")
    base.dispose()


@pytest.mark.pg
def test_load_demo_on_postgresql_matches_sqlite(pg_engine, sqlite_counts):
    counts = demo.load_demo(pg_engine, scale=SCALE)
    assert counts == sqlite_counts
    assert _table_counts(pg_engine) == sqlite_counts
    with pytest.raises(ValueError, match="already holds"):
        demo.load_demo(pg_engine, scale=SCALE)
    # the id sequences were moved past the explicit ids: a plain insert gets the next id
    with pg_engine.begin() as conn:
        new_id = conn.execute(insert(RegionFlag).values(
            region_code="360731", county_code="360731", flag="listed_supervision", start_year=2027,
        ).returning(RegionFlag.id)).scalar_one()
        conn.rollback()
    assert new_id == sqlite_counts["region_flag"] + 1


# --- the assessors' scores ------------------------------------------------------------------------


def test_assessment_entries_are_deterministic_plausible_and_varied():
    from decimal import Decimal

    from fundwatch.data.rubric import load_rubric

    entries = demo.assessment_entries()
    pd.testing.assert_frame_equal(entries, demo.assessment_entries())
    assert not entries.equals(demo.assessment_entries(seed=7))
    assert set(entries["rubric"]) == set(demo.ASSESSED_RUBRICS)
    assert set(entries["year"]) == set(demo.ASSESSED_YEARS)
    assert entries["unit"].nunique() == 20
    assert not entries.duplicated(["rubric", "unit", "year", "item"]).any()
    for name, group in entries.groupby("rubric"):
        rubric = load_rubric(name)
        for row in group.itertuples():
            item = rubric.item(row.item)
            assert not item.is_computed and item.kind in ("manual", "per_occurrence", "veto")
            if item.kind == "manual":
                assert Decimal(0) <= Decimal(row.value) <= item.max_points
        manual = [i.code for i in rubric.leaves if i.kind == "manual"]
        assert len(group) < len(manual) * 20 * len(demo.ASSESSED_YEARS)  # some items are left unscored
        totals = group[group["item"].isin(manual)].assign(v=group["value"].astype(float)).groupby("unit")["v"].sum()
        assert totals.nunique() > 15  # units differ
    vetoes = entries[entries["item"] == "veto"]
    assert vetoes[["unit", "year"]].values.tolist() == [["360781", 2022]]
