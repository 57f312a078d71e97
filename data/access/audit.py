"""Writing and reading the append-only audit log for access control.

Rows written here never hold a password, a token or an unmasked name or ID number: the detail
carries reasons, counts and record ids.  :func:`audit_frame` is the scoped read behind the
``fundwatch audit`` command and the audit page.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
from sqlalchemy import Engine, insert, select

from ..models import AuditEntry
from ..scope import Scope, require_scope
from .accounts import from_db, utc

DETAIL_WIDTH = 160
DEFAULT_LIMIT = 1000
COLUMNS = ["id", "at", "actor", "action", "target", "county_code", "result", "detail"]


def user_target(username: str) -> str:
    """The ``target`` of audit rows about an account (logins, user management)."""
    return f"user:{username}"[:200]


def audit_row(actor: str, action: str, *, at: dt.datetime, target: str | None = None, county_code: str | None = None,
              result: str = "ok", detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """One audit row; detail entries that are None are left out."""
    return {"at": utc(at), "actor": (actor or "unknown")[:64], "action": action, "target": target,
            "county_code": county_code, "result": result,
            "detail": {k: v for k, v in (detail or {}).items() if v is not None}}


def write_audit(executor, *rows: dict[str, Any]) -> None:
    """Insert ``rows`` (from :func:`audit_row`) through a Session or a Connection: in the caller's
    transaction."""
    if rows:
        executor.execute(insert(AuditEntry), list(rows))


def audit_frame(engine: Engine, scope: Scope, *, since: dt.date | dt.datetime | None = None,
                until: dt.date | dt.datetime | None = None, action: str | None = None, actor: str | None = None,
                limit: int | None = DEFAULT_LIMIT) -> pd.DataFrame:
    """Audit rows, newest first: ``id``, ``at`` (aware, in the server's local time), ``actor``,
    ``action``, ``target``, ``county_code``, ``result`` and ``detail`` (the JSON detail as one
    short ``key=value; ...`` text).

    ``since`` and ``until`` are inclusive; a date means the whole day in the server's local time,
    a datetime must be timezone-aware.  ``action`` and ``actor`` match exactly.  A county scope
    sees only rows of its counties (rows without a county belong to the city level).  ``limit``
    caps the rows returned (None for all).
    """
    require_scope(scope)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError("limit must be a positive integer or None")
    a = AuditEntry.__table__
    stmt = select(*(a.c[c] for c in COLUMNS)).where(scope.clause(a.c.county_code))
    if since is not None:
        stmt = stmt.where(a.c.at >= _bound(since, end=False))
    if until is not None:
        stmt = stmt.where(a.c.at < _bound(until, end=True) if _is_date(until) else a.c.at <= _bound(until, end=True))
    if action is not None:
        stmt = stmt.where(a.c.action == action)
    if actor is not None:
        stmt = stmt.where(a.c.actor == actor)
    stmt = stmt.order_by(a.c.at.desc(), a.c.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    records = [(r.id, from_db(r.at).astimezone(), r.actor, r.action, r.target, r.county_code, r.result,
                short_detail(r.detail)) for r in rows]
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def short_detail(detail: Any, width: int = DETAIL_WIDTH) -> str:
    """The JSON detail as ``key=value; key=value``, nested values in compact JSON, cut to ``width``."""
    if detail is None or detail == {}:
        return ""
    if isinstance(detail, str):  # a driver that hands JSON back as text
        try:
            detail = json.loads(detail)
        except ValueError:
            pass
    if isinstance(detail, dict):
        parts = []
        for key, value in detail.items():
            if value is None or value == [] or value == {}:
                continue
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            parts.append(f"{key}={shown}")
        text = "; ".join(parts)
    else:
        text = json.dumps(detail, ensure_ascii=False, separators=(",", ":"))
    text = " ".join(text.split())  # one line
    return text if len(text) <= width else text[: width - 1] + "…"


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _bound(value: dt.date | dt.datetime, *, end: bool) -> dt.datetime:
    if _is_date(value):
        day = value + dt.timedelta(days=1) if end else value
        return utc(dt.datetime.combine(day, dt.time()).astimezone())  # local midnight
    if isinstance(value, dt.datetime):
        return utc(value)
    raise TypeError(f"since/until must be a date or a datetime, got {type(value).__name__}")
