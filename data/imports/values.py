"""Cell parsers: one raw spreadsheet cell in, one typed value out, or :class:`Bad` with the rule.

Raw cells are what :mod:`.reading` delivers: text from a CSV; text, numbers, booleans, dates and
datetimes from an XLSX.  Every parser treats full-width digits and punctuation as their ASCII
forms (Unicode NFKC) where a number, date or code is expected; free text is kept as written.
A blank cell (empty or only spaces) is ``None`` here; whether that is allowed is the caller's rule.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from .identity import BIRTH_MIN, ID_PATTERN, USCC_PATTERN, id_birth_date, id_check_char, is_born, is_valid_uscc

#: The Excel 1900 date system's day zero (serial 1 = 1900-01-01, counting Lotus's 1900-02-29).
EXCEL_EPOCH = dt.date(1899, 12, 30)
#: Serial numbers accepted as dates in a date column: 1954-09-20 to 2119-01-10.
SERIAL_RANGE = (20_000, 80_000)
#: Digits Excel keeps of a number: a longer code typed into a number cell has lost digits.
EXCEL_DIGITS = 15
#: Text that a spreadsheet would run as a formula when the exported data is opened again.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
WHITESPACE = " \t\r\n\u3000\xa0\u200b\ufeff"
#: Spaces inside a code or number.  Patterns compiled once: a 50,000-row file asks them 650,000
#: times, and ``re``'s own cache costs a look-up each time.
_SPACES = re.compile(r"\s+")
#: A code or ID number Excel turned into a number shown in scientific notation (``3.6E+17``).
_SCIENTIFIC = re.compile(r"\d(\.\d+)?E\+?\d+", re.IGNORECASE)


class Bad(Exception):
    """A cell that cannot be used: ``rule`` names the :data:`~.problems.RULES` entry."""

    def __init__(self, rule: str, **params: Any) -> None:
        super().__init__(rule)
        self.rule = rule
        self.params = params


class Neutralised(str):
    """Text that began like a formula and was prefixed with ``'`` (the caller adds a notice)."""


def is_blank(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    return isinstance(raw, str) and not raw.strip(WHITESPACE)


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip(WHITESPACE)


# -- text -----------------------------------------------------------------------------------------


def neutralise(text: str) -> str:
    """``text`` made harmless for spreadsheets: a leading ``= + - @`` (or tab, CR) gets a ``'``."""
    return Neutralised("'" + text) if text.startswith(FORMULA_PREFIXES) else text


def parse_text(raw: Any, limit: int) -> str:
    """Free text (names, notes, document numbers): kept as written, trimmed, formulas neutralised."""
    if isinstance(raw, bool):
        raw = "是" if raw else "否"
    text = raw if isinstance(raw, str) else _number_text(raw)
    text = text.strip(WHITESPACE)
    text = neutralise(text)
    if len(text) > limit:
        raise Bad("too_long", limit=limit)
    return text


def _number_text(raw: Any) -> str:
    """A number typed into a text or code column, as text; Bad if Excel has already cut digits."""
    if isinstance(raw, int):
        if len(str(abs(raw))) > EXCEL_DIGITS:
            raise Bad("number_as_text")
        return str(raw)
    if isinstance(raw, float):
        if raw.is_integer():
            if abs(raw) >= 10 ** EXCEL_DIGITS:
                raise Bad("number_as_text")
            return str(int(raw))
        return repr(raw)
    if isinstance(raw, dt.datetime | dt.date):
        return raw.isoformat()[:10]
    return str(raw)


def parse_code(raw: Any, limit: int) -> str:
    """An identifier (project, contract, voucher, household, asset code): NFKC, no inner spaces."""
    text = raw if isinstance(raw, str) else _number_text(raw)
    text = _SPACES.sub("", _nfkc(text))
    if isinstance(raw, str) and _SCIENTIFIC.fullmatch(text):
        raise Bad("number_as_text")
    text = neutralise(text)
    if len(text) > limit:
        raise Bad("too_long", limit=limit)
    return text


# -- numbers --------------------------------------------------------------------------------------

_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?", re.IGNORECASE)


def parse_decimal(raw: Any) -> Decimal:
    """A number: XLSX numbers exactly as shown (shortest round-trip form of the float), text with
    thousands separators, full-width digits, ``¥``/``元``/``%`` marks, or accounting brackets."""
    if isinstance(raw, bool):
        raise Bad("not_a_number")
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise Bad("not_a_number")
        return Decimal(repr(raw))
    if not isinstance(raw, str):
        raise Bad("not_a_number")
    text = _SPACES.sub("", _nfkc(raw))
    if text.startswith("="):
        raise Bad("formula_cell")
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    text = text.lstrip("¥$").removesuffix("万元").removesuffix("元").removesuffix("%")
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    if not _PLAIN.fullmatch(text):
        raise Bad("not_a_number")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise Bad("not_a_number") from None
    return -number if negative else number


def parse_int(raw: Any, low: int | None = None, high: int | None = None) -> int:
    number = parse_decimal(raw)
    if number != number.to_integral_value():
        raise Bad("not_an_integer")
    value = int(number)
    if (low is not None and value < low) or (high is not None and value > high):
        raise Bad("out_of_range", low=low, high=high)
    return value


def parse_number(raw: Any, low: Decimal | None = None, high: Decimal | None = None) -> Decimal:
    number = parse_decimal(raw)
    if (low is not None and number < low) or (high is not None and number > high):
        raise Bad("out_of_range", low=low, high=high)
    return number


#: Yuan per unit of amount: amounts are stored as integer fen.
UNITS = {"元": 1, "万元": 10_000}
UNIT_WORDS = {"元": "元", "yuan": "元", "rmb": "元", "cny": "元", "万元": "万元", "万": "万元",
              "10kyuan": "万元", "10k yuan": "万元", "wan": "万元", "ten thousand yuan": "万元"}


def parse_money(raw: Any, unit: str, limit_yuan: int, *, positive: bool = False) -> int:
    """An amount in ``unit`` (元 or 万元) as integer fen; exact to the fen, never negative.  A cell
    that names its own unit (``12.5万元``, ``300元``) is read in that unit."""
    number = parse_decimal(raw)
    if isinstance(raw, str):
        text = _nfkc(raw)
        unit = "万元" if text.endswith("万元") else "元" if text.endswith("元") else unit
    if number < 0:
        raise Bad("negative")
    if positive and number == 0:
        raise Bad("not_positive")
    fen = number * UNITS[unit] * 100
    if fen != fen.to_integral_value():
        raise Bad("precision", unit=unit)
    if fen > limit_yuan * 100:
        raise Bad("implausible_amount", limit={"zh": f"{limit_yuan // 100_000_000} 亿元",
                                               "en": f"{limit_yuan:,} yuan"})
    return int(fen)


# -- dates ----------------------------------------------------------------------------------------

_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL = re.compile(r"\d{5}(\.\d+)?")


def from_serial(serial: float) -> dt.date:
    low, high = SERIAL_RANGE
    if not low <= serial <= high:
        raise Bad("not_a_date")
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def parse_date(raw: Any) -> dt.date:
    """A date: an XLSX date, an Excel serial number, or text as 2020-03-31, 2020/3/31, 2020.3.31,
    2020年3月31日 or 20200331 (a time after the date is ignored)."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, bool):
        raise Bad("not_a_date")
    if isinstance(raw, int | float):
        if isinstance(raw, int) and 19000101 <= raw <= 21001231:
            return parse_date(str(raw))
        return from_serial(raw)
    if not isinstance(raw, str):
        raise Bad("not_a_date")
    text = _nfkc(raw)
    match = _YMD.fullmatch(text) or _COMPACT.fullmatch(text)
    if match:
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise Bad("not_a_date") from None
    if _SERIAL.fullmatch(text):
        return from_serial(float(text))
    raise Bad("not_a_date")


# -- yes/no, vocabularies -------------------------------------------------------------------------

_TRUE = {"是", "y", "yes", "true", "t", "1", "√", "✓", "有", "对"}
_FALSE = {"否", "n", "no", "false", "f", "0", "×", "✗", "无", "不是"}


def parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    text = _nfkc(str(raw)).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Bad("not_a_bool")


def vocab_lookup(vocab: Mapping[str, Any]) -> dict[str, str]:
    """Every accepted spelling of a vocabulary's terms (code, Chinese and English label) -> code."""
    out: dict[str, str] = {}
    for code, term in vocab.items():
        for spelling in (code, term.zh, term.en):
            out[_nfkc(spelling).lower()] = code
    return out


def parse_vocab(raw: Any, lookup: Mapping[str, str], allowed: Mapping[str, str]) -> str:
    """A term of a controlled vocabulary, given by code or label; ``allowed`` is the list shown."""
    code = lookup.get(_nfkc(str(raw)).lower())
    if code is None:
        raise Bad("unknown_code", allowed=allowed)
    return code


# -- identity numbers -----------------------------------------------------------------------------


def _id_text(raw: Any) -> str:
    if isinstance(raw, bool):
        raise Bad("id_format")
    if isinstance(raw, int | float):
        raise Bad("id_as_number")  # a number cell: Excel keeps 15 significant digits
    text = _SPACES.sub("", _nfkc(str(raw))).upper()
    if _SCIENTIFIC.fullmatch(text):
        raise Bad("id_as_number")
    return text


def parse_id_number(raw: Any, today: dt.date) -> str:
    """An 18-character resident ID number (GB 11643) with a real birth date and the right check
    character; Excel's damage (numbers, ``3.6E+17``, a trailing ``000``) is named as such."""
    text = _id_text(raw)
    if len(text) != 18:
        if text.isdigit() or text[:-1].isdigit():
            raise Bad("id_length", length=len(text))
        raise Bad("id_format")
    if not ID_PATTERN.fullmatch(text):
        raise Bad("id_format")
    birth = id_birth_date(text)
    if birth is None or not BIRTH_MIN <= birth <= today:
        raise Bad("id_birthdate", birth=f"{text[6:10]}-{text[10:12]}-{text[12:14]}")
    expected = id_check_char(text[:17])
    if text[17] != expected:
        if text.endswith("000"):
            raise Bad("id_truncated")
        raise Bad("id_checksum", expected=expected)
    return text


def parse_party_id(raw: Any, today: dt.date) -> str:
    """A borrower's identifier: a resident ID number or a unified social credit code (GB 32100).
    Digits that pass both checks are an ID number when they carry a plausible birth date."""
    text = _id_text(raw)
    if is_valid_uscc(text) and not is_born(text, today):
        return text  # a credit code, perhaps all digits whose "birth date" cannot be one
    if len(text) == 18 and USCC_PATTERN.fullmatch(text) and not ID_PATTERN.fullmatch(text):
        raise Bad("credit_code")
    return parse_id_number(text, today)
