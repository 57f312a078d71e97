"""``fundwatch score``: score the county-level units on a rubric and rank them.

Usage::

    fundwatch score --rubric NAME|FILE [--year Y] [--values FILE] [--db URL]
                    [--format table|json] [--lang zh|en] [--sync]

``--rubric`` is a shipped rubric's name (``chaoyang-2020-sector``, ``chaoyang-2020-village``; the
database's copy once synced) or a rubric file (YAML or TOML).  ``--year`` defaults to the
rubric's year.  Computed items are measured from the database; entered items come from the
scores stored in the database and, overriding those, from ``--values`` (a CSV with columns
``unit,item,value`` and optionally ``evidence,assessor``; see
:mod:`fundwatch.data.rubric.values`).  ``--sync`` first stores the rubric's definition in the
database (audited; refused if stored scores would no longer fit).  The units are every
county-level unit in the database (the command runs with the city-level scope).

JSON output (``--format json``) is a list with one flat object per unit, best rank first::

    [
      {
        "unit_code": "360731",          # region code of the county-level unit
        "unit_name": "于都县",
        "rank": 1,                      # 1 = best; equal totals share a rank (1, 2, 2, 4)
        "total": 87.5,                  # base + bonus, or 0 when vetoed
        "base": 79.5,                   # the non-bonus items, capped at the rubric's maximum
        "bonus": 8.0,                   # the bonus items after the bonus cap (0 without bonus items)
        "vetoed": false,
        "veto_reason": null,            # the veto item's title and evidence when vetoed (--lang)
        "item_targets": 60.5,           # one key per rubric item, "item_" + its code, in the
        "item_input_growth": 12.0,      # rubric's tree order (groups and their items); the
        ...                             # points after every cap
      },
      ...
    ]

Points are numbers with at most two decimals, exact (computed as decimals).  ``base`` and
``bonus`` keep what was earned when a unit is vetoed; only ``total`` drops to 0.  The keys are
:data:`FIXED_KEYS` followed by the ``item_<code>`` keys of the rubric.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from decimal import Decimal
from typing import Any

FIXED_KEYS = ("unit_code", "unit_name", "rank", "total", "base", "bonus", "vetoed", "veto_reason")
FORMATS = ("table", "json")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``score`` command to the ``fundwatch`` sub-parsers."""
    from fundwatch.dashboards.cli import _add_db

    p = subparsers.add_parser("score", help="score the county-level units on an assessment rubric and rank them")
    _add_db(p)
    p.add_argument("--rubric", required=True, metavar="NAME|FILE",
                   help="a shipped rubric (chaoyang-2020-sector, chaoyang-2020-village) or a rubric file")
    p.add_argument("--year", type=int, help="the year scored (default: the rubric's year)")
    p.add_argument("--values", metavar="FILE",
                   help="CSV of raw inputs with columns unit,item,value (optional evidence,assessor)")
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of titles and reasons (default zh)")
    p.add_argument("--sync", action="store_true",
                   help="store the rubric's definition in the database before scoring (audited)")
    p.set_defaults(handler=cmd_score)
    return p


def _number(value: Decimal) -> float:
    return float(value)


def score_records(rubric, scores, lang: str = "zh") -> list[dict[str, Any]]:
    """The JSON objects of ``--format json`` (see the module doc) for ranked ``scores``."""
    records = []
    for s in scores:
        record: dict[str, Any] = {
            "unit_code": s.unit_code, "unit_name": s.unit_name, "rank": s.rank, "total": _number(s.total),
            "base": _number(s.base), "bonus": _number(s.bonus), "vetoed": s.vetoed,
            "veto_reason": s.veto_reason(lang),
        }
        record.update({f"item_{code}": _number(points) for code, points in s.points().items()})
        records.append(record)
    return records


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * (width - _width(text))
    return gap + text if right else text + gap


def _points(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def format_table(rubric, scores, lang: str = "zh") -> str:
    """An aligned text table: rank, unit, total, base, bonus, the top-level items, veto, missing."""
    zh = lang == "zh"
    roots = [item for item in rubric.roots if item.kind != "veto"]
    head = (["名次", "单位", "总分", "基础分", "加分"] if zh else ["Rank", "Unit", "Total", "Base", "Bonus"])
    head += [f"{item.title_zh if zh else item.title_en}({_points(item.max_points).rstrip('0').rstrip('.')})"
             for item in roots]
    head += ["一票否决", "待评项"] if zh else ["Veto", "Missing"]
    lines = []
    for s in scores:
        reason = s.veto_reason(lang) or ""
        lines.append([str(s.rank), f"{s.unit_code} {s.unit_name}", _points(s.total), _points(s.base),
                      _points(s.bonus), *(_points(s.item(item.code).points) for item in roots),
                      (("否决：" if zh else "vetoed: ") + reason) if s.vetoed else "", str(len(s.missing))])
    numeric = {0, 2, 3, 4, *range(5, 5 + len(roots)), len(head) - 1}
    widths = [max(_width(cell) for cell in column) for column in zip(head, *lines, strict=True)]
    title = f"{rubric.title_zh if zh else rubric.title_en} ({rubric.name})"
    out = [title, "  ".join(_pad(c, w, i in numeric) for i, (c, w) in enumerate(zip(head, widths, strict=True))),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(_pad(c, w, i in numeric) for i, (c, w) in enumerate(zip(line, widths, strict=True))).rstrip()
            for line in lines]
    return "\n".join(line.rstrip() for line in out)


def cmd_score(args) -> int:
    """Run ``fundwatch score``; errors are raised as CliError or ValueError (one line in main)."""
    from fundwatch.dashboards.cli import CliError, _engine
    from fundwatch.data.rubric import install_rubric, read_values, resolve_rubric, unit_scores
    from fundwatch.data.scope import Scope

    fmt = getattr(args, "format", "table") or "table"
    lang = getattr(args, "lang", "zh") or "zh"
    if fmt not in FORMATS:
        raise CliError(f"--format must be one of {', '.join(FORMATS)}")
    engine = _engine(args)
    if getattr(args, "sync", False):
        definition, changed = install_rubric(engine, args.rubric, actor="cli")
        state = "stored" if changed else "already up to date"
        print(f"fundwatch: rubric {definition.name} {state} in the database", file=sys.stderr)
    resolved = resolve_rubric(engine, args.rubric)
    rubric = resolved.rubric
    if resolved.differs_from_file:
        print(f"fundwatch: note: scoring with the database's copy of {rubric.name}, which differs from the "
              f"shipped file (store the file's version with --sync)", file=sys.stderr)
    year = args.year if getattr(args, "year", None) is not None else rubric.year
    values = read_values(args.values, rubric) if getattr(args, "values", None) else None
    rubric, scores = unit_scores(engine, Scope.all(), rubric, year, values=values)
    if fmt == "json":
        print(json.dumps(score_records(rubric, scores, lang), ensure_ascii=False, indent=2))
        return 0
    if not scores:
        print("数据库中没有县级单位。" if lang == "zh" else "No county-level units in the database.")
        return 0
    print(format_table(rubric, scores, lang))
    return 0
