"""What a user may see: the set of counties every read is restricted to, and whether small
household counts are suppressed.

Every read in :mod:`fundwatch.data.reads` takes a :class:`Scope` and has no default for it: a
caller that forgets it fails, it does not get everything.  ``Scope.all()`` is for city-level
roles only; a county official gets ``Scope.county(code)``; an unknown user gets
``Scope.nothing()`` and sees no rows (fail closed).

A scope may also carry small-count suppression (:meth:`Scope.with_small_counts_suppressed`, the
embed viewer's scope): the reads then show a count of 1 to 4 households as ``"<5"`` and return
no household records at all (:mod:`fundwatch.data.masking`).  The flag is part of the scope's
equality, hash and :attr:`Scope.key`, so a cache keyed by the scope never hands a suppressed
frame to an unsuppressed viewer or the other way round.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, true

#: What :attr:`Scope.key` appends for a scope with small-count suppression.
SUPPRESSED_KEY = ";<5"


@dataclass(frozen=True)
class Scope:
    """The counties a user may see; ``counties=None`` means every county (city-level roles).

    ``suppress_small``: household counts of 1 to 4 are shown as ``"<5"`` and household record
    lists are empty (aggregates only; see :mod:`fundwatch.data.masking`)."""

    counties: frozenset[str] | None
    suppress_small: bool = False

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

    @classmethod
    def from_key(cls, key: str) -> Scope:
        """Invert :attr:`key`: ``*`` all counties, ``-`` none, else the comma-separated codes;
        a trailing ``;<5`` marks small-count suppression."""
        suppress = key.endswith(SUPPRESSED_KEY)
        if suppress:
            key = key[: -len(SUPPRESSED_KEY)]
        if key == "*":
            scope = cls.all()
        elif key == "-":
            scope = cls.nothing()
        else:
            scope = cls.of(key.split(","))
        return scope.with_small_counts_suppressed() if suppress else scope

    def with_small_counts_suppressed(self) -> Scope:
        """The same counties, with household counts of 1 to 4 shown as ``"<5"`` (and no
        household record lists)."""
        return dataclasses.replace(self, suppress_small=True)

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

    def record_clause(self, column) -> ColumnElement[bool]:
        """:meth:`clause` for lists of household records: nothing at all under small-count
        suppression (a list of three households shows that there are three)."""
        return false() if self.suppress_small else self.clause(column)

    @property
    def key(self) -> str:
        """A stable string for cache keys: ``*`` for all, ``-`` for none, else the sorted codes;
        followed by ``;<5`` when small counts are suppressed."""
        counties = "*" if self.counties is None else ",".join(sorted(self.counties)) or "-"
        return counties + (SUPPRESSED_KEY if self.suppress_small else "")

    def __str__(self) -> str:
        return f"Scope({self.key})"


def require_scope(scope: object) -> Scope:
    """Fail closed: reads refuse anything that is not a :class:`Scope`."""
    if not isinstance(scope, Scope):
        raise TypeError(f"a Scope is required, got {type(scope).__name__}")
    return scope
