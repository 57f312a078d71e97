"""The targets of the performance issue, checked against the figures of one run.

Each target names the figure it reads, the limit and whether the run met it; a figure that the
run did not measure (its suite skipped) is reported as such, never as met.  The issue sets the
reads' 20x at ten times the demo (:data:`READS_SCALE`): at a smaller scale each read's ratio is
printed with "at scale 10" in place of a verdict and counted with neither the met nor the missed
(a county's raw aggregate at scale 1 takes about a millisecond, which no read through a
database connection beats twenty times); every other target holds at every scale.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TextIO

from benchmarks.pages import CACHES

MS = 1000
#: The smallest scale at which a read must be 20 times faster than its naive raw aggregate.
READS_SCALE = 10
#: The verdict of a target that does not hold at the run's scale.
OTHER_SCALE = "other scale"


def _targets(figures: dict, scale: float | None = None) -> Iterator[tuple[str, float | None, str, bool | str | None]]:
    """(target, measured value or None, shown value, met or None) for every target; met is
    :data:`OTHER_SCALE` for a read at a ``scale`` below :data:`READS_SCALE` (None: the scale is
    not known, every target holds)."""
    pages = figures.get("pages") or {}
    for page in ("county", "transition"):
        for state in CACHES:
            figure = pages.get(f"{page} county change, {state}")
            for stat, limit in (("median", 0.150), ("p95", 0.300)):
                value = figure[stat] if figure else None
                yield (f"{page} page: county change ({state}) {stat} <= {limit * MS:.0f} ms", value,
                       _ms(value), None if value is None else value <= limit)
    served = (figures.get("changes") or {}).get("changes") or {}
    for page in ("county", "transition"):
        for visit in ("first visit", "second visit"):
            figure = served.get(f"{page} county change served, {visit}")
            for stat, limit in (("median", 0.150), ("p95", 0.300)):
                value = figure[stat] if figure else None
                yield (f"{page} page: county change served ({visit}) {stat} <= {limit * MS:.0f} ms", value,
                       _ms(value), None if value is None else value <= limit)
    for page in ("overview", "county", "transition", "scoring"):
        for state in ("cold", "warm"):
            figure = pages.get(f"{page} page build, {state}")
            value = figure["p95"] if figure else None
            yield f"{page} page build ({state}) p95 <= 1 s", value, _ms(value), None if value is None else value <= 1.0
    reads = figures.get("reads") or {}
    applies = scale is None or scale >= READS_SCALE
    for name, figure in reads.items():
        ratio = figure["ratio"]
        yield (f"read {name}: >= 20x faster than naive", ratio, f"{ratio:,.0f}x",
               ratio >= 20 if applies else OTHER_SCALE)
    if not reads:
        yield "every page read >= 20x faster than naive", None, "-", None
    sessions = figures.get("sessions") or {}
    value = sessions.get("per_session_mb")
    yield "memory per additional live session <= 5 MB", value, _mb(value), None if value is None else value <= 5
    load = figures.get("load") or {}
    value, failures = load.get("p95"), load.get("failures")
    yield ("20 concurrent first loads (--num-procs 2) p95 <= 5 s, 0 failures", value,
           "-" if value is None else f"{value:.2f} s, {failures} failed",
           None if value is None else value <= 5 and failures == 0)
    churn = figures.get("churn") or {}
    value, errors = churn.get("growth_mb"), len(churn.get("errors") or ())
    yield ("1,000 session open/close cycles grow memory < 20 MB, no errors", value,
           "-" if value is None else f"{value:+.1f} MB, {errors} errors",
           None if value is None else value < 20 and errors == 0)
    soak = figures.get("soak") or {}
    trend = soak.get("trend_mb_per_min")
    value = None if trend is None else trend * soak["minutes"]
    errors = len(soak.get("errors") or ()) + (soak.get("failures") or 0)
    yield ("30 sessions for 10 minutes: no memory growth trend (< 5 MB fitted over the run), no errors", value,
           "-" if value is None else f"{value:+.1f} MB, {errors} errors",
           None if value is None else value < 5 and errors == 0)
    outage = figures.get("outage") or {}
    down, up = outage.get("ready_503_after_s"), outage.get("ready_200_after_s")
    yield ("database stopped 60 s: /ready 503 within 10 s, 200 within 30 s of its return, no traceback", down,
           "-" if not outage else f"{_s(down)} / {_s(up)}, {outage.get('tracebacks')} tracebacks",
           None if not outage else (down is not None and down <= 10 and up is not None and up <= 30
                                    and outage.get("tracebacks") == 0 and outage.get("sessions_alive") == outage.get("sessions")))

def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * MS:,.0f} ms"


def _s(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.1f} s"


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f} MB"


def check(figures: dict, out: TextIO, scale: float | None = None) -> list[dict]:
    """Print every target with its figure and verdict at the run's ``scale`` (None: every target
    holds); return them as records."""
    rows = [{"target": target, "value": value, "shown": shown, "met": met}
            for target, value, shown, met in _targets(figures, scale)]
    out.write("\ntargets\n")
    width = max(len(row["target"]) for row in rows) + 2
    verdicts = {True: "met", False: "NOT MET", None: "not measured", OTHER_SCALE: f"at scale {READS_SCALE}"}
    for row in rows:
        out.write(f"{row['target']:<{width}}{row['shown']:>22}  {verdicts[row['met']]}\n")
    met = sum(row["met"] is True for row in rows)
    missed = sum(row["met"] is False for row in rows)
    other = sum(row["met"] == OTHER_SCALE for row in rows)
    unmeasured = len(rows) - met - missed - other
    out.write(f"{met} met, {missed} not met, {unmeasured} not measured"
              + (f", {other} set at scale {READS_SCALE} (printed, not counted)" if other else "") + "\n")
    return rows


def _medians(results: dict) -> dict[str, float]:
    out = {}
    for suite, figures in results.get("figures", {}).items():
        for name, figure in (figures or {}).items():
            if isinstance(figure, dict) and isinstance(figure.get("median"), float):
                out[f"{suite}: {name}"] = figure["median"]
    return out


def compare(before: dict, after: dict, out: TextIO) -> None:
    """Print the medians both runs measured, with the change in percent, after the change of the
    machine's own speed (:mod:`benchmarks.machine`) when both runs timed it: a figure that moved as
    much as the workload did moved with the machine."""
    old, new = _medians(before), _medians(after)
    shared = [name for name in new if name in old]
    out.write(f"\ncompared with the run of {before.get('run', {}).get('started', '?')}\n")
    speeds = [_machine(results) for results in (before, after)]
    for workload in ("python", "sqlite"):
        if all(workload in speed for speed in speeds):
            then, now = (speed[workload] for speed in speeds)
            out.write(f"{f'machine: {workload} workload (mean of start and end)':<60}{then * MS:>10.1f} ms"
                      f"{now * MS:>10.1f} ms{(now - then) / then * 100:>+8.0f}%\n")
    for name in shared:
        change = (new[name] - old[name]) / old[name] * 100 if old[name] else float("nan")
        out.write(f"{name:<60}{old[name] * MS:>10.1f} ms{new[name] * MS:>10.1f} ms{change:>+8.0f}%\n")
    if not shared:
        out.write("no figure in common\n")


def _machine(results: dict) -> dict[str, float]:
    """Each workload's seconds of a run's machine timing, the mean of its start and end ({} if the
    run did not time it)."""
    timed = [speed for speed in (results.get("run", {}).get("machine_speed") or {}).values() if speed]
    return {workload: sum(speed[workload] for speed in timed) / len(timed)
            for workload in ("python", "sqlite") if timed and all(workload in speed for speed in timed)}
