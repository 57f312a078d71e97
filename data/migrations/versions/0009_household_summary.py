"""The household summary kept by triggers: households per status at each year end and the
monthly moves between statuses (see :mod:`fundwatch.data.summaries`).  The upgrade creates the
tables, fills them from the households already in the database and creates the triggers that keep
them equal to the ``household`` table from then on.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data import summaries

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_KEYS = ("county_code", "township_code", "village_code", "category", "status")


def _key_columns() -> list[sa.Column]:
    return [sa.Column("county_code", sa.String(length=16), nullable=False),
            sa.Column("township_code", sa.String(length=16), nullable=False),
            sa.Column("village_code", sa.String(length=16), nullable=False),
            sa.Column("category", sa.String(length=24), nullable=False),
            sa.Column("status", sa.String(length=16), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "household_year_end",
        sa.Column("year_end", sa.Date(), nullable=False),
        *_key_columns(),
        sa.Column("households", sa.BigInteger(), nullable=False),
        sa.Column("members", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("year_end", *_KEYS, name=op.f("pk_household_year_end")),
    )
    op.create_table(
        "household_month_flow",
        sa.Column("ym", sa.Integer(), nullable=False),
        *_key_columns(),
        sa.Column("households_in", sa.BigInteger(), nullable=False),
        sa.Column("members_in", sa.BigInteger(), nullable=False),
        sa.Column("households_out", sa.BigInteger(), nullable=False),
        sa.Column("members_out", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("ym", *_KEYS, name=op.f("pk_household_month_flow")),
    )
    op.create_index("ix_household_month_flow_county", "household_month_flow", ["county_code", "ym"])
    # the townships' totals (village_code '') apart from the villages' rows
    op.create_index("ix_household_month_flow_grain", "household_month_flow", ["village_code", "ym"])
    op.create_index("ix_household_year_end_grain", "household_year_end", ["village_code", "year_end"])
    # one county's rows at one grain: the townships' totals of a county read (PostgreSQL otherwise
    # walked the primary key's month range over every county); the flows' index covers the read
    op.create_index("ix_household_year_end_place", "household_year_end", ["county_code", "village_code", "year_end"])
    op.create_index("ix_household_month_flow_place", "household_month_flow",
                    ["county_code", "village_code", "ym", "township_code", "category", "status",
                     "households_in", "households_out", "members_in", "members_out"])
    op.create_index("ix_household_identified", "household", ["identified_on"])
    op.create_index("ix_household_eliminated", "household", ["risk_eliminated_on"])
    summaries.install(op.get_bind(), ("household",))


def downgrade() -> None:
    summaries.drop_triggers(op.get_bind(), ("household",))
    op.drop_index("ix_household_eliminated", table_name="household")
    op.drop_index("ix_household_identified", table_name="household")
    op.drop_index("ix_household_month_flow_place", table_name="household_month_flow")
    op.drop_index("ix_household_year_end_place", table_name="household_year_end")
    op.drop_index("ix_household_year_end_grain", table_name="household_year_end")
    op.drop_index("ix_household_month_flow_grain", table_name="household_month_flow")
    op.drop_index("ix_household_month_flow_county", table_name="household_month_flow")
    op.drop_table("household_month_flow")
    op.drop_table("household_year_end")
