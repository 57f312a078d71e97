"""The declarative base, naming convention and column helpers shared by every model."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# Money is stored exactly, as whole fen (1 yuan = 100 fen) in a 64-bit integer: sums in SQL stay
# exact on every backend (SQLite has no decimal type).
Fen = BigInteger


class Points(TypeDecorator):
    """Rubric points stored exactly as integer hundredths, returned as :class:`~decimal.Decimal`."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        hundredths = Decimal(value) * 100
        if hundredths != hundredths.to_integral_value():
            raise ValueError(f"points {value} have more than two decimals")
        return int(hundredths)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(value) / 100


def one_of(column: str, codes: Iterable[str], name: str | None = None) -> CheckConstraint:
    """A CHECK constraint keeping ``column`` inside a controlled vocabulary."""
    listed = ", ".join(f"'{c}'" for c in codes)
    return CheckConstraint(f"{column} IN ({listed})", name=name or f"{column}_vocab")


def not_negative(*columns: str) -> list[CheckConstraint]:
    return [CheckConstraint(f"{c} >= 0", name=f"{c}_not_negative") for c in columns]
