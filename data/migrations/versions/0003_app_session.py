"""Login sessions: one row per server-side session (the token's SHA-256, never the token).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.CheckConstraint("end_reason IN ('logout', 'idle', 'disabled', 'password')",
                           name=op.f("ck_app_session_end_reason_vocab")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_app_session_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_session")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_app_session_token_sha256")),
    )
    with op.batch_alter_table("app_session", schema=None) as batch_op:
        batch_op.create_index("ix_app_session_user", ["user_id", "ended_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("app_session", schema=None) as batch_op:
        batch_op.drop_index("ix_app_session_user")
    op.drop_table("app_session")
