"""The loans' totals per county, programme and status, kept by the loan summaries' triggers
(``loan_total_year_end``, ``loan_total_month_flow``, see :mod:`fundwatch.data.summaries`).

The leverage (the overview's and the county page's, the scoring page's measure, rule L1) and the
loans by county read the loan summaries grouped by county or programme alone, yet summed the rows
of every bank and borrower type: the prefecture's position in the middle of a year was the
year-end snapshot and six months of flows, 10,400 rows at ten times the demo (PostgreSQL 6.2 ms
of the statement, 7.7-11.8 ms of each read).  The same figures per county, programme and status
are 850 rows (0.6 ms).  The upgrade creates the two tables, fills them from the full grain
(:func:`~fundwatch.data.summaries.fill_loan_totals`: seconds, where reading every loan again took
more than a minute on SQLite at that scale) and replaces the loan triggers with those that from
then on write both grains.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data import summaries

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

# Literal copies of the models' columns: a migration never changes with the models.
KEYS = (("county_code", 12), ("programme", 32), ("status", 16))


def _keys() -> list[sa.Column]:
    return [sa.Column(name, sa.String(length=length), nullable=False) for name, length in KEYS]


def upgrade() -> None:
    op.create_table(
        "loan_total_year_end",
        sa.Column("year_end", sa.Date(), nullable=False),
        *_keys(),
        sa.Column("loans", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("year_end", *(name for name, _ in KEYS), name=op.f("pk_loan_total_year_end")),
    )
    op.create_table(
        "loan_total_month_flow",
        sa.Column("ym", sa.Integer(), nullable=False),
        *_keys(),
        sa.Column("issued_loans", sa.BigInteger(), nullable=False),
        sa.Column("issued_fen", sa.BigInteger(), nullable=False),
        sa.Column("ended_loans", sa.BigInteger(), nullable=False),
        sa.Column("ended_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("ym", *(name for name, _ in KEYS), name=op.f("pk_loan_total_month_flow")),
    )
    conn = op.get_bind()
    summaries.drop_triggers(conn, ("loan",))
    summaries.fill_loan_totals(conn)
    summaries.create_triggers(conn, ("loan",))
    for table in ("loan_total_year_end", "loan_total_month_flow"):  # filled: their planner statistics
        op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    conn = op.get_bind()
    summaries.drop_triggers(conn, ("loan",))
    op.drop_table("loan_total_month_flow")
    op.drop_table("loan_total_year_end")
    summaries.create_triggers(conn, ("loan",), loan_totals=False)  # the triggers of 0005-0023
