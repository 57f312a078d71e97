"""The audit desk of ``/audit``: the audit log for the data administrator, and the unmasking of one
record's personal data with a reason.

:class:`AuditDesk` keeps its state in parameters:

- **The audit log**: ``since``, ``until`` (days, inclusive), ``action`` and ``actor`` filter
  :func:`fundwatch.data.access.audit_frame` (newest first, at most ``limit`` rows, within
  ``scope``); ``entries`` holds the rows as shown (time, actor, action, target, county, result,
  details: nothing else travels to the browser), downloadable as CSV or Excel with the filters in
  the file.  Each download writes its own ``export`` audit row under ``user`` first
  (:func:`.export.audited_export`: no row, no file) and the log is read again.  Audit rows carry
  ids and reasons, never a password, a token or unmasked personal data.
- **Unmasking one record** (only built when ``account.can_unmask``): ``record_kind`` (household
  or loan), ``record_id`` and ``reason`` go to :func:`fundwatch.data.access.unmask_record`, which
  checks the account against the database and writes the ``unmask`` audit row (refusals too).
  The record's full name and ID number are held in ``unmasked`` for this session only: nothing is
  cached or put in the URL, and they are cleared when the kind or id changes or on :meth:`clear`.
  A refusal sets ``problem`` (the message is shown in the desk's language).  After every attempt
  the log is read again, so the attempt's own row appears.
"""

from __future__ import annotations

import datetime as dt
import html
import io
from functools import partial

import pandas as pd
import panel as pn
import param
from sqlalchemy import Engine

from fundwatch.data.access import MIN_REASON, Account, UnmaskedRecord, audit_frame, unmask_record
from fundwatch.data.access.audit import DEFAULT_LIMIT
from fundwatch.data.access.unmask import MAX_REASON
from fundwatch.data.scope import Scope

from . import export, i18n, present, theme
from .controls import WIDGET_CSS, Choice
from .i18n import LANGS, MESSAGES, t
from .present import Col, Shown
from .tables import tabulator

#: The actions the application writes to the audit log (the action filter offers these).
ACTIONS = ("login", "login_failed", "login_locked", "logout", "user_add", "user_disable", "user_enable",
           "user_passwd", "import", "export", "unmask", "score_edit", "rubric_sync")
#: Results with a label of their own; any other result is shown as stored.
RESULTS = ("ok", "failed", "refused", "not_found", "accepted", "unchanged", "dry_run", "rejected")
#: The records whose personal data may be unmasked.
RECORD_KINDS = ("household", "loan")
#: Why the last unmasking attempt showed nothing ('' when it showed the record or none was made).
PROBLEMS = ("", "no_id", "reason", "refused", "not_found", "failed")
#: Audit rows per table page (only the shown page travels to the browser).
PAGE_SIZE = 20

i18n.extend({
    "zh": {
        "audit.intro": "登录、退出、登录失败和锁定、账号变更、数据导入导出、查看未脱敏信息和评分修改都记入审计日志。"
                       "日志只能追加，不能修改或删除；日志中没有密码，也没有姓名、身份证号等个人信息。",
        "audit.log": "审计日志",
        "audit.since": "开始日期",
        "audit.until": "结束日期",
        "audit.action": "操作",
        "audit.actor": "操作人",
        "audit.actor.placeholder": "用户名，精确匹配",
        "audit.refresh": "刷新",
        "audit.count": "共 {n} 条记录，最新的在前。",
        "audit.count.limit": "仅显示最新的 {n} 条，请用日期、操作或操作人缩小范围。",
        "audit.download": "下载日志：",
        "audit.col.at": "时间",
        "audit.col.actor": "操作人",
        "audit.col.action": "操作",
        "audit.col.target": "对象",
        "audit.col.county": "县区代码",
        "audit.col.result": "结果",
        "audit.col.detail": "详情",
        "audit.action.login": "登录",
        "audit.action.login_failed": "登录失败",
        "audit.action.login_locked": "账号锁定",
        "audit.action.logout": "退出登录",
        "audit.action.user_add": "新增用户",
        "audit.action.user_disable": "停用用户",
        "audit.action.user_enable": "启用用户",
        "audit.action.user_passwd": "修改密码",
        "audit.action.import": "数据导入",
        "audit.action.export": "数据导出",
        "audit.action.unmask": "查看未脱敏信息",
        "audit.action.score_edit": "评分录入",
        "audit.action.rubric_sync": "考核办法同步",
        "audit.result.ok": "成功",
        "audit.result.failed": "失败",
        "audit.result.refused": "拒绝",
        "audit.result.not_found": "未找到",
        "audit.result.accepted": "已导入",
        "audit.result.unchanged": "无变化",
        "audit.result.dry_run": "试导入",
        "audit.result.rejected": "未通过检查",
        "audit.unmask": "查看单条记录的未脱敏信息",
        "audit.unmask.note": "仅数据管理员可用，一次一条，须说明理由（至少 {n} 个字符）。每次查看（包括被拒绝的）都记入审计日志，"
                             "日志中只有记录编号和理由。完整信息只在本页本次显示，不保存、不导出；更换记录或点击「清除」后即隐藏。",
        "audit.unmask.demo": "演示模式没有登录账号，不能查看未脱敏信息：以数据管理员账号登录后，本页可凭理由查看单条记录。",
        "audit.unmask.not_allowed": "只有数据管理员可以查看未脱敏信息。",
        "audit.unmask.kind": "记录类型",
        "audit.unmask.id": "记录编号",
        "audit.unmask.reason": "理由",
        "audit.unmask.reason.placeholder": "如：核实监测对象身份",
        "audit.unmask.submit": "查看完整信息",
        "audit.unmask.clear": "清除",
        "audit.kind.household": "监测户",
        "audit.kind.loan": "贷款",
        "audit.unmask.heading": "{kind} {id} · 县区代码 {county}",
        "audit.unmask.name.household": "户主姓名",
        "audit.unmask.name.loan": "借款人姓名",
        "audit.unmask.id_no": "身份证号码",
        "audit.unmask.id_no.none": "（未登记）",
        "audit.unmask.shown": "已记入审计日志。此信息仅在本页显示，请勿截屏或转抄。",
        "audit.problem.no_id": "请输入记录编号（正整数）。",
        "audit.problem.reason": "请说明查看理由，至少 {n} 个字符。未查看，未记录。",
        "audit.problem.refused": "只有数据管理员可以查看未脱敏信息。本次请求已被拒绝并记入审计日志。",
        "audit.problem.not_found": "没有找到{kind} {id}（或不在您的可见范围内）。本次请求已记入审计日志。",
        "audit.problem.failed": "未能查看：{detail}",
    },
    "en": {
        "audit.intro": "Sign-ins, sign-outs, failed sign-ins and lockouts, account changes, imports and exports, "
                       "unmasking of personal data and score edits are all written to the audit log. The log is "
                       "append-only; it holds no passwords and no personal data such as names or ID numbers.",
        "audit.log": "Audit log",
        "audit.since": "From",
        "audit.until": "To",
        "audit.action": "Action",
        "audit.actor": "By",
        "audit.actor.placeholder": "username, exact",
        "audit.refresh": "Refresh",
        "audit.count": "{n} rows, newest first.",
        "audit.count.limit": "Only the newest {n} are shown: narrow the dates, the action or the user.",
        "audit.download": "Download the log:",
        "audit.col.at": "Time",
        "audit.col.actor": "By",
        "audit.col.action": "Action",
        "audit.col.target": "Target",
        "audit.col.county": "County code",
        "audit.col.result": "Result",
        "audit.col.detail": "Details",
        "audit.action.login": "Sign-in",
        "audit.action.login_failed": "Failed sign-in",
        "audit.action.login_locked": "Account locked",
        "audit.action.logout": "Sign-out",
        "audit.action.user_add": "User added",
        "audit.action.user_disable": "User disabled",
        "audit.action.user_enable": "User enabled",
        "audit.action.user_passwd": "Password changed",
        "audit.action.import": "Import",
        "audit.action.export": "Export",
        "audit.action.unmask": "Unmasking",
        "audit.action.score_edit": "Score entry",
        "audit.action.rubric_sync": "Rubric update",
        "audit.result.ok": "ok",
        "audit.result.failed": "failed",
        "audit.result.refused": "refused",
        "audit.result.not_found": "not found",
        "audit.result.accepted": "imported",
        "audit.result.unchanged": "unchanged",
        "audit.result.dry_run": "dry run",
        "audit.result.rejected": "rejected",
        "audit.unmask": "Unmask one record",
        "audit.unmask.note": "For the data administrator only: one record at a time, with a reason of at least {n} "
                             "characters. Every attempt (refused ones too) is written to the audit log, with the "
                             "record's id and the reason only. The full data is shown on this page in this session "
                             "only, never stored or exported; it disappears when the record changes or on \"Clear\".",
        "audit.unmask.demo": "Demo mode has no signed-in account, so nothing can be unmasked: signed in as a data "
                             "administrator, this page unmasks one record at a time with a reason.",
        "audit.unmask.not_allowed": "Only a data administrator may unmask personal data.",
        "audit.unmask.kind": "Record",
        "audit.unmask.id": "Record id",
        "audit.unmask.reason": "Reason",
        "audit.unmask.reason.placeholder": "e.g. checking a household's identity",
        "audit.unmask.submit": "Unmask",
        "audit.unmask.clear": "Clear",
        "audit.kind.household": "Household",
        "audit.kind.loan": "Loan",
        "audit.unmask.heading": "{kind} {id} · county code {county}",
        "audit.unmask.name.household": "Head of household",
        "audit.unmask.name.loan": "Borrower",
        "audit.unmask.id_no": "ID number",
        "audit.unmask.id_no.none": "(not recorded)",
        "audit.unmask.shown": "Written to the audit log. Shown on this page only: do not copy or photograph it.",
        "audit.problem.no_id": "Enter the record id (a positive whole number).",
        "audit.problem.reason": "Give a reason of at least {n} characters. Nothing was unmasked or logged.",
        "audit.problem.refused": "Only a data administrator may unmask personal data. The request was refused "
                                 "and logged.",
        "audit.problem.not_found": "Not found in your scope: {kind} {id}. The request was logged.",
        "audit.problem.failed": "Could not unmask: {detail}",
    },
})

LOG_COLUMNS = (Col("at", "audit.col.at"), Col("actor", "audit.col.actor"), Col("action", "audit.col.action"),
               Col("target", "audit.col.target"), Col("county_code", "audit.col.county"),
               Col("result", "audit.col.result"), Col("detail", "audit.col.detail"))

AUDIT_CSS = f"""
.fw-count {{ font-size: 13px; color: {theme.MUTED}; margin: 4px 0; }}
.fw-count.limit {{ color: {theme.ORANGE}; }}
.fw-problem {{ color: {theme.RED}; font-size: 14px; font-weight: 600; background: #fff5f5; border: 1px solid #ffc9c9;
               border-radius: 8px; padding: 8px 12px; margin: 6px 0; }}
.fw-unmasked {{ background: #fff9db; border: 1px solid #ffe066; border-left: 6px solid {theme.GOLD};
                border-radius: 8px; padding: 10px 14px; margin: 6px 0; }}
.fw-unmasked h3 {{ font-size: 14px; margin: 0 0 6px 0; color: {theme.INK}; }}
.fw-unmasked dl {{ display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0 0 6px 0; }}
.fw-unmasked dt {{ color: {theme.MUTED}; font-size: 13px; }}
.fw-unmasked dd {{ margin: 0; font-size: 16px; font-weight: 600; font-variant-numeric: tabular-nums;
                   letter-spacing: 0.5px; }}
"""


def action_label(action: str, lang: str) -> str:
    """An audit action in words (an action without a label of its own as stored)."""
    key = f"audit.action.{action}"
    return t(key, lang) if key in MESSAGES[lang] else str(action)


def result_label(result: str, lang: str) -> str:
    """An audit result in words (one without a label of its own as stored)."""
    key = f"audit.result.{result}"
    return t(key, lang) if key in MESSAGES[lang] else str(result)


def action_options(lang: str) -> dict[str, str]:
    """The action filter's options ``{label: action}``, led by "all" (``""``)."""
    return {t("all", lang): "", **{action_label(a, lang): a for a in ACTIONS}}


def kind_options(lang: str) -> dict[str, str]:
    """The kinds of record that can be unmasked ``{label: kind}``."""
    return {t(f"audit.kind.{kind}", lang): kind for kind in RECORD_KINDS}


def log_shown(frame: pd.DataFrame, lang: str) -> Shown:
    """Audit rows (from :func:`~fundwatch.data.access.audit_frame`) as the table shows them:
    time to the second in the server's local time, actions and results in words; the row id is
    not shown and so not sent."""
    out = pd.DataFrame({
        "at": [f"{at:%Y-%m-%d %H:%M:%S}" for at in frame["at"]],
        "actor": frame["actor"].astype(object),
        "action": [action_label(a, lang) for a in frame["action"]],
        "target": frame["target"].astype(object),
        "county_code": frame["county_code"].astype(object),
        "result": [result_label(r, lang) for r in frame["result"]],
        "detail": frame["detail"].astype(object),
    })
    return present.build("audit_log", t("audit.log", lang), out, LOG_COLUMNS, lang)


def _empty_log() -> pd.DataFrame:
    return pd.DataFrame(columns=["id", "at", "actor", "action", "target", "county_code", "result", "detail"])


def _card(title, *body) -> pn.Column:
    heading = theme.html(title, sizing_mode="stretch_width", margin=0)
    return pn.Column(heading, *body, sizing_mode="stretch_width", margin=6, stylesheets=[theme.CARD_CSS],
                     css_classes=["fw-card"])


class AuditDesk(pn.custom.PyComponent):
    """The audit log with its filters and downloads, and (for a data administrator) the unmasking
    of one record (see the module docstring)."""

    engine = param.ClassSelector(class_=Engine, doc="The database whose audit log is read.")
    scope = param.ClassSelector(class_=Scope, default=Scope.nothing(),
                                doc="The counties whose audit rows the viewer may read (rows without a county "
                                    "belong to the city level).")
    account = param.ClassSelector(class_=Account, default=None, allow_None=True, constant=True,
                                  doc="The signed-in viewer (None in demo mode): the unmasking form is built only "
                                      "when this account may unmask.")
    user = param.String(default="dashboard",
                        doc="Who reads the log (the login name), written to the audit row of every download.")
    lang = param.Selector(default=i18n.DEFAULT_LANG, objects=list(LANGS), allow_refs=True,
                          doc="Language of every label, of the log's words and of the downloads (zh, en).")

    since = param.CalendarDate(default=None, allow_None=True, doc="The first day of the log shown (None: no limit).")
    until = param.CalendarDate(default=None, allow_None=True, doc="The last day of the log shown (None: no limit).")
    action = param.Selector(default="", objects=["", *ACTIONS], doc="Only rows of this action ('' for all).")
    actor = param.String(default="", doc="Only rows of this actor, matched exactly ('' for all).")
    limit = param.Integer(default=DEFAULT_LIMIT, bounds=(1, None), doc="At most this many rows, the newest.")
    rows = param.Integer(default=0, doc="How many audit rows the filters found (at most ``limit``).")
    entries = param.ClassSelector(class_=Shown, doc="The audit rows as shown, newest first.")

    record_kind = param.Selector(default="household", objects=list(RECORD_KINDS),
                                 doc="The kind of record to unmask (household or loan).")
    record_id = param.Integer(default=None, allow_None=True, bounds=(1, None), doc="The id of the record to unmask.")
    reason = param.String(default="", doc=f"Why the record is unmasked (at least {MIN_REASON} characters, audited).")
    unmasked = param.ClassSelector(class_=UnmaskedRecord, default=None, allow_None=True,
                                   doc="The unmasked record, for this session only (None when nothing is shown).")
    problem = param.Selector(default="", objects=list(PROBLEMS),
                             doc="Why the last unmasking showed nothing ('' when it did, or before one).")
    failure = param.String(default="", doc="The error of an unmasking that could not run ('' otherwise).")
    withheld = param.Boolean(default=False,
                             doc="True when the last download was withheld: its audit row could not be written.")

    def __init__(self, **params):
        super().__init__(**params)
        common = {"stylesheets": [WIDGET_CSS], "margin": (0, 8, 6, 0), "description": None}
        filters = pn.FlexBox(
            pn.widgets.DatePicker.from_param(self.param.since, label=self._label("audit.since"), width=150,
                                             **common),
            pn.widgets.DatePicker.from_param(self.param.until, label=self._label("audit.until"), width=150,
                                             **common),
            Choice.from_param(self.param.action, label=self._label("audit.action"), width=180,
                              options=pn.bind(action_options, self.param.lang), **common),
            pn.widgets.TextInput.from_param(self.param.actor, label=self._label("audit.actor"), width=200,
                                            placeholder=self._label("audit.actor.placeholder"), **common),
            pn.widgets.Button(label=self._label("audit.refresh"), variant="outline", color="primary", width=90,
                              margin=(18, 8, 6, 0), on_click=lambda _event: self._load_log()),
            align_items="flex-end", margin=0)
        self._downloads = {fmt: pn.widgets.FileDownload(
            callback=partial(self._log_file, fmt), filename=export.filename("audit-log", fmt),
            label=pn.bind(lambda lang, fmt=fmt: "⤓ " + t(f"export.{fmt}", lang), self.param.lang),
            variant="outline", color="primary", width=78, height=30, margin=(0, 0, 0, 6), stylesheets=[WIDGET_CSS],
        ) for fmt in export.FORMATS}
        count = theme.html(self._count, margin=(6, 12, 0, 0), stylesheets=[AUDIT_CSS])
        notice = theme.html(self._notice, sizing_mode="stretch_width", margin=0, stylesheets=[AUDIT_CSS])
        downloads = pn.Row(theme.html(self._label("audit.download"), margin=(6, 0, 0, 0)),
                           *self._downloads.values(), margin=(4, 0), visible=self.param.rows.rx() > 0)
        self._table = tabulator(self.param.entries, pagination="remote", page_size=PAGE_SIZE,
                                configuration={"columnDefaults": {"headerSort": False}},
                                widths={"detail": 420, "target": 200})
        log = _card(self._title("audit.log"), filters,
                    pn.FlexBox(count, downloads, align_items="center", margin=0), notice, self._table)

        intro = theme.html(pn.bind(self._intro, self.param.lang), sizing_mode="stretch_width", margin=(4, 8))
        self._form = self._unmask_form() if self.may_unmask else None
        if self._form is not None:
            unmask = self._form
        else:
            unmask = theme.html(pn.bind(self._no_unmask, self.param.lang), sizing_mode="stretch_width",
                                margin=(0, 8, 4, 8))
        self._layout = pn.Column(intro, unmask, log, sizing_mode="stretch_width", margin=0)

    def __panel__(self):
        return self._layout

    @property
    def may_unmask(self) -> bool:
        """Whether the desk offers the unmasking form (the data layer checks the account again)."""
        return self.account is not None and self.account.can_unmask

    # -- the parts -------------------------------------------------------------------------------

    def _unmask_form(self) -> pn.Column:
        common = {"stylesheets": [WIDGET_CSS], "margin": (0, 8, 6, 0), "description": None}
        kind = Choice.from_param(self.param.record_kind, label=self._label("audit.unmask.kind"), width=140,
                                 options=pn.bind(kind_options, self.param.lang), **common)
        record = pn.widgets.IntInput.from_param(self.param.record_id, label=self._label("audit.unmask.id"),
                                                width=140, **common)
        reason = pn.widgets.TextInput.from_param(self.param.reason, label=self._label("audit.unmask.reason"),
                                                 placeholder=self._label("audit.unmask.reason.placeholder"),
                                                 max_length=MAX_REASON, width=380, **common)
        submit = pn.widgets.Button(label=self._label("audit.unmask.submit"), color="primary", width=130,
                                   margin=(18, 8, 6, 0), on_click=lambda _event: self.unmask())
        clear = pn.widgets.Button(label=self._label("audit.unmask.clear"), variant="outline", color="primary",
                                  width=80, margin=(18, 8, 6, 0), on_click=lambda _event: self.clear(),
                                  visible=self.param.unmasked.rx.is_not(None))
        note = theme.html(pn.bind(lambda lang: f'<p class="fw-note">'
                                               f'{html.escape(t("audit.unmask.note", lang, n=MIN_REASON))}</p>',
                                  self.param.lang), sizing_mode="stretch_width", margin=(0, 0, 4, 0))
        outcome = theme.html(self._outcome, sizing_mode="stretch_width", margin=0, stylesheets=[AUDIT_CSS])
        return _card(self._title("audit.unmask"), note,
                     pn.FlexBox(kind, record, reason, submit, clear, align_items="flex-end", margin=0), outcome)

    @staticmethod
    def _intro(lang: str) -> str:
        return (f'<div class="fw-crumbs"><b>{html.escape(t("page.audit", lang))}</b></div>'
                f'<p class="fw-note">{html.escape(t("audit.intro", lang))}</p>')

    def _no_unmask(self, lang: str) -> str:
        key = "audit.unmask.demo" if self.account is None else "audit.unmask.not_allowed"
        return f'<p class="fw-note">{html.escape(t(key, lang))}</p>'

    def _label(self, key: str):
        return pn.bind(t, key, self.param.lang)

    def _title(self, key: str):
        return pn.bind(lambda lang: f'<div class="fw-card-title">{html.escape(t(key, lang))}</div>', self.param.lang)

    @param.depends("rows", "limit", "lang")
    def _count(self) -> str:
        out = f'<p class="fw-count">{html.escape(t("audit.count", self.lang, n=f"{self.rows:,}"))}</p>'
        if self.rows >= self.limit:
            out += (f'<p class="fw-count limit">'
                    f'{html.escape(t("audit.count.limit", self.lang, n=f"{self.limit:,}"))}</p>')
        return out

    @param.depends("withheld", "lang")
    def _notice(self) -> str:
        if not self.withheld:
            return ""
        return f'<div class="fw-problem" role="alert">{html.escape(t("export.not_audited", self.lang))}</div>'

    @param.depends("unmasked", "problem", "failure", "lang")
    def _outcome(self) -> str:
        lang, record = self.lang, self.unmasked
        if self.problem:
            kind = t(f"audit.kind.{self.record_kind}", lang)
            message = t(f"audit.problem.{self.problem}", lang, n=MIN_REASON, id=self.record_id, kind=kind,
                        detail=self.failure)
            return f'<div class="fw-problem" role="alert">{html.escape(message)}</div>'
        if record is None:
            return ""
        heading = t("audit.unmask.heading", lang, kind=t(f"audit.kind.{record.kind}", lang), id=record.record_id,
                    county=record.county_code)
        id_no = record.id_no or t("audit.unmask.id_no.none", lang)
        name_label = t(f"audit.unmask.name.{record.kind}", lang)
        return (f'<div class="fw-unmasked"><h3>{html.escape(heading)}</h3><dl>'
                f'<dt>{html.escape(name_label)}</dt><dd>{html.escape(record.name)}</dd>'
                f'<dt>{html.escape(t("audit.unmask.id_no", lang))}</dt><dd>{html.escape(id_no)}</dd></dl>'
                f'<p class="fw-note">{html.escape(t("audit.unmask.shown", lang))}</p></div>')

    # -- the audit log ---------------------------------------------------------------------------

    @param.depends("since", "until", "action", "actor", "limit", "lang", watch=True, on_init=True)
    def _load_log(self) -> None:
        """Read the audit log again with the current filters."""
        frame = _empty_log()
        if self.engine is not None:
            frame = audit_frame(self.engine, self.scope, since=self.since, until=self.until,
                                action=self.action or None, actor=self.actor.strip() or None, limit=self.limit)
        self.param.update(entries=log_shown(frame, self.lang), rows=len(frame))

    def filters(self) -> list[tuple[str, str]]:
        """The log's filters as (label, value) rows, as the downloads write them."""
        lang = self.lang
        every = t("all", lang)
        return [(t("audit.since", lang), i18n.date(self.since, lang) if self.since else every),
                (t("audit.until", lang), i18n.date(self.until, lang) if self.until else every),
                (t("audit.action", lang), action_label(self.action, lang) if self.action else every),
                (t("audit.actor", lang), self.actor.strip() or every)]

    def log_bytes(self, fmt: str, exported_at: dt.datetime | None = None) -> bytes:
        """The shown log as a CSV or XLSX file, with the filters and the export time above it, handed
        over once its audit row is written (:class:`.export.ExportNotAudited` when it cannot be:
        the viewer is told, and there is no file); then the log is read again, with that row."""
        self.withheld = False
        try:
            data = export.audited_export(self.engine, self.entries, self.filters(), fmt, self.lang, actor=self.user,
                                         scope=self.scope, kind="audit_log", surface="page",
                                         exported_at=exported_at)
        except export.ExportNotAudited:
            self.withheld = True
            raise
        self._load_log()
        return data

    def _log_file(self, fmt: str) -> io.BytesIO:
        self._downloads[fmt].filename = export.filename("audit-log", fmt)
        return io.BytesIO(self.log_bytes(fmt))

    # -- unmasking -------------------------------------------------------------------------------

    @param.depends("record_kind", "record_id", watch=True)
    def _on_record(self) -> None:
        """Another record: forget what was shown of the last one."""
        self.clear()

    def clear(self) -> None:
        """Hide the unmasked record (and any refusal) at once."""
        self.param.update(unmasked=None, problem="", failure="")

    def unmask(self) -> UnmaskedRecord | None:
        """Unmask ``record_kind`` ``record_id`` with ``reason`` for the desk's account: the record on
        success (shown in the desk), else None with ``problem`` saying why.  The data layer checks the
        account and the reason and writes the audit row; the log is read again afterwards."""
        self.clear()
        if self.record_id is None:
            self.problem = "no_id"
            return None
        reason = " ".join(self.reason.split())
        try:
            record = unmask_record(self.engine, self.account, self.record_kind, self.record_id, reason)
        except PermissionError:
            self.problem = "refused"
        except LookupError:
            self.problem = "not_found"
        except ValueError as exc:
            if len(reason) < MIN_REASON:
                self.problem = "reason"
            else:
                self.param.update(problem="failed", failure=self._message(exc))
        else:
            self.unmasked = record
            return record
        finally:
            self._load_log()
        return None

    def _message(self, exc: Exception) -> str:
        """The data layer's one-line message ("中文 / English") in the desk's language."""
        zh, _, en = str(exc).partition(" / ")
        return (en or zh) if self.lang == "en" else zh


__all__ = ["ACTIONS", "AuditDesk", "action_label", "action_options", "kind_options", "log_shown", "result_label"]
