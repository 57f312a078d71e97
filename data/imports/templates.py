"""Import templates: the columns of a kind with one example row, as XLSX or CSV.

The XLSX template has three sheets: the data sheet (headers, the example row, text-formatted code
and ID columns so that Excel does not turn them into numbers, drop-down lists for coded columns),
``说明`` (every column: required or not, what to enter, an example) and ``取值`` (the allowed values
of the coded columns).  The CSV template is UTF-8 with a BOM (Excel opens it with the Chinese
intact) and holds the headers and the example row; :func:`notes_csv` gives the notes beside it.
The example row is recognised on import and skipped, so a filled-in template may keep it.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from .kinds import KINDS, Kind

TYPE_WORDS = {
    "text": ("文本", "text"), "code": ("编号（文本）", "code (text)"), "int": ("整数", "whole number"),
    "year": ("年份", "year"), "money": ("金额", "amount"), "number": ("数字", "number"), "date": ("日期", "date"),
    "bool": ("是/否", "yes/no"), "vocab": ("取值列表", "list of values"), "county": ("县（名称或代码）", "county"),
    "township": ("乡镇（名称或代码）", "township"), "village": ("行政村（名称或代码）", "village"),
    "id_number": ("身份证号（文本）", "ID number (text)"), "party_id": ("证件号码（文本）", "ID or credit code (text)"),
}
_TEXT_TYPES = ("code", "id_number", "party_id", "text", "county", "township", "village")
_LAST_ROW = 1_048_576  # Excel's last row: formats and drop-downs cover every row a county may fill


def template_name(kind: str, fmt: str, lang: str = "zh") -> str:
    spec = KINDS[kind]
    return f"fundwatch-{kind}-{'template' if lang == 'en' else spec.zh + '模板'}.{fmt}"


def example_values(spec: Kind, lang: str = "zh") -> list[str]:
    """The example row as text, one value per column."""
    return [_example(f, lang) for f in spec.fields]


def _example(field, lang: str) -> str:
    value: Any = field.example
    if value is None:
        return ""
    if field.type == "vocab" and lang == "en":
        return next(iter(field.vocab))
    if field.type == "bool" and lang == "en" and value:
        return "yes"
    return str(value)


def template_bytes(kind: str, fmt: str = "xlsx", lang: str = "zh") -> bytes:
    """The template of ``kind`` (see the module docstring) as ``xlsx`` or ``csv`` bytes."""
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}; one of {', '.join(KINDS)}")
    spec = KINDS[kind]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([f.header(lang) for f in spec.fields])
        writer.writerow(example_values(spec, lang))
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    if fmt != "xlsx":
        raise ValueError(f"unknown template format {fmt!r}: xlsx or csv")
    return _xlsx(spec, lang)


def notes_rows(spec: Kind, lang: str = "zh") -> list[list[str]]:
    en = lang == "en"
    rows = [["column", "required", "type", "what to enter", "example"] if en else ["列名", "是否必填", "类型", "填写说明", "示例"]]
    for f in spec.fields:
        rows.append([f.header(lang), ("yes" if f.required else "no") if en else ("必填" if f.required else "可空"),
                     TYPE_WORDS[f.type][1 if en else 0], f.note_en if en else f.note_zh, _example(f, lang)])
    return rows


def notes_csv(kind: str, lang: str = "zh") -> bytes:
    """The notes of a CSV template (what the XLSX template's ``说明`` sheet holds)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(notes_rows(KINDS[kind], lang))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(spec: Kind, lang: str) -> bytes:
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.styles import Alignment, Font, PatternFill  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415
    from openpyxl.worksheet.datavalidation import DataValidation  # noqa: PLC0415

    en = lang == "en"
    book = Workbook()
    data = book.active
    data.title = spec.en if en else spec.zh
    required_fill = PatternFill("solid", fgColor="FCE4D6")
    bold = Font(bold=True)
    values_sheet = None
    values_column = 0
    for index, f in enumerate(spec.fields, start=1):
        letter = get_column_letter(index)
        head = data.cell(row=1, column=index, value=f.header(lang))
        head.font = bold
        head.alignment = Alignment(wrap_text=True, vertical="center")
        if f.required:
            head.fill = required_fill
        example = data.cell(row=2, column=index, value=_example(f, lang) or None)
        if f.type in _TEXT_TYPES:
            example.number_format = "@"
            data.column_dimensions[letter].number_format = "@"  # the whole column: typed codes stay text
        data.column_dimensions[letter].width = max(10, min(40, 2 * len(f.header(lang)) + 2))
        if f.type == "vocab":
            if values_sheet is None:
                values_sheet = book.create_sheet("values" if en else "取值")
            values_column += 1
            vletter = get_column_letter(values_column)
            values_sheet.cell(row=1, column=values_column, value=f.header(lang)).font = bold
            terms = list(f.vocab.values())
            for row, term in enumerate(terms, start=2):
                values_sheet.cell(row=row, column=values_column, value=term.code if en else term.zh)
            sheet_name = values_sheet.title
            rule = DataValidation(type="list", formula1=f"'{sheet_name}'!${vletter}$2:${vletter}${len(terms) + 1}",
                                  allow_blank=not f.required, showErrorMessage=False)
            rule.add(f"{letter}2:{letter}{_LAST_ROW}")
            data.add_data_validation(rule)
    data.freeze_panes = "A2"
    notes = book.create_sheet("notes" if en else "说明", 1)
    notes.append([spec.note_en if en else spec.note_zh])
    notes.append(["Fill in the first sheet from row 2 (the example row may stay: it is skipped on import). "
                  "Money columns take the unit in their header: (元) or (万元)." if en else
                  "在第一个工作表第 2 行起填写（示例行可保留，导入时自动跳过）。金额列在表头注明单位：（元）或（万元）。"
                  "有色表头为必填列。编号、身份证号列已设为文本格式，请勿改为数字。"])
    notes.append([])
    for row in notes_rows(spec, lang):
        notes.append(row)
    for cell in notes[4]:
        cell.font = bold
    for letter, width in zip("ABCDE", (22, 10, 18, 70, 28), strict=True):
        notes.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
