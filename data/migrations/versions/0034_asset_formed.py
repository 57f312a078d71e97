"""Assets per county, class, status, custody and ownership by the year, month and day they were
formed, kept by triggers (``asset_formed_year``, ``asset_formed_month``, ``asset_formed_day``; see
:mod:`fundwatch.data.summaries`).

The transition page's assets formed by a date and their custody took the whole years from
``asset_year`` and read every asset formed in the date's year so far from the raw table: at ten
times the demo, on 30 June, 11,000 assets of the prefecture (SQLite 8-13 ms, PostgreSQL 31-64 ms)
and 1,400 of the largest county (6-9 ms on either), a part that grows through the year and with
the assets each year forms.  The day summary answers both from the years before the date's, its
year's whole months and the days after them.  The upgrade creates the tables, fills them from the
assets already in the database and creates the triggers on ``asset``.

Revision ID: 0034
Revises: 0033
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data import summaries

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

SOURCES = ("asset_formed",)


def _table(name: str, keys: tuple[tuple[str, sa.types.TypeEngine], ...]) -> None:
    """A summary table keyed by ``keys`` (its primary key, in that order); without a rowid on
    SQLite (a read takes its rows from the key's range itself)."""
    op.create_table(name, *(sa.Column(key, kind, nullable=False) for key, kind in keys),
                    *(sa.Column(measure, sa.BigInteger(), nullable=False) for measure in ("assets", "value_fen")),
                    sa.PrimaryKeyConstraint(*(key for key, _ in keys), name=op.f(f"pk_{name}")),
                    sqlite_with_rowid=False)


def upgrade() -> None:
    text = sa.String(length=16)
    keys = (("county_code", text), ("asset_class", text), ("status", text), ("no_custodian", sa.Integer()),
            ("no_owner", sa.Integer()))
    # a year's and a month's rows keyed with the period last (a county's figure is one range of
    # the key, in group order), a day's with the day first after the county (as in 0026)
    _table("asset_formed_year", (*keys, ("year", sa.Integer())))
    _table("asset_formed_month", (*keys, ("ym", sa.Integer())))
    _table("asset_formed_day", (keys[0], ("event_on", sa.Date()), *keys[1:]))
    summaries.install(op.get_bind(), SOURCES)


def downgrade() -> None:
    summaries.drop_triggers(op.get_bind(), SOURCES)
    for grain in ("day", "month", "year"):
        op.drop_table(f"asset_formed_{grain}")
