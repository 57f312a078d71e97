"""Evaluate the policy rules on a database and format the findings.

:func:`evaluate` runs every rule (or a chosen few) for one year as of a date, inside the caller's
:class:`~fundwatch.data.scope.Scope`, and returns one row per finding.  :func:`findings_to_records`
turns the frame into the JSON objects of ``fundwatch warnings --format json`` and
:func:`format_findings` renders it as a table, JSON or CSV.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import math
import os
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from ..db import reader
from ..masking import SMALL_COUNT, SUPPRESSED
from ..scope import Scope, require_scope
from ._common import REGION, SEVERITIES, SEVERITY_LABELS, Context, Finding
from .registry import RULE_IDS, Rule, get_rule, resolve_rules

#: Columns of the frame :func:`evaluate` returns, in order.
COLUMNS = (
    "rule", "severity", "region_code", "region_name", "value", "threshold", "unit",
    "message", "message_zh", "message_en", "basis", "basis_zh", "basis_en", "title",
    "record_table", "record_ids", "detail",
)
#: Keys of each JSON object, in order (the CLI contract; documented in the README).
JSON_KEYS = (
    "rule", "severity", "region_code", "region_name", "value", "threshold", "message", "basis", "record_ids",
)
LANGS = ("zh", "en")
FORMATS = ("table", "json", "csv")

# Decimals kept per unit in JSON/CSV output.
_DECIMALS = {"ratio": 6, "times": 4, "yuan": 2}


def default_as_of(year: int, today: dt.date | None = None) -> dt.date:
    """The year's last day, or today if that is earlier."""
    today = today or dt.date.today()
    return min(dt.date(year, 12, 31), today)


def _select_rules(rules: Iterable[str | Rule] | None, config) -> list[Rule]:
    configured = {rule.id: rule for rule in resolve_rules(config)}
    if rules is None:
        return list(configured.values())
    if isinstance(rules, str | Rule):
        rules = [rules]
    chosen: list[Rule] = []
    for item in rules:
        if isinstance(item, Rule):
            chosen.append(item)
        else:
            try:
                rule_id = get_rule(str(item)).id
            except KeyError as exc:
                raise ValueError(exc.args[0]) from None
            chosen.append(configured[rule_id])
    return chosen


def _county_names(conn, scope: Scope) -> dict[str, str]:
    stmt = select(REGION.c.code, REGION.c.name).where(scope.clause(REGION.c.county_code), REGION.c.level == "county")
    return {code: name for code, name in conn.execute(stmt)}


def _rule_order(rule_id: str) -> int:
    return RULE_IDS.index(rule_id) if rule_id in RULE_IDS else len(RULE_IDS)


def empty_findings() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series([], dtype=object) for column in COLUMNS})


def evaluate(
    engine: Engine,
    scope: Scope,
    year: int,
    as_of: dt.date | None = None,
    rules: Iterable[str | Rule] | None = None,
    config: str | os.PathLike | Mapping | None = None,
    lang: str = "zh",
) -> pd.DataFrame:
    """Evaluate the rules for ``year`` as of ``as_of`` within ``scope``; one row per finding.

    ``as_of`` defaults to the year's end, or today if earlier.  ``rules`` picks rules by id (or
    passes :class:`Rule` objects); ``config`` is a YAML override file, an overrides mapping, or
    None for ``$FUNDWATCH_RULES_CONFIG``.  ``lang`` chooses the language of ``message`` and
    ``basis`` (``message_zh``/``message_en`` and ``basis_zh``/``basis_en`` are always there).

    Columns: see :data:`COLUMNS`.  ``record_ids`` is a list of ints in ``record_table``
    (``county_finance.year`` rows are named by their year); ``detail`` a dict of extras such as
    the due dates of rule H2.  Rows come ordered by severity (violation, warning, notice), rule
    id, region code.

    Under small-count suppression (``scope.suppress_small``) a finding that counts 1 to 4
    households says so without the number: ``value`` NaN, no ``record_ids``, a message naming the
    rule and "<5 households", and ``detail`` ``{"suppressed": True}`` instead of its details
    (due dates and the like).  Larger findings stay as they are (the household lists such a viewer
    could open are empty anyway).
    """
    require_scope(scope)
    if isinstance(year, bool) or not isinstance(year, int):
        raise TypeError(f"year must be an int, got {type(year).__name__}")
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    if as_of is None:
        as_of = default_as_of(year)
    elif isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    elif not isinstance(as_of, dt.date):
        raise TypeError(f"as_of must be a date, got {type(as_of).__name__}")
    selected = _select_rules(rules, config)

    rows: list[dict[str, Any]] = []
    with reader(engine).connect() as conn:
        names = _county_names(conn, scope)
        ctx = Context(conn=conn, scope=scope, year=year, as_of=as_of, names=names)
        for rule in selected:
            for f in rule.run(ctx):
                if not scope.allows(f.region_code):  # defence in depth: queries are scoped already
                    continue
                if scope.suppress_small and _few_households(f):
                    f = _suppressed(f, rule, names.get(f.region_code, f.region_code))
                rows.append({
                    "rule": f.rule, "severity": f.severity, "region_code": f.region_code,
                    "region_name": names.get(f.region_code, f.region_code),
                    "value": float(f.value), "threshold": float(f.threshold), "unit": f.unit,
                    "message": f.message_en if lang == "en" else f.message_zh,
                    "message_zh": f.message_zh, "message_en": f.message_en,
                    "basis": rule.basis(lang), "basis_zh": rule.basis_zh, "basis_en": rule.basis_en,
                    "title": rule.title(lang), "record_table": f.record_table,
                    "record_ids": [int(i) for i in f.record_ids], "detail": dict(f.detail),
                    "_order": (SEVERITIES.index(f.severity), _rule_order(f.rule), f.region_code, f.key,
                               f.message_zh),
                })
        conn.rollback()
    if not rows:
        return empty_findings()
    rows.sort(key=lambda r: r["_order"])
    frame = pd.DataFrame([{k: v for k, v in r.items() if k != "_order"} for r in rows], columns=list(COLUMNS))
    return frame.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def _few_households(finding: Finding) -> bool:
    return finding.record_table == "household" and finding.unit == "count" and 0 < finding.value < SMALL_COUNT


def _suppressed(finding: Finding, rule: Rule, region_name: str) -> Finding:
    """A finding of 1 to 4 households as a viewer with small-count suppression sees it: no number,
    no ids, no message or details that would tell them."""
    return dataclasses.replace(
        finding, value=math.nan, record_ids=(), detail={"suppressed": True},
        message_zh=f"{region_name}：{rule.title('zh')}（少于{SMALL_COUNT}户，具体户数不予显示）",
        message_en=f"{region_name}: {rule.title('en')} ({SUPPRESSED} households; the number is not shown)")


def _number(value: Any, unit: str) -> int | float | None:
    if value is None:
        return None
    value = float(value)
    if math.isnan(value):
        return None
    if unit in _DECIMALS:
        rounded = round(value, _DECIMALS[unit])
        return 0.0 if rounded == 0 else rounded
    return int(round(value))


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    keys = pd.DataFrame({
        "s": frame["severity"].map(lambda s: SEVERITIES.index(s) if s in SEVERITIES else len(SEVERITIES)),
        "r": frame["rule"].map(_rule_order),
        "c": frame["region_code"].astype(str),
    }, index=frame.index)
    order = keys.sort_values(["s", "r", "c"], kind="stable").index
    return frame.loc[order]


def findings_to_records(frame: pd.DataFrame, lang: str | None = None) -> list[dict[str, Any]]:
    """The findings as JSON-safe dicts with exactly :data:`JSON_KEYS`, ordered by severity
    (violation, warning, notice), rule id and region code.

    Ratios keep 6 decimals, leverage 4, yuan 2, counts are ints; ``record_ids`` a list of ints.
    ``lang`` picks the message and basis language (default: the frame's ``message``/``basis``).
    """
    if lang is not None and lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    records = []
    for row in _ordered(frame).to_dict("records"):
        unit = row.get("unit") or "count"
        message, basis = row["message"], row["basis"]
        if lang is not None:
            message = row.get(f"message_{lang}", message)
            basis = row.get(f"basis_{lang}", basis)
        records.append({
            "rule": str(row["rule"]),
            "severity": str(row["severity"]),
            "region_code": str(row["region_code"]),
            "region_name": str(row["region_name"]),
            "value": _number(row["value"], unit),
            "threshold": _number(row["threshold"], unit),
            "message": str(message),
            "basis": str(basis),
            "record_ids": [int(i) for i in (row["record_ids"] if row["record_ids"] is not None else [])],
        })
    return records


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


_TABLE_HEAD = {
    "zh": ("级别", "规则", "地区", "说明", "依据", "记录"),
    "en": ("Severity", "Rule", "Region", "Message", "Basis", "Records"),
}


def _records_cell(table: str, ids: list[int], limit: int = 5) -> str:
    shown = ",".join(str(i) for i in ids[:limit])
    more = f",…(+{len(ids) - limit})" if len(ids) > limit else ""
    return f"{table}:{shown}{more}" if ids else f"{table}:-"


def format_findings(frame: pd.DataFrame, fmt: str = "table", lang: str = "zh") -> str:
    """The findings as ``table`` (aligned text for a terminal), ``json`` (a list of objects with
    :data:`JSON_KEYS`; ``[]`` when there are none) or ``csv`` (the same keys as a header, record
    ids separated by spaces)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    records = findings_to_records(frame, lang=lang)
    if fmt == "json":
        return json.dumps(records, ensure_ascii=False, indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(JSON_KEYS)
        for rec in records:
            writer.writerow([
                " ".join(str(i) for i in rec[k]) if k == "record_ids" else ("" if rec[k] is None else rec[k])
                for k in JSON_KEYS
            ])
        return out.getvalue()
    if not records:
        return "没有发现问题。" if lang == "zh" else "No findings."
    tables = list(_ordered(frame)["record_table"])
    index = 0 if lang == "zh" else 1
    lines = [[
        SEVERITY_LABELS.get(rec["severity"], (rec["severity"],) * 2)[index],
        rec["rule"],
        f"{rec['region_code']} {rec['region_name']}",
        rec["message"],
        rec["basis"],
        _records_cell(table, rec["record_ids"]),
    ] for rec, table in zip(records, tables, strict=True)]
    head = list(_TABLE_HEAD[lang])
    widths = [max(_width(cell) for cell in column) for column in zip(head, *lines, strict=True)]
    rule = "  ".join("-" * w for w in widths)
    text = ["  ".join(_pad(c, w) for c, w in zip(head, widths, strict=True)).rstrip(), rule]
    text += ["  ".join(_pad(c, w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    return "\n".join(text)
