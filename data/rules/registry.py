"""The policy-rule registry: every rule's id, titles, severity, legal basis and parameters.

The defaults below are the source of truth; ``default.yaml`` beside this module is the example
override file and lists the same values (a test keeps them in agreement).  Thresholds are
overridden without code changes from a YAML file::

    F1:
      first_min: 0.4      # 40% by 31 March instead of 50%
    L1:
      max_leverage: 10

read by :func:`load_config` (default path: ``$FUNDWATCH_RULES_CONFIG``) and applied with
:func:`rules_with`.  Seed references are to ``../shared/seeds`` (see ``docs/rules-spec.md``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from numbers import Real
from pathlib import Path
from typing import Any

import yaml

from .. import vocab
from . import assets, funds, households, loans, quality
from ._common import SEVERITIES, Context, Finding

ENV_CONFIG = "FUNDWATCH_RULES_CONFIG"
DEFAULT_YAML = Path(__file__).with_name("default.yaml")


class ConfigError(ValueError):
    """A rules configuration that cannot be used: unknown rule or parameter, wrong type or value."""


class FrozenMap(Mapping):
    """A read-only, hashable mapping (parameters of a frozen :class:`Rule`)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping | None = None) -> None:
        self._data = dict(data or {})

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self) -> Iterator:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(tuple(self._data.items()))

    def __eq__(self, other) -> bool:
        return isinstance(other, Mapping) and dict(self._data) == dict(other)

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"


# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------

KINDS = ("ratio", "number", "int", "year", "bool", "month_day", "codes")


@dataclass(frozen=True)
class Param:
    """A rule parameter: its default (the seed's value), kind and meaning.

    Kinds: ``ratio`` a number from 0 to 1; ``number`` a number >= 0; ``int`` a whole number >= 0;
    ``year`` a year or null (no limit); ``bool``; ``month_day`` "MM-DD"; ``codes`` a list of
    codes from ``choices``.
    """

    default: Any
    kind: str
    doc: str
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r}")

    def coerce(self, value: Any, where: str) -> Any:
        """``value`` checked and normalised for this parameter; :class:`ConfigError` if unusable."""
        kind = self.kind

        def fail(expected: str) -> ConfigError:
            return ConfigError(f"{where}: expected {expected}, got {value!r} ({type(value).__name__})")

        if kind in ("ratio", "number"):
            if isinstance(value, bool) or not isinstance(value, Real):
                raise fail("a number")
            value = float(value)
            if value < 0 or (kind == "ratio" and value > 1):
                raise fail("a number from 0 to 1" if kind == "ratio" else "a number >= 0")
            return value
        if kind in ("int", "year"):
            if value is None and kind == "year":
                return None
            if isinstance(value, bool) or not isinstance(value, int):
                raise fail("a year or null" if kind == "year" else "a whole number")
            if value < 0 or (kind == "year" and not 1900 <= value <= 2100):
                raise fail("a year or null" if kind == "year" else "a whole number >= 0")
            return int(value)
        if kind == "bool":
            if not isinstance(value, bool):
                raise fail("true or false")
            return value
        if kind == "month_day":
            if not isinstance(value, str):
                raise fail('a month and day as "MM-DD"')
            try:
                month, day = (int(part) for part in value.split("-"))
                dt.date(2000, month, day)  # a leap year: 02-29 is a valid month-day
            except ValueError:
                raise fail('a month and day as "MM-DD"') from None
            return f"{month:02d}-{day:02d}"
        # codes
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise fail(f"a list of codes from {list(self.choices)}")
        unknown = [v for v in value if v not in self.choices]
        if unknown:
            raise ConfigError(f"{where}: unknown codes {unknown}; allowed: {list(self.choices)}")
        return tuple(value)


def _codes(vocabulary: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(vocabulary)


POVERTY_PROGRAMMES = ("special", "integrated", "linkage")
PROGRAMME_CODES = _codes(vocab.PROGRAMMES)


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------

Check = Callable[[Context, Mapping[str, Any]], list[Finding]]


@dataclass(frozen=True)
class Rule:
    """One named, configurable policy check.

    ``params`` holds the effective parameter values (the defaults unless overridden);
    ``specs`` says what each parameter is.  ``check(ctx, params)`` returns the findings.
    """

    id: str
    title_zh: str
    title_en: str
    severity: str
    basis_zh: str
    basis_en: str
    params: Mapping[str, Any]
    check: Check = field(compare=False)
    specs: Mapping[str, Param] = field(default_factory=FrozenMap, compare=False, repr=False)
    record_table: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"rule {self.id}: severity must be one of {SEVERITIES}")
        if set(self.params) != set(self.specs):
            raise ValueError(f"rule {self.id}: params and specs disagree")
        object.__setattr__(self, "params", FrozenMap(self.params))
        object.__setattr__(self, "specs", FrozenMap(self.specs))

    @property
    def defaults(self) -> dict[str, Any]:
        return {name: spec.default for name, spec in self.specs.items()}

    def basis(self, lang: str = "zh") -> str:
        return self.basis_en if lang == "en" else self.basis_zh

    def title(self, lang: str = "zh") -> str:
        return self.title_en if lang == "en" else self.title_zh

    def with_params(self, overrides: Mapping[str, Any]) -> Rule:
        """A copy with ``overrides`` (checked like a config file's values) applied."""
        if not isinstance(overrides, Mapping):
            raise ConfigError(f"{self.id}: expected a mapping of parameters, got {type(overrides).__name__}")
        values = dict(self.params)
        for name, value in overrides.items():
            if name not in self.specs:
                known = ", ".join(self.specs) or "none"
                raise ConfigError(f"{self.id}: unknown parameter {name!r} (parameters: {known})")
            values[name] = self.specs[name].coerce(value, f"{self.id}.{name}")
        return replace(self, params=FrozenMap(values))

    def run(self, ctx: Context) -> list[Finding]:
        return self.check(ctx, self.params)


def _rule(id: str, severity: str, title_zh: str, title_en: str, basis_zh: str, basis_en: str,
          check: Check, record_table: str, **specs: Param) -> Rule:
    return Rule(id=id, title_zh=title_zh, title_en=title_en, severity=severity, basis_zh=basis_zh,
                basis_en=basis_en, params={k: p.default for k, p in specs.items()}, check=check,
                specs=specs, record_table=record_table)


_G17 = "赣市府办字〔2020〕17号"
_G17_EN = "Ganzhou Gov. Office notice 赣市府办字〔2020〕17号"
_C67 = "朝财农〔2020〕67号"
_C67_EN = "Chaoyang Finance Bureau notice 朝财农〔2020〕67号"
_G6 = "赣市发〔2021〕6号"
_G6_EN = "Ganzhou CPC/Gov. opinion 赣市发〔2021〕6号"
_JX2015 = "江西省关于贫困县统筹整合使用财政资金的意见（2015年8月25日）"
_JX2015_EN = "Jiangxi provincial opinion on integrating funds in poor counties (2015-08-25)"
_DQ = "数据质量检查"
_DQ_EN = "data quality check"

RULES: tuple[Rule, ...] = (
    _rule(
        "F1", "warning", "扶贫资金拨付进度", "Disbursement pace of poverty funds",
        f"{_G17} 第13条", f"{_G17_EN}, item 13", funds.check_f1, "allocation",
        levels=Param(("central", "provincial", "city", "county"), "codes",
                     "budget levels checked (the seed names the city and county levels' own funds)",
                     _codes(vocab.SOURCE_LEVELS)),
        programmes=Param(POVERTY_PROGRAMMES, "codes", "programmes counted as poverty funds", PROGRAMME_CODES),
        first_date=Param("03-31", "month_day", "first milestone (3月底前)"),
        first_min=Param(0.50, "ratio", "minimum disbursed share by the first milestone (不低于50%)"),
        second_date=Param("06-30", "month_day", "second milestone (6月底前)"),
        second_min=Param(0.80, "ratio", "minimum disbursed share by the second milestone (不低于80%)"),
        check_year_end=Param(True, "bool", "also check a year-end milestone (not in the seed)"),
        year_end_date=Param("12-31", "month_day", "year-end milestone"),
        year_end_min=Param(0.95, "ratio", "minimum disbursed share by year end (product default)"),
        project_next=Param(True, "bool", "notice when the next milestone is projected to be missed"),
    ),
    _rule(
        "F2", "warning", "县级扶贫资金投入", "County input into the poverty budget",
        f"{_G17} 第2条", f"{_G17_EN}, item 2", funds.check_f2, "county_finance.year",
        min_share=Param(0.10, "ratio", "share of the general-revenue increment added to the poverty budget (10%)"),
        first_year=Param(None, "year", "first year checked (null: no limit; the seed sets it for 2020)"),
        last_year=Param(None, "year", "last year checked (null: no limit)"),
    ),
    _rule(
        "F3", "notice", "投入增长与资金整合", "Input growth and fund integration",
        f"{_C67} 二（一）至（三）", f"{_C67_EN}, part 2 (1)-(3)", funds.check_f3, "allocation",
        programmes=Param(POVERTY_PROGRAMMES, "codes", "programmes counted as poverty funds", PROGRAMME_CODES),
        input_growth_min=Param(0.20, "number", "growth of city+county input over last year (增长20%)"),
        superior_growth_min=Param(0.20, "number", "growth of superior funds obtained (增长20%以上)"),
        integration_min=Param(0.35, "ratio", "integrated share of integrable funds (35%以上)"),
        first_year=Param(2016, "year", "first year checked (campaign years)"),
        last_year=Param(2020, "year", "last year checked (campaign years)"),
    ),
    _rule(
        "F4", "warning", "整合资金规模只增不减", "Integrated funds must not shrink",
        f"{_G17} 第4条；{_G6} 五（十九）", f"{_G17_EN}, item 4; {_G6_EN}, 5 (19)", funds.check_f4, "allocation",
        min_ratio=Param(1.0, "number", "integrated scale of the year / last year's (只增不减)"),
        first_year=Param(2017, "year", "first year checked"),
        last_year=Param(2023, "year", "last year checked (integration continues 3 years into the transition)"),
    ),
    _rule(
        "F5", "violation", "整合资金负面清单", "Negative list for integrated funds",
        f"{_JX2015} 六（六）", f"{_JX2015_EN}, 6 (6)", funds.check_f5, "disbursement",
        programmes=Param(("integrated",), "codes", "programmes counted as integrated money", PROGRAMME_CODES),
        negative_list=Param(vocab.NEGATIVE_LIST, "codes", "project categories integrated money must not go to",
                            _codes(vocab.PROJECT_CATEGORIES)),
    ),
    _rule(
        "F6", "notice", "资金分配结果公开", "Publication of allocation results",
        f"{_G17} 第15条", f"{_G17_EN}, item 15", funds.check_f6, "allocation",
        max_days=Param(30, "int", "days after issue by which the allocation result is published (product default)"),
    ),
    _rule(
        "L1", "warning", "风险缓释金放大倍数", "Leverage of the risk-mitigation fund",
        f"{_G17} 第7条", f"{_G17_EN}, item 7", loans.check_l1, "loan",
        max_leverage=Param(8.0, "number", "outstanding loans / risk fund may not exceed this (1:8)"),
        idle_below=Param(2.0, "number", "below this the risk money is idle (product default)"),
    ),
    _rule(
        "L2", "warning", "贷款逾期与违约率", "Overdue and default rate of loans",
        f"{_G17} 第6、7条（预警线为本系统设定）", f"{_G17_EN}, items 6-7 (alert line set by this product)",
        loans.check_l2, "loan",
        max_bad_ratio=Param(0.03, "ratio", "overdue + default share of outstanding loans (product default)"),
        bad_statuses=Param(("overdue", "default"), "codes", "loan statuses counted as bad",
                           _codes(vocab.LOAN_STATUSES)),
        by_bank=Param(True, "bool", "also check each bank within the county"),
        by_borrower_type=Param(True, "bool", "also check each borrower type within the county"),
        drill_down=Param(True, "bool", "check banks and borrower types only inside a county over the line"),
    ),
    _rule(
        "L3", "warning", "担保费市县分担", "Guarantee-fee split between city and county",
        f"{_G17} 第8条", f"{_G17_EN}, item 8", loans.check_l3, "loan",
        city_share=Param(0.5, "ratio", "city's share of the guarantee fee (市县财政5:5负担)"),
        tolerance_fen=Param(1.0, "number", "a share may be off its exact part by less than this many fen"),
    ),
    _rule(
        "A1", "warning", "公益性资产管护主体", "Custodian of public-welfare assets",
        f"{_G6} 三（八）", f"{_G6_EN}, 3 (8)", assets.check_a1, "asset",
    ),
    _rule(
        "A2", "warning", "经营性资产产权与收益", "Ownership and income of operating assets",
        f"{_G6} 三（八）", f"{_G6_EN}, 3 (8)", assets.check_a2, "asset",
    ),
    _rule(
        "A3", "warning", "光伏电站收益分配", "Income distribution of PV stations",
        f"{_G6} 三（八）", f"{_G6_EN}, 3 (8)", assets.check_a3, "asset_income",
        subtypes=Param(("pv_station",), "codes", "asset subtypes whose income distribution is checked",
                       _codes(vocab.ASSET_SUBTYPES)),
    ),
    _rule(
        "A4", "notice", "闲置或损毁资产", "Idle or damaged assets",
        f"{_G6} 三（八）", f"{_G6_EN}, 3 (8)", assets.check_a4, "asset",
        statuses=Param(("idle", "damaged"), "codes", "asset statuses listed", _codes(vocab.ASSET_STATUSES)),
    ),
    _rule(
        "H1", "warning", "收入低于警戒线未纳入监测", "Income below the alert line but not monitored",
        f"{_G6} 二（一）", f"{_G6_EN}, 2 (1)", households.check_h1, "household",
        alert_multiple=Param(1.2, "number", "alert line = this x the rural dibao standard (1.2倍)"),
        from_year=Param(2021, "year", "first year checked (the transition period)"),
    ),
    _rule(
        "H2", "warning", "监测对象识别录入时限", "Time limit for identification and entry",
        f"{_G6} 二（一）", f"{_G6_EN}, 2 (1)", households.check_h2, "household",
        max_workdays=Param(15, "int", "working days from found to entered (15个工作日内)"),
        from_year=Param(2021, "year", "first year checked (the transition period)"),
    ),
    _rule(
        "H3", "warning", "识别后未落实帮扶措施", "No assistance after identification",
        f"{_G6} 二（一）（二）", f"{_G6_EN}, 2 (1)-(2)", households.check_h3, "household",
        grace_days=Param(30, "int", "calendar days after identification to start a measure (product default)"),
        from_year=Param(2021, "year", "first year checked (the transition period)"),
    ),
    _rule(
        "H4", "violation", "返贫", "Return to poverty",
        f"{_G6} 一（不发生规模性返贫底线）", f"{_G6_EN}, 1 (the red line)", households.check_h4, "household",
    ),
    _rule("Q1", "notice", "拨付无资金下达记录", "Disbursements without an allocation",
          _DQ, _DQ_EN, quality.check_q1, "disbursement"),
    _rule("Q2", "notice", "未入库项目使用专项资金", "Projects outside the pool with special funds",
          f"{_C67} 三（六）", f"{_C67_EN}, part 3 (6)", quality.check_q2, "project",
          programmes=Param(("special",), "codes", "programmes a project must be in the pool for",
                           PROGRAMME_CODES)),
    _rule("Q3", "notice", "已完工项目未登记资产", "Spent, completed projects without an asset",
          _DQ, _DQ_EN, quality.check_q3, "project"),
    _rule("Q4", "notice", "资产无来源项目", "Assets without a source project",
          _DQ, _DQ_EN, quality.check_q4, "asset"),
    _rule("Q5", "notice", "贷款无风险缓释金", "Loans without a risk-fund deposit",
          _DQ, _DQ_EN, quality.check_q5, "loan"),
    _rule("Q6", "notice", "收入无对应低保标准", "Incomes without a dibao standard",
          _DQ, _DQ_EN, quality.check_q6, "household"),
)

RULE_IDS: tuple[str, ...] = tuple(rule.id for rule in RULES)
_BY_ID = {rule.id: rule for rule in RULES}


def get_rule(rule_id: str) -> Rule:
    try:
        return _BY_ID[rule_id.upper()]
    except KeyError:
        raise KeyError(f"unknown rule {rule_id!r}; rules: {', '.join(RULE_IDS)}") from None


def defaults() -> dict[str, dict[str, Any]]:
    """Every rule's default parameters, in registry order."""
    return {rule.id: rule.defaults for rule in RULES}


# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------


def config_path_from_env() -> Path | None:
    value = os.environ.get(ENV_CONFIG)
    return Path(value) if value else None


def validate_overrides(overrides: Mapping[str, Any] | None, where: str = "rules config") -> dict[str, dict[str, Any]]:
    """Check ``{rule_id: {param: value}}`` and return it normalised; :class:`ConfigError` if not."""
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise ConfigError(f"{where}: expected a mapping of rule ids to parameters, got {type(overrides).__name__}")
    result: dict[str, dict[str, Any]] = {}
    for rule_id, params in overrides.items():
        if not isinstance(rule_id, str) or rule_id not in _BY_ID:
            raise ConfigError(f"{where}: unknown rule {rule_id!r}; rules: {', '.join(RULE_IDS)}")
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            raise ConfigError(f"{where}: {rule_id}: expected a mapping of parameters, got {type(params).__name__}")
        rule = _BY_ID[rule_id]
        checked = rule.with_params(params)
        result[rule_id] = {name: checked.params[name] for name in params}
    return result


def load_config(path: str | os.PathLike | None = None) -> dict[str, dict[str, Any]]:
    """Read a YAML override file: ``{rule_id: {param: value}}``, checked against the registry.

    ``path`` defaults to ``$FUNDWATCH_RULES_CONFIG``; with neither, there are no overrides.
    Raises :class:`ConfigError` for a missing or unreadable file, bad YAML, an unknown rule or
    parameter, or a value of the wrong type.
    """
    if path is None:
        path = config_path_from_env()
        if path is None:
            return {}
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read rules config {path}: {exc.strerror or exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"rules config {path} is not valid YAML: {exc}") from exc
    return validate_overrides(data if data is not None else {}, where=str(path))


def rules_with(overrides: Mapping[str, Mapping[str, Any]] | None = None) -> tuple[Rule, ...]:
    """The registry's rules, in id order, with ``overrides`` ({rule_id: {param: value}}) applied."""
    checked = validate_overrides(overrides)
    return tuple(rule.with_params(checked[rule.id]) if rule.id in checked else rule for rule in RULES)


def resolve_rules(config: str | os.PathLike | Mapping | None = None) -> tuple[Rule, ...]:
    """Rules for an evaluation: ``config`` is a YAML path, an overrides mapping, or None for
    ``$FUNDWATCH_RULES_CONFIG`` (no overrides when unset)."""
    if config is None or isinstance(config, str | os.PathLike):
        return rules_with(load_config(config))
    return rules_with(config)
