"""Columns of an importable table: their headers (Chinese, English accepted), types and notes.

A :class:`Field` is one column of a template.  Its ``type`` picks the cell parser
(:mod:`.values`); region and reference columns are read as text here and resolved against the
database afterwards (:mod:`.kinds`).  Headers match loosely: full-width and half-width forms,
spaces, a leading or trailing ``*`` (the template's mark of a required column) and letter case
do not matter, and a money column may carry its unit in the header: ``下达金额（万元）``,
``amount (yuan)``, ``amount_wan``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import vocab as V
from . import values as P
from .reading import Formula

#: Dates an import accepts: from the start of targeted poverty alleviation's registration to the
#: end of the next plan period.
DATE_MIN, DATE_MAX = dt.date(2014, 1, 1), dt.date(2030, 12, 31)
YEAR_MIN, YEAR_MAX = DATE_MIN.year, DATE_MAX.year
#: Most yuan one row may hold before the amount is taken for a unit mistake (100 亿元).
AMOUNT_LIMIT_YUAN = 10_000_000_000

TYPES = ("text", "code", "int", "year", "money", "number", "date", "bool", "vocab",
         "county", "township", "village", "id_number", "party_id")


@dataclass(frozen=True)
class Field:
    """One column (see the module docstring).  ``name`` is also its English header."""

    name: str
    zh: str
    type: str
    required: bool = False
    note_zh: str = ""
    note_en: str = ""
    example: Any = None
    vocab: Mapping[str, V.Term] | None = None
    limit: int = 64
    low: Any = None
    high: Any = None
    event: bool = False
    positive: bool = False
    default: Any = None
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"{self.name}: unknown field type {self.type!r}")
        if self.type == "vocab" and not self.vocab:
            raise ValueError(f"{self.name}: a vocab field needs its vocabulary")

    @property
    def is_money(self) -> bool:
        return self.type == "money"

    def header(self, lang: str = "zh") -> str:
        """The template's header: Chinese with the unit (元) for money, or the English name."""
        if lang == "en":
            return f"{self.name}_yuan" if self.is_money else self.name
        return f"{self.zh}（元）" if self.is_money else self.zh

    def spellings(self) -> set[str]:
        names = {self.zh, self.name, self.name.replace("_", " "), *self.aliases}
        return {normalise_header(n)[0] for n in names}

    def allowed(self) -> dict[str, str]:
        """The allowed values of a vocab column as the error message lists them."""
        assert self.vocab is not None
        return {"zh": "、".join(t.zh for t in self.vocab.values()),
                "en": ", ".join(f"{t.code} ({t.en})" for t in self.vocab.values())}


_UNIT_SUFFIX = re.compile(r"[(\[](.*?)[)\]]$")
_UNIT = re.compile(r"(万元|元|万|yuan|10kyuan|wan|rmb|cny)(/.*)?")


def normalise_header(header: Any) -> tuple[str, str | None]:
    """``(base, unit)`` of a header cell: the header folded for matching, and the money unit it
    declares (``元`` or ``万元``), if any.  Other bracketed notes such as ``（%）`` are dropped."""
    text = unicodedata.normalize("NFKC", str(header)).strip()
    text = re.sub(r"\s+", "", text).strip("*").lower().removesuffix("(必填)").strip("*")
    unit = None
    match = _UNIT_SUFFIX.search(text)
    if match:
        found = _UNIT.fullmatch(match[1])
        if found:
            unit = P.UNIT_WORDS.get(found[1], "元")
        text = text[: match.start()]
    else:
        for suffix, word in (("_yuan", "元"), ("_wan", "万元")):
            if text.endswith(suffix):
                text, unit = text.removesuffix(suffix), word
    return text, unit


def parse_cell(field: Field, raw: Any, unit: str | None, today: dt.date) -> Any:
    """The typed value of one non-blank cell of ``field`` (raises :class:`~.values.Bad`)."""
    if isinstance(raw, Formula):
        raise P.Bad("formula_cell")
    kind = field.type
    if kind == "text":
        return P.parse_text(raw, field.limit)
    if kind in ("code", "county", "township", "village"):
        return P.parse_code(raw, field.limit)
    if kind == "int":
        return P.parse_int(raw, field.low, field.high)
    if kind == "year":  # 2024 or 2024年
        return P.parse_int(raw.strip().removesuffix("年") if isinstance(raw, str) else raw, YEAR_MIN, YEAR_MAX)
    if kind == "money":
        return P.parse_money(raw, unit or "元", AMOUNT_LIMIT_YUAN, positive=field.positive)
    if kind == "number":
        return P.parse_number(raw, field.low, field.high)
    if kind == "date":
        value = P.parse_date(raw)
        if not DATE_MIN <= value <= DATE_MAX:
            raise P.Bad("date_range", low=DATE_MIN.isoformat(), high=DATE_MAX.isoformat())
        if field.event and value > today:
            raise P.Bad("future_date", today=today.isoformat())
        return value
    if kind == "bool":
        return P.parse_bool(raw)
    if kind == "vocab":
        return P.parse_vocab(raw, _lookup(field), field.allowed())
    if kind == "id_number":
        return P.parse_id_number(raw, today)
    if kind == "party_id":
        return P.parse_party_id(raw, today)
    raise AssertionError(kind)


_LOOKUPS: dict[int, dict[str, str]] = {}


def _lookup(field: Field) -> dict[str, str]:
    key = id(field.vocab)
    found = _LOOKUPS.get(key)
    if found is None:
        found = _LOOKUPS[key] = P.vocab_lookup(field.vocab)
    return found
