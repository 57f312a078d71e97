"""Access control (issue 8, data layer): password hashing and policy, users, logins with a lockout,
server-side sessions, the scope of a role, unmasking one record, audit reads, and the ``user`` and
``audit`` commands -- on SQLite and PostgreSQL.

Times are passed explicitly (``now=``) wherever a rule depends on them: the 15-minute lockout
window, the 30-minute idle timeout, the once-a-minute refresh of a session.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import pytest
from cli_run import fundwatch, one_line_error
from sqlalchemy import insert, select, update

from fundwatch.data import access, db, schema
from fundwatch.data import models as m
from fundwatch.data.access import login as login_module
from fundwatch.data.access import passwords as pw
from fundwatch.data.access import unmask as unmask_module
from fundwatch.data.access.accounts import Account
from fundwatch.data.scope import Scope

YUDU, XINGGUO = "360731", "360732"
TOWNSHIP, VILLAGE = "360731001", "360731001001"
XG_TOWNSHIP, XG_VILLAGE = "360732001", "360732001001"
T0 = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
GOOD = "correct horse battery"
OTHER = "another long secret"
ACTOR = "test:admin"
MINUTE = dt.timedelta(minutes=1)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

def seed(engine) -> None:
    """Two counties with a township and a village each, a household and a loan in each county."""
    regions = [
        {"code": "360700", "name": "赣州市", "level": "city"},
        {"code": YUDU, "name": "于都县", "level": "county", "parent_code": "360700", "county_code": YUDU},
        {"code": XINGGUO, "name": "兴国县", "level": "county", "parent_code": "360700", "county_code": XINGGUO},
        {"code": TOWNSHIP, "name": "贡江镇", "level": "township", "parent_code": YUDU, "county_code": YUDU},
        {"code": VILLAGE, "name": "长征村", "level": "village", "parent_code": TOWNSHIP, "county_code": YUDU},
        {"code": XG_TOWNSHIP, "name": "潋江镇", "level": "township", "parent_code": XINGGUO, "county_code": XINGGUO},
        {"code": XG_VILLAGE, "name": "将军村", "level": "village", "parent_code": XG_TOWNSHIP,
         "county_code": XINGGUO},
    ]
    households = [
        {"id": 1, "code": "H-YD-1", "county_code": YUDU, "township_code": TOWNSHIP, "village_code": VILLAGE,
         "head_name": "欧阳明远", "head_id_no": "360731198001011234", "members": 4, "income_year": 2025,
         "income_per_capita_fen": 800000},
        {"id": 2, "code": "H-XG-1", "county_code": XINGGUO, "township_code": XG_TOWNSHIP, "village_code": XG_VILLAGE,
         "head_name": "李四海", "head_id_no": "360732197502023456", "members": 3, "income_year": 2025,
         "income_per_capita_fen": 900000},
    ]
    loans = [
        {"id": 1, "contract_no": "L-YD-1", "programme": "industry_credit", "bank": "农商银行",
         "borrower_type": "poor_household", "borrower_name": "王小二", "borrower_id_no": "360731199003035678",
         "county_code": YUDU, "village_code": VILLAGE, "amount_fen": 5_000_000, "rate_pct": 4.35,
         "issued_on": dt.date(2020, 3, 1), "maturity_on": dt.date(2023, 3, 1), "industry": "navel_orange",
         "status": "current"},
        {"id": 2, "contract_no": "L-XG-1", "programme": "industry_credit", "bank": "农商银行",
         "borrower_type": "farmer", "borrower_name": "赵六", "borrower_id_no": None,
         "county_code": XINGGUO, "village_code": XG_VILLAGE, "amount_fen": 3_000_000, "rate_pct": 4.35,
         "issued_on": dt.date(2020, 4, 1), "maturity_on": dt.date(2023, 4, 1), "industry": "tea",
         "status": "current"},
    ]
    with engine.begin() as conn:
        conn.execute(insert(m.Region), regions)
        conn.execute(insert(m.Household), households)
        conn.execute(insert(m.Loan), loans)


@pytest.fixture
def engine(blank_engine):
    seed(blank_engine)
    return blank_engine


def audit_rows(engine, action: str | None = None) -> list:
    a = m.AuditEntry.__table__
    stmt = select(a).order_by(a.c.id)
    if action is not None:
        stmt = stmt.where(a.c.action == action)
    with engine.connect() as conn:
        return conn.execute(stmt).all()


def every_value(rows) -> str:
    """Every column of every row as one text, to search for what must not be there."""
    return " ".join(json.dumps(tuple(row), ensure_ascii=False, default=str) for row in rows)


def session_row(engine, user_id: int):
    s = m.AppSession.__table__
    with engine.connect() as conn:
        return conn.execute(select(s).where(s.c.user_id == user_id).order_by(s.c.id.desc())).first()


def add(engine, name: str, role: str = "analyst", county: str | None = None, password: str = GOOD) -> Account:
    return access.add_user(engine, name, password, role, county_code=county, actor=ACTOR)


def as_utc(at: dt.datetime) -> dt.datetime:
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)


# ---------------------------------------------------------------------------------------------
# Passwords
# ---------------------------------------------------------------------------------------------

def test_hash_round_trip_and_self_describing_format():
    stored = pw.hash_password(GOOD)
    algorithm, params, salt, key = stored.split("$")
    assert algorithm == "scrypt"
    assert params == f"n={pw.DEFAULT_PARAMETERS.n},r={pw.DEFAULT_PARAMETERS.r},p={pw.DEFAULT_PARAMETERS.p}"
    assert pw.hash_parameters(stored) == pw.DEFAULT_PARAMETERS
    assert GOOD not in stored and salt and key
    assert pw.verify_password(GOOD, stored)
    assert not pw.verify_password(GOOD + "x", stored)
    assert not pw.verify_password("", stored)
    assert pw.hash_password(GOOD) != stored  # a new salt every time
    assert not pw.needs_rehash(stored)


def test_parameters_are_read_from_the_stored_string():
    cheap = pw.ScryptParameters(n=2**10, r=8, p=1)
    stored = pw.hash_password(GOOD, params=cheap)
    assert stored.startswith("scrypt$n=1024,r=8,p=1$")
    assert pw.verify_password(GOOD, stored)  # verified with its own parameters, not the defaults
    assert pw.needs_rehash(stored)
    assert pw.DEFAULT_PARAMETERS.n >= 2**14  # strong enough to cost tens of milliseconds


@pytest.mark.parametrize("stored", [
    "", "plain text", "bcrypt$x$y$z", "scrypt$n=16384,r=8$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
    "scrypt$n=1000,r=8,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",  # n not a power of two
    "scrypt$n=1073741824,r=8,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",  # would need a terabyte
    "scrypt$n=1024,r=8,p=1$!!!$a2V5a2V5a2V5a2V5a2V5a2V5",
])
def test_malformed_hashes_never_match(stored):
    assert not pw.verify_password(GOOD, stored)
    assert pw.needs_rehash(stored)


def test_the_dummy_hash_costs_what_a_real_one_does():
    assert pw.hash_parameters(login_module._DUMMY_HASH) == pw.DEFAULT_PARAMETERS


def test_password_policy():
    pw.check_password_policy(GOOD, "alice")
    pw.check_password_policy("十个汉字的中文密码句子", "alice")  # characters, not bytes
    with pytest.raises(pw.PasswordPolicyError) as short:
        pw.check_password_policy("short", "alice")
    assert short.value.code == "too_short"
    assert "至少需要 10 个字符" in str(short.value) and "at least 10 characters" in str(short.value)
    with pytest.raises(pw.PasswordPolicyError) as same:
        pw.check_password_policy("Alice.Wang-2026", "alice.wang-2026")
    assert same.value.code == "is_username" and "用户名" in str(same.value) and "username" in str(same.value)
    with pytest.raises(pw.PasswordPolicyError, match="too long"):
        pw.check_password_policy("x" * 2000, "alice")
    with pytest.raises(pw.PasswordPolicyError):
        pw.check_password_policy(None, "alice")
    assert isinstance(short.value, ValueError)  # one-line errors on the command line


# ---------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------

def test_add_list_disable_enable_passwd(engine):
    leader = add(engine, "Leader", "city_leader")
    assert leader.username == "leader" and leader.active and leader.county_code is None
    official = access.add_user(engine, "yudu.li", GOOD, "county_official", county_code=YUDU,
                               display_name="李明", actor=ACTOR)
    assert (official.county_code, official.county_name, official.display_name) == (YUDU, "于都县", "李明")
    add(engine, "analyst1", "analyst")
    add(engine, "keeper", "data_admin")
    assert access.get_user(engine, "YUDU.LI") == official
    assert access.get_user(engine, "nobody") is None and access.get_user(engine, "not a name!") is None

    users = access.users_frame(engine, Scope.all())
    assert list(users.columns) == ["username", "display_name", "role", "county_code", "county_name", "active",
                                   "created_at", "last_login"]
    assert list(users["username"]) == ["analyst1", "keeper", "leader", "yudu.li"]
    assert users["active"].all() and users["last_login"].isna().all()
    with engine.connect() as conn:
        hashes = conn.execute(select(m.User.password_hash)).scalars().all()
    assert all(h.startswith("scrypt$") for h in hashes)
    assert not any(h in users.to_json(force_ascii=False, date_format="iso") for h in hashes)
    assert list(access.users_frame(engine, Scope.county(YUDU))["username"]) == ["yudu.li"]
    assert access.users_frame(engine, Scope.nothing()).empty
    with pytest.raises(TypeError):
        access.users_frame(engine, None)

    assert access.authenticate(engine, "yudu.li", GOOD, now=T0).ok
    assert access.users_frame(engine, Scope.all()).set_index("username").loc["yudu.li", "last_login"] \
        == T0.astimezone()

    assert access.disable_user(engine, "yudu.li", actor=ACTOR) is True
    assert access.disable_user(engine, "yudu.li", actor=ACTOR) is False
    assert not access.get_user(engine, "yudu.li").active
    assert access.authenticate(engine, "yudu.li", GOOD, now=T0).reason == "disabled"
    assert access.enable_user(engine, "yudu.li", actor=ACTOR) is True
    assert access.enable_user(engine, "yudu.li", actor=ACTOR) is False
    assert access.authenticate(engine, "yudu.li", GOOD, now=T0).ok

    assert access.change_password(engine, "yudu.li", OTHER, actor=ACTOR) == 0
    assert access.authenticate(engine, "yudu.li", GOOD, now=T0).reason == "wrong_password"
    assert access.authenticate(engine, "yudu.li", OTHER, now=T0).ok
    with pytest.raises(access.PasswordPolicyError):
        access.change_password(engine, "yudu.li", "yudu.li", actor=ACTOR)
    with pytest.raises(access.UserError, match="no user"):
        access.change_password(engine, "ghost", OTHER, actor=ACTOR)

    actions = [(r.action, r.target, r.actor) for r in audit_rows(engine) if r.action.startswith("user_")]
    assert actions == [("user_add", "user:leader", ACTOR), ("user_add", "user:yudu.li", ACTOR),
                       ("user_add", "user:analyst1", ACTOR), ("user_add", "user:keeper", ACTOR),
                       ("user_disable", "user:yudu.li", ACTOR), ("user_enable", "user:yudu.li", ACTOR),
                       ("user_passwd", "user:yudu.li", ACTOR)]
    added = audit_rows(engine, "user_add")[1]
    assert added.county_code == YUDU and added.detail == {"role": "county_official", "county_code": YUDU}
    text = every_value(audit_rows(engine))
    assert GOOD not in text and OTHER not in text and "李明" not in text and "scrypt$" not in text


def test_county_is_required_for_officials_and_forbidden_for_the_others(engine):
    def refused(code, *args, **kwargs):
        with pytest.raises(access.UserError) as raised:
            access.add_user(engine, *args, actor=ACTOR, **kwargs)
        assert raised.value.code == code
        assert raised.value.zh in str(raised.value) and raised.value.en in str(raised.value)

    refused("county_required", "official", GOOD, "county_official")
    refused("unknown_county", "official", GOOD, "county_official", county_code="999999")
    refused("unknown_county", "official", GOOD, "county_official", county_code=TOWNSHIP)  # not county-level
    for role in ("city_leader", "analyst", "data_admin"):
        refused("county_forbidden", "someone", GOOD, role, county_code=YUDU)
    refused("role", "someone", GOOD, "mayor")
    refused("username", "张三", GOOD, "analyst")
    refused("username", "a", GOOD, "analyst")
    refused("username", "has space", GOOD, "analyst")
    with pytest.raises(access.PasswordPolicyError):
        access.add_user(engine, "someone", "short", "analyst", actor=ACTOR)
    add(engine, "official", "county_official", YUDU)
    refused("exists", "OFFICIAL", GOOD, "analyst")
    with pytest.raises(access.UserError):  # check_new_user refuses the same things before a password is asked
        access.check_new_user(engine, "official2", "county_official")
    access.check_new_user(engine, "official2", "county_official", county_code=XINGGUO)
    assert list(access.users_frame(engine, Scope.all())["username"]) == ["official"]
    assert len(audit_rows(engine, "user_add")) == 1


# ---------------------------------------------------------------------------------------------
# Logins and the lockout
# ---------------------------------------------------------------------------------------------

class CountingVerify:
    def __init__(self, monkeypatch):
        self.calls = 0
        original = login_module.verify_password

        def counting(password, stored):
            self.calls += 1
            return original(password, stored)

        monkeypatch.setattr(login_module, "verify_password", counting)


def test_lockout_after_exactly_five_failures_and_release_after_the_window(engine, monkeypatch):
    official = add(engine, "yudu.li", "county_official", YUDU)
    verify = CountingVerify(monkeypatch)
    for i in range(4):
        assert access.authenticate(engine, "yudu.li", f"wrong guess {i}", now=T0 + i * MINUTE).reason \
            == "wrong_password"
    result = access.authenticate(engine, "yudu.li", GOOD, now=T0 + 4 * MINUTE)  # 4 failures do not lock
    assert result.ok and result.account == official and bool(result)
    assert access.authenticate(engine, "yudu.li", "fifth wrong", now=T0 + 5 * MINUTE).reason == "wrong_password"
    assert verify.calls == 6

    locked = access.authenticate(engine, "yudu.li", GOOD, now=T0 + 6 * MINUTE)  # the right password, but locked
    assert locked.reason == "locked" and not locked and locked.account is None
    assert locked.locked_until == T0 + 15 * MINUTE  # the oldest of the five leaves the window
    assert "15 分钟" in locked.message("zh") and "locked" in locked.message("en")
    assert verify.calls == 6  # the password was not even checked
    assert access.authenticate(engine, "yudu.li", "still guessing", now=T0 + 14 * MINUTE).reason == "locked"
    assert verify.calls == 6

    released = access.authenticate(engine, "yudu.li", GOOD, now=T0 + 15 * MINUTE)
    assert released.ok and verify.calls == 7
    assert len(audit_rows(engine, "login_failed")) == 5  # locked attempts do not extend the lock
    assert len(audit_rows(engine, "login_locked")) == 2


def test_failures_outside_the_window_do_not_count(engine):
    add(engine, "analyst1")
    reasons = [access.authenticate(engine, "analyst1", "wrong password", now=T0 + i * 4 * MINUTE).reason
               for i in range(6)]  # six failures over 20 minutes, never five within 15
    assert reasons == ["wrong_password"] * 6
    assert access.authenticate(engine, "analyst1", GOOD, now=T0 + 20 * MINUTE).ok


def test_every_attempt_is_audited_without_the_password(engine):
    add(engine, "yudu.li", "county_official", YUDU)
    access.authenticate(engine, "yudu.li", GOOD, now=T0, source="10.0.0.7")
    for i in range(5):
        access.authenticate(engine, "yudu.li", f"{GOOD} {i}", now=T0 + MINUTE, source="10.0.0.8")
    access.authenticate(engine, "yudu.li", GOOD, now=T0 + 2 * MINUTE, source="10.0.0.9")

    ok, *failed, locked = audit_rows(engine)[1:]
    assert (ok.action, ok.actor, ok.target, ok.county_code, ok.result) == ("login", "yudu.li", "user:yudu.li",
                                                                         YUDU, "ok")
    assert ok.detail == {"source": "10.0.0.7"} and as_utc(ok.at) == T0
    assert [(r.action, r.result, r.detail["reason"], r.detail["failures"]) for r in failed] \
        == [("login_failed", "failed", "wrong_password", n) for n in range(1, 6)]
    assert all(r.county_code == YUDU and r.detail["source"] == "10.0.0.8" for r in failed)
    assert (locked.action, locked.result, locked.target) == ("login_locked", "refused", "user:yudu.li")
    assert GOOD not in every_value(audit_rows(engine))


def test_unknown_usernames_fail_like_wrong_passwords_and_are_not_logged(engine, monkeypatch):
    verify = CountingVerify(monkeypatch)
    typed = "my secret password"  # typed into the username field by mistake
    results = [access.authenticate(engine, typed, GOOD, now=T0) for _ in range(5)]
    assert {r.reason for r in results} == {"unknown"} and verify.calls == 5  # hashed like a real account
    assert results[0].message("en") == access.AuthResult("wrong_password").message("en")
    assert access.authenticate(engine, typed, GOOD, now=T0).reason == "locked"  # locks like a real account
    assert verify.calls == 5
    assert access.authenticate(engine, "ghost", GOOD, now=T0).reason == "unknown"
    assert access.authenticate(engine, None, None, now=T0).reason == "unknown"
    rows = audit_rows(engine)
    assert {r.actor for r in rows} == {"unknown"}
    assert all(r.target.startswith("unknown-user:") and len(r.target) == len("unknown-user:") + 4 for r in rows)
    text = every_value(rows)
    assert typed not in text and "ghost" not in text and GOOD not in text


def test_disabled_is_told_only_with_the_right_password(engine):
    add(engine, "analyst1")
    access.disable_user(engine, "analyst1", actor=ACTOR)
    assert access.authenticate(engine, "analyst1", "not the password", now=T0).reason == "wrong_password"
    assert access.authenticate(engine, "analyst1", GOOD, now=T0).reason == "disabled"
    assert [r.detail["reason"] for r in audit_rows(engine, "login_failed")] == ["wrong_password", "disabled"]


def test_a_login_rehashes_a_password_stored_with_older_parameters(engine):
    add(engine, "analyst1")
    old = pw.hash_password(GOOD, params=pw.ScryptParameters(n=2**10, r=8, p=1))
    with engine.begin() as conn:
        conn.execute(update(m.User).where(m.User.username == "analyst1").values(password_hash=old))
    assert access.authenticate(engine, "analyst1", GOOD, now=T0).ok
    with engine.connect() as conn:
        stored = conn.execute(select(m.User.password_hash).where(m.User.username == "analyst1")).scalar_one()
    assert stored != old and pw.hash_parameters(stored) == pw.DEFAULT_PARAMETERS
    assert access.authenticate(engine, "analyst1", GOOD, now=T0).ok


def test_times_must_carry_their_zone(engine):
    with pytest.raises(ValueError, match="timezone"):
        access.authenticate(engine, "anyone", GOOD, now=dt.datetime(2026, 3, 10, 9))


# ---------------------------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------------------------

def test_sessions_resolve_refresh_and_expire_when_idle(engine):
    account = add(engine, "yudu.li", "county_official", YUDU)
    token = access.start_session(engine, account, T0, source="10.0.0.7")
    assert isinstance(token, str) and len(token) >= 40
    row = session_row(engine, account.id)
    assert row.token_sha256 != token and token not in every_value([row]) and row.source == "10.0.0.7"
    assert as_utc(row.created_at) == as_utc(row.last_seen_at) == T0 and row.ended_at is None

    assert access.resolve_session(engine, token, T0 + 30 * MINUTE) == account  # 30 minutes idle is allowed
    assert as_utc(session_row(engine, account.id).last_seen_at) == T0 + 30 * MINUTE
    seen = T0 + 30 * MINUTE
    assert access.resolve_session(engine, token, seen + dt.timedelta(seconds=59)) == account
    assert as_utc(session_row(engine, account.id).last_seen_at) == seen  # refreshed at most once a minute
    assert access.resolve_session(engine, token, seen + 29 * MINUTE) == account
    seen += 29 * MINUTE
    assert as_utc(session_row(engine, account.id).last_seen_at) == seen

    assert access.resolve_session(engine, token, seen + 30 * MINUTE + dt.timedelta(seconds=1)) is None
    row = session_row(engine, account.id)
    assert row.end_reason == "idle" and row.ended_at is not None
    assert access.resolve_session(engine, token, seen + MINUTE) is None  # ended stays ended

    for bad in (None, "", "x" * 1000, 42, token + "x"):
        assert access.resolve_session(engine, bad, T0) is None


def test_logout_refuses_a_replayed_token(engine):
    account = add(engine, "leader", "city_leader")
    token = access.start_session(engine, account, T0)
    other = access.start_session(engine, account, T0)
    assert token != other
    assert access.end_session(engine, token, T0 + MINUTE) is True
    assert access.resolve_session(engine, token, T0 + 2 * MINUTE) is None
    assert access.end_session(engine, token, T0 + 2 * MINUTE) is False
    assert access.resolve_session(engine, other, T0 + 2 * MINUTE) == account  # only that session ended
    logout, = audit_rows(engine, "logout")
    assert (logout.actor, logout.target) == ("leader", "user:leader")
    assert token not in every_value(audit_rows(engine))


def test_disabling_a_user_or_changing_the_password_ends_their_sessions(engine):
    official = add(engine, "yudu.li", "county_official", YUDU)
    leader = add(engine, "leader", "city_leader")
    now = dt.datetime.now(dt.UTC)
    tokens = [access.start_session(engine, official, now) for _ in range(2)]
    kept = access.start_session(engine, leader, now)
    assert access.disable_user(engine, "yudu.li", actor=ACTOR)
    assert [access.resolve_session(engine, t, now) for t in tokens] == [None, None]
    assert session_row(engine, official.id).end_reason == "disabled"
    assert audit_rows(engine, "user_disable")[0].detail == {"sessions_ended": 2}
    assert access.enable_user(engine, "yudu.li", actor=ACTOR)
    assert access.resolve_session(engine, tokens[0], now) is None  # enabling does not revive them
    with pytest.raises(PermissionError):
        access.start_session(engine, Account(999, "ghost", None, "analyst", None, None, True), now)

    token = access.start_session(engine, official, now)
    assert access.change_password(engine, "yudu.li", OTHER, actor=ACTOR) == 1
    assert access.resolve_session(engine, token, now) is None
    assert session_row(engine, official.id).end_reason == "password"
    assert access.resolve_session(engine, kept, now) == leader

    access.disable_user(engine, "leader", actor=ACTOR)
    with pytest.raises(PermissionError):
        access.start_session(engine, leader, now)


def test_a_session_of_a_user_disabled_behind_its_back_is_refused(engine):
    account = add(engine, "analyst1")
    token = access.start_session(engine, account, T0)
    with engine.begin() as conn:
        conn.execute(update(m.User).where(m.User.id == account.id).values(active=False))
    assert access.resolve_session(engine, token, T0 + MINUTE) is None


# ---------------------------------------------------------------------------------------------
# Scopes
# ---------------------------------------------------------------------------------------------

def account(role: str, county: str | None = None, county_name: str | None = None, active: bool = True) -> Account:
    return Account(1, "someone", None, role, county, county_name, active)


@pytest.mark.parametrize(("user", "expected"), [
    (account("city_leader"), Scope.all()),
    (account("analyst"), Scope.all()),
    (account("data_admin"), Scope.all()),
    (account("county_official", YUDU, "于都县"), Scope.county(YUDU)),
    (account("county_official"), Scope.nothing()),  # no county
    (account("county_official", "999999"), Scope.nothing()),  # a county the database does not know
    (account("mayor"), Scope.nothing()),  # unknown role
    (account("city_leader", active=False), Scope.nothing()),
    (account("county_official", YUDU, "于都县", active=False), Scope.nothing()),
    (None, Scope.nothing()),
    (m.User(username="x", role="city_leader", active=True), Scope.nothing()),  # only an Account is trusted
])
def test_scope_for_every_role_fails_closed(user, expected):
    assert access.scope_for(user) == expected


def test_scope_for_accounts_from_the_database(engine):
    add(engine, "yudu.li", "county_official", YUDU)
    assert access.scope_for(access.get_user(engine, "yudu.li")) == Scope.county(YUDU)
    with engine.begin() as conn:  # the county is no longer a county-level region
        conn.execute(update(m.Region).where(m.Region.code == YUDU).values(level="township"))
    assert access.get_user(engine, "yudu.li").county_name is None
    assert access.scope_for(access.get_user(engine, "yudu.li")) == Scope.nothing()


# ---------------------------------------------------------------------------------------------
# Unmasking
# ---------------------------------------------------------------------------------------------

def test_unmask_for_a_data_admin_with_a_reason_audited(engine):
    keeper = add(engine, "keeper", "data_admin")
    record = access.unmask_record(engine, keeper, "household", 1, "核实监测对象身份 for the H2 case", now=T0)
    assert (record.name, record.id_no, record.county_code) == ("欧阳明远", "360731198001011234", YUDU)
    loan = access.unmask_record(engine, keeper, "loan", 2, "逾期贷款核查")
    assert (loan.name, loan.id_no, loan.county_code) == ("赵六", None, XINGGUO)

    first, second = audit_rows(engine, "unmask")
    assert (first.actor, first.target, first.county_code, first.result) == ("keeper", "household:1", YUDU, "ok")
    assert first.detail == {"kind": "household", "record_id": 1, "reason": "核实监测对象身份 for the H2 case"}
    assert as_utc(first.at) == T0
    assert second.target == "loan:2" and second.county_code == XINGGUO
    text = every_value(audit_rows(engine))
    assert "欧阳明远" not in text and "360731198001011234" not in text and "赵六" not in text


def test_unmask_is_refused_to_every_other_role_and_audited(engine):
    users = [add(engine, "leader", "city_leader"), add(engine, "analyst1", "analyst"),
             add(engine, "yudu.li", "county_official", YUDU)]
    for user in users:
        with pytest.raises(PermissionError):
            access.unmask_record(engine, user, "household", 1, "I would like to see it")
    with pytest.raises(PermissionError):
        access.unmask_record(engine, None, "household", 1, "no account at all")
    keeper = add(engine, "keeper", "data_admin")
    access.disable_user(engine, "keeper", actor=ACTOR)
    with pytest.raises(PermissionError):  # the stale account object still says active: the database decides
        access.unmask_record(engine, keeper, "household", 1, "disabled since login")
    refused = audit_rows(engine, "unmask")
    assert [(r.actor, r.result) for r in refused] == [("leader", "refused"), ("analyst1", "refused"),
                                                      ("yudu.li", "refused"), ("unknown", "refused"),
                                                      ("keeper", "refused")]
    assert "欧阳明远" not in every_value(refused)


def test_unmask_needs_a_reason_a_known_kind_and_a_record_in_scope(engine, monkeypatch):
    keeper = add(engine, "keeper", "data_admin")
    for reason in ("", "看看", "    why    ", None):
        with pytest.raises(ValueError, match="reason"):
            access.unmask_record(engine, keeper, "household", 1, reason)
    with pytest.raises(ValueError, match="kind"):
        access.unmask_record(engine, keeper, "asset", 1, "a long enough reason")
    with pytest.raises(ValueError):
        access.unmask_record(engine, keeper, "household", "1", "a long enough reason")
    assert audit_rows(engine, "unmask") == []  # requests to fix write nothing

    with pytest.raises(LookupError):
        access.unmask_record(engine, keeper, "household", 99, "a long enough reason")
    monkeypatch.setattr(unmask_module, "scope_for", lambda user: Scope.county(YUDU))
    assert access.unmask_record(engine, keeper, "loan", 1, "a long enough reason").name == "王小二"
    with pytest.raises(LookupError):  # a record of another county is as good as absent
        access.unmask_record(engine, keeper, "loan", 2, "a long enough reason")
    assert [(r.target, r.result) for r in audit_rows(engine, "unmask")] == [
        ("household:99", "not_found"), ("loan:1", "ok"), ("loan:2", "not_found")]


# ---------------------------------------------------------------------------------------------
# Audit reads
# ---------------------------------------------------------------------------------------------

def test_audit_frame_filters_orders_and_scopes(engine):
    add(engine, "yudu.li", "county_official", YUDU)
    add(engine, "xg.wang", "county_official", XINGGUO)
    add(engine, "leader", "city_leader")
    days = [dt.datetime(2026, 3, d, 12, tzinfo=dt.UTC) for d in (10, 12, 14)]
    for at in days:
        access.authenticate(engine, "yudu.li", GOOD, now=at)
        access.authenticate(engine, "xg.wang", "wrong password", now=at)
        access.authenticate(engine, "leader", GOOD, now=at)

    everything = access.audit_frame(engine, Scope.all(), since=dt.date(2026, 3, 1), until=dt.date(2026, 3, 31))
    assert list(everything.columns) == ["id", "at", "actor", "action", "target", "county_code", "result", "detail"]
    assert len(everything) == 9
    assert list(everything["at"]) == sorted(everything["at"], reverse=True)  # newest first
    assert everything["at"].iloc[0] == days[-1].astimezone()
    assert all(isinstance(d, str) and len(d) <= access.audit.DETAIL_WIDTH for d in everything["detail"])
    assert "reason=wrong_password" in everything.loc[everything["action"] == "login_failed", "detail"].iloc[0]

    middle = access.audit_frame(engine, Scope.all(), since=dt.date(2026, 3, 11), until=dt.date(2026, 3, 13))
    assert len(middle) == 3 and (middle["at"] == days[1]).all()
    assert len(access.audit_frame(engine, Scope.all(), until=dt.date(2026, 3, 12))) == 6  # user_add rows are today
    exact = access.audit_frame(engine, Scope.all(), since=days[1], until=days[1])
    assert len(exact) == 3
    failed = access.audit_frame(engine, Scope.all(), action="login_failed")
    assert list(failed["actor"]) == ["xg.wang"] * 3
    assert list(access.audit_frame(engine, Scope.all(), actor="leader")["action"]) == ["login"] * 3
    assert len(access.audit_frame(engine, Scope.all(), limit=2)) == 2
    assert len(access.audit_frame(engine, Scope.all(), limit=None)) == 12

    yudu = access.audit_frame(engine, Scope.county(YUDU))
    assert set(yudu["county_code"]) == {YUDU} and len(yudu) == 4  # user_add and three logins
    assert "xg.wang" not in set(yudu["actor"]) and "leader" not in set(yudu["actor"])
    assert access.audit_frame(engine, Scope.nothing()).empty
    with pytest.raises(TypeError):
        access.audit_frame(engine, None)
    with pytest.raises(ValueError):
        access.audit_frame(engine, Scope.all(), since=dt.datetime(2026, 3, 1))  # naive
    with pytest.raises(ValueError):
        access.audit_frame(engine, Scope.all(), limit=0)


def test_short_detail():
    assert access.short_detail({}) == "" and access.short_detail(None) == ""
    assert access.short_detail({"a": 1, "b": None, "c": "x y", "d": [1, 2]}) == "a=1; c=x y; d=[1,2]"
    assert access.short_detail('{"a": "中文"}') == "a=中文"
    long = access.short_detail({"text": "line\nbreak " * 100})
    assert len(long) == access.audit.DETAIL_WIDTH and long.endswith("…") and "\n" not in long


# ---------------------------------------------------------------------------------------------
# The migration
# ---------------------------------------------------------------------------------------------

def test_the_session_migration_goes_down_and_up(tmp_path):
    from alembic import command
    from sqlalchemy import inspect

    engine = db.get_engine(f"sqlite:///{tmp_path / 'mig.db'}", create=True)
    try:
        schema.upgrade(engine)
        assert "app_session" in inspect(engine).get_table_names()
        command.downgrade(schema.alembic_config(engine), "0002")
        assert "app_session" not in inspect(engine).get_table_names()
        schema.upgrade(engine)
        assert schema.is_current(engine)
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------





@pytest.fixture
def cli_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'users.db'}"
    engine = db.get_engine(url, create=True)
    schema.upgrade(engine)
    seed(engine)
    yield url, engine
    engine.dispose()


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """The command line in this process (fast, and the password prompt can be stubbed)."""
    from fundwatch.dashboards import cli

    try:
        code = cli.main(list(args))
    except SystemExit as exc:  # argparse
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_user_commands(cli_db):
    url, engine = cli_db
    added = fundwatch("user", "add", "Yudu.Li", "--role", "county_official", "--county", YUDU,
                      "--display-name", "李明", "--db", url, password=GOOD)
    assert added.returncode == 0, added.stderr
    assert "yudu.li" in added.stdout and "于都县" in added.stdout
    assert access.authenticate(engine, "yudu.li", GOOD).ok
    assert fundwatch("user", "add", "keeper", "--role", "data_admin", "--db", url, password=OTHER).returncode == 0
    assert "FUNDWATCH_NEW_PASSWORD" in one_line_error(fundwatch("user", "add", "x1", "--role", "analyst",
                                                                "--db", url))  # no terminal to ask on

    passwd = fundwatch("user", "passwd", "yudu.li", "--db", url, password=OTHER)
    assert passwd.returncode == 0, passwd.stderr
    assert access.authenticate(engine, "yudu.li", OTHER).ok
    disabled = fundwatch("user", "disable", "yudu.li", "--db", url)
    assert disabled.returncode == 0 and "disabled user yudu.li" in disabled.stdout
    assert access.authenticate(engine, "yudu.li", OTHER).reason == "disabled"

    listed = fundwatch("user", "list", "--db", url, "--format", "json")
    assert listed.returncode == 0, listed.stderr
    users = json.loads(listed.stdout)
    assert [list(u) for u in users] == [["username", "display_name", "role", "county_code", "county_name", "active",
                                         "created_at", "last_login"]] * 2
    official = users[1]
    assert (official["username"], official["role"], official["county_code"], official["county_name"],
            official["active"], official["display_name"]) == ("yudu.li", "county_official", YUDU, "于都县", False, "李明")
    assert dt.datetime.fromisoformat(official["last_login"]).tzinfo is not None
    assert users[0]["last_login"] is None
    enabled = fundwatch("user", "enable", "yudu.li", "--db", url)
    assert enabled.returncode == 0 and "enabled user yudu.li" in enabled.stdout

    for result in (added, passwd, listed):
        assert GOOD not in result.stdout + result.stderr and OTHER not in result.stdout + result.stderr
    assert "scrypt" not in listed.stdout
    actors = {r.actor for r in audit_rows(engine) if r.action.startswith("user_")}
    assert len(actors) == 1 and actors.pop().startswith("cli:")


def test_user_command_errors_and_the_password_prompt(cli_db, capsys, monkeypatch):
    import getpass

    url, engine = cli_db
    monkeypatch.setenv("FUNDWATCH_NEW_PASSWORD", GOOD)
    assert run_cli(capsys, "user", "add", "keeper", "--role", "data_admin", "--db", url)[0] == 0

    def error(*args: str) -> str:
        code, out, err = run_cli(capsys, *args, "--db", url)
        assert code != 0 and out == ""
        assert len(err.strip().splitlines()) == 1 and err.startswith("fundwatch: error:"), err
        return err

    assert "--county" in error("user", "add", "x1", "--role", "county_official")
    assert "county" in error("user", "add", "x1", "--role", "analyst", "--county", YUDU)
    assert "county-level" in error("user", "add", "x1", "--role", "county_official", "--county", "999999")
    assert "already exists" in error("user", "add", "keeper", "--role", "analyst")
    assert "invalid choice" in error("user", "add", "x1", "--role", "mayor")
    assert "--password" in error("user", "add", "x1", "--role", "analyst", "--password", "x")  # no such option
    assert "no user" in error("user", "passwd", "ghost")
    assert "no user" in error("user", "disable", "ghost")
    monkeypatch.setenv("FUNDWATCH_NEW_PASSWORD", "short")
    assert "10" in error("user", "add", "x1", "--role", "analyst")
    monkeypatch.setenv("FUNDWATCH_NEW_PASSWORD", "x1")
    assert "10" in error("user", "add", "x1", "--role", "analyst")

    monkeypatch.delenv("FUNDWATCH_NEW_PASSWORD")  # asked twice on the terminal
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    answers = iter([GOOD, GOOD + "!"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    assert "differ" in error("user", "add", "x1", "--role", "analyst")
    answers = iter([OTHER, OTHER])
    code, out, err = run_cli(capsys, "user", "add", "x1", "--role", "analyst", "--db", url)
    assert code == 0 and "added user x1" in out and OTHER not in out + err
    assert access.authenticate(engine, "x1", OTHER).ok
    assert access.users_frame(engine, Scope.all())["username"].tolist() == ["keeper", "x1"]

    code, out, _ = run_cli(capsys, "user", "list", "--db", url)
    assert code == 0 and "keeper" in out and "data_admin" in out and "scrypt" not in out
    assert run_cli(capsys, "user", "disable", "x1", "--db", url)[1] == "disabled user x1\n"
    assert run_cli(capsys, "user", "disable", "x1", "--db", url)[1] == "user x1 was already disabled\n"
    assert run_cli(capsys, "user", "enable", "X1", "--db", url)[1] == "enabled user x1\n"
    assert run_cli(capsys, "user", "enable", "x1", "--db", url)[1] == "user x1 was already enabled\n"


def test_audit_command(cli_db):
    url, engine = cli_db
    add(engine, "yudu.li", "county_official", YUDU)
    access.authenticate(engine, "yudu.li", "wrong password", now=dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC))
    access.authenticate(engine, "yudu.li", GOOD, now=dt.datetime(2026, 3, 12, 12, tzinfo=dt.UTC))

    result = fundwatch("audit", "--db", url, "--since", "2026-03-01", "--until", "2026-03-31", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [list(r) for r in rows] == [["id", "at", "actor", "action", "target", "county_code", "result",
                                        "detail"]] * 2
    assert [r["action"] for r in rows] == ["login", "login_failed"]
    assert dt.datetime.fromisoformat(rows[0]["at"]) == dt.datetime(2026, 3, 12, 12, tzinfo=dt.UTC)
    assert rows[1]["detail"].startswith("reason=wrong_password")
    assert "wrong password" not in result.stdout


def test_audit_command_filters_and_formats(cli_db, capsys):
    url, engine = cli_db
    add(engine, "yudu.li", "county_official", YUDU)
    access.authenticate(engine, "yudu.li", "wrong password", now=dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC))
    access.authenticate(engine, "yudu.li", GOOD, now=dt.datetime(2026, 3, 12, 12, tzinfo=dt.UTC))

    def rows(*args: str) -> list[dict]:
        code, out, err = run_cli(capsys, "audit", "--db", url, "--format", "json", *args)
        assert code == 0, err
        return json.loads(out)

    assert [(r["action"], r["actor"], r["target"]) for r in rows("--action", "user_add")] \
        == [("user_add", ACTOR, "user:yudu.li")]
    assert [r["action"] for r in rows("--actor", "yudu.li", "--until", "2026-03-11")] == ["login_failed"]
    assert [r["action"] for r in rows("--actor", "yudu.li", "--since", "2026-03-11")] == ["login"]
    assert rows("--actor", "nobody") == []
    code, out, _ = run_cli(capsys, "audit", "--db", url, "--format", "csv")
    assert code == 0 and out.splitlines()[0] == "id,at,actor,action,target,county_code,result,detail"
    assert len(out.splitlines()) == 4
    code, out, _ = run_cli(capsys, "audit", "--db", url, "--limit", "1")
    assert code == 0 and "user_add" in out and "login" not in out  # the user was added today
    for bad in (("--since", "March"), ("--until", "2026-02-30"), ("--limit", "0")):
        code, out, err = run_cli(capsys, "audit", "--db", url, *bad)
        assert code == 1 and err.startswith("fundwatch: error:") and bad[0] in err
