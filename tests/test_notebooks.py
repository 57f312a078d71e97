"""The analyst notebooks in ``notebooks/``: committed without outputs, and each one runs top to
bottom in its own kernel on a fresh demo database, without an error, without a warning, without
writing to the database, and leaving behind the file it promises."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

from fundwatch.data import reads
from fundwatch.data.reads import transition
from fundwatch.data.rubric import scores_frame
from fundwatch.data.scope import Scope

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds per cell; a whole notebook takes about 2-7 s on the demo database

# What the kernel sees besides the test's own environment:
# - JUPYTER_PLATFORM_DIRS=1: jupyter_core versions that still migrate their paths emit a
#   DeprecationWarning unless it is set (and warnings are errors in this suite).
# - JUPYTER_PREFER_ENV_PATH=1: the "python3" kernel of this environment (this interpreter, with
#   fundwatch installed) wins over one a user may have registered in their home directory.
# - PYTHONWARNINGS: every warning is shown once (so a cell that warns writes to stderr and fails
#   the test), except one that is not ours: Bokeh 3.9 turns a DataFrame into columns with
#   DataFrame.reset_index(inplace=True), which pandas 3.1 deprecates (see pyproject.toml).
KERNEL_ENV = {
    "JUPYTER_PLATFORM_DIRS": "1",
    "JUPYTER_PREFER_ENV_PATH": "1",
    "PYTHONWARNINGS": "default,ignore:The inplace keyword in DataFrame.reset_index:DeprecationWarning",
}


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_the_five_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == [
        "01_data_tour.ipynb", "02_disbursement_pace.ipynb", "03_loans.ipynb", "04_rubric_what_if.ipynb",
        "05_transition.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_committed_without_outputs(path):
    """Outputs are stripped before a notebook is committed: no outputs, no execution counts, no
    timing metadata, and the plain ``python3`` kernel."""
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    dirty = [cell.get("id") for cell in nb.cells if cell.cell_type == "code"
             and (cell.outputs or cell.execution_count is not None or "execution" in cell.metadata)]
    assert dirty == [], f"clear the outputs of {path.name} before committing (cells {dirty})"


# -- running them ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_engine_for_notebooks(tmp_path_factory):
    from conftest import new_demo_database

    engine = new_demo_database("sqlite", "notebooks", tmp_path_factory)
    yield engine
    engine.dispose()


#: What a read may write: the kept findings of the policy rules (data/rules/stored.py), a cache of
#: what the data say, not data.
CACHES = {"finding_snapshot"}


def _counts(engine) -> dict[str, int]:
    return {table: rows for table, rows in reads.table_counts(engine, Scope.all()).itertuples(index=False)
            if table not in CACHES}


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"county_code": str, "unit_code": str}, encoding="utf-8-sig")


def _check_tour(out: Path, engine) -> None:
    frame = _csv(out / "county_overview_2020.csv")
    assert len(frame) == 20 and "360731" in set(frame["county_code"])
    expected = reads.pace_by_county_frame(engine, Scope.all(), 2020, as_of="2020-12-31")
    merged = frame.merge(expected, on="county_code", suffixes=("", "_expected"))
    assert (merged["disbursed"] - merged["disbursed_expected"]).abs().max() < 0.01


def _check_pace(out: Path, engine) -> None:
    frame = _csv(out / "pace_360731_2020.csv")
    assert set(frame["county_code"]) == {"360731"}
    assert frame["month"].tolist() == list(range(1, 13))
    assert frame.set_index("month")["required"].dropna().to_dict() == {3: 0.5, 6: 0.8}


def _check_loans(out: Path, engine) -> None:
    sheets = pd.read_excel(out / "loan_risk_2024-12-31.xlsx", sheet_name=None, engine="calamine")
    assert list(sheets) == ["bank_x_type", "county_x_programme"]
    cross = sheets["bank_x_type"]
    assert len(cross) > 0 and abs(cross["share"].sum() - 1) < 1e-9
    total = reads.loan_position_frame(engine, Scope.all(), "2024-12-31", by=())["outstanding"].iloc[0]
    assert abs(cross["outstanding_wan"].sum() * 1e4 - total) < 1


def _check_rubric(out: Path, engine) -> None:
    frame = _csv(out / "rubric_what_if_chaoyang-2020-sector_2020.csv")
    assert len(frame) == 20
    assert (frame["moved"] != 0).any(), "the what-if moved no rank"
    # the "before" ranks are the ones `fundwatch score` prints
    official = scores_frame(engine, Scope.all(), "chaoyang-2020-sector", 2020)
    assert dict(zip(frame["unit_code"], frame["rank_before"], strict=True)) == \
        dict(zip(official["unit_code"], official["rank"], strict=True))


def _check_transition(out: Path, engine) -> None:
    frame = _csv(out / "identification_clock_360731_2026.csv")
    assert frame["month"].tolist() == list(range(1, 13))
    clock = transition.identification_clock_frame(engine, Scope.county("360731"), 2026, "2026-11-01")
    assert frame["found"].sum() == clock["found"].sum() > 0
    assert frame["late"].sum() == clock["late"].sum()
    assert not {"head_name", "head_id_no", "code"} & set(frame.columns)  # counts only, no personal data


#: What each notebook must leave in its ``out/`` folder, checked against the data layer.
CHECKS: dict[str, Callable[[Path, object], None]] = {
    "01_data_tour": _check_tour,
    "02_disbursement_pace": _check_pace,
    "03_loans": _check_loans,
    "04_rubric_what_if": _check_rubric,
    "05_transition": _check_transition,
}


def _problems(nb) -> list[str]:
    """Errors and anything written to stderr (warnings), per cell."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            if output.output_type == "error":
                found.append(f"{cell.id}: {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                found.append(f"{cell.id} wrote to stderr: {output.text.strip()[:500]}")
    return found


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_runs_top_to_bottom(path, demo_engine_for_notebooks, tmp_path, monkeypatch):
    engine = demo_engine_for_notebooks
    assert path.stem in CHECKS, f"say in CHECKS what {path.name} leaves behind"
    url = engine.url.render_as_string(hide_password=False)
    for name, value in KERNEL_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FUNDWATCH_DB_URL", url)
    before = _counts(engine)

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})  # the kernel's cwd
    client.execute(env={**os.environ})

    assert _problems(nb) == []
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code), "a cell did not run"
    first = "".join(o.get("text", "") for o in code[0].outputs if o.output_type == "stream")
    assert url in first, "the notebook did not use FUNDWATCH_DB_URL"
    CHECKS[path.stem](tmp_path / "out", engine)
    assert _counts(engine) == before, "the notebook wrote to the database"
