"""The household summaries also hold each county's totals (``township_code = village_code = ''``),
see :mod:`fundwatch.data.summaries`.

A read of the prefecture by county, or of one county by category, summed the townships' totals:
about 15,000 rows for the prefecture as of mid-year at ten times the demo (the year-end snapshot
and six months of flows of 297 townships), most of the read's time spent grouping them.  The
counties' totals make it about 1,000.  The upgrade adds the indexes that find the counties' rows
and fills the summaries again from the households (the triggers from then on write all three
grains).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

from fundwatch.data import summaries

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_household_year_end_counties", "household_year_end", ["township_code", "year_end"])
    # the counties' flows read from the index alone, the prefecture's and one county's
    op.create_index("ix_household_month_flow_counties", "household_month_flow",
                    ["township_code", "ym", "county_code", "category", "status", "households_in", "households_out",
                     "members_in", "members_out"])
    summaries.install(op.get_bind(), ("household",))


def downgrade() -> None:
    # the summaries and triggers of 0009-0012: without the counties' totals
    summaries.install(op.get_bind(), ("household",), counties=False)
    op.drop_index("ix_household_month_flow_counties", table_name="household_month_flow")
    op.drop_index("ix_household_year_end_counties", table_name="household_year_end")
