"""Each household keeps the start of its first assistance measure and the days to it.

The transition page's wait for a first measure counts a county's identified households by the days
from identification to their earliest measure started by the date asked about.  It sought each
household's measures in ``ix_measure_household`` and worked the days out of two dates per row
(the largest county at scale 10: SQLite 19 ms, PostgreSQL 26 ms, in every county change).  The
earliest measure started by a date is the household's earliest measure if that started by then,
else there is none, so it can be kept: ``household.first_measure_on`` and
``household.first_measure_days``, set by triggers from ``assistance_measure`` and from the
household's own dates (:mod:`fundwatch.data.summaries`), and added to ``ix_household_county``,
from which the read now takes a county's households alone.

The household summaries' update triggers are made again too: on SQLite they fire only on the
columns the summaries are made of, on PostgreSQL the update's statement trigger returns at once
when no row changed in them, so a household row rewritten for its first measure (or its checks)
rewrites no summary row.  The upgrade fills the two columns from the measures already held
(PostgreSQL: then rewrites the household table in key order; the fill left a dead copy of every
household it wrote, which that rewrite, inside the same transaction, keeps until a VACUUM).

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data import summaries

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# Literal copies of the models' column lists: a migration never changes with the models.
COUNTY_BEFORE = ["county_code", "found_on", "risk_eliminated_on", "identified_on", "category", "cause", "members",
                 "income_year", "income_per_capita_fen", "entered_on", "id"]
COUNTY = [*COUNTY_BEFORE, "first_measure_on", "first_measure_days"]


def upgrade() -> None:
    conn = op.get_bind()
    op.add_column("household", sa.Column("first_measure_on", sa.Date(), nullable=True))
    op.add_column("household", sa.Column("first_measure_days", sa.Integer(), nullable=True))
    summaries.drop_triggers(conn, ("household",))
    summaries.create_triggers(conn, ("household",))
    summaries.install(conn, ("first_measure",))
    op.drop_index("ix_household_county", table_name="household")
    op.create_index("ix_household_county", "household", COUNTY)
    if conn.dialect.name == "postgresql":
        # The fill wrote a new version of every household with a measure (at ten times the demo
        # 237,000 of 600,000) and left the old ones in the table and in every index until a
        # VACUUM FULL: on the benchmark's database the transition page's county change right
        # after a write took 218 ms before one and 140 after (the identification clock reads the
        # table).  Rewritten here in key order, in the migration's transaction (VACUUM cannot run
        # in one); a rewrite inside the transaction that wrote the new versions keeps the old ones
        # too (measured: a table of 100,000 rows, half of them updated, 20 MB against 13 MB
        # rewritten after the commit), so their space goes with the next VACUUM.
        op.execute("CLUSTER household USING pk_household")
    _statistics()


def _statistics() -> None:
    """Fresh statistics for the households, and for the summaries whose indexes 0019 and 0020 made
    again: SQLite drops a dropped index's statistics and plans without them (a year's cases of
    the prefecture, the identification clock, came from ``ix_household_found`` and the table
    instead of ``ix_household_county`` alone)."""
    for table in ("household", "loan_month_flow", "household_month_flow"):
        op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    conn = op.get_bind()
    summaries.drop_triggers(conn, ("first_measure",))
    op.drop_index("ix_household_county", table_name="household")
    op.create_index("ix_household_county", "household", COUNTY_BEFORE)
    op.drop_column("household", "first_measure_days")
    op.drop_column("household", "first_measure_on")
    _statistics()
