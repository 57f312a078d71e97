"""Server-side login sessions.

:func:`start_session` returns a random token (256 bits) for the browser's cookie; the table keeps
only its SHA-256, so a copy of the database does not let anyone in.  :func:`resolve_session`
turns a token back into the :class:`~fundwatch.data.access.accounts.Account` while the session is
live: not ended, its user active, and seen within :data:`IDLE_TIMEOUT`.  ``last_seen_at`` is
written at most once per :data:`TOUCH_INTERVAL`, so a busy page does not write on every request.
:func:`end_session` is the logout; a replayed token is refused afterwards.  Disabling a user or
changing their password ends all their sessions (:func:`end_user_sessions`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import Engine, insert, select, update

from ..db import writer
from ..models import AppSession, User
from .accounts import Account, account_from_row, account_select, from_db, utc
from .audit import audit_row, user_target, write_audit

IDLE_TIMEOUT = dt.timedelta(minutes=30)
TOUCH_INTERVAL = dt.timedelta(minutes=1)
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 256


def token_digest(token: str) -> str:
    """The stored form of a token: its SHA-256 in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(engine: Engine, account: Account, now: dt.datetime | None = None, *,
                  source: str | None = None) -> str:
    """A new session for ``account`` (which must still be active in the database); returns the
    token, which is never stored.  ``source`` is the client's address."""
    if not isinstance(account, Account):
        raise TypeError("start_session needs an Account")
    at = utc(now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with writer(engine).begin() as conn:
        active = conn.execute(select(User.active).where(User.id == account.id)).scalar_one_or_none()
        if not active:
            raise PermissionError(f"user {account.username!r} is unknown or disabled: no session")
        conn.execute(insert(AppSession), [{"token_sha256": token_digest(token), "user_id": account.id,
                                           "created_at": at, "last_seen_at": at,
                                           "source": source[:64] if source else None}])
    return token


def resolve_session(engine: Engine, token: object, now: dt.datetime | None = None, *,
                    touch: bool = True) -> Account | None:
    """The account behind ``token``, or None: unknown token, ended session, disabled user, or idle
    for more than :data:`IDLE_TIMEOUT` (the session is then ended, reason ``idle``).

    ``touch`` counts the call as activity (a request of the browser, or the viewer working in an
    open page); the periodic check of an open page that nobody touches passes ``touch=False``, so
    a tab left open still ends after :data:`IDLE_TIMEOUT`."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    at = utc(now)
    s = AppSession.__table__
    stmt = (account_select().add_columns(s.c.id.label("session_id"), s.c.last_seen_at, s.c.ended_at)
            .join(s, s.c.user_id == User.id).where(s.c.token_sha256 == token_digest(token)))
    with engine.connect() as conn:
        row = conn.execute(stmt).one_or_none()
    if row is None or row.ended_at is not None or not row.active:
        return None
    idle = at - from_db(row.last_seen_at)
    if idle > IDLE_TIMEOUT:
        with writer(engine).begin() as conn:
            conn.execute(update(s).where(s.c.id == row.session_id, s.c.ended_at.is_(None))
                         .values(ended_at=at, end_reason="idle"))
        return None
    if touch and idle >= TOUCH_INTERVAL:
        with writer(engine).begin() as conn:  # later than the stored time only: clocks of workers may differ
            conn.execute(update(s).where(s.c.id == row.session_id, s.c.ended_at.is_(None),
                                                  s.c.last_seen_at < at).values(last_seen_at=at))
    return account_from_row(row)


def end_session(engine: Engine, token: object, now: dt.datetime | None = None) -> bool:
    """Log out: end the session of ``token`` (audited as ``logout``).  False if there was no live
    session to end."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return False
    at = utc(now)
    s = AppSession.__table__
    with writer(engine).begin() as conn:
        found = conn.execute(select(s.c.id, User.username, User.county_code).join(User, User.id == s.c.user_id)
                             .where(s.c.token_sha256 == token_digest(token), s.c.ended_at.is_(None))).one_or_none()
        if found is None:
            return False
        conn.execute(update(s).where(s.c.id == found.id, s.c.ended_at.is_(None))
                     .values(ended_at=at, end_reason="logout"))
        write_audit(conn, audit_row(found.username, "logout", at=at, target=user_target(found.username),
                                    county_code=found.county_code, detail={"session": found.id}))
    return True


def end_user_sessions(executor, user_id: int, now: dt.datetime | None = None, *, reason: str) -> int:
    """End every live session of ``user_id`` in the caller's transaction (a Session or a
    Connection); returns how many were ended."""
    s = AppSession.__table__
    result = executor.execute(update(s).where(s.c.user_id == user_id, s.c.ended_at.is_(None))
                              .values(ended_at=utc(now), end_reason=reason))
    return result.rowcount or 0
