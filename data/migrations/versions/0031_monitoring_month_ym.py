"""An index of the monitoring summary's months by month (``ix_monitoring_month_ym``), on
PostgreSQL only, for the prefecture's households under monitoring.

The prefecture's figure on a day adds the months of its year before it from ``monitoring_month``
(migration 0026), keyed by county, category, cause and month.  SQLite keeps the rows in that
order and reads each county's range of it; PostgreSQL's table is a heap beside the key, and with
no county to start the key from it scanned every month of every year: at ten times the demo
27,000 rows for the 2,300 of the year, 4.3-4.9 ms of a read the index brings to 2.1-2.6 ms.

Revision ID: 0031
Revises: 0030
"""

from __future__ import annotations

from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_monitoring_month_ym", "monitoring_month", ["ym"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_monitoring_month_ym", table_name="monitoring_month")
