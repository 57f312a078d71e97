"""An index of the households that returned to poverty.

Rule H4 (the red line: no large-scale return to poverty, seeds/003 一) counts the households
that returned to poverty in the evaluated year.  Nothing indexed ``returned_to_poverty_on``, so
every evaluation read the whole household table for the few it holds (ten times the demo: 5 of
600,000 households, SQLite 495 ms, PostgreSQL 57 ms of every evaluation).  A partial index holds
only the households with the date, on both backends.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

RETURNED = sa.text("returned_to_poverty_on IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_household_returned", "household", ["returned_to_poverty_on", "county_code"],
                    sqlite_where=RETURNED, postgresql_where=RETURNED)


def downgrade() -> None:
    op.drop_index("ix_household_returned", table_name="household")
