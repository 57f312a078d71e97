"""The transition page's assistance measures by kind as a summary of their starts
(``measure_mix_year``, ``measure_mix_month``, ``measure_mix_day``; see
:mod:`fundwatch.data.summaries`), and ``assistance_measure.first_of_kind``, which says whether a
measure is the earliest of its household's measures of its kind in its county.

The mix (measures, households helped and amount per kind, started by a date) was summed from a
county's raw measures on every read, a distinct count of households among them: at ten times the
demo 34,000 of the largest county's measures, 16-22 ms on either database, read again by every
county change after a write.  A measure counts from its start, and its household with it where it
is the first of its kind, so triggers on ``assistance_measure`` keep those starts per county and
kind by year, month and day, and other triggers keep the flag (a measure written earlier than a
household's first of its kind takes the flag from it).

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data import summaries

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

SOURCES = ("first_of_kind", "measure_mix")


def _table(name: str, keys: tuple[tuple[str, sa.types.TypeEngine], ...]) -> None:
    """A summary table keyed by ``keys`` (its primary key, in that order); without a rowid on
    SQLite (a read takes its rows from the key's range itself)."""
    op.create_table(name, *(sa.Column(key, kind, nullable=False) for key, kind in keys),
                    *(sa.Column(measure, sa.BigInteger(), nullable=False)
                      for measure in ("measures", "households", "amount_fen")),
                    sa.PrimaryKeyConstraint(*(key for key, _ in keys), name=op.f(f"pk_{name}")),
                    sqlite_with_rowid=False)


def upgrade() -> None:
    conn = op.get_bind()
    op.add_column("assistance_measure",
                  sa.Column("first_of_kind", sa.Boolean(), nullable=False, server_default=sa.false()))
    county, kind = ("county_code", sa.String(length=16)), ("kind", sa.String(length=24))
    # a year's and a month's rows keyed with the period last (a county's figure is one range of
    # the key, in group order), a day's with the day first after the county (as in 0026)
    _table("measure_mix_year", (county, kind, ("year", sa.Integer())))
    _table("measure_mix_month", (county, kind, ("ym", sa.Integer())))
    _table("measure_mix_day", (county, ("event_on", sa.Date()), kind))
    summaries.install(conn, SOURCES)
    if conn.dialect.name == "postgresql":
        # The flags' fill wrote a new version of almost every measure; rewritten in key order, as
        # 0021 did for the households (its note says why).
        op.execute("CLUSTER assistance_measure USING pk_assistance_measure")
    op.execute("ANALYZE assistance_measure")


def downgrade() -> None:
    summaries.drop_triggers(op.get_bind(), SOURCES)
    for grain in ("day", "month", "year"):
        op.drop_table(f"measure_mix_{grain}")
    op.drop_column("assistance_measure", "first_of_kind")
