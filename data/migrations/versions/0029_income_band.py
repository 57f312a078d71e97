"""The transition page's households by income band as a summary of their events
(``income_band_year``, ``income_band_month``, ``income_band_day``; see
:mod:`fundwatch.data.summaries`).

The households on record by income against their county's alert line (1.2 x the dibao standard of
their income year, seeds/003 二(一)), in bands of a tenth of the line, and those of them under
monitoring on a date, were counted from the raw households on every read: at ten times the demo
the 79,000 households of the largest county in 12-15 ms, the prefecture's 800,000 in 330-370 ms on
either database, read again by the first view of the transition page after every write.  A
household's band depends on its own row and one dibao standard, and its monitoring on days of its
own (found, risk eliminated), so triggers on ``household`` keep the bands per county by year,
month and day like the monitoring mix of migration 0026, and triggers on ``dibao_standard`` move
the households of a standard's county and year when the standard is written.

Revision ID: 0029
Revises: 0028
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data import summaries

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

SOURCES = ("income_band",)


def _table(name: str, keys: tuple[tuple[str, sa.types.TypeEngine], ...]) -> None:
    """A summary table keyed by ``keys`` (its primary key, in that order), counting households and
    those under monitoring; without a rowid on SQLite (a read takes its rows from the key's range)."""
    op.create_table(name, *(sa.Column(key, kind, nullable=False) for key, kind in keys),
                    sa.Column("households", sa.BigInteger(), nullable=False),
                    sa.Column("monitored", sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint(*(key for key, _ in keys), name=op.f(f"pk_{name}")),
                    sqlite_with_rowid=False)


def upgrade() -> None:
    county, band = ("county_code", sa.String(length=16)), ("bin", sa.Integer())
    # a year's and a month's rows keyed with the period last, a day's with the day first after
    # the county (as in 0026)
    _table("income_band_year", (county, band, ("year", sa.Integer())))
    _table("income_band_month", (county, band, ("ym", sa.Integer())))
    _table("income_band_day", (county, ("event_on", sa.Date()), band))
    summaries.install(op.get_bind(), SOURCES)


def downgrade() -> None:
    summaries.drop_triggers(op.get_bind(), SOURCES)
    for grain in ("day", "month", "year"):
        op.drop_table(f"income_band_{grain}")
