"""Unmasking one record's personal data, for a data administrator, with a reason, audited.

Every frame leaves ``data`` masked (:mod:`fundwatch.data.masking`).  :func:`unmask_record` is the
one way to see a household head's or a borrower's full name and ID number: one record at a time,
only for an active ``data_admin`` (checked against the database, not only the account passed
in), with a reason of at least :data:`MIN_REASON` characters, inside the user's scope.  Each call
writes an ``unmask`` audit row with the record and the reason (never the unmasked values);
refused attempts are audited too (result ``refused`` or ``not_found``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, select

from ..db import writer
from ..models import Household, Loan, User
from .accounts import Account, UNMASK_ROLES, account_from_row, account_select, scope_for, utc
from .audit import audit_row, write_audit

MIN_REASON = 5
MAX_REASON = 200

# kind -> (model, name column, ID-number column)
KINDS = {
    "household": (Household, Household.head_name, Household.head_id_no),
    "loan": (Loan, Loan.borrower_name, Loan.borrower_id_no),
}


@dataclass(frozen=True)
class UnmaskedRecord:
    """The personal data of one record, as stored."""

    kind: str
    record_id: int
    county_code: str
    name: str
    id_no: str | None


def unmask_record(engine: Engine, user: Account, kind: str, record_id: int, reason: str, *,
                  now: dt.datetime | None = None) -> UnmaskedRecord:
    """The unmasked name and ID number of household or loan ``record_id`` (its ``id``).

    Raises :class:`ValueError` for an unknown kind or a bad id, :class:`PermissionError` (audited)
    unless ``user`` is an active data administrator, :class:`ValueError` for a reason shorter than
    :data:`MIN_REASON` characters (nothing is written), :class:`LookupError` (audited) when the
    record does not exist or lies outside the user's scope.
    """
    if kind not in KINDS:
        raise ValueError(f"未知记录类型 {kind!r}（household 或 loan） / unknown record kind {kind!r}: household or loan")
    if isinstance(record_id, bool) or not isinstance(record_id, int) or record_id < 1:
        raise ValueError("记录编号须为正整数 / the record id must be a positive integer")
    reason = " ".join(reason.split())[:MAX_REASON] if isinstance(reason, str) else ""
    at = utc(now)
    target = f"{kind}:{record_id}"
    model, name_column, id_column = KINDS[kind]
    found = None
    with writer(engine).begin() as conn:
        current = None
        if isinstance(user, Account):  # the account as it is now, not as it was at login
            row = conn.execute(account_select().where(User.id == user.id)).one_or_none()
            current = None if row is None else account_from_row(row)
        actor = current.username if current is not None else str(getattr(user, "username", None) or "unknown")
        detail = {"kind": kind, "record_id": record_id, "reason": reason}
        allowed = current is not None and current.active and current.role in UNMASK_ROLES
        if allowed and len(reason) < MIN_REASON:  # a request to fix, not an attempt: nothing is written
            raise ValueError(f"查看未脱敏信息须说明理由（至少 {MIN_REASON} 个字符） / "
                             f"unmasking needs a reason of at least {MIN_REASON} characters")
        if allowed:
            found = conn.execute(select(model.county_code, name_column, id_column)
                                 .where(model.id == record_id, scope_for(current).clause(model.county_code))
                                 ).one_or_none()
        result = "refused" if not allowed else "not_found" if found is None else "ok"
        county = found[0] if found is not None else current.county_code if current is not None else None
        write_audit(conn, audit_row(actor, "unmask", at=at, target=target, result=result, county_code=county,
                                    detail=detail))
    if not allowed:
        raise PermissionError("只有数据管理员可以查看未脱敏信息 / only a data administrator may unmask personal data")
    if found is None:
        raise LookupError(f"没有 {kind} {record_id}（或不在可见范围内） / no {kind} {record_id} in your scope")
    return UnmaskedRecord(kind, record_id, found[0], found[1], found[2])
