"""The import desk of ``/upload``: choose a kind, fetch its template, upload a filled-in file, read
the validation report, confirm.

:class:`ImportDesk` keeps the whole flow in parameters:

1. ``kind`` (one of :data:`fundwatch.data.imports.KINDS`) picks the template; its XLSX and CSV
   templates download in the desk's language.
2. An uploaded file (``content`` and ``file_name``, set by the file widget or :meth:`upload`) is
   validated at once as a dry run of :func:`fundwatch.data.imports.run_import`: nothing is written
   (only the audit row every attempt leaves).  Changing the kind or uploading another file starts
   over with a new check.
3. ``report`` holds the outcome: a summary line (green when the file passes, red when it is
   rejected), every problem with its row, column, value and rule, and the changes the file would
   make.  The problems download as CSV or Excel with the summary above them; each download
   writes an audit row (``export`` of ``import-report``) first.
4. :meth:`confirm`, allowed only after a passing dry run that would change something, loads the
   file for real (all or nothing) and clears this process's cached reads, so every dashboard shows
   the new data on its next load.

In a served session the import runs on a worker thread so the server keeps answering; the
pipeline's progress reaches ``progress`` (0-100) and ``stage`` through the session's event loop.
Outside a server (tests, notebooks) it runs at once.  The report shows only what the uploaded file
holds (its own cells and keys), never other rows of the database.
"""

from __future__ import annotations

import asyncio
import html
import io
from collections.abc import Callable
from functools import partial

import pandas as pd
import panel as pn
import param
from sqlalchemy import Engine

from fundwatch.data.imports import KINDS, ImportReport, reading, run_import, template_bytes, template_name
from fundwatch.data.scope import Scope

from . import export, i18n, present, theme
from .controls import WIDGET_CSS
from .i18n import LANGS, t
from .present import Col, Shown
from .tables import tabulator

i18n.extend({
    "zh": {
        "upload.intro": "选择数据类型，下载模板按说明填写后上传。系统先逐行检查（不写入数据库），检查通过后点击「确认导入」；"
                        "一份文件要么全部导入，要么一行也不导入。重复导入同一文件不会产生重复数据。",
        "upload.step.kind": "第一步：选择数据类型并下载模板",
        "upload.step.file": "第二步：上传填好的文件",
        "upload.step.report": "第三步：查看检查结果",
        "upload.step.confirm": "第四步：确认导入",
        "upload.kind": "数据类型",
        "upload.required": "必填列：{columns}",
        "upload.template.xlsx": "下载 Excel 模板",
        "upload.template.csv": "下载 CSV 模板",
        "upload.file": "选择文件（.xlsx 或 .csv）",
        "upload.file.hint": "文件不超过 {size}，不超过 {rows} 行；CSV 可为 UTF-8 或 GBK 编码；金额列在表头注明单位（元或万元）。"
                            "上传后自动检查。",
        "upload.file.name": "文件",
        "upload.scope.none": "您的账号没有可导入数据的地区，不能上传。",
        "upload.stage.read": "正在读取文件…",
        "upload.stage.parse": "正在逐行检查：{done} / {total} 行",
        "upload.stage.check": "正在核对地区、引用和重复记录…",
        "upload.stage.write": "正在写入数据库：{done} / {total} 行",
        "upload.stage.done": "完成",
        "upload.waiting": "上传文件后，这里显示检查结果。",
        "upload.problems": "问题清单：{file}",
        "upload.problems.none": "没有发现问题。",
        "upload.problems.count": "错误 {errors} 个，提示 {notices} 个（提示不影响导入）。",
        "upload.changes": "将写入的变更（试导入）",
        "upload.changes.done": "已写入的变更",
        "upload.changes.more": "仅列出前 {listed} 条，共 {total} 条。",
        "upload.notice": "{title}（提示）",
        "upload.action.insert": "新增",
        "upload.action.update": "更新",
        "upload.col.row": "行",
        "upload.col.column": "列",
        "upload.col.value": "值",
        "upload.col.problem": "问题",
        "upload.col.message": "说明",
        "upload.col.action": "操作",
        "upload.col.key": "记录",
        "upload.col.changed": "变动的列",
        "upload.report.kind": "数据类型",
        "upload.report.file": "文件",
        "upload.report.summary": "检查结果",
        "upload.report.download": "下载问题清单：",
        "upload.confirm": "确认导入",
        "upload.confirm.hint": "检查通过且有新增或更新时才能导入。导入在一个事务中完成，并写入审计日志。",
        "upload.confirm.nothing": "文件中的数据与数据库完全一致，无需导入。",
        "upload.confirm.rejected": "请按问题清单修改文件后重新上传。",
        "upload.imported": "导入成功，各看板已使用新数据。",
        "upload.unchanged": "数据库已是文件中的数据，未作改动。",
        "upload.failed": "导入未完成：{detail}",
    },
    "en": {
        "upload.intro": "Choose the kind of data, download its template, fill it in and upload it. Every row is checked "
                        "first (nothing is written); once the check passes, press \"Import\": a file loads completely "
                        "or not at all. Importing the same file again adds nothing twice.",
        "upload.step.kind": "Step 1: choose the kind of data and download its template",
        "upload.step.file": "Step 2: upload the filled-in file",
        "upload.step.report": "Step 3: read the check",
        "upload.step.confirm": "Step 4: import",
        "upload.kind": "Kind of data",
        "upload.required": "Required columns: {columns}",
        "upload.template.xlsx": "Excel template",
        "upload.template.csv": "CSV template",
        "upload.file": "Choose a file (.xlsx or .csv)",
        "upload.file.hint": "At most {size} and {rows} rows; CSV in UTF-8 or GBK; money columns name their unit in the "
                            "header (元 or 万元). The file is checked as soon as it is uploaded.",
        "upload.file.name": "File",
        "upload.scope.none": "Your account has no regions to import data for: uploads are disabled.",
        "upload.stage.read": "Reading the file…",
        "upload.stage.parse": "Checking rows: {done} of {total}",
        "upload.stage.check": "Checking regions, references and duplicates…",
        "upload.stage.write": "Writing to the database: {done} of {total} rows",
        "upload.stage.done": "Done",
        "upload.waiting": "The check of an uploaded file appears here.",
        "upload.problems": "Problems: {file}",
        "upload.problems.none": "No problems found.",
        "upload.problems.count": "{errors} error(s), {notices} notice(s) (notices do not stop an import).",
        "upload.changes": "Changes the import would make (dry run)",
        "upload.changes.done": "Changes written",
        "upload.changes.more": "The first {listed} of {total} are listed.",
        "upload.notice": "{title} (notice)",
        "upload.action.insert": "insert",
        "upload.action.update": "update",
        "upload.col.row": "Row",
        "upload.col.column": "Column",
        "upload.col.value": "Value",
        "upload.col.problem": "Problem",
        "upload.col.message": "Message",
        "upload.col.action": "Action",
        "upload.col.key": "Record",
        "upload.col.changed": "Columns changed",
        "upload.report.kind": "Kind of data",
        "upload.report.file": "File",
        "upload.report.summary": "Check",
        "upload.report.download": "Download the problems:",
        "upload.confirm": "Import",
        "upload.confirm.hint": "Possible once the check passes and something would change. The import is one "
                               "transaction with its audit row.",
        "upload.confirm.nothing": "The database already holds exactly this data: nothing to import.",
        "upload.confirm.rejected": "Correct the file as the problems say and upload it again.",
        "upload.imported": "Imported; the dashboards now use the new data.",
        "upload.unchanged": "The database already held this data; nothing was changed.",
        "upload.failed": "The import did not finish: {detail}",
    },
})

#: Where each stage of :func:`run_import` sits on the progress bar (percent from, to).
STAGES = {"read": (0, 5), "parse": (5, 60), "check": (60, 80), "write": (80, 99), "done": (100, 100)}
#: Problems and changes per table page (only the shown page travels to the browser).
PAGE_SIZE = 10

UPLOAD_CSS = f"""
.fw-upload-summary {{ font-size: 15px; font-weight: 600; padding: 8px 12px; border-radius: 8px; margin: 2px 0 6px 0; }}
.fw-upload-summary.ok {{ color: {theme.GREEN}; background: #ebfbee; border: 1px solid #b2f2bb; }}
.fw-upload-summary.bad {{ color: {theme.RED}; background: #fff5f5; border: 1px solid #ffc9c9; }}
.fw-upload-stage {{ font-size: 13px; color: {theme.MUTED}; }}
.fw-upload-status {{ font-size: 14px; margin: 6px 0; }}
.fw-upload-status.ok {{ color: {theme.GREEN}; font-weight: 600; }}
.fw-upload-status.bad {{ color: {theme.RED}; font-weight: 600; }}
"""


def kind_options(lang: str) -> dict[str, str]:
    """The importable kinds as a selector shows them: ``{title: name}`` in ``lang``."""
    return {spec.title(lang): name for name, spec in KINDS.items()}


def progress_percent(stage: str, done: int, total: int) -> int:
    """Where ``stage`` at ``done`` of ``total`` sits on a 0-100 bar (see :data:`STAGES`)."""
    low, high = STAGES.get(stage, (0, 0))
    share = min(max(done / total, 0.0), 1.0) if total else 0.0
    return int(low + (high - low) * share)


def problems_shown(report: ImportReport | None, lang: str) -> Shown:
    """Every problem of ``report``: row, column, value, problem, message (notices marked)."""
    frame = report.problems_frame(lang) if report is not None else pd.DataFrame(
        columns=["row", "column", "value", "rule", "severity", "title", "message"])
    out = pd.DataFrame({
        "row": [None if pd.isna(r) else str(int(r)) for r in frame["row"]],
        "column": frame["column"].astype(object),
        "value": frame["value"].astype(object),
        "title": [title if severity == "error" else t("upload.notice", lang, title=title)
                  for title, severity in zip(frame["title"], frame["severity"], strict=True)],
        "message": frame["message"].astype(object),
    })
    columns = (Col("row", "upload.col.row"), Col("column", "upload.col.column"), Col("value", "upload.col.value"),
               Col("title", "upload.col.problem"), Col("message", "upload.col.message"))
    title = t("upload.problems", lang, file=report.file_name if report is not None else "")
    return present.build("import_problems", title, out, columns, lang)


def changes_shown(report: ImportReport | None, lang: str) -> Shown:
    """The rows ``report`` inserts or updates (at most the first 1,000): row, action, record, columns."""
    frame = report.changes_frame() if report is not None else pd.DataFrame(columns=["row", "action", "key", "columns"])
    spec = KINDS.get(report.kind) if report is not None else None
    out = pd.DataFrame({
        "row": [str(int(r)) for r in frame["row"]],
        "action": [t(f"upload.action.{a}", lang) for a in frame["action"]],
        "key": [_key_text(spec, key, lang) for key in frame["key"]],
        "columns": [("、" if lang == "zh" else ", ").join(_column_header(spec, c.strip(), lang)
                                                         for c in cols.split(",") if c.strip())
                    for cols in frame["columns"]],
    })
    columns = (Col("row", "upload.col.row"), Col("action", "upload.col.action"), Col("key", "upload.col.key"),
               Col("columns", "upload.col.changed"))
    done = report is not None and not report.dry_run
    return present.build("import_changes", t("upload.changes.done" if done else "upload.changes", lang), out,
                         columns, lang)


def _field_of_column(spec, column: str):
    """The template field stored in table column ``column`` (a reference or region column maps to
    the field the file names it by); None if there is none."""
    by_column = {stored: name for name, stored in spec.columns.items()}
    name = by_column.get(column)
    if name is None:
        base = column.removesuffix("_code").removesuffix("_id")
        names = {f.name for f in spec.fields}
        name = next((n for n in (base, f"{base}_code", column) if n in names), None)
    return spec.field(name) if name is not None else None


def _column_header(spec, column: str, lang: str) -> str:
    if spec is None:
        return column
    found = _field_of_column(spec, column)
    return found.header(lang) if found is not None else column


def _key_text(spec, key: str, lang: str) -> str:
    """A change's key with coded parts (programme, source level ...) in words."""
    parts = key.split(" / ")
    if spec is None or len(parts) != len(spec.key):
        return key
    out = []
    for column, part in zip(spec.key, parts, strict=True):
        found = _field_of_column(spec, column)
        term = found.vocab.get(part) if found is not None and found.vocab else None
        out.append((term.en if lang == "en" else term.zh) if term is not None else part)
    return " / ".join(out)


def report_about(report: ImportReport, lang: str) -> list[tuple[str, str]]:
    """The lines above a report's problem list: the kind, the file and the summary."""
    kind = KINDS[report.kind].title(lang) if report.kind in KINDS else report.kind
    return [(t("upload.report.kind", lang), kind), (t("upload.report.file", lang), report.file_name),
            (t("upload.report.summary", lang), report.summary(lang))]


def report_bytes(report: ImportReport, fmt: str, lang: str) -> bytes:
    """The problem list of ``report`` as a CSV or XLSX file, the kind, file and summary above it
    (unaudited: the desk's download goes through :meth:`ImportDesk._report_file`)."""
    return export.export_bytes(problems_shown(report, lang), report_about(report, lang), fmt, lang)


def _card(title: Callable[[], str], *body, **layout) -> pn.Column:
    """A titled card in the house style (the upload steps are not views of a store)."""
    heading = theme.html(title, sizing_mode="stretch_width", margin=0)
    return pn.Column(heading, *body, sizing_mode="stretch_width", margin=6, stylesheets=[theme.CARD_CSS],
                     css_classes=["fw-card"], **layout)


class ImportDesk(pn.custom.PyComponent):
    """Choose a kind, upload, read the check, confirm (see the module docstring)."""

    engine = param.ClassSelector(class_=Engine, doc="The database imported into.")
    scope = param.ClassSelector(class_=Scope, default=Scope.nothing(),
                                doc="The counties the uploader may import data of; rows of others are refused.")
    actor = param.String(default="dashboard",
                         doc="Who uploads (the login name), written to the audit log with every import and report "
                             "download.")
    lang = param.Selector(default=i18n.DEFAULT_LANG, objects=list(LANGS), allow_refs=True,
                          doc="Language of every label and of the report (zh, en).")
    kind = param.Selector(default="allocations", objects=list(KINDS), doc="The kind of data the file holds.")

    content = param.Bytes(default=None, allow_None=True, doc="The uploaded file's bytes (None before an upload).")
    file_name = param.String(default="", doc="The uploaded file's name (its extension says CSV or XLSX).")
    report = param.ClassSelector(class_=ImportReport, default=None, allow_None=True,
                                 doc="The last check (a dry run) or import of the file; None before one.")
    progress = param.Integer(default=0, bounds=(0, 100), doc="How far the running check or import is (percent).")
    stage = param.String(default="", doc="The pipeline's stage (read, parse, check, write, done; '' before a run).")
    stage_done = param.Integer(default=0, doc="Rows done in the stage.")
    stage_total = param.Integer(default=0, doc="Rows in the stage.")
    busy = param.Boolean(default=False, doc="True while a check or an import runs.")
    status = param.Selector(default="", objects=["", "imported", "unchanged", "failed"],
                            doc="The outcome of the last import ('' none yet), or 'failed' when it could not run.")
    failure = param.String(default="", doc="Why the last check or import could not run ('' when it ran).")

    problems = param.ClassSelector(class_=Shown, doc="The report's problems as shown.")
    changes = param.ClassSelector(class_=Shown, doc="The report's changes as shown.")

    def __init__(self, **params):
        self._generation = 0
        super().__init__(**params)
        self._sync_tables()
        common = {"stylesheets": [WIDGET_CSS], "margin": (0, 8, 6, 0)}
        kind = pn.widgets.Select.from_param(self.param.kind, label=self._label("upload.kind"), width=260,
                                            options=pn.bind(kind_options, self.param.lang),
                                            disabled=self.param.busy, description=None, **common)
        self._templates = {fmt: pn.widgets.FileDownload(
            callback=partial(self._template, fmt), filename=template_name(self.kind, fmt, self.lang),
            label=pn.bind(lambda lang, fmt=fmt: "⤓ " + t(f"upload.template.{fmt}", lang), self.param.lang),
            variant="outline", color="primary", width=150, margin=(18, 8, 6, 0), stylesheets=[WIDGET_CSS],
        ) for fmt in ("xlsx", "csv")}
        about = theme.html(self._about, sizing_mode="stretch_width", margin=(0, 0, 4, 0))
        step_kind = _card(self._title("upload.step.kind"),
                          pn.FlexBox(kind, *self._templates.values(), align_items="flex-end", margin=0), about)

        self._file = pn.widgets.FileInput(accept=".csv,.xlsx", label=self._label("upload.file"),
                                          disabled=self._file_disabled, **common)
        self._file.param.watch(self._on_file, ["value", "filename"])
        hint = theme.html(pn.bind(self._file_hint, self.param.lang, self.param.scope), sizing_mode="stretch_width",
                          margin=0)
        bar = pn.indicators.Progress(value=self.param.progress, max=100, bar_color="primary", height=14,
                                     active=self.param.busy,
                                     sizing_mode="stretch_width", margin=(8, 0, 2, 0))
        stage = theme.html(self._stage_text, sizing_mode="stretch_width", margin=0, stylesheets=[UPLOAD_CSS])
        running = pn.Column(bar, stage, visible=self.param.stage.rx() != "", sizing_mode="stretch_width", margin=0)
        step_file = _card(self._title("upload.step.file"), self._file, hint, running)

        summary = theme.html(self._summary, sizing_mode="stretch_width", margin=0, stylesheets=[UPLOAD_CSS])
        has_report = self.param.report.rx.is_not(None)
        self._problems_table = tabulator(self.param.problems, pagination="remote", page_size=PAGE_SIZE,
                                         configuration={"columnDefaults": {"headerSort": False}},
                                         widths={"value": 160, "message": 420})
        self._changes_table = tabulator(self.param.changes, pagination="remote", page_size=PAGE_SIZE,
                                        configuration={"columnDefaults": {"headerSort": False}},
                                        widths={"key": 360})
        self._downloads = {fmt: pn.widgets.FileDownload(
            callback=partial(self._report_file, fmt), filename=export.filename("import-report", fmt),
            label=pn.bind(lambda lang, fmt=fmt: "⤓ " + t(f"export.{fmt}", lang), self.param.lang),
            variant="outline", color="primary", width=78, height=30, margin=(0, 0, 0, 6), stylesheets=[WIDGET_CSS],
        ) for fmt in export.FORMATS}
        downloads = pn.Row(theme.html(self._label("upload.report.download"), margin=(6, 0, 0, 0)),
                           *self._downloads.values(), margin=(4, 0), visible=has_report)
        problems_note = theme.html(self._problems_note, sizing_mode="stretch_width", margin=(6, 0, 2, 0))
        changes_title = theme.html(self._changes_title, sizing_mode="stretch_width", margin=(10, 0, 2, 0))
        report = pn.Column(
            summary, downloads, problems_note,
            pn.Column(self._problems_table, visible=self.param.problems.rx().frame.rx.len() > 0,
                      sizing_mode="stretch_width", margin=0),
            pn.Column(changes_title, self._changes_table, visible=self.param.changes.rx().frame.rx.len() > 0,
                      sizing_mode="stretch_width", margin=0),
            sizing_mode="stretch_width", margin=0)
        step_report = _card(self._title("upload.step.report"), report)

        self._confirm = pn.widgets.Button(label=self._label("upload.confirm"), color="primary", width=140,
                                          margin=(4, 8, 6, 0), disabled=self._cannot_confirm)
        self._confirm.on_click(lambda _event: self.confirm())
        confirm_note = theme.html(self._confirm_note, sizing_mode="stretch_width", margin=(8, 0, 0, 0))
        status = theme.html(self._status, sizing_mode="stretch_width", margin=0, stylesheets=[UPLOAD_CSS])
        step_confirm = _card(self._title("upload.step.confirm"),
                             pn.FlexBox(self._confirm, confirm_note, flex_wrap="nowrap", align_items="flex-start",
                                        margin=0), status)

        intro = theme.html(pn.bind(self._intro, self.param.lang), sizing_mode="stretch_width", margin=(4, 8))
        self._layout = pn.Column(intro, step_kind, step_file, step_report, step_confirm, sizing_mode="stretch_width",
                                 margin=0)

    def __panel__(self):
        return self._layout

    # -- what the steps show ---------------------------------------------------------------------

    @staticmethod
    def _intro(lang: str) -> str:
        return (f'<div class="fw-crumbs"><b>{html.escape(t("page.upload", lang))}</b></div>'
                f'<p class="fw-note">{html.escape(t("upload.intro", lang))}</p>')

    def _label(self, key: str):
        return pn.bind(t, key, self.param.lang)

    def _title(self, key: str):
        return pn.bind(lambda lang: f'<div class="fw-card-title">{html.escape(t(key, lang))}</div>', self.param.lang)

    @param.depends("kind", "lang")
    def _about(self) -> str:
        spec, lang = KINDS[self.kind], self.lang
        required = ("、" if lang == "zh" else ", ").join(f.header(lang) for f in spec.fields if f.required)
        note = spec.note_en if lang == "en" else spec.note_zh
        return (f'<p class="fw-note">{html.escape(note)}</p>'
                f'<p class="fw-note">{html.escape(t("upload.required", lang, columns=required))}</p>')

    @staticmethod
    def _file_hint(lang: str, scope: Scope) -> str:
        if scope.counties is not None and not scope.counties:
            return f'<p class="fw-note" style="color:{theme.RED}">{html.escape(t("upload.scope.none", lang))}</p>'
        text = t("upload.file.hint", lang, size=f"{reading.MAX_BYTES // 1024 // 1024} MB",
                 rows=f"{reading.MAX_ROWS:,}")
        return f'<p class="fw-note">{html.escape(text)}</p>'

    @param.depends("stage", "stage_done", "stage_total", "progress", "lang")
    def _stage_text(self) -> str:
        if not self.stage:
            return ""
        text = t(f"upload.stage.{self.stage}", self.lang, done=f"{self.stage_done:,}", total=f"{self.stage_total:,}")
        return f'<span class="fw-upload-stage">{html.escape(text)} · {self.progress}%</span>'

    @param.depends("report", "lang", "busy")
    def _summary(self) -> str:
        report = self.report
        if report is None:
            return "" if self.busy else f'<p class="fw-note">{html.escape(t("upload.waiting", self.lang))}</p>'
        tone = "ok" if report.ok else "bad"
        return f'<div class="fw-upload-summary {tone}">{html.escape(report.summary(self.lang))}</div>'

    @param.depends("report", "lang")
    def _problems_note(self) -> str:
        report = self.report
        if report is None:
            return ""
        if not report.problems:
            return f'<p class="fw-note">{html.escape(t("upload.problems.none", self.lang))}</p>'
        text = t("upload.problems.count", self.lang, errors=len(report.errors), notices=len(report.notices))
        title = t("upload.problems", self.lang, file=report.file_name)
        return (f'<div class="fw-card-title" style="font-size:14px">{html.escape(title)}</div>'
                f'<p class="fw-note">{html.escape(text)}</p>')

    @param.depends("report", "lang")
    def _changes_title(self) -> str:
        report = self.report
        if report is None:
            return ""
        title = t("upload.changes" if report.dry_run else "upload.changes.done", self.lang)
        text = f'<div class="fw-card-title" style="font-size:14px">{html.escape(title)}</div>'
        total = report.inserted + report.updated
        if total > len(report.changes):
            more = t("upload.changes.more", self.lang, listed=f"{len(report.changes):,}", total=f"{total:,}")
            text += f'<p class="fw-note">{html.escape(more)}</p>'
        return text

    @param.depends("report", "busy")
    def _cannot_confirm(self) -> bool:
        return not self.can_confirm

    @param.depends("busy", "scope")
    def _file_disabled(self) -> bool:
        return self.busy or (self.scope.counties is not None and not self.scope.counties)

    @param.depends("status", "failure", "lang")
    def _status(self) -> str:
        if not self.status:
            return ""
        text = t(f"upload.{self.status}", self.lang, detail=self.failure)
        return f'<div class="fw-upload-status {"bad" if self.status == "failed" else "ok"}">{html.escape(text)}</div>'

    @param.depends("report", "lang")
    def _confirm_note(self) -> str:
        report, lang = self.report, self.lang
        if report is None:
            key = "upload.confirm.hint"
        elif report.dry_run and report.result == "dry_run":
            key = "upload.confirm.hint" if report.inserted or report.updated else "upload.confirm.nothing"
        elif report.result == "rejected":
            key = "upload.confirm.rejected"
        else:
            return ""
        return f'<p class="fw-note">{html.escape(t(key, lang))}</p>'

    @param.depends("report", "lang", watch=True)
    def _sync_tables(self) -> None:
        self.param.update(problems=problems_shown(self.report, self.lang),
                          changes=changes_shown(self.report, self.lang))

    @property
    def can_confirm(self) -> bool:
        """True when the last check passed, the file would change something and nothing runs."""
        report = self.report
        return (not self.busy and report is not None and report.dry_run and report.result == "dry_run"
                and report.inserted + report.updated > 0)

    # -- downloads -------------------------------------------------------------------------------

    def _template(self, fmt: str) -> io.BytesIO:
        """The template of the chosen kind in the desk's language (named before it is sent)."""
        self._templates[fmt].filename = template_name(self.kind, fmt, self.lang)
        return io.BytesIO(template_bytes(self.kind, fmt, self.lang))

    def _report_file(self, fmt: str) -> io.BytesIO:
        """The problem list of the last report (the buttons show only once there is one), handed
        over after its audit row (kind ``import-report``); if that cannot be written the download
        fails and the error is logged (see :func:`.export.audited_export`)."""
        if self.report is None:
            return io.BytesIO(b"")
        self._downloads[fmt].filename = export.filename("import-report", fmt)
        return io.BytesIO(export.audited_export(
            self.engine, problems_shown(self.report, self.lang), report_about(self.report, self.lang), fmt, self.lang,
            actor=self.actor, scope=self.scope, kind="import-report", surface="page"))

    # -- the flow --------------------------------------------------------------------------------

    def upload(self, content: bytes, file_name: str) -> None:
        """Take a file as if it had been uploaded: it is checked at once (a dry run)."""
        self.param.update(content=content, file_name=file_name)

    def _on_file(self, *_events) -> None:
        value, name = self._file.value, self._file.filename
        if value is None or not name or isinstance(value, list):
            return
        if value is not self.content or name != self.file_name:
            self.upload(value, name)

    @param.depends("kind", "content", "file_name", watch=True)
    def _on_input(self) -> None:
        """A new kind or file: forget the last report and check the file again."""
        self._generation += 1
        self.param.update(report=None, status="", failure="", progress=0, stage="", stage_done=0, stage_total=0)
        if self.content is not None and self.file_name:
            self._start(dry_run=True)

    def confirm(self) -> None:
        """Import the checked file for real (only after a passing dry run that changes something)."""
        if not self.can_confirm:
            return
        self._generation += 1
        self._start(dry_run=False)

    def _start(self, dry_run: bool) -> None:
        generation = self._generation
        job = partial(self._run, self.engine, self.kind, self.content, self.file_name, dry_run)
        self.param.update(busy=True, status="", failure="", progress=0, stage="read", stage_done=0, stage_total=0)
        doc = pn.state.curdoc
        if doc is None or doc.session_context is None:  # tests, notebooks: at once
            self._finish(generation, *self._attempt(job, self._tell_now))
            return

        async def in_background() -> None:
            # The pipeline runs on a worker thread; its progress comes back through the event loop.
            tell = partial(self._tell_later, doc, generation, [None, -1])
            outcome = await asyncio.to_thread(self._attempt, job, tell)
            self._finish(generation, *outcome)

        pn.state.execute(in_background)

    def _run(self, engine: Engine, kind: str, content: bytes, file_name: str, dry_run: bool,
             tell: Callable[[str, int, int], None]) -> ImportReport:
        return run_import(engine, kind, content, file_name, actor=self.actor, scope=self.scope, dry_run=dry_run,
                          progress=tell)

    @staticmethod
    def _attempt(job, tell) -> tuple[ImportReport | None, str]:
        try:
            return job(tell), ""
        except Exception as exc:  # noqa: BLE001 - a bad call or an unreachable database: say so, keep the page
            return None, str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__

    def _tell_now(self, stage: str, done: int, total: int) -> None:
        self.param.update(stage=stage, stage_done=done, stage_total=total,
                          progress=progress_percent(stage, done, total))

    def _tell_later(self, doc, generation: int, last: list, stage: str, done: int, total: int) -> None:
        """Called on the worker thread: hand the progress to the session's event loop (only when
        the stage or the whole percent changes)."""
        percent = progress_percent(stage, done, total)
        if [stage, percent] == last:
            return
        last[:] = [stage, percent]

        def show() -> None:
            if generation == self._generation:
                self.param.update(stage=stage, stage_done=done, stage_total=total, progress=percent)

        try:
            doc.add_next_tick_callback(show)
        except Exception:  # noqa: BLE001 - e.g. the tab was closed: the import itself must go on
            pass

    def _finish(self, generation: int, report: ImportReport | None, failure: str) -> None:
        if generation != self._generation:  # the kind or the file changed meanwhile: a stale result
            return
        status = ""
        if report is None:
            status = "failed"
        elif not report.dry_run and report.result == "accepted":
            from . import clear_caches  # noqa: PLC0415 - the package imports its modules first

            clear_caches()  # this process's cached reads; other processes see the new import batch
            status = "imported"
        elif not report.dry_run and report.result == "unchanged":
            status = "unchanged"
        self.param.update(report=report, status=status, failure=failure, busy=False,
                          progress=100 if report is not None else self.progress, stage="done" if report is not None else "")


__all__ = ["ImportDesk", "changes_shown", "kind_options", "problems_shown", "progress_percent", "report_about",
           "report_bytes"]
