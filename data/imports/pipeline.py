"""Running an import: read, validate everything in one pass, then load all of it or nothing.

:func:`run_import` is the one entry point (the CLI, the upload page and the tests call it):

1. **Read** the file (:mod:`.reading`); a file that cannot be read is rejected at once.
2. **Find the header** in the first rows (a title row and a ``单位：万元`` row may sit above it),
   match the columns to the template's fields, and settle each money column's unit.
3. **Parse** every cell (:mod:`.fields`), then **check** what needs the database: regions,
   references, the importer's scope, cross-column rules, duplicate keys inside the file, and codes
   that already belong to another county (:mod:`.kinds`).  Every problem is collected; nothing
   stops at the first.
4. **Compare** with the database on the table's natural key: new rows are inserted, rows that
   differ are updated, identical rows are left alone, nothing is deleted.  Re-importing a file
   therefore changes nothing.
5. **Load** in one transaction with an ``import_batch`` row and the ``audit_log`` row, or, on any
   error or a dry run, roll everything back and write only the audit row.  A process killed
   mid-load leaves nothing behind: the transaction never committed.

The report (:class:`ImportReport`) says what was read, every problem with its row and column, and
what changed (or would change, for a dry run).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, Float, and_, bindparam, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from .. import generation, summaries
from ..bulk import bulk_insert
from ..db import refresh_statistics, writer
from ..models import AuditEntry, Base, FindingSnapshot, ImportBatch, Score
from ..models import Rubric as RubricRow
from ..scope import Scope, require_scope
from . import reading
from . import values as P
from .context import Context, Record
from .fields import Field, normalise_header, parse_cell
from .kinds import KINDS, Kind
from .problems import Problem, shown
from .reading import FileRejected, Sheet, read_sheet
from .templates import example_values

log = logging.getLogger(__name__)

#: Rows scanned for the header row.
HEADER_SCAN = 15
#: Rows written per statement batch (progress is reported after each).
WRITE_CHUNK = 5_000
#: Changes listed in a report (the counts are always complete).
CHANGES_LISTED = 1_000
_TOTAL_WORDS = ("合计", "总计", "小计", "total")
_UNIT_ROW = re.compile(r"(单位|unit)\s*[:：]?\s*(万元|元|yuan|10k ?yuan)", re.IGNORECASE)

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Change:
    """One row an import inserts or updates: its row in the file, its key, the columns changed."""

    row: int
    action: str
    key: str
    columns: tuple[str, ...] = ()


@dataclass
class ImportReport:
    """What an import read, found and changed (see the module docstring)."""

    kind: str
    file_name: str
    sha256: str
    size: int
    actor: str
    scope: str
    dry_run: bool
    result: str = "rejected"  # accepted, unchanged, dry_run, rejected
    rows_read: int = 0
    rows_rejected: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    batch_id: int | None = None
    previous: dict[str, Any] | None = None
    duration_s: float = 0.0
    columns: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.result != "rejected"

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def notices(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def rows_accepted(self) -> int:
        return self.rows_read - self.rows_rejected

    def problems_frame(self, lang: str = "zh") -> pd.DataFrame:
        """Every problem as a table: row, column, value, rule, severity, title, message."""
        columns = ["row", "column", "value", "rule", "severity", "title", "message"]
        records = [p.as_dict(lang) for p in self.problems]
        frame = pd.DataFrame.from_records(records, columns=columns)
        frame["row"] = frame["row"].astype("Int64")
        return frame

    def changes_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"row": c.row, "action": c.action, "key": c.key, "columns": ", ".join(c.columns)}
                             for c in self.changes], columns=["row", "action", "key", "columns"])

    def summary(self, lang: str = "zh") -> str:
        """One line saying what happened, in the uploader's language."""
        kind = KINDS[self.kind].title(lang) if self.kind in KINDS else self.kind
        if lang == "en":
            if self.result == "rejected" and not self.rows_read:
                return f"{kind}: the file cannot be used ({self.errors[0].title('en')}); nothing was written."
            if self.result == "rejected":
                return (f"{kind}: rejected, {len(self.errors)} problem(s) in {self.rows_rejected} of "
                        f"{self.rows_read} rows; nothing was written.")
            verb = {"dry_run": "would insert", "accepted": "inserted", "unchanged": "inserted"}[self.result]
            line = (f"{kind}: {self.rows_read} rows read; {verb} {self.inserted}, "
                    f"{'would update' if self.dry_run else 'updated'} {self.updated}, unchanged {self.unchanged}.")
            if self.previous:
                line += f" This file was already imported on {_local(self.previous['at']):%Y-%m-%d %H:%M}."
            return line
        if self.result == "rejected" and not self.rows_read:
            return f"{kind}：文件无法导入（{self.errors[0].title('zh')}），数据库未作任何改动。"
        if self.result == "rejected":
            return f"{kind}：未导入。{self.rows_read} 行中有 {self.rows_rejected} 行存在 {len(self.errors)} 个问题，数据库未作任何改动。"
        prefix = "检查通过（试导入，未写入）" if self.dry_run else ("已导入" if self.result == "accepted" else "无需导入")
        line = (f"{kind}：{prefix}。读取 {self.rows_read} 行，"
                f"{'将' if self.dry_run else ''}新增 {self.inserted} 行、{'将' if self.dry_run else ''}更新 {self.updated} 行、"
                f"未变 {self.unchanged} 行。")
        if self.previous:
            line += f"此文件已于 {_local(self.previous['at']):%Y-%m-%d %H:%M} 导入过。"
        return line

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        """A flat summary with stable snake_case keys (the CLI's JSON, the audit row)."""
        return {"kind": self.kind, "file_name": self.file_name, "sha256": self.sha256, "size": self.size,
                "result": self.result, "dry_run": self.dry_run, "rows_read": self.rows_read,
                "rows_accepted": self.rows_accepted, "rows_rejected": self.rows_rejected,
                "inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged,
                "errors": len(self.errors), "notices": len(self.notices), "batch_id": self.batch_id,
                "duration_s": round(self.duration_s, 3), "summary": self.summary(lang)}


def _local(at: dt.datetime) -> dt.datetime:
    """A stored time in the server's local time (SQLite returns UTC without a zone)."""
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone()


class _Rejected(Exception):
    """Leaves the transaction so that it rolls back."""


def run_import(engine: Engine, kind: str, content: bytes, file_name: str, *, actor: str, scope: Scope,
               dry_run: bool = False, sheet: str | None = None, today: dt.date | None = None,
               progress: Progress | None = None) -> ImportReport:
    """Validate ``content`` (the bytes of ``file_name``) as a ``kind`` file and load it all or not
    at all (see the module docstring).  ``scope`` limits the counties the file may touch; a row of
    any other county is an error.  Always writes one ``audit_log`` row; never raises for a bad
    file, only for a bad call (unknown kind, no scope, no actor) or an unreachable database."""
    require_scope(scope)
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}; one of {', '.join(KINDS)}")
    if not isinstance(actor, str) or not actor.strip():
        raise ValueError("an import needs the actor's name")
    started = time.perf_counter()
    spec = KINDS[kind]
    report = ImportReport(kind, _file_name(file_name), hashlib.sha256(content).hexdigest(), len(content),
                          actor.strip()[:64], scope.key, dry_run)
    today = today or dt.date.today()
    tell = progress or (lambda stage, done, total: None)
    try:
        tell("read", 0, 1)
        parsed = _parse(spec, read_sheet(content, file_name, sheet), today, report, tell)
    except FileRejected as exc:
        report.problems.append(exc.problem)
        parsed = None
    if parsed is not None:
        try:
            with writer(engine).begin() as conn:
                _check_and_load(conn, spec, parsed, report, scope, today, dry_run, tell, started)
        except _Rejected:
            pass
        except (IntegrityError, OperationalError) as exc:
            # a concurrent import took a key between check and load, or held the database too long
            report.problems.append(Problem("database", params={"reason": _db_reason(exc)}))
            report.result = "rejected"
    if report.result == "accepted" and report.inserted:
        # After the commit, outside the import's transaction: the import stands whatever this does.
        try:
            refresh_statistics(engine, spec.table.name, summaries.summaries_of(spec.table.name))
        except OperationalError:  # another writer held the database: the next import tries again
            log.warning("planner statistics not refreshed after import batch %s", report.batch_id, exc_info=True)
    report.duration_s = time.perf_counter() - started
    report.problems.sort(key=lambda p: (p.row or 0, not p.is_error))
    if report.result == "rejected":
        report.inserted = report.updated = report.unchanged = 0
        report.changes = []
    if report.result != "accepted":  # accepted imports wrote their audit row in the transaction
        with writer(engine).begin() as conn:
            conn.execute(insert(AuditEntry), [_audit_row(report, scope)])
    tell("done", 1, 1)
    return report


def data_version(engine: Engine) -> int:
    """The id of the latest import batch (0 if none): changes whenever an import wrote data, in any
    process, so servers can tell their cached reads are stale."""
    with engine.connect() as conn:
        return _latest_batch(conn)


def data_state(engine: Engine) -> tuple[int, int]:
    """:func:`data_version` and the data generation (:mod:`fundwatch.data.generation`, moved by any
    write to the tables the pages read), on one connection: what a served page's read caches
    follow."""
    with engine.connect() as conn:
        return _latest_batch(conn), generation.current(conn)


def _latest_batch(conn) -> int:
    return conn.execute(select(func.coalesce(func.max(ImportBatch.id), 0))).scalar_one()


def import_audit_frame(engine: Engine, scope: Scope, *, after_id: int = 0) -> pd.DataFrame:
    """The audit rows of import attempts with an id above ``after_id``, oldest first: ``id``, ``at``,
    ``actor``, ``target`` (kind:file), ``county_code`` (a county-scoped importer's), ``result`` and
    ``detail`` (the report's summary).  A county scope sees its own county's attempts."""
    require_scope(scope)
    a = AuditEntry.__table__
    columns = ["id", "at", "actor", "target", "county_code", "result", "detail"]
    stmt = (select(*(a.c[c] for c in columns))
            .where(a.c.action == "import", a.c.id > after_id, scope.clause(a.c.county_code)).order_by(a.c.id))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def table_digest(engine: Engine, tables: Iterable[str] | None = None) -> dict[str, tuple[int, str]]:
    """``{table: (rows, digest)}`` for every table but ``audit_log`` and the kept findings
    (``finding_snapshot``, a cache any read may fill) (or for ``tables``).  The digest adds up a
    hash of each row, so it does not depend on the order rows come back in: two equal results
    mean nothing was written in between (what a rejected import must leave)."""
    skipped = {AuditEntry.__tablename__, FindingSnapshot.__tablename__}
    names = list(tables) if tables is not None else [t.name for t in Base.metadata.sorted_tables
                                                      if t.name not in skipped]
    out: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        for name in names:
            count, total = 0, 0
            for row in conn.execute(select(Base.metadata.tables[name])):
                digest = hashlib.blake2b(repr(tuple(row)).encode(), digest_size=16).digest()
                total += int.from_bytes(digest, "big")
                count += 1
            out[name] = (count, f"{total % (1 << 128):032x}")
    return out


def _file_name(name: str) -> str:
    base = re.split(r"[\\/]", name or "")[-1].strip() or "upload"
    return base[-200:]


def _db_reason(exc: DBAPIError) -> str:
    text = str(getattr(exc, "orig", exc)).strip().splitlines()
    return text[0] if text else type(exc).__name__


# --------------------------------------------------------------------------------------------
# Header and cells
# --------------------------------------------------------------------------------------------


@dataclass
class _Parsed:
    records: list[Record]
    headers: dict[str, str]
    units: dict[str, str]


def _spellings(spec: Kind) -> dict[str, Field]:
    out: dict[str, Field] = {}
    for f in spec.fields:
        for s in f.spellings():
            out.setdefault(s, f)
    return out


def _find_header(spec: Kind, sheet: Sheet) -> int | None:
    spellings = _spellings(spec)
    best, best_hits = None, 0
    for index, (_, cells) in enumerate(sheet.rows[:HEADER_SCAN]):
        hits = len({spellings[normalise_header(c)[0]].name for c in cells
                    if c is not None and normalise_header(c)[0] in spellings})
        if hits > best_hits:
            best, best_hits = index, hits
    needed = min(2, sum(f.required for f in spec.fields))
    return best if best is not None and best_hits >= needed else None


def _sheet_unit(sheet: Sheet, header_index: int) -> str | None:
    for _, cells in sheet.rows[:header_index]:
        for cell in cells:
            if isinstance(cell, str):
                match = _UNIT_ROW.search(unicodedata.normalize("NFKC", cell))
                if match:
                    return P.UNIT_WORDS.get(match[2].lower().replace(" ", ""), "元")
    return None


def _parse(spec: Kind, sheet: Sheet, today: dt.date, report: ImportReport, tell: Progress) -> _Parsed | None:
    if not sheet.rows:
        raise FileRejected(Problem("no_rows"))
    header_index = _find_header(spec, sheet)
    if header_index is None:
        raise FileRejected(Problem("no_header", params={"rows": HEADER_SCAN, "kind": {"zh": spec.zh, "en": spec.en}}))
    header_row, header_cells = sheet.rows[header_index]
    spellings = _spellings(spec)
    sheet_unit = _sheet_unit(sheet, header_index)
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    units: dict[str, str] = {}
    problems = report.problems
    for position, cell in enumerate(header_cells):
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            continue
        text = str(cell).strip()
        base, unit = normalise_header(cell)
        f = spellings.get(base)
        if f is None:
            problems.append(Problem("unknown_column", header_row, text, severity="notice"))
            continue
        if f.name in positions:
            problems.append(Problem("duplicate_column", header_row, text, params={"column": text}))
            continue
        positions[f.name] = position
        headers[f.name] = text
        if f.is_money:
            if unit and sheet_unit and unit != sheet_unit:
                problems.append(Problem("unit_conflict", header_row, text,
                                        params={"header_unit": unit, "sheet_unit": sheet_unit}))
            elif unit or sheet_unit:
                units[f.name] = unit or sheet_unit
            else:
                problems.append(Problem("unit_missing", header_row, text, params={"column": base}))
    for f in spec.fields:
        if f.required and f.name not in positions:
            problems.append(Problem("missing_column", header_row, f.header("zh"),
                                    params={"column": {"zh": f.header("zh"), "en": f.header("en")}}))
    report.columns, report.units = headers, units
    data = sheet.rows[header_index + 1:]
    if len(data) > reading.MAX_ROWS:  # looked up here, so the one limit is reading's
        raise FileRejected(Problem("too_many_rows", params={"rows": len(data), "limit": reading.MAX_ROWS}))
    fields = [(spec.field(name), position) for name, position in positions.items()]
    examples = {tuple(example_values(spec, lang)) for lang in ("zh", "en")}
    example_at = [positions.get(f.name) for f in spec.fields]
    records: list[Record] = []
    for done, (number, cells) in enumerate(data, start=1):
        if done % WRITE_CHUNK == 0:
            tell("parse", done, len(data))
        if all(P.is_blank(c) for c in cells):
            continue
        first = next((c for c in cells if not P.is_blank(c)), "")
        if isinstance(first, str) and first.strip(P.WHITESPACE).replace(" ", "").lower() in _TOTAL_WORDS:
            problems.append(Problem("total_row", number, None, shown(first), severity="notice"))
            continue
        if done <= 3 and _as_example(cells, example_at) in examples:
            problems.append(Problem("example_row", number, None, shown(first), severity="notice"))
            continue
        record = Record(number)
        for f, position in fields:
            raw = cells[position] if position < len(cells) else None
            if P.is_blank(raw):
                record[f.name] = None
                if f.required:
                    problems.append(Problem("required", number, headers[f.name], None))
                    record.bad = True
                continue
            record.raw[f.name] = raw
            try:
                value = parse_cell(f, raw, units.get(f.name), today)
            except P.Bad as bad:
                problems.append(Problem(bad.rule, number, headers[f.name], shown(_display(raw)), bad.params))
                record[f.name] = None
                record.bad = True
                continue
            if type(value) is P.Neutralised:
                problems.append(Problem("formula", number, headers[f.name], shown(raw), severity="notice"))
            record[f.name] = value
        records.append(record)
    if not records:
        raise FileRejected(Problem("no_rows"))
    report.rows_read = len(records)
    return _Parsed(records, headers, units)


def _as_example(cells: list[Any], positions: list[int | None]) -> tuple[str, ...]:
    """The row's cells in template order as the template writes its example (absent: blank)."""
    out = []
    for position in positions:
        raw = cells[position] if position is not None and position < len(cells) else None
        out.append("" if P.is_blank(raw) else str(raw).strip())
    return tuple(out)


def _display(raw: Any) -> Any:
    if isinstance(raw, float) and raw.is_integer() and abs(raw) >= 1e15:
        return f"{raw:.6g}".upper()
    return raw


# --------------------------------------------------------------------------------------------
# Checks against the database, comparison and loading
# --------------------------------------------------------------------------------------------


def _check_and_load(conn: Connection, spec: Kind, parsed: _Parsed, report: ImportReport, scope: Scope,
                    today: dt.date, dry_run: bool, tell: Progress, started: float) -> None:
    tell("check", 0, len(parsed.records))
    ctx = Context(conn, scope, today, parsed.headers)
    rows = spec.finish(ctx, parsed.records)
    _check_duplicates(ctx, spec, rows)
    good = [row for row in rows if not row["_record"].bad]
    if spec.name == "scores":
        plan = _plan_scores(conn, good)
    else:
        plan = _plan(conn, ctx, spec, good)
    report.problems.extend(ctx.problems)
    report.rows_rejected = sum(1 for r in parsed.records if r.bad)
    inserts, updates, unchanged = plan
    report.inserted, report.updated, report.unchanged = len(inserts), len(updates), unchanged
    report.changes = [Change(row["_record"].row, "insert", _key_text(spec, row)) for row in inserts[:CHANGES_LISTED]]
    report.changes += [Change(row["_record"].row, "update", _key_text(spec, row), tuple(cols))
                       for row, cols in updates[:CHANGES_LISTED - len(report.changes)]]
    report.previous = _previous(conn, spec.name, report.sha256)
    if report.errors:
        report.result = "rejected"
        raise _Rejected
    if dry_run:
        report.result = "dry_run"
        raise _Rejected  # nothing is written; the audit row follows outside
    if not inserts and not updates:
        report.result = "unchanged"
        raise _Rejected
    tell("write", 0, len(inserts) + len(updates))
    if spec.name == "scores":
        _apply_scores(conn, inserts, updates, report.actor)
    else:
        _apply(conn, spec, inserts, updates, tell)
    report.result = "accepted"
    report.duration_s = time.perf_counter() - started
    batch = conn.execute(insert(ImportBatch).returning(ImportBatch.id), [{
        "at": _now(), "actor": report.actor, "kind": spec.name, "file_name": report.file_name,
        "sha256": report.sha256, "size": report.size, "scope": scope.key, "rows_read": report.rows_read,
        "inserted": report.inserted, "updated": report.updated, "unchanged": report.unchanged}]).scalar_one()
    report.batch_id = batch
    conn.execute(insert(AuditEntry), [_audit_row(report, scope)])


def _key_values(spec: Kind, row: dict[str, Any]) -> tuple:
    return tuple(row.get(k) for k in spec.key)


def _key_text(spec: Kind, row: dict[str, Any]) -> str:
    record: Record = row["_record"]
    parts = []
    for column in spec.key:
        field_name = next((f for f, c in spec.columns.items() if c == column), None)
        if field_name and field_name in record:
            parts.append(str(record[field_name]))
        elif column == "county_code":
            parts.append(str(row.get("county_code")))
        else:  # a resolved reference: show what the file said
            ref = {"asset_id": "asset_code", "household_id": "household_code", "unit_code": "unit"}.get(column, column)
            parts.append(str(record.get(ref, row.get(column))))
    return " / ".join(parts)


def _check_duplicates(ctx: Context, spec: Kind, rows: list[dict[str, Any]]) -> None:
    first: dict[tuple, int] = {}
    for row in rows:
        key = _key_values(spec, row)
        if any(v is None for v in key):
            continue
        record = row["_record"]
        if key in first:
            key_field = next((f for f, c in spec.columns.items() if c == spec.key[-1]), spec.fields[0].name)
            ctx.error("duplicate_key", record, key_field, first=first[key], key=_key_text(spec, row))
        else:
            first[key] = record.row


def _comparable(value: Any, column) -> Any:
    if isinstance(value, Decimal) and isinstance(column.type, Float):
        return float(value)
    return value


def _plan(conn: Connection, ctx: Context, spec: Kind, rows: list[dict[str, Any]]):
    """Split ``rows`` into inserts, updates (with the columns that change) and a count of rows
    the database already holds as they are; codes of another county are problems."""
    table = spec.table
    existing: dict[tuple, Any] = {}
    for old in ctx.fetch(table, spec.lookup, (row.get(spec.lookup) for row in rows), [c.name for c in table.columns]):
        existing[tuple(getattr(old, k) for k in spec.key)] = old
    defaults = spec.insert_defaults()
    columns = {c.name: c for c in table.columns}  # looked up by name once a cell, not in the table's collection
    inserts, updates, unchanged = [], [], 0
    for row in rows:
        values = {c: _comparable(v, columns[c]) for c, v in row.items() if not c.startswith("_")}
        row.update(values)
        old = existing.get(_key_values(spec, row))
        if old is None:
            for column, default in defaults.items():
                row.setdefault(column, default)
            inserts.append(row)
            continue
        if "county_code" in values and old.county_code != values["county_code"]:
            county = ctx.place_name(old.county_code) if ctx.scope.allows(old.county_code) else {"zh": "其他县",
                                                                                            "en": "another county"}
            first_field = next(f.name for f in spec.fields if spec.columns.get(f.name) == spec.key[0]) \
                if spec.key[0] in spec.columns.values() else spec.fields[0].name
            ctx.error("key_elsewhere", row["_record"], first_field, what=spec.what, county=county)
            continue
        changed = [c for c, v in values.items() if getattr(old, c) != v]
        if changed:
            row["_pk"] = {c.name: getattr(old, c.name) for c in table.primary_key.columns}
            updates.append((row, changed))
        else:
            unchanged += 1
    return inserts, updates, unchanged


def _apply(conn: Connection, spec: Kind, inserts: list[dict[str, Any]], updates: list[tuple[dict[str, Any], list[str]]],
           tell: Progress) -> None:
    table = spec.table
    total, done = len(inserts) + len(updates), 0
    if inserts:
        columns = sorted({c for row in inserts for c in row if not c.startswith("_")})
        for start in range(0, len(inserts), WRITE_CHUNK):
            chunk = inserts[start:start + WRITE_CHUNK]
            bulk_insert(conn, table, pd.DataFrame.from_records(
                [{c: row.get(c) for c in columns} for row in chunk], columns=columns))
            done += len(chunk)
            tell("write", done, total)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row, changed in updates:
        params = {f"_pk_{k}": v for k, v in row["_pk"].items()}
        params.update({f"v_{c}": row[c] for c in changed})
        groups.setdefault(tuple(sorted(changed)), []).append(params)
    pk = [c.name for c in table.primary_key.columns]
    for changed, params in groups.items():
        statement = (update(table).where(and_(*(table.c[k] == bindparam(f"_pk_{k}") for k in pk)))
                     .values({c: bindparam(f"v_{c}") for c in changed}))
        for start in range(0, len(params), WRITE_CHUNK):
            conn.execute(statement, params[start:start + WRITE_CHUNK])
            done += len(params[start:start + WRITE_CHUNK])
            tell("write", done, total)


def _plan_scores(conn: Connection, rows: list[dict[str, Any]]):
    """Scores: compare with the stored input of each (rubric, unit, year, item)."""
    names = {row["rubric"] for row in rows}
    ids = dict(conn.execute(select(RubricRow.name, RubricRow.id).where(RubricRow.name.in_(names))).all()) if names else {}
    t = Score.__table__
    existing = {}
    if ids:
        for old in conn.execute(select(t.c.rubric_id, t.c.unit_code, t.c.year, t.c.item_code, t.c.points,
                                       t.c.raw_value, t.c.evidence, t.c.assessor)
                                .where(t.c.rubric_id.in_(ids.values()))).all():
            existing[(old.rubric_id, old.unit_code, old.year, old.item_code)] = old
    inserts, updates, unchanged = [], [], 0
    for row in rows:
        old = existing.get((ids.get(row["rubric"]), row["unit_code"], row["year"], row["item_code"]))
        if old is None:
            inserts.append(row)
            continue
        manual = row["_spec"].kind == "manual"
        stored = old.points if manual else (None if old.raw_value is None else Decimal(repr(old.raw_value)))
        changed = [c for c, same in (("value", stored is not None and stored == row["value"]),
                                     ("evidence", old.evidence == row["evidence"]),
                                     ("assessor", old.assessor == row["assessor"])) if not same]
        if changed:
            updates.append((row, changed))
        else:
            unchanged += 1
    return inserts, updates, unchanged


def _apply_scores(conn: Connection, inserts, updates, actor: str) -> None:
    from ..rubric.store import ScoreRepository  # noqa: PLC0415 - scores only

    by_rubric: dict[str, list[dict[str, Any]]] = {}
    for row in [*inserts, *(row for row, _ in updates)]:
        by_rubric.setdefault(row["rubric"], []).append({
            "unit": row["unit_code"], "year": row["year"], "item": row["item_code"], "value": row["value"],
            "evidence": row["evidence"], "assessor": row["assessor"]})
    with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
        repository = ScoreRepository(session)
        for name, entries in by_rubric.items():
            repository.save_many(name, entries, actor=actor)
        session.commit()  # releases the savepoint (closing without it would roll the scores back)


def _previous(conn: Connection, kind: str, sha256: str) -> dict[str, Any] | None:
    b = ImportBatch.__table__
    found = conn.execute(select(b.c.id, b.c.at, b.c.actor).where(b.c.kind == kind, b.c.sha256 == sha256)
                         .order_by(b.c.id.desc()).limit(1)).first()
    return None if found is None else {"batch_id": found.id, "at": found.at, "actor": found.actor}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _audit_row(report: ImportReport, scope: Scope) -> dict[str, Any]:
    county = next(iter(scope.counties)) if scope.counties and len(scope.counties) == 1 else None
    detail = report.as_dict("zh")
    detail.pop("summary")
    detail["scope"] = scope.key
    detail["first_problems"] = [p.as_dict("zh") for p in report.errors[:10]]
    return {"at": _now(), "actor": report.actor, "action": "import", "target": f"{report.kind}:{report.file_name}"[:200],
            "county_code": county, "result": report.result, "detail": detail}

