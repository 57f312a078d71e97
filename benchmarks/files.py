"""Valid import files generated from a demo database, for the import benchmark and tests."""

from __future__ import annotations

import csv
import io

import numpy as np
from sqlalchemy import Engine

from fundwatch.data.imports import KINDS
from fundwatch.data.imports.identity import id_check_char
from fundwatch.data.reads import regions_frame
from fundwatch.data.scope import Scope


def id_number(area: str, birth: str, sequence: int) -> str:
    """A valid 18-digit ID number (GB 11643) for area code, birth date YYYYMMDD and a sequence."""
    first17 = f"{area[:6]}{birth}{sequence % 1000:03d}"
    return first17 + id_check_char(first17)


def households_csv(engine: Engine, rows: int, *, county: str | None = None, prefix: str = "T",
                   seed: int = 7) -> bytes:
    """``rows`` new households (codes ``prefix``000001 ...) in the villages of ``county`` (or of
    every county) as a UTF-8 CSV with the template's Chinese headers."""
    rng = np.random.default_rng(seed)
    scope = Scope.all() if county is None else Scope.county(county)
    villages = regions_frame(engine, scope, level="village")
    pick = villages.iloc[rng.integers(0, len(villages), rows)]
    spec = KINDS["households"]
    headers = [spec.field(n).header("zh") for n in ("code", "county", "township", "village", "head_name", "head_id_no",
                                                    "members", "income_year", "income_per_capita")]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    for i, (village, township, county_code) in enumerate(zip(pick["code"], pick["parent_code"], pick["county_code"],
                                                             strict=True)):
        birth = f"{1950 + i % 50}{1 + i % 12:02d}{1 + i % 28:02d}"
        writer.writerow([f"{prefix}{i + 1:06d}", county_code, township, village, f"测试户{i + 1}",
                         id_number(county_code if county_code.isdigit() else "360702", birth, i), 1 + i % 6, 2025, f"{9000 + i % 5000}.50"])
    return out.getvalue().encode("utf-8")


def csv_to_xlsx(content: bytes) -> bytes:
    """The same table as an XLSX workbook (every cell text, as a county typing into a template)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    for row in csv.reader(io.StringIO(content.decode("utf-8"))):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
