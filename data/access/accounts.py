"""Accounts as the rest of the application sees them, and the scope a role grants.

An :class:`Account` is a frozen snapshot of a user row without the password hash, loaded together
with the name of the user's county when that county exists as a county-level region.  It is what
:func:`~fundwatch.data.access.authenticate`, :func:`~fundwatch.data.access.resolve_session` and
:func:`~fundwatch.data.access.get_user` return, and what :func:`scope_for` trusts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Select, and_, select

from .. import vocab
from ..models import Region, User
from ..scope import Scope

# Roles that see every region (DESIGN.md, Security model); a county official sees one county.
CITY_ROLES = frozenset({"city_leader", "analyst", "data_admin"})
COUNTY_ROLES = frozenset({"county_official"})
UNMASK_ROLES = frozenset({"data_admin"})
#: Roles that may load data (the upload page, ``fundwatch import --user``): within their scope.
IMPORT_ROLES = frozenset({"county_official", "data_admin"})
# Accounts of intranet pages that embed single panels: the prefecture, or one county when the
# account has one, always with small household counts suppressed ("<5", no household records).
EMBED_ROLES = frozenset({"embed_viewer"})

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


class UserError(ValueError):
    """A user-management request that cannot be done; one line in Chinese and English."""

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.code = code
        self.zh = zh
        self.en = en


@dataclass(frozen=True)
class Account:
    """A user as loaded from the database (never with the password hash).

    ``county_name`` is set only when ``county_code`` names an existing county-level region: a
    county official without it has no scope (:func:`scope_for` fails closed).
    """

    id: int
    username: str
    display_name: str | None
    role: str
    county_code: str | None
    county_name: str | None
    active: bool

    def role_label(self, lang: str = "zh") -> str:
        return vocab.label(vocab.ROLES, self.role, lang)

    @property
    def can_unmask(self) -> bool:
        return self.active and self.role in UNMASK_ROLES


def normalise_username(username: object) -> str | None:
    """The stored form of a username (trimmed, lower case), or None if it is not a valid one:
    2 to 64 characters of ``a-z 0-9 . _ -``, starting with a letter or digit.  Real names belong
    in the display name, so that logs and audit rows carry no personal data."""
    if not isinstance(username, str):
        return None
    name = username.strip().lower()
    return name if USERNAME.fullmatch(name) else None


def require_username(username: object) -> str:
    name = normalise_username(username)
    if name is None:
        raise UserError("username", "用户名须为 2 至 64 个字符，只含小写字母、数字和 . _ -，并以字母或数字开头",
                        "A username has 2 to 64 characters: letters, digits, '.', '_' or '-', "
                        "starting with a letter or digit")
    return name


def scope_for(user: object) -> Scope:
    """The regions ``user`` may see: every region for a city leader, an analyst or a data admin;
    their own county for a county official whose county is a known county-level region; for an
    embed viewer the whole prefecture, or their county when the account names one (a county that
    is not a known county-level region gives nothing), always with small counts suppressed
    (:meth:`Scope.with_small_counts_suppressed`); nothing for anything else (no account, an
    inactive one, an unknown role, a county official without a known county).  Only an
    :class:`Account` is trusted; any other object gets nothing."""
    if not isinstance(user, Account) or user.active is not True:
        return Scope.nothing()
    if user.role in CITY_ROLES:
        return Scope.all()
    if user.role in COUNTY_ROLES and user.county_code and user.county_name:
        return Scope.county(user.county_code)
    if user.role in EMBED_ROLES:
        if not user.county_code:
            return Scope.all().with_small_counts_suppressed()
        county = Scope.county(user.county_code) if user.county_name else Scope.nothing()
        return county.with_small_counts_suppressed()
    return Scope.nothing()


def account_select() -> Select:
    """Users with the name of their county (when it is a county-level region), in the column
    order of :class:`Account`."""
    county = Region.__table__.alias("user_county")
    return (select(User.id, User.username, User.display_name, User.role, User.county_code,
                   county.c.name.label("county_name"), User.active)
            .outerjoin(county, and_(county.c.code == User.county_code, county.c.level == "county")))


def account_from_row(row) -> Account:
    return Account(id=row.id, username=row.username, display_name=row.display_name, role=row.role,
                   county_code=row.county_code, county_name=row.county_name, active=bool(row.active))


def utc(now: dt.datetime | None = None) -> dt.datetime:
    """``now`` (default: the current time) in UTC; a naive datetime is refused, as its zone would
    be a guess."""
    if now is None:
        return dt.datetime.now(dt.UTC)
    if not isinstance(now, dt.datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("a time must be a timezone-aware datetime")
    return now.astimezone(dt.UTC)


def from_db(at: dt.datetime | None) -> dt.datetime | None:
    """A stored time as an aware UTC datetime (SQLite returns UTC without a zone)."""
    if at is None:
        return None
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
