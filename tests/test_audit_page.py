"""The audit page (``/audit``): the audit log with its filters and downloads, and the unmasking of one
record by a data administrator; then the page on a real login-mode server.

The desk writes audit rows, so the module works on copies of the shared demo database, with a data
administrator, a city leader, an analyst and a county official made through the data layer.  The
served tests sign in and read session documents with the helpers of ``test_auth_serve``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from urllib.parse import urlencode

import openpyxl
import pandas as pd
import panel as pn
import pytest
from dashboard_fixtures import Server, _fresh_caches, copy_database, demo_db  # noqa: F401
from sqlalchemy import func, select
from test_auth_serve import PASSWORD, SECRET, Browser, document_text, session_cookie

from fundwatch.components import EXTENSIONS, export
from fundwatch.components.audit import ACTIONS, AuditDesk, log_shown
from fundwatch.dashboards import app, auth, landing
from fundwatch.data import db
from fundwatch.data.access import MIN_REASON, Account, add_user, audit_frame, unmask_record
from fundwatch.data.access.unmask import MAX_REASON
from fundwatch.data.models import Household, Loan
from fundwatch.data.scope import Scope

SETUP = "setup.admin"  # the actor of the accounts made here
SHOWN_COLUMNS = ["at", "actor", "action", "target", "county_code", "result", "detail"]


def make_users(engine) -> dict[str, Account]:
    return {name: add_user(engine, name, PASSWORD, role, county_code=county, display_name=f"测试 {name}",
                           actor=SETUP)
            for name, role, county in (("keeper", "data_admin", None), ("leader", "city_leader", None),
                                       ("analyst", "analyst", None), ("yudu", "county_official", "360731"))}


def first_record(engine, model=Household):
    """(id, name, ID number) of the first household (or loan) with an ID number, as stored."""
    name, id_no = (model.head_name, model.head_id_no) if model is Household else (model.borrower_name,
                                                                                   model.borrower_id_no)
    with engine.connect() as conn:
        return conn.execute(select(model.id, name, id_no).where(id_no.is_not(None)).order_by(model.id).limit(1)).one()


def unmask_rows(engine):
    return audit_frame(engine, Scope.all(), action="unmask", limit=None)


def page_text(viewable) -> str:
    """Every text pane of a layout, as the browser would receive it."""
    return "\n".join(str(pane.object) for pane in pn.panel(viewable).select(pn.pane.HTML))


@pytest.fixture(scope="module", autouse=True)
def _extensions():
    pn.extension(*EXTENSIONS)


@pytest.fixture(scope="module")
def database(demo_db, tmp_path_factory):
    """A copy of the demo database with four accounts: (engine, accounts by username)."""
    path = tmp_path_factory.mktemp("audit") / "audit.db"
    copy_database(demo_db, path)
    engine = db.get_engine(str(path))
    yield engine, make_users(engine)
    engine.dispose()


@pytest.fixture
def engine(database):
    return database[0]


@pytest.fixture
def users(database):
    return database[1]


@pytest.fixture
def admin_desk(engine, users):
    return AuditDesk(engine=engine, scope=Scope.all(), account=users["keeper"], user="keeper")


# -- the audit log -----------------------------------------------------------------------------

def test_the_filters_narrow_the_log(engine, admin_desk):
    desk = admin_desk
    everything = audit_frame(engine, Scope.all())
    assert desk.rows == len(everything) > 4
    assert list(desk.entries.frame.columns) == SHOWN_COLUMNS  # the row id is neither shown nor sent
    assert list(desk._table.value.columns) == SHOWN_COLUMNS
    assert list(desk.entries.frame["at"]) == sorted(desk.entries.frame["at"], reverse=True)

    desk.action = "user_add"
    added = audit_frame(engine, Scope.all(), action="user_add")
    assert desk.rows == len(added) >= 4 and set(desk.entries.frame["action"]) == {"新增用户"}
    assert {"user:keeper", "user:analyst"} <= set(desk.entries.frame["target"])
    desk.param.update(action="", actor=f"  {SETUP} ")
    assert desk.rows == 4 and set(desk.entries.frame["actor"]) == {SETUP}
    desk.actor = "nobody-at-all"
    assert desk.rows == 0 and desk.entries.frame.empty

    today = dt.date.today()
    desk.param.update(actor="", since=today + dt.timedelta(days=1))
    assert desk.rows == 0
    desk.param.update(since=today, until=today)
    assert desk.rows == len(audit_frame(engine, Scope.all(), since=today, until=today)) >= 4
    desk.param.update(since=None, until=today - dt.timedelta(days=1))
    assert SETUP not in set(desk.entries.frame["actor"])

    desk.param.update(until=None, limit=3)
    assert desk.rows == 3 and "共 3 条记录" in page_text(desk) and "仅显示最新的 3 条" in page_text(desk)
    desk.param.update(limit=1000, action="user_add", lang="en")
    assert set(desk.entries.frame["action"]) == {"User added"} and desk.entries.titles["at"] == "Time"
    assert "Only the newest" not in page_text(desk)


def test_the_log_downloads_what_it_shows_with_the_filters_audited(engine, admin_desk, monkeypatch):
    desk = admin_desk
    desk.action = "user_add"
    exports = len(audit_frame(engine, Scope.all(), action="export"))
    csv_text = desk.log_bytes("csv").decode("utf-8-sig")
    header, _, table = csv_text.partition("\r\n\r\n")
    assert "# 表格,审计日志" in header and "# 操作,新增用户" in header and f"# 行数,{desk.rows}" in header
    lines = table.strip().splitlines()
    assert lines[0] == "时间,操作人,操作,对象,县区代码,结果,详情" and len(lines) == desk.rows + 1
    book = openpyxl.load_workbook(io.BytesIO(desk.log_bytes("xlsx")))
    rows = list(book.worksheets[0].values)
    assert list(rows[0]) == list(desk.entries.labelled().columns) and len(rows) == desk.rows + 1

    written = audit_frame(engine, Scope.all(), action="export")
    assert len(written) == exports + 2
    assert (written.iloc[0]["actor"], written.iloc[0]["target"]) == ("keeper", "export:audit_log")
    desk.action = ""
    assert desk.entries.frame.iloc[0]["action"] == "数据导出"  # the log shows its own download

    def broken(*args, **kwargs):
        raise RuntimeError("the database is read-only")

    monkeypatch.setattr(export, "record_export", broken)
    with pytest.raises(export.ExportNotAudited):  # no audit row, no file
        desk.log_bytes("xlsx")
    assert "无法写入审计记录" in page_text(desk)


def test_every_action_has_its_words():
    rows = pd.DataFrame({"id": range(len(ACTIONS) + 1), "at": [dt.datetime.now(dt.UTC)] * (len(ACTIONS) + 1),
                         "actor": "a", "action": [*ACTIONS, "something_new"], "target": "t", "county_code": None,
                         "result": "ok", "detail": ""})
    for lang in ("zh", "en"):
        words = list(log_shown(rows, lang).frame["action"])
        assert len(set(words[:-1])) == len(ACTIONS) and words[-1] == "something_new"


# -- unmasking ---------------------------------------------------------------------------------

def test_a_data_admin_unmasks_a_household_with_a_reason(engine, admin_desk):
    desk = admin_desk
    record_id, name, id_no = first_record(engine)
    reason = "核实监测对象身份 for the H2 case"
    before = len(unmask_rows(engine))
    layout = pn.panel(desk)
    (record_input,) = layout.select(pn.widgets.IntInput)
    reason_input = next(w for w in layout.select(pn.widgets.TextInput) if w.max_length == MAX_REASON)
    buttons = {button.label: button for button in layout.select(pn.widgets.Button)}
    record_input.value, reason_input.value = record_id, reason
    buttons["查看完整信息"].clicks += 1
    record = desk.unmasked
    assert record is not None and (record.name, record.id_no) == (name, id_no)
    shown = page_text(desk)
    assert name in shown and id_no in shown and desk.problem == ""

    rows = unmask_rows(engine)
    assert len(rows) == before + 1
    row = rows.iloc[0]
    assert (row["actor"], row["target"], row["result"]) == ("keeper", f"household:{record_id}", "ok")
    assert f"reason={reason}" in row["detail"]
    every_value = json.dumps(rows.astype(str).values.tolist(), ensure_ascii=False)
    assert id_no not in every_value and name not in every_value
    # the desk's log was read again: the unmask row is the newest one on screen
    top = desk.entries.frame.iloc[0]
    assert (top["action"], top["target"]) == ("查看未脱敏信息", f"household:{record_id}")
    assert id_no not in desk.entries.frame.to_csv() and name not in desk.entries.frame.to_csv()

    desk.record_id = record_id + 1  # another record: what was shown goes at once
    assert desk.unmasked is None and name not in page_text(desk) and id_no not in page_text(desk)
    desk.param.update(record_kind="loan")
    loan_id, borrower, borrower_id = first_record(engine, Loan)
    desk.param.update(record_id=loan_id)
    assert desk.unmask().name == borrower and borrower_id in page_text(desk)
    assert buttons["清除"].visible
    buttons["清除"].clicks += 1
    assert desk.unmasked is None and borrower_id not in page_text(desk) and not buttons["清除"].visible


def test_a_short_reason_is_refused_and_shows_nothing(engine, admin_desk):
    desk = admin_desk
    record_id, name, id_no = first_record(engine)
    before = len(unmask_rows(engine))
    desk.param.update(record_id=record_id, reason="看看 ")
    assert desk.unmask() is None and desk.unmasked is None and desk.problem == "reason"
    shown = page_text(desk)
    assert f"至少 {MIN_REASON} 个字符" in shown and name not in shown and id_no not in shown
    assert len(unmask_rows(engine)) == before  # a request to fix, not an attempt: nothing written
    desk.lang = "en"
    assert f"at least {MIN_REASON} characters" in page_text(desk)
    desk.param.update(record_id=None, reason="a long enough reason")
    assert desk.unmask() is None and desk.problem == "no_id"


def test_a_record_that_does_not_exist_is_not_found(engine, admin_desk):
    desk = admin_desk
    with engine.connect() as conn:
        missing = conn.execute(select(func.max(Household.id))).scalar_one() + 1000
    desk.param.update(record_id=missing, reason="核对一条不存在的记录")
    assert desk.unmask() is None and desk.problem == "not_found"
    assert f"没有找到监测户 {missing}" in page_text(desk)
    row = unmask_rows(engine).iloc[0]
    assert (row["target"], row["result"]) == (f"household:{missing}", "not_found")
    assert desk.entries.frame.iloc[0]["result"] == "未找到"


def test_an_analyst_has_no_unmask_form_and_is_refused_anyway(engine, users):
    desk = AuditDesk(engine=engine, scope=Scope.all(), account=users["analyst"])
    layout = pn.panel(desk)
    assert not desk.may_unmask and desk._form is None
    labels = {button.label for button in layout.select(pn.widgets.Button)}
    assert not layout.select(pn.widgets.IntInput) and labels == {"刷新"}
    text = page_text(desk)
    assert "只有数据管理员可以查看未脱敏信息" in text and "记录编号" not in text
    assert desk.rows > 0  # the log itself is shown (the page's roles decide who opens it)
    # the method exists, but the data layer decides: refused, and audited
    record_id, name, _ = first_record(engine)
    desk.param.update(record_id=record_id, reason="I would like to see it")
    assert desk.unmask() is None and desk.problem == "refused" and name not in page_text(desk)
    row = unmask_rows(engine).iloc[0]
    assert (row["actor"], row["result"]) == ("analyst", "refused")

    demo = AuditDesk(engine=engine, scope=Scope.all(), account=None)
    assert demo._form is None and "演示模式没有登录账号" in page_text(demo)


# -- the page in process -----------------------------------------------------------------------

def as_viewer(monkeypatch, account: Account | None) -> None:
    """Pages created from now on see ``account`` signed in (login mode), or demo mode for None."""
    if account is None:
        monkeypatch.delenv(auth.ENV_SECRET, raising=False)
    else:
        monkeypatch.setenv(auth.ENV_SECRET, SECRET)
    monkeypatch.setattr(auth, "session_account", lambda: account)


def test_the_page_the_navigation_and_the_landing_tiles_per_role(engine, users, monkeypatch):
    monkeypatch.setenv(db.ENV_URL, str(engine.url.database))
    create = app.route_table()["/audit"]
    as_viewer(monkeypatch, users["keeper"])
    page = create()
    (desk,) = page.select(AuditDesk)
    assert desk.may_unmask and desk.account.username == "keeper"
    text = page_text(page)
    assert "审计日志" in text and "./audit" in text and "记录编号" in text
    assert "审计日志" in page_text(landing.create_app())

    for name in ("leader", "analyst", "yudu"):
        as_viewer(monkeypatch, users[name])
        refused = create()
        assert not refused.select(AuditDesk) and "您的角色无权访问此页面" in page_text(refused)
        assert "审计日志" not in page_text(landing.create_app())  # neither a tile nor a link

    as_viewer(monkeypatch, None)  # demo mode: the log, a tile and a link, but no unmasking
    page = create()
    (desk,) = page.select(AuditDesk)
    assert desk.account is None and not desk.may_unmask and "演示模式没有登录账号" in page_text(page)
    assert page_text(landing.create_app()).count('class="fw-tile"') == len(landing.TILES)


# -- served, in login mode ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def secured_audit(demo_db, tmp_path_factory):
    """A login-mode server on a copy of the demo database with the four accounts, and one unmasking
    in the log (whose actor, target and reason no refused viewer may see)."""
    path = tmp_path_factory.mktemp("audit-served") / "audit.db"
    copy_database(demo_db, path)
    engine = db.get_engine(str(path))
    accounts = make_users(engine)
    record_id, name, id_no = first_record(engine)
    unmask_record(engine, accounts["keeper"], "household", record_id, "served-test 核查理由")
    engine.dispose()
    served = Server(path, env={auth.ENV_SECRET: SECRET}).wait()
    served.unmasked = (f"household:{record_id}", "served-test 核查理由", name, id_no)
    try:
        yield served
    finally:
        out = served.stop()
        assert "Traceback" not in out, out


@pytest.mark.slow
def test_served_only_the_data_admin_gets_the_audit_page(secured_audit):
    target, reason, name, id_no = secured_audit.unmasked
    keeper = Browser(secured_audit.url)
    assert keeper.login("keeper", next_page="/audit")[0] == 302
    text = document_text(secured_audit.url, "/audit", cookie=session_cookie(keeper))
    assert "审计日志" in text and "查看单条记录的未脱敏信息" in text and "记录编号" in text
    assert target in text and reason in text and "keeper" in text
    assert name not in text and id_no not in text  # the log holds no personal data

    for username in ("leader", "analyst", "yudu"):
        viewer = Browser(secured_audit.url)
        assert viewer.login(username)[0] == 302
        refused = document_text(secured_audit.url, "/audit", cookie=session_cookie(viewer))
        assert "您的角色无权访问此页面" in refused
        assert not [seen for seen in (target, reason, "keeper", SETUP, "记录编号") if seen in refused], username


@pytest.mark.slow
def test_served_the_audit_page_needs_a_session(secured_audit):
    browser = Browser(secured_audit.url)
    status, headers, body = browser.get("/audit")
    assert status == 302 and body == b"" and "/login" in headers["Location"]
    status, _, body = browser.get("/audit/autoload.js?" + urlencode({
        "bokeh-autoload-element": "x", "bokeh-absolute-url": secured_audit.url + "/audit/"}))
    assert status == 403 and b"token" not in body.lower()
