"""The embed viewer role: ``app_user.role`` may also be ``embed_viewer``.

Only the CHECK constraint on ``app_user.role`` changes.  PostgreSQL replaces the constraint in
place.  SQLite cannot alter a constraint: the table is rebuilt in the migration's transaction
with its rows and ids.  ``app_session`` refers to ``app_user``; with foreign keys deferred to the
commit, dropping the old table leaves the sessions briefly without their users, and copying the
users back into the new table gives them their users again before the commit checks.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OLD_ROLES = ("city_leader", "county_official", "analyst", "data_admin")
NEW_ROLES = (*OLD_ROLES, "embed_viewer")
COLUMNS = "id, username, display_name, password_hash, role, county_code, active, created_at"
CHECK = "ck_app_user_role_vocab"


def _check(roles: tuple[str, ...]) -> str:
    return "role IN (" + ", ".join(f"'{role}'" for role in roles) + ")"


def _rebuild_sqlite(roles: tuple[str, ...]) -> None:
    op.execute("PRAGMA defer_foreign_keys = ON")  # until the commit; reset by SQLite at the commit
    op.execute(f"CREATE TEMPORARY TABLE app_user_copy AS SELECT {COLUMNS} FROM app_user")
    op.execute("DROP TABLE app_user")
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=True),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("county_code", sa.String(length=16), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"),
                  nullable=False),
        sa.CheckConstraint(_check(roles), name=op.f(CHECK)),
        sa.ForeignKeyConstraint(["county_code"], ["region.code"], name=op.f("fk_app_user_county_code_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.execute(f"INSERT INTO app_user ({COLUMNS}) SELECT {COLUMNS} FROM app_user_copy ORDER BY id")
    op.execute("DROP TABLE app_user_copy")


def _replace_check(roles: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(roles)
        return
    op.drop_constraint(op.f(CHECK), "app_user", type_="check")
    op.create_check_constraint(op.f(CHECK), "app_user", _check(roles))


def upgrade() -> None:
    _replace_check(NEW_ROLES)


def downgrade() -> None:
    embed = op.get_bind().execute(sa.text("SELECT count(*) FROM app_user WHERE role = 'embed_viewer'")).scalar_one()
    if embed:
        raise RuntimeError(f"{embed} embed viewer account(s) exist: the revision before 0004 cannot hold them")
    _replace_check(OLD_ROLES)
