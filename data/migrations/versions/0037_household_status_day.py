"""Households entering and leaving each status per county, day, township and category, kept by
triggers (``household_status_day``, see :mod:`fundwatch.data.summaries`).

The households by status on a day inside a month were the household summary's year end and
month flows plus the raw households found, identified or freed of their risk in that month so
far, each one's status worked out on the day and on the month's eve.  At ten times the demo, on
17 June, that was the prefecture's households by county in 22 ms on SQLite and 10 ms on
PostgreSQL against about 1 on 30 June, and the largest county's by category or township in
2.2-2.7 ms against 0.2-1.  The pages open on today, most days inside a month.  The day summary
holds the month's status changes already grouped per county, township, category and status.  The
upgrade creates the table, fills it from the households already in the database and creates the
triggers on ``household``.

Revision ID: 0037
Revises: 0036
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data import summaries

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the day after the county: the partial month of one county is one range of the key
    op.create_table(
        "household_status_day",
        sa.Column("county_code", sa.String(length=16), nullable=False),
        sa.Column("event_on", sa.Date(), nullable=False),
        sa.Column("township_code", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("households", sa.BigInteger(), nullable=False),
        sa.Column("members", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("county_code", "event_on", "township_code", "category", "status",
                                name=op.f("pk_household_status_day")),
        sqlite_with_rowid=False,
    )
    summaries.install(op.get_bind(), ("household_status",))


def downgrade() -> None:
    summaries.drop_triggers(op.get_bind(), ("household_status",))
    op.drop_table("household_status_day")
