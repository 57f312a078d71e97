"""The transition page's households under monitoring by category and cause, and its households by
wait for their first assistance measure, as summaries of their events (``monitoring_year``,
``monitoring_month``, ``monitoring_day`` and the same of ``wait``; see :mod:`fundwatch.data.summaries`).

Both were counted from a county's raw households on every read, the rows found by the date: at ten
times the demo, 20,000 of the largest county's households and 8-12 ms each on either database, read
again by every county change after a write.  A household's membership of either figure changes on a
few days of its own (found, risk eliminated; identified, first measure started), so triggers on
``household`` keep those changes per county and year, month and day; a figure on a date is the
years before its year, the months of its year before its month and the days of its own month.

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data import summaries

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

SOURCES = ("monitoring", "wait")


def _table(name: str, keys: tuple[tuple[str, sa.types.TypeEngine], ...], measures: tuple[str, ...]) -> None:
    """A summary table keyed by ``keys`` (its primary key, in that order), summing ``measures``;
    without a rowid on SQLite (a read takes its rows from the key's range itself)."""
    op.create_table(name, *(sa.Column(key, kind, nullable=False) for key, kind in keys),
                    *(sa.Column(measure, sa.BigInteger(), nullable=False) for measure in measures),
                    sa.PrimaryKeyConstraint(*(key for key, _ in keys), name=op.f(f"pk_{name}")),
                    sqlite_with_rowid=False)


def upgrade() -> None:
    county, day = ("county_code", sa.String(length=16)), ("event_on", sa.Date())
    for name, keys, measures in (
            ("monitoring", (("category", sa.String(length=24)), ("cause", sa.String(length=24))),
             ("households", "members")),
            ("wait", (("wait", sa.String(length=16)),), ("households",))):
        # a year's and a month's rows keyed with the period last: a county's figure is one
        # range of the key, in group order; a day's with the day first after the county
        _table(f"{name}_year", (county, *keys, ("year", sa.Integer())), measures)
        _table(f"{name}_month", (county, *keys, ("ym", sa.Integer())), measures)
        _table(f"{name}_day", (county, day, *keys), measures)
    summaries.install(op.get_bind(), SOURCES)


def downgrade() -> None:
    summaries.drop_triggers(op.get_bind(), SOURCES)
    for name in SOURCES:
        for grain in ("day", "month", "year"):
            op.drop_table(f"{name}_{grain}")
