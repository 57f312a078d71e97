"""The transition page's open monitoring cases by age and status as a summary of their events
(``case_age_year``, ``case_age_month``, ``case_age_day``; see :mod:`fundwatch.data.summaries`).

They were counted from a county's raw households on every read, every case found by the date: at
ten times the demo 20,000 of the largest county's households, 10-20 ms on either database, read
again by every county change after a write.  A case's age bucket and status change on days of
its own (found, found plus each bucket's bound, identified, risk eliminated), so triggers on
``household`` keep those changes per county, bucket and status by year, month and day, like the
monitoring mix of migration 0026.

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data import summaries

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

SOURCES = ("case_age",)


def _table(name: str, keys: tuple[tuple[str, sa.types.TypeEngine], ...]) -> None:
    """A summary table keyed by ``keys`` (its primary key, in that order), counting households;
    without a rowid on SQLite (a read takes its rows from the key's range itself)."""
    op.create_table(name, *(sa.Column(key, kind, nullable=False) for key, kind in keys),
                    sa.Column("households", sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint(*(key for key, _ in keys), name=op.f(f"pk_{name}")),
                    sqlite_with_rowid=False)


def upgrade() -> None:
    county, day = ("county_code", sa.String(length=16)), ("event_on", sa.Date())
    keys = (("age", sa.String(length=16)), ("status", sa.String(length=16)))
    # a year's and a month's rows keyed with the period last (a county's figure is one range of
    # the key, in group order), a day's with the day first after the county (as in 0026)
    _table("case_age_year", (county, *keys, ("year", sa.Integer())))
    _table("case_age_month", (county, *keys, ("ym", sa.Integer())))
    _table("case_age_day", (county, day, *keys))
    conn = op.get_bind()
    summaries.install(conn, SOURCES)
    # SQLite's triggers of 0026 made again as those of 0027 are made: they add a row's events one
    # by one and skip a household never found (the same sums, in less time)
    summaries.drop_triggers(conn, ("monitoring", "wait"))
    summaries.create_triggers(conn, ("monitoring", "wait"))


def downgrade() -> None:
    summaries.drop_triggers(op.get_bind(), SOURCES)
    for grain in ("day", "month", "year"):
        op.drop_table(f"case_age_{grain}")
