"""Users with their role and region scope, their login sessions, and the append-only audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from .. import vocab
from .base import Base, one_of


class User(Base):
    """An account.  A county official's scope is ``county_code``; the other roles see all regions."""

    __tablename__ = "app_user"
    __table_args__ = (one_of("role", vocab.ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(24))
    county_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.current_timestamp()
    )


class AppSession(Base):
    """A server-side login session.  Only the SHA-256 of the token is stored, never the token.

    A session is live while ``ended_at`` is NULL, its user is active and it was seen within the
    idle timeout (:mod:`fundwatch.data.access.sessions`); ``end_reason`` says why it ended.
    """

    __tablename__ = "app_session"
    __table_args__ = (
        one_of("end_reason", vocab.SESSION_END_REASONS),
        Index("ix_app_session_user", "user_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(String(64), doc="the client's address as the server saw it")


class AuditEntry(Base):
    """One audited event.  Rows are only ever inserted: triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_at", "at"), Index("ix_audit_action", "action", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32), doc="import, export, unmask, login, login_failed, score_edit, ...")
    target: Mapped[str | None] = mapped_column(String(200))
    county_code: Mapped[str | None] = mapped_column(String(16))
    result: Mapped[str] = mapped_column(String(16), default="ok")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class ImportBatch(Base):
    """One accepted import: what was loaded, from which file (``sha256``), by whom, and what changed.

    Rejected attempts and dry runs leave no batch (nothing was written); every attempt, accepted or
    not, writes an ``audit_log`` row.  The highest batch id is the data version that tells every
    server process its cached reads are stale (:func:`fundwatch.data.imports.data_version`).
    """

    __tablename__ = "import_batch"
    __table_args__ = (Index("ix_import_batch_file", "kind", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24), doc="allocations, projects, ... (fundwatch.data.imports.KINDS)")
    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    scope: Mapped[str] = mapped_column(String(200), doc="the importer's scope key: * for all, else county codes")
    rows_read: Mapped[int]
    inserted: Mapped[int]
    updated: Mapped[int]
    unchanged: Mapped[int]
