"""The printable county report: one county's year on A4 pages, for a meeting.

The report is built from the data the dashboards show: a :class:`~.stores.CountyStore` for the
county, year and as-of date (its frames and ``headline`` figures) and the county's score on an
assessment rubric from :func:`fundwatch.data.rubric.unit_scores` (the numbers ``fundwatch score``
and the scoring page show).  Nothing here reads the database itself, and the scope of the store
is the viewer's: a county outside it is refused (:class:`ReportRefused`).

Contents: the headline figures; funds (the disbursement curve against the F1 milestones, the
year's allocations by programme and source level, the trend since 2016); loans (leverage per
credit programme, loans outstanding and overdue by borrower type and by bank); assets (by class,
custody gaps); monitored households (by category and status); the county's score on the rubric,
item by item; and the policy warnings, each with its rule id, message and basis in the source
documents.  Only counts and sums appear: no household names or ID numbers.

Rendering (:func:`report_html`, :func:`report_pdf`): one self-contained HTML document (inline
CSS, inline SVG charts from :mod:`.report_charts`, nothing loaded from anywhere) with print CSS
for A4 pages, a running header with the data date, and "第 N 页 / 共 M 页" page numbers;
WeasyPrint turns it into the PDF (selectable text, fonts subset and embedded).  PDF rendering
needs Debian's pango (:class:`ReportUnavailable` otherwise) and both formats a CJK font for the
charts (:class:`~.report_charts.ReportFontMissing`).

Every report that leaves the server goes through :func:`audited_report`: its audit row (action
``export``, kind ``report``, format ``pdf`` or ``html``, the store's actor and surface) is
written before the bytes are handed over, and if it cannot be written there are no bytes
(:class:`~.export.ExportNotAudited`).  :class:`ReportDownload` is the county page's button.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
import panel as pn
import param
from sqlalchemy import Engine

from fundwatch.data.access import record_export
from fundwatch.data.rubric import Rubric, UnitScore, scorecard_to_frame, unit_scores
from fundwatch.data.scope import Scope

from . import i18n, present, theme
from . import report_charts as charts
from .export import ExportNotAudited
from .frames import milestones
from .i18n import t
from .present import COUNT, MONEY, NUMBER, PCT, POINTS, TIMES, Shown
from .report_charts import ReportFontMissing, cjk_font
from .scoring import DEFAULT_RUBRIC, scorecard_shown
from .stores import CountyStore

log = logging.getLogger(__name__)

FORMATS = ("pdf", "html")
MIME = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}
#: The export kind of a report in the audit log (target ``export:report``).
KIND = "report"
PANGO_PACKAGES = "libpango-1.0-0, libpangoft2-1.0-0"

i18n.extend({
    "zh": {
        "report.title": "{county}{year}年度扶贫资金监管报告",
        "report.org": "赣州市扶贫资金监管平台",
        "report.as_of": "数据截至",
        "report.made_at": "生成时间",
        "report.scope": "数据范围",
        "report.rubric": "考核办法",
        "report.running": "{county} · {year}年度报告 · 数据截至{date}",
        "report.page": "第 {page} 页 / 共 {pages} 页",
        "report.summary": "主要指标",
        "report.section.funds": "一、资金下达与拨付",
        "report.section.loans": "二、信贷通贷款",
        "report.section.assets": "三、扶贫项目资产",
        "report.section.households": "四、防返贫监测农户",
        "report.section.score": "五、考核得分",
        "report.section.warnings": "六、预警及政策依据",
        "report.funds.lead": "{year}年下达资金{total}，截至{date}已拨付{disbursed}（占当年已下达{allocated}的{rate}）。",
        "report.funds.milestone_met": "{due}节点要求{target}，已达标。",
        "report.funds.milestone_missed": "{due}节点要求{target}，未达标。",
        "report.funds.before": "首个拨付节点（{due}）尚未到期。",
        "report.pace": "拨付进度与节点要求（赣市府办字〔2020〕17号 第13条）",
        "report.milestones": "拨付节点",
        "report.col.due": "节点",
        "report.col.target": "要求",
        "report.col.actual": "实际进度",
        "report.col.result": "结果",
        "report.result.met": "达标",
        "report.result.missed": "未达标",
        "report.result.pending": "未到期",
        "report.funds_year": "{year}年资金下达（按类别和来源）",
        "report.total": "合计",
        "report.funds_trend": "历年资金下达（按来源）",
        "report.loans.lead": "截至{date}，信贷通贷款余额{outstanding}，风险缓释金{fund}，放大{leverage}（上限8倍）；逾期率{rate}。",
        "report.loans.over": "放大倍数超过1:8上限。",
        "report.loans_chart": "贷款余额与逾期率（按借款主体、合作银行）",
        "report.assets.lead": "扶贫项目资产{count}项，原值{value}；公益性资产无管护主体{gaps}项，闲置或损毁{idle}项。",
        "report.households.lead": "截至{date}，监测对象{total}：待识别{pending}户，监测帮扶中{monitored}户，风险已消除{eliminated}户；超过15个工作日未完成识别录入{overdue}户。",
        "report.households.none": "截至{date}本县没有防返贫监测对象记录（监测自2021年过渡期开始）。",
        "report.score.lead": "{rubric}，{year}年度：总分{total}分（基础分{base}分，加分{bonus}分）。",
        "report.score.rank": "在{units}个县级单位中排第{rank}名。",
        "report.score.vetoed": "一票否决：{reason}",
        "report.score.missing": "尚有{count}项未评分（计0分）。",
        "report.score.none": "本县没有{year}年的考核得分。",
        "report.warnings.lead": "按政策规则检查，共发现问题{total}条：违规{violation}条，预警{warning}条，提示{notice}条。",
        "report.warnings.none": "按政策规则检查，未发现问题。",
        "report.col.rule_title": "规则名称",
        "report.note": "说明：本报告依据平台数据库截至{date}的数据生成，与看板显示的数据一致；金额以各表所注单位为准。报告只含户数、笔数和金额的合计，不含任何个人信息。",
        "report.chart.monthly": "当月拨付",
        "report.chart.monthly_axis": "当月拨付（{unit}）",
        "report.chart.rate": "累计拨付进度",
        "report.chart.milestones": "节点要求",
        "report.chart.outstanding_axis": "贷款余额（{unit}）",
        "report.chart.overdue": "逾期率{rate}",
        "report.no_gaps": "无管护缺口",
        "report.download": "下载报告（PDF）",
        "report.filename": "{county}-{year}-报告.{fmt}",
        "report.refused": "{county} 不在您的数据范围内",
        "report.unavailable": "无法生成报告：{reason}",
    },
    "en": {
        "report.title": "{county}: supervision report {year}",
        "report.org": "Ganzhou poverty-alleviation fund supervision",
        "report.as_of": "Data as of",
        "report.made_at": "Report made",
        "report.scope": "Scope",
        "report.rubric": "Rubric",
        "report.running": "{county} · report {year} · data as of {date}",
        "report.page": "Page {page} of {pages}",
        "report.summary": "Headline figures",
        "report.section.funds": "1. Funds allocated and disbursed",
        "report.section.loans": "2. Loans (credit programmes)",
        "report.section.assets": "3. Project assets",
        "report.section.households": "4. Households under monitoring",
        "report.section.score": "5. Assessment score",
        "report.section.warnings": "6. Warnings and their policy basis",
        "report.funds.lead": "{total} allocated in {year}; {disbursed} disbursed by {date} ({rate} of the {allocated} "
                             "allocated so far).",
        "report.funds.milestone_met": "Milestone {due}: {target}, met.",
        "report.funds.milestone_missed": "Milestone {due}: {target}, missed.",
        "report.funds.before": "The first milestone ({due}) is not due yet.",
        "report.pace": "Disbursement pace against the milestones (赣市府办字〔2020〕17号 item 13)",
        "report.milestones": "Disbursement milestones",
        "report.col.due": "Milestone",
        "report.col.target": "Required",
        "report.col.actual": "Actual",
        "report.col.result": "Result",
        "report.result.met": "met",
        "report.result.missed": "missed",
        "report.result.pending": "not due yet",
        "report.funds_year": "Funds allocated in {year} by programme and source level",
        "report.total": "Total",
        "report.funds_trend": "Funds allocated by year and source level",
        "report.loans.lead": "On {date}: {outstanding} outstanding against a risk fund of {fund}, leverage {leverage} "
                             "(limit 8); overdue rate {rate}.",
        "report.loans.over": "Leverage is above the 1:8 limit.",
        "report.loans_chart": "Loans outstanding and overdue rate by borrower type and bank",
        "report.assets.lead": "{count} project assets worth {value}; {gaps} public-welfare assets without a custodian, "
                              "{idle} idle or damaged.",
        "report.households.lead": "On {date}: {total} under monitoring: {pending} pending identification, {monitored} "
                                  "monitored, {eliminated} with the risk eliminated; {overdue} not identified within "
                                  "15 working days.",
        "report.households.none": "No monitored households recorded in the county by {date} (monitoring starts with "
                                  "the 2021 transition period).",
        "report.score.lead": "{rubric}, {year}: total {total} (base {base}, bonus {bonus}).",
        "report.score.rank": "Rank {rank} of {units} county-level units.",
        "report.score.vetoed": "Vetoed: {reason}",
        "report.score.missing": "{count} items not scored yet (0 points).",
        "report.score.none": "No assessment score for {year}.",
        "report.warnings.lead": "The policy rules found {total} problems: {violation} violations, {warning} warnings, "
                                "{notice} notices.",
        "report.warnings.none": "The policy rules found no problem.",
        "report.col.rule_title": "Rule title",
        "report.note": "Note: made from the platform's database as of {date}, the same data the dashboards show; "
                       "amounts in the units each table names. The report holds counts and sums only, never personal "
                       "data.",
        "report.chart.monthly": "Disbursed in the month",
        "report.chart.monthly_axis": "Disbursed in the month ({unit})",
        "report.chart.rate": "Cumulative disbursement",
        "report.chart.milestones": "Milestones",
        "report.chart.outstanding_axis": "Outstanding ({unit})",
        "report.chart.overdue": "overdue {rate}",
        "report.no_gaps": "No custody gaps",
        "report.download": "Download report (PDF)",
        "report.filename": "{county}-{year}-report.{fmt}",
        "report.refused": "{county} is outside your scope",
        "report.unavailable": "The report cannot be made: {reason}",
    },
})


class ReportRefused(PermissionError):
    """The county is unknown, or outside the viewer's scope: no report."""


class ReportUnavailable(RuntimeError):
    """PDF rendering is not possible on this server (WeasyPrint or Debian's pango is missing)."""


# ---------------------------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------------------------


def report_store(engine: Engine, scope: Scope, county: str, year: int, as_of: dt.date | None = None, *,
                 lang: str = i18n.DEFAULT_LANG, actor: str = "dashboard", surface: str = "page") -> CountyStore:
    """The store of the report of ``county`` for ``year`` as of ``as_of`` (default: the year's
    end, or today if earlier): the whole county, every programme and source level.  Raises
    :class:`ReportRefused` when ``county`` is not a county-level unit in ``scope``."""
    from fundwatch.data.rules import default_as_of

    county = str(county)
    as_of = as_of or default_as_of(year)
    if as_of.year != year:
        raise ValueError(f"the as-of date {as_of.isoformat()} is not in {year}")
    if not scope.allows(county):
        raise ReportRefused(t("report.refused", lang, county=county))
    store = CountyStore(engine=engine, scope=scope, actor=actor, surface=surface, lang=lang, year=year, as_of=as_of,
                        county=county, lists_shown=())  # the report shows no record list
    if store.county != county:  # the store falls back to another county when this one is not visible
        raise ReportRefused(f"no county {county!r} in the database (or outside your scope)")
    return store


@dataclass(frozen=True)
class Score:
    """The county's score on a rubric: the rubric, the county's :class:`UnitScore` (None if the
    rubric scores no such unit) and how many units were ranked in the viewer's scope."""

    rubric: Rubric
    name: str
    unit: UnitScore | None
    units: int


def county_score(store: CountyStore, rubric: str = DEFAULT_RUBRIC) -> Score:
    """The store's county on ``rubric`` for the store's year, ranked among the county-level
    units of the store's scope (a county official's scope holds their county alone): the year's
    assessment as ``fundwatch score`` and the scoring page compute it (measures as of the year's
    end, or today), whatever the report's as-of date."""
    definition, scores = unit_scores(store.engine, store.scope, rubric, store.year)
    unit = next((s for s in scores if s.unit_code == store.county), None)
    return Score(definition, rubric, unit, len(scores))


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------

_e = html.escape


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _stylesheet(store: CountyStore, font: str) -> str:
    lang = store.lang
    fonts = f'"{font}", {theme.FONT}'
    running = _css_string(t("report.running", lang, county=store.place, year=store.year,
                            date=i18n.date(store.as_of, lang)))
    # the page counters go where the message puts the numbers: "第 " counter(page) " 页 / 共 " ...
    page = _css_string(t("report.page", lang, page="@PAGE@", pages="@PAGES@"))
    page = page.replace("@PAGES@", '" counter(pages) "').replace("@PAGE@", '" counter(page) "')
    margin_box = f"font-family: {fonts}; font-size: 8pt; color: {theme.MUTED};"
    return f"""
@page {{
  size: A4; margin: 20mm 18mm 18mm 18mm;
  @top-left {{ content: {running}; {margin_box} }}
  @top-right {{ content: {_css_string(t("report.org", lang))}; {margin_box} }}
  @bottom-center {{ content: {page}; {margin_box} }}
}}
@page :first {{ @top-left {{ content: none; }} @top-right {{ content: none; }} }}
html {{ font-family: {fonts}; color: {theme.INK}; font-size: 9.5pt; line-height: 1.5; }}
body {{ margin: 0; }}
@media screen {{
  body {{ max-width: 174mm; margin: 12mm auto; padding: 0 8mm; }}
}}
header.title {{ border-bottom: 2.5pt solid {theme.NAVY}; padding-bottom: 4mm; margin-bottom: 5mm; }}
header.title .org {{ color: {theme.MUTED}; font-size: 9pt; letter-spacing: 0.5pt; }}
h1 {{ font-size: 19pt; color: {theme.NAVY}; margin: 2mm 0 3mm 0; font-weight: 700; line-height: 1.3; }}
table.meta {{ border-collapse: collapse; font-size: 9pt; }}
table.meta th {{ text-align: left; color: {theme.MUTED}; font-weight: 400; padding: 0 4mm 0 0; }}
table.meta td {{ padding: 0 8mm 0 0; font-weight: 600; }}
h2 {{ font-size: 13pt; color: {theme.NAVY}; border-left: 3pt solid {theme.BLUE}; padding-left: 2.5mm;
      margin: 7mm 0 2.5mm 0; break-after: avoid; line-height: 1.3; }}
h3 {{ font-size: 10pt; margin: 4mm 0 1.5mm 0; break-after: avoid; color: {theme.INK}; }}
p {{ margin: 1mm 0 2mm 0; }}
p.lead {{ font-size: 10pt; break-after: avoid; }}
p.note {{ color: {theme.MUTED}; font-size: 8pt; }}
.bad {{ color: {theme.RED}; font-weight: 600; }}
.good {{ color: {theme.GREEN}; font-weight: 600; }}
table.kpis {{ width: 100%; border-collapse: separate; border-spacing: 2mm; margin: 0 -2mm; table-layout: fixed; }}
table.kpis td {{ border: 0.75pt solid {theme.LINE}; border-top: 2.5pt solid {theme.BLUE}; padding: 2mm 2.5mm;
                 vertical-align: top; }}
table.kpis td.tone-good {{ border-top-color: {theme.GREEN}; }}
table.kpis td.tone-bad {{ border-top-color: {theme.RED}; }}
table.kpis td.tone-warn {{ border-top-color: {theme.ORANGE}; }}
.kpi-label {{ color: {theme.MUTED}; font-size: 8.5pt; }}
.kpi-value {{ font-size: 15pt; font-weight: 700; line-height: 1.35; color: {theme.INK}; }}
.kpi-sub {{ color: {theme.MUTED}; font-size: 7.5pt; line-height: 1.45; }}
.flag {{ font-size: 7.5pt; padding: 0 1.5mm; margin-left: 1.5mm; border-radius: 2mm; font-weight: 600; }}
.flag.good {{ background: #ebfbee; }}
.flag.bad {{ background: #fff5f5; }}
figure {{ margin: 1mm 0 3mm 0; break-inside: avoid; }}
figure svg.chart {{ width: 100%; height: auto; display: block; }}
figcaption {{ font-weight: 600; font-size: 9pt; margin-bottom: 1mm; }}
table.data {{ width: 100%; border-collapse: collapse; font-size: 8.5pt; margin: 1mm 0 3mm 0; }}
div.table {{ margin: 1mm 0 3mm 0; }}
div.table.keep {{ break-inside: avoid; }}
div.table table.data {{ margin: 0; }}
.caption {{ font-weight: 600; font-size: 9pt; margin-bottom: 1mm; break-after: avoid; }}
table.data th {{ background: #eef2f7; color: {theme.INK}; font-weight: 600; text-align: left; padding: 1mm 1.5mm;
                 border-bottom: 0.75pt solid #c9d2de; vertical-align: bottom; }}
table.data td {{ padding: 0.8mm 1.5mm; border-bottom: 0.5pt solid {theme.LINE}; vertical-align: top; }}
table.data th.num, table.data td.num {{ text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }}
table.data tr {{ break-inside: avoid; }}
table.data td.nowrap {{ white-space: nowrap; }}
table.data tr.total td {{ font-weight: 700; border-top: 0.75pt solid #c9d2de; }}
table.data tr.group td {{ font-weight: 600; background: #f8f9fb; }}
table.data td.basis, table.data div.basis {{ color: {theme.MUTED}; }}
table.data div.basis {{ font-size: 8pt; margin-top: 0.5mm; }}
.sev {{ color: #fff; padding: 0 1.2mm; border-radius: 1mm; font-size: 7.5pt; white-space: nowrap; }}
.sev-violation {{ background: {theme.SEVERITY_COLORS["violation"]}; }}
.sev-warning {{ background: {theme.SEVERITY_COLORS["warning"]}; }}
.sev-notice {{ background: {theme.SEVERITY_COLORS["notice"]}; }}
.rule {{ font-weight: 700; white-space: nowrap; }}
footer {{ margin-top: 6mm; border-top: 0.75pt solid {theme.LINE}; padding-top: 2mm; }}
"""


def _cell(value, kind: str) -> str:
    """One table cell's text: numbers in the format of their column kind (see :mod:`.present`)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, str):
        return value
    if kind == MONEY or kind == NUMBER:
        return f"{float(value):,.2f}"
    if kind == PCT:
        return f"{float(value):.1f}"
    if kind == TIMES:
        return f"{float(value):.2f}"
    if kind == COUNT:
        return i18n.count(value)
    if kind == POINTS:
        return present.points_text(value)
    return str(value)


_NUMERIC = (MONEY, NUMBER, PCT, TIMES, COUNT, POINTS)
#: Tables of at most this many rows are kept on one page.
KEEP_ROWS = 20


def table_html(shown: Shown, lang: str, columns: Sequence[str] | None = None, *, caption: str | None = None,
               classes: dict[str, str] | None = None, row_classes: Sequence[str] | None = None,
               total: Sequence[str] | None = None, widths: dict[str, str] | None = None) -> str:
    """A :class:`~.present.Shown` (what the dashboards show and export) as an HTML table:
    ``columns`` (default all) with their titles, numbers right-aligned; ``classes`` adds a CSS
    class to a column's cells, ``row_classes`` one per row, ``total`` a last row, ``widths`` the
    CSS widths of some columns."""
    columns = list(columns or shown.frame.columns)
    classes = classes or {}
    head = "".join(f'<th class="{"num" if shown.kinds.get(c) in _NUMERIC else ""}">{_e(shown.titles[c])}</th>'
                   for c in columns)
    rows = []
    for index, record in enumerate(shown.frame[columns].itertuples(index=False)):
        cells = []
        for column, value in zip(columns, record, strict=True):
            kind = shown.kinds.get(column, "")
            css = " ".join(filter(None, ["num" if kind in _NUMERIC else "", classes.get(column, "")]))
            cells.append(f'<td class="{css}">{_e(_cell(value, kind))}</td>')
        row_class = row_classes[index] if row_classes else ""
        rows.append(f'<tr class="{row_class}">{"".join(cells)}</tr>')
    if total is not None:
        rows.append('<tr class="total">' + "".join(
            f'<td class="{"num" if shown.kinds.get(c) in _NUMERIC else ""}">{_e(v)}</td>'
            for c, v in zip(columns, total, strict=True)) + "</tr>")
    if not rows:
        rows.append(f'<tr><td colspan="{len(columns)}">{_e(t("empty", lang))}</td></tr>')
    cols = "".join(f'<col style="width:{widths[c]}">' if c in widths else "<col>" for c in columns) if widths else ""
    table = ('<table class="data">' + (f"<colgroup>{cols}</colgroup>" if cols else "")
             + f'<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')
    return _captioned(caption, table, len(rows))


def _captioned(caption: str | None, table: str, rows: int) -> str:
    """A table under its caption; a short one (:data:`KEEP_ROWS`) is kept on one page with it."""
    keep = " keep" if rows <= KEEP_ROWS else ""
    cap = f'<div class="caption">{_e(caption)}</div>' if caption else ""
    return f'<div class="table{keep}">{cap}{table}</div>'


def _figure(caption: str, svg: str) -> str:
    return f"<figure><figcaption>{_e(caption)}</figcaption>{svg}</figure>"


def _kpi(label: str, value: str, lines: Iterable[str], tone: str = "", flag: str = "") -> str:
    flag_html = f'<span class="flag {tone}">{_e(flag)}</span>' if flag else ""
    sub = "<br>".join(_e(line) for line in lines)
    return (f'<td class="tone-{tone or "plain"}"><div class="kpi-label">{_e(label)}{flag_html}</div>'
            f'<div class="kpi-value">{_e(value)}</div><div class="kpi-sub">{sub}</div></td>')


def kpi_values(store: CountyStore) -> dict[str, str]:
    """The headline figures as the report prints them (key -> text), from ``store.headline``."""
    h, lang = store.headline, store.lang
    return {"funds_total": i18n.money(h["funds_total"], lang), "rate": i18n.pct(h["rate"]),
            "outstanding": i18n.money(h["outstanding"], lang), "asset_value": i18n.money(h["asset_value"], lang),
            "households": i18n.households(h["households"], lang),
            "warnings": i18n.count(sum(h["warnings"].values()))}


def _kpis(store: CountyStore) -> str:
    h, lang = store.headline, store.lang
    shown = kpi_values(store)
    levels = h["funds_by_level"]
    funds = [t("kpi.funds.sub", lang, **{k: i18n.money(levels.get(k, 0.0), lang, 1)
                                         for k in ("central", "provincial", "city", "county")})]
    other = sum(v for k, v in levels.items() if k not in ("central", "provincial", "city", "county"))
    if other:
        funds.append(t("kpi.funds.sub_other", lang, other=i18n.money(other, lang, 1)))
    due, rate = h["milestone"], h["rate"]
    pace = [t("kpi.pace.sub", lang, disbursed=i18n.money(h["disbursed"], lang),
              allocated=i18n.money(h["allocated"], lang))]
    pace_tone = pace_flag = ""
    if due is None:
        pace.append(t("kpi.pace.before", lang))
    else:
        met = not math.isnan(rate) and rate >= due.target
        pace_tone, pace_flag = ("good", t("kpi.ok", lang)) if met else ("bad", t("kpi.behind", lang))
        pace.append(t("kpi.pace.milestone", lang, date=i18n.month_day(due.due, lang), target=i18n.pct(due.target, 0)))
    leverage = h["leverage"]
    loans = [t("kpi.loans.sub", lang, fund=i18n.money(h["risk_fund"], lang), leverage=i18n.times(leverage, lang)),
             t("kpi.loans.overdue", lang, rate=i18n.pct(h["overdue_rate"]))]
    assets = [t("kpi.assets.sub", lang, count=i18n.count(h["assets"]), gaps=i18n.count(h["no_custodian"])),
              t("kpi.assets.idle", lang, count=i18n.count(h["idle_or_damaged"]))]
    households = [t("kpi.households.sub", lang, monitored=i18n.count(h["monitored"]),
                    eliminated=i18n.count(h["eliminated"])),
                  t("kpi.households.overdue", lang, count=i18n.count(h["overdue_households"]))]
    counts = h["warnings"]
    warnings = [t("kpi.warnings.sub", lang, **{s: i18n.count(counts.get(s, 0))
                                               for s in ("violation", "warning", "notice")})]
    cells = [
        _kpi(t("kpi.funds", lang, year=store.year), shown["funds_total"], funds),
        _kpi(t("kpi.pace", lang), shown["rate"], pace, pace_tone, pace_flag),
        _kpi(t("kpi.loans", lang), shown["outstanding"], loans,
             "bad" if not math.isnan(leverage) and leverage > 8 else ""),
        _kpi(t("kpi.assets", lang), shown["asset_value"], assets, "warn" if h["no_custodian"] else ""),
        _kpi(t("kpi.households", lang), shown["households"], households, "warn" if h["overdue_households"] else ""),
        _kpi(t("kpi.warnings", lang), shown["warnings"], warnings,
             "bad" if counts.get("violation") else "warn" if counts.get("warning") else "good"),
    ]
    return f'<table class="kpis"><tr>{"".join(cells[:3])}</tr><tr>{"".join(cells[3:])}</tr></table>'


def _milestones(store: CountyStore) -> tuple[str, str]:
    """The milestone table and the lead's sentence about the latest milestone due."""
    lang, pace = store.lang, store.pace
    rates = {int(m): float(r) for m, r in zip(pace["month"], pace["rate"], strict=True)} if len(pace) else {}
    rows, sentence = [], ""
    for mark in milestones(store.year):
        actual = rates.get(mark.due.month, float("nan"))
        due_text, target = i18n.month_day(mark.due, lang), i18n.pct(mark.target, 0)
        if mark.due > store.as_of:
            result, css = t("report.result.pending", lang), ""
        elif not math.isnan(actual) and actual >= mark.target:
            result, css = t("report.result.met", lang), "good"
            sentence = t("report.funds.milestone_met", lang, due=due_text, target=target)
        else:
            result, css = t("report.result.missed", lang), "bad"
            sentence = t("report.funds.milestone_missed", lang, due=due_text, target=target)
        shown_actual = i18n.pct(actual) if mark.due <= store.as_of else "–"
        rows.append(f'<tr><td>{_e(due_text)}</td><td class="num">{_e(target)}</td>'
                    f'<td class="num">{_e(shown_actual)}</td><td class="{css}">{_e(result)}</td></tr>')
    if not sentence and milestones(store.year):
        sentence = t("report.funds.before", lang, due=i18n.month_day(milestones(store.year)[0].due, lang))
    head = "".join(f'<th class="{c}">{_e(t(k, lang))}</th>' for k, c in
                   (("report.col.due", ""), ("report.col.target", "num"), ("report.col.actual", "num"),
                    ("report.col.result", "")))
    table = _captioned(t("report.milestones", lang), f'<table class="data" style="width:auto; min-width:50%">'
                       f'<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>', len(rows))
    return table, sentence


def _funds_year(store: CountyStore) -> str:
    """The year's allocations: one row per programme, one money column per source level, totals."""
    lang, funds = store.lang, store.funds
    year = funds[funds["year"] == store.year] if len(funds) else funds
    if not len(year):
        return f'<p class="note">{_e(t("empty", lang))}</p>'
    wide = year.pivot_table(index="programme", columns="source_level", values="amount", aggfunc="sum").fillna(0.0)
    levels = [c for c in i18n.VOCABS["source_level"] if c in wide.columns]
    programmes = [p for p in i18n.VOCABS["programme"] if p in wide.index]
    wide = wide.reindex(index=programmes, columns=levels)
    wide["total"] = wide.sum(axis=1)
    divisor, unit = i18n.money_unit([float(wide["total"].max())], lang)
    frame = pd.DataFrame({"programme": [i18n.term("programme", p, lang) for p in programmes],
                          **{c: (wide[c].to_numpy() / divisor).round(2) for c in [*levels, "total"]}})
    titles = {"programme": t("col.programme", lang), "total": t("report.total", lang),
              **{c: i18n.term("source_level", c, lang) for c in levels}}
    kinds = {"programme": present.TEXT, **{c: MONEY for c in [*levels, "total"]}}
    shown = Shown("funds_year", "", frame, titles, kinds, unit)
    sums = [t("report.total", lang)] + [f"{wide[c].sum() / divisor:,.2f}" for c in [*levels, "total"]]
    caption = f"{t('report.funds_year', lang, year=store.year)}（{unit}）" if lang == "zh" else \
        f"{t('report.funds_year', lang, year=store.year)} ({unit})"
    return table_html(shown, lang, caption=caption, total=sums)


def _severity_badge(severity: str, lang: str) -> str:
    return f'<span class="sev sev-{_e(severity)}">{_e(t(f"severity.{severity}", lang))}</span>'


def _warnings(store: CountyStore) -> tuple[str, int]:
    lang, findings = store.lang, store.warnings
    counts = store.headline["warnings"]
    if not len(findings):
        return f'<p class="lead">{_e(t("report.warnings.none", lang))}</p>', 0
    lead = t("report.warnings.lead", lang, total=i18n.count(len(findings)),
             **{s: i18n.count(counts.get(s, 0)) for s in ("violation", "warning", "notice")})
    shown = store.shown("warnings")  # the warning table of the page: message and basis in the store's language
    head = "".join(f"<th>{_e(shown.titles[c])}</th>" for c in ("severity", "rule"))
    head += f'<th>{_e(t("report.col.rule_title", lang))}</th>'
    head += f'<th>{_e(shown.titles["message"])} / {_e(shown.titles["basis"])}</th>'
    basis_label = shown.titles["basis"] + ("：" if lang == "zh" else ": ")
    rows = []
    for severity, rule, title, message, basis in zip(findings["severity"], shown.frame["rule"], shown.frame["title"],
                                                     shown.frame["message"], shown.frame["basis"], strict=True):
        rows.append(f'<tr><td>{_severity_badge(severity, lang)}</td><td class="rule">{_e(rule)}</td>'
                    f'<td>{_e(title)}</td><td>{_e(message)}'
                    f'<div class="basis">{_e(basis_label)}{_e(basis)}</div></td></tr>')
    table = (f'<table class="data"><colgroup><col style="width:10%"><col style="width:7%"><col style="width:19%">'
             f'<col style="width:64%"></colgroup><thead><tr>{head}</tr></thead>'
             f'<tbody>{"".join(rows)}</tbody></table>')
    return f'<p class="lead">{_e(lead)}</p>{table}', len(findings)


def _score(store: CountyStore, score: Score) -> tuple[str, int]:
    lang, unit = store.lang, score.unit
    title = score.rubric.title_en if lang == "en" else score.rubric.title_zh
    if unit is None:
        return f'<p class="lead">{_e(t("report.score.none", lang, year=store.year))}</p>', 0
    points = present.points_text
    parts = [t("report.score.lead", lang, rubric=title, year=store.year, total=points(unit.total),
               base=points(unit.base), bonus=points(unit.bonus))]
    if score.units > 1 and unit.rank is not None:
        parts.append(t("report.score.rank", lang, rank=unit.rank, units=score.units))
    lead = f'<p class="lead">{_e("".join(parts) if lang == "zh" else " ".join(parts))}</p>'
    if unit.vetoed:
        lead += f'<p class="bad">{_e(t("report.score.vetoed", lang, reason=unit.veto_reason(lang) or ""))}</p>'
    if unit.missing:
        lead += f'<p class="note">{_e(t("report.score.missing", lang, count=len(unit.missing)))}</p>'
    frame = scorecard_to_frame(unit)
    shown = scorecard_shown(score.rubric, frame, lang, "")  # the scorecard of the scoring page
    groups = ["group" if kind == "group" else "" for kind in frame["kind"]]
    table = table_html(shown, lang, ["item", "max_points", "points", "lost", "source_text", "note"],
                       row_classes=groups, classes={"note": "basis", "source_text": "nowrap"},
                       widths={"item": "31%", "max_points": "7%", "points": "7%", "lost": "7%", "source_text": "9%"})
    return lead + table, len(frame)


def report_html(store: CountyStore, score: Score, made_at: dt.datetime | None = None) -> tuple[str, int]:
    """The report of ``store``'s county as one self-contained HTML document, and the number of
    table rows it prints (the row count of its audit row).  ``made_at`` is the time printed as
    the report's making (default now, local time)."""
    lang = store.lang
    font = cjk_font()
    made_at = made_at or dt.datetime.now().astimezone()
    h = store.headline
    date = i18n.date(store.as_of, lang)
    title = t("report.title", lang, county=store.place, year=store.year)
    running = t("report.running", lang, county=store.place, year=store.year, date=date)
    rows = 0

    def section(key: str, *body: str) -> str:
        return f'<section><h2>{_e(t(key, lang))}</h2>{"".join(body)}</section>'

    meta = [(t("report.as_of", lang), date), (t("report.made_at", lang), i18n.timestamp(made_at, lang)),
            (t("report.scope", lang), t("scope.all", lang) if store.scope.is_all else store.place),
            (t("report.rubric", lang), score.rubric.title_en if lang == "en" else score.rubric.title_zh)]
    meta_html = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in meta)
    header = (f'<header class="title"><div class="org">{_e(t("report.org", lang))}</div><h1>{_e(title)}</h1>'
              f'<table class="meta">{meta_html}</table></header>')

    # funds
    milestone_table, milestone_sentence = _milestones(store)
    funds_lead = t("report.funds.lead", lang, year=store.year, total=i18n.money(h["funds_total"], lang),
                   date=date, disbursed=i18n.money(h["disbursed"], lang), allocated=i18n.money(h["allocated"], lang),
                   rate=i18n.pct(h["rate"]))
    funds = section(
        "report.section.funds",
        f'<p class="lead">{_e(funds_lead)}{"" if lang == "zh" else " "}{_e(milestone_sentence)}</p>',
        _figure(t("report.pace", lang), charts.pace_chart(store.pace, store.year, lang)),
        milestone_table, _funds_year(store),
        _figure(t("report.funds_trend", lang), charts.funds_chart(store.funds, store.year, lang)),
    )
    rows += len(store.pace) + (int((store.funds["year"] == store.year).sum()) if len(store.funds) else 0)

    # loans
    leverage = h["leverage"]
    loans_lead = t("report.loans.lead", lang, date=date, outstanding=i18n.money(h["outstanding"], lang),
                   fund=i18n.money(h["risk_fund"], lang), leverage=i18n.times(leverage, lang),
                   rate=i18n.pct(h["overdue_rate"]))
    over = (f'<span class="bad">{_e(t("report.loans.over", lang))}</span>'
            if not math.isnan(leverage) and leverage > 8 else "")
    loans = section(
        "report.section.loans",
        f'<p class="lead">{_e(loans_lead)}{over}</p>',
        table_html(store.shown("leverage"), lang, caption=store.shown("leverage").title),
        _figure(t("report.loans_chart", lang), charts.loans_chart(store.loans_by_type, store.loans_by_bank, lang)),
        table_html(store.shown("loans"), lang, caption=store.shown("loans").title),
        table_html(store.shown("loans_bank"), lang, caption=store.shown("loans_bank").title),
    )
    rows += len(store.leverage) + len(store.loans_by_type) + len(store.loans_by_bank)

    # assets
    assets_lead = t("report.assets.lead", lang, count=i18n.count(h["assets"]),
                    value=i18n.money(h["asset_value"], lang), gaps=i18n.count(h["no_custodian"]),
                    idle=i18n.count(h["idle_or_damaged"]))
    assets = section(
        "report.section.assets",
        f'<p class="lead">{_e(assets_lead)}</p>',
        _figure(f'{t("panel.asset_mix", lang)} · {t("panel.custody", lang)}', charts.assets_chart(store.assets, lang)),
        table_html(store.shown("assets"), lang, caption=store.shown("assets").title),
    )
    rows += len(store.assets)

    # households
    if len(store.households):
        households_lead = t("report.households.lead", lang, date=date, total=i18n.households(h["households"], lang),
                            **{k: i18n.count(h[k]) for k in ("pending", "monitored", "eliminated")},
                            overdue=i18n.count(h["overdue_households"]))
        households = section(
            "report.section.households",
            f'<p class="lead">{_e(households_lead)}</p>',
            _figure(t("panel.households", lang), charts.households_chart(store.households, lang)),
            table_html(store.shown("households"), lang),
        )
    else:
        households = section("report.section.households",
                             f'<p class="lead">{_e(t("report.households.none", lang, date=date))}</p>')
    rows += len(store.households)

    score_html, score_rows = _score(store, score)
    warnings_html, warning_rows = _warnings(store)
    rows += score_rows + warning_rows
    footer = f'<footer><p class="note">{_e(t("report.note", lang, date=date))}</p></footer>'
    document = (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title>"
        f'<meta name="description" content="{_e(running)}">'
        f'<meta name="generator" content="fundwatch"><meta name="dcterms.created" content="{made_at.isoformat()}">'
        f"<style>{_stylesheet(store, font)}</style></head><body>"
        f'{header}<section><h2 class="summary">{_e(t("report.summary", lang))}</h2>{_kpis(store)}</section>'
        f"{funds}{loans}{assets}{households}"
        f'{section("report.section.score", score_html)}{section("report.section.warnings", warnings_html)}'
        f"{footer}</body></html>\n"
    )
    return document, rows


# ---------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------


def _weasyprint():
    """The WeasyPrint module, or :class:`ReportUnavailable` naming what is missing."""
    try:
        import weasyprint
    except (OSError, ImportError) as exc:  # OSError: cffi cannot load pango
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReportUnavailable(f"PDF reports need WeasyPrint and Debian's pango ({PANGO_PACKAGES}): {reason}") \
            from None
    return weasyprint


def check_pdf_support() -> None:
    """Raise :class:`ReportUnavailable` or :class:`~.report_charts.ReportFontMissing` unless this
    server can render a PDF report."""
    _weasyprint()
    cjk_font()


def report_pdf(document: str) -> bytes:
    """The PDF of a report's HTML.  Nothing is fetched: every URL the document might name is
    refused (the report has none; its charts are inline SVG)."""
    weasyprint = _weasyprint()
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols=frozenset())
    return weasyprint.HTML(string=document, url_fetcher=fetcher).write_pdf()


def report_bytes(store: CountyStore, fmt: str, *, rubric: str = DEFAULT_RUBRIC,
                 made_at: dt.datetime | None = None) -> tuple[bytes, int]:
    """The report of ``store``'s county in ``fmt`` (pdf, html) and its table rows; no audit row
    (surfaces call :func:`audited_report`)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; choose pdf or html")
    if fmt == "pdf":
        _weasyprint()  # before the work: a server without pango says so at once
    document, rows = report_html(store, county_score(store, rubric), made_at)
    return (report_pdf(document) if fmt == "pdf" else document.encode("utf-8")), rows


def audited_report(store: CountyStore, fmt: str, *, rubric: str = DEFAULT_RUBRIC,
                   made_at: dt.datetime | None = None) -> bytes:
    """The report (see :func:`report_bytes`), handed over only once its audit row is written
    (action ``export``, kind ``report``, ``fmt``, the store's actor, scope, surface and
    filters, the county).  If the row cannot be written the error is logged and
    :class:`~.export.ExportNotAudited` raised: there is no report without its audit row."""
    data, rows = report_bytes(store, fmt, rubric=rubric, made_at=made_at)
    filters = [*store.filters(), (t("report.rubric", store.lang), rubric)]
    try:
        record_export(store.engine, store.actor, kind=KIND, fmt=fmt, rows=rows, scope=store.scope,
                      county_code=store.county, surface=store.surface, filters=filters)
    except Exception as exc:
        log.error("report of %s %s (%s) by %s withheld: its audit row could not be written", store.county,
                  store.year, fmt, store.actor, exc_info=True)
        raise ExportNotAudited(f"the report was withheld: its audit row could not be written "
                               f"({type(exc).__name__})") from exc
    return data


def report_filename(county_name: str, year: int, lang: str = i18n.DEFAULT_LANG, fmt: str = "pdf") -> str:
    """``于都县-2020-报告.pdf`` / ``于都县-2020-report.pdf``."""
    safe = "".join(ch for ch in county_name if ch not in '/\\:*?"<>|').strip() or "county"
    return t("report.filename", lang, county=safe, year=year, fmt=fmt)


# ---------------------------------------------------------------------------------------------
# The county page's download
# ---------------------------------------------------------------------------------------------


class ReportDownload(pn.custom.PyComponent):
    """The county page's "download report (PDF)" button: the report of the store's county for
    its year and as-of date, in its language, built when clicked and audited under the store's
    actor and surface (see :func:`audited_report`).  The report covers the whole county, whatever
    township or village the page shows.  When the report cannot be made (the audit row failed,
    no pango or CJK font), the store's notice says so."""

    store = param.ClassSelector(class_=CountyStore, doc="The county page's store (county, year, as-of, language).")
    rubric = param.String(default=DEFAULT_RUBRIC, doc="The rubric the report scores the county on.")

    def __init__(self, **params):
        super().__init__(**params)
        self._button = pn.widgets.FileDownload(
            callback=self._file, filename=self._filename(), embed=False,
            label=pn.bind(lambda lang: "⤓ " + t("report.download", lang), self.store.param.lang),
            variant="outline", color="primary", height=32, margin=(4, 6),
            disabled=self.store.param.county.rx() == "",
        )

    def _filename(self) -> str:
        store = self.store
        name = store.name_of(store.county) if store.county else "county"
        return report_filename(name, store.year, store.lang, "pdf")

    def _file(self) -> io.BytesIO:
        store = self.store
        self._button.filename = self._filename()
        try:
            if store.township or store.village or store.programme or store.source_level:
                report = report_store(store.engine, store.scope, store.county, store.year, store.as_of,
                                      lang=store.lang, actor=store.actor, surface=store.surface)
            else:  # the page shows the whole county: its frames are the report's
                report = store
            return io.BytesIO(audited_report(report, "pdf", rubric=self.rubric))
        except ExportNotAudited:
            store.notice = t("export.not_audited", store.lang)
            raise
        except (ReportUnavailable, ReportFontMissing, ReportRefused) as exc:
            store.notice = t("report.unavailable", store.lang, reason=str(exc))
            raise

    def __panel__(self):
        return self._button


__all__ = ["FORMATS", "KIND", "MIME", "ReportDownload", "ReportFontMissing", "ReportRefused", "ReportUnavailable",
           "Score", "audited_report", "check_pdf_support", "county_score", "kpi_values", "report_bytes",
           "report_filename", "report_html", "report_pdf", "report_store", "table_html"]
