"""Assessment (考核, seeds/004 attachment 2): rubrics as trees of items, and scores per unit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from .. import vocab
from .base import Base, Points, one_of


class Rubric(Base):
    """A named rubric, e.g. ``chaoyang-2020-sector``; its items hang below it as a tree."""

    __tablename__ = "rubric"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    year: Mapped[int]
    basis: Mapped[str] = mapped_column(String(200), doc="document and clause the rubric comes from")
    max_points: Mapped[Decimal] = mapped_column(Points)
    bonus_cap: Mapped[Decimal | None] = mapped_column(Points)


class RubricItem(Base):
    """One item of a rubric.  ``kind`` says how it scores; ``params`` holds its rule's numbers."""

    __tablename__ = "rubric_item"
    __table_args__ = (
        UniqueConstraint("rubric_id", "code"),
        one_of("kind", vocab.RUBRIC_ITEM_KINDS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubric.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    parent_code: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[int]
    title_zh: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(24))
    max_points: Mapped[Decimal] = mapped_column(Points)
    is_bonus: Mapped[bool] = mapped_column(default=False)
    params: Mapped[dict] = mapped_column(JSON, default=dict)


class Score(Base):
    """The raw input and points of one item for one unit and year, with evidence and assessor."""

    __tablename__ = "score"
    __table_args__ = (UniqueConstraint("rubric_id", "unit_code", "year", "item_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubric.id", ondelete="CASCADE"))
    unit_code: Mapped[str] = mapped_column(String(32), doc="region code or department code")
    county_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    year: Mapped[int]
    item_code: Mapped[str] = mapped_column(String(32))
    points: Mapped[Decimal | None] = mapped_column(Points)
    raw_value: Mapped[float | None] = mapped_column(doc="measured value or count, for computed items")
    evidence: Mapped[str | None] = mapped_column(Text)
    assessor: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.current_timestamp()
    )
