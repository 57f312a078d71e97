"""Rubrics and scores in the database: sync, manual entry with an audit row, and scored frames.

- :func:`sync_rubric` upserts a rubric and its items into ``rubric`` / ``rubric_item``.
- :class:`ScoreRepository` saves an assessor's input (points for a manual item, a count or a veto
  for the other entered items) into ``score`` and writes an ``audit_log`` row (action
  ``score_edit``) in the caller's transaction.
- :func:`unit_scores`, :func:`scores_frame` and :func:`scorecard_frame` score the county-level
  units in a scope: computed items are measured live from the data (:mod:`.measures`), entered
  items are read from ``score``; nothing is cached, so an edit shows at once.

Which definition is used for a rubric *name*: the database's copy once it has been synced (so
stored scores always fit the definition they were entered under), else the shipped file.  A
file *path* always uses the file.  :func:`sync_rubric` refuses a new definition that stored
scores would no longer fit.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.orm import Session

from ..db import reader, writer
from ..models import AuditEntry, Region, Score
from ..models import Rubric as RubricRow
from ..models import RubricItem as RubricItemRow
from ..scope import Scope, require_scope
from .engine import ItemInput, ScoreInputError, UnitScore, coerce_value, rank_units, score_unit
from .loader import load_rubric, looks_like_path
from .measures import measure
from .model import PARAMS, Rubric, RubricError, parse_rubric, to_decimal

ENTERED_KINDS = ("manual", "per_occurrence", "deduction", "veto", "ratio", "step")


# ---------------------------------------------------------------------------------------------
# Rubric rows <-> dataclasses
# ---------------------------------------------------------------------------------------------


def _params_json(item) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if item.source is not None:
        out["source"] = item.source
    if item.measure:
        out["measure"] = item.measure
    if item.basis:
        out["basis"] = item.basis
    if item.note:
        out["note"] = item.note
    for name, value in item.params.items():
        if value is None:
            continue
        out[name] = format(value, "f") if isinstance(value, Decimal) else value
    return out


def _item_fields(item) -> dict[str, Any]:
    return {"parent_code": item.parent, "position": item.position, "title_zh": item.title_zh,
            "title_en": item.title_en, "kind": item.kind, "max_points": item.max_points,
            "is_bonus": item.is_bonus, "params": _params_json(item)}


_HEADER = ("title_zh", "title_en", "year", "basis", "max_points", "bonus_cap")


def _rubric_row(conn_or_session, name: str) -> RubricRow | None:
    if isinstance(conn_or_session, Session):
        return conn_or_session.scalars(select(RubricRow).where(RubricRow.name == name)).one_or_none()
    return conn_or_session.execute(select(RubricRow.__table__).where(RubricRow.name == name)).one_or_none()


def rubric_from_db(conn_or_session: Connection | Session, name: str) -> Rubric | None:
    """The rubric ``name`` as stored in the tables (validated like a file), or None."""
    row = _rubric_row(conn_or_session, name)
    if row is None:
        return None
    t = RubricItemRow.__table__
    rows = conn_or_session.execute(select(t).where(t.c.rubric_id == row.id).order_by(t.c.position, t.c.id)).all()
    nodes: dict[str, dict[str, Any]] = {}
    order: list[tuple[str | None, str]] = []
    for r in rows:
        params = dict(r.params or {})
        node: dict[str, Any] = {"code": r.code, "title_zh": r.title_zh, "title_en": r.title_en, "kind": r.kind,
                                "max_points": r.max_points}
        for key in ("source", "measure", "basis", "note"):
            if key in params:
                node[key] = params.pop(key)
        if r.is_bonus and r.parent_code is None:
            node["bonus"] = True
        specs = PARAMS.get(r.kind, {})
        kind_params = {}
        for key, value in params.items():
            spec = specs.get(key)
            if spec is not None and spec.type not in ("bool", "choice") and isinstance(value, str):
                value = to_decimal(value)
            kind_params[key] = value
        if kind_params:
            node["params"] = kind_params
        nodes[r.code] = node
        order.append((r.parent_code, r.code))
    roots: list[dict[str, Any]] = []
    for parent, code in order:
        if parent is None:
            roots.append(nodes[code])
        else:
            nodes[parent].setdefault("items", []).append(nodes[code])
    data = {"name": row.name, "title_zh": row.title_zh, "title_en": row.title_en, "year": row.year,
            "basis": row.basis, "max_points": row.max_points, "items": roots}
    if row.bonus_cap is not None:
        data["bonus_cap"] = row.bonus_cap
    return parse_rubric(data, f"database rubric {name}")


def _stored_rows(session: Session, rubric_id: int):
    t = Score.__table__
    return session.execute(select(t).where(t.c.rubric_id == rubric_id)).all()


def sync_rubric(session: Session, rubric: Rubric, *, actor: str = "system") -> RubricRow:
    """Insert or update ``rubric`` and its items in the caller's transaction; returns the row.

    Items no longer in the rubric are removed.  Refuses (:class:`RubricError`) a definition that
    a stored score no longer fits (an item gone or changed kind, points above a new maximum).
    Writes an audit row (action ``rubric_sync``) when anything changed.
    """
    row = _rubric_row(session, rubric.name)
    created = row is None
    old = None if created else rubric_from_db(session, rubric.name)
    if old is not None and old.fingerprint() == rubric.fingerprint():
        return row
    if row is None:
        row = RubricRow(name=rubric.name)
        session.add(row)
    else:
        for score in _stored_rows(session, row.id):
            if not rubric.has_item(score.item_code):
                raise RubricError(rubric.origin or rubric.name, f"stored scores use item {score.item_code}, which "
                                  "the new definition drops", None)
            item = rubric.item(score.item_code)
            previous = old.item(score.item_code) if old is not None and old.has_item(score.item_code) else None
            if previous is not None and previous.kind != item.kind:
                raise RubricError(rubric.origin or rubric.name, f"stored scores use it as kind {previous.kind}; "
                                  "clear them before changing its kind", item.code)
            try:
                _stored_input(item, score)
            except ScoreInputError as exc:
                where = f"unit {score.unit_code}, {score.year}"
                raise RubricError(rubric.origin or rubric.name,
                                  f"a stored score ({where}) no longer fits: {exc.problem}", item.code) from None
    row.title_zh, row.title_en, row.year, row.basis = rubric.title_zh, rubric.title_en, rubric.year, rubric.basis
    row.max_points, row.bonus_cap = rubric.max_points, rubric.bonus_cap
    session.flush()
    existing = {r.code: r for r in session.scalars(select(RubricItemRow).where(RubricItemRow.rubric_id == row.id))}
    for position, item in enumerate(rubric.items):
        fields = _item_fields(item)
        fields["position"] = position  # tree (pre-)order across the whole rubric
        found = existing.pop(item.code, None)
        if found is None:
            session.add(RubricItemRow(rubric_id=row.id, code=item.code, **fields))
        else:
            for key, value in fields.items():
                setattr(found, key, value)
    for gone in existing.values():
        session.delete(gone)
    session.add(AuditEntry(
        at=_now(), actor=actor, action="rubric_sync", target=f"rubric:{rubric.name}", county_code=None,
        result="ok",
        detail={"rubric": rubric.name, "created": created, "fingerprint": rubric.fingerprint(),
                "previous_fingerprint": old.fingerprint() if old is not None else None,
                "origin": rubric.origin or None},
    ))
    session.flush()
    return row


def install_rubric(engine: Engine, rubric: Rubric | str | os.PathLike, *, actor: str = "system") -> tuple[Rubric, bool]:
    """Load ``rubric`` (a name of a shipped file, a path, or a :class:`Rubric`) into the tables
    in a transaction of its own; returns the rubric and whether anything changed."""
    definition = rubric if isinstance(rubric, Rubric) else load_rubric(rubric)
    with Session(writer(engine)) as session, session.begin():
        before = rubric_from_db(session, definition.name)
        sync_rubric(session, definition, actor=actor)
    changed = before is None or before.fingerprint() != definition.fingerprint()
    return definition, changed


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ---------------------------------------------------------------------------------------------
# Resolving a rubric for scoring
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    rubric: Rubric
    rubric_id: int | None  # the row whose stored scores apply (None: no scores stored)
    from_db: bool
    differs_from_file: bool = False  # a database copy that differs from the shipped file


def resolve_rubric(engine: Engine, rubric: Rubric | str | os.PathLike) -> Resolved:
    """The definition to score with and the row holding its stored scores (see the module doc)."""
    with engine.connect() as conn:
        if isinstance(rubric, Rubric):
            row = _rubric_row(conn, rubric.name)
            return Resolved(rubric, row.id if row is not None else None, False)
        if looks_like_path(rubric):
            loaded = load_rubric(rubric)
            row = _rubric_row(conn, loaded.name)
            return Resolved(loaded, row.id if row is not None else None, False)
        name = str(rubric)
        stored = rubric_from_db(conn, name)
        if stored is not None:
            row = _rubric_row(conn, name)
            try:
                shipped = load_rubric(name)
                differs = shipped.fingerprint() != stored.fingerprint()
            except RubricError:
                differs = False
            return Resolved(stored, row.id, True, differs)
    return Resolved(load_rubric(name), None, False)


# ---------------------------------------------------------------------------------------------
# Scoring units
# ---------------------------------------------------------------------------------------------


def _stored_input(item, score) -> ItemInput:
    """The input a ``score`` row holds for ``item`` (checked against the item)."""
    if item.kind == "manual":
        value = score.points
    else:
        value = None if score.raw_value is None else to_decimal(float(score.raw_value))
    if value is not None:
        coerce_value(item, value)
    return ItemInput(value=value, source="manual", evidence=score.evidence, assessor=score.assessor)


def county_units(engine: Engine, scope: Scope) -> list[tuple[str, str]]:
    """(code, name) of the county-level units in ``scope``, by code: the units a rubric scores."""
    require_scope(scope)
    stmt = (select(Region.code, Region.name)
            .where(Region.level == "county", scope.clause(Region.county_code))
            .order_by(Region.code))
    with reader(engine).connect() as conn:
        return [(code, name) for code, name in conn.execute(stmt)]


def _stored_inputs(engine: Engine, scope: Scope, resolved: Resolved, year: int,
                   units: list[str]) -> dict[str, dict[str, ItemInput]]:
    if resolved.rubric_id is None or not units:
        return {}
    t = Score.__table__
    stmt = (select(t).where(t.c.rubric_id == resolved.rubric_id, t.c.year == year,
                            scope.clause(t.c.county_code), t.c.unit_code.in_(units))
            .order_by(t.c.unit_code, t.c.item_code))
    rubric = resolved.rubric
    out: dict[str, dict[str, ItemInput]] = {}
    with reader(engine).connect() as conn:
        rows = conn.execute(stmt).all()
    for row in rows:
        if not rubric.has_item(row.item_code):
            continue
        item = rubric.item(row.item_code)
        if item.is_group or item.is_computed:
            continue
        try:
            out.setdefault(row.unit_code, {})[item.code] = _stored_input(item, row)
        except ScoreInputError as exc:
            raise RubricError(rubric.origin or rubric.name,
                              f"the stored score of unit {row.unit_code} does not fit this definition: {exc.problem}",
                              item.code) from None
    return out


def unit_scores(
    engine: Engine,
    scope: Scope,
    rubric: Rubric | str | os.PathLike,
    year: int,
    *,
    values: Mapping[str, Mapping[str, ItemInput]] | None = None,
    units: list[str] | None = None,
    as_of: dt.date | None = None,
    config: Any = None,
) -> tuple[Rubric, list[UnitScore]]:
    """Score every county-level unit in ``scope`` (or just ``units``) for ``year``; ranked.

    Inputs, later ones winning: measures for computed items, then stored scores, then
    ``values`` (``{unit: {item: ItemInput}}``, e.g. from :func:`~.values.read_values`).
    ``values`` for a unit outside the scope is an error (:class:`ValueError`).
    """
    require_scope(scope)
    if isinstance(year, bool) or not isinstance(year, int):
        raise TypeError(f"year must be an int, got {type(year).__name__}")
    resolved = resolve_rubric(engine, rubric)
    definition = resolved.rubric
    known = county_units(engine, scope)
    names = dict(known)
    if units is not None:
        known = [(code, names[code]) for code in units if code in names]
    codes = [code for code, _ in known]
    for unit in values or {}:
        if unit not in names:
            raise ValueError(f"unit {unit!r} is not a county-level unit in the database (or outside your scope)")
    measured = measure(engine, Scope.of(codes), year, definition.measures, as_of=as_of, config=config) if codes else {}
    stored = _stored_inputs(engine, scope, resolved, year, codes)
    scores = []
    for code, name in known:
        inputs: dict[str, ItemInput] = {}
        for item in definition.leaves:
            if item.is_computed:
                m = measured.get(item.measure, {}).get(code)
                if m is None:
                    inputs[item.code] = ItemInput(None, "computed", note_zh="无数据", note_en="no data")
                else:
                    inputs[item.code] = ItemInput(m.value, "computed", note_zh=m.note_zh, note_en=m.note_en)
        inputs.update(stored.get(code, {}))
        inputs.update((values or {}).get(code, {}))
        scores.append(score_unit(definition, inputs, unit_code=code, unit_name=name))
    return definition, rank_units(scores)


SCORE_COLUMNS = ("rank", "unit_code", "unit_name", "total", "base", "bonus", "vetoed", "veto_reason_zh",
                 "veto_reason_en", "missing")


def scores_to_frame(rubric: Rubric, scores: list[UnitScore]) -> pd.DataFrame:
    """One row per unit, ranked: :data:`SCORE_COLUMNS` then ``item_<code>`` (points after caps,
    Decimal) for every item in tree order.  ``missing`` counts the items with no input."""
    item_columns = [f"item_{item.code}" for item in rubric.items]
    rows = []
    for s in scores:
        row = {"rank": s.rank, "unit_code": s.unit_code, "unit_name": s.unit_name, "total": s.total,
               "base": s.base, "bonus": s.bonus, "vetoed": s.vetoed, "veto_reason_zh": s.veto_reason_zh,
               "veto_reason_en": s.veto_reason_en, "missing": len(s.missing)}
        row.update({f"item_{code}": points for code, points in s.points().items()})
        rows.append(row)
    return pd.DataFrame(rows, columns=[*SCORE_COLUMNS, *item_columns])


def scores_frame(
    engine: Engine, scope: Scope, rubric_name: Rubric | str, year: int, *,
    values: Mapping[str, Mapping[str, ItemInput]] | None = None, as_of: dt.date | None = None,
) -> pd.DataFrame:
    """The ranked totals of the county-level units in ``scope`` (see :func:`scores_to_frame`).

    Points are exact Decimals; ``total == base + bonus`` unless ``vetoed`` (then 0).
    """
    rubric, scores = unit_scores(engine, scope, rubric_name, year, values=values, as_of=as_of)
    return scores_to_frame(rubric, scores)


CARD_COLUMNS = ("code", "parent_code", "depth", "kind", "title_zh", "title_en", "is_bonus", "max_points", "points",
                "raw_points", "lost", "capped", "source", "value", "measure", "evidence", "assessor", "triggered",
                "note_zh", "note_en")


def scorecard_to_frame(score: UnitScore) -> pd.DataFrame:
    """One row per item of ``score`` in tree order (:data:`CARD_COLUMNS`)."""
    rows = [{
        "code": i.code, "parent_code": i.parent, "depth": i.depth, "kind": i.kind, "title_zh": i.title_zh,
        "title_en": i.title_en, "is_bonus": i.is_bonus, "max_points": i.max_points, "points": i.points,
        "raw_points": i.raw_points, "lost": i.lost, "capped": i.capped, "source": i.source,
        "value": i.value, "measure": i.measure, "evidence": i.evidence, "assessor": i.assessor,
        "triggered": i.triggered, "note_zh": i.note_zh, "note_en": i.note_en,
    } for i in score.items]
    return pd.DataFrame(rows, columns=list(CARD_COLUMNS))


def scorecard_frame(
    engine: Engine, scope: Scope, rubric_name: Rubric | str, year: int, unit: str, *,
    values: Mapping[str, Mapping[str, ItemInput]] | None = None, as_of: dt.date | None = None,
) -> pd.DataFrame:
    """Every item of one unit's score (points, maximum, lost, source, measured value, evidence,
    notes); an empty frame when ``unit`` is not a county-level unit in ``scope``.

    ``value`` is the exact measured or entered value (a Decimal); round it for display.
    """
    require_scope(scope)
    if not scope.allows(unit):
        return pd.DataFrame(columns=list(CARD_COLUMNS))
    _, scores = unit_scores(engine, scope, rubric_name, year, values=values, units=[unit], as_of=as_of)
    if not scores:
        return pd.DataFrame(columns=list(CARD_COLUMNS))
    return scorecard_to_frame(scores[0])


# ---------------------------------------------------------------------------------------------
# Entering scores
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreEdit:
    """What a save changed: the item's points (under its own cap) and raw value before and after."""

    rubric: str
    unit: str
    year: int
    item: str
    old_points: Decimal | None
    new_points: Decimal | None
    old_value: Decimal | None
    new_value: Decimal | None


def _text(value: Any, what: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} is required")
    value = value.strip()
    if len(value) > limit:
        raise ValueError(f"{what} is longer than {limit} characters")
    return value


def _json_decimal(value: Decimal | None, points: bool = False) -> str | None:
    if value is None:
        return None
    return format(value.quantize(Decimal("0.01")) if points else value.normalize(), "f")


class ScoreRepository:
    """Writes scores in the caller's transaction (``with Session(writer(engine)) as s, s.begin(): ...``).

    ``scope`` (optional) restricts the units the caller may score; authorisation of the actor
    is the caller's job.  Every change writes one ``audit_log`` row (action ``score_edit``).
    """

    def __init__(self, session: Session, *, scope: Scope | None = None) -> None:
        self.session = session
        self.scope = scope

    # -- the rubric -------------------------------------------------------------------------

    def _rubric(self, rubric: Rubric | str, actor: str) -> tuple[Rubric, RubricRow]:
        if isinstance(rubric, str):
            stored = rubric_from_db(self.session, rubric)
            if stored is None:
                definition = load_rubric(rubric)
                return definition, sync_rubric(self.session, definition, actor=actor)
            return stored, _rubric_row(self.session, rubric)
        stored = rubric_from_db(self.session, rubric.name)
        if stored is None:
            return rubric, sync_rubric(self.session, rubric, actor=actor)
        if stored.fingerprint() != rubric.fingerprint():
            raise RubricError(rubric.origin or rubric.name, "the database holds a different version of this rubric: "
                              "sync it first (fundwatch score --rubric FILE --sync)")
        return stored, _rubric_row(self.session, rubric.name)

    def _check_unit(self, unit: str) -> None:
        if self.scope is not None and not self.scope.allows(unit):
            raise PermissionError(f"unit {unit} is outside your scope")
        found = self.session.execute(
            select(Region.code).where(Region.code == unit, Region.level == "county")).one_or_none()
        if found is None:
            raise ValueError(f"no county-level unit {unit!r} in the database")

    def _existing(self, rubric_id: int, unit: str, year: int, item: str) -> Score | None:
        return self.session.scalars(select(Score).where(
            Score.rubric_id == rubric_id, Score.unit_code == unit, Score.year == year, Score.item_code == item,
        )).one_or_none()

    # -- writes -----------------------------------------------------------------------------

    def save_manual(self, rubric: Rubric | str, unit: str, year: int, item: str, points: Any, evidence: str,
                    assessor: str, actor: str) -> ScoreEdit:
        """Save the points an assessor awards on a ``manual`` item, with evidence (text or a
        file name) and the assessor's name.  ``points`` must lie between 0 and the item's
        maximum with at most two decimals."""
        return self._save(rubric, unit, year, item, actor, evidence, assessor, points=points, kinds=("manual",))

    def save_value(self, rubric: Rubric | str, unit: str, year: int, item: str, value: Any, evidence: str,
                   assessor: str, actor: str) -> ScoreEdit:
        """Save the raw input of an entered item that is not ``manual``: a count for
        ``per_occurrence`` and ``deduction`` items, 1/0 (or True/False) for a ``veto``, the value
        for a ``ratio`` or ``step`` item that is not computed from the data."""
        return self._save(rubric, unit, year, item, actor, evidence, assessor, value=value,
                          kinds=("per_occurrence", "deduction", "veto", "ratio", "step"))

    def clear(self, rubric: Rubric | str, unit: str, year: int, item: str, actor: str, reason: str) -> ScoreEdit:
        """Remove an entered score (the item is then missing again), with an audit row."""
        actor = _text(actor, "actor", 64)
        reason = _text(reason, "reason", 500)
        definition, row = self._rubric(rubric, actor)
        if not definition.has_item(item):
            raise ValueError(f"rubric {definition.name} has no item {item!r}")
        self._check_unit(unit)
        existing = self._existing(row.id, unit, year, item)
        edit = ScoreEdit(definition.name, unit, year, item,
                         existing.points if existing else None, None,
                         _raw(existing), None)
        if existing is not None:
            self.session.delete(existing)
        self._audit(actor, edit, {"cleared": True, "reason": reason})
        self.session.flush()
        return edit

    def save_many(self, rubric: Rubric | str, entries, actor: str) -> list[ScoreEdit]:
        """Save many entered scores at once (imports, the demo): ``entries`` are mappings with
        ``unit``, ``year``, ``item``, ``value`` (points for a ``manual`` item, the raw input for
        the other entered kinds), ``evidence`` and ``assessor``.

        Checked like :meth:`save_manual` / :meth:`save_value`, all before anything is written;
        one ``score_edit`` audit row per entry.  The rubric and the units are read once and the
        rows are inserted in bulk, so thousands of entries take well under a second.
        """
        actor = _text(actor, "actor", 64)
        definition, row = self._rubric(rubric, actor)
        counties = set(self.session.scalars(select(Region.code).where(Region.level == "county")))
        t = Score.__table__
        existing = {(r.unit_code, r.year, r.item_code): r for r in self.session.execute(
            select(t.c.id, t.c.unit_code, t.c.year, t.c.item_code, t.c.points, t.c.raw_value)
            .where(t.c.rubric_id == row.id)).all()}
        now = _now()
        inserts, updates, audits, edits = [], [], [], []
        seen: set[tuple[str, int, str]] = set()
        for entry in entries:
            unit, year, item = entry["unit"], entry["year"], entry["item"]
            evidence = _text(entry.get("evidence"), "evidence", 4000)
            assessor = _text(entry.get("assessor"), "assessor", 64)
            if isinstance(year, bool) or not isinstance(year, int):
                raise TypeError(f"year must be an int, got {type(year).__name__}")
            if not definition.has_item(item):
                raise ValueError(f"rubric {definition.name} has no item {item!r}")
            spec = definition.item(item)
            if spec.is_group or spec.is_computed:
                raise ValueError(f"item {item} is not entered by an assessor")
            if self.scope is not None and not self.scope.allows(unit):
                raise PermissionError(f"unit {unit} is outside your scope")
            if unit not in counties:
                raise ValueError(f"no county-level unit {unit!r} in the database")
            key = (unit, year, item)
            if key in seen:
                raise ValueError(f"unit {unit}, {year}, item {item} is given twice")
            seen.add(key)
            raw = coerce_value(spec, entry["value"])
            if spec.kind == "manual":
                new_points, new_value = raw, None
            else:
                new_points, new_value = score_unit(definition, {item: ItemInput(raw)}).item(item).points, raw
            old = existing.get(key)
            edit = ScoreEdit(definition.name, unit, year, item, old.points if old is not None else None, new_points,
                             None if old is None or old.raw_value is None else to_decimal(float(old.raw_value)),
                             new_value)
            values = {"points": new_points, "raw_value": None if new_value is None else float(new_value),
                      "evidence": evidence, "assessor": assessor, "updated_at": now}
            if old is None:
                inserts.append({"rubric_id": row.id, "unit_code": unit, "county_code": unit, "year": year,
                                "item_code": item, **values})
            else:
                updates.append({"id": old.id, **values})
            audits.append(self._audit_row(actor, edit, {"evidence": evidence, "assessor": assessor,
                                                         "kind": spec.kind}, now))
            edits.append(edit)
        if inserts:
            self.session.execute(insert(Score), inserts)
        if updates:
            self.session.execute(update(Score), updates)
        if audits:
            self.session.execute(insert(AuditEntry), audits)
        self.session.flush()
        return edits

    def _save(self, rubric, unit, year, item, actor, evidence, assessor, *, kinds, points=None, value=None):
        actor = _text(actor, "actor", 64)
        evidence = _text(evidence, "evidence", 4000)
        assessor = _text(assessor, "assessor", 64)
        if isinstance(year, bool) or not isinstance(year, int):
            raise TypeError(f"year must be an int, got {type(year).__name__}")
        definition, row = self._rubric(rubric, actor)
        if not definition.has_item(item):
            raise ValueError(f"rubric {definition.name} has no item {item!r}")
        spec = definition.item(item)
        if spec.is_computed:
            raise ValueError(f"item {item} is computed from the data ({spec.measure}); it cannot be entered")
        if spec.kind not in kinds:
            other = "save_value" if spec.kind != "manual" else "save_manual"
            raise ValueError(f"item {item} is kind {spec.kind}: use {other}")
        self._check_unit(unit)
        raw = coerce_value(spec, points if spec.kind == "manual" else value)  # ScoreInputError (ValueError)
        if spec.kind == "manual":
            new_points, new_value = raw, None
        else:
            new_value = raw
            scored = score_unit(definition, {item: ItemInput(raw)}).item(item)
            new_points = scored.points
        existing = self._existing(row.id, unit, year, item)
        edit = ScoreEdit(definition.name, unit, year, item,
                         existing.points if existing else None, new_points, _raw(existing), new_value)
        if existing is None:
            existing = Score(rubric_id=row.id, unit_code=unit, county_code=unit, year=year, item_code=item)
            self.session.add(existing)
        existing.points = new_points
        existing.raw_value = None if new_value is None else float(new_value)
        existing.evidence = evidence
        existing.assessor = assessor
        existing.updated_at = _now()
        self._audit(actor, edit, {"evidence": evidence, "assessor": assessor, "kind": spec.kind})
        self.session.flush()
        return edit

    def _audit(self, actor: str, edit: ScoreEdit, extra: dict[str, Any]) -> None:
        self.session.add(AuditEntry(**self._audit_row(actor, edit, extra, _now())))

    @staticmethod
    def _audit_row(actor: str, edit: ScoreEdit, extra: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
        return {
            "at": at, "actor": actor, "action": "score_edit",
            "target": f"score:{edit.rubric}:{edit.year}:{edit.unit}:{edit.item}", "county_code": edit.unit,
            "result": "ok",
            "detail": {"rubric": edit.rubric, "year": edit.year, "unit": edit.unit, "item": edit.item,
                       "old_points": _json_decimal(edit.old_points, True),
                       "new_points": _json_decimal(edit.new_points, True),
                       "old_value": _json_decimal(edit.old_value), "new_value": _json_decimal(edit.new_value),
                       **extra},
        }


def enter_score(engine: Engine, scope: Scope, rubric: Rubric | str, unit: str, year: int, item: str, value: Any,
                evidence: str, assessor: str, actor: str) -> ScoreEdit:
    """Save one assessor's input in a transaction of its own (what the scoring page calls):
    points for a ``manual`` item, the raw input (a count, 1/0 for a veto) for the other entered
    kinds.  The score row and its audit row commit together or not at all; ``scope`` limits the
    units the caller may score (:class:`PermissionError` outside it)."""
    require_scope(scope)
    with Session(writer(engine)) as session, session.begin():
        repo = ScoreRepository(session, scope=scope)
        definition, _ = repo._rubric(rubric, actor if isinstance(actor, str) and actor.strip() else "system")
        kind = definition.item(item).kind if definition.has_item(item) else "manual"
        save = repo.save_manual if kind == "manual" else repo.save_value
        return save(definition.name if isinstance(rubric, str) else rubric, unit, year, item, value, evidence,
                    assessor, actor)


def clear_score(engine: Engine, scope: Scope, rubric: Rubric | str, unit: str, year: int, item: str, actor: str,
                reason: str) -> ScoreEdit:
    """Remove one entered score (audited) in a transaction of its own; see :meth:`ScoreRepository.clear`."""
    require_scope(scope)
    with Session(writer(engine)) as session, session.begin():
        return ScoreRepository(session, scope=scope).clear(rubric, unit, year, item, actor, reason)


def _raw(score: Score | None) -> Decimal | None:
    if score is None or score.raw_value is None:
        return None
    return to_decimal(float(score.raw_value))


__all__ = [
    "CARD_COLUMNS", "SCORE_COLUMNS", "Resolved", "ScoreEdit", "ScoreRepository", "clear_score", "county_units",
    "enter_score", "install_rubric", "resolve_rubric",
    "rubric_from_db", "scorecard_frame", "scorecard_to_frame", "scores_frame", "scores_to_frame", "sync_rubric",
    "unit_scores",
]
