"""Exports of what a table or chart shows: CSV and XLSX with the filters and the export time.

:func:`export_bytes` is pure pandas and openpyxl; :func:`audited_export` is what every surface
calls (the dashboards' download buttons through :meth:`~.stores.DashboardStore.export`, the
upload page's report download, ``fundwatch export``): it writes the export's audit row
(:func:`fundwatch.data.access.record_export`) before it hands the bytes over, so a file holds
exactly the rows and columns on screen and never leaves without its audit row (seeds/000 item 15:
results are published, so every table can be exported).  The rows come from the same masked
frames as the screen: exports are masked by the data layer, never here.

- CSV (UTF-8 with BOM, so Excel opens Chinese text): leading rows ``# label,value`` with the
  table's title, the filters and the export time, a blank row, then the table.
- XLSX: the table on the first sheet (数据 / Data), the filters and the export time on the
  second (筛选条件 / Filters).

Both formats escape spreadsheet formulas (:func:`escape_text`) in every text cell: data, column
headers, the title, the filters and the notes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from collections.abc import Sequence

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine

from fundwatch.data.access import record_export
from fundwatch.data.imports.values import FORMULA_PREFIXES
from fundwatch.data.scope import Scope

from . import i18n
from .i18n import t
from .present import COUNT, MONEY, PCT, POINTS, TIMES, Shown

FORMATS = ("csv", "xlsx")
MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_NUMBER_FORMATS = {MONEY: "#,##0.00", PCT: "0.0", TIMES: "0.00", COUNT: "#,##0", POINTS: "0.00"}
#: A plain decimal number written as text ("-12.5", "+3", "1e-5"): a spreadsheet reads the number.
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)

log = logging.getLogger(__name__)


class ExportNotAudited(RuntimeError):
    """The audit row of an export could not be written, so the file was not handed over."""


def escape_text(value):
    """``value`` made safe for Excel and WPS: a text beginning with ``= + - @``, a tab or a
    carriage return gets a leading ``'``, so it is shown as text and never evaluated
    (``=HYPERLINK(..)`` -> ``'=HYPERLINK(..)``).  Anything that is not a ``str`` (numbers,
    dates, None) is returned unchanged.

    A text that is a plain decimal number (``-12.5``, ``+3``, ``-1e5``: an optional sign, digits,
    an optional decimal part and exponent, nothing else) stays as it is: a spreadsheet reads it as
    the number it shows and cannot run it, and the points, codes and problem values of the tables
    read back as written.  Text that was already escaped starts with ``'`` and is left alone.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _NUMBER_TEXT.fullmatch(value):
        return "'" + value
    return value


def escaped_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and every column header escaped (:func:`escape_text`);
    numeric columns are untouched."""
    out = frame.copy()
    out.columns = [escape_text(str(c)) for c in frame.columns]
    for index in range(out.shape[1]):
        column = out.iloc[:, index]
        if not pd.api.types.is_numeric_dtype(column.dtype):  # int, float, bool columns stay as they are
            out.isetitem(index, column.map(escape_text).astype(object))
    return out


def header_rows(shown: Shown, filters: Sequence[tuple[str, str]], lang: str,
                exported_at: dt.datetime) -> list[tuple[str, str]]:
    """The block written before the data: table, filters, rows and export time, every label and
    value escaped (:func:`escape_text`)."""
    rows = [(t("filter.table", lang), shown.title), *filters]
    rows.append((t("filter.rows", lang), str(len(shown.frame))))
    rows.append((t("filter.export_time", lang), i18n.timestamp(exported_at, lang)))
    rows.extend((note, "") for note in shown.notes)
    return [(escape_text(str(label)), escape_text(str(value))) for label, value in rows]


def export_bytes(shown: Shown, filters: Sequence[tuple[str, str]], fmt: str, lang: str,
                 exported_at: dt.datetime | None = None) -> bytes:
    """The file contents of ``shown`` in ``fmt`` (csv or xlsx), formulas escaped; no audit row
    (surfaces call :func:`audited_export`)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose csv or xlsx")
    exported_at = exported_at or dt.datetime.now().astimezone()
    header = header_rows(shown, filters, lang, exported_at)
    return _csv(shown, header) if fmt == "csv" else _xlsx(shown, header, lang)


def audited_export(engine: Engine, shown: Shown, filters: Sequence[tuple[str, str]], fmt: str, lang: str, *,
                   actor: str, scope: Scope, kind: str | None = None, county_code: str | None = None,
                   surface: str = "page", exported_at: dt.datetime | None = None) -> bytes:
    """The file of ``shown`` (see :func:`export_bytes`), handed over only once its audit row is
    written (:func:`fundwatch.data.access.record_export`: ``actor``, ``kind`` (default
    ``shown.kind``), format, row count, ``scope``, ``county_code``, ``surface``, ``filters``).

    If the audit row cannot be written the error is logged and :class:`ExportNotAudited` raised:
    there is no file without its audit row.
    """
    kind = kind or shown.kind
    data = export_bytes(shown, filters, fmt, lang, exported_at)
    try:
        record_export(engine, actor, kind=kind, fmt=fmt, rows=len(shown.frame), scope=scope,
                      county_code=county_code, surface=surface, filters=filters)
    except Exception as exc:
        log.error("export of %s (%s) by %s withheld: its audit row could not be written", kind, fmt, actor,
                  exc_info=True)
        raise ExportNotAudited(f"the {kind} export was withheld: its audit row could not be written "
                               f"({type(exc).__name__})") from exc
    return data


def filename(kind: str, fmt: str, exported_at: dt.datetime | None = None) -> str:
    """``fundwatch-<kind>-<YYYYmmdd-HHMMSS>.<fmt>``: ASCII, sortable, one per export."""
    exported_at = exported_at or dt.datetime.now()
    return f"fundwatch-{kind}-{exported_at:%Y%m%d-%H%M%S}.{fmt}"


def _csv(shown: Shown, header: list[tuple[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for label, value in header:  # escaped by header_rows; "# " cannot start a formula
        writer.writerow([f"# {label}", value])
    writer.writerow([])
    escaped_frame(shown.labelled()).to_csv(out, index=False, lineterminator="\r\n")
    return out.getvalue().encode("utf-8-sig")


def _xlsx(shown: Shown, header: list[tuple[str, str]], lang: str) -> bytes:
    book = Workbook()
    data = book.active
    data.title = t("export.data_sheet", lang)
    frame = escaped_frame(shown.labelled())
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="EEF2F7")
    data.append([_text(data, c) for c in frame.columns])
    for cell in data[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    points = {i for i, key in enumerate(shown.frame.columns) if shown.kinds.get(key) == POINTS}
    for row in frame.itertuples(index=False):  # points are written as numbers (two decimals, exact as shown)
        data.append([_points_cell(v) if i in points else _cell(v, data) for i, v in enumerate(row)])
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
        filters.append([_text(filters, label), _text(filters, value)])
    for (cell,) in filters.iter_rows(min_col=1, max_col=1):
        cell.font = bold
    filters.column_dimensions["A"].width = 16
    filters.column_dimensions["B"].width = 48

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text(sheet, value):
    """A str as a cell that openpyxl writes as a string: given a plain str it would write one
    starting with ``=`` as a formula (and ``#N/A`` as an error), whatever escaping missed."""
    if not isinstance(value, str):
        return value
    cell = Cell(sheet, value=value)
    cell.data_type = "s"
    return cell


def _cell(value, sheet=None):
    """Numpy scalars and missing values as openpyxl writes them; text as :func:`_text` cells."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return _text(sheet, value) if sheet is not None else value


def _points_cell(value):
    """A points string ("48.50") as the number it shows; '' stays empty."""
    return float(value) if isinstance(value, str) and value else _cell(value or None)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
