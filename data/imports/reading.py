"""Reading an uploaded file into rows of raw cells, refusing anything that is not what it claims.

- **XLSX** (the first sheet, or a named one) through calamine (a fast reader of cell values).
  A formula cell is read as the result the workbook stored, which is what the uploader sees; a
  formula the workbook never calculated is a :class:`Formula`, which no column accepts.  The
  file must be a real Office Open XML workbook: a ZIP with ``[Content_Types].xml`` and ``xl/workbook.xml``.  An
  old ``.xls`` (by its name or its OLE2 content) or a password-protected workbook (an OLE2
  container too) is refused with what to do; a ZIP that would expand beyond
  :data:`MAX_UNZIPPED` is refused unread.
- **CSV** in UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text", tab-separated)
  or GBK/GB18030, detected in that order; comma- or tab-separated.
- Anything else (a PDF, an image, an executable, a ZIP renamed ``.xlsx``, a workbook renamed
  ``.csv``) is refused as disguised.

Rows keep the number the uploader sees in Excel (1-based, counting every row above the data).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from .problems import Problem

#: Largest upload accepted (bytes).
MAX_BYTES = 30 * 1024 * 1024
#: Largest total size the parts of an XLSX may expand to (bytes).
MAX_UNZIPPED = 400 * 1024 * 1024
#: Most data rows in one file.
MAX_ROWS = 200_000
#: Rows read beyond the data limit (title, unit and header rows above the data).
HEADER_SLACK = 20

_MAGIC = (
    (b"%PDF", {"zh": "PDF 文档", "en": "a PDF document"}),
    (b"MZ", {"zh": "Windows 可执行程序", "en": "a Windows executable"}),
    (b"\x7fELF", {"zh": "可执行程序", "en": "an executable"}),
    (b"\x89PNG", {"zh": "PNG 图片", "en": "a PNG image"}),
    (b"\xff\xd8\xff", {"zh": "JPEG 图片", "en": "a JPEG image"}),
    (b"GIF8", {"zh": "GIF 图片", "en": "a GIF image"}),
    (b"Rar!", {"zh": "RAR 压缩包", "en": "a RAR archive"}),
    (b"7z\xbc\xaf", {"zh": "7z 压缩包", "en": "a 7z archive"}),
    (b"\x1f\x8b", {"zh": "gzip 压缩包", "en": "a gzip archive"}),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_XLSX = {"zh": "Excel 工作簿（.xlsx）", "en": "an Excel workbook (.xlsx)"}
_CSV = {"zh": "CSV 文件", "en": "a CSV file"}
_TEXT = {"zh": "文本", "en": "text"}


class FileRejected(Exception):
    """The file cannot be read at all; ``problem`` says why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.rule)
        self.problem = problem


@dataclass
class Sheet:
    """The raw rows of an uploaded table: ``(row number, cells)`` with trailing blanks trimmed."""

    fmt: str
    rows: list[tuple[int, list[Any]]]
    sheet_name: str | None = None
    encoding: str | None = None
    notes: list[Problem] = field(default_factory=list)


def _reject(rule: str, **params: Any) -> FileRejected:
    return FileRejected(Problem(rule, params=params))


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def read_sheet(content: bytes, file_name: str, sheet: str | None = None) -> Sheet:
    """The rows of ``content`` (the bytes of ``file_name``); :class:`FileRejected` if unusable."""
    if not content:
        raise _reject("empty_file")
    if len(content) > MAX_BYTES:
        raise _reject("too_large", size=_size(len(content)), limit=_size(MAX_BYTES))
    suffix = PurePath(file_name).suffix.lower()
    if content.startswith(_OLE2) or suffix == ".xls":
        raise _reject("legacy_xls")
    if suffix not in (".xlsx", ".csv"):
        raise _reject("unknown_format", name=file_name)
    claimed = _XLSX if suffix == ".xlsx" else _CSV
    for magic, actual in _MAGIC:
        if content.startswith(magic):
            raise _reject("disguised_file", claimed=claimed, actual=actual)
    if content.startswith(_ZIP):
        if suffix == ".csv":
            actual = _XLSX if _looks_like_xlsx(content) else {"zh": "ZIP 压缩包", "en": "a ZIP archive"}
            raise _reject("disguised_file", claimed=claimed, actual=actual)
        return _read_xlsx(content, sheet)
    if suffix == ".xlsx":
        raise _reject("disguised_file", claimed=claimed, actual=_TEXT)
    return _read_csv(content)


# -- XLSX -----------------------------------------------------------------------------------------


def _looks_like_xlsx(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "[Content_Types].xml" in names and "xl/workbook.xml" in names


class Formula:
    """A formula cell whose result the workbook does not store (it was never calculated)."""

    def __str__(self) -> str:
        return "="


def _read_xlsx(content: bytes, sheet: str | None) -> Sheet:
    import python_calamine  # noqa: PLC0415 - only for XLSX uploads

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            expanded = sum(info.file_size for info in infos)
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                actual = ({"zh": "Word 文档", "en": "a Word document"} if "word/document.xml" in names
                          else {"zh": "ZIP 压缩包", "en": "a ZIP archive"})
                raise _reject("disguised_file", claimed=_XLSX, actual=actual)
            if expanded > MAX_UNZIPPED:
                raise _reject("zip_bomb", size=_size(expanded), limit=_size(MAX_UNZIPPED))
            parts = _sheet_parts(archive)
            part = parts.get(sheet) if sheet is not None else next(iter(parts.values()), None)
            formulas = _formula_cells(archive.read(part)) if part in names else {}
    except FileRejected:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError) as exc:
        raise _reject("broken_file", reason=str(exc) or type(exc).__name__) from None
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        names = book.sheet_names
        if sheet is not None and sheet not in names:
            raise _reject("sheet_missing", sheet=sheet, sheets="、".join(names))
        ws = book.get_sheet_by_name(sheet) if sheet is not None else book.get_sheet_by_index(0)
        first_row, first_column = ws.start or (0, 0)
        rows: list[tuple[int, list[Any]]] = []
        for index, values in enumerate(ws.iter_rows()):
            number = first_row + index + 1
            cells = list(values)
            for column in formulas.get(number, ()):
                if 0 <= column - first_column < len(cells) and cells[column - first_column] == "":
                    cells[column - first_column] = Formula()
            while cells and (cells[-1] is None or (isinstance(cells[-1], str) and not cells[-1].strip())):
                cells.pop()
            if cells:
                rows.append((number, cells))
                if len(rows) > MAX_ROWS + HEADER_SLACK:
                    raise _reject("too_many_rows", rows=f"{MAX_ROWS}+", limit=MAX_ROWS)
        return Sheet("xlsx", rows, sheet_name=ws.name)
    except FileRejected:
        raise
    except Exception as exc:  # the reader's errors for damaged parts (XML, ZIP, encryption)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _reject("broken_file", reason=reason[:200]) from None


_SHEET = re.compile(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"', re.S)
_REL = re.compile(rb'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"', re.S)
_REL_REVERSED = re.compile(rb'<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"', re.S)
_FORMULA_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*?>(?:(?!</c>).)*?<f[ >/]', re.S)


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the ZIP part holding it, in workbook order."""
    book = archive.read("xl/workbook.xml")
    rels_name = "xl/_rels/workbook.xml.rels"
    rels = archive.read(rels_name) if rels_name in archive.namelist() else b""
    targets = {rid: target for rid, target in _REL.findall(rels)}
    targets.update({rid: target for target, rid in _REL_REVERSED.findall(rels)})
    out: dict[str, str] = {}
    for name, rid in _SHEET.findall(book):
        target = targets.get(rid, b"").decode()
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        out[_unescape(name.decode("utf-8"))] = path
    return out


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'") \
        .replace("&amp;", "&")


def _formula_cells(xml: bytes) -> dict[int, list[int]]:
    """Row number -> 0-based columns of the formula cells of a sheet part; empty, after one quick
    test, for the usual sheet without formulas."""
    out: dict[int, list[int]] = {}
    if b"<f" not in xml:
        return out
    for letters, row in _FORMULA_CELL.findall(xml):
        column = 0
        for char in letters:
            column = column * 26 + char - 64
        out.setdefault(int(row), []).append(column - 1)
    return out


# -- CSV ------------------------------------------------------------------------------------------


def _decode(content: bytes) -> tuple[str, str]:
    if content.startswith(b"\xef\xbb\xbf"):
        candidates = ("utf-8-sig",)
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise _reject("encoding")


#: The control characters no line of a text file holds: below 32 but a tab and those
#: ``str.splitlines`` ends a line at (``\n``, ``\r``, ``\x0b``, ``\x0c``, ``\x1c``-``\x1e``).
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1b\x1f]")


def _read_csv(content: bytes) -> Sheet:
    text, encoding = _decode(content)
    if _BINARY.search(text):  # one search of the text; its lines are looked through only to name the row
        # (character by character, every file's lines took 0.3 s of a 50,000-row file's 2.7 s dry run)
        for number, line in enumerate(text.splitlines(), start=1):
            if _BINARY.search(line):
                raise FileRejected(Problem("binary_text", row=number, params={"row": number}))
    head = [line for line in text.splitlines()[:10] if line.strip()]
    delimiter = "\t" if sum(line.count("\t") for line in head) > sum(line.count(",") for line in head) else ","
    rows: list[tuple[int, list[Any]]] = []
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True),
                                       start=1):
            while cells and not cells[-1].strip():
                cells.pop()
            if cells:
                rows.append((number, cells))
                if len(rows) > MAX_ROWS + HEADER_SLACK:
                    raise _reject("too_many_rows", rows=f"{MAX_ROWS}+", limit=MAX_ROWS)
    except csv.Error as exc:
        raise _reject("bad_csv", reason=str(exc)) from None
    return Sheet("csv", rows, encoding=encoding.removesuffix("-sig"))
