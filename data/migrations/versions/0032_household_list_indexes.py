"""Two indexes for the transition page's household list in its default order, most working days
overdue first, then by id (``ix_household_county_id`` and ``ix_household_slow``).

The list's page read every household of the region found by the day twice: once for the cases
that may be overdue (entered, or still not entered, more than 17 days after they were found: the
fewest calendar days that 15 working days span), once for the first hundred by id, sorted from the
whole region.  At ten times the demo on PostgreSQL that was 12 + 12 ms for the largest county's
20,000 households and 120 + 140 ms for the prefecture's 240,000.  ``ix_household_county_id``
gives a county's households in order of id, so the first hundred are the first hundred entries
read (the prefecture's come in the order of the table's key); ``ix_household_slow`` holds only
the cases entered late or not yet, under a fifth of those found.

Revision ID: 0032
Revises: 0031
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data.models.households import SLOW_ENTRY

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_household_county_id", "household", ["county_code", "id", "found_on", "entered_on"])
    op.create_index("ix_household_slow", "household", ["county_code", "found_on", "entered_on", "id"],
                    sqlite_where=sa.text(SLOW_ENTRY["sqlite"]), postgresql_where=sa.text(SLOW_ENTRY["postgresql"]))
    if op.get_bind().dialect.name == "sqlite":  # its planner weighs an index by the statistics it gathered
        op.execute("ANALYZE ix_household_county_id")
        op.execute("ANALYZE ix_household_slow")


def downgrade() -> None:
    op.drop_index("ix_household_slow", table_name="household")
    op.drop_index("ix_household_county_id", table_name="household")
