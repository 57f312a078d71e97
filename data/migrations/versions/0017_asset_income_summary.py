"""Asset income per county, year and photovoltaic or not, kept by triggers (``asset_income_year``,
see :mod:`fundwatch.data.summaries`).

The transition page's operating-asset income of a county sums every income record of the county
for each year up to the date's: a read that grew with each year of history (50,000 records in the
largest county at ten times the demo, 17 ms on SQLite).  The summary answers it from a few dozen
rows.  The upgrade creates the table, fills it from the records already in the database and
creates the triggers on ``asset_income`` (every record written) and on ``asset`` (an asset
turned into or out of a photovoltaic station).

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data import summaries

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_income_year",
        sa.Column("county_code", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("pv", sa.Integer(), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("income_fen", sa.BigInteger(), nullable=False),
        sa.Column("to_collective_fen", sa.BigInteger(), nullable=False),
        sa.Column("to_households_fen", sa.BigInteger(), nullable=False),
        sa.Column("to_other_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("county_code", "year", "pv", name=op.f("pk_asset_income_year")),
    )
    summaries.install(op.get_bind(), ("asset_income",))


def downgrade() -> None:
    summaries.drop_triggers(op.get_bind(), ("asset_income",))
    op.drop_table("asset_income_year")
