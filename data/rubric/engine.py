"""Scoring a unit on a rubric: pure functions over exact decimals, no I/O.

:func:`score_unit` takes a :class:`~fundwatch.data.rubric.model.Rubric` and the raw input of each
item and returns a :class:`UnitScore`: every item's points, maximum, points lost and why, where
its input came from (computed from the data, entered by an assessor with evidence, or missing),
the base total, the bonus after its cap, the veto and the total.  :func:`rank_units` ranks
scores.

The raw input of an item depends on its kind:

==================  ===========================================================================
manual              the points awarded (0 to the maximum, at most two decimals)
ratio, step         the measured value (0.235 = 23.5%; leverage in times)
per_occurrence      the number of occurrences (a whole number >= 0)
deduction           the number of occurrences deducted for (a whole number >= 0)
veto                1 when the veto applies, 0 when it does not
==================  ===========================================================================

Arithmetic: values are Decimals (floats are taken as ``Decimal(str(round(x, 6)))``); points are
rounded half-up to hundredths (四舍五入) only where a ratio makes them fractional, so step,
per-occurrence and deduction points are exact.  Caps apply at every level: an item never
exceeds its maximum, a group never exceeds its maximum (a ``cap: true`` group caps children
that add up to more), the base never exceeds the rubric's maximum and the bonus never exceeds
``bonus_cap``.  ``total = base + bonus``, or 0 when a veto item is triggered; ``base`` and
``bonus`` keep their values under a veto so the scorecard still shows what was earned.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from .model import HUNDREDTH, MEASURE_INFO, Rubric, RubricItem, fmt_points, has_two_decimals, to_decimal

ZERO = Decimal(0)
ONE = Decimal(1)
SOURCES = ("computed", "manual", "missing", "group")


class ScoreInputError(ValueError):
    """An input an item cannot take: ``str()`` reads ``item CODE: PROBLEM``."""

    def __init__(self, item: str, problem: str) -> None:
        self.item = item
        self.problem = problem
        super().__init__(f"item {item}: {problem}")


@dataclass(frozen=True)
class ItemInput:
    """The raw input of one item (see the module doc for what ``value`` means per kind).

    ``source`` is ``computed`` (measured from the data) or ``manual`` (entered); ``value=None``
    means there is nothing to score with, and ``note_zh``/``note_en`` may say why (for a computed
    item: what could not be measured) or how the value was measured.
    """

    value: Any
    source: str = "manual"
    evidence: str | None = None
    assessor: str | None = None
    note_zh: str = ""
    note_en: str = ""


@dataclass(frozen=True)
class ItemScore:
    """One item's result.  ``raw_points`` are before the item's own cap; ``lost`` is
    ``max_points - points`` and ``note_zh``/``note_en`` explain the points (and any loss)."""

    code: str
    parent: str | None
    depth: int
    kind: str
    title_zh: str
    title_en: str
    is_bonus: bool
    max_points: Decimal
    points: Decimal
    raw_points: Decimal
    lost: Decimal
    capped: bool
    source: str
    value: Decimal | None = None
    measure: str | None = None
    evidence: str | None = None
    assessor: str | None = None
    triggered: bool = False
    note_zh: str = ""
    note_en: str = ""

    def title(self, lang: str = "zh") -> str:
        return self.title_en if lang == "en" else self.title_zh

    def note(self, lang: str = "zh") -> str:
        return self.note_en if lang == "en" else self.note_zh


@dataclass(frozen=True)
class UnitScore:
    """A unit's score on a rubric.  ``items`` are in the rubric's tree order.  ``missing`` lists
    the leaf items with no input (scored 0).  ``rank`` is set by :func:`rank_units`."""

    rubric: str
    unit_code: str
    unit_name: str
    items: tuple[ItemScore, ...]
    base: Decimal
    base_raw: Decimal
    bonus: Decimal
    bonus_raw: Decimal
    vetoed: bool
    total: Decimal
    veto_reason_zh: str | None = None
    veto_reason_en: str | None = None
    missing: tuple[str, ...] = ()
    rank: int | None = None
    _by_code: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {item.code: item for item in self.items})

    def item(self, code: str) -> ItemScore:
        return self._by_code[code]

    def points(self) -> dict[str, Decimal]:
        """Points per item code, in tree order."""
        return {item.code: item.points for item in self.items}

    def veto_reason(self, lang: str = "zh") -> str | None:
        return self.veto_reason_en if lang == "en" else self.veto_reason_zh


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------


def _as_input(raw: Any) -> ItemInput:
    return raw if isinstance(raw, ItemInput) else ItemInput(value=raw)


def coerce_value(item: RubricItem, value: Any) -> Decimal:
    """``value`` checked for ``item``'s kind (see the module doc); :class:`ScoreInputError` if it
    cannot be used."""
    code = item.code
    if item.kind == "group":
        raise ScoreInputError(code, "is a group: its points are the sum of its items, not an input")
    if item.kind == "veto" and isinstance(value, bool):
        return ONE if value else ZERO
    try:
        number = to_decimal(value)
    except ValueError as exc:
        raise ScoreInputError(code, str(exc)) from None
    if item.kind == "manual":
        if number < 0:
            raise ScoreInputError(code, f"points must be at least 0, got {fmt_points(number)}")
        if number > item.max_points:
            raise ScoreInputError(code, f"points {fmt_points(number)} exceed the item's maximum "
                                        f"{fmt_points(item.max_points)}")
        if not has_two_decimals(number):
            raise ScoreInputError(code, f"points must have at most two decimals, got {number}")
    elif item.kind in ("per_occurrence", "deduction"):
        if number < 0 or number != number.to_integral_value():
            raise ScoreInputError(code, f"expected a count (a whole number >= 0), got {value!r}")
        number = number.quantize(ONE)
    elif item.kind == "veto":
        if number not in (ZERO, ONE):
            raise ScoreInputError(code, f"a veto is 1 (applies) or 0 (does not), got {value!r}")
    return number


# ---------------------------------------------------------------------------------------------
# Formatting for notes
# ---------------------------------------------------------------------------------------------


def value_unit(item: RubricItem) -> str:
    """How an item's value reads: the item's ``unit`` parameter, else its measure's, else ratio."""
    unit = item.params.get("unit")
    if unit:
        return unit
    if item.measure and item.measure in MEASURE_INFO:
        return MEASURE_INFO[item.measure].unit
    return "ratio"


def fmt_value(value: Decimal, unit: str) -> str:
    """0.235 -> '23.5%' (ratio), 7.5 -> '7.5' (times and numbers); up to two decimals shown."""
    if unit == "ratio":
        return f"{fmt_points(value * 100)}%"
    return fmt_points(value)


def _times(value: str, unit: str, lang: str) -> str:
    if unit == "times":
        return f"{value}倍" if lang == "zh" else f"{value} times"
    return value


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------


def _round(points: Decimal) -> Decimal:
    return points.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def _leaf(item: RubricItem, given: ItemInput | None) -> ItemScore:
    maximum = item.max_points
    base = dict(code=item.code, parent=item.parent, depth=item.depth, kind=item.kind, title_zh=item.title_zh,
                title_en=item.title_en, is_bonus=item.is_bonus, max_points=maximum, measure=item.measure)

    if given is None or given.value is None or (isinstance(given.value, str) and not given.value.strip()):
        if item.kind == "veto":
            return ItemScore(**base, points=ZERO, raw_points=ZERO, lost=ZERO, capped=False, source="missing",
                             note_zh="未触发一票否决", note_en="veto not applied")
        why_zh = (given.note_zh if given is not None else "") or ("无法从数据计算" if item.is_computed else "尚未评分")
        why_en = (given.note_en if given is not None else "") or (
            "cannot be computed from the data" if item.is_computed else "not scored yet")
        return ItemScore(**base, points=ZERO, raw_points=ZERO, lost=maximum, capped=False, source="missing",
                         note_zh=f"{why_zh}，计0分", note_en=f"{why_en}: 0 points")

    value = coerce_value(item, given.value)
    source = "computed" if given.source == "computed" else "manual"
    extra = dict(value=value, evidence=given.evidence, assessor=given.assessor, source=source)
    lead_zh = f"{given.note_zh}；" if given.note_zh else ""
    lead_en = f"{given.note_en}; " if given.note_en else ""
    kind, p = item.kind, item.params
    mx = fmt_points(maximum)

    if kind == "manual":
        raw = value
        zh = f"评分{fmt_points(value)}分（满分{mx}分）"
        en = f"{fmt_points(value)} of {mx} points awarded"
        if given.evidence:
            zh += f"；依据：{given.evidence}"
            en += f"; evidence: {given.evidence}"
    elif kind == "ratio":
        unit = value_unit(item)
        target = p["target"]
        shown, goal = _times(fmt_value(value, unit), unit, "zh"), _times(fmt_value(target, unit), unit, "zh")
        shown_en, goal_en = _times(fmt_value(value, unit), unit, "en"), _times(fmt_value(target, unit), unit, "en")
        if p["direction"] == "at_most":
            if value <= target:
                raw = maximum
                zh, en = f"实际{shown}，不超过{goal}，得满分", f"{shown_en}, within {goal_en}: full points"
            else:
                raw = _round(maximum * target / value)
                zh = f"实际{shown}，超过{goal}，按{goal}÷{shown}得{fmt_points(raw)}分"
                en = f"{shown_en}, above {goal_en}: {goal_en} / {shown_en} of the points, {fmt_points(raw)}"
        elif value >= target:
            raw = maximum
            zh, en = f"实际{shown}，达到目标{goal}，得满分", f"{shown_en}, target {goal_en} reached: full points"
        elif value <= 0:
            raw = ZERO
            zh, en = f"实际{shown}，目标{goal}，计0分", f"{shown_en} against a target of {goal_en}: 0 points"
        else:
            raw = _round(maximum * value / target)
            zh = f"实际{shown}，目标{goal}，按比例得{fmt_points(raw)}分"
            en = f"{shown_en} against a target of {goal_en}: {fmt_points(raw)} points pro rata"
    elif kind == "step":
        unit = value_unit(item)
        threshold, step, per = p["threshold"], p["step"], p["per_step"]
        steps = ((value - threshold) / step).to_integral_value(rounding=ROUND_FLOOR) if value > threshold else ZERO
        raw = steps * per
        v_zh, t_zh, s_zh = (_times(fmt_value(x, unit), unit, "zh") for x in (value, threshold, step))
        v_en, t_en, s_en = (_times(fmt_value(x, unit), unit, "en") for x in (value, threshold, step))
        if steps:
            zh = f"实际{v_zh}，超过{t_zh}共{steps}档（每{s_zh}加{fmt_points(per)}分）"
            en = f"{v_en}: {steps} full step(s) of {s_en} above {t_en}, {fmt_points(per)} point(s) each"
        else:
            zh = f"实际{v_zh}，未超过{t_zh}一档（每{s_zh}加{fmt_points(per)}分），计0分"
            en = f"{v_en}: not a full step of {s_en} above {t_en}, 0 points"
    elif kind == "per_occurrence":
        per = p["per"]
        raw = value * per
        zh = f"{value}次×{fmt_points(per)}分={fmt_points(raw)}分"
        en = f"{value} x {fmt_points(per)} = {fmt_points(raw)} points"
    elif kind == "deduction":
        per = p["per"]
        deducted = value * per
        raw = maximum - deducted
        zh = f"{value}次×{fmt_points(per)}分，扣{fmt_points(deducted)}分"
        en = f"{value} x {fmt_points(per)} = {fmt_points(deducted)} points deducted"
        if raw < 0:
            zh += f"，扣完为止（{mx}分）"
            en += f", until none is left ({mx})"
            raw_points = raw
            return ItemScore(**base, **extra, points=ZERO, raw_points=raw_points, lost=maximum, capped=True,
                             note_zh=lead_zh + zh, note_en=lead_en + en)
    else:  # veto
        triggered = value == ONE
        reason_zh = given.evidence or item.title_zh
        reason_en = given.evidence or item.title_en
        return ItemScore(**base, **extra, points=ZERO, raw_points=ZERO, lost=ZERO, capped=False,
                         triggered=triggered,
                         note_zh=f"一票否决：{reason_zh}" if triggered else "未触发一票否决",
                         note_en=f"veto: {reason_en}" if triggered else "veto not applied")

    points = min(raw, maximum)
    capped = raw > maximum
    if capped:
        zh += f"，封顶{mx}分"
        en += f", capped at {mx}"
    return ItemScore(**base, **extra, points=points, raw_points=raw, lost=maximum - points, capped=capped,
                     note_zh=lead_zh + zh, note_en=lead_en + en)


def score_unit(rubric: Rubric, inputs: Mapping[str, Any], *, unit_code: str = "", unit_name: str = "") -> UnitScore:
    """Score one unit: ``inputs`` maps item codes to :class:`ItemInput` (or bare values, taken as
    manual input).  Items without an input score 0 and are listed in ``missing``.

    Raises :class:`ScoreInputError` for an input an item cannot take (points over the maximum,
    a fractional count, an input for a group, an unknown item code).
    """
    for code in inputs:
        if not rubric.has_item(code):
            raise ScoreInputError(code, f"is not an item of rubric {rubric.name}")
        if rubric.item(code).is_group:
            raise ScoreInputError(code, "is a group: its points are the sum of its items, not an input")
    with decimal.localcontext() as ctx:
        ctx.prec = 40
        ctx.rounding = decimal.ROUND_HALF_EVEN
        results: dict[str, ItemScore] = {}
        missing: list[str] = []
        # post-order: children before their group
        for item in reversed(rubric.items):
            if item.is_group:
                kids = [results[k.code] for k in rubric.children(item.code)]
                raw = sum((k.points for k in kids), ZERO)
                points = min(raw, item.max_points)
                capped = raw > item.max_points
                parts = "+".join(fmt_points(k.points) for k in kids)
                zh = f"{parts}={fmt_points(raw)}分" if len(kids) > 1 else f"{fmt_points(raw)}分"
                en = f"{parts} = {fmt_points(raw)} points" if len(kids) > 1 else f"{fmt_points(raw)} points"
                if capped:
                    zh += f"，封顶{fmt_points(item.max_points)}分"
                    en += f", capped at {fmt_points(item.max_points)}"
                results[item.code] = ItemScore(
                    code=item.code, parent=item.parent, depth=item.depth, kind=item.kind, title_zh=item.title_zh,
                    title_en=item.title_en, is_bonus=item.is_bonus, max_points=item.max_points, points=points,
                    raw_points=raw, lost=item.max_points - points, capped=capped, source="group",
                    note_zh=zh, note_en=en,
                )
            else:
                given = inputs.get(item.code)
                scored = _leaf(item, None if given is None else _as_input(given))
                if scored.source == "missing" and item.kind != "veto":
                    missing.append(item.code)
                results[item.code] = scored

        roots = [results[r.code] for r in rubric.roots]
        base_raw = sum((r.points for r in roots if not r.is_bonus and r.kind != "veto"), ZERO)
        base = min(base_raw, rubric.max_points)
        bonus_raw = sum((r.points for r in roots if r.is_bonus), ZERO)
        bonus = bonus_raw if rubric.bonus_cap is None else min(bonus_raw, rubric.bonus_cap)
        vetoes = [r for r in roots if r.kind == "veto" and r.triggered]
        vetoed = bool(vetoes)
        total = ZERO if vetoed else base + bonus

    reason_zh = "；".join(f"{v.title_zh}：{v.evidence}" if v.evidence else v.title_zh for v in vetoes) or None
    reason_en = "; ".join(f"{v.title_en}: {v.evidence}" if v.evidence else v.title_en for v in vetoes) or None
    return UnitScore(
        rubric=rubric.name, unit_code=unit_code, unit_name=unit_name,
        items=tuple(results[item.code] for item in rubric.items),
        base=base, base_raw=base_raw, bonus=bonus, bonus_raw=bonus_raw, vetoed=vetoed, total=total,
        veto_reason_zh=reason_zh, veto_reason_en=reason_en, missing=tuple(reversed(missing)),
    )


def rank_units(scores: Iterable[UnitScore]) -> list[UnitScore]:
    """``scores`` ordered best first with ``rank`` set: by total (highest first), a vetoed unit
    after an unvetoed one with the same total, then by unit code.  Equal totals share a rank
    and the next rank skips (1, 2, 2, 4)."""
    ordered = sorted(scores, key=lambda s: (-s.total, s.vetoed, s.unit_code))
    ranked: list[UnitScore] = []
    previous: tuple[Decimal, bool] | None = None
    rank = 0
    for position, score in enumerate(ordered, 1):
        key = (score.total, score.vetoed)
        if key != previous:
            rank, previous = position, key
        ranked.append(replace(score, rank=rank))
    return ranked

