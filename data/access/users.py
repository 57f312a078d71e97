"""Managing users: add, disable, enable, change a password, look up and list.

:class:`UserRepository` works in the caller's transaction (a :class:`~sqlalchemy.orm.Session`);
the module functions (:func:`add_user`, ...) run one transaction each, as the command line does.
Every change writes an audit row (``user_add``, ``user_disable``, ``user_enable``,
``user_passwd``) whose detail holds the role, the county and the number of sessions ended, never
the password or the display name.  Disabling a user or changing their password ends their
sessions.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, func, literal, select
from sqlalchemy.orm import Session

from .. import vocab
from ..db import writer
from ..models import AuditEntry, Region, User
from ..scope import Scope, require_scope
from .accounts import Account, UserError, account_from_row, account_select, from_db, require_username, utc
from .audit import audit_row, user_target, write_audit
from .passwords import check_password_policy, hash_password
from .sessions import end_user_sessions

USER_COLUMNS = ["username", "display_name", "role", "county_code", "county_name", "active", "created_at",
                "last_login"]


class UserRepository:
    """User management inside the caller's transaction; ``actor`` is who does it (audit rows)."""

    def __init__(self, session: Session, *, actor: str):
        if not isinstance(actor, str) or not actor.strip():
            raise ValueError("user management needs the actor's name")
        self.session = session
        self.actor = actor.strip()[:64]

    def get(self, username: str) -> Account | None:
        """The account called ``username`` (any case), or None."""
        try:
            name = require_username(username)
        except UserError:
            return None
        row = self.session.execute(account_select().where(User.username == name)).one_or_none()
        return None if row is None else account_from_row(row)

    def add(self, username: str, password: str, role: str, *, county_code: str | None = None,
            display_name: str | None = None, now: dt.datetime | None = None) -> Account:
        """A new active user.  A county official needs ``county_code``, an existing county-level
        region; an embed viewer may have one (it then sees that county only); the other roles see
        every region and must not have one."""
        name, county_code, display_name = self.check_new(username, role, county_code=county_code,
                                                         display_name=display_name)
        check_password_policy(password, name)
        user = User(username=name, display_name=display_name, password_hash=hash_password(password), role=role,
                    county_code=county_code, active=True)
        self.session.add(user)
        self.session.flush()
        write_audit(self.session, audit_row(self.actor, "user_add", at=utc(now), target=user_target(name),
                                            county_code=county_code,
                                            detail={"role": role, "county_code": county_code}))
        account = self.get(name)
        assert account is not None
        return account

    def check_new(self, username: str, role: str, *, county_code: str | None = None,
                  display_name: str | None = None) -> tuple[str, str | None, str | None]:
        """Raise :class:`UserError` unless a user with these details may be added; returns the
        username, county and display name as they would be stored.  The password is checked by
        :meth:`add`."""
        name = require_username(username)
        if role not in vocab.ROLES:
            raise UserError("role", f"未知角色 {role!r}，可选：{'、'.join(vocab.ROLES)}",
                            f"unknown role {role!r}; choose one of {', '.join(vocab.ROLES)}")
        county_code = (county_code or "").strip() or None
        if role == "county_official" and county_code is None:
            raise UserError("county_required", "县级工作人员必须指定所属县（--county）",
                            "a county official needs a county (--county)")
        if role in ("county_official", "embed_viewer") and county_code is not None:
            level = self.session.execute(select(Region.level).where(Region.code == county_code)).scalar_one_or_none()
            if level != "county":
                raise UserError("unknown_county", f"{county_code} 不是已知的县级行政区",
                                f"{county_code} is not a known county-level region")
        elif county_code is not None:
            raise UserError("county_forbidden", f"角色 {role} 可查看全部地区，不能指定所属县",
                            f"the role {role} sees every region and takes no county")
        display_name = (display_name or "").strip() or None
        if display_name is not None and len(display_name) > 64:
            raise UserError("display_name", "显示名称最多 64 个字符", "a display name has at most 64 characters")
        if self.session.execute(select(User.id).where(User.username == name)).first() is not None:
            raise UserError("exists", f"用户 {name} 已存在", f"user {name} already exists")
        return name, county_code, display_name

    def disable(self, username: str, *, now: dt.datetime | None = None) -> bool:
        """Disable ``username`` and end their sessions; False if already disabled."""
        user = self._user(username)
        if not user.active:
            return False
        at = utc(now)
        user.active = False
        self.session.flush()
        ended = end_user_sessions(self.session, user.id, at, reason="disabled")
        write_audit(self.session, audit_row(self.actor, "user_disable", at=at, target=user_target(user.username),
                                            county_code=user.county_code, detail={"sessions_ended": ended}))
        return True

    def enable(self, username: str, *, now: dt.datetime | None = None) -> bool:
        """Enable ``username`` again; False if already active."""
        user = self._user(username)
        if user.active:
            return False
        user.active = True
        self.session.flush()
        write_audit(self.session, audit_row(self.actor, "user_enable", at=utc(now), target=user_target(user.username),
                                            county_code=user.county_code))
        return True

    def set_password(self, username: str, password: str, *, now: dt.datetime | None = None) -> int:
        """Give ``username`` a new password (policy checked) and end their sessions; returns how
        many sessions were ended."""
        user = self._user(username)
        check_password_policy(password, user.username)
        at = utc(now)
        user.password_hash = hash_password(password)
        self.session.flush()
        ended = end_user_sessions(self.session, user.id, at, reason="password")
        write_audit(self.session, audit_row(self.actor, "user_passwd", at=at, target=user_target(user.username),
                                            county_code=user.county_code, detail={"sessions_ended": ended}))
        return ended

    def _user(self, username: str) -> User:
        name = require_username(username)
        user = self.session.scalars(select(User).where(User.username == name)).one_or_none()
        if user is None:
            raise UserError("unknown_user", f"没有用户 {name}", f"no user {name}")
        return user


def add_user(engine: Engine, username: str, password: str, role: str, *, county_code: str | None = None,
             display_name: str | None = None, actor: str, now: dt.datetime | None = None) -> Account:
    """:meth:`UserRepository.add` in a transaction of its own."""
    with Session(writer(engine)) as session, session.begin():
        return UserRepository(session, actor=actor).add(username, password, role, county_code=county_code,
                                                         display_name=display_name, now=now)


def disable_user(engine: Engine, username: str, *, actor: str, now: dt.datetime | None = None) -> bool:
    """:meth:`UserRepository.disable` in a transaction of its own."""
    with Session(writer(engine)) as session, session.begin():
        return UserRepository(session, actor=actor).disable(username, now=now)


def enable_user(engine: Engine, username: str, *, actor: str, now: dt.datetime | None = None) -> bool:
    """:meth:`UserRepository.enable` in a transaction of its own."""
    with Session(writer(engine)) as session, session.begin():
        return UserRepository(session, actor=actor).enable(username, now=now)


def change_password(engine: Engine, username: str, password: str, *, actor: str,
                    now: dt.datetime | None = None) -> int:
    """:meth:`UserRepository.set_password` in a transaction of its own."""
    with Session(writer(engine)) as session, session.begin():
        return UserRepository(session, actor=actor).set_password(username, password, now=now)


def check_new_user(engine: Engine, username: str, role: str, *, county_code: str | None = None,
                   display_name: str | None = None) -> None:
    """:meth:`UserRepository.check_new`: whether :func:`add_user` would accept these details (so
    that the command line can refuse before it asks for a password)."""
    with Session(engine) as session:
        UserRepository(session, actor="system").check_new(username, role, county_code=county_code,
                                                          display_name=display_name)


def get_user(engine: Engine, username: str) -> Account | None:
    """The account called ``username`` (active or not), or None."""
    with Session(engine) as session:
        return UserRepository(session, actor="system").get(username)


def users_frame(engine: Engine, scope: Scope) -> pd.DataFrame:
    """The users a scope may see, by username: ``username``, ``display_name``, ``role``,
    ``county_code``, ``county_name``, ``active``, ``created_at`` and ``last_login`` (aware, local
    time; NaT if never).  A county scope sees the users of its counties.  Never the hash."""
    require_scope(scope)
    a = AuditEntry.__table__
    last = (select(a.c.target, func.max(a.c.at).label("last_login")).where(a.c.action == "login")
            .group_by(a.c.target).subquery())
    stmt = (account_select().add_columns(User.created_at, last.c.last_login)
            .outerjoin(last, last.c.target == literal("user:") + User.username)
            .where(scope.clause(User.county_code)).order_by(User.username))
    with Session(engine) as session:
        rows = session.execute(stmt).all()
    records = [(r.username, r.display_name, r.role, r.county_code, r.county_name, bool(r.active),
                _local(r.created_at), _local(r.last_login)) for r in rows]
    frame = pd.DataFrame.from_records(records, columns=USER_COLUMNS)
    for column in ("created_at", "last_login"):
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_convert(_local_zone())
    return frame


def _local(at) -> dt.datetime | None:
    return None if at is None else from_db(at)


def _local_zone():
    return dt.datetime.now().astimezone().tzinfo
