"""The asset summary kept by triggers, and an index for a county's loan month flows.

``asset_year`` holds the asset mix already grouped (see :mod:`fundwatch.data.summaries`): the
upgrade creates it, fills it from the assets already in the database and creates the triggers
that keep it equal to the ``asset`` table from then on.  ``ix_loan_month_flow_county`` lets a
county's loan position read its own month flows instead of every county's.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data import summaries

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_year",
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("formed_year", sa.Integer(), nullable=False),
        sa.Column("asset_class", sa.String(length=16), nullable=False),
        sa.Column("subtype", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("no_owner", sa.Integer(), nullable=False),
        sa.Column("no_custodian", sa.Integer(), nullable=False),
        sa.Column("assets", sa.BigInteger(), nullable=False),
        sa.Column("value_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("county_code", "formed_year", "asset_class", "subtype", "status", "no_owner",
                                "no_custodian", name=op.f("pk_asset_year")),
    )
    op.create_index("ix_loan_month_flow_county", "loan_month_flow", ["county_code", "ym"])
    summaries.install(op.get_bind(), ("asset",))


def downgrade() -> None:
    summaries.drop_triggers(op.get_bind(), ("asset",))
    op.drop_index("ix_loan_month_flow_county", table_name="loan_month_flow")
    op.drop_table("asset_year")
