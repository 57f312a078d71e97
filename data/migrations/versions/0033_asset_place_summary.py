"""Assets per county, township, village, year formed and class, kept by triggers
(``asset_place_year``, see :mod:`fundwatch.data.summaries`).

The county page's ranking of its townships (their assets, value, assets without a custodian, idle
or damaged) and a township page's ranking of its villages and its assets by class summed every
asset of the county by village: a read that grew with each year of history (31,000 assets in the
largest county at ten times the demo, 10-11 ms on SQLite, the longest read of a county change).
The summary answers them from a few rows per place and year.  The upgrade creates the table,
fills it from the assets already in the database and creates the row triggers on ``asset``.

Revision ID: 0033
Revises: 0032
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data import summaries

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_place_year",
        sa.Column("county_code", sa.String(length=16), nullable=False),
        sa.Column("village_code", sa.String(length=16), nullable=False),
        sa.Column("formed_year", sa.Integer(), nullable=False),
        sa.Column("asset_class", sa.String(length=16), nullable=False),
        sa.Column("township_code", sa.String(length=16), nullable=False),
        sa.Column("assets", sa.BigInteger(), nullable=False),
        sa.Column("value_fen", sa.BigInteger(), nullable=False),
        sa.Column("no_custodian", sa.BigInteger(), nullable=False),
        sa.Column("no_owner", sa.BigInteger(), nullable=False),
        sa.Column("idle_or_damaged", sa.BigInteger(), nullable=False),
        # the township last: an asset's two rows (its village's, its township's total) are found
        # by the other keys, as the triggers delete an emptied row
        sa.PrimaryKeyConstraint("county_code", "village_code", "formed_year", "asset_class", "township_code",
                                name=op.f("pk_asset_place_year")),
    )
    op.create_index("ix_asset_place_year_township", "asset_place_year",
                    ["county_code", "township_code", "village_code", "formed_year", "asset_class"])
    summaries.install(op.get_bind(), ("asset_place",))


def downgrade() -> None:
    summaries.drop_triggers(op.get_bind(), ("asset_place",))
    op.drop_index("ix_asset_place_year_township", table_name="asset_place_year")
    op.drop_table("asset_place_year")
