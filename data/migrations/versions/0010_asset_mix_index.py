"""A county's assets read from an index alone.

``ix_asset_mix`` holds every column the asset mix of a county reads when it is grouped by
village (the drill-down's township and village rows; :func:`fundwatch.data.reads.naive.asset_mix_frame`):
county, village, class, status, date formed, value, custodian, owner and id.  The county's
assets are then read from the index instead of the table (scale 10, one county's 31,000
assets: SQLite 89 -> 20 ms, PostgreSQL 27 -> 16 ms).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

COVERING = ["county_code", "village_code", "asset_class", "status", "formed_on", "value_fen", "custodian", "owner",
            "id"]


def upgrade() -> None:
    op.create_index("ix_asset_mix", "asset", COVERING)


def downgrade() -> None:
    op.drop_index("ix_asset_mix", table_name="asset")
