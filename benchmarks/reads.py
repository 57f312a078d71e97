"""Each page read from the summary tables beside the same figure summed over the raw rows.

The reads are the loaders' (``fundwatch.components.loaders``) with the pages' default arguments:
the prefecture and one county, year 2024, as of 2024-06-30, a month end, and again as of
2024-06-17 for every read that depends on the day (the pages open on today, most days inside a
month, where a summary kept by month takes the partial month from elsewhere).  "naive" is the raw
computation in :mod:`fundwatch.data.reads.naive`; the ratio is naive / summary of the medians.  The identification
clock's raw side is :func:`fundwatch.data.reads.transition.identification_clock_raw`, the monitoring
mix's, the waits', the case ages', the measure mix's, the income bands' and the open cases' their
``raw_`` reads in the same module, as are the assets formed's and the asset custody's.  A page read
with no faster way is timed too and shown as "raw" with a ratio of 1 (the allocations by year), so
that the table never hides a read that still grows with history.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from typing import TextIO

import numpy as np

from fundwatch.data import db, reads, rules
from fundwatch.data.reads import naive
from fundwatch.data.reads import transition as transition_reads
from fundwatch.data.rubric.measures import measure
from fundwatch.data.rules import stored
from fundwatch.data.scope import Scope

YEAR, AS_OF, COUNTY, TOWNSHIP = 2024, dt.date(2024, 6, 30), "360731", "360731100"
#: A day inside a month, as the pages open on (today): the reads whose summaries end at a month
#: and take the partial month from elsewhere are timed on it too, as "<read> inside a month".
INSIDE = dt.date(2024, 6, 17)
#: The reads that do not depend on the day (the year's assets, the allocations): timed once.
UNDATED = ("asset places", "allocations by year")


def all_cases(engine) -> dict[str, tuple[Callable[[], object] | None, Callable[[], object]]]:
    """Every read on :data:`AS_OF` (a month end), then the dated ones on :data:`INSIDE`."""
    out = dict(_cases(engine))
    out |= {f"{name} inside a month": functions for name, functions in _cases(engine, INSIDE).items()
            if not name.startswith(UNDATED)}
    return out


def _cases(engine, as_of: dt.date = AS_OF) -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    everyone = Scope.all()
    out = {}
    for label, region in (("prefecture", None), ("county", COUNTY)):
        out[f"pace {label}"] = (
            lambda r=region: reads.disbursement_pace_frame(engine, everyone, YEAR, as_of=as_of, region=r),
            lambda r=region: naive.disbursement_pace_frame(engine, everyone, YEAR, as_of=as_of, region=r))
        for by in ("county_code", "bank", "borrower_type"):
            out[f"loan position by {by} {label}"] = (
                lambda r=region, b=by: reads.loan_position_frame(engine, everyone, as_of, by=(b,), region=r),
                lambda r=region, b=by: naive.loan_position_frame(engine, everyone, as_of, by=(b,), region=r))
    out["pace by county"] = (lambda: reads.pace_by_county_frame(engine, everyone, YEAR, as_of=as_of),
                             lambda: naive.pace_by_county_frame(engine, everyone, YEAR, as_of=as_of))
    for label, region in (("prefecture", None), ("county", COUNTY)):
        for by in ("county_code", "asset_class"):
            out[f"asset mix by {by} {label}"] = (
                lambda r=region, b=by: reads.asset_mix_frame(engine, everyone, by=(b,), region=r, formed_by_year=YEAR),
                lambda r=region, b=by: naive.asset_mix_frame(engine, everyone, by=(b,), region=r, formed_by_year=YEAR))
    # the rankings' assets (components/frames.py): a county's townships, a township's villages, and
    # a township's by class (migration 0033), against its assets placed by their villages
    for label, township, by in (("county by township", None, "place"), ("township by village", TOWNSHIP, "place"),
                                ("township by class", TOWNSHIP, "asset_class")):
        out[f"asset places {label}"] = (
            lambda t=township, b=by: reads.asset_places_frame(engine, everyone, COUNTY, township=t, by=b,
                                                              formed_by_year=YEAR),
            lambda t=township, b=by: naive.asset_places_frame(engine, everyone, COUNTY, township=t, by=b,
                                                              formed_by_year=YEAR))
    # the transition page's assets formed by the date and their custody (from the assets formed by
    # day, migration 0034), and the county page's allocations by year, which have no summary (raw:
    # ratio 1)
    for label, region in (("prefecture", None), ("county", COUNTY)):
        out[f"assets formed {label}"] = (
            lambda r=region: transition_reads.assets_formed_frame(engine, everyone, as_of, region=r),
            lambda r=region: transition_reads.raw_assets_formed_frame(engine, everyone, as_of, region=r))
        out[f"asset custody {label}"] = (
            lambda r=region: transition_reads.asset_custody_frame(engine, everyone, as_of, region=r),
            lambda r=region: transition_reads.raw_asset_custody_frame(engine, everyone, as_of, region=r))
        out[f"allocations by year {label} (raw)"] = (
            None, lambda r=region: reads.funds_frame(engine, everyone, by=("year", "source_level", "programme"),
                                                     years=(2016, 2026), region=r))
    # the household groupings the pages read (components/frames.py): the prefecture by county, a
    # county by category and by township, a township by village
    for label, region, by in (("prefecture by county", None, "county_code"), ("county by category", COUNTY, "category"),
                              ("county by township", COUNTY, "township_code"),
                              ("township by village", TOWNSHIP, "village_code")):
        out[f"household status {label}"] = (
            lambda r=region, b=by: reads.household_status_frame(engine, everyone, as_of, by=(b, "status"), region=r),
            lambda r=region, b=by: naive.household_status_frame(engine, everyone, as_of, by=(b, "status"), region=r))
    for by_programme in (False, True):
        out[f"leverage{' by programme' if by_programme else ''}"] = (
            lambda p=by_programme: reads.leverage_frame(engine, everyone, as_of, by_programme=p),
            lambda p=by_programme: naive.leverage_frame(engine, everyone, as_of, by_programme=p))
    # The pages read the findings kept at the data's generation (fundwatch.data.rules.stored); the
    # naive side evaluates every rule afresh, which is what the first read after a write costs.
    out["policy rules prefecture (kept findings)"] = (
        lambda: stored.findings(engine, everyone, YEAR, as_of), lambda: rules.evaluate(engine, everyone, YEAR, as_of))
    out["policy rules county (kept findings)"] = (
        lambda: stored.findings(engine, Scope.county(COUNTY), YEAR, as_of),
        lambda: rules.evaluate(engine, Scope.county(COUNTY), YEAR, as_of))
    out["continuity funds prefecture"] = (
        lambda: transition_reads.continuity_funds_frame(engine, everyone, as_of),
        lambda: naive.continuity_funds_frame(engine, everyone, as_of))
    out["asset income county"] = (
        lambda: transition_reads.asset_income_years_frame(engine, everyone, as_of, region=COUNTY),
        lambda: naive.asset_income_years_frame(engine, everyone, as_of, region=COUNTY))
    for label, region in (("prefecture", None), ("county", COUNTY)):
        out[f"monitoring flow {label}"] = (
            lambda r=region: transition_reads.monitoring_flow_frame(engine, everyone, as_of, region=r),
            lambda r=region: naive.monitoring_flow_frame(engine, everyone, as_of, region=r))
    # the scoring page's measures (fundwatch.data.rubric.measures) beside the raw payments and
    # allocations per county and level, and the raw loans and risk fund per county
    out["scoring pace by county"] = (
        lambda: measure(engine, everyone, YEAR, ["disbursement_pace"], as_of=as_of),
        lambda: naive.pace_by_county_frame(engine, everyone, YEAR, as_of=as_of, by_level=True))
    out["scoring leverage by county"] = (lambda: measure(engine, everyone, YEAR, ["leverage"], as_of=as_of),
                                         lambda: naive.leverage_frame(engine, everyone, as_of))
    # the monitoring mix and the waits for a first measure from their summaries (migration 0026),
    # the case ages from theirs (0027), the measure mix from its (0028), the income bands from
    # theirs (0029)
    t = transition_reads
    day_events = (("monitoring mix", t.monitoring_mix_frame, t.raw_monitoring_mix_frame),
                  ("wait for a first measure", t.measure_wait_frame, t.raw_measure_wait_frame),
                  ("case ages", t.case_age_frame, t.raw_case_age_frame),
                  ("measure mix", t.measure_mix_frame, t.raw_measure_mix_frame),
                  ("income bands", t.income_alert_frame, t.raw_income_alert_frame))
    for label, region in (("prefecture", None), ("county", COUNTY)):
        for name, read, raw in day_events:
            out[f"{name} {label}"] = (lambda f=read, r=region: f(engine, everyone, as_of, region=r),
                                      lambda f=raw, r=region: f(engine, everyone, as_of, region=r))
    # the transition page's list of the cases open on the date: those found in the 30 days before
    # it and those that waited longer (migration 0030), against every case found by the date
    for label, region in (("prefecture", None), ("county", COUNTY)):
        out[f"open cases {label}"] = (lambda r=region: t.open_cases_frame(engine, everyone, as_of, region=r),
                                      lambda r=region: t.raw_open_cases_frame(engine, everyone, as_of, region=r))
    # the clock's raw side judges every case of the year against its due date (migration 0025)
    out["identification clock prefecture"] = (
        lambda: transition_reads.identification_clock_frame(engine, everyone, YEAR, as_of),
        lambda: transition_reads.identification_clock_raw(engine, everyone, YEAR, as_of))
    return out


def _times(run: Callable[[], object], repeat: int) -> list[float]:
    run()  # warm the connection pool and the database's cache
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        out.append(time.perf_counter() - started)
    return out


def _stats(times: list[float]) -> dict[str, float]:
    return {"median": statistics.median(times), "p95": float(np.percentile(times, 95))}


def run(db_url: str, repeat: int, out: TextIO) -> dict:
    """Print and return ``{read: {"summary": {median, p95}, "naive": {...}, "ratio": x}}`` (seconds)."""
    engine = db.get_engine(db_url)
    figures: dict[str, dict] = {}
    out.write(f"{'read':56s} {'summary ms (p95)':>18s} {'naive ms (p95)':>18s} {'ratio':>7s}\n")
    for name, (summary, raw) in all_cases(engine).items():
        row = {kind: _stats(_times(function, repeat))
               for kind, function in (("summary", summary), ("naive", raw)) if function is not None}
        row.setdefault("summary", row["naive"])  # no summary yet: the page reads the raw rows
        row["ratio"] = row["naive"]["median"] / row["summary"]["median"]
        figures[name] = row
        out.write(f"{name:56s} {row['summary']['median'] * 1e3:8.1f} ({row['summary']['p95'] * 1e3:7.1f}) "
                  f"{row['naive']['median'] * 1e3:8.1f} ({row['naive']['p95'] * 1e3:7.1f}) {row['ratio']:7.1f}\n")
        out.flush()
    return figures
