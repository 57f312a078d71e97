"""Kept findings (fundwatch.data.rules.stored) and the data generation behind them, on SQLite and
PostgreSQL: a kept result is exactly what evaluating afresh returns, is used only while the data
are unchanged (any write to a source table, by an import or directly, a rolled-back write not),
and never crosses scopes, dates or rule configurations."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from conftest import BACKENDS, new_demo_database
from sqlalchemy import func, select, text
from test_imports import LOAN_H, LOAN_ROW, csv_bytes

from fundwatch.data import generation
from fundwatch.data.imports import run_import, table_digest
from fundwatch.data.models import FindingSnapshot
from fundwatch.data.rules import evaluate, stored
from fundwatch.data.scope import Scope

YEAR, AS_OF = 2024, dt.date(2024, 11, 30)
YUDU, XINGGUO = "360731", "360732"
SNAPSHOT = FindingSnapshot.__table__


@pytest.fixture(scope="module", params=BACKENDS)
def engine(request, tmp_path_factory):
    engine = new_demo_database(request.param, "stored_findings", tmp_path_factory)
    yield engine
    engine.dispose()


def gen(engine) -> int:
    with engine.connect() as conn:
        return generation.current(conn)


def snapshots(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(SNAPSHOT.c.scope_key, SNAPSHOT.c.year, SNAPSHOT.c.as_of, SNAPSHOT.c.generation))]


def same_findings(kept: pd.DataFrame, fresh: pd.DataFrame) -> None:
    assert list(kept.columns) == list(fresh.columns)
    assert len(kept) == len(fresh)
    for a, b in zip(kept.to_dict("records"), fresh.to_dict("records"), strict=True):
        for column, value in b.items():
            if isinstance(value, float) and math.isnan(value):
                assert math.isnan(a[column]), column
            else:
                assert a[column] == value, (column, a[column], value)


def test_the_demo_load_moves_the_generation_once(engine):
    assert gen(engine) == 1


def test_a_kept_result_is_what_evaluating_afresh_returns(engine):
    for scope in (Scope.all(), Scope.county(YUDU), Scope.county(XINGGUO).with_small_counts_suppressed()):
        first = stored.findings(engine, scope, YEAR, AS_OF)  # evaluated and kept
        assert (scope.key, YEAR, AS_OF, gen(engine)) in snapshots(engine)
        again = stored.findings(engine, scope, YEAR, AS_OF)  # from the snapshot
        fresh = evaluate(engine, scope, YEAR, AS_OF)
        assert len(fresh) > 0
        same_findings(first, fresh)
        same_findings(again, fresh)
    kept, _ = stored.lookup(engine, Scope.county(YUDU), YEAR, AS_OF)
    assert set(kept["region_code"]) <= {YUDU}  # a county's own evaluation, never the prefecture's cut


def test_a_snapshot_answers_only_its_own_view(engine):
    stored.findings(engine, Scope.all(), YEAR, AS_OF)
    assert stored.lookup(engine, Scope.all(), YEAR, AS_OF)[0] is not None
    for scope, year, as_of in ((Scope.county(YUDU).with_small_counts_suppressed(), YEAR, AS_OF),
                               (Scope.of([YUDU, XINGGUO]), YEAR, AS_OF),
                               (Scope.all(), YEAR, AS_OF - dt.timedelta(days=1)),
                               (Scope.all(), YEAR - 1, dt.date(YEAR - 1, 12, 31))):
        assert stored.lookup(engine, scope, year, as_of)[0] is None, (scope, year, as_of)


def test_a_snapshot_is_tampered_with_and_served_from_the_database(engine):
    """Proof that a second read does not evaluate: a marked snapshot comes back as it was kept."""
    stored.findings(engine, Scope.county(YUDU), YEAR, AS_OF)
    with engine.begin() as conn:
        conn.execute(SNAPSHOT.update().where(SNAPSHOT.c.scope_key == Scope.county(YUDU).key)
                     .values(findings='[["F1","notice","360731","于都县",1.0,2.0,"count","m","m","m","b","b","b",'
                                      '"t","disbursement",[1],{}]]'))
    marked = stored.findings(engine, Scope.county(YUDU), YEAR, AS_OF)
    assert list(marked["message"]) == ["m"] and list(marked["record_ids"]) == [[1]]
    with engine.begin() as conn:  # leave a true snapshot behind for the other tests
        conn.execute(SNAPSHOT.delete())


def test_a_direct_write_or_an_import_makes_the_snapshot_stale_and_a_rollback_does_not(engine):
    before = stored.findings(engine, Scope.all(), YEAR, AS_OF)
    start = gen(engine)

    with engine.connect() as conn:  # a write that is rolled back leaves the generation alone
        conn.execute(text("UPDATE loan SET status = 'default' WHERE id IN (SELECT id FROM loan ORDER BY id LIMIT 3)"))
        conn.rollback()
    assert gen(engine) == start
    assert stored.lookup(engine, Scope.all(), YEAR, AS_OF)[0] is not None

    with engine.begin() as conn:  # a direct write, as a database console would make it
        conn.execute(text("UPDATE dibao_standard SET annual_fen = annual_fen + 1"))
    assert gen(engine) > start
    assert stored.lookup(engine, Scope.all(), YEAR, AS_OF)[0] is None
    after = stored.findings(engine, Scope.all(), YEAR, AS_OF)
    same_findings(after, evaluate(engine, Scope.all(), YEAR, AS_OF))
    with engine.connect() as conn:  # the older generation's snapshots are gone
        assert conn.execute(select(func.min(SNAPSHOT.c.generation))).scalar() == gen(engine)

    moved = gen(engine)
    row = list(LOAN_ROW)
    row[0] = "FW-L-STORED-1"
    row[12], row[14] = "", "违约"
    report = run_import(engine, "loans", csv_bytes([LOAN_H, row]), "loans.csv", actor="测试员", scope=Scope.all(),
                        today=dt.date(2026, 11, 1))
    assert report.result == "accepted", report.problems
    assert gen(engine) > moved
    assert stored.lookup(engine, Scope.all(), YEAR, AS_OF)[0] is None
    assert len(before) > 0


def test_a_rejected_import_moves_nothing(engine):
    stored.findings(engine, Scope.all(), YEAR, AS_OF)
    start, digest = gen(engine), table_digest(engine)
    bad = list(LOAN_ROW)
    bad[8] = "五万"
    report = run_import(engine, "loans", csv_bytes([LOAN_H, bad]), "loans.csv", actor="测试员", scope=Scope.all(),
                        today=dt.date(2026, 11, 1))
    assert report.result == "rejected"
    assert gen(engine) == start and table_digest(engine) == digest
    assert stored.lookup(engine, Scope.all(), YEAR, AS_OF)[0] is not None


def test_other_rule_parameters_never_use_a_kept_result(engine, tmp_path, monkeypatch):
    stored.findings(engine, Scope.all(), YEAR, AS_OF)
    default = stored.config_key()
    config = tmp_path / "rules.yaml"
    config.write_text("L1:\n  max_leverage: 3\n", encoding="utf-8")
    monkeypatch.setenv("FUNDWATCH_RULES_CONFIG", str(config))
    assert stored.config_key() != default
    assert stored.lookup(engine, Scope.all(), YEAR, AS_OF)[0] is None


def test_warm_fills_the_views_once(engine):
    with engine.begin() as conn:
        conn.execute(SNAPSHOT.delete())
    views = [(Scope.all(), YEAR, AS_OF), (Scope.county(YUDU), YEAR, AS_OF)]
    assert stored.warm(engine, views) == 2
    assert stored.warm(engine, views) == 0
    assert all(stored.lookup(engine, *view)[0] is not None for view in views)


def test_the_pages_caches_notice_a_write_that_is_not_an_import(engine):
    """The served stores empty their read caches before a load when the data changed (loaders.refresh):
    a direct write (a console, a script) counts as much as an import."""
    from fundwatch.components import loaders

    url = loaders.engine_key(engine)
    loaders.refresh(url)
    assert loaders.refresh(url) is False  # nothing written since
    with engine.begin() as conn:
        conn.execute(text("UPDATE county_finance SET general_revenue_fen = general_revenue_fen + 1"))
    assert loaders.refresh(url) is True
    assert loaders.refresh(url) is False


def test_a_served_process_keeps_the_opening_views_ready_after_a_write(engine):
    """The Warmer (started by ``fundwatch serve``) fills the views at once and again after a write."""
    import time

    with engine.begin() as conn:
        conn.execute(SNAPSHOT.delete())
    views = [(Scope.county(XINGGUO), YEAR, AS_OF)]
    warmer = stored.Warmer(engine, lambda: views, period=0.2)
    try:
        def kept_at_current_generation(rounds_after: int) -> bool:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if warmer.rounds > rounds_after and stored.lookup(engine, *views[0])[0] is not None:
                    return True
                time.sleep(0.1)
            return False

        assert kept_at_current_generation(0)
        with engine.begin() as conn:
            conn.execute(text("UPDATE dibao_standard SET annual_fen = annual_fen + 1"))
        assert stored.lookup(engine, *views[0])[0] is None  # the write made it stale ...
        assert kept_at_current_generation(warmer.rounds)  # ... and the warmer made it again
    finally:
        warmer.stop()
        warmer.join(30)
