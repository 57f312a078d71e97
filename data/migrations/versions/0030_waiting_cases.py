"""An index of the cases still not entered into the system, or entered long after they were found
(``ix_household_waiting``), for the transition page's open cases.

The cases open on a day (found by it, not entered by it, risk not eliminated) were read from every
household found by that day: at ten times the demo the prefecture's 240,000 (SQLite 213 ms) and the
largest county's 20,000, for a list of some 150 cases per county. A case open on a day was found
in the 30 days before it, which the found-date indexes give, or it waited 30 days or more (or
waits still), which this partial index holds: 1,262 of the 240,000 there.  (On PostgreSQL only
the prefecture's list reads it: a county's reads the county's cases found from the covering
``ix_household_county``, testing their entry in the index, in 1.4 ms.)

Revision ID: 0030
Revises: 0029
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data.models.households import WAITING

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


#: PostgreSQL's statistics of the days from found to entered: without them its planner takes a
#: third of the cases found for those that waited 30 days or more, and reads the prefecture's open
#: cases from every case found (47 ms at scale 10 instead of 19).  Expressions need PostgreSQL 14.
STATISTICS = "st_household_wait"


def upgrade() -> None:
    conn = op.get_bind()
    op.create_index("ix_household_waiting", "household", ["county_code", "found_on"],
                    sqlite_where=sa.text(WAITING["sqlite"]), postgresql_where=sa.text(WAITING["postgresql"]))
    if conn.dialect.name == "sqlite":  # its planner weighs an index by the statistics it gathered
        op.execute("ANALYZE ix_household_waiting")
    elif conn.dialect.server_version_info >= (14,):
        op.execute(f"CREATE STATISTICS IF NOT EXISTS {STATISTICS} ON (entered_on - found_on) FROM household")
        op.execute("ANALYZE household")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")
    op.drop_index("ix_household_waiting", table_name="household")
