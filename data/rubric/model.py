"""The rubric tree as frozen dataclasses, and its validation.

A rubric (考核办法, seeds/004_698f178d961839ed.txt attachment 2) is a tree of items.  Every item
has a ``kind`` (:data:`fundwatch.data.vocab.RUBRIC_ITEM_KINDS`) saying how it scores:

``group``           the capped sum of its children (``cap: true`` marks a group whose children
                    may add up to more than its maximum: the group is then a cap, e.g. 经验表彰
                    最高2分 over provincial and national commendations).
``manual``          points an assessor enters, 0 to the maximum, with evidence.
``ratio``           ``max x value / target`` for a value measured against a target, full points
                    at or beyond the target (``direction: at_most`` turns it round).
``step``            ``per_step`` points for each full ``step`` the value lies above
                    ``threshold`` ("每增加10%加1分"), capped at the maximum.
``per_occurrence``  ``per`` points per occurrence counted, capped at the maximum.
``deduction``       the maximum less ``per`` points per occurrence, never below 0 (扣完为止).
``veto``            一票否决: when triggered the unit's total is 0; worth 0 points itself.

Validation (:func:`parse_rubric`) raises :class:`RubricError` naming the file, the item code and
the problem: unknown keys, kinds or measures, duplicate or malformed codes, points with more
than two decimals, children of a group not adding up to its maximum (unless ``cap: true``, in
which case they must add up to more), a child worth more than its parent, top-level items not
adding up to the rubric's maximum, a bonus cap the bonus items cannot reach, parameters missing
or of the wrong type, a step or per-occurrence amount larger than the item's maximum.

Points are :class:`~decimal.Decimal` with at most two decimals (the database stores exact
hundredths); measured values and targets are Decimals of any precision.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import vocab

KINDS: tuple[str, ...] = tuple(vocab.RUBRIC_ITEM_KINDS)
LEAF_KINDS = tuple(k for k in KINDS if k != "group")
SOURCES = ("manual", "computed")
#: Kinds whose value may be computed from the data (``source: computed`` with a ``measure``).
COMPUTABLE_KINDS = ("ratio", "step")
#: The kinds of unit a rubric may score.  Only county-level regions (``region.level = county``)
#: for now: the demo scores the 20 county-level units of the prefecture.
UNIT_KINDS = ("county",)
VALUE_UNITS = ("ratio", "times", "number")



@dataclass(frozen=True)
class MeasureInfo:
    """What a measure is (the numbers come from :mod:`fundwatch.data.rubric.measures`)."""

    name: str
    title_zh: str
    title_en: str
    unit: str  # ratio (0.42 = 42%), times, number
    rule: str  # the policy rule whose measurement it is
    basis: str


#: The measures computed items may name, with the policy rule each shares its measurement with.
MEASURE_INFO: dict[str, MeasureInfo] = {m.name: m for m in (
    MeasureInfo("fund_input_growth", "市县财政扶贫资金投入增长率", "Growth of city and county poverty-fund input",
                "ratio", "F3", "seeds/004 二（一）"),
    MeasureInfo("superior_funds_growth", "争取上级扶贫资金增长率", "Growth of superior poverty funds obtained",
                "ratio", "F3", "seeds/004 二（二）"),
    MeasureInfo("integration_ratio", "整合资金占可整合资金比例", "Integrated share of integrable funds",
                "ratio", "F3", "seeds/004 二（三）"),
    MeasureInfo("disbursement_pace", "扶贫资金支出进度", "Disbursement pace of poverty funds",
                "ratio", "F1", "seeds/004 二（四）; seeds/000 item 13"),
    MeasureInfo("leverage", "风险缓释金放大倍数", "Leverage of the risk-mitigation fund",
                "times", "L1", "seeds/000 item 7"),
    MeasureInfo("asset_custody", "公益性资产落实管护主体比例", "Share of public-welfare assets with a custodian",
                "ratio", "A1", "seeds/003 三（八）"),
    MeasureInfo("household_deadlines", "监测对象按时识别录入比例", "Share of monitored households entered on time",
                "ratio", "H2", "seeds/003 二（一）"),
)}

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
HUNDREDTH = Decimal("0.01")

RUBRIC_KEYS = {"name", "title_zh", "title_en", "year", "basis", "max_points", "bonus_cap", "units", "note",
               "items"}
ITEM_KEYS = {"code", "title_zh", "title_en", "kind", "max_points", "bonus", "source", "measure", "basis",
             "note", "params", "items"}


class RubricError(ValueError):
    """A rubric that cannot be used.  ``str()`` reads ``FILE: item CODE: PROBLEM``."""

    def __init__(self, origin: str, problem: str, item: str | None = None) -> None:
        self.origin = origin
        self.item = item
        self.problem = problem
        where = f"{origin}: item {item}" if item else origin
        super().__init__(f"{where}: {problem}")


# ---------------------------------------------------------------------------------------------
# Parameters of each kind
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of an item kind: ``type`` is ``number``, ``points`` (>= 0, two decimals),
    ``positive`` (> 0), ``positive_points`` (> 0, two decimals), ``bool`` or ``choice``."""

    type: str
    required: bool = True
    default: Any = None
    choices: tuple[str, ...] = ()
    doc: str = ""


PARAMS: dict[str, dict[str, ParamSpec]] = {
    "group": {"cap": ParamSpec("bool", False, False, doc="children may add up to more than the maximum")},
    "manual": {},
    "ratio": {
        "target": ParamSpec("positive", doc="the value that earns full points"),
        "direction": ParamSpec("choice", False, "at_least", ("at_least", "at_most"),
                               "at_least: more is better; at_most: less is better"),
        "unit": ParamSpec("choice", False, None, VALUE_UNITS, "how the value reads (default: the measure's)"),
    },
    "step": {
        "threshold": ParamSpec("number", doc="steps are counted above this value (the target)"),
        "step": ParamSpec("positive", doc="size of one step, e.g. 0.10 for 10 percentage points"),
        "per_step": ParamSpec("positive_points", doc="points per full step"),
        "unit": ParamSpec("choice", False, None, VALUE_UNITS, "how the value reads (default: the measure's)"),
    },
    "per_occurrence": {"per": ParamSpec("positive_points", doc="points per occurrence")},
    "deduction": {"per": ParamSpec("positive_points", doc="points deducted per occurrence")},
    "veto": {},
}


# ---------------------------------------------------------------------------------------------
# The dataclasses
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RubricItem:
    """One item of a rubric.  ``parent`` is the code of its group (None at the top level);
    ``params`` holds the kind's parameters with defaults filled in (numbers as Decimal)."""

    code: str
    title_zh: str
    title_en: str
    kind: str
    max_points: Decimal
    parent: str | None = None
    position: int = 0
    depth: int = 0
    is_bonus: bool = False
    source: str | None = None  # manual or computed for leaves; None for groups
    measure: str | None = None
    basis: str = ""
    note: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_group(self) -> bool:
        return self.kind == "group"

    @property
    def is_computed(self) -> bool:
        return self.source == "computed"

    @property
    def is_cap(self) -> bool:
        return self.kind == "group" and bool(self.params.get("cap"))

    def param(self, name: str) -> Any:
        return self.params.get(name)


@dataclass(frozen=True)
class Rubric:
    """A validated rubric: its header and its items in tree (pre-)order."""

    name: str
    title_zh: str
    title_en: str
    year: int
    basis: str
    max_points: Decimal
    items: tuple[RubricItem, ...]
    bonus_cap: Decimal | None = None
    units: str = "county"
    note: str = ""
    origin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {item.code: item for item in self.items})

    def item(self, code: str) -> RubricItem:
        try:
            return self._by_code[code]  # type: ignore[attr-defined]
        except KeyError:
            raise KeyError(f"rubric {self.name} has no item {code!r}") from None

    def has_item(self, code: str) -> bool:
        return code in self._by_code  # type: ignore[attr-defined]

    def children(self, code: str | None) -> tuple[RubricItem, ...]:
        """The items directly below ``code`` (None: the top level), in order."""
        return tuple(item for item in self.items if item.parent == code)

    @property
    def roots(self) -> tuple[RubricItem, ...]:
        return self.children(None)

    @property
    def leaves(self) -> tuple[RubricItem, ...]:
        return tuple(item for item in self.items if not item.is_group)

    @property
    def measures(self) -> tuple[str, ...]:
        """The measures the rubric's computed items use, without repeats."""
        return tuple(dict.fromkeys(item.measure for item in self.items if item.is_computed and item.measure))

    def to_dict(self) -> dict[str, Any]:
        """The rubric as the mapping a YAML file would hold (numbers as Decimal)."""
        def node(item: RubricItem) -> dict[str, Any]:
            out: dict[str, Any] = {"code": item.code, "title_zh": item.title_zh, "title_en": item.title_en,
                                   "kind": item.kind}
            if item.kind != "veto" or item.max_points:
                out["max_points"] = item.max_points
            if item.is_bonus and item.parent is None:
                out["bonus"] = True
            if item.source is not None:
                out["source"] = item.source
            if item.measure:
                out["measure"] = item.measure
            if item.basis:
                out["basis"] = item.basis
            if item.note:
                out["note"] = item.note
            params = {k: v for k, v in item.params.items() if v is not None and v != PARAMS[item.kind][k].default}
            if params:
                out["params"] = params
            kids = self.children(item.code)
            if kids:
                out["items"] = [node(kid) for kid in kids]
            return out

        out: dict[str, Any] = {"name": self.name, "title_zh": self.title_zh, "title_en": self.title_en,
                               "year": self.year, "basis": self.basis, "max_points": self.max_points}
        if self.bonus_cap is not None:
            out["bonus_cap"] = self.bonus_cap
        out["units"] = self.units
        if self.note:
            out["note"] = self.note
        out["items"] = [node(item) for item in self.roots]
        return out

    def fingerprint(self) -> str:
        """A hash of the definition: equal rubrics have equal fingerprints.  The rubric-level
        ``note`` (documentation the tables do not keep) and the origin are left out."""
        data = self.to_dict()
        data.pop("note", None)
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=_json_number)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _json_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    raise TypeError(type(value).__name__)


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------


def to_decimal(value: Any) -> Decimal:
    """``value`` as a Decimal.  Ints, Decimals and numeric strings convert exactly; floats go
    through ``Decimal(str(round(x, 6)))`` (measured floats keep six decimals).  Booleans, NaN
    and infinities are refused with :class:`ValueError`."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"expected a finite number, got {value!r}")
        result = Decimal(str(round(value, 6)))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"expected a number, got {value!r}") from None
    else:
        raise ValueError(f"expected a number, got {value!r} ({type(value).__name__})")
    if not result.is_finite():
        raise ValueError(f"expected a finite number, got {value!r}")
    return result


def has_two_decimals(value: Decimal) -> bool:
    return value == value.quantize(HUNDREDTH)


def fmt_points(value: Decimal) -> str:
    """Points for a message: ``12``, ``12.5``, ``12.25`` (no trailing zeros)."""
    text = format(value.quantize(HUNDREDTH), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---------------------------------------------------------------------------------------------
# Parsing and validation
# ---------------------------------------------------------------------------------------------


class _Checker:
    def __init__(self, origin: str, measures: Mapping[str, Any] | None) -> None:
        self.origin = origin
        self.measures = measures

    def fail(self, problem: str, item: str | None = None) -> RubricError:
        return RubricError(self.origin, problem, item)

    def text(self, data: Mapping, key: str, item: str | None, *, required: bool = True, limit: int = 300) -> str:
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(f"'{key}' is missing", item)
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(f"'{key}' must be a non-empty text, got {value!r}", item)
        if len(value) > limit:
            raise self.fail(f"'{key}' is longer than {limit} characters", item)
        return value.strip()

    def number(self, value: Any, what: str, item: str | None) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise self.fail(f"{what} must be a number, got {value!r}", item)
        try:
            return to_decimal(value)
        except ValueError as exc:
            raise self.fail(f"{what}: {exc}", item) from None

    def points(self, value: Any, what: str, item: str | None, *, positive: bool = False) -> Decimal:
        number = self.number(value, what, item)
        if number < 0 or (positive and number == 0):
            raise self.fail(f"{what} must be {'more than 0' if positive else 'at least 0'}, got {fmt_points(number)}",
                            item)
        if not has_two_decimals(number):
            raise self.fail(f"{what} must have at most two decimals, got {number}", item)
        return number

    def params(self, kind: str, raw: Any, code: str) -> dict[str, Any]:
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            raise self.fail(f"'params' must be a mapping, got {type(raw).__name__}", code)
        specs = PARAMS[kind]
        unknown = sorted(set(raw) - set(specs))
        if unknown:
            known = ", ".join(specs) or "none"
            raise self.fail(f"unknown parameter {unknown[0]!r} for kind {kind} (parameters: {known})", code)
        out: dict[str, Any] = {}
        for name, spec in specs.items():
            if name not in raw or raw[name] is None:
                if spec.required:
                    raise self.fail(f"parameter '{name}' is missing (kind {kind} needs: "
                                    f"{', '.join(n for n, s in specs.items() if s.required)})", code)
                out[name] = spec.default
                continue
            value = raw[name]
            what = f"parameter '{name}'"
            if spec.type == "bool":
                if not isinstance(value, bool):
                    raise self.fail(f"{what} must be true or false, got {value!r}", code)
            elif spec.type == "choice":
                if value not in spec.choices:
                    raise self.fail(f"{what} must be one of {', '.join(spec.choices)}, got {value!r}", code)
            elif spec.type == "number":
                value = self.number(value, what, code)
            elif spec.type == "positive":
                value = self.number(value, what, code)
                if value <= 0:
                    raise self.fail(f"{what} must be more than 0, got {value}", code)
            elif spec.type in ("points", "positive_points"):
                value = self.points(value, what, code, positive=spec.type == "positive_points")
            out[name] = value
        return out


def parse_rubric(data: Any, origin: str = "<rubric>", *, measures: Mapping[str, Any] | None = None) -> Rubric:
    """Validate ``data`` (the mapping of a rubric file) and build the :class:`Rubric`.

    ``measures`` names the measures computed items may use (default :data:`MEASURE_INFO`).
    Raises :class:`RubricError`.
    """
    if measures is None:
        measures = MEASURE_INFO
    check = _Checker(origin, measures)
    if not isinstance(data, Mapping):
        raise check.fail(f"a rubric must be a mapping, got {type(data).__name__}")
    unknown = sorted(set(data) - RUBRIC_KEYS)
    if unknown:
        raise check.fail(f"unknown key {unknown[0]!r} (keys: {', '.join(sorted(RUBRIC_KEYS))})")
    name = check.text(data, "name", None, limit=64)
    if not NAME_RE.match(name):
        raise check.fail(f"name {name!r} must be lower-case letters, digits, '.', '_' or '-' (at most 64)")
    title_zh = check.text(data, "title_zh", None, limit=200)
    title_en = check.text(data, "title_en", None, limit=200)
    basis = check.text(data, "basis", None, limit=200)
    note = check.text(data, "note", None, required=False, limit=4000)
    year = data.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2100:
        raise check.fail(f"'year' must be a year such as 2020, got {year!r}")
    if "max_points" not in data:
        raise check.fail("'max_points' is missing")
    max_points = check.points(data["max_points"], "'max_points'", None, positive=True)
    units = data.get("units", "county")
    if units not in UNIT_KINDS:
        raise check.fail(f"'units' must be one of {', '.join(UNIT_KINDS)}, got {units!r}")
    bonus_cap = None
    if data.get("bonus_cap") is not None:
        bonus_cap = check.points(data["bonus_cap"], "'bonus_cap'", None, positive=True)

    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise check.fail("'items' must be a non-empty list")

    items: list[RubricItem] = []
    seen: set[str] = set()

    def walk(raw_list: list, parent: RubricItem | None, depth: int) -> list[RubricItem]:
        level: list[RubricItem] = []
        for position, raw in enumerate(raw_list):
            item = build(raw, parent, depth, position)
            level.append(item)
        return level

    def build(raw: Any, parent: RubricItem | None, depth: int, position: int) -> RubricItem:
        where = f"under {parent.code}" if parent else "at the top level"
        if not isinstance(raw, Mapping):
            raise check.fail(f"every item must be a mapping; found {type(raw).__name__} {where}")
        code = raw.get("code")
        if not isinstance(code, str) or not CODE_RE.match(code):
            raise check.fail(f"item code {code!r} {where} must start with a lower-case letter and hold only "
                             "lower-case letters, digits and '_' (at most 32)", None)
        if code in seen:
            raise check.fail("duplicate code", code)
        seen.add(code)
        unknown_keys = sorted(set(raw) - ITEM_KEYS)
        if unknown_keys:
            raise check.fail(f"unknown key {unknown_keys[0]!r} (keys: {', '.join(sorted(ITEM_KEYS))})", code)
        kind = raw.get("kind")
        if kind not in KINDS:
            raise check.fail(f"unknown kind {kind!r} (kinds: {', '.join(KINDS)})", code)
        t_zh = check.text(raw, "title_zh", code)
        t_en = check.text(raw, "title_en", code)
        basis_text = check.text(raw, "basis", code, required=False)
        note_text = check.text(raw, "note", code, required=False, limit=2000)
        if kind == "veto":
            maximum = check.points(raw.get("max_points", 0), "'max_points'", code)
            if maximum != 0:
                raise check.fail(f"a veto item is worth no points: max_points must be 0, got {fmt_points(maximum)}",
                                 code)
            if parent is not None:
                raise check.fail("a veto item applies to the whole score: put it at the top level", code)
        else:
            if "max_points" not in raw:
                raise check.fail("'max_points' is missing", code)
            maximum = check.points(raw["max_points"], "'max_points'", code, positive=True)
        bonus = raw.get("bonus", False)
        if not isinstance(bonus, bool):
            raise check.fail(f"'bonus' must be true or false, got {bonus!r}", code)
        if bonus and parent is not None:
            raise check.fail("'bonus' is set on top-level items only (children inherit it)", code)
        if bonus and kind == "veto":
            raise check.fail("a veto item cannot be a bonus item", code)
        is_bonus = bonus if parent is None else parent.is_bonus
        if parent is not None and maximum > parent.max_points:
            raise check.fail(f"max_points {fmt_points(maximum)} is more than its group {parent.code} allows "
                             f"({fmt_points(parent.max_points)})", code)

        source = raw.get("source")
        measure = raw.get("measure")
        if kind == "group":
            if source is not None or measure is not None:
                raise check.fail("a group has no source or measure: its points are its children's", code)
        else:
            source = "manual" if source is None else source
            if source not in SOURCES:
                raise check.fail(f"'source' must be one of {', '.join(SOURCES)}, got {source!r}", code)
            if source == "computed":
                if kind not in COMPUTABLE_KINDS:
                    raise check.fail(f"kind {kind} cannot be computed from the data (computed kinds: "
                                     f"{', '.join(COMPUTABLE_KINDS)})", code)
                if not isinstance(measure, str) or not measure:
                    raise check.fail("source: computed needs a 'measure'", code)
                if check.measures is not None and measure not in check.measures:
                    raise check.fail(f"unknown measure {measure!r} (measures: {', '.join(check.measures)})", code)
            elif measure is not None:
                raise check.fail("'measure' is only for source: computed", code)
        params = check.params(kind, raw.get("params"), code)
        if kind == "step" and params["per_step"] > maximum:
            raise check.fail(f"per_step {fmt_points(params['per_step'])} is more than the item's maximum "
                             f"{fmt_points(maximum)}", code)
        if kind in ("per_occurrence", "deduction") and params["per"] > maximum:
            raise check.fail(f"per {fmt_points(params['per'])} is more than the item's maximum "
                             f"{fmt_points(maximum)}", code)

        item = RubricItem(
            code=code, title_zh=t_zh, title_en=t_en, kind=kind, max_points=maximum,
            parent=parent.code if parent else None, position=position, depth=depth, is_bonus=is_bonus,
            source=source if kind != "group" else None, measure=measure if source == "computed" else None,
            basis=basis_text, note=note_text, params=params,
        )
        items.append(item)
        kids = raw.get("items")
        if kind == "group":
            if not isinstance(kids, list) or not kids:
                raise check.fail("a group needs a non-empty list of 'items'", code)
            children = walk(kids, item, depth + 1)
            total = sum((child.max_points for child in children), Decimal(0))
            if params["cap"]:
                if total <= maximum:
                    raise check.fail(f"cap: true but its children add up to only {fmt_points(total)}, not more "
                                     f"than its maximum {fmt_points(maximum)} (drop cap, or fix the points)", code)
            elif total != maximum:
                raise check.fail(f"children add up to {fmt_points(total)}, not the group's maximum "
                                 f"{fmt_points(maximum)} (set cap: true if the group caps more generous children)",
                                 code)
        elif kids is not None:
            raise check.fail(f"only a group has 'items'; this item is kind {kind}", code)
        return item

    roots = walk(raw_items, None, 0)
    base_total = sum((r.max_points for r in roots if not r.is_bonus), Decimal(0))
    if base_total != max_points:
        raise check.fail(f"top-level items (bonus items aside) add up to {fmt_points(base_total)}, not the "
                         f"rubric's max_points {fmt_points(max_points)}")
    bonus_total = sum((r.max_points for r in roots if r.is_bonus), Decimal(0))
    if bonus_total and bonus_cap is None:
        raise check.fail(f"bonus items (worth up to {fmt_points(bonus_total)}) need a 'bonus_cap'")
    if bonus_cap is not None:
        if not bonus_total:
            raise check.fail("'bonus_cap' is set but no top-level item has bonus: true")
        if bonus_cap > bonus_total:
            raise check.fail(f"bonus_cap {fmt_points(bonus_cap)} is more than the bonus items can give "
                             f"({fmt_points(bonus_total)})")

    return Rubric(name=name, title_zh=title_zh, title_en=title_en, year=year, basis=basis,
                  max_points=max_points, items=tuple(items), bonus_cap=bonus_cap, units=units, note=note,
                  origin=origin)
