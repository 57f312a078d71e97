"""The benchmark suite's own machinery: the targets verdicts, the throw-away copy for writes and
the findings kept before a server is timed, the outage on PostgreSQL.
(Its figures are printed by ``python -m benchmarks``; no test asserts a time.)"""

from __future__ import annotations

import io
import os
import re
import tracemalloc

import pytest
from conftest import new_demo_database, pg_schema_url
from dashboard_fixtures import demo_copy, demo_db  # noqa: F401 - fixture
from sqlalchemy import func, select

from benchmarks import imports, load, machine, served, sessions, targets
from fundwatch.dashboards import app
from fundwatch.data import copies, db, generation, health
from fundwatch.data.imports import run_import
from fundwatch.data.models import AssistanceMeasure, Household
from fundwatch.data.rules import stored
from fundwatch.data.scope import Scope


def _figure(median: float, p95: float) -> dict:
    return {"median": median, "p95": p95, "min": median, "max": p95, "runs": 5}


def test_targets_say_met_not_met_and_not_measured():
    figures = {"pages": {"county county change, cold": _figure(0.120, 0.310),
                         "county page build, cold": _figure(0.5, 0.9)},
               "reads": {"pace": {"ratio": 35.0}, "loans": {"ratio": 12.0}},
               "load": {"p95": 4.0, "failures": 1},
               "changes": {"changes": {"transition county change served, second visit": _figure(0.163, 0.191),
                                       "transition county change served, first visit": _figure(0.314, 0.345)}}}
    out = io.StringIO()
    rows = {row["target"]: row["met"] for row in targets.check(figures, out)}
    assert rows["county page: county change (cold) median <= 150 ms"] is True
    assert rows["county page: county change (cold) p95 <= 300 ms"] is False
    assert rows["county page build (cold) p95 <= 1 s"] is True
    assert rows["read pace: >= 20x faster than naive"] is True
    assert rows["read loans: >= 20x faster than naive"] is False
    assert rows["20 concurrent first loads (--num-procs 2) p95 <= 5 s, 0 failures"] is False  # one failure
    assert rows["transition page: county change (warm) p95 <= 300 ms"] is None  # not in this run
    assert rows["transition page: county change served (second visit) p95 <= 300 ms"] is True
    assert rows["transition page: county change served (second visit) median <= 150 ms"] is False
    assert rows["transition page: county change served (first visit) p95 <= 300 ms"] is False
    assert rows["county page: county change served (first visit) median <= 150 ms"] is None
    assert rows["memory per additional live session <= 5 MB"] is None
    assert "NOT MET" in out.getvalue() and "not measured" in out.getvalue()


def test_the_reads_twenty_times_holds_at_scale_10_and_the_rest_at_every_scale():
    figures = {"reads": {"pace": {"ratio": 35.0}, "loans": {"ratio": 3.0}},
               "pages": {"county page build, cold": _figure(0.5, 1.2)}}
    for scale, loans in ((10, False), (30, False), (1, targets.OTHER_SCALE)):
        out = io.StringIO()
        rows = {row["target"]: row["met"] for row in targets.check(figures, out, scale=scale)}
        assert rows["read loans: >= 20x faster than naive"] == loans
        assert rows["county page build (cold) p95 <= 1 s"] is False  # at every scale
        text = out.getvalue()
        if scale < 10:
            assert rows["read pace: >= 20x faster than naive"] == targets.OTHER_SCALE
            assert "3x  at scale 10" in text
            assert "0 met, 1 not met" in text and "2 set at scale 10 (printed, not counted)" in text
        else:
            assert rows["read pace: >= 20x faster than naive"] is True
            assert "1 met, 2 not met" in text and "set at scale" not in text


def test_compare_prints_the_change_of_shared_medians():
    before = {"run": {"started": "then"}, "figures": {"pages": {"county page build, cold": _figure(0.8, 1.0)}}}
    after = {"run": {"started": "now"}, "figures": {"pages": {"county page build, cold": _figure(0.4, 0.5)}}}
    out = io.StringIO()
    targets.compare(before, after, out)
    assert "pages: county page build, cold" in out.getvalue() and "-50%" in out.getvalue()
    assert "machine" not in out.getvalue()  # neither run timed the machine


def test_compare_prints_the_machines_change_beside_the_figures():
    speed = lambda python, sqlite: {"python": python, "sqlite": sqlite}  # noqa: E731
    before = {"run": {"started": "then", "machine_speed": {"start": speed(0.2, 0.04), "end": speed(0.2, 0.04)}},
              "figures": {}}
    after = {"run": {"started": "now", "machine_speed": {"start": speed(0.24, 0.04), "end": speed(0.26, 0.05)}},
             "figures": {}}
    out = io.StringIO()
    targets.compare(before, after, out)
    lines = {line.split("  ")[0]: line for line in out.getvalue().splitlines() if line.startswith("machine")}
    assert lines["machine: python workload (mean of start and end)"].endswith("+25%")  # 200 -> 250 ms
    assert lines["machine: sqlite workload (mean of start and end)"].endswith("+12%")  # 40 -> 45 ms


def test_the_machines_workloads_run_and_are_printed():
    out = io.StringIO()
    figures = machine.measure("start", out)
    assert set(figures) == {"python", "sqlite"} and all(seconds > 0 for seconds in figures.values())
    assert out.getvalue().startswith("machine (start): python workload ")


def test_writes_go_into_a_copy_that_is_removed_afterwards(demo_db, tmp_path):  # noqa: F811
    original = db.get_engine(str(demo_db))
    count = select(func.count()).select_from(Household)
    with original.connect() as conn:
        before = conn.execute(count).scalar_one()
    watcher = health.monitor(str(demo_db))
    with copies.temporary_copy(str(demo_db), tmp_path) as url:
        # nothing of this process is connected to the original while it is copied: no pooled
        # connection (PostgreSQL refuses to copy) and no health check (its ping would fail)
        assert not watcher.watching
        copied = db.get_engine(url)
        with copied.begin() as conn:
            assert conn.execute(count).scalar_one() == before
            conn.execute(AssistanceMeasure.__table__.delete())
            conn.execute(Household.__table__.delete())
        path = db.sqlite_path(db.normalise_url(url))
        assert path.exists()
    assert not path.exists()
    with db.get_engine(str(demo_db)).connect() as conn:
        assert conn.execute(count).scalar_one() == before > 0


def test_imports_are_timed_untraced_and_their_peaks_traced_in_a_run_of_their_own(demo_copy, monkeypatch):  # noqa: F811
    """tracemalloc made an import three to four times slower: the timed imports run without it,
    and each figure's peak comes from one more import of a new file under it."""
    calls = []

    def watched(*args, **kwargs):
        calls.append((kwargs["dry_run"], tracemalloc.is_tracing()))
        return run_import(*args, **kwargs)

    monkeypatch.setattr(imports, "run_import", watched)
    out = io.StringIO()
    figures = imports.run(str(demo_copy), 2, out, rows=30)
    names = {f"30 rows {fmt} {name}" for fmt in ("csv", "xlsx") for name in ("dry run", "load", "again")}
    assert set(figures) == names
    assert all(figure["runs"] == 2 and figure["min"] > 0 and figure["peak_mb"] > 0 for figure in figures.values())
    # per format: two files imported three ways untraced, then a third file three ways traced
    per_format = [(True, False), (False, False), (False, False)] * 2 + [(True, True), (False, True), (False, True)]
    assert calls == per_format * 2
    assert not tracemalloc.is_tracing()
    assert "xlsx again" in out.getvalue()


def test_a_served_county_change_is_timed_from_the_county_selector(demo_db):  # noqa: F811
    """The served change benchmark chooses counties in a real server's selector and gets an answer
    to each (its figures are times; only their count and the server's log are checked here)."""
    out = io.StringIO()
    figures = sessions.served_changes(str(demo_db), paths=("/transition",), counties=sessions.COUNTIES[:3],
                                      out=out, pause=0.2)
    assert set(figures["changes"]) == {"transition county change served, first visit",
                                       "transition county change served, second visit"}
    assert all(figure["runs"] == 2 and figure["min"] > 0 for figure in figures["changes"].values())
    assert figures["errors"] == []
    assert "transition county change served, second visit" in out.getvalue()


def test_the_opening_views_findings_are_kept_before_a_server_is_timed(demo_copy, monkeypatch):  # noqa: F811
    """Before the served suites, the findings of every view a page opens on are kept at the
    data's generation (a written database has them all to evaluate), so no server of the run
    evaluates the rules beside the pages it is timed on; the environment is left as it was."""
    monkeypatch.setenv(app.ENV_DB, "sqlite:///elsewhere.db")
    engine = db.get_engine(str(demo_copy))
    with db.writer(engine).begin() as conn:
        generation.bump(conn)  # a write: every kept snapshot is stale
    out = io.StringIO()
    first = served.keep_findings(str(demo_copy), out=out)
    assert os.environ[app.ENV_DB] == "sqlite:///elsewhere.db"
    monkeypatch.setenv(app.ENV_DB, str(demo_copy))
    views = app.opening_views()
    assert first["views"] == len(views) == first["evaluated"] > 1  # the prefecture and each county
    assert all(stored.lookup(engine, scope, year, as_of)[0] is not None for scope, year, as_of in views)
    assert served.keep_findings(str(demo_copy))["evaluated"] == 0
    assert f"findings of {len(views)} views kept before serving: {len(views)} evaluated" in out.getvalue()


def test_a_bursts_pages_have_their_findings_kept_before_it(demo_copy):  # noqa: F811
    """The load suite keeps the findings of every year and date its pages show (the prefecture's:
    demo mode), so its first loads are timed as after any earlier visit since the last write."""
    views = load.burst_views()
    shown = {(int(re.search(r"year=(\d+)", path).group(1)), re.search(r"as_of=([\d-]+)", path).group(1))
             for path, _ in load.PAGES}
    assert {(year, as_of.isoformat()) for _, year, as_of in views} == shown and len(views) == 2
    assert all(scope == Scope.all() for scope, _, _ in views)
    engine = db.get_engine(str(demo_copy))
    with db.writer(engine).begin() as conn:
        generation.bump(conn)
    assert served.keep_findings(str(demo_copy), views)["evaluated"] == 2
    assert all(stored.lookup(engine, *view)[0] is not None for view in views)
    assert served.keep_findings(str(demo_copy), views)["evaluated"] == 0


@pytest.mark.pg
def test_the_outage_benchmark_cuts_postgresql_off_and_every_session_answers_after(tmp_path_factory):
    """``python -m benchmarks --db postgresql://...`` runs its outage on PostgreSQL too: the server
    reaches the database through the forwarder, which is cut for the outage and mended after.
    A short outage here (the benchmark's is 60 s); its times are figures, not asserted."""
    new_demo_database("pg", "outage_bench", tmp_path_factory).dispose()
    url = pg_schema_url("outage_bench")
    out = io.StringIO()
    figures = sessions.outage(url, seconds=4, sessions=2, out=out)
    assert figures["how"] == "PostgreSQL cut off"
    assert figures["ready_503_after_s"] is not None  # /ready said 503 while cut off ...
    assert figures["ready_200_after_s"] is not None  # ... and 200 once mended
    assert figures["sessions_alive"] == 2 and figures["tracebacks"] == 0
    assert "database outage of 4 s (PostgreSQL cut off, 2 open sessions)" in out.getvalue()
    assert db.ping(url)  # the forwarder is gone; the database itself never stopped


def test_the_outage_benchmark_needs_postgresqls_host():
    with pytest.raises(ValueError, match="over TCP"):
        sessions.ServerCut("postgresql://fundwatch@/fundwatch?host=/var/run/postgresql")
