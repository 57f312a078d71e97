"""Writing and reading the append-only audit log for access control.

Rows written here never hold a password, a token or an unmasked name or ID number: the detail
carries reasons, counts and record ids.  :func:`record_export` writes the row of one export (a
page's download, ``fundwatch export``); :func:`audit_frame` is the scoped read behind the
``fundwatch audit`` command and the audit page.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from sqlalchemy import Engine, insert, select

from ..db import writer
from ..models import AuditEntry
from ..scope import Scope, require_scope
from .accounts import from_db, utc

DETAIL_WIDTH = 160
FILTERS_WIDTH = 240
#: Where an export was taken: a served page, an embedded panel, a notebook, the command line.
EXPORT_SURFACES = ("page", "embed", "notebook", "cli")
#: Tables export as CSV or XLSX; a panel exports as self-contained HTML (``fundwatch export-panel``)
#: and a county report as HTML or PDF (``fundwatch report`` and the county page).
EXPORT_FORMATS = ("csv", "xlsx", "html", "pdf")
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


def export_target(kind: str) -> str:
    """The ``target`` of the audit row of an export of ``kind`` (``export:county_ranking`` ...)."""
    return f"export:{kind}"[:200]


def filters_text(filters: Mapping[str, object] | Iterable[tuple[str, object]] | None,
                 width: int = FILTERS_WIDTH) -> str:
    """Filters as one short line, ``label=value, label=value``, cut to ``width`` characters (the
    comma keeps it apart from the ``; `` between the entries of :func:`short_detail`)."""
    pairs = filters.items() if isinstance(filters, Mapping) else (filters or ())
    text = ", ".join(f"{label}={value}" for label, value in pairs)
    text = " ".join(text.split())  # one line
    return text if len(text) <= width else text[: width - 1] + "…"


def record_export(engine: Engine, actor: str, *, kind: str, fmt: str, rows: int, scope: Scope,
                  county_code: str | None = None, surface: str = "page",
                  filters: Mapping[str, object] | Iterable[tuple[str, object]] | None = None, result: str = "ok",
                  now: dt.datetime | None = None) -> None:
    """Write the audit row of one export, in a transaction of its own: action ``export``, target
    ``export:<kind>``, ``actor`` the login name (``cli:<login>`` at the shell).

    Callers write it *before* they hand the file over, so a failed write means no file.
    ``county_code`` is the county the exported rows belong to (the exported region's county);
    left None, it is the county of a one-county ``scope``, else the row is a city-level one.
    The detail holds ``format``, ``rows``, ``surface`` (one of :data:`EXPORT_SURFACES`), the
    ``scope`` key and the ``filters`` in force as one short line (:func:`filters_text`): never a
    row of the export, so never personal data.  ``result`` is ``ok``, or ``refused`` for an
    export the caller would not make (with ``rows`` 0).
    """
    require_scope(scope)
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    if surface not in EXPORT_SURFACES:
        raise ValueError(f"unknown export surface {surface!r}; one of {', '.join(EXPORT_SURFACES)}")
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
        raise ValueError("rows must be a count")
    if not kind:
        raise ValueError("an export needs its kind")
    if county_code is None and scope.counties is not None and len(scope.counties) == 1:
        (county_code,) = scope.counties
    detail = {"format": fmt, "rows": rows, "surface": surface, "scope": scope.key,
              "filters": filters_text(filters) or None}
    row = audit_row(actor, "export", at=utc(now), target=export_target(kind), county_code=county_code,
                    result=result, detail=detail)
    with writer(engine).begin() as conn:
        write_audit(conn, row)


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
