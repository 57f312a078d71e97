"""The ``--values`` file: raw inputs per unit and item, as CSV.

Columns ``unit,item,value`` (a header row is required), optionally ``evidence`` and
``assessor``; UTF-8 (a BOM, as Excel writes it, is fine).  ``value`` is what the item's kind
takes (:mod:`fundwatch.data.rubric.engine`): points for a manual item, the measured value for a
ratio or step item (it replaces the value computed from the data), a count for a per-occurrence
or deduction item, and for a veto 1/0 (also yes/no, true/false, 是/否)::

    unit,item,value,evidence
    360731,commend_provincial,3,省级表彰文件 赣府字〔2020〕12号 等
    360731,innovation,2.5,
    360702,veto,1,审计发现挪用扶贫资金

Every problem is a :class:`ValuesError` naming the file and line.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from .engine import ItemInput, ScoreInputError, coerce_value
from .model import Rubric

REQUIRED = ("unit", "item", "value")
OPTIONAL = ("evidence", "assessor")
_YES = {"1", "yes", "y", "true", "是"}
_NO = {"0", "no", "n", "false", "否"}


class ValuesError(ValueError):
    """A values file that cannot be used: ``str()`` reads ``FILE:LINE: PROBLEM``."""


def read_values(path: str | os.PathLike, rubric: Rubric) -> dict[str, dict[str, ItemInput]]:
    """``{unit: {item: ItemInput}}`` from the CSV at ``path``, each value checked against its item."""
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ValuesError(f"{path}: cannot read: {exc.strerror or exc}") from None
    out: dict[str, dict[str, ItemInput]] = {}
    with handle:
        try:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise ValuesError(f"{path}:1: the header needs the columns {', '.join(REQUIRED)} "
                                  f"(missing: {', '.join(missing)})")
            unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
            if unknown:
                raise ValuesError(f"{path}:1: unknown column {unknown[0]!r} "
                                  f"(columns: {', '.join(REQUIRED + OPTIONAL)})")
            reader.fieldnames = header
            for row in reader:
                line = reader.line_num
                if None in row:
                    raise ValuesError(f"{path}:{line}: more fields than the header has")
                cells = {k: (v or "").strip() for k, v in row.items()}
                if not any(cells.values()):
                    continue
                unit, code, text = cells["unit"], cells["item"], cells["value"]
                if not unit or not code:
                    raise ValuesError(f"{path}:{line}: unit and item are required")
                if not rubric.has_item(code):
                    raise ValuesError(f"{path}:{line}: rubric {rubric.name} has no item {code!r}")
                item = rubric.item(code)
                if not text:
                    raise ValuesError(f"{path}:{line}: item {code}: a value is required")
                value: object = text
                if item.kind == "veto":
                    lowered = text.lower()
                    if lowered in _YES:
                        value = True
                    elif lowered in _NO:
                        value = False
                    else:
                        raise ValuesError(f"{path}:{line}: item {code}: a veto is 1/0, yes/no or 是/否, got {text!r}")
                try:
                    coerced = coerce_value(item, value)
                except ScoreInputError as exc:
                    raise ValuesError(f"{path}:{line}: {exc}") from None
                if code in out.get(unit, {}):
                    raise ValuesError(f"{path}:{line}: unit {unit} item {code} is given twice")
                out.setdefault(unit, {})[code] = ItemInput(
                    value=coerced, source="manual",
                    evidence=cells.get("evidence") or f"{path.name} line {line}",
                    assessor=cells.get("assessor") or None,
                )
        except csv.Error as exc:
            raise ValuesError(f"{path}:{reader.line_num}: not valid CSV: {exc}") from None
        except UnicodeDecodeError:
            raise ValuesError(f"{path}: not UTF-8 text") from None
    return out
