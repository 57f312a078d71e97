"""Imports without a database: cell parsers, identity checks, reading and refusing files, header
matching, and the catalogue of kinds and rules."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import String

from fundwatch.data import vocab as V
from fundwatch.data.imports import KINDS, RULES, Problem, template_bytes
from fundwatch.data.imports import reading
from fundwatch.data.imports import values as P
from fundwatch.data.imports.fields import Field, normalise_header, parse_cell
from fundwatch.data.imports.identity import (
    id_birth_date, id_check_char, is_valid_id, is_valid_uscc, uscc_check_char,
)
from fundwatch.data.imports.reading import FileRejected, read_sheet

TODAY = dt.date(2026, 11, 1)
ID = "11010519491231002X"  # the worked example of GB 11643
ID_ALSO_USCC = "360731199001011234"  # a valid ID number that is also a valid all-digit credit code
ID_ENDING_000 = "360731198001014000"  # a valid ID number whose last three digits are 000
USCC = "91110000600037341L"
USCC_DIGITS_FUTURE = "913607317012123457"  # all digits; its "birth date" 3170-12-12 is real but absurd


def bad(rule: str, call, *args, **kwargs) -> P.Bad:
    with pytest.raises(P.Bad) as caught:
        call(*args, **kwargs)
    assert caught.value.rule == rule, caught.value.rule
    return caught.value


# ---------------------------------------------------------------------------------------------
# identity numbers
# ---------------------------------------------------------------------------------------------


def test_identity_check_characters():
    assert id_check_char(ID[:17]) == "X" and is_valid_id(ID)
    assert id_birth_date(ID) == dt.date(1949, 12, 31)
    assert not is_valid_id(ID[:17] + "1") and not is_valid_id(ID[:17])
    assert id_birth_date("360731199002301234") is None
    assert is_valid_uscc(USCC) and uscc_check_char(USCC[:17]) == "L"
    assert not is_valid_uscc(USCC[:17] + "M") and not is_valid_uscc("91110000600037341I")  # I is not a code character
    assert is_valid_id(ID_ALSO_USCC) and is_valid_uscc(ID_ALSO_USCC)
    assert is_valid_id(ID_ALSO_USCC, TODAY)
    assert is_valid_uscc(USCC_DIGITS_FUTURE) and id_birth_date(USCC_DIGITS_FUTURE) == dt.date(3170, 12, 12)
    assert not is_valid_id(USCC_DIGITS_FUTURE, TODAY)  # a birth in 3170 is not plausible


def test_id_numbers():
    assert P.parse_id_number(ID, TODAY) == ID
    assert P.parse_id_number(ID.lower(), TODAY) == ID
    assert P.parse_id_number(" 110105 19491231 002x\u3000", TODAY) == ID
    assert P.parse_id_number("１１０１０５１９４９１２３１００２Ｘ", TODAY) == ID  # full-width
    assert P.parse_id_number(ID_ENDING_000, TODAY) == ID_ENDING_000  # a real 000 is fine
    assert bad("id_checksum", P.parse_id_number, ID[:17] + "1", TODAY).params == {"expected": "X"}
    assert bad("id_truncated", P.parse_id_number, "360731199001011000", TODAY)
    bad("id_as_number", P.parse_id_number, 360731199001011000, TODAY)  # an XLSX number cell
    bad("id_as_number", P.parse_id_number, 3.60731199001011e17, TODAY)
    bad("id_as_number", P.parse_id_number, "3.60731E+17", TODAY)  # what a CSV saved by Excel holds
    bad("id_as_number", P.parse_id_number, "3.60731e17", TODAY)
    assert bad("id_length", P.parse_id_number, "360731900101123", TODAY).params == {"length": 15}
    assert bad("id_length", P.parse_id_number, "36073119900101123", TODAY).params == {"length": 17}
    bad("id_format", P.parse_id_number, "36073119900101123A", TODAY)
    bad("id_format", P.parse_id_number, "刘某某", TODAY)
    bad("id_format", P.parse_id_number, True, TODAY)
    for birth in ("19900230", "19901301", "18991231", "20261102"):
        first17 = f"360731{birth}123"
        problem = bad("id_birthdate", P.parse_id_number, first17 + id_check_char(first17), TODAY)
        assert problem.params["birth"] == f"{birth[:4]}-{birth[4:6]}-{birth[6:]}"


def test_party_ids_tell_id_numbers_from_credit_codes():
    assert P.parse_party_id(USCC, TODAY) == USCC
    assert P.parse_party_id(USCC.lower(), TODAY) == USCC
    assert P.parse_party_id(ID, TODAY) == ID
    assert P.parse_party_id(ID_ALSO_USCC, TODAY) == ID_ALSO_USCC  # both checks pass: a person, born 1990
    assert P.parse_party_id(USCC_DIGITS_FUTURE, TODAY) == USCC_DIGITS_FUTURE  # digits, but no one's birth date
    bad("credit_code", P.parse_party_id, "91360731MA35XXXX1A", TODAY)
    bad("credit_code", P.parse_party_id, USCC[:17] + "M", TODAY)
    bad("id_checksum", P.parse_party_id, ID[:17] + "1", TODAY)
    bad("id_truncated", P.parse_party_id, "360731199001011000", TODAY)
    bad("id_as_number", P.parse_party_id, 360731199001011000, TODAY)
    bad("id_length", P.parse_party_id, "360731900101123", TODAY)


# ---------------------------------------------------------------------------------------------
# dates
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [
    "2021-03-05", "2021/3/5", "2021.3.5", "2021年3月5日", "2021 年 3 月 5 日", "20210305", "２０２１－０３－０５",
    "2021-03-05 00:00:00", "2021/3/5 14:30", "2021-03-05T08:00:00", " 2021-03-05 ",
    "44260", "44260.5", 44260, 44260.75, 20210305, dt.date(2021, 3, 5), dt.datetime(2021, 3, 5, 12, 0),
])
def test_dates_in_every_accepted_spelling(raw):
    assert P.parse_date(raw) == dt.date(2021, 3, 5)


@pytest.mark.parametrize("raw", [
    "2021-02-30", "2021-13-01", "2021-00-10", "05/03/2021", "2021年3月", "2021", "昨天", "", 19999, 80001, True, 2021,
])
def test_impossible_dates_are_refused(raw):
    bad("not_a_date", P.parse_date, raw)


def test_date_fields_check_the_period_and_events_in_the_future():
    event = Field("paid_on", "拨付日期", "date", event=True)
    plan = Field("maturity_on", "到期日期", "date", event=False)
    assert parse_cell(event, "2026-11-01", None, TODAY) == TODAY
    assert bad("future_date", parse_cell, event, "2026-11-02", None, TODAY).params == {"today": "2026-11-01"}
    assert parse_cell(plan, "2029-03-01", None, TODAY) == dt.date(2029, 3, 1)  # a maturity may lie ahead
    assert bad("date_range", parse_cell, plan, "2013-12-31", None, TODAY).params == {"low": "2014-01-01",
                                                                                  "high": "2030-12-31"}
    bad("date_range", parse_cell, plan, "2031-01-01", None, TODAY)


# ---------------------------------------------------------------------------------------------
# numbers and amounts
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "unit", "fen"), [
    ("1200", "元", 120_000),
    ("1,200.50", "元", 120_050),
    ("1，200．50", "元", 120_050),  # full-width comma and point
    ("１２００", "元", 120_000),  # full-width digits
    ("¥1,200", "元", 120_000),
    ("￥1,200元", "元", 120_000),
    (" 12 345.6 ", "元", 1_234_560),
    ("1,234,567.89", "元", 123_456_789),
    ("0", "元", 0),
    ("1.5", "万元", 1_500_000),
    ("1,200.5", "万元", 1_200_500_000),
    ("0.000001", "万元", 1),  # one fen
    ("12.345678", "万元", 12_345_678),
    (1200.5, "元", 120_050),  # XLSX numbers
    (0.1, "元", 10),
    (45, "万元", 45_000_000),
    ("1,200.5万元", "元", 1_200_500_000),  # a cell that names its own unit is read in it
    ("300元", "万元", 30_000),
])
def test_money_in_yuan_and_wan(raw, unit, fen):
    assert P.parse_money(raw, unit, 10_000_000_000) == fen


@pytest.mark.parametrize(("raw", "unit", "rule"), [
    ("1.005", "元", "precision"),  # more than two decimals in 元
    ("0.0000001", "万元", "precision"),  # more than six decimals in 万元
    ("-1", "元", "negative"),
    ("(1,200)", "元", "negative"),  # accounting brackets
    ("三十万", "元", "not_a_number"),
    ("12万", "元", "not_a_number"),
    ("1,20,000", "元", "not_a_number"),
    ("1.2.3", "元", "not_a_number"),
    ("NaN", "元", "not_a_number"),
    (float("nan"), "元", "not_a_number"),
    (True, "元", "not_a_number"),
    ("=SUM(E2:E9)", "元", "formula_cell"),
    ("＝E2*2", "元", "formula_cell"),
    ("2000000", "万元", "implausible_amount"),  # 200 亿元 in one row: a unit mistake
    ("10000000000.01", "元", "implausible_amount"),
])
def test_bad_amounts(raw, unit, rule):
    problem = bad(rule, P.parse_money, raw, unit, 10_000_000_000)
    if rule == "precision":
        assert problem.params == {"unit": unit}


def test_positive_amounts_and_plain_numbers():
    bad("not_positive", P.parse_money, "0", "元", 100, positive=True)
    assert P.parse_money("0.01", "元", 100, positive=True) == 1
    assert P.parse_decimal("4.35%") == Decimal("4.35")
    assert P.parse_decimal("1e3") == Decimal("1000")
    assert P.parse_number("4.35", Decimal(0), Decimal(24)) == Decimal("4.35")
    assert bad("out_of_range", P.parse_number, "25", Decimal(0), Decimal(24)).params == {"low": 0, "high": 24}
    assert P.parse_int("4") == 4 and P.parse_int(4.0) == 4 and P.parse_int("1,024") == 1024
    bad("not_an_integer", P.parse_int, "2.5")
    bad("out_of_range", P.parse_int, "0", 1, 30)


# ---------------------------------------------------------------------------------------------
# yes/no, vocabularies, codes, free text
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "value"), [
    ("是", True), ("否", False), ("Y", True), ("no", False), ("TRUE", True), ("false", False), ("√", True),
    ("×", False), ("有", True), ("无", False), (True, True), (False, False), (1, True), (0.0, False), ("１", True),
])
def test_yes_and_no(raw, value):
    assert P.parse_bool(raw) is value


@pytest.mark.parametrize("raw", ["也许", "2", 2, "是的吧"])
def test_not_yes_or_no(raw):
    bad("not_a_bool", P.parse_bool, raw)


@pytest.mark.parametrize("raw", ["中央", "central", "Central", "CENTRAL", "ＣＥＮＴＲＡＬ", " 中央 "])
def test_vocabulary_by_code_chinese_or_english(raw):
    field = Field("source_level", "资金级次", "vocab", vocab=V.SOURCE_LEVELS)
    assert parse_cell(field, raw, None, TODAY) == "central"


def test_unknown_vocabulary_lists_the_allowed_values():
    field = Field("source_level", "资金级次", "vocab", vocab=V.SOURCE_LEVELS)
    problem = bad("unknown_code", parse_cell, field, "乡级", None, TODAY)
    assert "中央" in problem.params["allowed"]["zh"] and "central (Central)" in problem.params["allowed"]["en"]


def test_codes():
    assert P.parse_code(360731, 32) == "360731"
    assert P.parse_code(360731.0, 32) == "360731"
    assert P.parse_code(" ＺＣ-360731 ２０２４ ", 32) == "ZC-3607312024"
    bad("number_as_text", P.parse_code, 3607310012010001, 32)  # 16 digits: Excel kept 15
    bad("number_as_text", P.parse_code, 3.607310012010001e15, 32)
    bad("number_as_text", P.parse_code, "3.60731E+15", 32)
    bad("too_long", P.parse_code, "X" * 33, 32)
    code = P.parse_code("=1+1", 32)
    assert code == "'=1+1" and type(code) is P.Neutralised


@pytest.mark.parametrize(("raw", "text"), [
    ("=HYPERLINK(\"http://x\",\"点\")", "'=HYPERLINK(\"http://x\",\"点\")"),
    ("+8613800000000", "'+8613800000000"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1+1", "'=1+1"),
])
def test_formulas_in_text_are_neutralised(raw, text):
    value = P.parse_text(raw, 64)
    assert value == text and type(value) is P.Neutralised


def test_plain_text_is_kept_as_written():
    for raw in ("于财农指〔2024〕3号", "刘某某", "a = b", "１２３"):
        value = P.parse_text(raw, 64)
        assert value == raw and type(value) is str
    assert P.parse_text("  两边空格  ", 64) == "两边空格"
    assert P.parse_text(True, 8) == "是" and P.parse_text(2024, 8) == "2024"
    assert P.parse_text(dt.date(2024, 1, 2), 16) == "2024-01-02"
    assert bad("too_long", P.parse_text, "字" * 65, 64).params == {"limit": 64}
    assert P.neutralise("plain") == "plain"


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000", "\xa0", "\ufeff", float("nan")])
def test_blank_cells(raw):
    assert P.is_blank(raw)


# ---------------------------------------------------------------------------------------------
# header matching
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "base", "unit"), [
    ("下达金额", "下达金额", None),
    ("下达金额（元）", "下达金额", "元"),
    ("下达金额（万元）", "下达金额", "万元"),
    ("下达金额(万元)", "下达金额", "万元"),
    ("*下达金额（万元）", "下达金额", "万元"),
    ("下达金额（元）*", "下达金额", "元"),
    ("下达金额[万]", "下达金额", "万元"),
    ("下达金额（元/人·年）", "下达金额", "元"),
    ("amount_yuan", "amount", "元"),
    ("Amount_Wan", "amount", "万元"),
    ("amount (yuan)", "amount", "元"),
    ("Amount (10k yuan)", "amount", "万元"),
    ("amount (CNY)", "amount", "元"),
    ("ＡＭＯＵＮＴ", "amount", None),
    ("年利率（%）", "年利率", None),
    ("县（市、区）", "县", None),
    (" 项 目 编 号 ", "项目编号", None),
    ("文号(必填)", "文号", None),
    ("*文号", "文号", None),
    (2024, "2024", None),
])
def test_headers_fold_and_declare_units(header, base, unit):
    assert normalise_header(header) == (base, unit)


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_template_header_maps_back_to_its_field(kind):
    spec = KINDS[kind]
    owners: dict[str, str] = {}
    for field in spec.fields:
        for spelling in field.spellings():
            assert owners.setdefault(spelling, field.name) == field.name, f"{spelling!r} names two columns"
        for lang in ("zh", "en"):
            base, unit = normalise_header(field.header(lang))
            assert base in field.spellings()
            assert unit == ("元" if field.is_money else None)
            assert normalise_header("*" + field.header(lang)) == (base, unit)


@pytest.mark.parametrize("kind", list(KINDS))
def test_text_limits_fit_the_columns(kind):
    """A cell the parser accepts must fit the database column (PostgreSQL would refuse it)."""
    spec = KINDS[kind]
    for field in spec.fields:
        column = spec.columns.get(field.name)
        if column is None or field.type not in ("text", "code"):
            continue
        sql_type = spec.table.c[column].type
        if isinstance(sql_type, String) and sql_type.length is not None:
            assert field.limit <= sql_type.length, (kind, field.name)


def test_every_rule_has_both_languages():
    for rule, texts in RULES.items():
        assert len(texts) == 4 and all(texts), rule
    problem = Problem("too_many_rows", params={"rows": 9, "limit": 5})
    assert problem.message("zh") == "数据行 9 行，超过上限 5 行，请分批导入"
    assert problem.message("en") == "9 data rows, more than the limit of 5: split the file"
    assert problem.as_dict("en")["title"] == "Too many rows"
    with pytest.raises(KeyError):
        Problem("no_such_rule")


# ---------------------------------------------------------------------------------------------
# reading files
# ---------------------------------------------------------------------------------------------

HEADER = ["县（市、区）", "年度", "农村低保标准（元）"]
ROWS = [HEADER, ["于都县", "2027", "7,800"], ["兴国县", "2027", "7800.50"]]


def _text(rows, delimiter=","):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def xlsx(rows, title: str | None = None, **sheets) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.title = title
    for row in rows:
        sheet.append(row)
    for name, more in sheets.items():
        extra = book.create_sheet(name)
        for row in more:
            extra.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zipped(parts: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _damage_part(content: bytes, name: str) -> bytes:
    """``content`` with the compressed bytes of part ``name`` overwritten in the middle."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo(name)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.compress_size // 3
    return content[:start] + bytes(info.compress_size // 3) + content[start + info.compress_size // 3:]


def _replace_part(content: bytes, name: str, data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    parts[name] = data
    return zipped(parts)


@pytest.mark.parametrize(("encoding", "delimiter", "named"), [
    ("utf-8", ",", "utf-8"),
    ("utf-8-sig", ",", "utf-8"),
    ("gbk", ",", "gb18030"),
    ("gb18030", ",", "gb18030"),
    ("utf-16", "\t", "utf-16"),
    ("utf-8", "\t", "utf-8"),
])
def test_csv_encodings_and_delimiters(encoding, delimiter, named):
    sheet = read_sheet(_text(ROWS, delimiter).encode(encoding), "低保.csv")
    assert sheet.fmt == "csv" and sheet.encoding == named
    assert sheet.rows == [(1, HEADER), (2, ["于都县", "2027", "7,800"]), (3, ["兴国县", "2027", "7800.50"])]


def test_csv_rows_keep_the_numbers_excel_shows():
    content = '标题,,\n\n县（市、区）,年度,备注\n于都县,2027,"两行\n的备注"\n兴国县,2027,,,\n'.encode()
    rows = read_sheet(content, "x.csv").rows
    assert rows == [(1, ["标题"]), (3, ["县（市、区）", "年度", "备注"]), (4, ["于都县", "2027", "两行\n的备注"]),
                    (5, ["兴国县", "2027"])]


def test_xlsx_cells_keep_their_types():
    content = xlsx([["于都县2027年低保标准"], [], ["单位：元"], HEADER,
                    ["于都县", 2027, 7800.5, dt.date(2027, 1, 1), True, "=C5*2", None, "  ",
                     dt.datetime(2027, 1, 2, 3, 4)]], title="低保")
    sheet = read_sheet(content, "低保.xlsx")
    assert sheet.fmt == "xlsx" and sheet.sheet_name == "低保"
    assert [number for number, _ in sheet.rows] == [1, 3, 4, 5]
    cells = sheet.rows[-1][1]
    assert cells[:5] == ["于都县", 2027, 7800.5, dt.date(2027, 1, 1), True]
    assert isinstance(cells[5], reading.Formula)  # a formula never calculated: no value to read
    assert all(P.is_blank(c) for c in cells[6:8]) and cells[8] == dt.datetime(2027, 1, 2, 3, 4)


def test_xlsx_named_sheet():
    content = xlsx([["说明"]], 说明=[["x"]], 数据=ROWS)
    assert read_sheet(content, "a.xlsx", sheet="数据").rows[0] == (1, HEADER)
    with pytest.raises(FileRejected) as caught:
        read_sheet(content, "a.xlsx", sheet="低保")
    assert caught.value.problem.rule == "sheet_missing"
    assert caught.value.problem.params == {"sheet": "低保", "sheets": "Sheet、说明、数据"}


def test_xlsx_with_a_wrong_dimension_is_read_whole():
    content = xlsx(ROWS)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
    assert b'<dimension ref="A1:C3"' in sheet_xml
    damaged = _replace_part(content, "xl/worksheets/sheet1.xml", sheet_xml.replace(b'ref="A1:C3"', b'ref="A1:A1"'))
    assert len(read_sheet(damaged, "a.xlsx").rows) == 3


GOOD_XLSX = xlsx(ROWS)
REFUSED = {
    "empty": (b"", "a.csv", "empty_file"),
    "unknown_extension": (b"a,b\n", "a.txt", "unknown_format"),
    "no_extension": (b"a,b\n", "a", "unknown_format"),
    "xls_name": (b"<html><table></table></html>", "导出.xls", "legacy_xls"),
    "ole2_as_xlsx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "a.xlsx", "legacy_xls"),
    "ole2_as_csv": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "a.csv", "legacy_xls"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a.xlsx", "disguised_file"),
    "png": (b"\x89PNG\r\n\x1a\n" + bytes(20), "a.xlsx", "disguised_file"),
    "jpeg_as_csv": (b"\xff\xd8\xff\xe0" + bytes(20), "a.csv", "disguised_file"),
    "exe": (b"MZ\x90\x00" + bytes(60), "a.csv", "disguised_file"),
    "gzip": (b"\x1f\x8b\x08" + bytes(20), "a.xlsx", "disguised_file"),
    "zip": (zipped({"readme.txt": "hello"}), "a.xlsx", "disguised_file"),
    "docx": (zipped({"[Content_Types].xml": "<x/>", "word/document.xml": "<x/>"}), "a.xlsx", "disguised_file"),
    "xlsx_as_csv": (GOOD_XLSX, "a.csv", "disguised_file"),
    "zip_as_csv": (zipped({"a.csv": "a,b"}), "a.csv", "disguised_file"),
    "text_as_xlsx": (_text(ROWS).encode(), "a.xlsx", "disguised_file"),
    "truncated_xlsx": (GOOD_XLSX[: len(GOOD_XLSX) // 2], "a.xlsx", "broken_file"),
    "damaged_xlsx": (_damage_part(GOOD_XLSX, "xl/worksheets/sheet1.xml"), "a.xlsx", "broken_file"),
    "damaged_workbook_part": (_damage_part(GOOD_XLSX, "xl/workbook.xml"), "a.xlsx", "broken_file"),
    "damaged_sheet_xml": (_replace_part(GOOD_XLSX, "xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row"),
                          "a.xlsx", "broken_file"),
    "undecodable": (bytes(range(0x80, 0x100)) * 4, "a.csv", "encoding"),
    "nul_bytes": (b"a,b\r\nc,d\x00\x00\r\n", "a.csv", "binary_text"),
    "unterminated_quote": ('县（市、区）,年度\n于都县,"2027\n'.encode(), "a.csv", "bad_csv"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_files_that_are_not_what_they_claim_are_refused(case):
    content, name, rule = REFUSED[case]
    with pytest.raises(FileRejected) as caught:
        read_sheet(content, name)
    problem = caught.value.problem
    assert problem.rule == rule
    assert problem.message("zh") and problem.message("en")
    if rule == "disguised_file":
        assert problem.params["claimed"]["zh"] in ("Excel 工作簿（.xlsx）", "CSV 文件")
    if rule == "binary_text":
        assert problem.row == 2 and problem.params == {"row": 2}


def test_limits(monkeypatch):
    content = _text(ROWS).encode()
    monkeypatch.setattr(reading, "MAX_BYTES", len(content) - 1)
    with pytest.raises(FileRejected) as caught:
        read_sheet(content, "a.csv")
    assert caught.value.problem.rule == "too_large"
    monkeypatch.setattr(reading, "MAX_BYTES", len(GOOD_XLSX))
    assert read_sheet(content, "a.csv") and read_sheet(GOOD_XLSX, "a.xlsx")
    monkeypatch.setattr(reading, "MAX_ROWS", 1)
    monkeypatch.setattr(reading, "HEADER_SLACK", 1)
    with pytest.raises(FileRejected) as caught:
        read_sheet(content, "a.csv")
    assert caught.value.problem.rule == "too_many_rows"
    with pytest.raises(FileRejected) as caught:
        read_sheet(GOOD_XLSX, "a.xlsx")
    assert caught.value.problem.rule == "too_many_rows"
    monkeypatch.setattr(reading, "MAX_UNZIPPED", 1000)
    with pytest.raises(FileRejected) as caught:
        read_sheet(GOOD_XLSX, "a.xlsx")
    assert caught.value.problem.rule == "zip_bomb"


# ---------------------------------------------------------------------------------------------
# templates
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_templates(kind):
    spec = KINDS[kind]
    for lang in ("zh", "en"):
        rows = read_sheet(template_bytes(kind, "csv", lang), "t.csv").rows
        assert rows[0] == (1, [f.header(lang) for f in spec.fields])
        assert len(rows) == 2
        book = openpyxl.load_workbook(io.BytesIO(template_bytes(kind, "xlsx", lang)))
        assert book.sheetnames[:2] == ([spec.en, "notes"] if lang == "en" else [spec.zh, "说明"])
        headers = [cell.value for cell in book.worksheets[0][1]]
        assert headers == [f.header(lang) for f in spec.fields]
        for index, field in enumerate(spec.fields, start=1):
            if field.type in ("code", "id_number", "party_id"):  # Excel keeps what is typed there as text
                letter = openpyxl.utils.get_column_letter(index)
                assert book.worksheets[0].column_dimensions[letter].number_format == "@"
                assert book.worksheets[0].cell(row=2, column=index).number_format == "@"
    with pytest.raises(ValueError):
        template_bytes(kind, "pdf")
