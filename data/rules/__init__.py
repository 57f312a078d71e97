"""Policy rules (预警规则): a registry of named, configurable checks and their evaluation.

>>> from fundwatch.data.rules import evaluate, format_findings
>>> frame = evaluate(engine, Scope.all(), 2020)            # doctest: +SKIP
>>> print(format_findings(frame, "json"))                  # doctest: +SKIP

Rules (ids in order): F1-F6 funds, L1-L3 loans, A1-A4 assets, H1-H4 households, Q1-Q6 data
quality.  See ``docs/rules-spec.md`` for what each checks and ``default.yaml`` for the
parameters and their seed basis.
"""

from ._common import SEVERITIES, Context, Finding
from .evaluate import (
    COLUMNS, JSON_KEYS, default_as_of, empty_findings, evaluate, findings_to_records, format_findings,
)
from .registry import (
    DEFAULT_YAML, ENV_CONFIG, RULE_IDS, RULES, ConfigError, Param, Rule, defaults, get_rule, load_config,
    resolve_rules, rules_with, validate_overrides,
)

__all__ = [
    "COLUMNS", "DEFAULT_YAML", "ENV_CONFIG", "JSON_KEYS", "RULES", "RULE_IDS", "SEVERITIES", "ConfigError",
    "Context", "Finding", "Param", "Rule", "default_as_of", "defaults", "empty_findings", "evaluate",
    "findings_to_records", "format_findings", "get_rule", "load_config", "resolve_rules", "rules_with",
    "validate_overrides",
]
