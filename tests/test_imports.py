"""Imports against real databases, on SQLite and (with ``FUNDWATCH_TEST_PG_URL``) PostgreSQL.

- **The corpus**: more than seventy malformed files, generated here, one fault each, across the
  eleven kinds.  Each is imported into a small reference database (the demo's regions, a few
  named places of our own, and reference rows loaded through imports); the report must name the
  fault with its row and column as the spreadsheet shows them, every table but ``audit_log`` must
  keep its row count and digest, and the audit log must gain exactly one ``rejected`` row.
- **Valid files**: every kind, as CSV (UTF-8, UTF-8 with BOM, GBK, UTF-16) or XLSX (title and unit
  rows, real date cells, Excel serials), amounts with thousands separators and full-width digits,
  regions by code and by name, English headers for one kind.  Each imports into a demo database,
  shows up in the data layer's reads, re-imports as ``unchanged``, updates exactly the row that
  changed, and dry-runs without writing.
- Templates round-trip, scopes hold, and a 50,000-row file imports (marked ``slow``).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import os
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import openpyxl
import pandas as pd
import pytest
from conftest import BACKENDS, new_blank_database, new_demo_database

from fundwatch.data import db, reads, summaries
from fundwatch.data.bulk import bulk_insert
from fundwatch.data.imports import (
    KINDS, ImportReport, data_version, import_audit_frame, reading, run_import, table_digest, template_bytes,
)
from fundwatch.data.imports.identity import id_check_char, uscc_check_char
from fundwatch.data.models import Region
from fundwatch.data.reads.transition import alert_lines_frame, measure_mix_frame
from fundwatch.data.rubric import RUBRIC_DIR
from fundwatch.data.rubric.store import scorecard_frame
from fundwatch.data.scope import Scope

TODAY = dt.date(2026, 11, 1)
ACTOR = "测试员"
ALL = Scope.all()
YUDU, XINGGUO, ZHANGGONG = "360731", "360732", "360702"  # 于都县, 兴国县, 章贡区
YUDU_ONLY = Scope.county(YUDU)


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]], text_columns: tuple[int, ...] = ()) -> bytes:
    """A workbook of ``rows``; a string starting with ``=`` becomes a formula cell, as in Excel
    (one never calculated: openpyxl stores no result)."""
    book = openpyxl.Workbook()
    ws = book.active
    for row in rows:
        ws.append(row)
    for column in text_columns:
        for (cell,) in ws.iter_rows(min_col=column, max_col=column):
            cell.number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@functools.cache
def template(kind: str, fmt: str, lang: str = "zh") -> bytes:
    return template_bytes(kind, fmt, lang)


def run(engine, kind: str, content: bytes, name: str, scope: Scope = ALL, **options) -> ImportReport:
    return run_import(engine, kind, content, name, actor=ACTOR, scope=scope, today=TODAY, **options)


def last_audit_id(engine) -> int:
    audit = import_audit_frame(engine, ALL)
    return int(audit["id"].max()) if len(audit) else 0


def shown_problems(report: ImportReport) -> str:
    return report.problems_frame("en").to_string()


def vary(header: list[str], row: list[Any], changes: dict[str, Any]) -> list[Any]:
    """``row`` with the cells under the named headers replaced."""
    out = list(row)
    for column, value in changes.items():
        out[header.index(column)] = value
    return out


def without(header: list[str], row: list[Any], column: str) -> tuple[list[str], list[Any]]:
    at = header.index(column)
    return header[:at] + header[at + 1:], row[:at] + row[at + 1:]


def id_number(area: str, birth: str, sequence: int) -> str:
    """A valid ID number (GB 11643) of area code, birth date YYYYMMDD and sequence."""
    first17 = f"{area[:6]}{birth}{sequence % 1000:03d}"
    return first17 + id_check_char(first17)


def credit_code(first17: str) -> str:
    return first17 + uscc_check_char(first17)


def wrong_check(number: str) -> str:
    """``number`` with another check character."""
    return number[:17] + ("1" if number[17] != "1" else "2")


# ---------------------------------------------------------------------------------------------
# The reference database of the corpus
# ---------------------------------------------------------------------------------------------

#: Places of our own beside the demo's regions: names the corpus can rely on, one village name
#: (甲村) that two townships of 于都县 share, and one township name (戊镇) of two other counties.
OWN_PLACES = [
    ("360731990", "甲镇", "township", YUDU), ("360731991", "乙镇", "township", YUDU),
    ("360731990201", "甲村", "village", "360731990"), ("360731991201", "甲村", "village", "360731991"),
    ("360731991202", "乙村", "village", "360731991"),
    ("360702990", "丙镇", "township", ZHANGGONG), ("360702990201", "丙村", "village", "360702990"),
    ("360732990", "丁镇", "township", XINGGUO),
    ("360732991", "戊镇", "township", XINGGUO), ("360702991", "戊镇", "township", ZHANGGONG),
]

ID_YUDU = id_number(YUDU, "19800101", 11)
ID_ALSO_CREDIT_CODE = "360731199001011234"  # a valid ID number that also passes the credit-code check
ENTERPRISE = credit_code("91360731MA35ABCD1")

ALLOC_H = ["县（市、区）", "年度", "资金级次", "资金项目", "下达金额（元）", "文号", "下达日期", "纳入整合范围", "已整合",
           "公开公示日期"]
ALLOC_ROW = ["于都县", "2025", "中央", "财政专项扶贫资金", "200000", "于财农指〔2025〕7号", "2025-02-10", "是", "否",
             "2025-02-20"]
PROJ_H = ["项目编号", "项目名称", "县（市、区）", "乡镇", "村", "项目类别", "预算金额（元）", "项目状态", "开工年度",
          "完工年度", "已入库", "入库编号"]
PROJ_ROW = ["FW-P-YD-9", "甲村脐橙基地", "于都县", "甲镇", "甲村", "产业发展", "500000", "在建", "2025", "", "是", "RK-9"]
DISB_H = ["县（市、区）", "项目编号", "指标文号", "资金级次", "资金项目", "拨付日期", "拨付金额（元）", "凭证号"]
DISB_ROW = ["于都县", "FW-P-YD-1", "于财农指〔2025〕1号", "中央", "财政专项扶贫资金", "2025-04-01", "10000", "FW-V-9"]
LOAN_H = ["合同编号", "贷款产品", "贷款银行", "借款人类型", "借款人", "证件号码", "县（市、区）", "村", "贷款金额（元）",
          "年利率（%）", "发放日期", "到期日期", "结清日期", "产业", "贷款状态"]
LOAN_ROW = ["FW-L-YD-9", "产业扶贫信贷通", "赣州银行", "建档立卡贫困户", "刘某", ID_YUDU, "于都县", "", "50000", "4.35",
            "2025-03-01", "2028-03-01", "", "脐橙", "正常"]
RISK_H = ["县（市、区）", "贷款产品", "存入银行", "存入日期", "存入金额（元）", "文号"]
RISK_ROW = ["于都县", "产业扶贫信贷通", "赣州银行", "2025-01-10", "2000000", ""]
ASSET_H = ["资产编号", "资产名称", "项目编号", "县（市、区）", "村", "资产类别", "资产子类", "资产价值（元）", "形成日期",
           "产权归属", "管护主体", "资产状态"]
ASSET_ROW = ["FW-A-YD-9", "甲村光伏电站", "FW-P-YD-1", "于都县", "", "经营性资产", "光伏电站", "600000", "2025-06-30",
             "村集体", "甲村股份经济合作社", "在用"]
INCOME_H = ["资产编号", "年度", "年收益（元）", "分配给村集体（元）", "分配给农户（元）", "其他分配（元）"]
INCOME_ROW = ["FW-A-YD-1", "2025", "48000", "20000", "25000", "0"]
HH_H = ["户编号", "县（市、区）", "乡镇", "村", "户主姓名", "户主身份证号", "家庭人口", "收入年度", "人均纯收入（元）",
        "监测对象类别", "发现日期", "识别日期", "录入日期"]
HH_ROW = ["FW-H-YD-9", "于都县", "甲镇", "甲村", "张三", id_number(YUDU, "19850505", 21), "4", "2025", "9800",
          "边缘易致贫户", "2025-03-01", "2025-03-05", "2025-03-06"]
MEAS_H = ["户编号", "帮扶措施", "落实日期", "帮扶金额（元）", "备注"]
MEAS_ROW = ["FW-H-YD-1", "产业帮扶", "2025-06-01", "3000", ""]
DIBAO_H = ["县（市、区）", "年度", "农村低保标准（元）"]
DIBAO_ROW = ["于都县", "2027", "7800"]
SCORE_H = ["考核方案", "考核对象", "年度", "指标编号", "得分或计量值", "佐证材料", "考核人"]
SCORE_ROW = ["chaoyang-2020-sector", "于都县", "2025", "supervision", "10.5", "2025 年度自评报告", "市考核组"]

BASE = {"allocations": (ALLOC_H, ALLOC_ROW), "projects": (PROJ_H, PROJ_ROW), "disbursements": (DISB_H, DISB_ROW),
        "loans": (LOAN_H, LOAN_ROW), "risk_funds": (RISK_H, RISK_ROW), "assets": (ASSET_H, ASSET_ROW),
        "asset_income": (INCOME_H, INCOME_ROW), "households": (HH_H, HH_ROW), "measures": (MEAS_H, MEAS_ROW),
        "dibao_standards": (DIBAO_H, DIBAO_ROW), "scores": (SCORE_H, SCORE_ROW)}

#: Rows the corpus refers to, loaded through imports: a project, an allocation with 60,000 of its
#: 100,000 yuan paid, an asset and a household in 于都县, and a project, loan, asset and household
#: of 章贡区 whose codes 于都县 may not take.
REFERENCES = [
    ("projects", [PROJ_H, vary(PROJ_H, PROJ_ROW, {"项目编号": "FW-P-YD-1"}),
                  ["FW-P-ZG-1", "丙村道路", "章贡区", "丙镇", "丙村", "基础设施·道路", "300000", "在建", "2025", "", "是", ""]]),
    ("allocations", [ALLOC_H, vary(ALLOC_H, ALLOC_ROW, {"下达金额（元）": "100000", "文号": "于财农指〔2025〕1号"})]),
    ("disbursements", [DISB_H, vary(DISB_H, DISB_ROW, {"拨付日期": "2025-03-01", "拨付金额（元）": "60000",
                                                      "凭证号": "FW-V-1"})]),
    ("loans", [LOAN_H, vary(LOAN_H, LOAN_ROW, {"合同编号": "FW-L-ZG-1", "县（市、区）": "章贡区",
                                              "证件号码": id_number(ZHANGGONG, "19700303", 5)})]),
    ("assets", [ASSET_H, vary(ASSET_H, ASSET_ROW, {"资产编号": "FW-A-YD-1"}),
                vary(ASSET_H, ASSET_ROW, {"资产编号": "FW-A-ZG-1", "项目编号": "", "县（市、区）": "章贡区"})]),
    ("households", [HH_H, vary(HH_H, HH_ROW, {"户编号": "FW-H-YD-1"}),
                    vary(HH_H, HH_ROW, {"户编号": "FW-H-ZG-1", "县（市、区）": "章贡区", "乡镇": "丙镇", "村": "丙村",
                                        "户主身份证号": id_number(ZHANGGONG, "19660606", 7)})]),
]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def demo_db(backend, tmp_path_factory):
    """A demo database of this module's own: the valid files are imported into it."""
    engine = new_demo_database(backend, "imp_valid", tmp_path_factory)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def corpus(backend, demo_db, tmp_path_factory):
    """The corpus's reference database and the digest of its tables before any fault."""
    engine = new_blank_database(backend, "imp_corpus", tmp_path_factory)
    regions = reads.regions_frame(demo_db, ALL)
    assert not regions["name"].isin([name for _, name, _, _ in OWN_PLACES]).any()
    own = pd.DataFrame([{"code": code, "name": name, "level": level, "parent_code": parent,
                         "county_code": code[:6]} for code, name, level, parent in OWN_PLACES])
    with engine.begin() as conn:
        bulk_insert(conn, Region.__table__, pd.concat([regions, own], ignore_index=True))
    for kind, rows in REFERENCES:
        report = run(engine, kind, csv_bytes(rows), f"{kind}.csv")
        assert report.result == "accepted", shown_problems(report)
    yield engine, table_digest(engine)
    engine.dispose()


# ---------------------------------------------------------------------------------------------
# The corpus of malformed files
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One malformed file and what the report must say about it (row and column as the
    spreadsheet shows them; None for a fault of the whole file)."""

    kind: str
    content: Callable[[], bytes]
    rule: str
    row: int | None
    column: str | None
    name: str = "upload.csv"
    scope: Scope = ALL
    sheet: str | None = None
    limits: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False


def cell_fault(kind: str, changes: dict[str, Any], rule: str, column: str, fmt: str = "csv", **more) -> Fault:
    """The kind's valid row with ``changes``, as the only data row (row 2)."""
    header, row = BASE[kind]
    rows = [header, vary(header, row, changes)]
    build = (lambda: csv_bytes(rows)) if fmt == "csv" else (lambda: xlsx_bytes(rows))
    return Fault(kind, build, rule, 2, column, name=f"upload.{fmt}", **more)


def rows_fault(kind: str, rows: list[list[Any]], rule: str, row: int | None, column: str | None,
               fmt: str = "csv", **more) -> Fault:
    build = (lambda: csv_bytes(rows)) if fmt == "csv" else (lambda: xlsx_bytes(rows))
    return Fault(kind, build, rule, row, column, name=f"upload.{fmt}", **more)


def file_fault(kind: str, content: bytes | Callable[[], bytes], name: str, rule: str, **more) -> Fault:
    build = content if callable(content) else (lambda: content)
    return Fault(kind, build, rule, more.pop("row", None), None, name=name, **more)


def _good_xlsx() -> bytes:
    return xlsx_bytes([DIBAO_H, DIBAO_ROW])


def _zip(parts: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _with_unit_row(header: list[str], row: list[Any], unit: str) -> list[list[Any]]:
    return [["于都县 2025 年扶贫项目资产登记表"], [f"单位：{unit}"], header, row]


_PROJ_NO_NAME = without(PROJ_H, PROJ_ROW, "项目名称")
#: The shipped rubric's file given as a path (a name is what a file must hold): the shortest spelling
#: of it that fits the column, so that an import reading paths would find the file.
_SHIPPED_RUBRIC_PATH = min((str(RUBRIC_DIR / "chaoyang-2020-sector.yaml"),
                            os.path.relpath(RUBRIC_DIR / "chaoyang-2020-sector.yaml")), key=len)
if len(_SHIPPED_RUBRIC_PATH) > KINDS["scores"].field("rubric").limit:
    _SHIPPED_RUBRIC_PATH = "rubrics/chaoyang-2020-sector.yaml"
_ASSET_BAD = vary(ASSET_H, ASSET_ROW, {"资产状态": "报废"})
_EN_LOAN_H = [KINDS["loans"].field(name).header("en") for name in (
    "contract_no", "programme", "bank", "borrower_type", "borrower_name", "borrower_id_no", "county", "village",
    "amount", "rate_pct", "issued_on", "maturity_on", "repaid_on", "industry", "status")]

FAULTS: dict[str, Fault] = {
    # -- columns and units ------------------------------------------------------------------
    "missing_required_column": rows_fault("projects", [_PROJ_NO_NAME[0], _PROJ_NO_NAME[1]], "missing_column", 1,
                                          "项目名称"),
    "duplicate_column": rows_fault("risk_funds", [RISK_H + ["银行"], RISK_ROW + ["赣州银行"]], "duplicate_column", 1,
                                   "银行"),
    "amount_without_unit": rows_fault("risk_funds", [vary(RISK_H, RISK_H, {"存入金额（元）": "存入金额"}), RISK_ROW],
                                      "unit_missing", 1, "存入金额"),
    "units_in_conflict": rows_fault("assets", _with_unit_row(ASSET_H, ASSET_ROW, "万元"), "unit_conflict", 3,
                                    "资产价值（元）", fmt="xlsx"),
    # -- cells ------------------------------------------------------------------------------
    "blank_required_cell": cell_fault("households", {"户主姓名": " "}, "required", "户主姓名"),
    "non_numeric_amount": cell_fault("disbursements", {"拨付金额（元）": "一万"}, "not_a_number", "拨付金额（元）"),
    "negative_amount": cell_fault("asset_income", {"年收益（元）": "-100"}, "negative", "年收益（元）"),
    "three_decimals_in_yuan": cell_fault("loans", {"贷款金额（元）": "50,000.001"}, "precision", "贷款金额（元）"),
    "seven_decimals_in_wan": rows_fault("allocations", [
        vary(ALLOC_H, ALLOC_H, {"下达金额（元）": "下达金额（万元）"}), vary(ALLOC_H, ALLOC_ROW, {"下达金额（元）": "20.0000001"})],
        "precision", 2, "下达金额（万元）"),
    "implausible_amount": rows_fault("dibao_standards", [["县（市、区）", "年度", "农村低保标准（万元）"],
                                                         ["于都县", "2027", "2000000"]], "implausible_amount", 2,
                                     "农村低保标准（万元）"),
    "zero_standard": cell_fault("dibao_standards", {"农村低保标准（元）": "0"}, "not_positive", "农村低保标准（元）"),
    "formula_in_amount_xlsx": cell_fault("allocations", {"下达金额（元）": "=E3*2"}, "formula_cell", "下达金额（元）",
                                         fmt="xlsx"),
    "impossible_date": cell_fault("households", {"发现日期": "2021-02-30"}, "not_a_date", "发现日期"),
    "date_outside_the_period": cell_fault("measures", {"落实日期": "2013-05-01"}, "date_range", "落实日期"),
    "event_in_the_future": cell_fault("disbursements", {"拨付日期": "2026-11-02"}, "future_date", "拨付日期"),
    "unknown_vocabulary": cell_fault("projects", {"项目类别": "形象工程"}, "unknown_code", "项目类别"),
    "not_yes_or_no": cell_fault("allocations", {"纳入整合范围": "也许"}, "not_a_bool", "纳入整合范围"),
    "members_out_of_range": cell_fault("households", {"家庭人口": "0"}, "out_of_range", "家庭人口"),
    "text_too_long": cell_fault("projects", {"项目名称": "项" * 129}, "too_long", "项目名称"),
    "code_stored_as_number_xlsx": cell_fault("households", {"户编号": 3607319902010001}, "number_as_text", "户编号",
                                             fmt="xlsx"),
    # -- identity numbers -------------------------------------------------------------------
    "id_wrong_check_character": cell_fault("households", {"户主身份证号": wrong_check(HH_ROW[5])}, "id_checksum",
                                           "户主身份证号"),
    "id_truncated_by_excel": cell_fault("households", {"户主身份证号": HH_ROW[5][:15] + "000"}, "id_truncated",
                                        "户主身份证号"),
    "id_stored_as_number_xlsx": cell_fault("households", {"户主身份证号": int(HH_ROW[5][:15] + "000")}, "id_as_number",
                                           "户主身份证号", fmt="xlsx"),
    "id_as_scientific_text_csv": cell_fault("loans", {"证件号码": "3.60731E+17"}, "id_as_number", "证件号码"),
    "id_of_15_digits": cell_fault("households", {"户主身份证号": HH_ROW[5][:6] + HH_ROW[5][8:17]}, "id_length",
                                  "户主身份证号"),
    "id_with_invalid_birth_date": cell_fault("loans", {"证件号码": id_number(YUDU, "19900231", 5)}, "id_birthdate",
                                             "证件号码"),
    "wrong_credit_code": cell_fault("loans", {"借款人类型": "龙头企业", "证件号码": wrong_check(ENTERPRISE)}, "credit_code",
                                    "证件号码"),
    "household_with_credit_code": cell_fault("loans", {"证件号码": ENTERPRISE}, "party_id_kind", "证件号码"),
    "enterprise_with_id_number": cell_fault("loans", {"借款人类型": "龙头企业", "证件号码": ID_ALSO_CREDIT_CODE},
                                            "party_id_kind", "证件号码"),
    # -- regions ----------------------------------------------------------------------------
    "unknown_county": cell_fault("dibao_standards", {"县（市、区）": "于都市"}, "unknown_region", "县（市、区）"),
    "unknown_county_code": cell_fault("allocations", {"县（市、区）": "369999"}, "unknown_region", "县（市、区）"),
    "township_code_as_county": cell_fault("allocations", {"县（市、区）": "360731990"}, "wrong_level", "县（市、区）"),
    "ambiguous_village_name": cell_fault("loans", {"村": "甲村"}, "ambiguous_region", "村"),
    "township_not_in_the_county": cell_fault("households", {"乡镇": "丁镇"}, "region_mismatch", "乡镇"),
    "township_of_two_other_counties": cell_fault("households", {"乡镇": "戊镇"}, "region_mismatch", "乡镇"),
    "village_not_in_the_township": cell_fault("projects", {"村": "丙村"}, "region_mismatch", "村"),
    "unit_not_a_county": cell_fault("scores", {"考核对象": "360731990"}, "wrong_level", "考核对象"),
    # -- references and cross-column rules ----------------------------------------------------
    "unknown_project_code": cell_fault("disbursements", {"项目编号": "FW-P-NONE"}, "unknown_reference", "项目编号"),
    "project_of_another_county": cell_fault("disbursements", {"项目编号": "FW-P-ZG-1"}, "reference_county", "项目编号"),
    "unknown_allocation": cell_fault("disbursements", {"指标文号": "于财农指〔2025〕99号"}, "unknown_reference",
                                     "指标文号"),
    "disbursed_above_allocated": cell_fault("disbursements", {"拨付金额（元）": "40,000.01"}, "over_allocated",
                                            "拨付金额（元）"),
    "paid_before_allocation": cell_fault("disbursements", {"拨付日期": "2025-02-09"}, "paid_before_issued", "拨付日期"),
    "issued_outside_budget_year": cell_fault("allocations", {"下达日期": "2023-06-01", "公开公示日期": ""},
                                             "inconsistent", "下达日期"),
    "published_before_issued": cell_fault("allocations", {"公开公示日期": "2025-02-09"}, "date_order", "公开公示日期"),
    "end_before_start": cell_fault("projects", {"完工年度": "2024"}, "date_order", "完工年度"),
    "identified_before_found": cell_fault("households", {"识别日期": "2025-02-28"}, "date_order", "识别日期"),
    "maturity_before_issue": cell_fault("loans", {"到期日期": "2025-02-28"}, "date_order", "到期日期"),
    "repaid_without_date": cell_fault("loans", {"贷款状态": "已结清"}, "inconsistent", "结清日期"),
    "subtype_outside_its_class": cell_fault("assets", {"资产子类": "道路"}, "subtype_class", "资产子类"),
    "asset_project_of_another_county": cell_fault("assets", {"项目编号": "FW-P-ZG-1"}, "reference_county", "项目编号"),
    "distribution_above_income": cell_fault("asset_income", {"分配给农户（元）": "28000.01"}, "distribution",
                                            "年收益（元）"),
    "unknown_asset": cell_fault("asset_income", {"资产编号": "FW-A-NONE"}, "unknown_reference", "资产编号"),
    "unknown_household": cell_fault("measures", {"户编号": "FW-H-NONE"}, "unknown_reference", "户编号"),
    "unknown_rubric": cell_fault("scores", {"考核方案": "chaoyang-2030"}, "rubric_unknown", "考核方案"),
    "rubric_given_as_a_file_path": cell_fault("scores", {"考核方案": _SHIPPED_RUBRIC_PATH}, "rubric_unknown", "考核方案"),
    "unknown_rubric_item": cell_fault("scores", {"指标编号": "1.1"}, "rubric_item", "指标编号"),
    "computed_item": cell_fault("scores", {"指标编号": "integration"}, "item_not_entered", "指标编号"),
    "group_item": cell_fault("scores", {"指标编号": "targets"}, "item_not_entered", "指标编号"),
    "points_above_maximum": cell_fault("scores", {"得分或计量值": "12.5"}, "score_value", "得分或计量值"),
    # -- keys and scope -----------------------------------------------------------------------
    "duplicate_key_in_file": rows_fault("assets", [ASSET_H, ASSET_ROW, ASSET_ROW], "duplicate_key", 3, "资产编号"),
    "duplicate_voucher_in_file": rows_fault("disbursements", [DISB_H, DISB_ROW, vary(DISB_H, DISB_ROW, {
        "县（市、区）": "360731", "拨付金额（元）": "1"})], "duplicate_key", 3, "凭证号"),
    "duplicate_score_in_file": rows_fault("scores", [SCORE_H, SCORE_ROW, vary(SCORE_H, SCORE_ROW, {"得分或计量值": "9"})],
                                          "duplicate_key", 3, "指标编号", fmt="xlsx"),
    "row_of_another_county": rows_fault("allocations", [ALLOC_H, ALLOC_ROW, vary(ALLOC_H, ALLOC_ROW, {
        "县（市、区）": "兴国县"})], "out_of_scope", 3, "县（市、区）", scope=YUDU_ONLY),
    "asset_of_another_county": cell_fault("asset_income", {"资产编号": "FW-A-ZG-1"}, "out_of_scope", "资产编号",
                                          scope=YUDU_ONLY),
    "code_of_another_county": cell_fault("households", {"户编号": "FW-H-ZG-1"}, "key_elsewhere", "户编号"),
    "contract_of_another_county_scoped": cell_fault("loans", {"合同编号": "FW-L-ZG-1"}, "key_elsewhere", "合同编号",
                                                    scope=YUDU_ONLY, dry_run=True),
    # -- where the row is -------------------------------------------------------------------
    "rows_counted_below_title_and_unit": rows_fault("assets", [["于都县 2025 年扶贫项目资产登记表"], ["单位：元"],
                                                               vary(ASSET_H, ASSET_H, {"资产价值（元）": "资产价值"}),
                                                               vary(ASSET_H, ASSET_ROW, {"资产编号": "FW-A-YD-8"}),
                                                               _ASSET_BAD],
                                                    "unknown_code", 5, "资产状态", fmt="xlsx"),
    "english_headers": rows_fault("loans", [_EN_LOAN_H, [], vary(LOAN_H, LOAN_ROW, {"发放日期": "2025-02-30"})],
                                  "not_a_date", 3, "issued_on"),
    "dry_run_of_a_bad_file": cell_fault("dibao_standards", {"年度": "2013"}, "out_of_range", "年度", dry_run=True),
    # -- the file as a whole --------------------------------------------------------------------
    "empty_file": file_fault("dibao_standards", b"", "低保.csv", "empty_file"),
    "xls_workbook": file_fault("dibao_standards", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000), "低保.xls",
                               "legacy_xls"),
    "xls_renamed_xlsx": file_fault("dibao_standards", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000), "低保.xlsx",
                                   "legacy_xls"),
    "pdf_renamed_xlsx": file_fault("dibao_standards", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "低保.xlsx",
                                   "disguised_file"),
    "png_renamed_xlsx": file_fault("dibao_standards", b"\x89PNG\r\n\x1a\n" + bytes(64), "低保.xlsx", "disguised_file"),
    "zip_not_a_workbook": file_fault("dibao_standards", lambda: _zip({"低保.csv": "a,b"}), "低保.xlsx",
                                     "disguised_file"),
    "truncated_xlsx": file_fault("dibao_standards", lambda: _good_xlsx()[:1500], "低保.xlsx", "broken_file"),
    "xlsx_renamed_csv": file_fault("dibao_standards", _good_xlsx, "低保.csv", "disguised_file"),
    "csv_renamed_xlsx": file_fault("dibao_standards", lambda: csv_bytes([DIBAO_H, DIBAO_ROW]), "低保.xlsx",
                                   "disguised_file"),
    "undecodable_csv": file_fault("dibao_standards", bytes(range(0x80, 0x100)) * 8, "低保.csv", "encoding"),
    "csv_with_nul_bytes": file_fault("dibao_standards", "县（市、区）,年度,农村低保标准（元）\r\n于都县,2027,7800\r\n"
                                     "兴国县,2027,78\x0000\r\n".encode(), "低保.csv", "binary_text", row=3),
    "unterminated_quote": file_fault("dibao_standards", '县（市、区）,年度,农村低保标准（元）\n于都县,2027,"7800\n'.encode(),
                                     "低保.csv", "bad_csv"),
    "too_many_rows": file_fault("dibao_standards", lambda: csv_bytes(
        [DIBAO_H] + [vary(DIBAO_H, DIBAO_ROW, {"年度": str(year)}) for year in (2027, 2028, 2029)]), "低保.csv",
        "too_many_rows", limits={"MAX_ROWS": 2}),
    "too_many_rows_xlsx": file_fault("dibao_standards", lambda: xlsx_bytes(
        [DIBAO_H] + [vary(DIBAO_H, DIBAO_ROW, {"年度": str(year)}) for year in range(2014, 2031)]), "低保.xlsx",
        "too_many_rows", limits={"MAX_ROWS": 2, "HEADER_SLACK": 1}),
    "too_large": file_fault("dibao_standards", lambda: csv_bytes([DIBAO_H, DIBAO_ROW]), "低保.csv", "too_large",
                            limits={"MAX_BYTES": 64}),
    "unknown_extension": file_fault("dibao_standards", lambda: csv_bytes([DIBAO_H, DIBAO_ROW]), "低保.txt",
                                    "unknown_format"),
    "no_header_row": file_fault("dibao_standards", lambda: csv_bytes([DIBAO_ROW, DIBAO_ROW]), "低保.csv", "no_header"),
    "header_of_another_kind": file_fault("dibao_standards", lambda: csv_bytes([ASSET_H, ASSET_ROW]), "低保.csv",
                                         "no_header"),
    "header_only": file_fault("dibao_standards", lambda: csv_bytes([DIBAO_H, [], ["", " ", ""]]), "低保.csv", "no_rows"),
    "missing_named_sheet": file_fault("dibao_standards", _good_xlsx, "低保.xlsx", "sheet_missing", sheet="低保标准"),
}


def test_the_corpus_is_broad():
    kinds = {fault.kind for fault in FAULTS.values()}
    assert kinds == set(KINDS)
    assert len(FAULTS) >= 70 and len({fault.rule for fault in FAULTS.values()}) >= 50


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_corpus_starts_from_valid_rows(corpus, kind):
    """Each fault changes one thing in a row that is valid as it stands."""
    engine, before = corpus
    header, row = BASE[kind]
    report = run(engine, kind, csv_bytes([header, row]), "valid.csv", dry_run=True)
    assert report.result == "dry_run" and report.errors == [], shown_problems(report)
    assert report.inserted == 1 and report.problems == []
    assert table_digest(engine) == before


@pytest.mark.parametrize("fault_id", list(FAULTS))
def test_a_malformed_file_changes_nothing_and_names_its_fault(corpus, fault_id, monkeypatch):
    engine, before = corpus
    fault = FAULTS[fault_id]
    for name, value in fault.limits.items():
        monkeypatch.setattr(reading, name, value)
    last = last_audit_id(engine)
    audit_rows = table_digest(engine, ["audit_log"])["audit_log"][0]
    version = data_version(engine)

    report = run(engine, fault.kind, fault.content(), fault.name, fault.scope, sheet=fault.sheet,
                 dry_run=fault.dry_run)

    assert report.result == "rejected" and not report.ok
    assert [(p.rule, p.row, p.column) for p in report.errors] == [(fault.rule, fault.row, fault.column)], \
        shown_problems(report)
    assert report.inserted == report.updated == report.unchanged == 0 and report.changes == []
    assert report.batch_id is None
    for problem in report.problems:
        for lang in ("zh", "en"):
            message = problem.message(lang)
            assert message and "{" not in message and problem.title(lang)
    assert "{" not in report.summary("en") and "数据库未作任何改动" in report.summary("zh")
    frame = report.problems_frame("zh")
    assert list(frame.columns) == ["row", "column", "value", "rule", "severity", "title", "message"]
    # nothing written: every table but the audit log as it was, and one audit row saying so
    assert table_digest(engine) == before
    assert data_version(engine) == version
    assert table_digest(engine, ["audit_log"])["audit_log"][0] == audit_rows + 1
    audit = import_audit_frame(engine, ALL, after_id=last)
    assert list(audit["result"]) == ["rejected"]
    assert audit["actor"].iloc[0] == ACTOR and audit["target"].iloc[0] == f"{fault.kind}:{fault.name}"
    detail = audit["detail"].iloc[0]
    assert detail["errors"] == 1 and detail["first_problems"][0]["rule"] == fault.rule
    assert audit["county_code"].iloc[0] == (YUDU if fault.scope == YUDU_ONLY else None)


def test_a_scoped_report_does_not_name_the_other_county(corpus):
    engine, _ = corpus
    header, row = BASE["loans"]
    file = csv_bytes([header, vary(header, row, {"合同编号": "FW-L-ZG-1"})])
    scoped = run(engine, "loans", file, "loans.csv", YUDU_ONLY).errors[0]
    assert scoped.rule == "key_elsewhere" and "章贡区" not in scoped.message("zh") and "其他县" in scoped.message("zh")
    city = run(engine, "loans", file, "loans.csv").errors[0]
    assert city.rule == "key_elsewhere" and "章贡区" in city.message("zh")


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_templates_round_trip(corpus, kind, fmt):
    """A template's headers map to every field and its example row is skipped; a filled-in
    template (example row kept) imports."""
    engine, before = corpus
    spec = KINDS[kind]
    for lang in ("zh", "en"):
        report = run(engine, kind, template(kind, fmt, lang), f"template.{fmt}", dry_run=True)
        assert set(report.columns) == {f.name for f in spec.fields}
        assert [(p.rule, p.row) for p in report.problems] == [("no_rows", None), ("example_row", 2)]
    header, row = BASE[kind]
    values = dict(zip(header, row, strict=True))
    filled = [values.get(f.header("zh"), "") for f in spec.fields]
    if fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(template(kind, "xlsx")))
        for column, value in enumerate(filled, start=1):  # row 3, below the example row
            book.worksheets[0].cell(row=3, column=column, value=value or None)
        buffer = io.BytesIO()
        book.save(buffer)
        content = buffer.getvalue()
    else:
        content = template(kind, "csv") + csv_bytes([filled])
    report = run(engine, kind, content, f"filled.{fmt}", dry_run=True)
    assert report.result == "dry_run", shown_problems(report)
    assert (report.inserted, report.rows_read) == (1, 1)
    assert [(p.rule, p.row) for p in report.notices] == [("example_row", 2)]
    assert table_digest(engine) == before


# ---------------------------------------------------------------------------------------------
# Valid files, one per kind, into a demo database
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def places(demo_db) -> dict[str, str]:
    """Names and codes of a township and a village of 于都县 and of 兴国县 in the demo."""
    out = {}
    for key, county in (("yd", YUDU), ("xg", XINGGUO)):
        scope = Scope.county(county)
        towns = reads.regions_frame(demo_db, scope, level="township", parent=county)
        town = towns.iloc[1]
        village = reads.regions_frame(demo_db, scope, level="village", parent=town["code"]).iloc[0]
        out.update({f"{key}_town": town["name"], f"{key}_town_code": town["code"], f"{key}_village": village["name"],
                    f"{key}_village_code": village["code"]})
    project = reads.projects_frame(demo_db, YUDU_ONLY, limit=1, sort="code")[0].iloc[0]
    out["yd_project"] = project["code"]
    return out


@dataclass
class ValidFile:
    """A valid file of one kind, the same file with one row changed, and a read of what it shows."""

    content: bytes
    name: str
    rows: int
    changed: bytes
    shown: Callable[[Any], Any]
    before: list[tuple[str, list[list[Any]]]] = field(default_factory=list)  # references to import first


def _allocations(p) -> ValidFile:
    """XLSX: a title row and 单位：万元 above the header, thousands separators, full-width digits,
    real date cells, Excel serials and Chinese date text; counties by name, short name and code."""
    header = ["县（市、区）", "年度", "资金级次", "资金项目", "下达金额", "文号", "下达日期", "纳入整合范围", "已整合",
              "公开公示日期"]
    rows = [["于都县", 2025, "中央", "财政专项扶贫资金", "1,200.50", "VD财农指〔2025〕1号", dt.date(2025, 1, 20), True,
             False, 45689],
            ["于都", "２０２５", "省级", "special", "１２０", "VD财农指〔2025〕2号", dt.datetime(2025, 2, 3, 9, 30), "是",
             "是", "2025年2月10日"],
            [YUDU, 2025.0, "county", "Special poverty-alleviation fund", 35.25, "VD财农指〔2025〕3号", 45700, "否", "否",
             None]]

    def book(data):
        return xlsx_bytes([["于都县 2025 年衔接资金下达表", None, None], ["单位：万元"], header, *data,
                           ["合计", None, None, None, 1355.75]])

    def shown(engine):
        frame = reads.funds_frame(engine, YUDU_ONLY, by=("year",), years=(2025, 2025), programme="special")
        return float(frame["amount"].sum())

    changed = [list(r) for r in rows]
    changed[1][4] = "121"
    return ValidFile(book(rows), "于都县资金下达.xlsx", 3, book(changed), shown)


def _projects(p) -> ValidFile:
    """GBK CSV; places by name and by code, a village without its township."""
    rows = [PROJ_H,
            ["VD-P-1", "名称项目", "于都县", p["yd_town"], p["yd_village"], "产业发展", "850,000", "在建", "2025", "", "是",
             "RK-2025-1"],
            ["VD-P-2", "代码项目", YUDU, p["yd_town_code"], p["yd_village_code"], "roads", "120000.5", "completed", "2024",
             "2025", "否", ""],
            ["VD-P-3", "县级项目", "于都县", "", "", "其他", "0", "储备", "2026", "", "", ""],
            ["VD-P-4", "只填村", "于都县", "", p["yd_village"], "公共服务·卫生", "99", "planned", "2026", "", "yes", ""]]
    changed = [list(r) for r in rows]
    changed[3][7] = "在建"

    def shown(engine):
        frame = reads.projects_frame(engine, YUDU_ONLY, limit=5000)[0]
        frame = frame[frame["code"].str.startswith("VD-P-")].sort_values("code")
        return frame[["code", "township_code", "village_code", "budget", "status", "in_pool"]].to_dict("records")

    return ValidFile(csv_bytes(rows, "gbk"), "projects.csv", 4, csv_bytes(changed, "gbk"), shown)


def _disbursements(p) -> ValidFile:
    """UTF-16 tab-separated (Excel's Unicode text); dates as Chinese text, compact and serial."""
    references = [
        ("projects", [PROJ_H, ["VD-P-D", "拨付项目", "于都县", "", "", "产业发展", "900000", "在建", "2025", "", "是", ""]]),
        ("allocations", [ALLOC_H, ["于都县", "2025", "中央", "财政专项扶贫资金", "500000", "VD财农指〔2025〕9号", "2025-01-05",
                                   "否", "否", ""]]),
    ]
    rows = [DISB_H,
            ["于都县", "VD-P-D", "VD财农指〔2025〕9号", "中央", "财政专项扶贫资金", "2025年3月1日", "120,000.00", "VD-PZ-1"],
            ["于都县", "VD-P-D", "VD财农指〔2025〕9号", "中央", "财政专项扶贫资金", "20250302", "80000", "VD-PZ-2"],
            ["于都县", "VD-P-D", "", "县级", "财政专项扶贫资金", "45720", "1,000", "VD-PZ-3"]]
    changed = [list(r) for r in rows]
    changed[2][6] = "80000.01"

    def shown(engine):
        return float(reads.disbursement_pace_frame(engine, YUDU_ONLY, 2025)["disbursed"].sum())

    return ValidFile(csv_bytes(rows, "utf-16", "\t"), "拨付.csv", 3, csv_bytes(changed, "utf-16", "\t"), shown,
                     references)


def _loans(p) -> ValidFile:
    """English headers, codes and English labels; a household and an enterprise borrower; no
    guarantee columns (the fee defaults to nothing)."""
    rows = [_EN_LOAN_H,
            ["VD-L-1", "industry_credit", "赣州银行", "poor_household", "刘某某", id_number(YUDU, "19750315", 33), YUDU,
             p["yd_village"], "50000", "4.35", "2025-03-01", "2028-03-01", "", "navel_orange", "current"],
            ["VD-L-2", "revitalisation_credit", "农商银行", "Leading agribusiness", "于都脐橙公司", ENTERPRISE, "于都县", "",
             "3,000,000", "3.85", "2024-06-01", "2025-06-01", "2025-05-20", "Navel orange", "Repaid"]]
    changed = [list(r) for r in rows]
    changed[1][9] = "4.5"

    def shown(engine):
        frame = reads.loans_frame(engine, YUDU_ONLY, limit=5000)[0]
        frame = frame[frame["contract_no"].str.startswith("VD-L-")].sort_values("contract_no")
        columns = ["contract_no", "borrower_name", "borrower_id_no", "amount", "rate_pct", "status"]
        return frame[columns].to_dict("records")

    return ValidFile(csv_bytes(rows), "loans.csv", 2, csv_bytes(changed), shown)


def _risk_funds(p) -> ValidFile:
    """XLSX with real date cells and numbers, and a total row below the data."""
    rows = [RISK_H,
            ["于都县", "产业扶贫信贷通", "VD银行", dt.date(2025, 4, 1), 1000000, "VD财金〔2025〕1号"],
            ["于都县", "农业产业振兴信贷通", "VD银行", dt.date(2025, 4, 2), 500000.5, None],
            ["合计", None, None, None, 1500000.5]]
    changed = [list(r) for r in rows]
    changed[2][5] = "VD财金〔2025〕2号"

    def shown(engine):
        frame = reads.risk_fund_frame(engine, YUDU_ONLY, TODAY, by=("bank",))
        return frame.set_index("bank")["risk_fund"].get("VD银行")

    return ValidFile(xlsx_bytes(rows), "风险缓释金.xlsx", 2, xlsx_bytes(changed), shown)


def _assets(p) -> ValidFile:
    """UTF-8 with BOM; dates with slashes and dots; a source project from the demo."""
    rows = [ASSET_H,
            ["VD-A-1", "光伏电站", p["yd_project"], "于都县", p["yd_village"], "经营性资产", "光伏电站", "600,000",
             "2024/6/30", "村集体", "合作社", "在用"],
            ["VD-A-2", "村道", "", YUDU, "", "公益性资产", "road", "1200000", "2024.7.1", "", "", "idle"]]
    changed = [list(r) for r in rows]
    changed[1][10] = "新管护主体"

    def shown(engine):
        frame = reads.assets_frame(engine, YUDU_ONLY, limit=5000)[0]
        frame = frame[frame["code"].str.startswith("VD-A-")].sort_values("code")
        return frame[["code", "asset_class", "subtype", "value", "formed_on", "custodian", "status"]].to_dict("records")

    return ValidFile(csv_bytes(rows, "utf-8-sig"), "assets.csv", 2, csv_bytes(changed, "utf-8-sig"), shown)


def _asset_income(p) -> ValidFile:
    """XLSX numbers, after the asset it belongs to."""
    references = [("assets", [ASSET_H, ["VD-A-I", "收益电站", "", "于都县", "", "经营性资产", "光伏电站", "500000",
                                        "2023-05-01", "村集体", "合作社", "在用"]])]
    rows = [INCOME_H, ["VD-A-I", 2024, 30000, 10000, 20000, None], ["VD-A-I", "2025", "48,000", "20000", "25000", "0"]]
    changed = [list(r) for r in rows]
    changed[2][5] = "3000"

    def shown(engine):
        frame = reads.asset_income_frame(engine, YUDU_ONLY, by=("year",))
        return frame.set_index("year")[["income", "to_households", "to_other"]].loc[[2024, 2025]].to_dict("records")

    return ValidFile(xlsx_bytes(rows), "收益.xlsx", 2, xlsx_bytes(changed), shown, references)


def _households(p) -> ValidFile:
    """XLSX: ID numbers as text cells, dates as date cells and as Excel serial numbers."""
    rows = [HH_H,
            ["VD-H-1", "于都县", p["yd_town"], p["yd_village"], "王某", id_number(YUDU, "19600101", 101), 5, 2025, 8800,
             "突发严重困难户", dt.date(2025, 9, 1), 45904, dt.datetime(2025, 9, 5)],
            ["VD-H-2", YUDU, p["yd_town_code"], p["yd_village_code"], "李某", id_number(YUDU, "19900909", 202).lower(),
             "3", "2025", "12,345.60", None, None, None, None]]
    changed = [list(r) for r in rows]
    changed[2][6] = 4

    def shown(engine):
        frame = reads.households_frame(engine, YUDU_ONLY, monitored_only=False, limit=5000)[0]
        frame = frame[frame["code"].str.startswith("VD-H-")].sort_values("code")
        return frame[["code", "head_name", "head_id_no", "members", "category", "found_on", "identified_on",
                      "income_per_capita"]].to_dict("records")

    return ValidFile(xlsx_bytes(rows, text_columns=(6,)), "农户.xlsx", 2, xlsx_bytes(changed, text_columns=(6,)), shown)


def _measures(p) -> ValidFile:
    """CSV after the households it helps."""
    references = [("households", [HH_H, vary(HH_H, HH_ROW, {"户编号": "VD-H-M", "乡镇": p["yd_town"],
                                                             "村": p["yd_village"]})])]
    rows = [MEAS_H, ["VD-H-M", "产业帮扶", "2025-06-01", "3,000", "发放鸡苗"], ["VD-H-M", "medical", "2025/6/15", "", ""]]
    changed = [list(r) for r in rows]
    changed[1][4] = "发放鸭苗"

    def shown(engine):
        frame = measure_mix_frame(engine, YUDU_ONLY, TODAY)
        return frame.set_index("kind")[["measures", "amount"]].to_dict("index")

    return ValidFile(csv_bytes(rows), "measures.csv", 2, csv_bytes(changed), shown, references)


def _dibao(p) -> ValidFile:
    """Full-width digits and a thousands separator."""
    rows = [DIBAO_H, ["于都县", "２０２９", "７，８００"], ["兴国县", "2029", "7800.5"]]
    changed = [list(r) for r in rows]
    changed[2][2] = "7900"

    def shown(engine):
        return alert_lines_frame(engine, ALL, 2029).set_index("county_code")["dibao"].to_dict()

    return ValidFile(csv_bytes(rows), "低保.csv", 2, csv_bytes(changed), shown)


def _scores(p) -> ValidFile:
    """XLSX: manual points, a count and a veto for a year the demo has not scored."""
    rows = [SCORE_H,
            ["chaoyang-2020-sector", "于都县", 2026, "supervision", 10.5, "自评报告", "市考核组"],
            ["chaoyang-2020-sector", YUDU, "2026", "leadership", "4", "会议纪要", "市考核组"],
            ["chaoyang-2020-sector", "于都县", 2026, "veto", 0, "无", "市考核组"]]
    changed = [list(r) for r in rows]
    changed[2][5] = "会议纪要（补充）"

    def shown(engine):
        card = scorecard_frame(engine, YUDU_ONLY, "chaoyang-2020-sector", 2026, YUDU).set_index("code")
        return card.loc[["supervision", "leadership"], ["points", "evidence"]].to_dict("index")

    return ValidFile(xlsx_bytes(rows), "评分.xlsx", 3, xlsx_bytes(changed), shown)


VALID: dict[str, Callable[[dict[str, str]], ValidFile]] = {
    "allocations": _allocations, "projects": _projects, "disbursements": _disbursements, "loans": _loans,
    "risk_funds": _risk_funds, "assets": _assets, "asset_income": _asset_income, "households": _households,
    "measures": _measures, "dibao_standards": _dibao, "scores": _scores,
}

#: What each valid file shows through the reads once imported (yuan; masked personal data).
EXPECTED: dict[str, Callable[[Any, Any], None]] = {}


def _expect(kind):
    def register(check):
        EXPECTED[kind] = check
        return check
    return register


@_expect("allocations")
def _(before, after):
    assert after - before == pytest.approx(12_005_000 + 1_200_000 + 352_500)


@_expect("projects")
def _(before, after):
    assert [r["code"] for r in after] == ["VD-P-1", "VD-P-2", "VD-P-3", "VD-P-4"]
    by_name, by_code, _, village_only = ((r["township_code"], r["village_code"]) for r in after)
    assert by_name == by_code == village_only  # the township is found from the village
    assert pd.isna(after[2]["township_code"]) and pd.isna(after[2]["village_code"])
    assert [r["budget"] for r in after] == [850_000, 120_000.5, 0, 99]
    assert [bool(r["in_pool"]) for r in after] == [True, False, True, True]  # a blank takes the default


@_expect("disbursements")
def _(before, after):
    assert after - before == pytest.approx(201_000)


@_expect("loans")
def _(before, after):
    assert [r["contract_no"] for r in after] == ["VD-L-1", "VD-L-2"]
    assert [r["amount"] for r in after] == [50_000, 3_000_000] and [r["status"] for r in after] == ["current", "repaid"]
    assert after[0]["borrower_name"] == "刘*" and after[0]["borrower_id_no"] != id_number(YUDU, "19750315", 33)


@_expect("risk_funds")
def _(before, after):
    assert before is None and after == pytest.approx(1_500_000.5)


@_expect("assets")
def _(before, after):
    assert [(r["code"], r["asset_class"], r["subtype"], r["value"], r["status"]) for r in after] == [
        ("VD-A-1", "operating", "pv_station", 600_000, "in_use"),
        ("VD-A-2", "public_welfare", "road", 1_200_000, "idle")]
    assert [pd.Timestamp(r["formed_on"]).date() for r in after] == [dt.date(2024, 6, 30), dt.date(2024, 7, 1)]


@_expect("asset_income")
def _(before, after):
    for year, old, new in zip((2024, 2025), before, after, strict=True):
        assert new["income"] - old["income"] == pytest.approx(30_000 if year == 2024 else 48_000)
        assert new["to_households"] - old["to_households"] == pytest.approx(20_000 if year == 2024 else 25_000)


@_expect("households")
def _(before, after):
    assert [r["code"] for r in after] == ["VD-H-1", "VD-H-2"] and [r["members"] for r in after] == [5, 3]
    assert after[0]["category"] == "sudden_hardship" and after[1]["head_name"] == "李*"
    assert pd.Timestamp(after[0]["identified_on"]).date() == dt.date(2025, 9, 4)  # serial 45904
    assert [r["income_per_capita"] for r in after] == [8_800, 12_345.6]


@_expect("measures")
def _(before, after):
    for kind, amount in (("industry", 3000), ("medical", 0)):
        old = before.get(kind, {"measures": 0, "amount": 0})
        assert after[kind]["measures"] - old["measures"] == 1
        assert after[kind]["amount"] - old["amount"] == pytest.approx(amount)


@_expect("dibao_standards")
def _(before, after):
    assert before == {} and after == {YUDU: 7800, XINGGUO: 7800.5}


@_expect("scores")
def _(before, after):
    assert before["supervision"]["evidence"] is None or pd.isna(before["supervision"]["evidence"])
    assert float(after["supervision"]["points"]) == 10.5 and after["leadership"]["evidence"] == "会议纪要"


def _table(kind: str) -> list[str]:
    return [KINDS[kind].table.name, "import_batch"]


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_valid_file_imports_once_shows_up_and_updates_what_changed(demo_db, places, kind):
    engine = demo_db
    valid = VALID[kind](places)
    for reference, rows in valid.before:
        assert run(engine, reference, csv_bytes(rows), f"{reference}.csv").result == "accepted"
    shown_before = valid.shown(engine)
    tables = _table(kind)
    digest = table_digest(engine, tables)
    version = data_version(engine)
    last = last_audit_id(engine)

    dry = run(engine, kind, valid.content, valid.name, dry_run=True)
    assert dry.result == "dry_run" and dry.ok, shown_problems(dry)
    assert (dry.rows_read, dry.inserted, dry.updated, dry.unchanged) == (valid.rows, valid.rows, 0, 0)
    assert dry.batch_id is None and len(dry.changes) == valid.rows and "将新增" in dry.summary("zh")
    assert table_digest(engine, tables) == digest and data_version(engine) == version

    done = run(engine, kind, valid.content, valid.name)
    assert done.result == "accepted", shown_problems(done)
    assert done.errors == [] and (done.inserted, done.updated, done.unchanged) == (valid.rows, 0, 0)
    assert [c.action for c in done.changes] == ["insert"] * valid.rows
    assert done.batch_id == data_version(engine) > version
    EXPECTED[kind](shown_before, valid.shown(engine))
    after_once = table_digest(engine, tables)

    again = run(engine, kind, valid.content, valid.name)
    assert again.result == "unchanged" and (again.inserted, again.updated, again.unchanged) == (0, 0, valid.rows)
    assert again.previous is not None and again.previous["batch_id"] == done.batch_id
    assert "already imported" in again.summary("en") and again.changes == []
    assert data_version(engine) == done.batch_id and table_digest(engine, tables) == after_once

    changed = run(engine, kind, valid.changed, valid.name)
    assert changed.result == "accepted", shown_problems(changed)
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, valid.rows - 1)
    assert [c.action for c in changed.changes] == ["update"] and len(changed.changes[0].columns) == 1
    assert table_digest(engine, tables) != after_once

    audit = import_audit_frame(engine, ALL, after_id=last)
    assert list(audit["result"]) == ["dry_run", "accepted", "unchanged", "accepted"]
    assert [d["batch_id"] for d in audit["detail"]] == [None, done.batch_id, None, changed.batch_id]


# ---------------------------------------------------------------------------------------------
# Scope
# ---------------------------------------------------------------------------------------------


def test_a_county_may_import_its_own_rows_only(demo_db):
    engine = demo_db
    both = csv_bytes([DIBAO_H, ["于都县", "2030", "8000"], ["360732", "2030", "8000"]])
    last = last_audit_id(engine)
    scoped = run(engine, "dibao_standards", both, "低保.csv", YUDU_ONLY)
    assert scoped.result == "rejected"
    assert [(p.rule, p.row, p.column) for p in scoped.errors] == [("out_of_scope", 3, "县（市、区）")]
    assert "兴国县" in scoped.errors[0].message("zh") and "于都县" in scoped.errors[0].message("zh")
    assert alert_lines_frame(engine, ALL, 2030).empty
    own = run(engine, "dibao_standards", csv_bytes([DIBAO_H, ["于都县", "2030", "8000"]]), "低保.csv", YUDU_ONLY)
    assert own.result == "accepted" and own.inserted == 1
    city = run(engine, "dibao_standards", both, "低保.csv", ALL)
    assert city.result == "accepted" and (city.inserted, city.unchanged) == (1, 1)
    nobody = run(engine, "dibao_standards", both, "低保.csv", Scope.nothing())
    assert [p.rule for p in nobody.errors] == ["out_of_scope", "out_of_scope"]
    audit = import_audit_frame(engine, ALL, after_id=last)
    assert list(audit["result"]) == ["rejected", "accepted", "accepted", "rejected"]
    assert list(audit["county_code"].fillna("")) == [YUDU, YUDU, "", ""]
    assert list(import_audit_frame(engine, Scope.county(XINGGUO), after_id=last)["id"]) == []
    assert len(import_audit_frame(engine, YUDU_ONLY, after_id=last)) == 2
    with pytest.raises(TypeError):
        run_import(engine, "dibao_standards", both, "低保.csv", actor=ACTOR, scope=None)
    with pytest.raises(ValueError):
        run(engine, "nonsense", both, "低保.csv")
    with pytest.raises(ValueError):
        run_import(engine, "dibao_standards", both, "低保.csv", actor=" ", scope=ALL)


# ---------------------------------------------------------------------------------------------
# A large file
# ---------------------------------------------------------------------------------------------


def households_csv(engine, rows: int, prefix: str) -> bytes:
    """``rows`` new households spread over every village of the database, as a UTF-8 CSV."""
    villages = reads.regions_frame(engine, ALL, level="village")
    villages = villages[villages["county_code"].str.isdigit()]
    places = list(zip(villages["county_code"], villages["parent_code"], villages["code"], strict=True))
    out = [["户编号", "县（市、区）", "乡镇", "村", "户主姓名", "户主身份证号", "家庭人口", "收入年度", "人均纯收入（元）"]]
    for i in range(rows):
        county, township, village = places[i % len(places)]
        birth = f"{1950 + i % 50}{1 + i % 12:02d}{1 + i % 28:02d}"
        out.append([f"{prefix}{i:06d}", county, township, village, f"户主{i}", id_number(county, birth, i),
                    1 + i % 6, 2025, f"{9000 + i % 5000}.50"])
    return csv_bytes(out)


@pytest.mark.slow
def test_a_large_file_imports(demo_db):
    engine = demo_db
    content = households_csv(engine, 50_000, prefix="BIG")
    before = reads.table_counts(engine, ALL).set_index("table")["rows"]
    stages: list[str] = []
    started = time.perf_counter()
    report = run(engine, "households", content, "households-50000.csv",
                 progress=lambda stage, done, total: stages.append(stage))
    seconds = time.perf_counter() - started
    print(f"\n50,000 households ({len(content) / 1e6:.1f} MB) imported on {engine.dialect.name} in {seconds:.1f} s")
    assert report.result == "accepted", shown_problems(report)
    assert (report.rows_read, report.inserted, report.updated) == (50_000, 50_000, 0)
    assert len(report.changes) == 1000  # listed up to the limit; the counts are complete
    after = reads.table_counts(engine, ALL).set_index("table")["rows"]
    assert after["household"] - before["household"] == 50_000
    # besides the import's own records, only the income bands count the households (undated ones
    # are on record, never under monitoring)
    grown = (after - before).drop(["household", "import_batch", "audit_log"])
    assert set(grown[grown != 0].index) <= set(summaries.tables_of("income_band"))
    if engine.dialect.name == "sqlite":  # the households grew manyfold: their statistics were gathered again
        with engine.connect() as conn:
            assert db.analysed_rows(conn)["household"] == after["household"]
    assert stages[0] == "read" and "write" in stages and stages[-1] == "done"
