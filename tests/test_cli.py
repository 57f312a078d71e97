"""The command line as a user meets it: real processes, one-line errors, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from cli_run import fundwatch, one_line_error






def test_the_command_line_starts_without_importing_the_pages():
    """Panel, Bokeh and the views are imported by the commands that draw (serve, export,
    export-panel, report) when they run, never to read the arguments: every other command
    (an import, a user, the audit) starts about 2 s sooner."""
    probe = ("import sys\n"
             "from fundwatch.dashboards import cli\n"
             "cli.build_parser().parse_args(['audit'])\n"
             "print(sorted(m for m in ('panel', 'bokeh', 'holoviews', 'fundwatch.components') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"


def test_unknown_option_is_a_one_line_error():
    assert "--frobnicate" in one_line_error(fundwatch("summary", "--frobnicate"))


def test_unknown_command_is_a_one_line_error():
    one_line_error(fundwatch("explode"))


@pytest.mark.parametrize("command", ["summary"])
def test_missing_sqlite_file_is_an_error_and_is_not_created(tmp_path, command):
    missing = tmp_path / "nowhere.db"
    message = one_line_error(fundwatch(command, "--db", str(missing)))
    assert "does not exist" in message
    assert not missing.exists()


def test_unreachable_database_is_a_one_line_error():
    message = one_line_error(fundwatch("summary", "--db", "postgresql://nobody:x@127.0.0.1:9/none"))
    assert "cannot connect" in message


def test_database_without_schema_asks_for_init(tmp_path):
    (tmp_path / "empty.db").touch()
    assert "fundwatch init" in one_line_error(fundwatch("summary", "--db", str(tmp_path / "empty.db")))


def test_init_demo_summary(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert fundwatch("init", "--db", url).returncode == 0
    demo = fundwatch("demo", "--db", url, "--scale", "0.02")
    assert demo.returncode == 0, demo.stderr
    assert "demo data loaded" in demo.stdout
    again = fundwatch("demo", "--db", url, "--scale", "0.02")
    one_line_error(again)  # a second load into a filled database is refused

    table = fundwatch("summary", "--db", url)
    assert table.returncode == 0 and "allocation" in table.stdout and "统筹整合" in table.stdout
    result = fundwatch("summary", "--db", url, "--format", "json")
    summary = json.loads(result.stdout)
    rows = {t["table"]: t["rows"] for t in summary["tables"]}
    assert all(rows[t] > 0 for t in ("region", "allocation", "disbursement", "loan", "asset", "household"))
    money = [t for t in summary["totals"] if t["unit"] == "亿元"]
    assert money and all(abs(t["ratio"] - 1) <= 0.10 for t in money)

    county = json.loads(fundwatch("summary", "--db", url, "--county", "360731", "--format", "json").stdout)
    county_rows = {t["table"]: t["rows"] for t in county["tables"]}
    assert 0 < county_rows["loan"] < rows["loan"]


def test_warnings_on_a_compliant_database_prints_an_empty_list(tmp_path):
    url = f"sqlite:///{tmp_path / 'clean.db'}"
    assert fundwatch("init", "--db", url).returncode == 0
    result = fundwatch("warnings", "--db", url, "--year", "2020", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_warnings_and_score_on_demo_data(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    assert fundwatch("demo", "--db", url, "--scale", "0.02").returncode == 0
    result = fundwatch("warnings", "--db", url, "--year", "2020", "--county", "360731", "--format", "json")
    findings = json.loads(result.stdout)
    assert findings, "the demo plants faults"
    keys = ["rule", "severity", "region_code", "region_name", "value", "threshold", "message", "basis", "record_ids"]
    assert all(list(f) == keys for f in findings)
    assert {f["region_code"] for f in findings} == {"360731"}
    assert "Z9" in one_line_error(fundwatch("warnings", "--db", url, "--rule", "Z9"))

    scores = json.loads(fundwatch("score", "--db", url, "--rubric", "chaoyang-2020-sector", "--year", "2020",
                                  "--format", "json").stdout)
    assert len(scores) == 20
    assert [s["rank"] for s in scores] == sorted(s["rank"] for s in scores)
