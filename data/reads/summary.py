"""Row counts per table and the headline totals checked against the seed figures."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, and_, func, select

from ..db import reader
from ..masking import suppress_count
from ..models import Allocation, Base, Loan, RiskFundDeposit
from ..scope import Scope, require_scope
from ._common import fen_sum

YI = 100_000_000 * 100  # fen in one 亿元
#: Tables whose rows are households or what they received (small-count suppression applies).
HOUSEHOLD_TABLES = frozenset({"household", "assistance_measure"})

# (key, zh, en, target, unit) -- figures from DOMAIN.md "Figures to calibrate", seeds/001.
HEADLINE_TARGETS = (
    ("integrated_2016_2020", "2016-2020年统筹整合资金", "Integrated funds 2016-2020", 271.0, "亿元"),
    ("superior_special_2016_2020", "2016-2020年上级财政专项扶贫资金", "Superior special funds 2016-2020", 72.5, "亿元"),
    ("city_county_special_2016_2019", "2016-2019年市县财政专项扶贫资金", "City and county special funds 2016-2019", 65.0, "亿元"),
    ("city_special_2016_2019", "其中市级", "of which city level", 34.3, "亿元"),
    ("all_funds_2016_2020", "2016-2020年各类资金投入", "All fund input 2016-2020", 497.6, "亿元"),
    ("industry_credit_loans", "产业扶贫信贷通贷款", "Industry credit loans issued 2016-2020", 187.2, "亿元"),
    ("industry_credit_borrowers", "产业扶贫信贷通贷款户数", "Industry credit borrowers", 32.7, "万户"),
    ("industry_credit_risk_fund", "产业扶贫信贷通风险缓释金", "Industry credit risk fund", 23.9, "亿元"),
)


def table_counts(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Rows per table inside the scope (tables without a county column are counted whole).
    Under small-count suppression 1 to 4 rows of the household tables read ``"<5"``."""
    require_scope(scope)
    rows = []
    with reader(engine).connect() as conn:
        for table in Base.metadata.sorted_tables:
            stmt = select(func.count()).select_from(table)
            if "county_code" in table.c:
                stmt = stmt.where(scope.clause(table.c.county_code))
            count = conn.execute(stmt).scalar_one()
            if scope.suppress_small and table.name in HOUSEHOLD_TABLES:
                count = suppress_count(count)
            rows.append((table.name, count))
    return pd.DataFrame(rows, columns=["table", "rows"])


def headline_totals(engine: Engine, scope: Scope) -> pd.DataFrame:
    """The headline totals (key, label_zh, label_en, value, target, unit, ratio to target)."""
    require_scope(scope)
    a = Allocation
    special = a.programme == "special"
    superior = a.source_level.in_(("central", "provincial"))
    issued_2016_2020 = and_(Loan.issued_on >= dt.date(2016, 1, 1), Loan.issued_on <= dt.date(2020, 12, 31),
                            Loan.programme == "industry_credit")
    queries = {
        "integrated_2016_2020": select(fen_sum(a.amount_fen, "v")).where(a.integrated, a.year.between(2016, 2020)),
        "superior_special_2016_2020": select(fen_sum(a.amount_fen, "v")).where(special, superior, a.year.between(2016, 2020)),
        "city_county_special_2016_2019": select(fen_sum(a.amount_fen, "v")).where(
            special, a.source_level.in_(("city", "county")), a.year.between(2016, 2019)),
        "city_special_2016_2019": select(fen_sum(a.amount_fen, "v")).where(
            special, a.source_level == "city", a.year.between(2016, 2019)),
        "all_funds_2016_2020": select(fen_sum(a.amount_fen, "v")).where(a.year.between(2016, 2020)),
        "industry_credit_loans": select(fen_sum(Loan.amount_fen, "v")).where(issued_2016_2020),
        "industry_credit_borrowers": select(func.count(func.distinct(Loan.borrower_id_no))).where(issued_2016_2020),
        "industry_credit_risk_fund": select(fen_sum(RiskFundDeposit.amount_fen, "v")).where(
            RiskFundDeposit.programme == "industry_credit"),
    }
    county_column = {"industry_credit_loans": Loan.county_code, "industry_credit_borrowers": Loan.county_code,
                     "industry_credit_risk_fund": RiskFundDeposit.county_code}
    rows = []
    with reader(engine).connect() as conn:
        for key, zh, en, target, unit in HEADLINE_TARGETS:
            stmt = queries[key].where(scope.clause(county_column.get(key, Allocation.county_code)))
            raw = int(conn.execute(stmt).scalar_one() or 0)
            value = raw / 10_000 if unit == "万户" else raw / YI
            rows.append((key, zh, en, round(value, 2), target, unit, round(value / target, 3)))
    return pd.DataFrame(rows, columns=["key", "label_zh", "label_en", "value", "target", "unit", "ratio"])
