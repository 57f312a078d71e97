"""Reusable Panel components of fundwatch: stores, views and their exports.

A page (or a notebook) builds a store and hands it to views::

    store = CountyStore(engine=engine, scope=Scope.county("360731"), year=2020)
    pn.Column(KpiCards(store=store), DisbursementCurve(store=store), WarningTable(store=store))

Components declare the Panel extensions they need in :data:`EXTENSIONS`; the caller loads them
(``pn.extension(*EXTENSIONS)``), components never do.
"""

from __future__ import annotations

from . import frames, loaders

#: Panel extensions the views need (loaded by the dashboards or a notebook, never here).
EXTENSIONS = ("tabulator",)


def clear_caches() -> None:
    """Forget every cached read and frame, e.g. after an import wrote to the database."""
    from . import transition  # noqa: PLC0415 - a page's caches; importing it at the top would be circular

    for cached in (*loaders.CACHED, *frames.CACHED, *transition.CACHED):
        cached.clear()


__all__ = ["EXTENSIONS", "clear_caches"]
