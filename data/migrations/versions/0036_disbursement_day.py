"""Payments per budget year, month, county, day paid, source level and programme, kept by
triggers (``disbursement_day``, see :mod:`fundwatch.data.summaries`).

The disbursement pace of a day inside a month took the whole months from ``disbursement_month``
and the month's payments so far from the raw table: at ten times the demo, on 17 June, the
prefecture's 9,800 payments (2.4-3.4 ms against 0.5-0.8 on 30 June) and the largest county's
1,200 (1.2-1.9 ms against 0.2-0.6), found through the month's range of ``ix_disbursement_day``.
The pages open on today, most days inside a month.  The day summary holds those payments in 1,700
and 110 rows.  The upgrade creates the table, fills it from the payments already in the database
and creates the triggers on ``disbursement``.

Revision ID: 0036
Revises: 0035
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data import summaries

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the month leads (a partial month is one range, of the prefecture or, after it, of a county)
    op.create_table(
        "disbursement_day",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("ym", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("source_level", sa.String(length=16), nullable=False),
        sa.Column("programme", sa.String(length=24), nullable=False),
        sa.Column("payments", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("year", "ym", "county_code", "paid_on", "source_level", "programme",
                                name=op.f("pk_disbursement_day")),
        sqlite_with_rowid=False,
    )
    summaries.install(op.get_bind(), ("disbursement_day",))


def downgrade() -> None:
    summaries.drop_triggers(op.get_bind(), ("disbursement_day",))
    op.drop_table("disbursement_day")
