"""Funds: allocations (下达), the project pool (项目库), disbursements (拨付) and county finance."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .. import vocab
from .base import Base, Fen, not_negative, one_of


class Allocation(Base):
    """Money allocated to a county for a year, from one source level, under one programme.

    ``integrable`` marks superior agriculture-related funds inside the integration scope (38 items
    for poor counties, 21 for the others, seeds/000 item 4); ``integrated`` marks the part the
    county actually put into its integration plan (rules F3 and F4).
    """

    __tablename__ = "allocation"
    __table_args__ = (
        one_of("programme", vocab.PROGRAMMES),
        one_of("source_level", vocab.SOURCE_LEVELS),
        *not_negative("amount_fen"),
        UniqueConstraint("county_code", "year", "document_no", "programme", "source_level"),
        Index("ix_allocation_county_year", "county_code", "year", "source_level", "programme", "amount_fen"),
        Index("ix_allocation_year", "year", "county_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    programme: Mapped[str] = mapped_column(String(24))
    source_level: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(Fen)
    document_no: Mapped[str] = mapped_column(String(64), doc="文号, e.g. 赣市财农指〔2020〕3号")
    issued_on: Mapped[dt.date] = mapped_column(Date)
    integrable: Mapped[bool] = mapped_column(Boolean, default=False)
    integrated: Mapped[bool] = mapped_column(Boolean, default=False)
    published_on: Mapped[dt.date | None] = mapped_column(
        Date, doc="date the allocation result was made public (公开公示, seeds/000 item 15)"
    )


class Project(Base):
    """A project. Only projects in the pool (``in_pool``) may get special funds (seeds/004 (六))."""

    __tablename__ = "project"
    __table_args__ = (
        one_of("category", vocab.PROJECT_CATEGORIES),
        one_of("status", vocab.PROJECT_STATUSES),
        *not_negative("budget_fen"),
        Index("ix_project_county", "county_code", "start_year", "township_code", "village_code"),
        Index("ix_project_budget", "budget_fen"),
        Index("ix_project_county_budget", "county_code", "budget_fen"),
        Index("ix_project_township_budget", "township_code", "budget_fen"),
        Index("ix_project_village_budget", "village_code", "budget_fen"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, doc="project-pool number or county's own code")
    name: Mapped[str] = mapped_column(String(128))
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    township_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    village_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    category: Mapped[str] = mapped_column(String(32))
    budget_fen: Mapped[int] = mapped_column(Fen)
    status: Mapped[str] = mapped_column(String(16))
    start_year: Mapped[int]
    end_year: Mapped[int | None]
    in_pool: Mapped[bool] = mapped_column(Boolean, default=True)
    pool_entry_no: Mapped[str | None] = mapped_column(String(32))


class Disbursement(Base):
    """A dated payment to a project, drawn on an allocation.

    ``year`` and ``ym`` (year*100 + month) are stored beside ``paid_on`` so that pace aggregates
    group on plain integers and stay index-only (DESIGN.md, Speed).  ``source_level`` and
    ``programme`` repeat the allocation's so pace per level needs no join.
    """

    __tablename__ = "disbursement"
    __table_args__ = (
        one_of("source_level", vocab.SOURCE_LEVELS),
        one_of("programme", vocab.PROGRAMMES),
        *not_negative("amount_fen"),
        UniqueConstraint("county_code", "voucher_no"),
        Index("ix_disbursement_pace", "county_code", "year", "ym", "source_level", "amount_fen"),
        Index("ix_disbursement_year_pace", "year", "ym", "source_level", "county_code", "amount_fen"),
        Index("ix_disbursement_project", "project_id", "programme", "year", "paid_on", "county_code", "amount_fen"),
        Index("ix_disbursement_allocation", "allocation_id"),
        Index("ix_disbursement_day", "ym", "paid_on", "county_code", "year", "source_level", "programme",
              "amount_fen"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"))
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("allocation.id"))
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    source_level: Mapped[str] = mapped_column(String(16))
    programme: Mapped[str] = mapped_column(String(24))
    paid_on: Mapped[dt.date] = mapped_column(Date)
    year: Mapped[int]
    ym: Mapped[int]
    amount_fen: Mapped[int] = mapped_column(Fen)
    voucher_no: Mapped[str] = mapped_column(String(40))


class CountyFinance(Base):
    """A county's general public budget revenue and what it added to its poverty budget (rule F2)."""

    __tablename__ = "county_finance"
    __table_args__ = (*not_negative("general_revenue_fen", "poverty_budget_added_fen"),)

    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    general_revenue_fen: Mapped[int] = mapped_column(Fen, doc="一般公共预算收入")
    poverty_budget_added_fen: Mapped[int] = mapped_column(Fen, doc="增列专项扶贫预算")
