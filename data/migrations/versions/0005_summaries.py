"""Summary tables kept by triggers, and indexes for the drill-down lists.

``disbursement_month``, ``loan_month_flow`` and ``loan_year_end`` hold the big tables' figures
already grouped (see :mod:`fundwatch.data.summaries`).  The upgrade creates them, fills them from
the raw rows already in the database and creates the triggers that keep them equal to the raw
tables from then on.  The new indexes serve the drill-down lists (a region and its default sort
order) and the partial month that a summary read adds from the raw rows.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data import summaries

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

LOAN_KEY_COLUMNS = (
    ("county_code", 12), ("programme", 32), ("bank", 40), ("borrower_type", 32), ("status", 16),
)

INDEXES = (
    ("ix_disbursement_day", "disbursement",
     ["ym", "paid_on", "county_code", "year", "source_level", "programme", "amount_fen"]),
    ("ix_loan_issued", "loan", ["issued_on", "county_code"]),
    ("ix_loan_repaid", "loan", ["repaid_on", "county_code"]),
    ("ix_loan_village_issued", "loan", ["village_code", "issued_on"]),
    ("ix_project_budget", "project", ["budget_fen"]),
    ("ix_project_county_budget", "project", ["county_code", "budget_fen"]),
    ("ix_project_township_budget", "project", ["township_code", "budget_fen"]),
    ("ix_project_village_budget", "project", ["village_code", "budget_fen"]),
    ("ix_asset_value", "asset", ["value_fen"]),
    ("ix_asset_county_value", "asset", ["county_code", "value_fen"]),
    ("ix_asset_village_value", "asset", ["village_code", "value_fen"]),
    ("ix_household_found", "household", ["found_on"]),
    ("ix_household_township_found", "household", ["township_code", "found_on"]),
    ("ix_household_village_found", "household", ["village_code", "found_on"]),
)


def _loan_keys() -> list[sa.Column]:
    return [sa.Column(name, sa.String(length=length), nullable=False) for name, length in LOAN_KEY_COLUMNS]


def upgrade() -> None:
    op.create_table(
        "disbursement_month",
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("ym", sa.Integer(), nullable=False),
        sa.Column("source_level", sa.String(length=16), nullable=False),
        sa.Column("programme", sa.String(length=24), nullable=False),
        sa.Column("payments", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("county_code", "year", "ym", "source_level", "programme",
                                name=op.f("pk_disbursement_month")),
    )
    op.create_index("ix_disbursement_month_year", "disbursement_month", ["year", "ym", "county_code"])
    op.create_table(
        "loan_year_end",
        sa.Column("year_end", sa.Date(), nullable=False),
        *_loan_keys(),
        sa.Column("loans", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("year_end", *(name for name, _ in LOAN_KEY_COLUMNS), name=op.f("pk_loan_year_end")),
    )
    op.create_table(
        "loan_month_flow",
        sa.Column("ym", sa.Integer(), nullable=False),
        *_loan_keys(),
        sa.Column("issued_loans", sa.BigInteger(), nullable=False),
        sa.Column("issued_fen", sa.BigInteger(), nullable=False),
        sa.Column("ended_loans", sa.BigInteger(), nullable=False),
        sa.Column("ended_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("ym", *(name for name, _ in LOAN_KEY_COLUMNS), name=op.f("pk_loan_month_flow")),
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    # the loans' totals (0024) come with their own tables, made there
    summaries.install(op.get_bind(), ("disbursement", "loan"), loan_totals=False)


def downgrade() -> None:
    summaries.drop_triggers(op.get_bind(), ("disbursement", "loan"))
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table("loan_month_flow")
    op.drop_table("loan_year_end")
    op.drop_index("ix_disbursement_month_year", table_name="disbursement_month")
    op.drop_table("disbursement_month")
