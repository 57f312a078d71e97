"""Payments by the category of their project, kept by triggers (``disbursement_category_month``,
see :mod:`fundwatch.data.summaries`).

The transition page shows, for every county and year, the share of the linkage funds spent on
industry projects.  It read the payments of every industry project through
``ix_disbursement_project`` (about 108,000 projects at ten times the demo: 150-600 ms, once per
write and per process); the summary answers it from a few thousand rows.  The upgrade creates the
table, fills it from the payments already in the database and creates the triggers on
``disbursement`` (every payment written) and on ``project`` (a project's category changed).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data import summaries

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disbursement_category_month",
        sa.Column("programme", sa.String(length=24), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("ym", sa.Integer(), nullable=False),
        sa.Column("payments", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("programme", "category", "county_code", "year", "ym",
                                name=op.f("pk_disbursement_category_month")),
    )
    summaries.install(op.get_bind(), ("disbursement_category",))


def downgrade() -> None:
    summaries.drop_triggers(op.get_bind(), ("disbursement_category",))
    op.drop_table("disbursement_category_month")
