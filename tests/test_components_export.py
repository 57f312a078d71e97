"""Exports hold exactly the rows and columns shown, with the filters and the export time."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from fundwatch.components import export, present

EXPORTED_AT = dt.datetime(2026, 11, 23, 9, 30, 5)
FILTERS = [("年度", "2020"), ("截至日期", "2020年6月30日"), ("地区", "赣州市 / 于都县")]


@pytest.fixture
def shown() -> present.Shown:
    frame = pd.DataFrame({"name": ["于都县", "兴国县"], "allocated": [1.234e9, 9.87e8], "rate": [0.523, 0.9],
                          "monitored": [12, 3]})
    columns = (present.Col("name", "col.county"), present.Col("allocated", "col.allocated", present.MONEY),
               present.Col("rate", "col.rate", present.PCT), present.Col("monitored", "col.monitored", present.COUNT))
    return present.build("county_ranking", "各县（市、区）排名", frame, columns, "zh")


def test_shown_converts_units_and_labels(shown):
    assert list(shown.labelled().columns) == ["县（市、区）", "已下达（亿元）", "拨付进度（%）", "监测帮扶中"]
    assert shown.frame["allocated"].tolist() == [12.34, 9.87] and shown.frame["rate"].tolist() == [52.3, 90.0]


def test_shown_columns_keep_their_kinds_dtypes():
    """Text stays an object column of str (tables pick their formats by dtype; pandas would take
    an array of text for its str dtype), counts int64 (object when one is suppressed), money and
    ratios float64, years int64; a missing value shows as empty text or 0, and the rows are
    numbered from 0 whatever the frame's own index."""
    frame = pd.DataFrame({"name": ["于都县", None], "year": [2020, 2021], "amount": [1.5e4, float("nan")],
                          "households": [3, "<5"], "members": [7, None]}, index=[5, 9])
    columns = (present.Col("name", "col.county"), present.Col("year", "col.year", present.YEAR),
               present.Col("amount", "col.allocated", present.MONEY),
               present.Col("households", "col.monitored", present.COUNT),
               present.Col("members", "col.pending", present.COUNT), present.Col("absent", "col.region"))
    out = present.build("test", "", frame, columns, "zh").frame
    assert [str(d) for d in out.dtypes] == ["object", "int64", "float64", "object", "int64", "object"]
    assert out["name"].tolist() == ["于都县", ""] and out["absent"].tolist() == ["", ""]
    assert out["households"].tolist() == [3, "<5"] and out["members"].tolist() == [7, 0]
    assert out["amount"].iloc[0] > 0 and pd.isna(out["amount"].iloc[1]) and list(out.index) == [0, 1]


def test_xlsx_has_the_table_then_the_filters(shown):
    book = openpyxl.load_workbook(io.BytesIO(export.export_bytes(shown, FILTERS, "xlsx", "zh", EXPORTED_AT)))
    assert book.sheetnames == ["数据", "筛选条件"]
    rows = list(book["数据"].values)
    assert rows == [tuple(shown.labelled().columns), ("于都县", 12.34, 52.3, 12), ("兴国县", 9.87, 90.0, 3)]
    assert book["数据"]["B2"].number_format == "#,##0.00"
    filters = dict(book["筛选条件"].values)
    assert filters["表格"] == "各县（市、区）排名" and filters["年度"] == "2020"
    assert filters["导出时间"] == "2026年11月23日 09:30:05" and filters["行数"] == "2"


def test_csv_leads_with_the_filters_and_reads_back(shown):
    text = export.export_bytes(shown, FILTERS, "csv", "zh", EXPORTED_AT).decode("utf-8-sig")
    head, _, body = text.partition("\r\n\r\n")
    assert head.splitlines()[0] == "# 表格,各县（市、区）排名"
    assert "# 导出时间,2026年11月23日 09:30:05" in head
    table = pd.read_csv(io.StringIO(body))
    pd.testing.assert_frame_equal(table, shown.labelled(), check_dtype=False)


def test_english_exports_name_their_sheets_in_english(shown):
    book = openpyxl.load_workbook(io.BytesIO(export.export_bytes(shown, [], "xlsx", "en", EXPORTED_AT)))
    assert book.sheetnames == ["Data", "Filters"]
    assert dict(book["Filters"].values)["Exported at"] == "2026-11-23 09:30:05"


def test_file_names_are_ascii_and_unknown_formats_fail(shown):
    assert export.filename("pace", "xlsx", EXPORTED_AT) == "fundwatch-pace-20261123-093005.xlsx"
    with pytest.raises(ValueError):
        export.export_bytes(shown, [], "pdf", "zh")
