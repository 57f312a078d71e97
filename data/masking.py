"""Masking of personal data (names, ID numbers) before any frame leaves ``data``.

Names keep the surname and hide the rest (张三丰 -> 张*; compound surnames such as 欧阳 keep
both characters); ID numbers keep the first 3 and last 4 characters (DOMAIN.md, Households).
"""

from __future__ import annotations

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
