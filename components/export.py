"""Exports of what a table or chart shows: CSV and XLSX with the filters and the export time.

Pure pandas and openpyxl: the dashboards' download buttons and ``fundwatch export`` both call
:func:`export_bytes` on a :class:`~.present.Shown`, so a file holds exactly the rows and
columns on screen (seeds/000 item 15: results are published, so every table can be exported).

- CSV (UTF-8 with BOM, so Excel opens Chinese text): leading rows ``# label,value`` with the
  table's title, the filters and the export time, a blank row, then the table.
- XLSX: the table on the first sheet (数据 / Data), the filters and the export time on the
  second (筛选条件 / Filters).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from . import i18n
from .i18n import t
from .present import COUNT, MONEY, PCT, POINTS, TIMES, Shown

FORMATS = ("csv", "xlsx")
MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_NUMBER_FORMATS = {MONEY: "#,##0.00", PCT: "0.0", TIMES: "0.00", COUNT: "#,##0", POINTS: "0.00"}


def header_rows(shown: Shown, filters: Sequence[tuple[str, str]], lang: str,
                exported_at: dt.datetime) -> list[tuple[str, str]]:
    """The block written before the data: table, filters, rows and export time."""
    rows = [(t("filter.table", lang), shown.title), *filters]
    rows.append((t("filter.rows", lang), str(len(shown.frame))))
    rows.append((t("filter.export_time", lang), i18n.timestamp(exported_at, lang)))
    rows.extend((note, "") for note in shown.notes)
    return rows


def export_bytes(shown: Shown, filters: Sequence[tuple[str, str]], fmt: str, lang: str,
                 exported_at: dt.datetime | None = None) -> bytes:
    """The file contents of ``shown`` in ``fmt`` (csv or xlsx)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose csv or xlsx")
    exported_at = exported_at or dt.datetime.now().astimezone()
    header = header_rows(shown, filters, lang, exported_at)
    return _csv(shown, header) if fmt == "csv" else _xlsx(shown, header, lang)


def filename(kind: str, fmt: str, exported_at: dt.datetime | None = None) -> str:
    """``fundwatch-<kind>-<YYYYmmdd-HHMMSS>.<fmt>``: ASCII, sortable, one per export."""
    exported_at = exported_at or dt.datetime.now()
    return f"fundwatch-{kind}-{exported_at:%Y%m%d-%H%M%S}.{fmt}"


def _csv(shown: Shown, header: list[tuple[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for label, value in header:
        writer.writerow([f"# {label}", value])
    writer.writerow([])
    shown.labelled().to_csv(out, index=False, lineterminator="\r\n")
    return out.getvalue().encode("utf-8-sig")


def _xlsx(shown: Shown, header: list[tuple[str, str]], lang: str) -> bytes:
    book = Workbook()
    data = book.active
    data.title = t("export.data_sheet", lang)
    frame = shown.labelled()
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="EEF2F7")
    data.append(list(frame.columns))
    for cell in data[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    points = {i for i, key in enumerate(shown.frame.columns) if shown.kinds.get(key) == POINTS}
    for row in frame.itertuples(index=False):  # points are written as numbers (two decimals, exact as shown)
        data.append([_points_cell(v) if i in points else _cell(v) for i, v in enumerate(row)])
    for index, key in enumerate(shown.frame.columns, start=1):
        letter = get_column_letter(index)
        number_format = _NUMBER_FORMATS.get(shown.kinds.get(key, ""))
        if number_format:
            for (cell,) in data.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        width = max([_width(str(frame.columns[index - 1]))] + [_width(str(v)) for v in frame.iloc[:200, index - 1]])
        data.column_dimensions[letter].width = min(max(width + 2, 8), 60)
    data.freeze_panes = "A2"

    filters = book.create_sheet(t("export.filter_sheet", lang))
    for label, value in header:
        filters.append([label, value])
    for (cell,) in filters.iter_rows(min_col=1, max_col=1):
        cell.font = bold
    filters.column_dimensions["A"].width = 16
    filters.column_dimensions["B"].width = 48

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value):
    """Numpy scalars and missing values as openpyxl writes them."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def _points_cell(value):
    """A points string ("48.50") as the number it shows; '' stays empty."""
    return float(value) if isinstance(value, str) and value else _cell(value or None)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
