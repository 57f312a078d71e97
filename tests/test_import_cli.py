"""``fundwatch template`` and ``fundwatch import`` as a user runs them, and an import killed
midway: the process dies inside its transaction and leaves no row behind (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys

import openpyxl
import pytest
from cli_run import fundwatch, one_line_error
from conftest import BACKENDS, new_demo_database, pg_schema_url
from benchmarks.files import households_csv

from fundwatch.data.imports import KINDS
from fundwatch.data.reads.summary import table_counts
from fundwatch.data.scope import Scope

pytestmark = pytest.mark.slow




@pytest.fixture(scope="module", params=BACKENDS)
def demo(request, tmp_path_factory):
    """A demo database of this module's own (it is written to) and the URL a subprocess uses."""
    engine = new_demo_database(request.param, "importcli", tmp_path_factory)
    if request.param == "sqlite":
        url = engine.url.render_as_string(hide_password=False)
    else:
        url = pg_schema_url("importcli")
    yield engine, url
    engine.dispose()


def _counts(engine) -> dict[str, int]:
    counts = table_counts(engine, Scope.all())
    return dict(zip(counts["table"], counts["rows"], strict=True))


def test_template_command_writes_xlsx_and_csv_with_notes(tmp_path):
    out = tmp_path / "hh.xlsx"
    result = fundwatch("template", "households", "--out", str(out))
    assert result.returncode == 0, result.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[:2] == ["农户与监测对象", "说明"]
    headers = [c.value for c in book.worksheets[0][1]]
    assert headers == [f.header("zh") for f in KINDS["households"].fields]
    assert book.worksheets[0]["F2"].number_format == "@"  # ID numbers stay text in Excel
    notes = [row[0] for row in book["说明"].iter_rows(min_row=5, values_only=True)]
    assert notes == headers
    result = fundwatch("template", "loans", "--format", "csv", "--lang", "en", "--out", str(tmp_path / "loans.csv"))
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO((tmp_path / "loans.csv").read_text("utf-8-sig"))))
    assert rows[0] == [f.header("en") for f in KINDS["loans"].fields] and len(rows) == 2
    assert (tmp_path / "loans-notes.csv").exists()
    assert fundwatch("template", "nonsense").returncode == 1


def test_import_command_accepts_rejects_and_reports_json(demo, tmp_path):
    engine, url = demo
    good = tmp_path / "dibao.csv"
    good.write_text("县（市、区）,年度,农村低保标准（元）\n于都县,2027,7800\n360732,2027,\"7,800.00\"\n", encoding="utf-8")
    before = _counts(engine)
    dry = fundwatch("import", "dibao_standards", str(good), "--db", url, "--dry-run", "--format", "json")
    assert dry.returncode == 0, dry.stderr
    summary = json.loads(dry.stdout)[0]
    assert summary["type"] == "summary" and summary["result"] == "dry_run" and summary["inserted"] == 2
    assert _counts(engine)["dibao_standard"] == before["dibao_standard"]
    done = fundwatch("import", "dibao_standards", str(good), "--db", url)
    assert done.returncode == 0 and "新增 2 行" in done.stdout
    assert _counts(engine)["dibao_standard"] == before["dibao_standard"] + 2
    again = fundwatch("import", "dibao_standards", str(good), "--db", url)
    assert again.returncode == 0 and "未变 2 行" in again.stdout and "导入过" in again.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("县（市、区）,年度,农村低保标准（元）\n于都县,2028,-1\n", encoding="utf-8")
    rejected = fundwatch("import", "dibao_standards", str(bad), "--db", url, "--county", "360731")
    assert rejected.returncode == 1
    assert "金额不能为负数" in rejected.stdout and "fundwatch: error:" in rejected.stderr
    outside = fundwatch("import", "dibao_standards", str(good), "--db", url, "--county", "360731",
                        "--format", "json", "--lang", "en")
    problems = [item for item in json.loads(outside.stdout) if item["type"] == "problem"]
    assert outside.returncode == 1 and [(p["row"], p["rule"]) for p in problems] == [(3, "out_of_scope")]
    assert fundwatch("import", "dibao_standards", str(tmp_path / "missing.csv"), "--db", url).returncode == 1


def test_import_as_a_user_takes_the_accounts_scope(demo, tmp_path):
    engine, url = demo
    for name, role, county in (("imp.yudu", "county_official", "360731"), ("imp.admin", "data_admin", None),
                               ("imp.analyst", "analyst", None)):
        extra = ("--county", county) if county else ()
        added = fundwatch("user", "add", name, "--role", role, *extra, "--db", url, password="Import-User-Pass-2024!")
        assert added.returncode == 0, added.stderr
    both = tmp_path / "dibao-both.csv"
    both.write_text("县（市、区）,年度,农村低保标准（元）\n于都县,2026,7600\n360732,2026,7700\n", encoding="utf-8")
    before = _counts(engine)
    # a county official imports their county only, whatever --county says
    official = fundwatch("import", "dibao_standards", str(both), "--db", url, "--user", "imp.yudu", "--format", "json")
    problems = [item for item in json.loads(official.stdout) if item["type"] == "problem"]
    assert official.returncode == 1 and [(p["row"], p["rule"]) for p in problems] == [(3, "out_of_scope")]
    assert "只能导入本县数据" in one_line_error(fundwatch("import", "dibao_standards", str(both), "--db", url,
                                                          "--user", "imp.yudu", "--county", "360732"))
    # read-only roles and unknown users load nothing
    assert "不能导入数据" in one_line_error(fundwatch("import", "dibao_standards", str(both), "--db", url,
                                                    "--user", "imp.analyst"))
    assert "没有用户" in one_line_error(fundwatch("import", "dibao_standards", str(both), "--db", url,
                                                "--user", "nobody.here"))
    assert _counts(engine)["dibao_standard"] == before["dibao_standard"]
    # the data administrator loads the prefecture's file, audited under their name
    admin = fundwatch("import", "dibao_standards", str(both), "--db", url, "--user", "imp.admin")
    assert admin.returncode == 0, admin.stdout
    audit = json.loads(fundwatch("audit", "--action", "import", "--actor", "imp.admin", "--format", "json",
                                 "--db", url).stdout)
    assert [row["result"] for row in audit] == ["accepted"]


def test_killed_import_leaves_no_partial_rows(demo, tmp_path):
    engine, url = demo
    big = tmp_path / "households.csv"
    big.write_bytes(households_csv(engine, 50_000, prefix="K"))
    before = _counts(engine)
    process = subprocess.Popen([sys.executable, "-m", "fundwatch.dashboards.cli", "import", "households", str(big),
                                "--db", url, "--progress"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        for line in process.stderr:
            stage, _, numbers = line.strip().partition(" ")
            if stage == "写入" and int(numbers.split("/")[0]) > 0:  # the first chunk is written, more follow
                process.send_signal(signal.SIGKILL)
                break
        assert process.wait(timeout=300) == -signal.SIGKILL, "the import finished before it could be killed"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stderr.close()
    engine.dispose()  # forget pooled connections: look at the database afresh
    assert _counts(engine) == before
    done = fundwatch("import", "households", str(big), "--db", url)
    assert done.returncode == 0, done.stdout[-2000:]
    assert _counts(engine)["household"] == before["household"] + 50_000


def test_import_reference_is_current():
    """docs/imports.md is rendered from the kinds and rules: regenerate it when they change."""
    from pathlib import Path

    from fundwatch.data.imports.reference import reference_markdown

    docs = Path(__file__).resolve().parents[1] / "docs" / "imports.md"
    assert docs.read_text("utf-8") == reference_markdown(), \
        "run: python -m fundwatch.data.imports.reference > docs/imports.md"


def test_dashboards_see_an_import_from_another_process_without_restart(demo, tmp_path):
    """A store's cached reads are dropped when an import (here: another process) records a batch."""
    import datetime as dt

    from fundwatch.components.stores import OverviewStore

    engine, url = demo
    store = OverviewStore(engine=engine, scope=Scope.all(), year=2026, as_of=dt.date(2026, 6, 30))

    def allocated_2026() -> float:
        return float(store.funds.loc[store.funds["year"] == 2026, "amount"].sum())

    before = allocated_2026()
    store.year = 2025
    store.year = 2026  # a reload from the (warm) cache: nothing changed yet
    assert allocated_2026() == before
    upload = tmp_path / "allocations.csv"
    upload.write_text("县（市、区）,年度,资金级次,资金项目,下达金额（万元）,文号,下达日期\n"
                      "于都县,2026,中央,财政专项扶贫资金,1234.5,于财农指〔2026〕901号,2026-01-15\n", encoding="utf-8")
    assert fundwatch("import", "allocations", str(upload), "--db", url).returncode == 0
    store.year = 2025
    store.year = 2026
    assert allocated_2026() == pytest.approx(before + 12_345_000)
