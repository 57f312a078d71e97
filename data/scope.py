"""What a user may see: the set of counties every read is restricted to.

Every read in :mod:`fundwatch.data.reads` takes a :class:`Scope` and has no default for it: a
caller that forgets it fails, it does not get everything.  ``Scope.all()`` is for city-level
roles only; a county official gets ``Scope.county(code)``; an unknown user gets
``Scope.nothing()`` and sees no rows (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, true


@dataclass(frozen=True)
class Scope:
    """The counties a user may see; ``counties=None`` means every county (city-level roles)."""

    counties: frozenset[str] | None

    @classmethod
    def all(cls) -> Scope:
        return cls(None)

    @classmethod
    def county(cls, code: str) -> Scope:
        if not code:
            return cls.nothing()
        return cls(frozenset({code}))

    @classmethod
    def of(cls, codes: Iterable[str]) -> Scope:
        return cls(frozenset(codes))

    @classmethod
    def nothing(cls) -> Scope:
        return cls(frozenset())

    @property
    def is_all(self) -> bool:
        return self.counties is None

    def allows(self, county_code: str | None) -> bool:
        if self.counties is None:
            return True
        return county_code is not None and county_code in self.counties

    def clause(self, column) -> ColumnElement[bool]:
        """A SQL condition keeping rows of ``column`` (a county-code column) inside the scope."""
        if self.counties is None:
            return true()
        if not self.counties:
            return false()
        return column.in_(sorted(self.counties))

    @property
    def key(self) -> str:
        """A stable string for cache keys: ``*`` for all, else the sorted codes."""
        return "*" if self.counties is None else ",".join(sorted(self.counties)) or "-"

    def __str__(self) -> str:
        return f"Scope({self.key})"


def require_scope(scope: object) -> Scope:
    """Fail closed: reads refuse anything that is not a :class:`Scope`."""
    if not isinstance(scope, Scope):
        raise TypeError(f"a Scope is required, got {type(scope).__name__}")
    return scope
