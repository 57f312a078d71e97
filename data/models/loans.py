"""Loans of the credit programmes (信贷通) and the risk-mitigation fund deposits behind them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .. import vocab
from .base import Base, Fen, not_negative, one_of


class Loan(Base):
    """One loan.  Borrower name and ID number are personal data: masked before leaving ``data``.

    A loan is outstanding on a date when ``issued_on <= date`` and it was not repaid by then
    (``repaid_on`` NULL or later).  ``status`` is the loan's state as last reported.
    The guarantee fee is borne city:county 5:5 (seeds/000 item 8); the two shares are stored.
    """

    __tablename__ = "loan"
    __table_args__ = (
        one_of("programme", vocab.LOAN_PROGRAMMES),
        one_of("borrower_type", vocab.BORROWER_TYPES),
        one_of("status", vocab.LOAN_STATUSES),
        one_of("industry", vocab.INDUSTRIES),
        one_of("guarantee_bearer", vocab.GUARANTEE_BEARERS),
        *not_negative(
            "amount_fen", "interest_subsidy_fen", "guarantee_fee_fen",
            "guarantee_city_fen", "guarantee_county_fen",
        ),
        Index("ix_loan_county", "county_code", "issued_on", "repaid_on", "amount_fen"),
        Index("ix_loan_county_status", "county_code", "status", "borrower_type", "bank"),
        Index("ix_loan_village", "village_code"),
        Index("ix_loan_issued", "issued_on", "county_code"),
        Index("ix_loan_repaid", "repaid_on", "county_code"),
        Index("ix_loan_village_issued", "village_code", "issued_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_no: Mapped[str] = mapped_column(String(40), unique=True)
    programme: Mapped[str] = mapped_column(String(32))
    bank: Mapped[str] = mapped_column(String(40))
    borrower_type: Mapped[str] = mapped_column(String(32))
    borrower_name: Mapped[str] = mapped_column(String(64))
    borrower_id_no: Mapped[str | None] = mapped_column(String(18), doc="ID number or credit code")
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    village_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    amount_fen: Mapped[int] = mapped_column(Fen)
    rate_pct: Mapped[float] = mapped_column(doc="annual interest rate, percent")
    issued_on: Mapped[dt.date] = mapped_column(Date)
    maturity_on: Mapped[dt.date] = mapped_column(Date)
    repaid_on: Mapped[dt.date | None] = mapped_column(Date)
    industry: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))
    interest_subsidy_fen: Mapped[int] = mapped_column(Fen, default=0)
    guarantee_fee_fen: Mapped[int] = mapped_column(Fen, default=0)
    guarantee_bearer: Mapped[str] = mapped_column(String(16), default="city_county")
    guarantee_city_fen: Mapped[int] = mapped_column(Fen, default=0)
    guarantee_county_fen: Mapped[int] = mapped_column(Fen, default=0)


class RiskFundDeposit(Base):
    """Risk-mitigation fund (风险缓释金) deposited with a partner bank; banks lend up to 8x it."""

    __tablename__ = "risk_fund_deposit"
    __table_args__ = (
        one_of("programme", vocab.LOAN_PROGRAMMES),
        *not_negative("amount_fen"),
        Index("ix_risk_fund_county", "county_code", "deposited_on", "programme", "amount_fen"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    programme: Mapped[str] = mapped_column(String(32))
    bank: Mapped[str] = mapped_column(String(40))
    deposited_on: Mapped[dt.date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(Fen)
    document_no: Mapped[str | None] = mapped_column(String(64))
