"""The record lists' rows per county, kept by triggers (``record_count``, see
:mod:`fundwatch.data.summaries`).

The drill-down's record lists show their number of rows beside each page; counted over the raw
rows, that number grew with every year of history (a county's 700,000 loans at ten times the demo:
28 ms on SQLite, 35-75 ms on PostgreSQL, in every county change).  The summary answers a county's
or the prefecture's total from a few rows.  The upgrade creates the table, fills it from the rows
already in the database and creates the triggers on ``project``, ``loan``, ``asset`` and
``household``.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data import summaries

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_count",
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source", "county_code", name=op.f("pk_record_count")),
    )
    summaries.install(op.get_bind(), ("records",))


def downgrade() -> None:
    summaries.drop_triggers(op.get_bind(), ("records",))
    op.drop_table("record_count")
