"""A county's households, their measures and its assets read from indexes alone (the transition page).

The transition page's household figures of a county (households under monitoring by category and
cause, open cases by age, the income bins against the alert line, the wait for a first measure,
the measure mix) read every household of the county on record: about 80,000 in the largest
county at scale 10, whose rows carry names, ID numbers and the five checks as well.
``ix_household_county`` (county, date found, date risk eliminated) now also holds the date
identified, category, cause, members, income year and income, so those reads never visit the
table; ``ix_measure_household`` replaces the single-column index on a measure's household with
one holding the date started, kind, amount and county (``fundwatch.data.models.households``);
``ix_asset_county`` (county, class, status, value) also holds the date formed, custodian and
owner, which the asset custody by class reads (``fundwatch.data.models.assets``).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COUNTY_BEFORE = ["county_code", "found_on", "risk_eliminated_on"]
# Literal copies of the models' column lists: a migration never changes with the models.
COUNTY_COVERING = ["county_code", "found_on", "risk_eliminated_on", "identified_on", "category", "cause", "members",
                   "income_year", "income_per_capita_fen", "id"]
MEASURE_COVERING = ["household_id", "started_on", "kind", "amount_fen", "county_code", "id"]
ASSET_BEFORE = ["county_code", "asset_class", "status", "value_fen"]
ASSET_COVERING = ["county_code", "asset_class", "status", "formed_on", "value_fen", "custodian", "owner", "id"]


def upgrade() -> None:
    op.drop_index("ix_household_county", table_name="household")
    op.create_index("ix_household_county", "household", COUNTY_COVERING)
    op.drop_index("ix_assistance_measure_household_id", table_name="assistance_measure")
    op.create_index("ix_measure_household", "assistance_measure", MEASURE_COVERING)
    op.drop_index("ix_asset_county", table_name="asset")
    op.create_index("ix_asset_county", "asset", ASSET_COVERING)


def downgrade() -> None:
    op.drop_index("ix_asset_county", table_name="asset")
    op.create_index("ix_asset_county", "asset", ASSET_BEFORE)
    op.drop_index("ix_measure_household", table_name="assistance_measure")
    op.create_index("ix_assistance_measure_household_id", "assistance_measure", ["household_id"])
    op.drop_index("ix_household_county", table_name="household")
    op.create_index("ix_household_county", "household", COUNTY_BEFORE)
