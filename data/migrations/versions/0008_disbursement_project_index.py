"""A project's payments read from the index alone.

``ix_disbursement_project`` was ``(project_id, paid_on)``; it becomes ``(project_id, programme,
year, paid_on, county_code, amount_fen)``: the transition page's linkage funds spent on industry
projects (:func:`fundwatch.data.reads.transition.continuity_funds_frame`) and the rules asking
whether a project was paid (Q2, Q3) find every column they need in it, without reading the
payments themselves.  Same name and leading column, so nothing that used the old one loses it.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COVERING = ["project_id", "programme", "year", "paid_on", "county_code", "amount_fen"]


def upgrade() -> None:
    op.drop_index("ix_disbursement_project", table_name="disbursement")
    op.create_index("ix_disbursement_project", "disbursement", COVERING)


def downgrade() -> None:
    op.drop_index("ix_disbursement_project", table_name="disbursement")
    op.create_index("ix_disbursement_project", "disbursement", ["project_id", "paid_on"])
