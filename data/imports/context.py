"""What validation needs from the database, read once per import: regions and referenced records.

The :class:`Context` resolves region columns (code or name, at the right level, inside the right
parent, inside the importer's scope) and references (a project by its code, a household by its
code ...), and collects every :class:`~.problems.Problem` with the row and header the uploader
sees.  It only reads; all of it happens inside the import's transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, select

from .. import vocab as V
from ..models import Region
from ..scope import Scope
from .fields import Field
from .problems import Problem, shown

#: Values per ``IN (...)`` list when looking records up by key.
IN_CHUNK = 900

LEVEL_WORDS = {level: {"zh": term.zh, "en": term.en.lower()} for level, term in V.REGION_LEVELS.items()}
_CODE = re.compile(r"\d{6}(\d{3}(\d{3})?)?|ZONE-[A-Z0-9-]+", re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: str
    parent: str | None
    county: str | None


class Record(dict):
    """One data row: parsed values by field name (only the columns the file has), with the row
    number (``row``) and the raw cells (``raw``) for messages.  ``bad`` once a cell failed."""

    def __init__(self, row: int) -> None:
        super().__init__()
        self.row = row
        self.raw: dict[str, Any] = {}
        self.bad = False

    def written(self, name: str) -> bool:
        """Whether the row's cell of ``name`` is filled in, readable or not: a rule about blank
        cells must not fire again for a cell already reported as unreadable."""
        return name in self.raw


class Context:
    """Lookups and problem collection for one import (see the module docstring)."""

    def __init__(self, conn: Connection, scope: Scope, today: dt.date, headers: dict[str, str]) -> None:
        self.conn = conn
        self.scope = scope
        self.today = today
        self.headers = headers  # field name -> header as written in the file
        self.problems: list[Problem] = []
        self._places: dict[str, Place] | None = None
        self._by_name: dict[tuple[str, str], list[Place]] = {}

    # -- problems ------------------------------------------------------------------------------

    def error(self, rule: str, record: Record | None, field: Field | str | None, value: Any = None,
              **params: Any) -> None:
        name = field.name if isinstance(field, Field) else field
        column = self.headers.get(name, name) if name else None
        if value is None and record is not None and name:
            value = record.raw.get(name)
        self.problems.append(Problem(rule, record.row if record is not None else None, column, shown(value),
                                     params))
        if record is not None:
            record.bad = True

    # -- regions -------------------------------------------------------------------------------

    def places(self) -> dict[str, Place]:
        if self._places is None:
            r = Region.__table__
            rows = self.conn.execute(select(r.c.code, r.c.name, r.c.level, r.c.parent_code, r.c.county_code)).all()
            self._places = {row.code: Place(*row) for row in rows}
            by_name: dict[tuple[str, str], list[Place]] = defaultdict(list)
            for place in self._places.values():
                by_name[(place.level, place.name)].append(place)
                if place.level == "county" and len(place.name) > 2 and place.name[-1] in "县区市":
                    by_name[(place.level, place.name[:-1])].append(place)  # 于都 for 于都县
            self._by_name = dict(by_name)
        return self._places

    def place_name(self, code: str | None) -> str:
        place = self.places().get(code or "")
        return place.name if place else (code or "")

    def region(self, record: Record, field: Field, level: str, parent: str | None = None) -> str | None:
        """The code of the ``level`` region named in ``record[field]`` (code or name), inside
        ``parent`` when given; None (with a problem recorded) if it cannot be resolved."""
        text = record.get(field.name)
        if text is None:
            return None
        places = self.places()
        words = LEVEL_WORDS[level]
        if _CODE.fullmatch(text):
            place = places.get(text.upper() if text.lower().startswith("zone") else text)
            if place is None:
                self.error("unknown_region", record, field, level=words)
                return None
        else:
            found = self._by_name.get((level, text), [])
            if parent is not None and len(found) > 1:
                inside = [p for p in found if parent in (p.parent, p.county)]
                found = inside or found[:1]  # none inside: the name exists, but elsewhere
            if not found:
                self.error("unknown_region", record, field, level=words)
                return None
            if len(found) > 1:
                self.error("ambiguous_region", record, field, level=words,
                           codes="、".join(p.code for p in found[:5]))
                return None
            place = found[0]
        if place.level != level:
            self.error("wrong_level", record, field, level=words, actual=LEVEL_WORDS[place.level])
            return None
        if parent is not None and parent not in (place.parent, place.county):
            self.error("region_mismatch", record, field, parent=self.place_name(parent))
            return None
        return place.code

    def county(self, record: Record, field: Field) -> str | None:
        """The county-level unit of ``record[field]``, which must lie inside the scope."""
        code = self.region(record, field, "county")
        if code is not None and not self.in_scope(record, field, code):
            return None
        return code

    def in_scope(self, record: Record, field: Field | str, county: str) -> bool:
        if self.scope.allows(county):
            return True
        counties = sorted(self.scope.counties or ())
        mine = "、".join(self.place_name(c) for c in counties) or {"zh": "（无）", "en": "(none)"}
        self.error("out_of_scope", record, field, county=self.place_name(county), scope=mine)
        return False

    # -- references ------------------------------------------------------------------------------

    def fetch(self, table: Table, column: str, values: Iterable[Any], columns: Sequence[str]) -> list[Any]:
        """Rows of ``table`` whose ``column`` is one of ``values`` (looked up in chunks)."""
        wanted = sorted({v for v in values if v is not None})
        picked = [table.c[c] for c in columns]
        out: list[Any] = []
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start:start + IN_CHUNK]
            out.extend(self.conn.execute(select(*picked).where(table.c[column].in_(chunk))).all())
        return out
