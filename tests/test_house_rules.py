"""House rules a test can see: SQL only in data/, data/ free of UI libraries, one-way imports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SQL = re.compile(r"read_sql|Session\(|\.connect\(|(?<!fig\.)\btext\(")  # fig.text( is a Bokeh glyph


def _python_files(*folders: str):
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _code_lines(path: Path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.lstrip().startswith("#"):
            yield number, line


@pytest.mark.parametrize("folder", ["components", "dashboards", "notebooks", "benchmarks"])
def test_no_sql_outside_data(folder):
    hits = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
            for p in _python_files(folder) for n, line in _code_lines(p) if SQL.search(line)]
    notebooks = [p for p in (ROOT / folder).rglob("*.ipynb")] if folder == "notebooks" else []
    hits += [str(p.relative_to(ROOT)) for p in notebooks if SQL.search(p.read_text(encoding="utf-8"))]
    assert hits == []


def test_data_never_imports_ui_libraries():
    ui = re.compile(r"^\s*(import|from)\s+(panel|holoviews|bokeh)\b")
    hits = [f"{p.relative_to(ROOT)}:{n}" for p in _python_files("data") for n, line in _code_lines(p) if ui.search(line)]
    assert hits == []


def test_data_writes_through_the_writer():
    """Every write transaction in data/ is opened on ``db.writer(engine)``, so that on SQLite it takes
    the write lock first (see :func:`fundwatch.data.db.writer`)."""
    plain = re.compile(r"\bengine\.begin\(\)|Session\(engine\).*\.begin\(\)")
    hits = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}" for p in _python_files("data")
            for n, line in _code_lines(p) if plain.search(line)]
    assert hits == []


def test_the_page_reads_read_through_the_reader():
    """The page reads open their connections on ``db.reader(engine)``, which spares each read on
    PostgreSQL its BEGIN and ROLLBACK round trips (see :func:`fundwatch.data.db.reader`)."""
    plain = re.compile(r"\bengine\.connect\(\)")
    hits = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}" for p in _python_files("data/reads")
            for n, line in _code_lines(p) if plain.search(line)]
    assert hits == []


def test_components_never_import_dashboards():
    up = re.compile(r"^\s*(import|from)\s+(fundwatch\.)?dashboards\b")
    hits = [f"{p.relative_to(ROOT)}:{n}" for p in _python_files("components") for n, line in _code_lines(p) if up.search(line)]
    assert hits == []


def test_no_links_to_the_web():
    web = re.compile(r"https?://(fonts\.googleapis|cdn\.|unpkg|cdnjs)")
    files = [p for p in ROOT.rglob("*") if p.suffix in {".py", ".html", ".css"} and ".venv" not in p.parts]
    assert [str(p.relative_to(ROOT)) for p in files if web.search(p.read_text(encoding="utf-8", errors="ignore"))] == []


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    marker = readme.index("<!-- test-command -->")
    assert readme[marker + 1].startswith("```")
    assert "pytest" in readme[marker + 2]
    assert "test-command" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_package_folder_is_packaged():
    """A folder with an __init__.py that pyproject does not list would vanish from a wheel."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    mapping = config["package-dir"]
    for package, folder in mapping.items():
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            relative = init.parent.relative_to(ROOT / folder).parts
            name = ".".join((package, *relative))
            assert name in listed, f"{name} ({init.parent.relative_to(ROOT)}) is not in pyproject packages"
