"""The transition-period store (过渡期 2021-2025, seeds/003): its messages, cached frames,
presenters and the paged household list.  The views live in :mod:`.transition_views`.

The store follows the region path like the drill-down (county > township > village) and loads
only what the transition page shows: households under monitoring and the identification clock,
the four no-removals (四个不摘) in money and village types, project assets, and the household
and asset rules (H1-H4, A1-A4) of the county.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import param

from fundwatch.data.masking import count_array, count_total
from fundwatch.data.reads import transition as reads

from . import frames as F
from . import i18n, present
from . import loaders as L
from .i18n import t
from .loaders import cached
from .present import COUNT, DATE, MONEY, PCT, YEAR, Col
from .stores import DashboardStore, PagedList, _empty

i18n.extend({
    "zh": {
        "tr.phase.campaign": "脱贫攻坚 2016–2020",
        "tr.phase.integration": "过渡期 · 脱贫县继续统筹整合涉农资金 2021–2023",
        "tr.phase.transition": "过渡期 2024–2025",
        "tr.phase.normal": "常态化帮扶 2026年起",
        "tr.timeline": "过渡期进程",
        "tr.timeline.as_of": "截至{date}",
        "tr.timeline.before": "截至{date}：过渡期尚未开始",
        "tr.timeline.during": "截至{date}：过渡期第{year}年，距结束还有{days}天",
        "tr.timeline.after": "截至{date}：过渡期已于2025年12月31日结束，进入常态化帮扶",
        "tr.kpi.monitored": "监测对象（在监测）",
        "tr.kpi.monitored.sub": "待识别{pending}户 · 人口{members}人",
        "tr.kpi.overdue": "逾期未完成识别录入",
        "tr.kpi.overdue.sub": "15个工作日时限 · 即将到期{soon}户",
        "tr.kpi.on_time": "{year}年按时识别率",
        "tr.kpi.on_time.sub": "已判定{decided}户，超时{late}户",
        "tr.kpi.eliminated": "{year}年风险消除",
        "tr.kpi.eliminated.sub": "当年新纳入监测{entered}户",
        "tr.kpi.assets": "闲置或损毁资产",
        "tr.kpi.assets.sub": "公益性资产管护覆盖{custody} · 经营性资产产权明晰{owned}",
        "tr.panel.mix": "在监测对象（按类别和风险类型）",
        "tr.panel.flow": "监测对象纳入与退出（按月）",
        "tr.panel.ages": "在监测对象（按纳入时长）",
        "tr.panel.clock": "{year}年15个工作日内完成识别的比例（按县、月）",
        "tr.panel.open": "未完成识别录入的监测对象（到期日与逾期工作日）",
        "tr.panel.income": "人均收入与收入警戒线（低保标准1.2倍）",
        "tr.panel.measures": "帮扶措施（按类型）",
        "tr.panel.wait": "识别后首次落实帮扶措施的等待天数",
        "tr.panel.funds": "资金投入：脱贫县与其他县（每县平均）2019–2026年",
        "tr.panel.linkage": "衔接资金用于产业发展的比例",
        "tr.panel.integration": "统筹整合资金（每县平均）：脱贫县过渡期前3年继续整合",
        "tr.panel.villages": "重点帮扶村与巩固拓展村",
        "tr.panel.formed": "项目资产形成（按年份和类别）",
        "tr.panel.custody": "资产管护覆盖与产权明晰",
        "tr.panel.asset_income": "经营性资产收益及分配",
        "tr.panel.pv_income": "光伏电站收益及分配",
        "tr.panel.warnings": "监测户与资产预警（H1–H4、A1–A4）",
        "tr.panel.households": "监测户名单",
        "tr.note.open": "截至{date}；红色为已逾期，橙色为3个工作日内到期。工作日按国家法定节假日和调休计算{provisional}。",
        "tr.note.provisional": "（部分日期超出官方日历，为暂定）",
        "tr.note.income": "横轴为人均收入与所在县对应年度收入警戒线之比，竖线为警戒线；{lines}",
        "tr.note.alert_line": "{county}{year}年警戒线{line}",
        "tr.note.clock": "已判定的案例中，在发现后15个工作日内完成识别并录入系统的比例（赣市发〔2021〕6号 二（一））。",
        "tr.note.masked": "姓名与证件号码已脱敏（姓+*，证件号保留前3位和后4位）。",
        "tr.series.ex_poverty": "脱贫县（每县平均）",
        "tr.series.others": "其他县（每县平均）",
        "tr.series.selected": "{county}",
        "tr.series.entered": "纳入监测",
        "tr.series.left": "风险消除",
        "tr.series.under": "在监测",
        "tr.series.custody": "公益性资产有管护主体",
        "tr.series.ownership": "产权明晰",
        "tr.series.monitored": "在监测",
        "tr.series.unmonitored": "未纳入监测",
        "tr.series.to_collective": "村集体",
        "tr.series.to_households": "农户",
        "tr.series.to_other": "其他",
        "tr.age.m1": "1个月内",
        "tr.age.m3": "1–3个月",
        "tr.age.m6": "3–6个月",
        "tr.age.m12": "6–12个月",
        "tr.age.m24": "1–2年",
        "tr.age.m24plus": "2年以上",
        "tr.wait.d7": "7天内",
        "tr.wait.d15": "8–15天",
        "tr.wait.d30": "16–30天",
        "tr.wait.d60": "31–60天",
        "tr.wait.d60plus": "60天以上",
        "tr.wait.none": "尚未落实",
        "tr.state.overdue": "已逾期",
        "tr.state.due_soon": "即将到期",
        "tr.state.on_track": "未到期",
        "tr.col.age": "纳入时长",
        "tr.col.wait": "等待时间",
        "tr.col.due_on": "应完成日期",
        "tr.col.workdays_left": "剩余工作日",
        "tr.col.workdays_overdue": "逾期工作日",
        "tr.col.state": "时限状态",
        "tr.col.provisional": "暂定",
        "tr.col.entered_on": "录入日期",
        "tr.col.eliminated_on": "风险消除日期",
        "tr.col.income_ratio": "收入/警戒线",
        "tr.col.alert_line": "收入警戒线",
        "tr.col.found": "发现户数",
        "tr.col.on_time": "按时",
        "tr.col.late": "超时",
        "tr.col.undecided": "未到期",
        "tr.col.share": "按时比例",
        "tr.col.entered": "纳入",
        "tr.col.left": "退出",
        "tr.col.under": "月末在监测",
        "tr.col.kind": "措施类型",
        "tr.col.measures": "措施数",
        "tr.col.bin": "收入/警戒线",
        "tr.col.monitored": "在监测",
        "tr.col.unmonitored": "未纳入监测",
        "tr.col.ex_poverty": "脱贫县每县平均",
        "tr.col.others": "其他县每县平均",
        "tr.col.selected": "所选县",
        "tr.col.linkage_share": "产业占比",
        "tr.col.custody": "管护覆盖",
        "tr.col.ownership": "产权明晰",
        "tr.col.idle": "闲置",
        "tr.col.damaged": "损毁",
        "tr.col.income": "收益",
        "tr.col.to_collective": "分配村集体",
        "tr.col.to_households": "分配农户",
        "tr.col.to_other": "其他",
        "tr.axis.households": "户数",
        "tr.axis.share": "比例",
        "tr.axis.ratio": "人均收入 / 收入警戒线",
        "tr.axis.villages": "村数",
        "tr.axis.assets": "资产数（项）",
        "tr.line.alert": "收入警戒线",
    },
    "en": {
        "tr.phase.campaign": "Poverty campaign 2016–2020",
        "tr.phase.integration": "Transition · fund integration continues in ex-poverty counties 2021–2023",
        "tr.phase.transition": "Transition 2024–2025",
        "tr.phase.normal": "Normalised assistance from 2026",
        "tr.timeline": "The transition period",
        "tr.timeline.as_of": "As of {date}",
        "tr.timeline.before": "As of {date}: the transition period has not begun",
        "tr.timeline.during": "As of {date}: year {year} of the transition period, {days} days to its end",
        "tr.timeline.after": "As of {date}: the transition period ended on 31 Dec 2025; assistance is normalised",
        "tr.kpi.monitored": "Under monitoring",
        "tr.kpi.monitored.sub": "{pending} awaiting identification · {members} people",
        "tr.kpi.overdue": "Overdue for identification",
        "tr.kpi.overdue.sub": "15-working-day limit · {soon} due soon",
        "tr.kpi.on_time": "Identified on time in {year}",
        "tr.kpi.on_time.sub": "{decided} cases decided, {late} late",
        "tr.kpi.eliminated": "Risk eliminated in {year}",
        "tr.kpi.eliminated.sub": "{entered} newly monitored that year",
        "tr.kpi.assets": "Idle or damaged assets",
        "tr.kpi.assets.sub": "Custody of public-welfare assets {custody} · ownership of operating assets {owned}",
        "tr.panel.mix": "Under monitoring by category and cause",
        "tr.panel.flow": "Entering and leaving monitoring by month",
        "tr.panel.ages": "Under monitoring by time since found",
        "tr.panel.clock": "Share identified within 15 working days by county and month, {year}",
        "tr.panel.open": "Cases awaiting identification: due dates and working days overdue",
        "tr.panel.income": "Income per head against the alert line (1.2 x dibao)",
        "tr.panel.measures": "Assistance measures by type",
        "tr.panel.wait": "Days from identification to the first assistance measure",
        "tr.panel.funds": "Funds received: ex-poverty counties and the others (per county), 2019–2026",
        "tr.panel.linkage": "Share of linkage funds spent on industry",
        "tr.panel.integration": "Integrated funds per county: integration continues 2021–2023",
        "tr.panel.villages": "Key assistance and consolidation villages",
        "tr.panel.formed": "Project assets formed by year and class",
        "tr.panel.custody": "Asset custody and ownership coverage",
        "tr.panel.asset_income": "Operating-asset income and its distribution",
        "tr.panel.pv_income": "PV station income and its distribution",
        "tr.panel.warnings": "Household and asset warnings (H1–H4, A1–A4)",
        "tr.panel.households": "Households under monitoring",
        "tr.note.open": ("As of {date}; red: overdue, orange: due within 3 working days. Working days follow "
                         "the official holidays and in-lieu working days{provisional}."),
        "tr.note.provisional": " (some dates lie beyond the official calendar: provisional)",
        "tr.note.income": ("Income per head over the alert line of the household's county and income year; "
                           "the vertical line is the alert line. {lines}"),
        "tr.note.alert_line": "{county} {year}: alert line {line}",
        "tr.note.clock": ("Of the decided cases, the share identified and entered within 15 working days of being "
                          "found (赣市发〔2021〕6号 二(一))."),
        "tr.note.masked": "Names and ID numbers are masked (surname + *, ID first 3 and last 4).",
        "tr.series.ex_poverty": "Ex-poverty counties (per county)",
        "tr.series.others": "Other counties (per county)",
        "tr.series.selected": "{county}",
        "tr.series.entered": "Entered",
        "tr.series.left": "Risk eliminated",
        "tr.series.under": "Under monitoring",
        "tr.series.custody": "Public-welfare assets with a custodian",
        "tr.series.ownership": "Clear ownership",
        "tr.series.monitored": "Under monitoring",
        "tr.series.unmonitored": "Not monitored",
        "tr.series.to_collective": "Collective",
        "tr.series.to_households": "Households",
        "tr.series.to_other": "Other",
        "tr.age.m1": "< 1 month",
        "tr.age.m3": "1–3 months",
        "tr.age.m6": "3–6 months",
        "tr.age.m12": "6–12 months",
        "tr.age.m24": "1–2 years",
        "tr.age.m24plus": "> 2 years",
        "tr.wait.d7": "≤ 7 days",
        "tr.wait.d15": "8–15 days",
        "tr.wait.d30": "16–30 days",
        "tr.wait.d60": "31–60 days",
        "tr.wait.d60plus": "> 60 days",
        "tr.wait.none": "None yet",
        "tr.state.overdue": "Overdue",
        "tr.state.due_soon": "Due soon",
        "tr.state.on_track": "On track",
        "tr.col.age": "Time since found",
        "tr.col.wait": "Wait",
        "tr.col.due_on": "Due",
        "tr.col.workdays_left": "Working days left",
        "tr.col.workdays_overdue": "Working days overdue",
        "tr.col.state": "Deadline",
        "tr.col.provisional": "Provisional",
        "tr.col.entered_on": "Entered",
        "tr.col.eliminated_on": "Risk eliminated",
        "tr.col.income_ratio": "Income / alert line",
        "tr.col.alert_line": "Alert line",
        "tr.col.found": "Found",
        "tr.col.on_time": "On time",
        "tr.col.late": "Late",
        "tr.col.undecided": "Not yet due",
        "tr.col.share": "On-time share",
        "tr.col.entered": "Entered",
        "tr.col.left": "Left",
        "tr.col.under": "Under monitoring at month end",
        "tr.col.kind": "Measure",
        "tr.col.measures": "Measures",
        "tr.col.bin": "Income / alert line",
        "tr.col.monitored": "Under monitoring",
        "tr.col.unmonitored": "Not monitored",
        "tr.col.ex_poverty": "Ex-poverty counties, per county",
        "tr.col.others": "Other counties, per county",
        "tr.col.selected": "Selected county",
        "tr.col.linkage_share": "Industry share",
        "tr.col.custody": "Custody coverage",
        "tr.col.ownership": "Ownership coverage",
        "tr.col.idle": "Idle",
        "tr.col.damaged": "Damaged",
        "tr.col.income": "Income",
        "tr.col.to_collective": "To collective",
        "tr.col.to_households": "To households",
        "tr.col.to_other": "Other",
        "tr.axis.households": "Households",
        "tr.axis.share": "Share",
        "tr.axis.ratio": "Income per head / alert line",
        "tr.axis.villages": "Villages",
        "tr.axis.assets": "Assets",
        "tr.line.alert": "Alert line",
    },
})

PHASES = (  # (message key, first day, last day): seeds/003 一 and 十九
    ("tr.phase.campaign", dt.date(2016, 1, 1), dt.date(2020, 12, 31)),
    ("tr.phase.integration", dt.date(2021, 1, 1), dt.date(2023, 12, 31)),
    ("tr.phase.transition", dt.date(2024, 1, 1), dt.date(2025, 12, 31)),
    ("tr.phase.normal", dt.date(2026, 1, 1), None),
)
HOUSEHOLD_RULES = ("H1", "H2", "H3", "H4")
ASSET_RULES = ("A1", "A2", "A3", "A4")


def phase_of(day: dt.date) -> str:
    """The message key of the phase ``day`` falls in (any date, before 2016 counts as the campaign)."""
    for key, first, last in PHASES:
        if last is None or day <= last:
            if day >= first or key == PHASES[0][0]:
                return key
    return PHASES[-1][0]


# -- cached frames (keyed on primitives; see loaders) ----------------------------------------------

def _args(url: str, scope_key: str):
    return L.engine_for(url), L.scope_from_key(scope_key)


@cached
def household_frames(url: str, scope_key: str, year: int, as_of: dt.date, region: str | None) -> dict:
    """Every household figure of the page for one region, year and date (read at once, the
    longest first: see :func:`~.loaders.gather`)."""
    engine, scope = _args(url, scope_key)
    return L.gather(
        wait=lambda: reads.measure_wait_frame(engine, scope, as_of, region=region),
        income=lambda: reads.income_alert_frame(engine, scope, as_of, region=region),
        flow=lambda: reads.monitoring_flow_frame(engine, scope, as_of, region=region),
        measures=lambda: reads.measure_mix_frame(engine, scope, as_of, region=region),
        ages=lambda: reads.case_age_frame(engine, scope, as_of, region=region),
        open_cases=lambda: reads.open_cases_frame(engine, scope, as_of, region=region),
        mix=lambda: reads.monitoring_mix_frame(engine, scope, as_of, region=region),
        alert_lines=lambda: reads.alert_lines_frame(engine, scope, year, region=region),
    )


@cached
def clock(url: str, scope_key: str, year: int, as_of: dt.date) -> pd.DataFrame:
    """The identification clock per county and month of ``year`` (every county in the scope)."""
    engine, scope = _args(url, scope_key)
    out = reads.identification_clock_frame(engine, scope, year, as_of)
    names = L.counties(url, scope_key).set_index("code")["name"]
    return out.assign(name=out["county_code"].map(names))


@cached
def continuity_funds(url: str, scope_key: str, as_of: dt.date) -> pd.DataFrame:
    """The continuity funds of every county in the scope, read once whichever county is selected."""
    engine, scope = _args(url, scope_key)
    return reads.continuity_funds_frame(engine, scope, as_of)


@cached
def continuity(url: str, scope_key: str, as_of: dt.date, county: str | None) -> pd.DataFrame:
    """Per year: funds, integrated funds and the linkage industry share of ex-poverty counties and
    the others (per county), and of ``county`` when given."""
    raw = continuity_funds(url, scope_key, as_of)
    if raw.empty:
        return pd.DataFrame()
    # Summed per year with one bincount per figure and group, not a frame selected per year and
    # group: a county change spent 5% of its time here (the pandas calls, ten years x three groups).
    years, at = np.unique(raw["year"].to_numpy(dtype="int64"), return_inverse=True)
    counties = raw["county_code"].to_numpy()
    ex_poverty = raw["ex_poverty"].to_numpy(dtype=bool)
    out = {"year": years}
    for name, mask in (("ex_poverty", ex_poverty), ("others", ~ex_poverty),
                       ("selected", counties == county if county else np.zeros(len(raw), dtype=bool))):
        # counties per year: the funds frame holds one row per county and year
        n = np.bincount(at[mask], minlength=len(years)).astype("float64")
        n[n == 0] = np.nan

        def total(column, mask=mask):
            return np.bincount(at[mask], weights=raw[column].to_numpy(dtype="float64")[mask], minlength=len(years))
        paid = total("linkage_paid")
        out[f"funds_{name}"] = total("funds") / n
        out[f"integrated_{name}"] = total("integrated") / n
        out[f"linkage_{name}"] = total("linkage_industry") / np.where(paid != 0, paid, np.nan)
    frame = pd.DataFrame(out)
    frame.loc[frame["year"] > as_of.year, frame.columns[1:]] = np.nan  # not yet: a year still ahead is no cliff
    return frame


@cached
def village_types(url: str, scope_key: str, region: str | None) -> pd.DataFrame:
    engine, scope = _args(url, scope_key)
    return reads.village_types_frame(engine, scope, region=region)


@cached
def asset_frames(url: str, scope_key: str, as_of: dt.date, region: str | None) -> dict:
    engine, scope = _args(url, scope_key)
    return L.gather(formed=lambda: reads.assets_formed_frame(engine, scope, as_of, region=region),
                    custody=lambda: reads.asset_custody_frame(engine, scope, as_of, region=region),
                    income=lambda: reads.asset_income_years_frame(engine, scope, as_of, region=region))


@cached
def households_page(url: str, scope_key: str, as_of: dt.date, region: str, sort: str | None, limit: int,
                    offset: int) -> tuple[pd.DataFrame, int]:
    """One page of the region's monitored households (masked by ``data``) and their number."""
    engine, scope = _args(url, scope_key)
    return reads.transition_households_frame(engine, scope, as_of, region=region, sort=sort, limit=limit,
                                             offset=offset)


CACHED = (household_frames, clock, continuity_funds, continuity, village_types, asset_frames, households_page)


# -- presenters -----------------------------------------------------------------------------------

MIX = (Col("category", "col.category", vocab="category"), Col("cause", "col.cause", vocab="cause"),
       Col("households", "col.households", COUNT), Col("members", "col.members", COUNT))
FLOW = (Col("month", "col.month", DATE), Col("entered", "tr.col.entered", COUNT), Col("left", "tr.col.left", COUNT),
        Col("under_monitoring", "tr.col.under", COUNT))
AGES = (Col("age", "tr.col.age"), Col("pending", "col.pending", COUNT), Col("monitored", "col.monitored", COUNT))
CLOCK = (Col("name", "col.county"), Col("month", "col.month", COUNT), Col("found", "tr.col.found", COUNT),
         Col("on_time", "tr.col.on_time", COUNT), Col("late", "tr.col.late", COUNT),
         Col("undecided", "tr.col.undecided", COUNT), Col("share", "tr.col.share", PCT))
OPEN = (Col("code", "col.code"), Col("head_name", "col.head"), Col("head_id_no", "col.id_no"),
        Col("village", "col.village"), Col("category", "col.category", vocab="category"),
        Col("found_on", "col.found_on", DATE), Col("due_on", "tr.col.due_on", DATE),
        Col("workdays_left", "tr.col.workdays_left", COUNT), Col("workdays_overdue", "tr.col.workdays_overdue", COUNT),
        Col("state", "tr.col.state"))
INCOME = (Col("bin", "tr.col.bin"), Col("monitored", "tr.col.monitored", COUNT),
          Col("unmonitored", "tr.col.unmonitored", COUNT))
MEASURES = (Col("kind", "tr.col.kind", vocab="measure_kind"), Col("measures", "tr.col.measures", COUNT),
            Col("households", "col.households", COUNT), Col("amount", "col.amount", MONEY))
WAIT = (Col("wait", "tr.col.wait"), Col("households", "col.households", COUNT))
FUNDS = (Col("year", "col.year", YEAR), Col("funds_ex_poverty", "tr.col.ex_poverty", MONEY),
         Col("funds_others", "tr.col.others", MONEY), Col("funds_selected", "tr.col.selected", MONEY))
LINKAGE = (Col("year", "col.year", YEAR), Col("linkage_ex_poverty", "tr.col.ex_poverty", PCT),
           Col("linkage_others", "tr.col.others", PCT), Col("linkage_selected", "tr.col.selected", PCT))
INTEGRATION = (Col("year", "col.year", YEAR), Col("integrated_ex_poverty", "tr.col.ex_poverty", MONEY),
               Col("integrated_others", "tr.col.others", MONEY), Col("integrated_selected", "tr.col.selected", MONEY))
VILLAGES = (Col("year", "col.year", YEAR),
            Col("poor_village", "", COUNT, title_vocab="region_flag"),
            Col("key_assistance_village", "", COUNT, title_vocab="region_flag"),
            Col("consolidation_village", "", COUNT, title_vocab="region_flag"))
FORMED = (Col("year", "col.year", YEAR), Col("asset_class", "col.asset_class", vocab="asset_class"),
          Col("assets", "col.assets", COUNT), Col("value", "col.value", MONEY))
CUSTODY = (Col("asset_class", "col.asset_class", vocab="asset_class"), Col("assets", "col.assets", COUNT),
           Col("custody", "tr.col.custody", PCT), Col("ownership", "tr.col.ownership", PCT),
           Col("idle", "tr.col.idle", COUNT), Col("damaged", "tr.col.damaged", COUNT))
ASSET_INCOME = (Col("year", "col.year", YEAR), Col("income", "tr.col.income", MONEY),
                Col("to_collective", "tr.col.to_collective", MONEY), Col("to_households", "tr.col.to_households", MONEY),
                Col("to_other", "tr.col.to_other", MONEY))
HOUSEHOLD_LIST = (Col("code", "col.code"), Col("head_name", "col.head"), Col("head_id_no", "col.id_no"),
                  Col("village", "col.village"), Col("members", "col.members", COUNT),
                  Col("category", "col.category", vocab="category"), Col("cause", "col.cause", vocab="cause"),
                  Col("status", "col.status", vocab="household_status"),
                  Col("income_per_capita", "col.income", MONEY), Col("alert_line", "tr.col.alert_line", MONEY),
                  Col("found_on", "col.found_on", DATE), Col("due_on", "tr.col.due_on", DATE),
                  Col("entered_on", "tr.col.entered_on", DATE),
                  Col("workdays_overdue", "tr.col.workdays_overdue", COUNT),
                  Col("risk_eliminated_on", "tr.col.eliminated_on", DATE))
#: Displayed column of the household list -> the sort key of the data layer.
LIST_SORTS = {"workdays_overdue": "workdays_overdue", "found_on": "found_on", "due_on": "due_on",
              "entered_on": "entered_on", "risk_eliminated_on": "risk_eliminated_on",
              "income_per_capita": "income_per_capita", "code": "code"}
KINDS = ("tr_mix", "tr_flow", "tr_ages", "tr_clock", "tr_open", "tr_income", "tr_measures", "tr_wait", "tr_funds",
         "tr_linkage", "tr_integration", "tr_villages", "tr_formed", "tr_custody", "tr_asset_income",
         "tr_pv_income", "tr_households")
TITLES = {"tr_mix": "tr.panel.mix", "tr_flow": "tr.panel.flow", "tr_ages": "tr.panel.ages", "tr_open": "tr.panel.open",
          "tr_income": "tr.panel.income", "tr_measures": "tr.panel.measures", "tr_wait": "tr.panel.wait",
          "tr_funds": "tr.panel.funds", "tr_linkage": "tr.panel.linkage", "tr_integration": "tr.panel.integration",
          "tr_villages": "tr.panel.villages", "tr_formed": "tr.panel.formed", "tr_custody": "tr.panel.custody",
          "tr_asset_income": "tr.panel.asset_income", "tr_pv_income": "tr.panel.pv_income",
          "tr_households": "tr.panel.households"}


def income_bins(frame: pd.DataFrame) -> pd.DataFrame:
    """The income distribution as one row per bin: monitored and unmonitored households (each a
    row of ``frame``, so a suppressed count stays ``"<5"``)."""
    if frame.empty:
        return pd.DataFrame({"bin": pd.Series([], dtype="int64"), "monitored": pd.Series([], dtype="int64"),
                             "unmonitored": pd.Series([], dtype="int64")})
    counts = _counts_by(frame, "bin", "monitored")
    bins = sorted({b for b, _ in counts})
    return pd.DataFrame({"bin": np.array(bins, dtype="int64"),  # a bin without a row counts 0 (count_array)
                         "monitored": count_array([counts.get((b, True)) for b in bins]),
                         "unmonitored": count_array([counts.get((b, False)) for b in bins])})


def _counts_by(frame: pd.DataFrame, row: str, column: str) -> dict[tuple, object]:
    """The ``households`` of a long count frame by ``(row, column)`` value pairs, to be laid out
    as a table (a pivot and a reindex cost several times as much for the few dozen cells)."""
    return dict(zip(zip(frame[row].tolist(), frame[column].tolist()), frame["households"].tolist()))


def bin_label(b: int) -> str:
    """A bin's range in multiples of the alert line: 7 -> 0.7–0.8, the last bin -> ≥ 3.0."""
    if b >= reads.INCOME_BIN_CAP:
        return f"≥ {b / 10:.1f}"
    return f"{b / 10:.1f}–{(b + 1) / 10:.1f}"


class TransitionList(PagedList):
    """The region's monitored households, a page at a time, sorted on the server (most working
    days overdue first unless the viewer sorts otherwise)."""

    as_of = param.CalendarDate(default=None, allow_None=True, doc="Status and overdue days as of this date.")
    sort = param.String(default="-workdays_overdue", doc="Sort key of the data layer, '-' prefix for descending.")

    @property
    def export_kind(self) -> str:
        return "tr_households"

    def _query(self) -> dict[str, Any]:
        return {**super()._query(), "as_of": self.as_of}

    def _ready_for(self, query: dict[str, Any]) -> bool:
        return super()._ready_for(query) and query["as_of"] is not None

    @param.depends("region", "as_of", "page", "page_size", "sort", watch=True)
    def _load_rows(self) -> None:
        super()._load_rows()

    def _read(self, query: dict[str, Any], limit: int, offset: int) -> tuple[pd.DataFrame, int]:
        return households_page(self.store.url, self.store.scope.key, query["as_of"], query["region"], query["sort"],
                               limit, offset)

    def shown(self, all_pages: bool = False) -> present.Shown:
        return present.build("tr_households", t("tr.panel.households", self.store.lang),
                             self.all_rows() if all_pages else self.fresh().rows, HOUSEHOLD_LIST, self.store.lang)


class TransitionStore(DashboardStore):
    """Filters and frames of the transition page; the region path restricts every household and
    asset figure, the continuity charts set the selected county against the two groups."""

    follows_region = True
    _FILTERS = ("engine", "scope", "year", "as_of", "county", "township", "village")
    _RECORD_LISTS = ()

    monitoring_mix = param.DataFrame(default=_empty("category", "cause", "households", "members"),
                                     doc="Households under monitoring by category and cause.")
    flow = param.DataFrame(default=_empty("month", "entered", "left", "under_monitoring"),
                           doc="Households entering and leaving monitoring by month since 2021.")
    case_ages = param.DataFrame(default=_empty("age", "status", "households"),
                                doc="Households under monitoring by time since found.")
    clock = param.DataFrame(default=_empty("county_code", "name", "month", "found", "on_time", "late", "undecided",
                                           "share"), doc="Share identified within 15 working days by county and month.")
    open_cases = param.DataFrame(default=_empty("id", "due_on", "workdays_left", "workdays_overdue", "state"),
                                 doc="Cases not yet entered on the as-of date with due dates (masked).")
    income = param.DataFrame(default=_empty("bin", "low", "monitored", "households"),
                             doc="Households by income over the alert line, monitored or not.")
    alert_lines = param.DataFrame(default=_empty("county_code", "dibao", "alert_line"),
                                  doc="The year's dibao standard and alert line per county.")
    measures = param.DataFrame(default=_empty("kind", "measures", "households", "amount"),
                               doc="Assistance measures by kind.")
    wait = param.DataFrame(default=_empty("wait", "households"), doc="Days from identification to the first measure.")
    continuity = param.DataFrame(default=_empty("year"), doc="Funds, integration and linkage shares by group and year.")
    village_types = param.DataFrame(default=_empty("year"), doc="Key assistance and consolidation villages by year.")
    assets_formed = param.DataFrame(default=_empty("year", "asset_class", "assets", "value"),
                                    doc="Assets formed by year and class.")
    custody = param.DataFrame(default=_empty("asset_class", "assets", "custody", "ownership", "idle", "damaged"),
                              doc="Custody and ownership coverage by asset class.")
    asset_income = param.DataFrame(default=_empty("group", "year", "income"),
                                   doc="Operating-asset and PV income by year with its distribution.")

    def __init__(self, **params):
        self.household_list = None
        super().__init__(**params)
        self.household_list = TransitionList(store=self)
        self._sync_lists()

    def reload(self) -> None:
        super().reload()
        if self.household_list is not None:
            self.household_list.reload()

    def _paged_lists(self) -> list[PagedList]:
        # None while the first load runs in __init__
        return [*super()._paged_lists(), *([self.household_list] if self.household_list is not None else [])]

    def _list_state(self) -> dict[str, Any]:
        return {**super()._list_state(), "as_of": self.as_of}

    def _frames(self) -> dict[str, pd.DataFrame]:
        url, key, year, as_of, region = self.url, self.scope.key, self.year, self.as_of, self.region
        county = self.county or None
        got = L.gather(households=lambda: household_frames(url, key, year, as_of, region),
                       assets=lambda: asset_frames(url, key, as_of, region),
                       findings=lambda: F.warnings(url, key, year, as_of, county),
                       clock=lambda: clock(url, key, year, as_of),
                       continuity=lambda: continuity(url, key, as_of, county),
                       village_types=lambda: village_types(url, key, region))
        h, a, findings = got["households"], got["assets"], got["findings"]
        if len(findings):
            findings = findings[findings["rule"].isin(HOUSEHOLD_RULES + ASSET_RULES)].reset_index(drop=True)
        return {
            "monitoring_mix": h["mix"], "flow": h["flow"], "case_ages": h["ages"], "open_cases": h["open_cases"],
            "income": h["income"], "alert_lines": h["alert_lines"], "measures": h["measures"], "wait": h["wait"],
            "clock": got["clock"], "continuity": got["continuity"], "village_types": got["village_types"],
            "assets_formed": a["formed"], "custody": a["custody"], "asset_income": a["income"],
            "warnings": findings,
        }

    def _headline(self, frames: dict[str, pd.DataFrame]) -> dict:
        ages = frames["case_ages"]
        mix = frames["monitoring_mix"]
        cases = frames["open_cases"]
        clock_ = frames["clock"]
        if self.county:
            clock_ = clock_[clock_["county_code"] == self.county] if len(clock_) else clock_
        flow = frames["flow"]
        in_year = flow[pd.to_datetime(flow["month"]).dt.year == self.year] if len(flow) else flow
        custody = frames["custody"].set_index("asset_class") if len(frames["custody"]) else None
        # Household figures add up what the panels show: under small-count suppression a total of
        # hidden counts is "<5" or a range (fundwatch.data.masking.count_total), and the open cases
        # (a list of households) are not known at all (None, shown as "–").
        on_time = count_total(clock_["on_time"]) if len(clock_) else 0
        late = count_total(clock_["late"]) if len(clock_) else 0
        exact = isinstance(on_time, int) and isinstance(late, int)
        unknown = self.scope.suppress_small
        return {
            "under_monitoring": count_total(ages["households"]) if len(ages) else 0,
            "pending": count_total(ages.loc[ages["status"] == "pending", "households"]) if len(ages) else 0,
            "members": count_total(mix["members"]) if len(mix) else 0,
            "overdue": None if unknown else int((cases["state"] == "overdue").sum()) if len(cases) else 0,
            "due_soon": None if unknown else int((cases["state"] == "due_soon").sum()) if len(cases) else 0,
            "on_time": on_time, "late": late,
            "decided": count_total([*clock_["on_time"], *clock_["late"]]) if len(clock_) else 0,
            "on_time_share": on_time / (on_time + late) if exact and on_time + late else float("nan"),
            "eliminated": count_total(in_year["left"]) if len(in_year) else 0,
            "entered": count_total(in_year["entered"]) if len(in_year) else 0,
            "idle_or_damaged": int(frames["custody"][["idle", "damaged"]].sum().sum()) if custody is not None else 0,
            "custody": _share(custody, "public_welfare", "custody"),
            "ownership": _share(custody, "operating", "ownership"),
        }

    # -- what the views show ----------------------------------------------------------------------

    def title(self, kind: str) -> str:
        """The title of the figure ``kind`` (one of :data:`KINDS`) in the store's language."""
        return t(TITLES.get(kind, "tr.panel.clock"), self.lang, year=self.year)

    def shown(self, kind: str) -> present.Shown:
        if kind not in KINDS:
            return super().shown(kind)
        lang = self.lang
        title = self.title(kind)
        if kind == "tr_mix":
            return present.build(kind, title, self.monitoring_mix, MIX, lang)
        if kind == "tr_flow":
            return present.build(kind, title, self.flow, FLOW, lang)
        if kind == "tr_ages":
            ages = [k for k, _ in reads.AGE_BUCKETS]
            counts = _counts_by(self.case_ages, "age", "status")
            wide = pd.DataFrame({"age": [t(f"tr.age.{k}", lang) for k in ages],
                                 **{status: count_array([counts.get((k, status)) for k in ages])
                                    for status in ("pending", "monitored")}})
            return present.build(kind, title, wide, AGES, lang)
        if kind == "tr_clock":
            return present.build(kind, title, self.clock, CLOCK, lang, notes=(t("tr.note.clock", lang),))
        if kind == "tr_open":
            cases = self.open_cases.assign(state=[t(f"tr.state.{s}", lang) for s in self.open_cases["state"]],
                                           state_code=self.open_cases["state"])
            return present.build(kind, title, cases, OPEN, lang, key="state_code")
        if kind == "tr_income":
            bins = income_bins(self.income)
            bins["bin"] = [bin_label(int(b)) for b in bins["bin"]]
            return present.build(kind, title, bins, INCOME, lang)
        if kind == "tr_measures":
            return present.build(kind, title, self.measures, MEASURES, lang)
        if kind == "tr_wait":
            wait = self.wait.assign(wait=[t(f"tr.wait.{k}", lang) for k in self.wait["wait"]])
            return present.build(kind, title, wait, WAIT, lang)
        if kind in ("tr_funds", "tr_linkage", "tr_integration"):
            columns = {"tr_funds": FUNDS, "tr_linkage": LINKAGE, "tr_integration": INTEGRATION}[kind]
            data = self.continuity
            if not self.county:
                columns = columns[:3]
            shown = present.build(kind, title, data, columns, lang, compact=True)
            if self.county:
                titles = dict(shown.titles)
                key = columns[3].key
                titles[key] = titles[key].replace(t("tr.col.selected", lang), self.name_of(self.county))
                shown = present.Shown(shown.kind, shown.title, shown.frame, titles, shown.kinds, shown.unit)
            return shown
        if kind == "tr_villages":
            return present.build(kind, title, self.village_types, VILLAGES, lang)
        if kind == "tr_formed":
            return present.build(kind, title, self.assets_formed, FORMED, lang, compact=True)
        if kind == "tr_custody":
            return present.build(kind, title, self.custody, CUSTODY, lang)
        if kind in ("tr_asset_income", "tr_pv_income"):
            group = "all" if kind == "tr_asset_income" else "pv"
            data = self.asset_income[self.asset_income["group"] == group] if len(self.asset_income) else self.asset_income
            return present.build(kind, title, data, ASSET_INCOME, lang, compact=True)
        return self.household_list.shown(all_pages=True)


def _share(custody: pd.DataFrame | None, asset_class: str, column: str) -> float:
    if custody is None or asset_class not in custody.index:
        return float("nan")
    return float(custody.loc[asset_class, column])


__all__ = ["CACHED", "KINDS", "PHASES", "TransitionList", "TransitionStore", "bin_label", "income_bins", "phase_of"]
