"""``python -m benchmarks [--scale F] [--db URL]``: the performance and reliability figures.

Builds the demo database at ``--scale`` (a temporary SQLite file, or the empty database ``--db``
names; a ``--db`` that already holds the demo is used as it is, brought to the current schema),
then runs the suites in order and prints a table per suite and the targets of the performance
issue with the figure measured for each.  Every figure is also written as JSON (``--json``, by
default under ``benchmarks/results/``); ``--compare`` prints the change against an earlier JSON
file.  A fixed workload that runs none of fundwatch's code is timed before the first suite and
after the last (:mod:`benchmarks.machine`): how fast the machine was running during the run.

Suites (``--only`` / ``--skip``): demo (generation), reads (each page read against its naive raw
aggregate), pages (page build, county change), changes (a county change on a served page, over
its websocket), imports (a 50,000-row file), sessions (memory per
live session), load (20 concurrent first loads with ``--num-procs 2``), churn (1,000 session
open/close cycles), soak (30 sessions for 10 minutes), outage (the database away for 60 s with
open sessions: a copy of a SQLite file moved away, PostgreSQL cut off behind a loopback
forwarder).  Before the first suite that times a server, the policy findings of the pages'
opening views are kept (timed and printed on their own: a server keeps them once a day and after
every write, beside its pages; :func:`benchmarks.served.keep_findings`).  Imports go into a
throw-away copy of the database (:mod:`fundwatch.data.copies`), never into ``--db`` itself;
``--db`` gets only what a server on it writes too, the findings kept for its views.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

from benchmarks import machine, scratch
from fundwatch.data import copies, db, health

SUITES = ("demo", "reads", "pages", "changes", "imports", "sessions", "load", "churn", "soak", "outage")
#: The suites that time a running server: the findings of its opening views are kept before the
#: first of them (:func:`benchmarks.served.keep_findings`).
SERVED = frozenset({"changes", "sessions", "load", "churn", "soak", "outage"})
RESULTS = Path(__file__).parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="demo scale of the database built (default 1)")
    parser.add_argument("--db", metavar="URL", help="the database to build the demo into (empty) or to use as it is "
                        "(already holding the demo); default: a temporary SQLite file")
    parser.add_argument("--repeat", type=int, default=20, help="runs per timed figure (default 20)")
    parser.add_argument("--only", nargs="+", choices=SUITES, metavar="SUITE", help=f"run only these: {', '.join(SUITES)}")
    parser.add_argument("--skip", nargs="+", choices=SUITES, default=[], metavar="SUITE", help="leave these out")
    parser.add_argument("--json", metavar="PATH", type=Path, help="where to write the figures (default: "
                        "benchmarks/results/<time>-<backend>-scale<F>.json)")
    parser.add_argument("--compare", metavar="PATH", type=Path, help="an earlier JSON file to compare with")
    args = parser.parse_args(argv)
    if args.repeat < 2:
        parser.error("--repeat must be at least 2")
    if not args.scale > 0:
        parser.error("--scale must be positive")
    suites = [s for s in (args.only or SUITES) if s not in args.skip]
    out = sys.stdout
    with tempfile.TemporaryDirectory(prefix="fundwatch-bench-") as folder:
        url = args.db or str(Path(folder) / f"bench-{args.scale:g}.db")
        results = {"run": {"started": dt.datetime.now().isoformat(timespec="seconds"), "scale": args.scale,
                           "backend": db.normalise_url(url).split(":", 1)[0].split("+")[0],
                           "database": scratch.label(url), "repeat": args.repeat, "suites": suites,
                           "python": platform.python_version(), "machine": platform.machine()},
                   "figures": {}}
        out.write(f"fundwatch benchmarks: scale {args.scale:g} on {results['run']['database']}\n")
        results["figures"]["demo"] = scratch.prepare(url, args.scale, out, timed="demo" in suites)
        figures = results["figures"]
        speeds = results["run"]["machine_speed"] = {"start": machine.measure("start", out)}
        for suite in suites:
            if suite == "demo":
                continue
            if suite in SERVED and "findings" not in figures:
                from benchmarks import served

                figures["findings"] = served.keep_findings(url, out=out)
            started = time.perf_counter()
            try:
                figures[suite] = run_suite(suite, url, args, Path(folder), out)
            except Exception:  # noqa: BLE001 - reported; the other suites' figures are not lost to one
                failure = traceback.format_exc()
                out.write(f"{suite}: FAILED (its targets count as not measured)\n{failure}")
                results.setdefault("failed", {})[suite] = failure
            out.write(f"({suite}: {time.perf_counter() - started:.0f} s)\n")
        speeds["end"] = machine.measure("end", out)
        from benchmarks import targets

        results["targets"] = targets.check(figures, out, scale=args.scale)
        path = args.json or RESULTS / f"{dt.datetime.now():%Y%m%d-%H%M%S}-{results['run']['backend']}-scale{args.scale:g}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        out.write(f"\nfigures written to {path}\n")
        if args.compare:
            targets.compare(json.loads(args.compare.read_text(encoding="utf-8")), results, out)
        health.stop_all(wait=health.CHECK_SECONDS)  # before the temporary database goes: no ping of it logs an outage
        db.dispose_all()
    if results.get("failed"):
        out.write(f"suites that failed: {', '.join(results['failed'])}\n")
        return 1
    return 0


def run_suite(suite: str, url: str, args, folder: Path, out) -> dict:
    if suite == "reads":
        from benchmarks import reads

        return reads.run(url, args.repeat, out)
    if suite == "pages":
        from benchmarks import pages

        return pages.run(url, args.repeat, out)
    if suite == "changes":
        from benchmarks import sessions

        return sessions.served_changes(url, out=out)
    if suite == "imports":
        from benchmarks import imports

        with copies.temporary_copy(url, folder) as copy:
            return imports.run(copy, min(args.repeat, 3), out)
    if suite == "sessions":
        from benchmarks import sessions

        return sessions.per_session(url, out=out)
    if suite == "load":
        from benchmarks import load

        return load.first_loads(url, clients=20, num_procs=2, out=out)
    if suite == "churn":
        from benchmarks import sessions

        return sessions.churn(url, cycles=1000, out=out)
    if suite == "soak":
        from benchmarks import sessions

        return sessions.soak(url, sessions=30, minutes=10, interval=30, out=out)
    if suite == "outage":
        from benchmarks import sessions

        if db.sqlite_path(db.normalise_url(url)) is None:  # cut off behind a forwarder: nothing is moved
            return sessions.outage(url, seconds=60, out=out)
        with copies.temporary_copy(url, folder) as copy:  # the copy's file is moved away, not --db's
            return sessions.outage(copy, seconds=60, out=out)
    raise ValueError(suite)


if __name__ == "__main__":
    raise SystemExit(main())
