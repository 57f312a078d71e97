"""The import reference (``docs/imports.md``), rendered from the kinds and rules themselves so
that it cannot drift from the code: ``python -m fundwatch.data.imports.reference > docs/imports.md``."""

from __future__ import annotations

from .kinds import KINDS
from .problems import RULES
from .reading import MAX_BYTES, MAX_ROWS
from .templates import TYPE_WORDS

INTRO = f"""# Imports: templates, columns and rules

Generated from `data/imports/` by `python -m fundwatch.data.imports.reference`; a test keeps it current.

A county sends one file per table, CSV (UTF-8, UTF-8 with BOM, UTF-16 or GBK/GB18030) or XLSX
(the first sheet, or `--sheet NAME`), at most {MAX_BYTES // 2**20} MB and {MAX_ROWS:,} data rows.
`fundwatch template KIND` writes the template; `fundwatch import KIND FILE [--dry-run]` or the
`/upload` page loads it. Headers may be Chinese or English (the `name` column below); a leading or
trailing `*`, spaces and full-width forms do not matter. Money columns declare their unit in the
header (`下达金额（万元）`, `amount (yuan)`, `amount_wan`) or in a row such as `单位：万元` above
the header. Dates may be written 2020-03-31, 2020/3/31, 2020.3.31, 2020年3月31日, 20200331, as an
Excel date cell or an Excel serial number. Regions may be given by name or by code. A title row
above the header, blank rows, total rows (合计/总计/小计) and the template's example row are
skipped.

Every problem in the file is reported at once, each with the row number Excel shows, the column
header as written, the value and the rule broken; one error rejects the whole file and nothing is
written. An accepted file is compared on the table's natural key: new rows are inserted, changed
rows updated, identical rows left alone, nothing is deleted, so importing the same file twice
changes nothing. Every attempt is written to the audit log.
"""


def reference_markdown() -> str:
    parts = [INTRO]
    for kind in KINDS.values():
        parts.append(f"\n## `{kind.name}`: {kind.zh} ({kind.en})\n\n{kind.note_zh}\n\n{kind.note_en}\n\n"
                     f"Natural key: {', '.join(f'`{k}`' for k in kind.key)}.\n\n"
                     "| 表头 | name | required | type | 说明 |\n|---|---|---|---|---|\n")
        for f in kind.fields:
            parts.append(f"| {f.header('zh')} | `{f.header('en')}` | {'yes' if f.required else ''} | "
                         f"{TYPE_WORDS[f.type][1]} | {f.note_zh} |\n")
    parts.append("\n## Rules\n\n| rule | 问题 | problem | 说明 |\n|---|---|---|---|\n")
    for rule, (zh, en, message_zh, _) in RULES.items():
        parts.append(f"| `{rule}` | {zh} | {en} | {message_zh.replace('|', '/')} |\n")
    return "".join(parts)


if __name__ == "__main__":
    print(reference_markdown(), end="")
