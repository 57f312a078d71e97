"""Policy rules (issue 3): each rule fires exactly when it should, on SQLite and PostgreSQL.

Every test builds a tiny region tree (city 360700; counties 360731 于都县 and 360732 兴国县,
a township and a village each) in ``blank_engine`` and inserts hand-built rows with SQLAlchemy
Core, then moves the measured value just below, exactly to and just above the threshold.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from collections import defaultdict
from itertools import count

import pytest
import yaml
from sqlalchemy import event, insert, select, update

from fundwatch.data import models as m
from fundwatch.data import workdays
from fundwatch.data.rules import (
    DEFAULT_YAML, JSON_KEYS, RULE_IDS, RULES, ConfigError, default_as_of, defaults, evaluate, findings_to_records,
    format_findings, get_rule, load_config, rules_with,
)
from fundwatch.data.scope import Scope

D = dt.date
YUDU, XINGGUO = "360731", "360732"
ALL = Scope.all()


# ---------------------------------------------------------------------------------------------
# Fixture builder
# ---------------------------------------------------------------------------------------------


class Builder:
    """Inserts rows with Core and returns their ids; sensible defaults for columns a test ignores."""

    def __init__(self, engine):
        self.engine = engine
        self._n = count(1)
        self.regions()

    def _insert(self, model, **values) -> int | None:
        table = model.__table__
        with self.engine.begin() as conn:
            result = conn.execute(insert(table).values(**values))
            pk = result.inserted_primary_key
        return pk[0] if pk and len(pk) == 1 else None

    def set(self, model, row_id, **values) -> None:
        table = model.__table__
        with self.engine.begin() as conn:
            conn.execute(update(table).where(table.c.id == row_id).values(**values))

    def regions(self) -> None:
        self._insert(m.Region, code="360700", name="赣州市", level="city")
        for code, name in ((YUDU, "于都县"), (XINGGUO, "兴国县")):
            self._insert(m.Region, code=code, name=name, level="county", parent_code="360700", county_code=code)
            self._insert(m.Region, code=code + "100", name=name + "一镇", level="township", parent_code=code,
                         county_code=code)
            self._insert(m.Region, code=code + "100201", name=name + "一村", level="village",
                         parent_code=code + "100", county_code=code)

    def allocation(self, county=YUDU, year=2020, level="city", amount=100_000, programme="special",
                   issued=None, published="same", integrable=False, integrated=False) -> int:
        issued = issued or D(year, 1, 10)
        return self._insert(
            m.Allocation, year=year, county_code=county, programme=programme, source_level=level,
            amount_fen=amount, document_no=f"赣市财农指〔{year}〕{next(self._n)}号", issued_on=issued,
            integrable=integrable, integrated=integrated, published_on=issued if published == "same" else published,
        )

    def project(self, county=YUDU, category="industry", status="in_progress", in_pool=True, start_year=2020,
                end_year=None) -> int:
        n = next(self._n)
        return self._insert(
            m.Project, code=f"P{n}", name=f"项目{n}", county_code=county, township_code=county + "100",
            village_code=county + "100201", category=category, budget_fen=1_000_000, status=status,
            start_year=start_year, end_year=end_year, in_pool=in_pool, pool_entry_no=f"K{n}" if in_pool else None,
        )

    def disbursement(self, project, allocation=None, county=YUDU, level="city", programme="special",
                     paid=D(2020, 3, 15), amount=50_000) -> int:
        return self._insert(
            m.Disbursement, project_id=project, allocation_id=allocation, county_code=county, source_level=level,
            programme=programme, paid_on=paid, year=paid.year, ym=paid.year * 100 + paid.month,
            amount_fen=amount, voucher_no=f"V{next(self._n)}",
        )

    def finance(self, county, year, revenue, added) -> None:
        self._insert(m.CountyFinance, county_code=county, year=year, general_revenue_fen=revenue,
                     poverty_budget_added_fen=added)

    def deposit(self, county=YUDU, programme="industry_credit", amount=100_000, on=D(2020, 1, 5)) -> int:
        return self._insert(m.RiskFundDeposit, county_code=county, programme=programme, bank="赣州银行",
                            deposited_on=on, amount_fen=amount, document_no=None)

    def loan(self, county=YUDU, programme="industry_credit", amount=100_000, issued=D(2020, 2, 1),
             repaid=None, status="current", bank="赣州银行", borrower="poor_household", fee=0,
             city_fee=0, county_fee=0, bearer="city_county") -> int:
        n = next(self._n)
        return self._insert(
            m.Loan, contract_no=f"C{n}", programme=programme, bank=bank, borrower_type=borrower,
            borrower_name=f"借款人{n}", borrower_id_no=None, county_code=county, village_code=county + "100201",
            amount_fen=amount, rate_pct=4.35, issued_on=issued, maturity_on=issued + dt.timedelta(days=1095),
            repaid_on=repaid, industry="navel_orange", status=status, guarantee_fee_fen=fee,
            guarantee_bearer=bearer, guarantee_city_fen=city_fee, guarantee_county_fen=county_fee,
        )

    def asset(self, county=YUDU, asset_class="public_welfare", subtype="road", custodian="村委会",
              owner="collective", status="in_use", formed=D(2020, 5, 1), project="new") -> int:
        if project == "new":
            project = self.project(county=county, status="completed", end_year=formed.year)
        n = next(self._n)
        return self._insert(
            m.Asset, code=f"A{n}", name=f"资产{n}", project_id=project, county_code=county,
            village_code=county + "100201", asset_class=asset_class, subtype=subtype, value_fen=500_000,
            formed_on=formed, owner=owner, custodian=custodian, status=status,
        )

    def income(self, asset, year, income=1000, collective=600, households=400, other=0, county=YUDU) -> int:
        return self._insert(m.AssetIncome, asset_id=asset, county_code=county, year=year, income_fen=income,
                            to_collective_fen=collective, to_households_fen=households, to_other_fen=other)

    def dibao(self, county=YUDU, year=2024, annual=600_000) -> None:
        self._insert(m.DibaoStandard, county_code=county, year=year, annual_fen=annual)

    def household(self, county=YUDU, income=1_000_000, income_year=2024, found=None, identified=None,
                  entered=None, eliminated=None, returned=None) -> int:
        n = next(self._n)
        return self._insert(
            m.Household, code=f"H{n}", county_code=county, township_code=county + "100",
            village_code=county + "100201", head_name=f"户主{n}", head_id_no="360731199001011234", members=3,
            income_year=income_year, income_per_capita_fen=income, found_on=found,
            channel="cadre_visit" if found else None, category="marginal" if found else None,
            identified_on=identified, entered_on=entered, risk_eliminated_on=eliminated,
            returned_to_poverty_on=returned,
        )

    def measure(self, household, started, county=YUDU, kind="employment") -> int:
        return self._insert(m.AssistanceMeasure, household_id=household, county_code=county, kind=kind,
                            started_on=started, amount_fen=0)


@pytest.fixture
def b(blank_engine) -> Builder:
    return Builder(blank_engine)


def run(b: Builder, rule: str, year: int, as_of=None, scope=ALL, config=None):
    return evaluate(b.engine, scope, year, as_of=as_of, rules=[rule], config=config)


def records(b, rule, year, as_of=None, **kw):
    return findings_to_records(run(b, rule, year, as_of, **kw))


# ---------------------------------------------------------------------------------------------
# Registry and configuration
# ---------------------------------------------------------------------------------------------


def test_registry_ids_severities_and_bases():
    assert RULE_IDS == ("F1", "F2", "F3", "F4", "F5", "F6", "L1", "L2", "L3", "A1", "A2", "A3", "A4",
                        "H1", "H2", "H3", "H4", "Q1", "Q2", "Q3", "Q4", "Q5", "Q6")
    severity = {r.id: r.severity for r in RULES}
    assert severity["F5"] == severity["H4"] == "violation"
    assert {severity[i] for i in ("F3", "F6", "A4", "Q1", "Q2", "Q3", "Q4", "Q5", "Q6")} == {"notice"}
    for rule in RULES:
        assert rule.title_zh and rule.title_en and rule.basis_zh and rule.basis_en
    assert get_rule("F1").basis_zh == "赣市府办字〔2020〕17号 第13条"
    assert get_rule("f1").params["first_min"] == 0.5
    assert get_rule("L1").params["max_leverage"] == 8
    assert get_rule("H1").params["alert_multiple"] == 1.2
    assert get_rule("H2").params["max_workdays"] == 15
    assert get_rule("F3").params["integration_min"] == 0.35
    with pytest.raises(TypeError):
        get_rule("F1").params["first_min"] = 0.4  # frozen


def test_default_yaml_agrees_with_registry():
    assert load_config(DEFAULT_YAML) == defaults()
    # and lists every rule, in registry order
    assert list(yaml.safe_load(DEFAULT_YAML.read_text(encoding="utf-8"))) == list(RULE_IDS)


@pytest.mark.parametrize("text, match", [
    ("F1:\n  first_minimum: 0.4\n", "F1: unknown parameter 'first_minimum'"),
    ("F9:\n  x: 1\n", "unknown rule 'F9'"),
    ("F1:\n  first_min: fifty\n", "F1.first_min: expected a number"),
    ("F1:\n  first_min: 1.5\n", "F1.first_min: expected a number from 0 to 1"),
    ("F1:\n  first_date: 03-32\n", "F1.first_date: expected a month and day"),
    ("H2:\n  max_workdays: 15.5\n", "H2.max_workdays: expected a whole number"),
    ("F5:\n  negative_list: [office_building, casino]\n", "unknown codes \\['casino'\\]"),
    ("F1: 0.4\n", "F1: expected a mapping"),
    ("- F1\n", "expected a mapping of rule ids"),
    ("F1: [\n", "not valid YAML"),
])
def test_config_errors_are_clear(tmp_path, text, match):
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=match):
        load_config(path)


def test_config_values_and_rules_with(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("F1:\n  first_min: 0.4\n  first_date: 3-31\nL1:\n  max_leverage: 10\nA1:\n", encoding="utf-8")
    assert load_config(path) == {"F1": {"first_min": 0.4, "first_date": "03-31"}, "L1": {"max_leverage": 10.0},
                                 "A1": {}}
    rules = {r.id: r for r in rules_with(load_config(path))}
    assert rules["F1"].params["first_min"] == 0.4 and rules["F1"].params["second_min"] == 0.8
    assert get_rule("F1").params["first_min"] == 0.5  # the registry itself is untouched
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    assert load_config(empty) == {}


# ---------------------------------------------------------------------------------------------
# F1 pace
# ---------------------------------------------------------------------------------------------

NO_PROJECTION = {"F1": {"project_next": False}}


def test_f1_first_milestone_below_at_above(b):
    alloc = b.allocation(level="city", amount=100_000, issued=D(2020, 1, 10))
    b.allocation(level="city", amount=900_000, issued=D(2020, 4, 20))  # issued after 31 March: not counted then
    project = b.project()
    paid = b.disbursement(project, alloc, level="city", paid=D(2020, 3, 31), amount=49_999)
    b.disbursement(project, alloc, level="city", paid=D(2020, 4, 1), amount=40_000)  # after the milestone
    as_of = D(2020, 4, 15)

    found = records(b, "F1", 2020, as_of, config=NO_PROJECTION)
    assert found == [{
        "rule": "F1", "severity": "warning", "region_code": YUDU, "region_name": "于都县",
        "value": 0.49999, "threshold": 0.5,
        "message": "于都县 2020年 市级扶贫资金截至3月31日拨付率 49.999%，低于 50%",
        "basis": "赣市府办字〔2020〕17号 第13条", "record_ids": [alloc],
    }]
    for amount in (50_000, 50_001):
        b.set(m.Disbursement, paid, amount_fen=amount)
        assert records(b, "F1", 2020, as_of, config=NO_PROJECTION) == []


def test_f1_each_level_and_second_milestone(b):
    project = b.project()
    city = b.allocation(level="city", amount=100_000)
    county = b.allocation(level="county", amount=100_000)
    b.allocation(level="city", amount=100_000, programme="roads")  # not a poverty programme
    b.disbursement(project, city, level="city", paid=D(2020, 3, 1), amount=80_000)
    late = b.disbursement(project, county, level="county", paid=D(2020, 3, 1), amount=79_999)
    as_of = D(2020, 7, 1)
    frame = run(b, "F1", 2020, as_of, config=NO_PROJECTION)
    assert list(frame["record_ids"]) == [[county]]
    assert frame.loc[0, "detail"]["level"] == "county" and frame.loc[0, "detail"]["milestone"] == "2020-06-30"
    assert frame.loc[0, "message_en"] == "于都县 2020: county poverty funds 79.999% disbursed by 30 Jun, below 80%"
    b.set(m.Disbursement, late, amount_fen=80_000)
    assert run(b, "F1", 2020, as_of, config=NO_PROJECTION).empty
    # the year-end milestone is the configurable third one
    frame = run(b, "F1", 2020, D(2020, 12, 31), config=NO_PROJECTION)
    assert list(frame["threshold"]) == [0.95, 0.95]
    assert run(b, "F1", 2020, D(2020, 12, 31), config={"F1": {"check_year_end": False, "project_next": False}}).empty


def test_f1_projection_of_next_milestone(b):
    # 2020-02-29 is day 60 of the year, 31 March day 91: projected = paid * 91 / 60.
    alloc = b.allocation(level="county", amount=91_000, issued=D(2020, 1, 2))
    paid = b.disbursement(b.project(), alloc, level="county", paid=D(2020, 2, 10), amount=29_999)
    as_of = D(2020, 2, 29)
    found = records(b, "F1", 2020, as_of)
    assert len(found) == 1
    assert found[0]["severity"] == "notice" and found[0]["threshold"] == 0.5
    assert found[0]["value"] == pytest.approx(29_999 * 91 / (91_000 * 60), abs=1e-6)
    assert found[0]["record_ids"] == [alloc]
    assert "预计3月31日拨付率" in found[0]["message"]
    for amount in (30_000, 30_001):  # exactly on pace, and ahead of it
        b.set(m.Disbursement, paid, amount_fen=amount)
        assert records(b, "F1", 2020, as_of) == []


def test_f1_config_override_changes_result(b, tmp_path, monkeypatch):
    alloc = b.allocation(level="city", amount=100_000)
    b.disbursement(b.project(), alloc, level="city", paid=D(2020, 3, 20), amount=45_000)
    as_of = D(2020, 4, 1)
    assert len(records(b, "F1", 2020, as_of, config=NO_PROJECTION)) == 1
    path = tmp_path / "rules.yaml"
    path.write_text("F1:\n  first_min: 0.4\n  project_next: false\n", encoding="utf-8")
    assert records(b, "F1", 2020, as_of, config=path) == []
    assert records(b, "F1", 2020, as_of, config=str(path)) == []
    monkeypatch.setenv("FUNDWATCH_RULES_CONFIG", str(path))
    assert records(b, "F1", 2020, as_of) == []  # the environment names the default config
    bad = tmp_path / "bad.yaml"
    bad.write_text("F1:\n  first_share: 0.4\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown parameter 'first_share'"):
        evaluate(b.engine, ALL, 2020, as_of=as_of, config=bad)


# ---------------------------------------------------------------------------------------------
# F2-F6
# ---------------------------------------------------------------------------------------------


def test_f2_county_input(b):
    b.finance(YUDU, 2019, revenue=10_000_000, added=0)
    b.finance(YUDU, 2020, revenue=11_000_000, added=99_999)  # increment 1,000,000: needs 100,000
    b.finance(XINGGUO, 2019, revenue=10_000_000, added=0)
    b.finance(XINGGUO, 2020, revenue=9_000_000, added=0)  # revenue fell: no requirement
    found = records(b, "F2", 2020)
    assert [(f["region_code"], f["value"], f["threshold"], f["record_ids"]) for f in found] == [
        (YUDU, 0.099999, 0.1, [2019, 2020])]
    assert run(b, "F2", 2020).loc[0, "record_table"] == "county_finance.year"
    for added in (100_000, 100_001):
        with b.engine.begin() as conn:
            t = m.CountyFinance.__table__
            conn.execute(update(t).where(t.c.county_code == YUDU, t.c.year == 2020).values(poverty_budget_added_fen=added))
        assert records(b, "F2", 2020) == []


def test_f3_growth_and_integration(b):
    last_local = b.allocation(year=2019, level="city", amount=100_000)
    local = b.allocation(year=2020, level="county", amount=119_999)
    b.allocation(year=2019, level="central", amount=100_000)
    b.allocation(year=2020, level="provincial", amount=120_000)  # exactly +20%: fine
    b.allocation(year=2020, level="central", programme="roads", amount=65_000, integrable=True)
    integ = b.allocation(year=2020, level="central", programme="roads", amount=34_999, integrable=True,
                         integrated=True)
    frame = run(b, "F3", 2020)
    assert [d["check"] for d in frame["detail"]] == ["integration", "local"]
    assert list(frame["threshold"]) == [0.35, 0.2]
    assert frame.loc[1, "record_ids"] == [last_local, local]
    assert run(b, "F3", 2021).empty  # outside the campaign years
    b.set(m.Allocation, local, amount_fen=120_000)
    b.set(m.Allocation, integ, amount_fen=35_000)  # 35,000 / 100,000: exactly 35%
    assert run(b, "F3", 2020).empty
    b.set(m.Allocation, integ, amount_fen=35_001)
    assert run(b, "F3", 2020).empty


def test_f4_integrated_scale_does_not_shrink(b):
    before = b.allocation(year=2019, level="central", programme="roads", amount=100_000, integrated=True,
                          integrable=True)
    now = b.allocation(year=2020, level="central", programme="roads", amount=99_999, integrated=True,
                       integrable=True)
    found = records(b, "F4", 2020)
    assert [(f["value"], f["threshold"], f["record_ids"]) for f in found] == [(999.99, 1000.0, [before, now])]
    assert "低于上年" in found[0]["message"]
    for amount in (100_000, 100_001):
        b.set(m.Allocation, now, amount_fen=amount)
        assert records(b, "F4", 2020) == []
    b.allocation(year=2023, level="central", programme="roads", amount=100, integrated=True, integrable=True)
    assert len(records(b, "F4", 2024)) == 0  # 2024 is past the integration years
    assert len(records(b, "F4", 2021)) == 1  # 2021: 0 after 100,001 in 2020


def test_f5_negative_list_is_a_violation(b):
    office = b.project(category="office_building")
    industry = b.project(category="industry")
    plan = b.allocation(level="county", programme="special", integrated=True)
    plain = b.allocation(level="county", programme="special")
    d1 = b.disbursement(office, None, level="county", programme="integrated", amount=10_000)
    d2 = b.disbursement(office, plan, level="county", programme="special", amount=5_000)
    b.disbursement(office, plain, level="county", programme="special", amount=7_000)  # not integrated money
    b.disbursement(industry, None, level="county", programme="integrated", amount=9_000)  # allowed category
    found = records(b, "F5", 2020)
    assert len(found) == 1
    assert found[0]["severity"] == "violation" and found[0]["value"] == 150.0
    assert found[0]["record_ids"] == sorted([d1, d2])
    assert "楼堂馆所" in found[0]["message"]
    assert records(b, "F5", 2021) == []


def test_f6_publication_within_30_days(b):
    a = b.allocation(issued=D(2020, 3, 1), published=D(2020, 3, 31))  # 30 days: on time
    assert records(b, "F6", 2020) == []
    b.set(m.Allocation, a, published_on=D(2020, 4, 1))  # 31 days
    assert [f["record_ids"] for f in records(b, "F6", 2020)] == [[a]]
    b.set(m.Allocation, a, published_on=None)
    assert records(b, "F6", 2020, D(2020, 3, 31)) == []  # not yet due
    assert [f["record_ids"] for f in records(b, "F6", 2020, D(2020, 4, 1))] == [[a]]


# ---------------------------------------------------------------------------------------------
# Loans
# ---------------------------------------------------------------------------------------------


def test_l1_leverage_above_8_and_idle_below_2(b):
    dep = b.deposit(amount=100_000)
    loan = b.loan(amount=800_000)
    b.loan(amount=500_000, issued=D(2019, 1, 1), repaid=D(2020, 1, 31))  # repaid before as_of
    b.loan(amount=500_000, issued=D(2021, 1, 1))  # issued after as_of
    assert records(b, "L1", 2020) == []  # exactly 8
    b.set(m.Loan, loan, amount_fen=800_001)
    found = records(b, "L1", 2020)
    assert [(f["severity"], f["value"], f["threshold"], f["record_ids"]) for f in found] == [
        ("warning", 8.0, 8.0, [loan])]
    assert "超过 8 倍" in found[0]["message"]
    b.set(m.Loan, loan, amount_fen=799_999)
    assert records(b, "L1", 2020) == []
    b.set(m.Loan, loan, amount_fen=200_000)
    assert records(b, "L1", 2020) == []  # exactly 2
    b.set(m.Loan, loan, amount_fen=199_999)
    found = records(b, "L1", 2020)
    assert [(f["severity"], f["threshold"], f["record_ids"]) for f in found] == [("notice", 2.0, [dep])]
    assert run(b, "L1", 2020).loc[0, "record_table"] == "risk_fund_deposit"


def test_l2_bad_loan_rate(b):
    good = b.loan(amount=9_700, bank="赣州银行", borrower="poor_household")
    bad = b.loan(amount=300, status="overdue", bank="赣州银行", borrower="poor_household")
    b.loan(amount=50_000, status="default", repaid=D(2020, 6, 1))  # repaid: not outstanding
    assert records(b, "L2", 2020) == []  # exactly 3%
    b.set(m.Loan, good, amount_fen=9_699)
    b.set(m.Loan, bad, amount_fen=301)
    frame = run(b, "L2", 2020)
    assert [d["dimension"] for d in frame["detail"]] == ["county", "bank", "borrower_type"]
    assert all(ids == [bad] for ids in frame["record_ids"])
    assert frame.loc[0, "message"] == ("于都县 截至2020-12-31 逾期及违约贷款3.01元占贷款余额100.00元的 3.01%，"
                                       "高于 3%")
    no_split = {"L2": {"by_bank": False, "by_borrower_type": False}}
    assert len(run(b, "L2", 2020, config=no_split)) == 1
    b.set(m.Loan, good, amount_fen=9_701)
    b.set(m.Loan, bad, amount_fen=299)
    assert records(b, "L2", 2020) == []
    # a bank over the line inside a county under it: reported only without drill-down
    b.loan(amount=100_000, bank="农商银行")
    b.loan(amount=100, status="default", bank="九江银行")
    assert records(b, "L2", 2020) == []
    frame = run(b, "L2", 2020, config={"L2": {"drill_down": False}})
    assert [(d["dimension"], d["key"]) for d in frame["detail"]] == [("bank", "九江银行")]


def test_l3_guarantee_fee_split(b):
    ok_odd = b.loan(fee=101, city_fee=50, county_fee=51)
    ok_even = b.loan(fee=100, city_fee=50, county_fee=50)
    off_by_two = b.loan(fee=102, city_fee=50, county_fee=52)
    short = b.loan(fee=100, city_fee=50, county_fee=49)
    b.loan(fee=100, city_fee=0, county_fee=100, bearer="county")  # not split city:county
    b.loan(fee=100, city_fee=10, county_fee=90, issued=D(2019, 5, 1))  # another year
    found = records(b, "L3", 2020)
    assert [(f["value"], f["record_ids"]) for f in found] == [(2, sorted([off_by_two, short]))]
    assert "5:5" in found[0]["message"]
    assert ok_odd and ok_even


# ---------------------------------------------------------------------------------------------
# Assets
# ---------------------------------------------------------------------------------------------


def test_a1_public_welfare_custodian(b):
    none = b.asset(custodian=None)
    blank = b.asset(custodian="  ")
    b.asset(custodian="村委会")
    b.asset(custodian=None, status="disposed")
    b.asset(asset_class="operating", subtype="workshop", custodian=None)
    b.asset(custodian=None, formed=D(2021, 3, 1))  # formed after as_of
    assert [f["record_ids"] for f in records(b, "A1", 2020)] == [sorted([none, blank])]


def test_a2_operating_owner_and_yearly_income(b):
    shop = b.asset(asset_class="operating", subtype="workshop", formed=D(2020, 5, 1))
    b.income(shop, 2021)
    b.income(shop, 2022)
    b.asset(asset_class="operating", subtype="greenhouse", formed=D(2023, 6, 1))  # nothing due yet
    frame = run(b, "A2", 2024)  # income is due for 2021-2023
    assert [(d["problem"], ids) for d, ids in zip(frame["detail"], frame["record_ids"], strict=True)] == [
        ("no_income", [shop])]
    b.income(shop, 2023)
    assert run(b, "A2", 2024).empty
    orphan = b.asset(asset_class="operating", subtype="orchard", owner=None, formed=D(2024, 1, 1))
    frame = run(b, "A2", 2024)
    assert [(d["problem"], ids) for d, ids in zip(frame["detail"], frame["record_ids"], strict=True)] == [
        ("no_owner", [orphan])]


def test_a3_pv_income_distribution(b):
    pv = b.asset(asset_class="operating", subtype="pv_station")
    pv2 = b.asset(asset_class="operating", subtype="pv_station")
    shop = b.asset(asset_class="operating", subtype="workshop")
    good = b.income(pv, 2024, income=1000, collective=600, households=400)
    b.income(shop, 2024, income=1000, collective=0, households=0, other=0)  # not a PV station
    b.income(pv2, 2024, income=0, collective=0, households=0)  # no income, nothing to share
    assert records(b, "A3", 2024) == []
    b.set(m.AssetIncome, good, to_households_fen=399)
    assert [f["record_ids"] for f in records(b, "A3", 2024)] == [[good]]
    b.set(m.AssetIncome, good, to_collective_fen=0, to_households_fen=0, to_other_fen=1000)
    assert [f["record_ids"] for f in records(b, "A3", 2024)] == [[good]]
    assert run(b, "A3", 2024).loc[0, "record_table"] == "asset_income"


def test_a4_idle_or_damaged(b):
    idle = b.asset(status="idle")
    damaged = b.asset(status="damaged", county=XINGGUO)
    b.asset(status="in_use")
    b.asset(status="disposed")
    found = records(b, "A4", 2024)
    assert [(f["region_code"], f["severity"], f["record_ids"]) for f in found] == [
        (YUDU, "notice", [idle]), (XINGGUO, "notice", [damaged])]


# ---------------------------------------------------------------------------------------------
# Households
# ---------------------------------------------------------------------------------------------


def test_h1_income_below_alert_line_not_monitored(b):
    b.dibao(YUDU, 2024, annual=600_000)  # alert line 1.2 x 6000 yuan = 7200 yuan
    low = b.household(income=719_999)
    b.household(income=719_999, found=D(2024, 3, 1), identified=D(2024, 3, 5), entered=D(2024, 3, 6))
    b.household(income=100, income_year=2025)  # a later year's income: not yet
    found = records(b, "H1", 2024)
    assert [(f["value"], f["record_ids"]) for f in found] == [(1, [low])]
    assert "1.2倍" in found[0]["message"]
    for income in (720_000, 720_001):
        b.set(m.Household, low, income_per_capita_fen=income)
        assert records(b, "H1", 2024) == []
    b.set(m.Household, low, income_per_capita_fen=0)
    assert records(b, "H1", 2020) == []  # before the monitoring mechanism (from 2021)


def test_h2_a_case_late_by_one_working_day_after_the_shortest_span(b):
    """The found day of 2024 whose 15 working days span the fewest calendar days, entered one
    working day after its due date: late, though fewer calendar days passed than on most days
    (the rule leaves out in SQL only the cases no working-day limit could make late)."""
    days = [D(2024, 1, 1) + dt.timedelta(days=k) for k in range(366)]
    found = min(days, key=lambda day: (workdays.add_workdays(day, 15).date - day).days)
    due, entered = workdays.add_workdays(found, 15).date, workdays.add_workdays(found, 16).date
    assert (entered - found).days <= workdays.fewest_days(15) + 3
    hh = b.household(found=found, identified=found, entered=entered)
    frame = run(b, "H2", 2024, D(2024, 12, 31))
    assert list(frame["record_ids"]) == [[hh]]
    assert frame.loc[0, "detail"]["cases"][0]["due_on"] == due.isoformat()
    assert frame.loc[0, "detail"]["cases"][0]["workdays_over"] == 1


def test_h2_fifteen_working_days_over_national_day(b):
    # Found on 2026-09-25 (Mid-Autumn, a holiday); with National Day (1-7 Oct) and the in-lieu
    # working Saturday 10 Oct, the 15th working day is Thursday 2026-10-22.
    hh = b.household(income_year=2026, found=D(2026, 9, 25), identified=D(2026, 10, 20), entered=D(2026, 10, 21))
    year_end = D(2026, 12, 31)
    assert records(b, "H2", 2026, year_end) == []
    b.set(m.Household, hh, entered_on=D(2026, 10, 22))  # on the due date
    assert records(b, "H2", 2026, year_end) == []
    b.set(m.Household, hh, entered_on=D(2026, 10, 23))  # one working day late
    frame = run(b, "H2", 2026, year_end)
    assert list(frame["record_ids"]) == [[hh]]
    case = frame.loc[0, "detail"]["cases"][0]
    assert case == {"id": hh, "found_on": "2026-09-25", "due_on": "2026-10-22", "entered_on": "2026-10-23",
                    "workdays_over": 1, "provisional": False}
    assert frame.loc[0, "message"] == ("于都县 1户监测对象2026-09-25发现，应于2026-10-22前完成识别录入，"
                                       "2026-10-23才录入，超期1个工作日")
    # an open case is overdue only once its due date has passed; the due date is shown
    b.set(m.Household, hh, entered_on=None)
    assert records(b, "H2", 2026, D(2026, 10, 22)) == []
    frame = run(b, "H2", 2026, D(2026, 10, 26))  # Monday: two working days (23rd, 26th) past due
    assert frame.loc[0, "detail"]["problem"] == "open"
    assert "应于2026-10-22前完成识别录入，截至2026-10-26仍未录入，已逾期2个工作日" in \
        frame.loc[0, "message"]
    # entered after as_of counts as still open on as_of
    b.set(m.Household, hh, entered_on=D(2026, 11, 2))
    assert run(b, "H2", 2026, D(2026, 10, 26)).loc[0, "detail"]["problem"] == "open"


def test_h3_assistance_after_identification(b):
    hh = b.household(found=D(2024, 10, 20), identified=D(2024, 11, 1), entered=D(2024, 11, 1))
    assert records(b, "H3", 2024, D(2024, 11, 30)) == []  # 29 days
    assert [f["record_ids"] for f in records(b, "H3", 2024, D(2024, 12, 1))] == [[hh]]  # 30 days
    b.measure(hh, D(2024, 12, 5))
    assert len(records(b, "H3", 2024, D(2024, 12, 1))) == 1  # measure started after as_of
    assert records(b, "H3", 2024, D(2024, 12, 5)) == []
    other = b.household(found=D(2024, 10, 20), identified=D(2024, 11, 1), eliminated=D(2024, 11, 20))
    assert records(b, "H3", 2024, D(2024, 12, 5)) == []  # the other's risk was eliminated
    assert other


def test_h4_return_to_poverty_is_a_violation(b):
    hh = b.household(returned=D(2024, 6, 1))
    found = records(b, "H4", 2024)
    assert [(f["severity"], f["record_ids"]) for f in found] == [("violation", [hh])]
    assert records(b, "H4", 2023) == [] and records(b, "H4", 2024, D(2024, 5, 31)) == []


# ---------------------------------------------------------------------------------------------
# Data quality
# ---------------------------------------------------------------------------------------------


def test_q1_disbursement_without_allocation(b):
    project = b.project()
    orphan = b.disbursement(project, None)
    b.disbursement(project, b.allocation())
    assert [(f["rule"], f["severity"], f["record_ids"]) for f in records(b, "Q1", 2020)] == [
        ("Q1", "notice", [orphan])]


def test_q2_project_outside_pool_with_special_funds(b):
    outside = b.project(in_pool=False)
    b.disbursement(outside, programme="special")
    roads = b.project(in_pool=False)
    b.disbursement(roads, programme="roads")
    b.disbursement(b.project(in_pool=True), programme="special")
    assert [f["record_ids"] for f in records(b, "Q2", 2020)] == [[outside]]
    assert run(b, "Q2", 2020).loc[0, "record_table"] == "project"


def test_q3_spent_completed_project_without_asset(b):
    done = b.project(status="completed", end_year=2020)
    b.disbursement(done)
    b.disbursement(b.project(status="in_progress"))
    assert [f["record_ids"] for f in records(b, "Q3", 2020)] == [[done]]
    b.asset(project=done)
    assert records(b, "Q3", 2020) == []


def test_q4_asset_without_project(b):
    orphan = b.asset(project=None)
    b.asset()
    assert [f["record_ids"] for f in records(b, "Q4", 2020)] == [[orphan]]


def test_q5_loan_without_risk_fund(b):
    loan = b.loan(programme="revitalisation_credit")
    b.loan(programme="industry_credit")  # the same county, a programme with a deposit
    b.loan(programme="revitalisation_credit", repaid=D(2020, 3, 1))  # repaid: not outstanding
    b.loan(county=XINGGUO, programme="revitalisation_credit")  # another county, with a deposit
    b.deposit(programme="industry_credit")
    b.deposit(county=XINGGUO, programme="revitalisation_credit")
    assert [f["record_ids"] for f in records(b, "Q5", 2020)] == [[loan]]
    b.deposit(programme="revitalisation_credit")
    assert records(b, "Q5", 2020) == []


def test_q6_income_without_dibao_standard(b):
    hh = b.household(income_year=2024)
    b.dibao(XINGGUO, 2024)
    assert [f["record_ids"] for f in records(b, "Q6", 2024)] == [[hh]]
    b.dibao(YUDU, 2024)
    assert records(b, "Q6", 2024) == []


# ---------------------------------------------------------------------------------------------
# The whole picture: a compliant database, scope, output formats
# ---------------------------------------------------------------------------------------------


def compliant(b: Builder) -> None:
    """A database where every rule is satisfied for 2020 and for 2024."""
    for county in (YUDU, XINGGUO):
        for year, scale in ((2019, 100_000), (2020, 130_000)):
            project = b.project(county=county, start_year=year)
            for level in ("central", "provincial", "city", "county"):
                alloc = b.allocation(county=county, year=year, level=level, amount=scale,
                                     issued=D(year, 1, 5), integrable=True, integrated=True)
                b.disbursement(project, alloc, county=county, level=level, paid=D(year, 2, 1), amount=scale)
        b.finance(county, 2019, revenue=10_000_000, added=500_000)
        b.finance(county, 2020, revenue=11_000_000, added=100_000)
        b.deposit(county=county, amount=100_000, on=D(2019, 12, 1))
        b.loan(county=county, amount=500_000, fee=1001, city_fee=500, county_fee=501, repaid=D(2023, 1, 5))
        b.loan(county=county, amount=400_000, issued=D(2024, 2, 1), fee=200, city_fee=100, county_fee=100)
        road = b.asset(county=county, formed=D(2020, 6, 1))
        assert road
        pv = b.asset(county=county, asset_class="operating", subtype="pv_station", formed=D(2020, 6, 1))
        for year in range(2021, 2025):
            b.income(pv, year, county=county)
        for year in (2023, 2024):
            b.dibao(county, year, annual=600_000)
        b.household(county=county, income=2_000_000, income_year=2024)
        hh = b.household(county=county, income=500_000, income_year=2024, found=D(2024, 3, 1),
                         identified=D(2024, 3, 10), entered=D(2024, 3, 12))
        b.measure(hh, D(2024, 3, 20), county=county)


def test_compliant_database_prints_empty_json(b):
    compliant(b)
    for year in (2020, 2024):
        frame = evaluate(b.engine, ALL, year)
        assert frame.empty, frame[["rule", "region_code", "message"]].to_string()
        assert list(frame.columns)[:6] == ["rule", "severity", "region_code", "region_name", "value", "threshold"]
        assert format_findings(frame, "json") == "[]"
        assert findings_to_records(frame) == []
        assert format_findings(frame, "csv") == ",".join(JSON_KEYS) + "\n"
        assert format_findings(frame, "table", lang="en") == "No findings."


def mixed(b: Builder) -> dict[str, int]:
    """Compliant data plus one problem of each family in each county."""
    compliant(b)
    ids = {"idle": b.asset(status="idle"), "damaged": b.asset(county=XINGGUO, status="damaged")}
    office = b.project(county=XINGGUO, category="office_building")
    ids["neg"] = b.disbursement(office, None, county=XINGGUO, level="county", programme="integrated",
                                paid=D(2024, 5, 1), amount=12_345)
    ids["returned"] = b.household(returned=D(2024, 8, 1))
    ids["late"] = b.household(county=XINGGUO, found=D(2024, 9, 27), entered=D(2024, 11, 1),
                              identified=D(2024, 10, 8))
    b.measure(ids["late"], D(2024, 11, 2), county=XINGGUO)
    return ids


def test_mixed_findings_order_and_json(b):
    ids = mixed(b)
    frame = evaluate(b.engine, ALL, 2024)
    found = findings_to_records(frame)
    assert [(f["severity"], f["rule"], f["region_code"]) for f in found] == [
        ("violation", "F5", XINGGUO), ("violation", "H4", YUDU),
        ("warning", "H2", XINGGUO),
        ("notice", "A4", YUDU), ("notice", "A4", XINGGUO), ("notice", "Q1", XINGGUO),
    ]
    assert all(list(f) == list(JSON_KEYS) for f in found)
    assert found[0]["record_ids"] == [ids["neg"]] and found[0]["value"] == 123.45
    assert found[1]["record_ids"] == [ids["returned"]]
    # 2024-09-27 + 15 working days, over National Day 2024 (1-7 Oct; Sun 29 Sep and Sat 12 Oct
    # worked) = 2024-10-23
    assert frame.loc[2, "detail"]["cases"][0]["due_on"] == "2024-10-23"
    assert json.loads(format_findings(frame, "json")) == found
    english = json.loads(format_findings(frame, "json", lang="en"))
    assert english[1]["message"] == "于都县 2024: 1 household returned to poverty (the red line)"
    assert english[1]["basis"].startswith("Ganzhou CPC/Gov. opinion")
    csv_lines = format_findings(frame, "csv").splitlines()
    assert csv_lines[0] == ",".join(JSON_KEYS) and len(csv_lines) == 7
    table = format_findings(frame, "table")
    assert "违规" in table and "楼堂馆所" in table and f"household:{ids['returned']}" in table
    assert evaluate(b.engine, ALL, 2024, rules=["A4"])["rule"].tolist() == ["A4", "A4"]
    assert evaluate(b.engine, ALL, 2024, rules="h4")["rule"].tolist() == ["H4"]
    with pytest.raises(ValueError, match="unknown rule 'X9'"):
        evaluate(b.engine, ALL, 2024, rules=["X9"])


def test_county_scope_sees_and_reads_only_its_county(b):
    mixed(b)
    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(b.engine, "before_cursor_execute", capture)
    try:
        frame = evaluate(b.engine, Scope.county(YUDU), 2024)
    finally:
        event.remove(b.engine, "before_cursor_execute", capture)
    assert set(frame["region_code"]) == {YUDU}
    assert sorted(frame["rule"]) == ["A4", "H4"]
    queries = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(queries) >= len(RULES)
    for statement, parameters in queries:
        values = list(parameters.values()) if isinstance(parameters, dict) else list(parameters or ())
        assert YUDU in values and XINGGUO not in values, statement
    assert evaluate(b.engine, Scope.nothing(), 2024).empty
    with pytest.raises(TypeError):
        evaluate(b.engine, None, 2024)


def test_as_of_defaults_to_year_end_or_today(b):
    assert default_as_of(2024, today=D(2026, 11, 23)) == D(2024, 12, 31)
    assert default_as_of(2026, today=D(2026, 11, 23)) == D(2026, 11, 23)
    b.household(returned=D(2024, 12, 31))
    assert len(evaluate(b.engine, ALL, 2024, rules=["H4"])) == 1  # as_of = 2024-12-31


# ---------------------------------------------------------------------------------------------
# The demo database
# ---------------------------------------------------------------------------------------------

DEMO_MISSING = importlib.util.find_spec("fundwatch.data.demo") is None
DEMO_YEARS = range(2016, 2027)
_demo_results: dict[str, dict[int, object]] = {}


def demo_findings(engine) -> dict[int, object]:
    """Findings per year on the demo database of ``engine``'s backend (computed once per session).

    The demo's data stop at its own "today" (demo.TODAY), so each year is evaluated as of its end
    or that day."""
    from fundwatch.data import demo

    backend = engine.dialect.name
    if backend not in _demo_results:
        _demo_results[backend] = {
            year: evaluate(engine, ALL, year, as_of=min(D(year, 12, 31), demo.TODAY)) for year in DEMO_YEARS
        }
    return _demo_results[backend]


@pytest.mark.skipif(DEMO_MISSING, reason="the demo generator (data/demo.py) is not there yet")
def test_demo_every_rule_fires_somewhere_and_most_counties_are_silent(demo_engine):
    """Every rule fires for some county in some year; in any year each rule is silent for at
    least half the counties."""
    with demo_engine.connect() as conn:
        counties = {r.code for r in conn.execute(select(m.Region.code).where(m.Region.level == "county"))}
    assert counties
    fired: dict[str, set[str]] = defaultdict(set)
    crowded = []
    for year, frame in demo_findings(demo_engine).items():
        for rule, group in frame.groupby("rule"):
            regions = set(group["region_code"])
            fired[rule] |= regions
            if len(counties - regions) < len(counties) / 2:
                crowded.append((rule, year, len(regions)))
    assert sorted(set(RULE_IDS) - set(fired)) == [], "rules that never fire on the demo data"
    assert crowded == [], "(rule, year, counties) where the rule fires for more than half the counties"


@pytest.mark.skipif(DEMO_MISSING, reason="the demo generator (data/demo.py) is not there yet")
def test_demo_same_findings_on_both_backends(demo_engine):
    """Once both backends have run (PostgreSQL after SQLite), their findings are identical."""
    mine = demo_findings(demo_engine)
    assert sum(len(frame) for frame in mine.values()) > 0
    other = [results for backend, results in _demo_results.items() if backend != demo_engine.dialect.name]
    if not other:
        pytest.skip("the other backend has not run yet in this session")
    for year in DEMO_YEARS:
        a, b = mine[year], other[0][year]
        assert findings_to_records(a) == findings_to_records(b), year
        assert list(a["message_en"]) == list(b["message_en"]), year
        assert [json.dumps(d, sort_keys=True, ensure_ascii=False) for d in a["detail"]] == \
               [json.dumps(d, sort_keys=True, ensure_ascii=False) for d in b["detail"]], year
