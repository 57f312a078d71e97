"""What a table or chart shows, in the reader's language and units: the single source for the
views, the exports and ``fundwatch export``.

:func:`shown` turns one of a store's frames into a :class:`Shown`: the displayed columns only
(nothing hidden travels to the browser), vocabulary codes replaced by labels, money in one unit
per table (万元 or 亿元; ¥ M or ¥ bn), ratios as percentages, and localised column titles.
An export of a view writes exactly ``Shown.labelled()``.

A count column may hold ``"<5"`` where the data layer suppressed a small household count (an
embed viewer's scope, :mod:`fundwatch.data.masking`): it stays a column of ints with that text,
shown and exported as it is.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from fundwatch.data.masking import SUPPRESSED, count_array
from fundwatch.data.rules import empty_findings, get_rule

from . import i18n
from .i18n import t

# Column kinds: how a column is converted and formatted.
TEXT, MONEY, PCT, COUNT, TIMES, DATE, YEAR, NUMBER = "text", "money", "pct", "count", "times", "date", "year", "number"
#: Assessment points: exact Decimals shown as strings with two decimals ("48.50"), never floats.
POINTS = "points"


@dataclass(frozen=True)
class Col:
    """One displayed column: the frame column ``key``, its title's message key, its kind, and
    for vocabulary columns the vocabulary that labels its codes."""

    key: str
    title: str
    kind: str = TEXT
    vocab: str | None = None
    title_vocab: str | None = None  # the title is this vocabulary's label of ``key``


@dataclass(frozen=True)
class Shown:
    """A frame as displayed: ``frame`` has the column keys, ``titles`` their headers."""

    kind: str
    title: str
    frame: pd.DataFrame
    titles: dict[str, str]
    kinds: dict[str, str]
    unit: str = ""  # the money unit of the money columns
    notes: tuple[str, ...] = field(default=())
    keys: tuple = ()  # what each row stands for (a region code, ...), in row order; stays on the server

    def labelled(self) -> pd.DataFrame:
        """The frame with its headers as the reader sees them (what exports write)."""
        return self.frame.rename(columns=self.titles)

    @property
    def numeric(self) -> list[str]:
        return [k for k, kind in self.kinds.items() if kind not in (TEXT, DATE, YEAR)]


def _suffix(title: str, unit: str, lang: str) -> str:
    return f"{title}（{unit}）" if lang == "zh" else f"{title} ({unit})"


def build(kind: str, title: str, frame: pd.DataFrame, columns: Sequence[Col], lang: str,
          notes: Sequence[str] = (), compact: bool = False, key: str | None = None) -> Shown:
    """Convert ``frame``'s ``columns`` for display (see the module docstring).  ``compact``
    (charts) takes the larger money unit as soon as it reads 1.00 (see :func:`i18n.money_unit`);
    ``key`` names the column whose values become :attr:`Shown.keys`.

    The frames are a few dozen rows, so each column is converted as a numpy array or a list
    rather than through pandas' per-column machinery (a page's county change builds some
    twenty of them: 23 of its 101 ms on the transition page before), and the frame is made from
    the arrays, only the object columns as Series (a Series per column made pandas align every
    one on the index: 0.66 -> 0.34 ms a build over the pages' 527 builds).  Text stays an
    ``object`` column (tables pick formats by dtype), numbers ``float64``, years ``int64``."""
    rows = len(frame)
    index = pd.RangeIndex(rows)
    values = {col.key: frame[col.key] if col.key in frame else pd.Series([None] * rows, dtype=object)
              for col in columns}
    money = {col.key: values[col.key].to_numpy(dtype="float64", na_value=np.nan) for col in columns
             if col.kind == MONEY}
    largest = max((np.abs(m[~np.isnan(m)]).max() for m in money.values() if (~np.isnan(m)).any()),
                  default=np.nan) if money and rows else 0.0
    divisor, unit = i18n.money_unit(largest, lang, compact=compact)
    out, titles, kinds = {}, {}, {}
    for col in columns:
        column = values[col.key]
        header = i18n.term(col.title_vocab, col.key, lang) if col.title_vocab else t(col.title, lang)
        if col.kind == MONEY:
            converted = (money[col.key] / divisor).round(2)
            header = _suffix(header, unit, lang)
        elif col.kind == PCT:
            converted = (column.to_numpy(dtype="float64", na_value=np.nan) * 100).round(1)
            header = _suffix(header, "%", lang)
        elif col.kind == TIMES:
            converted = column.to_numpy(dtype="float64", na_value=np.nan).round(2)
            header = _suffix(header, "倍" if lang == "zh" else "×", lang)
        elif col.kind == COUNT:
            converted = count_array(column)
        elif col.kind == YEAR:
            converted = column.to_numpy(dtype="int64")
        elif col.kind == POINTS:
            converted = np.array([points_text(v) for v in column], dtype=object)
        else:  # text and dates: text even when empty
            if col.vocab:
                items = [i18n.term(col.vocab, code, lang) for code in column]
            elif col.kind == DATE:
                items = [i18n.date(_as_date(d), lang) if _present(d) else "" for d in column]
            else:
                items = column.tolist()
            converted = np.array([_text(v) for v in items], dtype=object)
        if converted.dtype == object:  # kept as objects: pandas would take an array of text for str
            converted = pd.Series(converted, index=index, dtype=object)
        out[col.key] = converted
        titles[col.key] = header
        kinds[col.key] = col.kind
    keys = tuple(frame[key]) if key else ()
    return Shown(kind, title, pd.DataFrame(out, columns=[c.key for c in columns], index=index), titles, kinds, unit,
                 tuple(notes), keys)


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def points_text(value) -> str:
    """Points as an exact string with two decimals (``Decimal("48.5")`` -> ``"48.50"``; '' for none)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return format(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value is not pd.NaT


def _as_date(value) -> dt.date:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


# -- the presenters, one per kind ---------------------------------------------------------------

COUNTY_RANKING = (
    Col("name", "col.county"), Col("rank", "col.rank", COUNT), Col("allocated", "col.allocated", MONEY),
    Col("disbursed", "col.disbursed", MONEY),
    Col("rate", "col.rate", PCT), Col("outstanding", "col.outstanding", MONEY), Col("leverage", "col.leverage", TIMES),
    Col("overdue_rate", "col.overdue_rate", PCT), Col("assets", "col.assets", COUNT),
    Col("no_custodian", "col.no_custodian", COUNT), Col("monitored", "col.monitored", COUNT),
    Col("pending", "col.pending", COUNT), Col("violations", "col.violations", COUNT),
    Col("warnings", "col.warnings", COUNT),
)
SUBREGIONS = (
    Col("name", "col.region"), Col("monitored", "col.monitored", COUNT), Col("pending", "col.pending", COUNT),
    Col("eliminated", "col.eliminated", COUNT), Col("assets", "col.assets", COUNT),
    Col("asset_value", "col.value", MONEY), Col("no_custodian", "col.no_custodian", COUNT),
    Col("idle_or_damaged", "col.idle_or_damaged", COUNT),
)
PACE = (
    Col("date", "col.date", DATE), Col("disbursed", "col.monthly", MONEY), Col("cumulative", "col.cumulative", MONEY),
    Col("allocated", "col.allocated", MONEY), Col("rate", "col.rate", PCT), Col("milestone", "col.milestone", PCT),
)
LOANS_BY_TYPE = (
    Col("borrower_type", "col.borrower_type", vocab="borrower_type"), Col("loans", "col.loans", COUNT),
    Col("outstanding", "col.outstanding", MONEY), Col("overdue", "col.overdue", MONEY),
    Col("default", "col.default", MONEY), Col("overdue_rate", "col.overdue_rate", PCT),
)
LOANS_BY_BANK = (Col("bank", "col.bank"),) + LOANS_BY_TYPE[1:]
ASSETS = (
    Col("asset_class", "col.asset_class", vocab="asset_class"), Col("assets", "col.assets", COUNT),
    Col("value", "col.value", MONEY), Col("no_custodian", "col.no_custodian", COUNT),
    Col("no_owner", "col.no_owner", COUNT), Col("idle_or_damaged", "col.idle_or_damaged", COUNT),
)
HOUSEHOLDS = (
    Col("category", "col.category", vocab="category"), Col("status", "col.status", vocab="household_status"),
    Col("households", "col.households", COUNT), Col("members", "col.members", COUNT),
)
WARNINGS = (
    Col("severity", "col.severity"), Col("rule", "col.rule"), Col("title", "col.name"),
    Col("region_name", "col.county"), Col("message", "col.message"), Col("measure", "col.measure"),
    Col("limit", "col.threshold"), Col("records", "col.records", COUNT), Col("basis", "col.basis"),
)
PROJECTS = (
    Col("code", "col.code"), Col("name", "col.name"), Col("category", "col.project_category", vocab="project_category"),
    Col("budget", "col.budget", MONEY), Col("status", "col.status", vocab="project_status"),
    Col("start_year", "col.start_year", YEAR), Col("in_pool", "col.in_pool"),
)
LOAN_RECORDS = (
    Col("contract_no", "col.contract_no"), Col("borrower_name", "col.borrower"), Col("borrower_id_no", "col.id_no"),
    Col("borrower_type", "col.borrower_type", vocab="borrower_type"), Col("bank", "col.bank"),
    Col("amount", "col.amount", MONEY), Col("issued_on", "col.issued_on", DATE),
    Col("maturity_on", "col.maturity_on", DATE), Col("industry", "col.industry", vocab="industry"),
    Col("status", "col.status", vocab="loan_status"),
)
ASSET_RECORDS = (
    Col("code", "col.code"), Col("name", "col.name"), Col("asset_class", "col.asset_class", vocab="asset_class"),
    Col("subtype", "col.subtype", vocab="subtype"), Col("value", "col.value", MONEY),
    Col("formed_on", "col.formed_on", DATE), Col("owner", "col.owner", vocab="owner"),
    Col("custodian", "col.custodian"), Col("status", "col.status", vocab="asset_status"),
)
HOUSEHOLD_RECORDS = (
    Col("code", "col.code"), Col("head_name", "col.head"), Col("head_id_no", "col.id_no"),
    Col("members", "col.members", COUNT), Col("category", "col.category", vocab="category"),
    Col("cause", "col.cause", vocab="cause"), Col("channel", "col.channel", vocab="channel"),
    Col("income_per_capita", "col.income", MONEY), Col("found_on", "col.found_on", DATE),
    Col("identified_on", "col.identified_on", DATE),
)
RECORD_COLUMNS = {"projects": PROJECTS, "loans": LOAN_RECORDS, "assets": ASSET_RECORDS,
                  "households": HOUSEHOLD_RECORDS}
RECORD_TITLES = {"projects": "panel.projects", "loans": "panel.loans", "assets": "panel.assets",
                 "households": "panel.household_list"}
# A record list's displayed column -> the column the data layer sorts by.
SORT_KEYS = {"budget": "budget_fen", "amount": "amount_fen", "value": "value_fen",
             "income_per_capita": "income_per_capita_fen"}


def county_ranking(frame: pd.DataFrame, lang: str) -> Shown:
    """The counties ranked by disbursement pace, fastest first (ties share a rank)."""
    ranked = frame.assign(rank=frame["rate"].astype("float64").rank(ascending=False, method="min"))
    ranked = ranked.sort_values(["rank", "code"], na_position="last")
    return build("county_ranking", t("panel.ranking.counties", lang), ranked, COUNTY_RANKING, lang, key="code")


def subregions(frame: pd.DataFrame, lang: str, child_level: str) -> Shown:
    title = t("panel.ranking.villages" if child_level == "village" else "panel.ranking.townships", lang)
    columns = (Col("name", f"col.{child_level}"),) + SUBREGIONS[1:]
    return build("subregions", title, frame, columns, lang, key="code")


def pace(frame: pd.DataFrame, lang: str, year: int) -> Shown:
    return build("pace", t("panel.pace", lang, year=year), frame, PACE, lang, compact=True)


def funds(frame: pd.DataFrame, lang: str, by: str) -> Shown:
    """Allocations with one row per year and one money column per source level (``by`` =
    ``source_level``) or programme, in vocabulary order: the table behind a stacked bar chart."""
    codes = list(i18n.VOCABS[by])
    if frame.empty:
        wide = pd.DataFrame({"year": pd.Series([], dtype="int64")})
    else:
        wide = (frame.groupby(["year", by])["amount"].sum().unstack(by)  # pivot_table's result, in half the time
                .reindex(columns=codes).dropna(axis=1, how="all").fillna(0.0).reset_index())
    columns = [Col("year", "col.year", YEAR)] + [Col(code, "", MONEY, title_vocab=by) for code in wide.columns[1:]]
    if by == "source_level":
        kind, title = "funds", "panel.funds_level"
    else:
        kind, title = "funds_programme", "panel.funds_programme"
    return build(kind, t(title, lang), wide, columns, lang, compact=True)


def loans(frame: pd.DataFrame, lang: str, by: str) -> Shown:
    if by == "bank":
        return build("loans_bank", t("panel.overdue_bank", lang), frame, LOANS_BY_BANK, lang, compact=True)
    return build("loans", t("panel.overdue_type", lang), frame, LOANS_BY_TYPE, lang, compact=True)


def leverage(frame: pd.DataFrame, lang: str, per_programme: bool) -> Shown:
    """Leverage per county, or per credit programme within one county."""
    name = (Col("name", "col.programme", vocab="loan_programme") if per_programme else Col("name", "col.county"))
    columns = (name, Col("loans", "col.loans", COUNT), Col("outstanding", "col.outstanding", MONEY),
               Col("risk_fund", "col.risk_fund", MONEY), Col("leverage", "col.leverage", TIMES),
               Col("capacity", "col.capacity", MONEY))
    return build("leverage", t("panel.leverage", lang), frame, columns, lang, compact=True)


def assets(frame: pd.DataFrame, lang: str) -> Shown:
    return build("assets", t("panel.asset_mix", lang), frame, ASSETS, lang, compact=True)


def households(frame: pd.DataFrame, lang: str) -> Shown:
    return build("households", t("panel.households", lang), frame, HOUSEHOLDS, lang)


def warnings(findings: pd.DataFrame, lang: str) -> Shown:
    """The findings with their text in ``lang`` and value and threshold formatted by unit; a
    finding of fewer than 5 households under small-count suppression shows ``"<5"`` for both
    its value and its records."""
    out = (findings if len(findings) else empty_findings()).copy()
    out["severity"] = [t(f"severity.{s}", lang) for s in out["severity"]]
    out["title"] = [get_rule(r).title(lang) for r in out["rule"]]
    out["message"] = out[f"message_{lang}"]
    out["basis"] = out[f"basis_{lang}"]
    hidden = [isinstance(d, dict) and bool(d.get("suppressed")) for d in out["detail"]]
    out["measure"] = [SUPPRESSED if h else _finding_value(v, u, lang)
                      for v, u, h in zip(out["value"], out["unit"], hidden, strict=True)]
    out["limit"] = [_finding_value(v, u, lang) for v, u in zip(out["threshold"], out["unit"], strict=True)]
    out["records"] = [SUPPRESSED if h else len(ids) for ids, h in zip(out["record_ids"], hidden, strict=True)]
    return build("warnings", t("panel.warnings", lang), out, WARNINGS, lang)


def records(kind: str, frame: pd.DataFrame, lang: str) -> Shown:
    """A page (or all pages) of a record list; personal data arrives masked from ``data``."""
    out = frame
    if kind == "projects" and "in_pool" in frame:
        out = frame.assign(in_pool=[t("yes" if v else "no", lang) for v in frame["in_pool"]])
    return build(kind, t(RECORD_TITLES[kind], lang), out, RECORD_COLUMNS[kind], lang)


def finding_records(frame: pd.DataFrame, list_kind: str | None, lang: str) -> Shown:
    """The records behind a finding: as their record list shows them, or by id for tables
    without a list (allocations, disbursements, risk-fund deposits, ...)."""
    if list_kind is not None and len(frame.columns) > 1:
        return records(list_kind, frame, lang)
    return build("finding_records", t("panel.records", lang), frame, (Col("id", "col.code"),), lang)


def _finding_value(value: float, unit: str, lang: str) -> str:
    return i18n.formatted(value, unit, lang)