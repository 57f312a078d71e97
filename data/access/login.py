"""Checking a username and password, with a lockout, every attempt audited.

At most :data:`MAX_FAILURES` failed attempts per account within :data:`LOCKOUT_WINDOW`: after
that the account is locked until the oldest of those failures leaves the window.  The failures
are counted from the append-only audit log (``login_failed`` rows of the account), so the count
holds across server processes and restarts and nobody can reset it by editing a table.  While
locked, the password is not even checked and the attempt is audited as ``login_locked``.

Every success writes ``login``, every failure ``login_failed`` with the reason (``unknown``,
``wrong_password``, ``disabled``); never the password.  A username that matches no account (or
is not a valid username at all, such as a password typed into the wrong field) is recorded only
as a 16-bit bucket of its digest, so the log does not keep what was typed.  Unknown usernames cost the same hashing
as wrong passwords, and a disabled account is reported as such only when the password is right,
so neither timing nor answers tell which usernames exist.

Attempts on one username are serialised within a process; across processes two attempts in
flight at the same moment can each pass the count, so with N worker processes an attacker gets
at most ``MAX_FAILURES + N - 1`` tries per window.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import threading
from dataclasses import dataclass

from sqlalchemy import Engine, select, update

from ..db import writer
from ..models import AuditEntry, User
from .accounts import Account, account_from_row, account_select, from_db, normalise_username, utc
from .audit import audit_row, user_target, write_audit
from .passwords import hash_password, needs_rehash, verify_password

MAX_FAILURES = 5
LOCKOUT_WINDOW = dt.timedelta(minutes=15)

OK = "ok"
UNKNOWN = "unknown"
DISABLED = "disabled"
WRONG_PASSWORD = "wrong_password"
LOCKED = "locked"

# What a login page may show: unknown user and wrong password read the same.
MESSAGES = {
    OK: ("登录成功", "Signed in"),
    UNKNOWN: ("用户名或密码错误", "Wrong username or password"),
    WRONG_PASSWORD: ("用户名或密码错误", "Wrong username or password"),
    DISABLED: ("该账号已停用，请联系数据管理员", "This account is disabled; ask the data administrator"),
    LOCKED: ("登录失败次数过多，账号已暂时锁定，请 15 分钟后再试",
             "Too many failed attempts: the account is locked for 15 minutes"),
}

# A hash of a random password nobody knows, made with the default parameters: unknown usernames
# are checked against it so that they cost what a real account costs.
_DUMMY_HASH = "scrypt$n=16384,r=12,p=1$3rX/ZxLNnv0XJ67BlI7uNA$Bkvj0NHkmB8z18kV+KKOxq0zLNEDqQmxNHCMrLLhiBw"
_LOCKS = tuple(threading.Lock() for _ in range(64))


@dataclass(frozen=True)
class AuthResult:
    """The outcome of :func:`authenticate`: the account on success, else a reason.
    ``locked_until`` is set when the reason is :data:`LOCKED`."""

    reason: str
    account: Account | None = None
    locked_until: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return self.reason == OK and self.account is not None

    def __bool__(self) -> bool:
        return self.ok

    def message(self, lang: str = "zh") -> str:
        zh, en = MESSAGES[self.reason]
        return en if lang == "en" else zh


def authenticate(engine: Engine, username: object, password: object, *, now: dt.datetime | None = None,
                 source: str | None = None) -> AuthResult:
    """Check ``username`` and ``password`` (see the module docstring); ``now`` is the time of the
    attempt (default: the current time), ``source`` the client's address for the audit row."""
    at = utc(now)
    name = normalise_username(username)
    password = password if isinstance(password, str) else ""
    source = source[:64] if isinstance(source, str) and source else None
    with _LOCKS[hash(name) % len(_LOCKS)]:
        with engine.connect() as conn:
            row = None if name is None else conn.execute(account_select().add_columns(User.password_hash)
                                                         .where(User.username == name)).one_or_none()
            key = user_target(name) if row is not None else _unknown_target(username)
            a = AuditEntry.__table__
            recent = conn.execute(select(a.c.at).where(a.c.action == "login_failed", a.c.target == key,
                                                       a.c.at > at - LOCKOUT_WINDOW, a.c.at <= at)
                                  .order_by(a.c.at.desc()).limit(MAX_FAILURES)).scalars().all()
        actor = name if row is not None else "unknown"
        county = row.county_code if row is not None else None
        if len(recent) >= MAX_FAILURES:
            until = from_db(recent[-1]) + LOCKOUT_WINDOW
            _write(engine, audit_row(actor, "login_locked", at=at, target=key, county_code=county, result="refused",
                                     detail={"source": source, "locked_until": until.isoformat()}))
            return AuthResult(LOCKED, locked_until=until)
        if row is None:
            verify_password(password, _dummy_hash())
            _failed(engine, at, actor, key, county, UNKNOWN, source, len(recent))
            return AuthResult(UNKNOWN)
        if not verify_password(password, row.password_hash):
            _failed(engine, at, actor, key, county, WRONG_PASSWORD, source, len(recent))
            return AuthResult(WRONG_PASSWORD)
        if not row.active:
            _failed(engine, at, actor, key, county, DISABLED, source, len(recent))
            return AuthResult(DISABLED)
        new_hash = hash_password(password) if needs_rehash(row.password_hash) else None
        with writer(engine).begin() as conn:
            if new_hash is not None:  # parameters were raised since this password was set
                conn.execute(update(User).where(User.id == row.id, User.password_hash == row.password_hash)
                             .values(password_hash=new_hash))
            write_audit(conn, audit_row(actor, "login", at=at, target=key, county_code=county,
                                        detail={"source": source, "rehashed": True if new_hash else None}))
        return AuthResult(OK, account=account_from_row(row))


def _failed(engine: Engine, at: dt.datetime, actor: str, key: str, county: str | None, reason: str,
            source: str | None, earlier: int) -> None:
    _write(engine, audit_row(actor, "login_failed", at=at, target=key, county_code=county, result="failed",
                             detail={"reason": reason, "source": source, "failures": earlier + 1}))


def _write(engine: Engine, row: dict) -> None:
    with writer(engine).begin() as conn:
        write_audit(conn, row)


def _unknown_target(username: object) -> str:
    """The audit target of a username that matches no account: one of 65,536 buckets of what was
    typed.  Repeated guesses of one name still lock out like a real account, but the log keeps too
    little to recover the text (which may be a password typed into the wrong field)."""
    typed = username.strip().lower() if isinstance(username, str) else repr(type(username))
    return "unknown-user:" + hashlib.sha256(typed.encode("utf-8", "surrogatepass")).hexdigest()[:4]


@functools.cache
def _fresh_dummy_hash() -> str:
    return hash_password("not a password anyone has: " + hashlib.sha256(b"fundwatch").hexdigest())


def _dummy_hash() -> str:
    return _fresh_dummy_hash() if needs_rehash(_DUMMY_HASH) else _DUMMY_HASH
