"""The assessment rubric (考核, seeds/004_698f178d961839ed.txt attachment 2): definitions as data
files, a pure scoring engine over exact decimals, measures drawn from the data, and storage.

>>> from fundwatch.data.rubric import load_rubric, score_unit, scores_frame
>>> rubric = load_rubric("chaoyang-2020-sector")                     # data/rubrics/*.yaml
>>> score_unit(rubric, {"innovation": 2, "commend_national": 3}).bonus  # doctest: +SKIP
>>> scores_frame(engine, Scope.all(), "chaoyang-2020-sector", 2020)     # doctest: +SKIP

Modules: :mod:`.model` (the dataclasses and validation), :mod:`.loader` (files),
:mod:`.engine` (:func:`score_unit`, :func:`rank_units`; pure), :mod:`.measures` (per-county
measures sharing the policy rules' measurements), :mod:`.store` (sync, manual entry with audit --
:func:`enter_score` for one edit in its own transaction, :meth:`ScoreRepository.save_many` in
bulk --, scored frames) and :mod:`.values` (the CLI's ``--values`` CSV).
"""

from .engine import ItemInput, ItemScore, ScoreInputError, UnitScore, coerce_value, rank_units, score_unit
from .loader import RUBRIC_DIR, available_rubrics, load_rubric, read_rubric_file
from .measures import MEASURES, Measurement, measure
from .model import KINDS, MEASURE_INFO, PARAMS, Rubric, RubricError, RubricItem, parse_rubric, to_decimal
from .store import (
    CARD_COLUMNS, SCORE_COLUMNS, ScoreEdit, ScoreRepository, clear_score, county_units, enter_score, install_rubric,
    resolve_rubric, rubric_from_db, scorecard_frame, scorecard_to_frame, scores_frame, scores_to_frame, sync_rubric,
    unit_scores,
)
from .values import ValuesError, read_values

__all__ = [
    "CARD_COLUMNS", "KINDS", "MEASURES", "MEASURE_INFO", "PARAMS", "RUBRIC_DIR", "SCORE_COLUMNS", "ItemInput",
    "ItemScore", "Measurement", "Rubric", "RubricError", "RubricItem", "ScoreEdit", "ScoreInputError",
    "ScoreRepository", "UnitScore", "ValuesError", "available_rubrics", "clear_score", "coerce_value", "county_units",
    "enter_score", "install_rubric", "load_rubric", "measure", "parse_rubric", "rank_units", "read_rubric_file",
    "read_values", "resolve_rubric", "rubric_from_db", "score_unit", "scorecard_frame", "scorecard_to_frame",
    "scores_frame", "scores_to_frame", "sync_rubric", "to_decimal", "unit_scores",
]
