"""Masking of personal data (names, ID numbers) and suppression of small counts, before any
frame leaves ``data``.

Names keep the surname and hide the rest (张三丰 -> 张*; compound surnames such as 欧阳 keep
both characters); ID numbers keep the first 3 and last 4 characters (DOMAIN.md, Households).
Under small-count suppression (an embed viewer's scope) a count of 1 to 4 households reads
``"<5"`` (:func:`suppress_small_counts`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

# Two-character surnames common enough to matter in a Jiangxi register.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 闻人 万俟".split()
)


def mask_name(name: str | None) -> str | None:
    """Surname + ``*``; a name of one character becomes ``*``."""
    if name is None or (isinstance(name, float) and pd.isna(name)):
        return None
    name = str(name).strip()
    if not name:
        return name
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]
    if len(name) <= len(surname):
        return "*"
    return surname + "*"


def mask_id(id_no: str | None) -> str | None:
    """First 3 and last 4 characters kept, the rest replaced by ``*`` (same length)."""
    if id_no is None or (isinstance(id_no, float) and pd.isna(id_no)):
        return None
    id_no = str(id_no).strip()
    if len(id_no) <= 7:
        return "*" * len(id_no)
    return id_no[:3] + "*" * (len(id_no) - 7) + id_no[-4:]


def mask_frame(frame: pd.DataFrame, *, names: tuple[str, ...] = (), ids: tuple[str, ...] = ()) -> pd.DataFrame:
    """A copy of ``frame`` with the given name and ID-number columns masked."""
    out = frame.copy()
    for column in names:
        if column in out:
            out[column] = out[column].map(mask_name, na_action="ignore")
    for column in ids:
        if column in out:
            out[column] = out[column].map(mask_id, na_action="ignore")
    return out


# -- small counts --------------------------------------------------------------------------------
#
# An embed viewer's scope (Scope.suppress_small) sees a count of 1 to 4 households as "<5": a
# figure that small can point at a family.  0 stays 0: it says that nobody is there, which
# points at nobody.  Suppression is primary (cell by cell); the totals below are computed from the
# suppressed cells only, so they never reveal what a cell hides.  Two tabulations of the same
# households (per county and per category, say) shown side by side can still narrow a hidden cell
# down by subtraction when a margin has exactly one hidden cell: secondary suppression across
# tables is not done.

#: Counts below this are suppressed.
SMALL_COUNT = 5
#: What a suppressed count shows (in every language: it is a number).
SUPPRESSED = "<5"


def is_suppressed(value: object) -> bool:
    """Whether ``value`` is a suppressed count (``"<5"``)."""
    return isinstance(value, str) and value == SUPPRESSED


def suppress_count(value: object, threshold: int = SMALL_COUNT) -> object:
    """``value`` as shown under small-count suppression: 1 to ``threshold - 1`` becomes ``"<5"``;
    0, larger counts, missing values and text (an already suppressed count) stay as they are."""
    if value is None or isinstance(value, str | bool):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    if math.isnan(number) or not 0 < number < threshold:
        return value
    return SUPPRESSED


def suppress_small_counts(frame: pd.DataFrame, columns: Iterable[str], threshold: int = SMALL_COUNT, *,
                          follow: Iterable[str] = (), blank: Iterable[str] = ()) -> pd.DataFrame:
    """A copy of ``frame`` whose household counts in ``columns`` of 1 to ``threshold - 1`` read
    ``"<5"``.  ``follow`` and ``blank`` name columns that describe the same households: in a row
    where any of ``columns`` is suppressed, a ``follow`` column (a count: their members, the
    measures they received) reads ``"<5"`` too and a ``blank`` column (an amount or a share
    worked out from them) becomes NaN.  A column that holds a suppressed count becomes an object
    column of ints and ``"<5"``; the others keep their dtype.  Columns the frame does not have are
    skipped."""
    out = frame.copy()
    hidden = pd.Series(False, index=out.index)
    for column in (c for c in columns if c in out):
        small = out[column].map(lambda v: is_suppressed(suppress_count(v, threshold))).astype(bool)
        hidden |= small
        if small.any():
            out[column] = _with_text(out[column], small)
    if hidden.any():
        for column in (c for c in follow if c in out):
            out[column] = _with_text(out[column], hidden)
        for column in (c for c in blank if c in out):
            out[column] = out[column].astype("float64").where(~hidden)
    return out


def _with_text(values: pd.Series, hide: pd.Series) -> pd.Series:
    kept = values.astype(object).map(lambda v: int(v) if isinstance(v, int | np.integer) else v)
    return kept.where(~hide, SUPPRESSED).astype(object)


def count_column(values: pd.Series) -> pd.Series:
    """Counts as ints, missing ones 0, a suppressed one kept as ``"<5"``: an int64 column, or an
    object column when it holds ``"<5"``."""
    return pd.Series(count_array(values), index=values.index)


def count_array(values: Iterable[object]) -> np.ndarray:
    """:func:`count_column`'s values as an array: int64, or object when one is ``"<5"``."""
    out = [v if isinstance(v, str) else 0 if pd.isna(v) else int(v) for v in values]
    return np.array(out, dtype=object if any(isinstance(v, str) for v in out) else "int64")


def count_bounds(values: Iterable[object], threshold: int = SMALL_COUNT) -> tuple[int, int]:
    """The least and the most the counts ``values`` can add up to: a suppressed count is
    anything from 1 to ``threshold - 1``; missing values count 0."""
    low = high = 0
    for value in values:
        if is_suppressed(value):
            low += 1
            high += threshold - 1
        elif value is not None and not (isinstance(value, float) and math.isnan(value)):
            low += int(value)
            high += int(value)
    return low, high


def count_total(values: Iterable[object], threshold: int = SMALL_COUNT) -> int | str:
    """The sum of counts some of which may be suppressed, worked out from what they show: an
    int when none is suppressed (or the sum is certain), ``"<5"`` when the sum can only be 1 to
    ``threshold - 1``, else the range it lies in (``"12–24"``).  It never says more than the
    counts themselves, so a total beside its parts cannot uncover a suppressed part."""
    low, high = count_bounds(values, threshold)
    if low == high:
        return low
    if 0 < low and high < threshold:
        return SUPPRESSED
    return f"{low}–{high}"
