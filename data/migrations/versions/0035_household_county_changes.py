"""Two indexes for a county's households whose status changed in a partial month
(``ix_household_county_identified`` and ``ix_household_county_eliminated``).

A county's households by status on a day inside a month are the household summary's year end and
month flows plus the raw households found, identified or freed of their risk in that month so far.
Those were found through the prefecture's date indexes and filtered by county, which cost about as
much as counting the county's households directly, so a county read the raw households on any day
but a month end: at ten times the demo, on 17 June, the largest county's households by category
and by township took 13-22 ms on SQLite and 9-15 ms on PostgreSQL.  With the county leading each
date, the month's changes of one county are three short index ranges (its found dates are
``ix_household_county``'s).  On PostgreSQL the two indexes hold only the households with the
date: a narrow full index drew its plans for a county's households at large to it.  On SQLite they
hold every household: for a county's open households (the date NULL or later) its planner took a
partial index for the later dates and the prefecture's date index for the NULLs, some 450,000 of
them at ten times the demo (the raw open cases of a county 5 -> 83 ms).

Revision ID: 0035
Revises: 0034
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

INDEXES = {"ix_household_county_identified": ("county_code", "identified_on"),
           "ix_household_county_eliminated": ("county_code", "risk_eliminated_on")}


def upgrade() -> None:
    for name, (county, day) in INDEXES.items():
        op.create_index(name, "household", [county, day], postgresql_where=sa.text(f"{day} IS NOT NULL"))
    if op.get_bind().dialect.name == "sqlite":  # its planner weighs an index by the statistics it gathered
        for name in INDEXES:
            op.execute(f"ANALYZE {name}")


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="household")
