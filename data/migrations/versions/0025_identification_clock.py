"""The identification clock's summaries (``clock_month``, ``clock_day``) and the due dates they
judge by (``workday_due``), see :mod:`fundwatch.data.summaries` and :mod:`fundwatch.data.due_dates`.

The transition page's identification clock (on time, late and undecided cases per county and
found month of a year) read every case the prefecture found that year and judged each against its
due date, 15 working days after it was found, in Python: 19,000 cases and 21-27 ms at ten times the
demo, and the largest read the page makes again after every write.  The working-day calendar now
lives in the database as well, one row per day of 2010-2040, so triggers on ``household`` keep
the clock's events per county, found month and the month (and day) they happen; the clock of a
year is a sum over a few hundred rows.

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data import due_dates, summaries

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def _counts() -> list[sa.Column]:
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in ("found", "on_time", "late", "provisional")]


def _clock_table(name: str, *keys: tuple[str, sa.types.TypeEngine]) -> None:
    """A table of the clock's counts keyed by ``keys`` (its primary key, in that order)."""
    op.create_table(name, *(sa.Column(key, kind, nullable=False) for key, kind in keys), *_counts(),
                    sa.PrimaryKeyConstraint(*(key for key, _ in keys), name=op.f(f"pk_{name}")))


def upgrade() -> None:
    op.create_table(
        "workday_due",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("late_on", sa.Date(), nullable=False),
        sa.Column("provisional", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_workday_due")),
    )
    county, found = sa.String(length=16), sa.Integer()
    _clock_table("clock_month", ("found_ym", found), ("county_code", county), ("event_ym", sa.Integer()))
    _clock_table("clock_day", ("event_on", sa.Date()), ("county_code", county), ("found_ym", found))
    conn = op.get_bind()
    due_dates.fill(conn)
    summaries.install(conn, ("clock",))
    op.execute("ANALYZE workday_due")


def downgrade() -> None:
    summaries.drop_triggers(op.get_bind(), ("clock",))
    op.drop_table("clock_day")
    op.drop_table("clock_month")
    op.drop_table("workday_due")
