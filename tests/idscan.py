"""A scanner for resident ID numbers (GB 11643-1999) in anything the application hands out: pages,
websocket messages, CSV and XLSX exports, logs.

:func:`find_ids` returns every substring that is a *valid* 18-character ID number: 17 digits and the
ISO 7064 MOD 11-2 check character (``0-9`` or ``X``, either case), a province digit ``1-8`` and a real
birth date between 1900 and today.  Every 18-character window of a longer run of digits is tried, so
a number glued to other digits (``3607311001020001360731199001011234``) is found as well.  A masked
number (``360***********1234``) is not an ID number and is not found.

Bytes are read as what they are: an XLSX (any ZIP) is opened and every member scanned, text is
decoded as UTF-8 (BOM or not), UTF-16 with a BOM, or GB18030.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable

from fundwatch.data.imports.identity import is_valid_id

#: A run of digits, possibly ending in the check character X, long enough to hold an ID number.
_RUN = re.compile(r"\d{17,}[Xx]?")


def _text(data: str | bytes) -> Iterable[str]:
    if isinstance(data, str):
        yield data
        return
    if data[:4] == b"PK\x03\x04":  # XLSX and other ZIP containers: every member
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                yield from _text(archive.read(name))
        return
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        yield data.decode("utf-16", errors="replace")
        return
    try:
        yield data.decode("utf-8-sig")
    except UnicodeDecodeError:
        yield data.decode("gb18030", errors="replace")


def _candidates(run: str) -> Iterable[str]:
    run = run.upper()
    for start in range(len(run) - 17):
        window = run[start:start + 18]
        if "X" not in window[:17]:
            yield window


def find_ids(data: str | bytes, today: dt.date | None = None) -> list[str]:
    """Every valid 18-character ID number in ``data`` (in order of appearance, repeats kept)."""
    today = today or dt.date.today()
    found = []
    for text in _text(data):
        for run in _RUN.findall(text):
            found += [c for c in _candidates(run) if c[0] in "12345678" and is_valid_id(c, today)]
    return found


def find_ids_in(items: Iterable[str | bytes], today: dt.date | None = None) -> list[str]:
    """:func:`find_ids` over several texts or byte strings (websocket frames, files, logs)."""
    return [number for item in items for number in find_ids(item, today)]


MASKED_ID = re.compile(r"\d{3}\*{11}[\dX]{4}")


def masked_ids(text: str) -> list[str]:
    """ID numbers as :func:`fundwatch.data.masking.mask_id` shows them (3 + 11 stars + 4)."""
    return MASKED_ID.findall(text)
