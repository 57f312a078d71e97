"""Kept findings of the policy rules, and the data generation that tells when they are still true.

``data_generation`` holds one row whose counter triggers on the rules' source tables move with
every write (see :mod:`fundwatch.data.generation`); ``finding_snapshot`` keeps the findings of a
scope, year and date at one generation (see :mod:`fundwatch.data.rules.stored`).  Nothing is
evaluated here: the first read of each view fills its snapshot, and a served process fills the
default views in the background.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fundwatch.data import generation

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_generation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_generation")),
    )
    op.execute("INSERT INTO data_generation (id, generation) VALUES (1, 0)")
    op.create_table(
        "finding_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_key", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("config", sa.String(length=64), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_snapshot")),
        sa.UniqueConstraint("scope_key", "year", "as_of", "config", "generation", name="uq_finding_snapshot_key"),
    )
    generation.create_triggers(op.get_bind())


def downgrade() -> None:
    generation.drop_triggers(op.get_bind())
    op.drop_table("finding_snapshot")
    op.drop_table("data_generation")
