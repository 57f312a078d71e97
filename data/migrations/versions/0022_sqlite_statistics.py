"""Planner statistics for a SQLite database loaded without them.

SQLite gathers no statistics by itself, and a database filled by the demo before this revision
had none (``fundwatch.data.demo.load_demo`` now analyses what it loaded, as it always did on
PostgreSQL). Without them SQLite guessed, and guessed wrong for the transition page's reads: a
year's cases of the prefecture (the identification clock) came through ``ix_household_found`` and
the table instead of the covering ``ix_household_county`` alone, 56 against 20 ms at ten times the
demo, and a county's household figures 79 against 57 ms. The upgrade analyses the whole database
once (about 7 s at that scale, nothing on an empty one). PostgreSQL's autovacuum keeps its own
statistics: nothing to do there.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ANALYZE")


def downgrade() -> None:
    """Statistics are no schema: they stay."""
